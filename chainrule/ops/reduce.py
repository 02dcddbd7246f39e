"""Reductions and scans. ``axis`` is a tuple of non-negative axes (or None for all) normalised by the caller."""

from __future__ import annotations

import math
from typing import Any

from ..autograd.function import Primitive
from ..backend import xp

Array = Any
Axis = "tuple[int, ...] | None"


def _expand_back(g: Array, shape: tuple[int, ...], axis: tuple[int, ...] | None, keepdim: bool) -> Array:
    """Give a reduced gradient its reduced axes back (size 1) so that it broadcasts against the input."""
    if keepdim or axis is None:
        return g.reshape([1] * len(shape)) if axis is None else g
    return xp.expand_dims(g, axis)


class Sum(Primitive):
    def forward(self, a: Array, axis: tuple[int, ...] | None, keepdim: bool, dtype: Any = None) -> Array:
        self.shape, self.axis, self.keepdim = a.shape, axis, keepdim
        return a.sum(axis=axis, keepdims=keepdim, dtype=dtype)

    def backward(self, g: Array) -> Array:
        return xp.broadcast_to(_expand_back(g, self.shape, self.axis, self.keepdim), self.shape)


class Mean(Primitive):
    def forward(self, a: Array, axis: tuple[int, ...] | None, keepdim: bool) -> Array:
        self.shape, self.axis, self.keepdim = a.shape, axis, keepdim
        n = a.size if axis is None else _count(a.shape, axis)
        self.n = n
        if n == 0:  # the mean of nothing is nan, as in PyTorch (NumPy warns 'Mean of empty slice')
            return xp.full(a.sum(axis=axis, keepdims=keepdim).shape, xp.nan, dtype=a.dtype)
        return a.mean(axis=axis, keepdims=keepdim)

    def backward(self, g: Array) -> Array:
        return xp.broadcast_to(_expand_back(g, self.shape, self.axis, self.keepdim) / max(self.n, 1), self.shape)


def _count(shape: tuple[int, ...], axis: tuple[int, ...]) -> int:
    n = 1
    for ax in axis:
        n *= shape[ax]
    return n


class Amax(Primitive):
    """max over ``axis`` (min with ``smallest``); the gradient is shared evenly among tied maxima, as in PyTorch."""

    def forward(self, a: Array, axis: tuple[int, ...] | None, keepdim: bool, smallest: bool = False) -> Array:
        out = a.min(axis=axis, keepdims=True) if smallest else a.max(axis=axis, keepdims=True)
        self.a, self.outk, self.axis, self.keepdim = a, out, axis, keepdim
        if keepdim:
            return out
        return out.reshape(()) if axis is None else out.squeeze(axis)

    def backward(self, g: Array) -> Array:
        mask = self.a == self.outk
        if self.axis is None and xp.isnan(self.outk).any():  # NOTE: PyTorch's full max/min: the gradient to the nans
            mask = xp.isnan(self.a)
        gk = _expand_back(g, self.a.shape, self.axis, self.keepdim)
        # NOTE: count the ties in g's dtype: float32 / an int64 count would promote the gradient to float64. A slice
        # with a nan has no match (count 0): its gradient is nan, as in PyTorch
        with xp.errstate(divide="ignore", invalid="ignore"):
            return mask * (gk / mask.sum(axis=self.axis, keepdims=True, dtype=g.dtype))


class Prod(Primitive):
    """Product over one axis (or all elements); the gradient prod_{j != i} a_j is built from exclusive cumulative
    products, so zeros in the input need no special case."""

    def forward(self, a: Array, axis: int | None, keepdim: bool) -> Array:
        self.a, self.axis, self.keepdim = a, axis, keepdim
        return a.prod(axis=axis, keepdims=keepdim)

    def backward(self, g: Array) -> Array:
        a, axis = self.a, self.axis
        if a.size == 0:  # an empty product is 1 whatever its (no) inputs
            return xp.zeros_like(a)
        flat = axis is None
        x = a.reshape(-1) if flat else a
        ax = 0 if flat else axis
        ones = xp.ones_like(xp.take(x, [0], axis=ax))
        left = xp.concatenate([ones, xp.cumprod(xp.take(x, range(x.shape[ax] - 1), axis=ax), axis=ax)], axis=ax)
        rev = xp.flip(x, ax)
        right = xp.flip(xp.concatenate([ones, xp.cumprod(xp.take(rev, range(x.shape[ax] - 1), axis=ax), axis=ax)],
                                       axis=ax), ax)
        others = (left * right).reshape(a.shape)
        gk = g.reshape([1] * a.ndim) if flat else (g if self.keepdim else xp.expand_dims(g, axis or 0))
        return gk * others


class Cumsum(Primitive):
    def forward(self, a: Array, axis: int, dtype: Any = None) -> Array:
        self.axis = axis
        return xp.cumsum(a, axis=axis, dtype=dtype)

    def backward(self, g: Array) -> Array:
        # d/da_i of sum_j>=i ... : the gradient is the reversed cumulative sum of g
        return xp.flip(xp.cumsum(xp.flip(g, self.axis), axis=self.axis), self.axis)


class LogSumExp(Primitive):
    """log(sum(exp(a))) over ``axis``, shifted by the max so that exp never overflows."""

    def forward(self, a: Array, axis: tuple[int, ...] | None, keepdim: bool) -> Array:
        m = a.max(axis=axis, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)  # NOTE: a slice of all -inf must give -inf, not nan
        with xp.errstate(divide="ignore"):
            outk = xp.log(xp.exp(a - m).sum(axis=axis, keepdims=True)) + m
        self.a, self.outk, self.axis, self.keepdim = a, outk, axis, keepdim
        if keepdim:
            return outk
        return outk.reshape(()) if axis is None else outk.squeeze(axis)

    def backward(self, g: Array) -> Array:
        gk = _expand_back(g, self.a.shape, self.axis, self.keepdim)
        return gk * xp.exp(self.a - self.outk)


_EXP_BOUNDS: dict[Any, tuple[float, float]] = {}  # dtype -> (log(tiny) + 1, log(max) - 1)


def _shift_free(a: Array, n: int) -> bool:
    """True when ``exp(a)`` needs no max shift before a sum of ``n`` terms: no term overflows or underflows."""
    bounds = _EXP_BOUNDS.get(a.dtype)
    if bounds is None:
        fi = xp.finfo(a.dtype)
        bounds = _EXP_BOUNDS[a.dtype] = (math.log(float(fi.tiny)) + 1.0, math.log(float(fi.max)) - 1.0)
    # NOTE: a nan or an infinity fails both comparisons and takes the shifted path
    return bool(bounds[0] <= a.min()) and bool(a.max() <= bounds[1] - math.log(n))


class Softmax(Primitive):
    """softmax(a)_i = exp(a_i - max) / sum_j exp(a_j - max) along ``axis``.

    NOTE: the shift by the row max only guards exp against overflow (and the sum against underflow). When every
    element lies where exp is a normal number and the sum of a row cannot overflow, exp(a) is used unshifted: the
    same quotient to rounding, without a broadcast subtraction over the whole array (min and max of the whole array
    are two cheap contiguous reductions). One output array is allocated and filled in place.
    """

    def forward(self, a: Array, axis: int) -> Array:
        e = xp.empty(a.shape, a.dtype)
        if a.size == 0:
            self.out, self.axis = e, axis
            return e
        if _shift_free(a, a.shape[axis] if a.ndim else 1):
            xp.exp(a, out=e)
        else:
            xp.subtract(a, a.max(axis=axis, keepdims=True), out=e)
            xp.exp(e, out=e)
        e /= e.sum(axis=axis, keepdims=True)
        self.out, self.axis = e, axis
        return e

    def backward(self, g: Array) -> Array:
        out, axis = self.out, self.axis
        if out.ndim == 0:
            return out * (g - g * out)
        # J^T g = out * (g - <g, out>); the row dot product without a temporary product array
        r = g - xp.expand_dims(xp.vecdot(g, out, axis=axis), axis)  # type: ignore[call-overload] # stub lacks axis
        r *= out
        return r


class LogSoftmax(Primitive):
    """log_softmax(a)_i = a_i - max - log(sum_j exp(a_j - max)) along ``axis``.

    NOTE: the max shift is skipped when it is not needed (see :class:`Softmax`). The exponentials and their row sums
    are kept for the backward, softmax = e / sum(e), which then needs no exp of its own.
    """

    def forward(self, a: Array, axis: int) -> Array:
        out = xp.empty(a.shape, a.dtype)
        self.axis = axis
        if a.size == 0:
            return out
        if _shift_free(a, a.shape[axis] if a.ndim else 1):
            src = a
        else:
            src = xp.subtract(a, a.max(axis=axis, keepdims=True), out=out)
        e = xp.exp(src, out=xp.empty(a.shape, a.dtype))
        s = e.sum(axis=axis, keepdims=True)
        xp.subtract(src, xp.log(s), out=out)
        if self.needs_input_grad[0]:
            self.e, self.s = e, s
        return out

    def backward(self, g: Array) -> Array:
        if g.size == 0:
            return xp.zeros_like(g)
        gs = g.sum(axis=self.axis, keepdims=True)
        gs /= self.s
        r = xp.multiply(self.e, gs, out=xp.empty(g.shape, g.dtype))
        return xp.subtract(g, r, out=r)
