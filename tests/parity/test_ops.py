"""Every row of the op table against PyTorch: forward values and dtypes, then the gradient of every input under the
same random upstream gradient; float32 stays float32 through forward and backward; PyTorch's dtype promotion."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from tests.helpers import assert_close
from tests.op_table import CASES, GRAD_CASES, Case, base_array, case_rng, layout_view

DTYPES = ["float64", "float32"]


def _param(case: Case, test: str, *rest: Any) -> Any:
    return pytest.param(case, *rest, id="-".join([case.name, *map(str, rest)]), marks=case.marks(test))


def build(case: Case, dtype: str) -> tuple[list[Any], list[Any]]:
    """The inputs as chainrule and torch leaves: equal values, equal layouts, separate memory. Floating inputs
    require grad."""
    rng = case_rng(case)
    ours, theirs = [], []
    for spec in case.inputs:
        base = base_array(rng, spec, dtype)
        a = cr.from_numpy(layout_view(spec, base.copy()))
        t = torch.from_numpy(layout_view(spec, base.copy()))
        if spec.is_float:
            a.requires_grad_(True)
            t.requires_grad_(True)
        ours.append(a)
        theirs.append(t)
    return ours, theirs


def outputs(out: Any) -> list[Any]:
    """An op's result as a flat list of tensors (max(dim) and split give tuples)."""
    return list(out) if isinstance(out, (tuple, list)) else [out]


def check_same(ours: Any, theirs: Any, kind: str, dtype: str | None = None) -> None:
    """Values and dtype agree: within the tolerance for floats (``dtype``'s, else the result's), exactly for integers
    and bools."""
    if theirs.dtype.is_floating_point:
        assert_close(ours, theirs, kind, dtype=dtype)
        return
    a, b = ours.detach().numpy(), theirs.detach().numpy()
    assert a.dtype == b.dtype, f"dtype differs: chainrule {a.dtype}, torch {b.dtype}"
    np.testing.assert_array_equal(a, b)


def upstream(case: Case, outs: list[Any], dtype: str) -> list[np.ndarray]:
    """One random upstream gradient per output, the same for both frameworks."""
    rng = case_rng(case, "upstream")
    return [rng.standard_normal(tuple(o.shape)).astype(dtype) for o in outs]


@pytest.mark.parametrize("case,dtype", [_param(c, "parity", d) for c in CASES for d in DTYPES])
def test_op_matches_torch(case: Case, dtype: str) -> None:
    xs, ts = build(case, dtype)
    ours, theirs = outputs(case.run(cr, *xs)), outputs(case.run(torch, *ts))
    assert len(ours) == len(theirs), f"{len(ours)} outputs, torch gives {len(theirs)}"
    for o, t in zip(ours, theirs):
        check_same(o, t, "fwd", dtype)
        assert o.requires_grad == t.requires_grad, f"requires_grad: {o.requires_grad}, torch {t.requires_grad}"
    if not case.grad:
        return
    pairs = [(o, t) for o, t in zip(ours, theirs) if t.requires_grad]
    assert pairs, "a differentiable case needs an output that requires grad"
    gs = upstream(case, [t for _, t in pairs], dtype)
    cr.autograd.backward([o for o, _ in pairs], [cr.from_numpy(g.copy()) for g in gs])
    torch.autograd.backward([t for _, t in pairs], [torch.from_numpy(g.copy()) for g in gs])
    for i, (x, t) in enumerate(zip(xs, ts)):
        if not t.requires_grad:
            continue
        if t.grad is None:  # torch: no path from the output to this input
            assert x.grad is None or not x.grad.numpy().any(), f"input {i}: torch has no gradient, chainrule has one"
            continue
        assert x.grad is not None, f"input {i}: no gradient"
        check_same(x.grad, t.grad, "grad", dtype)


def _spy_backward(node: Any, seen: list[str]) -> None:
    """Record the dtype of every floating array the node's backward returns, before the engine casts it."""
    orig = node.backward

    def backward(g: Any) -> Any:
        res = orig(g)
        for r in res if isinstance(res, tuple) else (res,):
            dt = np.result_type(r) if r is not None else None
            if dt is not None and dt.kind == "f" and dt != np.float32:
                seen.append(f"{node.name} returned a {dt} gradient")
        return res

    node.backward = backward


def _graph(outs: list[Any]) -> tuple[list[Any], list[Any]]:
    """The nodes and the tensors of the recorded graph behind ``outs``."""
    nodes, tensors, stack, seen = [], list(outs), [o.grad_fn for o in outs if o.grad_fn is not None], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        nodes.append(node)
        for p in node.parents or ():
            if isinstance(p, cr.Tensor):
                tensors.append(p)
                if p.grad_fn is not None:
                    stack.append(p.grad_fn)
    return nodes, tensors


@pytest.mark.parametrize("case", [_param(c, "float32") for c in CASES])
def test_float32_stays_float32(case: Case) -> None:
    """float32 in, float32 out, float32 in every intermediate and every array a backward returns, float32 grads.
    Under NumPy 2 promotion a stray float64 (a 0-d array, np.float64 scalar) silently doubles the cost."""
    xs, _ = build(case, "float32")
    outs = outputs(case.run(cr, *xs))
    nodes, tensors = _graph(outs)
    bad = [f"{n.name} made a {t.dtype} tensor" for n in nodes for t in tensors
           if t.grad_fn is n and t.dtype.is_floating_point and t.dtype != cr.float32]
    bad += [f"output {i} is {o.dtype}" for i, o in enumerate(outs) if o.dtype in (cr.float64, cr.float16)]
    bad += [f"leaf {i} is {x.dtype}" for i, x in enumerate(tensors) if x.grad_fn is None and x.dtype == cr.float64]
    assert not bad, bad
    if not case.grad:
        return
    seen: list[str] = []
    for n in nodes:
        if n._raw:
            _spy_backward(n, seen)
    diff = [o for o in outs if o.requires_grad]
    cr.autograd.backward(diff, [cr.ones_like(o) for o in diff])
    assert not seen, seen
    for i, x in enumerate(xs):
        if x.requires_grad:
            assert x.grad is not None and x.grad.dtype == cr.float32, f"input {i}: grad {x.grad and x.grad.dtype}"


def test_table_covers_the_inputs() -> None:
    """Every case builds its inputs and every differentiable case has a float input that requires grad."""
    for case in GRAD_CASES:
        assert any(s.is_float for s in case.inputs), case.name


# ---------------------------------------------------------------- dtype promotion (torch.result_type is the reference)
def _t(m: Any, data: Any, dtype: str) -> Any:
    return m.tensor(data, dtype=getattr(m, dtype))


PROMOTION = [
    ("int_tensor_mul_float", lambda m: _t(m, [1, 2, 3], "int64") * 2.5),
    ("int_tensor_add_int", lambda m: _t(m, [1, 2, 3], "int32") + 7),
    ("int8_mul_int_scalar", lambda m: _t(m, [1, -2, 3], "int8") * 2),
    ("int_div_int", lambda m: _t(m, [1, 2, 3], "int64") / _t(m, [2, 4, 5], "int64")),
    ("int_div_scalar", lambda m: _t(m, [1, 2, 3], "int64") / 2),
    ("scalar_div_int", lambda m: 2 / _t(m, [1, 2, 3], "int32")),
    ("int_floordiv", lambda m: _t(m, [7, -7, 3], "int64") // 2),
    ("int_remainder", lambda m: _t(m, [7, -7, 3], "int64") % 3),
    ("int_pow_int", lambda m: _t(m, [1, 2, 3], "int64") ** 2),
    ("int_pow_float", lambda m: _t(m, [1, 2, 3], "int64") ** 0.5),
    ("f32_add_f64_0d", lambda m: _t(m, [1.0, 2.0], "float32") + _t(m, 3.0, "float64")),
    ("f64_0d_mul_f32", lambda m: _t(m, 3.0, "float64") * _t(m, [1.0, 2.0], "float32")),
    ("f32_add_f64", lambda m: _t(m, [1.0, 2.0], "float32") + _t(m, [3.0, 4.0], "float64")),
    ("f16_add_f32_0d", lambda m: _t(m, [1.0, 2.0], "float16") + _t(m, 3.0, "float32")),
    ("int_add_f64_0d", lambda m: _t(m, [1, 2], "int64") + _t(m, 0.5, "float64")),
    ("int_add_f32", lambda m: _t(m, [1, 2], "int64") + _t(m, [0.5, 1.5], "float32")),
    ("int32_add_int64_0d", lambda m: _t(m, [1, 2], "int32") + _t(m, 5, "int64")),
    ("int32_0d_add_int64_0d", lambda m: _t(m, 1, "int32") + _t(m, 5, "int64")),
    ("int32_add_int64", lambda m: _t(m, [1, 2], "int32") + _t(m, [5, 6], "int64")),
    ("uint8_add_int8", lambda m: _t(m, [1, 200], "uint8") + _t(m, [-1, 3], "int8")),
    ("uint8_add_int", lambda m: _t(m, [1, 2], "uint8") + 3),
    ("bool_add_int", lambda m: _t(m, [True, False], "bool") + 3),
    ("bool_add_bool", lambda m: _t(m, [True, False], "bool") + True),
    ("bool_mul_float", lambda m: _t(m, [True, False], "bool") * 2.5),
    ("bool_add_f64_0d", lambda m: _t(m, [True, False], "bool") + _t(m, 0.5, "float64")),
    ("bool_add_int8", lambda m: _t(m, [True, False], "bool") + _t(m, [2, 3], "int8")),
    ("f32_mul_int_tensor", lambda m: _t(m, [1.5, 2.5], "float32") * _t(m, [2, 3], "int64")),
    ("f32_maximum_f64_0d", lambda m: m.maximum(_t(m, [1.0, 4.0], "float32"), _t(m, 3.0, "float64"))),
    ("int_maximum_float", lambda m: m.maximum(_t(m, [1, 4], "int64"), _t(m, [2.5, 0.5], "float32"))),
    ("where_int_scalar", lambda m: m.where(_t(m, [True, False], "bool"), _t(m, [1, 2], "int64"), 2.5)),
    ("where_f32_f64", lambda m: m.where(_t(m, [True, False], "bool"), _t(m, [1.0, 2.0], "float32"),
                                        _t(m, [3.0, 4.0], "float64"))),
    ("cat_int_float", lambda m: m.cat([_t(m, [1, 2], "int64"), _t(m, [0.5], "float32")])),
    ("stack_f32_f64", lambda m: m.stack([_t(m, [1.0], "float32"), _t(m, [0.5], "float64")])),
    ("sum_int32", lambda m: _t(m, [1, 2], "int32").sum()),
    ("sum_bool", lambda m: _t(m, [True, True, False], "bool").sum()),
    ("sum_uint8_dim", lambda m: _t(m, [[1, 2], [3, 4]], "uint8").sum(0)),
    ("prod_int32", lambda m: _t(m, [2, 3], "int32").prod()),
    ("cumsum_int8", lambda m: _t(m, [2, 3], "int8").cumsum(0)),
    ("exp_int", lambda m: _t(m, [1, 2], "int64").exp()),
    ("sqrt_bool", lambda m: _t(m, [True, False], "bool").sqrt()),
    ("sigmoid_int", lambda m: _t(m, [1, -2], "int32").sigmoid()),
    ("abs_int8", lambda m: _t(m, [1, -2], "int8").abs()),
    ("neg_int32", lambda m: -_t(m, [1, -2], "int32")),
    ("clamp_int_float", lambda m: _t(m, [1, 5, -3], "int64").clamp(0.5, 2.5)),
    ("clamp_int_int", lambda m: _t(m, [1, 5, -3], "int32").clamp(0, 2)),
    ("clamp_f32_by_f64_tensor", lambda m: _t(m, [0.5, 2.0], "float32").clamp(_t(m, [1.0, 1.0], "float64"))),
    ("clamp_f32_by_f64_0d", lambda m: _t(m, [0.5, 2.0], "float32").clamp(max=_t(m, 1.0, "float64"))),
    ("clamp_int_by_f32_tensor", lambda m: _t(m, [0, 2], "int64").clamp(_t(m, [0.5, 0.5], "float32"))),
    ("amax_int", lambda m: _t(m, [[1, 5], [7, 2]], "int32").amax(1)),
    ("max_dim_int", lambda m: _t(m, [[1, 5], [7, 2]], "int64").max(1)[0]),
    ("matmul_int", lambda m: _t(m, [[1, 2], [3, 4]], "int64") @ _t(m, [1, 1], "int64")),
    ("gt_int_float", lambda m: _t(m, [1, 2], "int64") > 1.5),
    ("softmax_int_dtype", lambda m: _t(m, [1, 2], "int64").softmax(0, dtype=m.float64)),
    ("mean_dtype", lambda m: _t(m, [1.0, 2.0], "float32").mean(dtype=m.float64)),
]


@pytest.mark.parametrize("fn", [pytest.param(f, id=n) for n, f in PROMOTION])
def test_promotion_matches_torch(fn: Any) -> None:
    ours, theirs = fn(cr), fn(torch)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch."), f"chainrule {ours.dtype}, torch {theirs.dtype}"
    check_same(ours, theirs, "fwd")


@pytest.mark.parametrize("default", ["float32", "float64"])
def test_promotion_follows_default_dtype(default: str) -> None:
    """Python floats and true division of integers give the default float type."""
    cr.set_default_dtype(getattr(cr, default))
    prev = torch.get_default_dtype()
    torch.set_default_dtype(getattr(torch, default))
    try:
        for _, fn in PROMOTION[:6]:
            ours, theirs = fn(cr), fn(torch)
            assert ours.dtype.name == str(theirs.dtype).removeprefix("torch."), (ours.dtype, theirs.dtype)
        assert cr.tensor([1.5]).dtype.name == default
    finally:
        torch.set_default_dtype(prev)


OPERANDS = {
    "i64": lambda m: _t(m, [1, 2], "int64"), "i32": lambda m: _t(m, [1, 2], "int32"),
    "u8": lambda m: _t(m, [1, 2], "uint8"), "i8": lambda m: _t(m, [1, 2], "int8"),
    "b": lambda m: _t(m, [True, False], "bool"), "f32": lambda m: _t(m, [1.0, 2.0], "float32"),
    "f64": lambda m: _t(m, [1.0, 2.0], "float64"), "f16": lambda m: _t(m, [1.0, 2.0], "float16"),
    "f64_0d": lambda m: _t(m, 1.0, "float64"), "f32_0d": lambda m: _t(m, 1.0, "float32"),
    "i64_0d": lambda m: _t(m, 1, "int64"), "i8_0d": lambda m: _t(m, 1, "int8"), "b_0d": lambda m: _t(m, True, "bool"),
    "int": lambda m: 3, "float": lambda m: 2.5, "bool": lambda m: True,
}


@pytest.mark.parametrize("x", [k for k in OPERANDS if k not in ("int", "float", "bool")])
@pytest.mark.parametrize("y", list(OPERANDS))
def test_result_type_matches_torch(x: str, y: str) -> None:
    """chainrule.result_type against torch.result_type, and the dtype and values ``x * y`` actually gets."""
    ours = cr.result_type(OPERANDS[x](cr), OPERANDS[y](cr))
    theirs = torch.result_type(OPERANDS[x](torch), OPERANDS[y](torch))
    assert ours.name == str(theirs).removeprefix("torch.")
    got, want = OPERANDS[x](cr) * OPERANDS[y](cr), OPERANDS[x](torch) * OPERANDS[y](torch)
    check_same(got, want, "fwd")


# mixed dtypes with gradients: each input's grad comes back in its own dtype, with torch's values
MIXED = [
    ("f32_mul_f64_0d", lambda m, a, b: a * b, ("float32", (3,)), ("float64", ())),
    ("f64_add_f32", lambda m, a, b: a + b, ("float64", (2, 3)), ("float32", (3,))),
    ("f32_div_f64_0d", lambda m, a, b: a / (b * b + 1), ("float32", (3,)), ("float64", ())),
    ("f32_pow_f64_0d", lambda m, a, b: (a * a + 1) ** b, ("float32", (3,)), ("float64", ())),
    ("f32_maximum_f64", lambda m, a, b: m.maximum(a, b), ("float32", (3,)), ("float64", (2, 3))),
    ("where_f32_f64", lambda m, a, b: m.where(a > 0, a, b), ("float32", (3,)), ("float64", (3,))),
    ("cat_f32_f64", lambda m, a, b: m.cat([a, b]), ("float32", (2,)), ("float64", (3,))),
    ("stack_f64_f32", lambda m, a, b: m.stack([a, b], 1), ("float64", (2,)), ("float32", (2,))),
    ("clamp_f32_f64_bound", lambda m, a, b: a.clamp(min=b), ("float32", (4,)), ("float64", (4,))),
    ("masked_fill_f64_value", lambda m, a, b: a.masked_fill(a > 0, b), ("float32", (4,)), ("float64", ())),
    ("f32_to_f64", lambda m, a, b: a.double() * b, ("float32", (3,)), ("float64", (3,))),
    ("int_mul_f32", lambda m, a, b: a.long() * b, ("float32", (3,)), ("float32", (3,))),
]


@pytest.mark.parametrize("fn,sa,sb", [pytest.param(f, a, b, id=n) for n, f, a, b in MIXED])
def test_mixed_dtype_gradients_match_torch(fn: Any, sa: Any, sb: Any) -> None:
    rng = np.random.default_rng(7)
    arrs = [(rng.standard_normal(shape) * 2).astype(dt) for dt, shape in (sa, sb)]
    xs = [cr.tensor(a, requires_grad=True) for a in arrs]
    ts = [torch.tensor(a, requires_grad=True) for a in arrs]
    out, ref = fn(cr, *xs), fn(torch, *ts)
    check_same(out, ref, "fwd")
    g = rng.standard_normal(tuple(ref.shape)).astype(str(ref.dtype).removeprefix("torch."))
    out.backward(cr.tensor(g))
    ref.backward(torch.tensor(g))
    for x, t in zip(xs, ts):
        if t.grad is None:
            assert x.grad is None or not x.grad.numpy().any()
        else:
            check_same(x.grad, t.grad, "grad", "float32")  # float32 tolerance: part of the path ran in float32
