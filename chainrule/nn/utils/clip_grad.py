"""Gradient clipping by total norm and by value, in place on the ``.grad`` of parameters (PyTorch's semantics)."""

from __future__ import annotations

import math
import warnings
from typing import Iterable, Union

import numpy as np

from ...dtypes import get_default_dtype
from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]

TensorOrTensors = Union[Tensor, Iterable[Tensor]]


def _norm(a: np.ndarray, p: float) -> np.ndarray:
    """The p-norm of all elements of ``a`` (``torch.linalg.vector_norm``), in ``a``'s dtype."""
    if a.size == 0:
        return np.zeros((), dtype=a.dtype)
    if p == 2.0:
        flat = a.reshape(-1)
        return np.sqrt(np.dot(flat, flat))
    if p == math.inf:
        return np.abs(a).max()
    if p == -math.inf:
        return np.abs(a).min()
    if p == 0.0:
        return np.asarray(np.count_nonzero(a), dtype=a.dtype)
    if p == 1.0:
        return np.abs(a).sum()
    return (np.abs(a) ** p).sum() ** (1.0 / p)


def get_total_norm(tensors: TensorOrTensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: bool | None = None) -> Tensor:
    r"""The p-norm of all elements of ``tensors`` taken together, as if concatenated into one vector:
    :math:`\|(\|t_1\|_p, \dots, \|t_n\|_p)\|_p`.

    Args:
        tensors (Tensor or iterable of Tensors): the tensors (usually gradients).
        norm_type (float): :math:`p`; ``float('inf')`` for the max-norm. Default: 2.
        error_if_nonfinite (bool): raise if the norm is nan or inf. Default: False.
        foreach (bool, optional): accepted for PyTorch compatibility; ignored.

    Returns:
        the total norm, a 0-d tensor.
    """
    ts = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    p = float(norm_type)
    if not ts:
        return Tensor._make(np.zeros((), dtype=get_default_dtype().np), None, False)
    norms = [_norm(t._data if isinstance(t, Tensor) else np.asarray(t), p) for t in ts]
    total = np.asarray(_norm(np.stack(norms), p))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {p} for gradients from `parameters` is non-finite, so it "
                           "cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
                           "anyway, set `error_if_nonfinite=False`")
    return Tensor._make(total, None, False)


def clip_grads_with_norm_(parameters: TensorOrTensors, max_norm: float, total_norm: Tensor,
                          foreach: bool | None = None) -> None:
    r"""Scale the gradients in place by :math:`\min(1, \text{max\_norm} / (\text{total\_norm} + 10^{-6}))`.

    Args:
        parameters (Tensor or iterable of Tensors): tensors whose ``.grad`` is scaled.
        max_norm (float): the largest allowed norm.
        total_norm (Tensor): the norm of the gradients (from :func:`get_total_norm`).
        foreach (bool, optional): accepted for PyTorch compatibility; ignored.
    """
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = [p.grad._data for p in params if p.grad is not None]
    if not grads:
        return
    total = total_norm._data if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    coef = np.minimum(float(max_norm) / (total + 1e-6), 1.0)  # in the norm's dtype, as PyTorch
    if coef >= 1.0:
        return
    # NOTE: a nan coefficient (non-finite norm) still scales the gradients, into nan, as in PyTorch -- silently
    with np.errstate(invalid="ignore"):
        for g in grads:
            g *= coef


def clip_grad_norm_(parameters: TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    r"""Clip the gradients of ``parameters`` in place so that their total norm is at most ``max_norm``.

    .. math::
        N = \Big(\sum_i \|g_i\|_p^p\Big)^{1/p}, \qquad g_i \leftarrow g_i \min\Big(1, \frac{\text{max\_norm}}{N +
        10^{-6}}\Big)

    the norm taken over all gradients together, as if concatenated (:math:`N = \max_i \|g_i\|_\infty` for
    ``norm_type=inf``).

    Args:
        parameters (Tensor or iterable of Tensors): tensors whose ``.grad`` is clipped; those without one are skipped.
        max_norm (float): the largest allowed norm.
        norm_type (float): :math:`p`; ``float('inf')`` for the max-norm. Default: 2.
        error_if_nonfinite (bool): raise RuntimeError if the total norm is nan or inf. Default: False.
        foreach (bool, optional): accepted for PyTorch compatibility; ignored.

    Returns:
        the total norm of the gradients before clipping, a 0-d tensor.

    Example::

        >>> loss.backward()
        >>> nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        >>> opt.step()
    """
    if isinstance(parameters, Tensor):
        params = [parameters]
    else:
        is_generator = not isinstance(parameters, (list, tuple))
        params = list(parameters)
        if is_generator and not params:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2)
    grads = [p.grad for p in params if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(params, max_norm, total)
    return total


def clip_grad_value_(parameters: TensorOrTensors, clip_value: float, foreach: bool | None = None) -> None:
    r"""Clip every gradient element in place to :math:`[-\text{clip\_value}, \text{clip\_value}]`.

    Args:
        parameters (Tensor or iterable of Tensors): tensors whose ``.grad`` is clipped; those without one are skipped.
        clip_value (float): the bound.
        foreach (bool, optional): accepted for PyTorch compatibility; ignored.

    Example::

        >>> nn.utils.clip_grad_value_(model.parameters(), clip_value=0.5)
    """
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    c = float(clip_value)
    for p in params:
        if p.grad is not None:
            g = p.grad._data
            np.clip(g, -c, c, out=g)
