"""Resampling along one axis: the primitive behind ``F.interpolate`` (nearest and linear modes).

Nearest and (bi)linear interpolation are separable: a 2-D resize is a 1-D resize along W, then one along H. Along
an axis every output is ``w0 * x[i0] + w1 * x[i1]`` with source indices that never decrease, so the backward is a
segmented sum over runs of outputs, not a scatter.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Primitive
from ..backend import xp

Array = Any

__all__ = ["Resample1d", "nearest_indices", "linear_indices"]


def nearest_indices(size: int, out: int, scale: float | None, exact: bool = False) -> Array:
    """PyTorch's source index of each output for mode 'nearest' (``floor(dst * s)``) or 'nearest-exact'
    (``floor((dst + 0.5) * s)``), with ``s = 1 / scale_factor`` when given else ``size / out``.

    NOTE: computed in float32 as PyTorch does for every dtype, so that the floor lands on the same index.
    """
    if out == size and not exact:
        return xp.arange(out)
    if out == 2 * size and not exact:
        return xp.arange(out) // 2
    s = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(size) / np.float32(out)
    dst = xp.arange(out, dtype=xp.float32)
    if exact:
        dst += np.float32(0.5)
    return xp.minimum(xp.floor(dst * s).astype(xp.int64), size - 1)


def linear_indices(size: int, out: int, scale: float | None, align_corners: bool,
                   dtype: Any) -> tuple[Array, Array, Array, Array]:
    """PyTorch's linear-interpolation sources ``(i0, i1, w0, w1)`` of each output along one axis.

    ``align_corners``: ``src = dst (size - 1) / (out - 1)``; otherwise ``src = (dst + 0.5) s - 0.5`` clamped at 0,
    with ``s`` as in :func:`nearest_indices`. ``i0 = floor(src)``, ``i1 = i0 + 1`` (``i0`` at the last element),
    ``w1 = src - i0``, ``w0 = 1 - w1``. Computed in the input's dtype, as PyTorch.
    """
    ft = np.dtype(dtype).type
    if align_corners:
        s = ft(size - 1) / ft(out - 1) if out > 1 else ft(0)
        src = xp.arange(out, dtype=dtype) * s
    else:
        s = ft(1.0 / scale) if scale is not None and scale > 0 else ft(size) / ft(out)
        src = xp.maximum((xp.arange(out, dtype=dtype) + ft(0.5)) * s - ft(0.5), ft(0))
    i0 = xp.minimum(xp.floor(src).astype(xp.int64), size - 1)
    w1 = xp.clip(src - i0.astype(dtype), ft(0), ft(1))
    i1 = i0 + (i0 < size - 1)
    return i0, i1, ft(1) - w1, w1


def _segment_sum(g: Array, idx: Array, size: int, axis: int) -> Array:
    """``out[..., i, ...] = sum of g[..., j, ...] over j with idx[j] == i`` for a non-decreasing ``idx``.

    NOTE: the sources of one input are a run of consecutive outputs, at most ``L`` long (2 or 3 when upsampling),
    so the sum is ``L`` gathers of whole slabs -- several times faster than ``add.reduceat`` over many short
    segments along a strided axis.
    """
    uniq, first, counts = xp.unique(idx, return_index=True, return_counts=True)
    bshape = [1] * g.ndim
    bshape[axis] = -1
    acc = xp.take(g, first, axis=axis)
    for m in range(1, int(counts.max())):
        part = xp.take(g, xp.minimum(first + m, g.shape[axis] - 1), axis=axis)
        short = counts <= m
        if short.any():  # runs shorter than m + 1 contribute nothing at this step
            part *= (~short).reshape(bshape)
        acc += part
    if len(uniq) == size:
        return acc
    shape = list(g.shape)
    shape[axis] = size
    out = xp.zeros(shape, dtype=g.dtype)
    sel: list[Any] = [slice(None)] * g.ndim
    sel[axis] = uniq
    out[tuple(sel)] = acc
    return out


class Resample1d(Primitive):
    """``y = w0 * take(x, i0, axis) + w1 * take(x, i1, axis)`` (nearest: only ``i0``, weight 1).

    ``i0`` and ``i1`` are non-decreasing, so ``dx = segsum(g w0 at i0) + segsum(g w1 at i1)``.
    """

    def forward(self, x: Array, axis: int, i0: Array, i1: Array = None, w0: Array = None, w1: Array = None) -> Array:
        self.axis, self.size, self.i0, self.i1 = axis, x.shape[axis], i0, i1
        bshape = [1] * x.ndim
        bshape[axis] = -1
        y = xp.take(x, i0, axis=axis)
        if i1 is None:
            return y
        self.w0, self.w1 = w0.reshape(bshape), w1.reshape(bshape)
        y *= self.w0
        y += xp.take(x, i1, axis=axis) * self.w1
        return y

    def backward(self, g: Array) -> tuple[Array]:
        if self.i1 is None:
            return (_segment_sum(g, self.i0, self.size, self.axis),)
        dx = _segment_sum(g * self.w0, self.i0, self.size, self.axis)
        dx += _segment_sum(g * self.w1, self.i1, self.size, self.axis)
        return (dx,)
