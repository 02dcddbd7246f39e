"""Finite-difference check of analytical gradients, as ``torch.autograd.gradcheck``."""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from .engine import grad as _grad
from .function import tensor_class
from .grad_mode import no_grad

__all__ = ["gradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when analytical and numerical Jacobians differ."""


def _outputs(fn: Callable[..., Any], inputs: tuple[Any, ...]) -> list[Any]:
    T = tensor_class()
    out = fn(*inputs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if isinstance(o, T) and o.dtype.is_floating_point]


def gradcheck(func: Callable[..., Any], inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad: bool = True,
              fast_mode: bool = False) -> bool:
    """Compare the Jacobian from backward with central differences ``(f(x + eps) - f(x - eps)) / (2 eps)``.

    For every floating-point input that requires grad and every output element, the analytical and numerical
    derivatives must agree within ``atol + rtol * |numerical|``. Use float64 inputs: in float32 the finite difference
    itself is too coarse. Returns True, or raises ``GradcheckError`` (False with ``raise_exception=False``).
    """
    T = tensor_class()
    inputs = (inputs,) if isinstance(inputs, T) else tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, T) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for i in diff:
        if inputs[i].dtype.name != "float64":
            warnings.warn(f"gradcheck: input {i} is {inputs[i].dtype}, not float64; the check may fail on rounding",
                          stacklevel=2)

    outs = _outputs(func, inputs)
    # analytical Jacobian: one backward per output element, with a one-hot gradient
    analytical = {(o, i): np.zeros((outs[o]._data.size, inputs[i]._data.size)) for o in range(len(outs)) for i in diff}
    for o, out in enumerate(outs):
        for k in range(out._data.size):
            seed = np.zeros(out._data.size, dtype=out._data.dtype)
            seed[k] = 1.0
            if not out.requires_grad:
                continue
            gs = _grad([out], [inputs[i] for i in diff], [T._make(seed.reshape(out._data.shape), None, False)],
                       retain_graph=True, allow_unused=True)
            for i, g in zip(diff, gs):
                if g is not None:
                    analytical[(o, i)][k] = g._data.ravel()

    # numerical Jacobian: perturb one input element at a time
    with no_grad():
        for i in diff:
            x = inputs[i]._data
            flat = x.reshape(-1)  # a view when contiguous; otherwise work on a copy written back below
            if x.size and not np.shares_memory(flat, x):
                raise ValueError(f"gradcheck: input {i} must be contiguous")
            for j in range(flat.size):
                orig = flat[j].copy()
                flat[j] = orig + eps
                plus = [o._data.astype(np.float64).ravel() for o in _outputs(func, inputs)]
                flat[j] = orig - eps
                minus = [o._data.astype(np.float64).ravel() for o in _outputs(func, inputs)]
                flat[j] = orig
                for o in range(len(outs)):
                    num = (plus[o] - minus[o]) / (2 * eps)
                    ana = analytical[(o, i)][:, j]
                    if not np.allclose(ana, num, rtol=rtol, atol=atol):
                        msg = (f"Jacobian mismatch for output {o} with respect to input {i}, element {j}:\n"
                               f"numerical: {num}\nanalytical: {ana}")
                        if raise_exception:
                            raise GradcheckError(msg)
                        return False
    return True
