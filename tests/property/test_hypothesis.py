"""Property-based tests over random shapes: broadcasting binary ops, reductions over random dims and shape roundtrips,
each against PyTorch (forward and gradients)."""

from __future__ import annotations

from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from tests.helpers import assert_close

SETTINGS = settings(max_examples=40, deadline=None)
DTYPES = st.sampled_from(["float64", "float32"])


def _grid(lo: float = -10.0, hi: float = 10.0) -> Any:
    """Multiples of 1/8 in [lo, hi]. Sums and products of these (and quotients by powers of two) are exact in float32
    and float64 in any order, so a mismatch is a wrong shape, broadcast, gradient or dtype, never summation order
    (the op table covers general values)."""
    return st.integers(int(lo * 8), int(hi * 8)).map(lambda k: k / 8)


POW2 = st.sampled_from([-4.0, -2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 4.0])  # denominators: division stays exact


def _pair(m: Any, a: np.ndarray, b: np.ndarray) -> tuple[Any, Any]:
    if m is cr:
        return cr.tensor(a, requires_grad=True), cr.tensor(b, requires_grad=True)
    return torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)


BINARY = {
    "add": lambda m, a, b: a + b,
    "mul": lambda m, a, b: a * b,
    "div": lambda m, a, b: a / b,
    "maximum": lambda m, a, b: m.maximum(a, b),
}


@st.composite
def binary_case(draw: Any, op: str) -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
    dtype = draw(DTYPES)
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4))
    # maximum draws from a few values as well, so that ties (the gradient split in half) come up often
    few = st.sampled_from([-1.0, 0.0, 2.0])
    aelem, belem = (st.one_of(few, _grid()), few) if op == "maximum" else (_grid(), POW2 if op == "div" else _grid())
    a = draw(hnp.arrays(dtype, shapes.input_shapes[0], elements=aelem))
    b = draw(hnp.arrays(dtype, shapes.input_shapes[1], elements=belem))
    g = draw(hnp.arrays(dtype, shapes.result_shape, elements=_grid(-2.0, 2.0)))
    return dtype, a, b, g


@pytest.mark.parametrize("op", sorted(BINARY))
@SETTINGS
@given(data=st.data())
def test_broadcast_binary_matches_torch(op: str, data: Any) -> None:
    dtype, a, b, g = data.draw(binary_case(op))
    xa, xb = _pair(cr, a, b)
    ta, tb = _pair(torch, a, b)
    out, ref = BINARY[op](cr, xa, xb), BINARY[op](torch, ta, tb)
    assert_close(out, ref, "fwd", dtype)
    out.backward(cr.tensor(g))
    ref.backward(torch.tensor(g))
    assert_close(xa.grad, ta.grad, "grad", dtype)
    assert_close(xb.grad, tb.grad, "grad", dtype)


@st.composite
def reduction_case(draw: Any) -> tuple[str, np.ndarray, Any, bool]:
    dtype = draw(DTYPES)
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4))
    x = draw(hnp.arrays(dtype, shape, elements=_grid()))
    nd = len(shape)
    dims = None
    if nd and draw(st.booleans()):  # a subset of dims, any order, possibly negative
        picked = draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
        dims = tuple(d - nd if draw(st.booleans()) else d for d in picked)
        if len(dims) == 1 and draw(st.booleans()):
            dims = dims[0]
    return dtype, x, dims, draw(st.booleans())


@pytest.mark.parametrize("op", ["sum", "mean"])
@SETTINGS
@given(case=reduction_case())
def test_reduction_over_random_dims_matches_torch(op: str, case: tuple[str, np.ndarray, Any, bool]) -> None:
    dtype, x, dims, keepdim = case
    a, t = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    if dims is None:
        out, ref = getattr(a, op)(), getattr(t, op)()
    else:
        out, ref = getattr(a, op)(dims, keepdim=keepdim), getattr(t, op)(dims, keepdim=keepdim)
    assert_close(out, ref, "fwd", dtype)
    g = np.random.default_rng(x.size).integers(-16, 17, tuple(ref.shape)).astype(dtype) / 8
    out.backward(cr.tensor(g))
    ref.backward(torch.tensor(g))
    assert_close(a.grad, t.grad, "grad", dtype)


@st.composite
def permutation_case(draw: Any) -> tuple[np.ndarray, list[int]]:
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=5, min_side=1, max_side=4))
    x = draw(hnp.arrays("float64", shape, elements=_grid()))
    perm = draw(st.permutations(range(len(shape))))
    return x, list(perm)


@SETTINGS
@given(permutation_case())
def test_permute_roundtrip_and_matches_torch(case: tuple[np.ndarray, list[int]]) -> None:
    x, perm = case
    a, t = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    p, pt = a.permute(*perm), t.permute(*perm)
    assert_close(p, pt, "fwd")
    back = p.permute(*np.argsort(perm).tolist())
    np.testing.assert_array_equal(back.detach().numpy(), x)
    # the gradient through permute and back is the upstream gradient itself; through permute alone, torch's
    g = np.random.default_rng(x.size).standard_normal(x.shape)
    back.backward(cr.tensor(g))
    np.testing.assert_array_equal(a.grad.numpy(), g)
    gp = np.ascontiguousarray(np.transpose(g, perm))
    a.grad = None
    a.permute(*perm).backward(cr.tensor(gp))
    pt.backward(torch.tensor(gp))
    assert_close(a.grad, t.grad, "grad")


@st.composite
def reshape_case(draw: Any) -> tuple[np.ndarray, tuple[int, ...]]:
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4))
    x = draw(hnp.arrays("float64", shape, elements=_grid()))
    # a new shape for the same number of elements: the prime factors of the size, grouped at random
    n, factors, p = x.size, [], 2
    while n > 1:
        while n % p == 0:
            factors.append(p)
            n //= p
        p += 1
    factors = draw(st.permutations(factors)) if factors else []
    new: list[int] = []
    for f in factors:
        if new and draw(st.booleans()):
            new[-1] *= f
        else:
            new.append(f)
    ones = draw(st.integers(0, 2))
    for _ in range(ones):  # size-1 dims anywhere
        new.insert(draw(st.integers(0, len(new))), 1)
    if new and draw(st.booleans()):  # one inferred dim
        new[draw(st.integers(0, len(new) - 1))] = -1
    return x, tuple(new)


@SETTINGS
@given(reshape_case())
def test_reshape_roundtrip_and_matches_torch(case: tuple[np.ndarray, tuple[int, ...]]) -> None:
    x, shape = case
    a, t = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    r, rt = a.reshape(shape), t.reshape(shape)
    assert_close(r, rt, "fwd")
    back = r.reshape(x.shape)
    np.testing.assert_array_equal(back.detach().numpy(), x)
    g = np.random.default_rng(x.size).standard_normal(tuple(rt.shape))
    r.backward(cr.tensor(g))
    rt.backward(torch.tensor(g))
    assert_close(a.grad, t.grad, "grad")
