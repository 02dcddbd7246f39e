"""Scatter primitives: write (or reduce) the elements of ``src`` into a copy of ``a`` at positions an index picks.

For ``axis = 1`` of a 3-D tensor, each element of ``index`` names where its ``src`` element goes::

    out[i][index[i][j][k]][k] = src[i][j][k]          (scatter)
    out[i][index[i][j][k]][k] op= src[i][j][k]        (scatter_reduce, op one of sum, prod, mean, amax, amin)

``index`` may be smaller than ``src`` in every dimension; only the leading ``index.shape`` block of ``src`` is used.
The backward of a scatter w.r.t. ``src`` is a gather of the output gradient at the same positions.
"""

from __future__ import annotations

from typing import Any

from ..autograd.function import Primitive
from ..backend import xp

Array = Any

REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")
_UFUNC = {"sum": xp.add, "mean": xp.add, "prod": xp.multiply, "amax": xp.maximum, "amin": xp.minimum}


def positions(index: Array, axis: int) -> tuple[Array, ...]:
    """The full NumPy index of the positions ``index`` addresses along ``axis`` (open grids elsewhere)."""
    grids = xp.ogrid[tuple(slice(0, n) for n in index.shape)]
    return tuple(index if d == axis else grids[d] for d in range(index.ndim))


def _block(src: Array, shape: tuple[int, ...]) -> Array:
    """The leading ``shape`` block of ``src`` (the part a scatter reads)."""
    return src if src.shape == shape else src[tuple(slice(0, n) for n in shape)]


def _unblock(g: Array, src_shape: tuple[int, ...]) -> Array:
    """A gradient of the leading block, zero-padded to the whole of ``src`` (elements past ``index`` are unused)."""
    if g.shape == src_shape:
        return g
    out = xp.zeros(src_shape, dtype=g.dtype)
    out[tuple(slice(0, n) for n in g.shape)] = g
    return out


def _identity(reduce: str, dtype: Any) -> Any:
    """The value a position starts from when ``include_self=False``: the neutral element of the reduction."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -xp.inf if reduce == "amax" else xp.inf
    if dtype.kind == "b":
        return reduce == "amin"
    info = xp.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def scatter_reduce(a: Array, s: Array, pos: tuple[Array, ...], reduce: str, include_self: bool) -> tuple[Array, Array]:
    """``(out, count)``: ``a`` with the ``s`` elements reduced into ``pos``; ``count`` (mean only, else None) is how
    many values each position averaged."""
    out = a.copy()
    if not include_self:
        out[pos] = _identity(reduce, a.dtype)
    _UFUNC[reduce].at(out, pos, s)
    count = None
    if reduce == "mean":
        count = xp.ones(a.shape, dtype=a.dtype) if include_self else xp.zeros(a.shape, dtype=a.dtype)
        xp.add.at(count, pos, 1)
        count[count == 0] = 1  # untouched positions (include_self=False) keep a: divide by 1
        out = out / count if a.dtype.kind == "f" else out // count  # NOTE: PyTorch floors the integer mean
    return out, count


class Scatter(Primitive):
    """``out = a`` with ``out[pos] = src`` (later writes win where ``index`` repeats a position, as on PyTorch's CPU).

    d out / d a is 1 except at the overwritten positions; d out / d src gathers the gradient at ``pos``.
    """

    def forward(self, a: Array, src: Array, index: Array, axis: int) -> Array:
        pos = positions(index, axis)
        out = a.copy()
        out[pos] = _block(src, index.shape)
        self.pos, self.src_shape = pos, src.shape
        return out

    def backward(self, g: Array) -> tuple[Array | None, Array | None]:
        ga = gs = None
        if self.needs_input_grad[0]:
            ga = g.copy()
            ga[self.pos] = 0  # overwritten: the output there does not depend on a
        if self.needs_input_grad[1]:
            gs = _unblock(g[self.pos], self.src_shape)
        return ga, gs


class ScatterReduce(Primitive):
    """``out = a`` with every ``src`` element reduced into ``out[pos]`` (``include_self=False``: ``a`` left out there).

    Gradients, as PyTorch's ``scatter_reduce_backward``:
    sum: g to a, g[pos] to src. mean: both divided by the count of each position. prod: g times the product of the
    other factors (computed without dividing by a zero factor). amax/amin: g split evenly among the values equal to
    the result (ties share it).
    """

    def forward(self, a: Array, src: Array, index: Array, axis: int, reduce: str, include_self: bool) -> Array:
        pos = positions(index, axis)
        s = _block(src, index.shape)
        out, self.count = scatter_reduce(a, s, pos, reduce, include_self)
        self.pos, self.src_shape, self.reduce, self.include_self = pos, src.shape, reduce, include_self
        if reduce in ("prod", "amax", "amin"):
            self.a, self.s, self.out = a, s, out
        return out

    def backward(self, g: Array) -> tuple[Array | None, Array | None]:
        pos, r = self.pos, self.reduce
        if r == "sum":
            ga, gs = g, g[pos]
        elif r == "mean":
            ga = g / self.count
            gs = g[pos] / self.count[pos]
        elif r == "prod":
            ga, gs = self._prod_grads(g)
        else:
            a, s, out = self.a, self.s, self.out
            value = out[pos]
            n_tied = (a == out).astype(g.dtype)
            xp.add.at(n_tied, pos, (s == value).astype(g.dtype))
            with xp.errstate(divide="ignore", invalid="ignore"):  # NaN results match nothing: 0/0, as PyTorch
                share = g / n_tied
            ga = (a == out) * share
            gs = (s == value) * share[pos]
        if not self.include_self:
            ga = ga.copy() if ga is g else ga
            ga[pos] = 0  # a was left out of these positions
        return (ga if self.needs_input_grad[0] else None,
                _unblock(gs, self.src_shape) if self.needs_input_grad[1] else None)

    def _prod_grads(self, g: Array) -> tuple[Array, Array]:
        """d prod / d factor = product of the other factors; a zero factor is replaced by 1 before dividing.

        NOTE: dividing the result by a factor gives 0/0 where that factor is 0. For a: the product taken with zeros
        of ``a`` set to 1 is exactly the product of the others. For src: a zero that is the only zero at its
        position gets the product with itself set to 1; where several zeros meet, every other product is 0.
        """
        a, s, out, pos, inc = self.a, self.s, self.out, self.pos, self.include_self
        a1 = xp.where(a == 0, 1, a)
        ga = g * scatter_reduce(a1, s, pos, "prod", inc)[0] / a1
        s_zero = s == 0
        zeros_at = xp.zeros(a.shape, dtype=g.dtype)
        xp.add.at(zeros_at, pos, s_zero.astype(g.dtype))
        single = s_zero & (zeros_at[pos] == 1)
        others = (g * scatter_reduce(a, xp.where(single, 1, s), pos, "prod", inc)[0])[pos]
        gs = xp.where(single, others, (g * out)[pos] / xp.where(s_zero, 1, s))
        return ga, gs
