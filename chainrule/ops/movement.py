"""Shape and indexing primitives: they move elements without arithmetic, so each backward moves gradients back."""

from __future__ import annotations

from typing import Any

from ..autograd.function import Primitive
from ..backend import xp

Array = Any


class Reshape(Primitive):
    def forward(self, a: Array, shape: tuple[int, ...]) -> Array:
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, g: Array) -> Array:
        return g.reshape(self.shape)


class Permute(Primitive):
    def forward(self, a: Array, axes: tuple[int, ...]) -> Array:
        self.axes = axes
        return a.transpose(axes)

    def backward(self, g: Array) -> Array:
        return g.transpose(tuple(xp.argsort(self.axes)))


class Expand(Primitive):
    """Broadcast to a larger shape without copying; the engine sums the gradient back to the input's shape."""

    def forward(self, a: Array, shape: tuple[int, ...]) -> Array:
        return xp.broadcast_to(a, shape)

    def backward(self, g: Array) -> Array:
        return g


class Flip(Primitive):
    def forward(self, a: Array, axes: tuple[int, ...]) -> Array:
        self.axes = axes
        return xp.flip(a, axes)

    def backward(self, g: Array) -> Array:
        return xp.flip(g, self.axes)


class GetItem(Primitive):
    """``a[index]`` for a normalised NumPy index. With integer-array indices a position can be picked twice, so the
    backward accumulates with ``add.at``; otherwise the gradient is written into place."""

    def forward(self, a: Array, index: Any, accumulate: bool) -> Array:
        self.shape, self.dtype, self.index, self.accumulate = a.shape, a.dtype, index, accumulate
        return a[index]

    def backward(self, g: Array) -> Array:
        out = xp.zeros(self.shape, dtype=g.dtype)
        if self.accumulate:
            xp.add.at(out, self.index, g)
        else:
            out[self.index] = g
        return out


class IndexPut(Primitive):
    """``a[index] = v`` as a new array (``Tensor.__setitem__`` on a recorded tensor, and ``index_put``)."""

    def forward(self, a: Array, v: Array, index: Any, accumulate: bool) -> Array:
        out = a.copy()
        if accumulate:
            xp.add.at(out, index, v)
        else:
            out[index] = v
        self.index, self.vshape, self.accumulate = index, xp.shape(v), accumulate
        return out

    def backward(self, g: Array) -> tuple[Array | None, Array | None]:
        ga = gv = None
        if self.needs_input_grad[0]:
            ga = g
            if not self.accumulate:
                ga = g.copy()
                ga[self.index] = 0  # overwritten positions do not depend on a
        if self.needs_input_grad[1]:
            gv = g[self.index]
        return ga, gv


class Cat(Primitive):
    def forward(self, *arrays: Array, axis: int) -> Array:
        self.axis = axis
        self.bounds = xp.cumsum([x.shape[axis] for x in arrays])[:-1]
        return xp.concatenate(arrays, axis=axis)

    def backward(self, g: Array) -> tuple[Array, ...]:
        return tuple(xp.split(g, self.bounds, axis=self.axis))


class Stack(Primitive):
    def forward(self, *arrays: Array, axis: int) -> Array:
        self.axis = axis
        return xp.stack(arrays, axis=axis)

    def backward(self, g: Array) -> tuple[Array, ...]:
        return tuple(xp.moveaxis(g, self.axis, 0))


class Pad(Primitive):
    """Constant padding; ``widths`` is NumPy's ((before, after), ...) per axis, all non-negative."""

    def forward(self, a: Array, widths: tuple[tuple[int, int], ...], value: float) -> Array:
        self.crop = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, a.shape))
        return xp.pad(a, widths, mode="constant", constant_values=value)

    def backward(self, g: Array) -> Array:
        return g[self.crop]


class Gather(Primitive):
    """``out[i][j][k] = a[i][index[i][j][k]][k]`` along ``axis`` (torch.gather); index may be smaller than ``a`` in
    the other dimensions. Repeated indices accumulate in the backward."""

    def forward(self, a: Array, index: Array, axis: int) -> Array:
        if not a.ndim:  # a 0-d tensor: the only valid index is 0, and the result is the element
            self.shape, self.full = a.shape, ()  # type: tuple[int, ...], tuple[Any, ...]
            return a.copy()
        grids = xp.ogrid[tuple(slice(0, n) for n in index.shape)]
        full = tuple(index if d == axis else grids[d] for d in range(a.ndim))
        self.shape, self.full = a.shape, full
        return a[full]

    def backward(self, g: Array) -> tuple[Array, None]:
        out = xp.zeros(self.shape, dtype=g.dtype)
        xp.add.at(out, self.full, g)
        return out, None


class Copy(Primitive):
    """A C-contiguous copy (``clone``, ``contiguous``); the gradient passes through unchanged."""

    def forward(self, a: Array) -> Array:
        return xp.array(a, copy=True, order="C")

    def backward(self, g: Array) -> Array:
        return g
