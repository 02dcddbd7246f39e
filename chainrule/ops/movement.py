"""Shape and indexing primitives: they move elements without arithmetic, so each backward moves gradients back."""

from __future__ import annotations

from typing import Any

from ..autograd.function import Primitive
from ..backend import xp

Array = Any

# NOTE: measured break-even points: below _FLAT_MIN added elements plain add.at is cheaper than flattening the
# positions; below _ROW_SORT_MIN elements per row, sorting the index to find repeats costs more than it saves
_FLAT_MIN = 256
_ROW_SORT_MIN = 32


def index_add(out: Array, index: Any, v: Array, zeroed: bool = False) -> None:
    """``out[index] += v`` in place, where a position that ``index`` picks several times gets every addition.

    NOTE: ``xp.add.at`` is exact but slow on rows: NumPy's fast path is a 1-D target with a 1-D index, so for a
    plain index array (rows of ``out``) the positions are flattened first. With wide rows the index is sorted
    instead: the first occurrence of each row is a plain vectorised update (``=`` into a ``zeroed`` target) and
    only the repeats go through ``add.at``; when most rows are repeats, each distinct row's sum comes from one
    ``add.reduceat``. Each element still receives its additions in index order.
    """
    if not out.flags.c_contiguous:  # the flat view below would be a copy
        xp.add.at(out, index, v)
        return
    if isinstance(index, xp.ndarray) and index.dtype.kind in "iu" and out.ndim > 1 and \
            index.size * out[0].size >= _FLAT_MIN:
        rows = index.reshape(-1).astype(xp.intp, copy=False)  # NOTE: uint64 + int64 positions would be float
        if rows.size == 0:
            return
        if rows.min() < 0:
            rows = xp.where(rows < 0, rows + out.shape[0], rows)
        width = out[0].size
        vr = xp.broadcast_to(v, index.shape + out.shape[1:]).reshape((rows.size,) + out.shape[1:])
        if width >= _ROW_SORT_MIN:
            order = xp.argsort(rows, kind="stable")
            s = rows[order]
            first = xp.empty(s.shape, dtype=bool)
            first[0] = True
            xp.not_equal(s[1:], s[:-1], out=first[1:])
            if first.all():
                if zeroed:
                    out[rows] = vr
                else:
                    out[rows] += vr
                return
            starts = xp.flatnonzero(first)
            if 2 * starts.size < rows.size:  # mostly repeats: one segment sum per distinct row, in index order
                sums = xp.add.reduceat(vr[order], starts, axis=0)
                if zeroed:
                    out[s[starts]] = sums
                else:
                    out[s[starts]] += sums
                return
            head, order = order[first], order[~first]
            if zeroed:
                out[rows[head]] = vr[head]
            else:
                out[rows[head]] += vr[head]
            rows, vr = rows[order], vr[order]
        flat = (rows[:, None] * width + xp.arange(width)).reshape(-1)
        xp.add.at(out.reshape(-1), flat, vr.reshape(-1))
        return
    xp.add.at(out, index, v)  # any other index (tuples, slices): NumPy's general path


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
            index_add(out, self.index, g, zeroed=True)
        else:
            out[self.index] = g
        return out


class IndexPut(Primitive):
    """``a[index] = v`` as a new array (``Tensor.__setitem__`` on a recorded tensor, and ``index_put``)."""

    def forward(self, a: Array, v: Array, index: Any, accumulate: bool) -> Array:
        out = a.copy()
        if accumulate:
            index_add(out, index, v)
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
