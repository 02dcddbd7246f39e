"""IEEE results come back silently, as in PyTorch: x/0 = inf, 0/0 = nan, exp(1000) = inf, asin(2) = nan, ... with no
NumPy RuntimeWarning (divide by zero, invalid value, overflow), forward and backward, and the same values as torch.

Each case runs with warnings turned into errors; the values (inf and nan positions included) must equal torch's.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np
import pytest
import torch

import chainrule as cr
from tests.helpers import assert_close

INF, NAN = float("inf"), float("nan")

# name -> (fn(m, *inputs), inputs, differentiable). Inputs are lists of floats (made tensors of the dtype under test);
# integer inputs are tuples (made int64 tensors). One op per case: two gradients of inf and -inf meeting in one input
# would be the engine's inf + -inf, not the op's.
CASES: dict[str, tuple[Callable[..., Any], list[Any], bool]] = {
    "div_tensor_by_zero": (lambda m, a, b: a / b, [[1.0, 0.0, -1.0, 2.0], [0.0, 0.0, 0.0, 4.0]], True),
    "div_by_scalar_zero": (lambda m, a: a / 0.0, [[1.0, 0.0, -1.0]], True),
    "div_scalar_by_zero": (lambda m, a: 1.0 / a, [[0.0, -0.0, 2.0]], True),
    "div_int_by_zero": (lambda m, i, j: i / j, [(1, 0, -1), (0, 0, 2)], False),
    "div_method_by_zero": (lambda m, a, b: m.div(a, b), [[3.0, 0.0], [0.0, 0.0]], True),
    "div_floor_by_zero": (lambda m, a: a.div(0.0, rounding_mode="floor"), [[1.0, -1.0, 0.0]], False),
    "remainder_by_zero": (lambda m, a, b: m.remainder(a, b), [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]], True),
    "remainder_by_scalar_zero": (lambda m, a: a.remainder(0.0), [[1.0, -1.0, 0.0]], True),
    "fmod_by_zero": (lambda m, a, b: m.fmod(a, b), [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]], True),
    "reciprocal_zero": (lambda m, a: a.reciprocal(), [[0.0, -0.0, 4.0]], True),
    "pow_zero_neg_int": (lambda m, a: a ** -1, [[0.0, 2.0]], True),
    "pow_zero_neg_frac": (lambda m, a: a.pow(-0.5), [[0.0, 4.0]], True),
    "pow_neg_base_frac": (lambda m, a: a ** 0.5, [[-1.0, 4.0]], True),
    "pow_tensor_exponent": (lambda m, a, b: a ** b, [[0.0, 0.0, 2.0], [-1.0, 0.5, 3.0]], True),
    "pow_overflow": (lambda m, a: a ** 1000.0, [[10.0, 0.5]], True),
    "exp_overflow": (lambda m, a: a.exp(), [[1000.0, -1000.0, 1.0]], True),
    "log_zero_and_negative": (lambda m, a: a.log(), [[0.0, -1.0, 2.0]], True),
    "log1p_minus_one": (lambda m, a: m.log1p(a), [[-1.0, -2.0, 1.0]], True),
    "sqrt_zero_and_negative": (lambda m, a: a.sqrt(), [[0.0, -1.0, 4.0]], True),
    "rsqrt_zero": (lambda m, a: a.rsqrt(), [[0.0, -1.0, 4.0]], True),
    "asin_outside": (lambda m, a: a.asin(), [[2.0, -1.0, 1.0, 0.5]], True),
    "acos_outside": (lambda m, a: m.acos(a), [[2.0, -1.0, 1.0, 0.5]], True),
    "acosh_below_one": (lambda m, a: a.acosh(), [[0.5, 1.0, 2.0]], True),
    "atanh_at_one": (lambda m, a: m.atanh(a), [[1.0, -1.0, 2.0, 0.5]], True),
    "sinh_overflow": (lambda m, a: a.sinh(), [[1000.0, -1000.0, 1.0]], True),
    "cosh_overflow": (lambda m, a: m.cosh(a), [[1000.0, -1000.0, 1.0]], True),
    "logit_edges": (lambda m, a: a.logit(), [[0.0, 1.0, 2.0, -0.5, 0.25]], True),
    "logit_eps_zero": (lambda m, a: a.logit(eps=0.0), [[0.0, 1.0, 2.0, 0.25]], True),
    "xlogy_zeros": (lambda m, x, y: m.xlogy(x, y), [[0.0, 0.0, 1.0, 0.0], [0.0, NAN, 0.0, -1.0]], True),
    "atan2_origin": (lambda m, a, b: m.atan2(a, b), [[0.0, 0.0, 1.0], [0.0, -0.0, 0.0]], True),
    "hypot_origin": (lambda m, a, b: m.hypot(a, b), [[0.0, 3.0], [0.0, 4.0]], True),
    "logaddexp_infs": (lambda m, a, b: m.logaddexp(a, b), [[-INF, INF, NAN, 1000.0], [-INF, INF, 1.0, 1000.0]], True),
    "floor_divide_by_zero": (lambda m, a, b: a // b, [[1.0, 0.0, -1.0], [0.0, 0.0, 0.0]], False),
    "floor_divide_by_scalar_zero": (lambda m, a: a // 0.0, [[1.0, 0.0, -1.0]], False),
    "mod_operator_by_zero": (lambda m, a, b: a % b, [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]], True),
    "mod_operator_by_scalar_zero": (lambda m, a: a % 0.0, [[1.0, -1.0, 0.0]], True),
    "mean_of_empty": (lambda m, a: a.mean(), [[]], True),
}

DTYPES = {"float32": (np.float32, torch.float32), "float64": (np.float64, torch.float64)}


def _inputs(values: list[Any], dtype: str, grad: bool) -> tuple[list[Any], list[Any]]:
    ours, theirs = [], []
    for v in values:
        if isinstance(v, tuple):  # integers
            ours.append(cr.tensor(list(v)))
            theirs.append(torch.tensor(list(v)))
            continue
        arr = np.array(v, dtype=DTYPES[dtype][0])
        ours.append(cr.from_numpy(arr.copy()).requires_grad_(grad))
        theirs.append(torch.from_numpy(arr.copy()).requires_grad_(grad))
    return ours, theirs


def _params() -> list[Any]:
    out = []
    for name in CASES:
        out += [pytest.param(name, d, id=f"{name}-{d}") for d in DTYPES]
    return out


@pytest.mark.parametrize("name,dtype", _params())
def test_no_warning_and_torch_values(name: str, dtype: str) -> None:
    fn, values, grad = CASES[name]
    xs, ts = _inputs(values, dtype, grad)
    expected = fn(torch, *ts)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fn(cr, *xs)
        assert_close(out, expected, "fwd", dtype=dtype)
        if not grad:
            return
        # an upstream gradient of ones (not out.sum(): inf + -inf would be the sum's nan, not the op's)
        cr.autograd.backward([out], [cr.ones_like(out)])
    torch.autograd.backward([expected], [torch.ones_like(expected)])
    for i, (x, t) in enumerate(zip(xs, ts)):
        if t.grad is None:
            continue
        assert x.grad is not None, f"input {i}: no gradient"
        assert_close(x.grad, t.grad, "grad", dtype=dtype)


@pytest.mark.parametrize("op", ["fmod", "remainder"])
def test_integer_fmod_and_remainder_by_zero_raise(op: str) -> None:
    """PyTorch raises on an integer division by zero (NumPy would return 0 with a warning)."""
    i = cr.tensor([3, -3])
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        getattr(torch, op)(torch.tensor([3, -3]), 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeError, match=f"{op}: ZeroDivisionError"):
            getattr(cr, op)(i, 0)
        with pytest.raises(RuntimeError, match=f"{op}: ZeroDivisionError"):
            getattr(i, op)(cr.tensor([1, 0]))
        assert getattr(cr, op)(i, 2).tolist() == getattr(torch, op)(torch.tensor([3, -3]), 2).tolist()


def test_quiet_restores_the_error_state() -> None:
    """``quiet`` switches NumPy's warnings off only inside the block, also when the block raises."""
    from chainrule.ops.elementwise import quiet

    before = np.geterr()
    with quiet():
        assert np.geterr()["divide"] == np.geterr()["invalid"] == np.geterr()["over"] == "ignore"
        with quiet():  # nested
            pass
        assert np.geterr()["divide"] == "ignore"
    assert np.geterr() == before
    with pytest.raises(ValueError):
        with quiet():
            raise ValueError
    assert np.geterr() == before
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeWarning):
            np.array([1.0]) / np.array([0.0])  # outside the block NumPy warns again
