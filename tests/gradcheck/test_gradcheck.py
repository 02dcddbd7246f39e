"""Every differentiable row of the op table against finite differences (float64), and a check that the checker
itself fails on a wrong backward."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd.gradcheck import GradcheckError
from tests.op_table import GRADCHECK_CASES, Case, make_arrays


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=c.marks("gradcheck")) for c in GRADCHECK_CASES])
def test_gradcheck(case: Case) -> None:
    # gradcheck perturbs the inputs in place, so they are contiguous copies; the layouts are covered by the parity test
    xs = [cr.from_numpy(a) for a in make_arrays(case, np.float64, contiguous=True)]
    for x, spec in zip(xs, case.inputs):
        if spec.is_float:
            x.requires_grad_(True)
    assert cr.autograd.gradcheck(lambda *ins: case.run(cr, *ins), xs, eps=1e-6, atol=1e-5, rtol=1e-3)


class _WrongExp(cr.autograd.Function):
    """exp with a backward that is off by a factor of 1.01: close, but wrong."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (y,) = ctx.saved_tensors
        return g * y * 1.01


class _RightExp(_WrongExp):
    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (y,) = ctx.saved_tensors
        return g * y


class _SwappedMul(cr.autograd.Function):
    """a * b whose backward swaps the two gradients: right only where a == b."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        a, b = ctx.saved_tensors
        return g * a, g * b


def _x(*shape: int) -> Any:
    return cr.from_numpy(np.random.default_rng(0).standard_normal(shape)).requires_grad_(True)


def test_gradcheck_passes_a_right_custom_function() -> None:
    assert cr.autograd.gradcheck(_RightExp.apply, (_x(3, 2),))


@pytest.mark.parametrize("fn,inputs", [
    pytest.param(lambda x: _WrongExp.apply(x), lambda: (_x(3, 2),), id="scaled"),
    pytest.param(lambda a, b: _SwappedMul.apply(a, b), lambda: (_x(3,), _x(3,) + 1.0), id="swapped"),
    pytest.param(lambda a, b: _SwappedMul.apply(a, b).sum(), lambda: (_x(4,), _x(4,).detach() * 2), id="one_input"),
])
def test_gradcheck_fails_on_a_wrong_backward(fn: Any, inputs: Any) -> None:
    ins = inputs()
    ins = tuple(i.detach().requires_grad_(True) if i.grad_fn is not None else i for i in ins)
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        cr.autograd.gradcheck(fn, ins)
    assert cr.autograd.gradcheck(fn, ins, raise_exception=False) is False
