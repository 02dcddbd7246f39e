"""Shape, layout and indexing methods: views where NumPy gives views, copies where it must."""

from __future__ import annotations

import operator
from typing import Any, Sequence

import numpy as np

from ..ops import movement as M


def _as_shape(args: Sequence[Any], op: str = "shape") -> tuple[int, ...]:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` (and a Size, NumPy ints, one-element integer tensors).

    A float size is a TypeError, as in PyTorch, not silently truncated."""
    if len(args) == 1 and not _is_index(args[0]) and hasattr(args[0], "__iter__"):
        args = tuple(args[0])
    try:
        return tuple(operator.index(a) for a in args)
    except TypeError:
        bad = next(i for i, a in enumerate(args) if not _is_index(a))
        raise TypeError(f"{op}(): argument 'shape' must be tuple of ints, but found element of type "
                        f"{type(args[bad]).__name__} at pos {bad} (got {list(args)})") from None


def _is_index(a: Any) -> bool:
    try:
        operator.index(a)
    except TypeError:
        return False
    return True


def infer_shape(op: str, shape: tuple[int, ...], size: int) -> tuple[int, ...]:
    """Resolve one -1 in ``shape`` and check that it holds ``size`` elements (RuntimeError, as PyTorch)."""
    if shape.count(-1) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred (shape {list(shape)})")
    if any(s < -1 for s in shape):
        raise RuntimeError(f"{op}: invalid shape dimension {min(shape)} in {list(shape)}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if -1 in shape:
        if known == 0 or size % known:
            raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size {size}")
        return tuple(size // known if s == -1 else s for s in shape)
    if known != size:
        raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size {size}")
    return shape


def normalize_index(index: Any, shape: tuple[int, ...], op: str) -> tuple[Any, bool]:
    """Turn a PyTorch index into a NumPy one and say whether integer arrays may repeat positions.

    Tensors and lists become arrays; ints are bounds-checked here so that the error names the dimension as PyTorch's
    does. Returns ``(index, accumulate)``.
    """
    items = index if isinstance(index, tuple) else (index,)
    out: list[Any] = []
    accumulate = False
    dim = 0
    n_ell = sum(1 for it in items if it is Ellipsis)
    consumed = sum(1 for it in items if it is not None and it is not Ellipsis and not _is_bool_array(it))
    consumed += sum(_as_array(it).ndim - 1 for it in items if _is_bool_array(it))
    for it in items:
        if it is None:
            out.append(None)
            continue
        if it is Ellipsis:
            if n_ell > 1:
                raise IndexError(f"{op}: an index can only have a single ellipsis ('...')")
            out.append(it)
            dim += len(shape) - consumed
            continue
        if isinstance(it, slice):
            out.append(it)
            dim += 1
            continue
        if isinstance(it, (int, np.integer)) and not isinstance(it, bool):
            if dim >= len(shape):
                raise IndexError(f"{op}: too many indices for tensor of dimension {len(shape)}")
            n = shape[dim]
            if not -n <= it < n:
                raise IndexError(f"index {it} is out of bounds for dimension {dim} with size {n}")
            out.append(int(it))
            dim += 1
            continue
        arr = _as_array(it)
        if arr.dtype == np.bool_:
            out.append(arr)
            dim += max(arr.ndim, 1)
            continue
        if arr.dtype.kind not in "iu":
            raise IndexError(f"{op}: tensors used as indices must be long, int, byte or bool tensors, got {arr.dtype}")
        if dim >= len(shape):
            raise IndexError(f"{op}: too many indices for tensor of dimension {len(shape)}")
        n = shape[dim]
        if arr.size and (arr.max() >= n or arr.min() < -n):
            bad = arr.max() if arr.max() >= n else arr.min()
            raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {n}")
        out.append(arr)
        accumulate = accumulate or arr.ndim > 0
        dim += 1
    if dim > len(shape):
        raise IndexError(f"{op}: too many indices for tensor of dimension {len(shape)}")
    return (tuple(out) if len(out) != 1 or isinstance(index, tuple) else out[0]), accumulate


def _as_array(it: Any) -> np.ndarray:
    if hasattr(it, "_data"):
        return it._data
    arr = np.asarray(it)
    return arr.astype(np.int64) if arr.size == 0 and arr.dtype.kind == "f" else arr  # ``x[[]]``: an empty long index


def _split_ints(idx: tuple[Any, ...]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """Split an index that mixes ints with integer arrays into two that apply one after the other: the ints first
    (each selects and drops its dimension), then the rest.

    NOTE: NumPy counts an int as an advanced index, so ``x[1, :, [0, 0, 2]]`` would put the broadcast dimension first;
    PyTorch selects the ints first and keeps the sliced dimension in front, as this split does."""
    first: list[Any] = []
    rest: list[Any] = []
    for it in idx:
        if type(it) is int:
            first.append(it)
        elif it is None:
            rest.append(it)
        elif it is Ellipsis:
            first.append(it)
            rest.append(it)
        else:
            n = max(it.ndim, 1) if isinstance(it, np.ndarray) and it.dtype == np.bool_ else 1
            first.extend([slice(None)] * n)
            rest.append(it)
    return tuple(first), tuple(rest)


def _is_bool_array(it: Any) -> bool:
    if isinstance(it, bool):
        return False
    if hasattr(it, "_data"):
        return it._data.dtype == np.bool_
    return isinstance(it, (list, np.ndarray)) and np.asarray(it).dtype == np.bool_


class ShapeMixin:
    """Methods of :class:`~chainrule.Tensor` that change shape or layout, or index."""

    __slots__ = ()
    _data: np.ndarray

    def __getitem__(self, index: Any) -> Any:
        """NumPy/PyTorch indexing: ints, slices, None, Ellipsis, integer tensors/lists (repeats accumulate in the
        gradient) and boolean masks. Basic indexing returns a view."""
        if type(index) is int and self._data.ndim and -self._data.shape[0] <= index < self._data.shape[0]:
            return M.GetItem.apply(self, index, False)
        if type(index) is slice and self._data.ndim:
            return M.GetItem.apply(self, index, False)
        idx, accumulate = normalize_index(index, self._data.shape, "__getitem__")
        if isinstance(idx, tuple) and any(type(i) is int for i in idx) and \
                any(isinstance(i, np.ndarray) and i.dtype != np.bool_ for i in idx):
            first, rest = _split_ints(idx)
            return M.GetItem.apply(self, first, False)[rest]
        try:
            return M.GetItem.apply(self, idx, accumulate)
        except IndexError as e:
            raise IndexError(f"__getitem__: {e} (tensor of shape {tuple(self._data.shape)})") from None

    def reshape(self, *shape: Any) -> Any:
        """The same elements in a new shape (a view when the layout allows, else a copy); one dim may be -1."""
        s = infer_shape("reshape", _as_shape(shape, "reshape"), self._data.size)
        if s == self._data.shape:
            return self
        return M.Reshape.apply(self, s)

    def view(self, *shape: Any) -> Any:
        """A view with a new shape; like PyTorch, refuses a layout that would need a copy (use reshape)."""
        s = infer_shape("view", _as_shape(shape, "view"), self._data.size)
        probe = self._data.view()
        try:
            probe.shape = s
        except AttributeError:
            raise RuntimeError(f"view size is not compatible with input tensor's size and stride (shape "
                               f"{tuple(self._data.shape)} to {s}): at least one dimension spans across two "
                               "contiguous subspaces. Use .reshape(...) instead.") from None
        return M.Reshape.apply(self, s)

    def view_as(self, other: Any) -> Any:
        return self.view(other.shape)

    def reshape_as(self, other: Any) -> Any:
        return self.reshape(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Any:
        """Merge dimensions ``start_dim..end_dim`` into one."""
        if self._data.ndim == 0:
            return self.reshape(1)
        s, e = self._dim(start_dim), self._dim(end_dim)  # type: ignore[attr-defined]
        if s > e:
            raise RuntimeError(f"flatten() has invalid args: start_dim ({start_dim}) cannot come after end_dim "
                               f"({end_dim})")
        sh = self._data.shape
        return self.reshape(sh[:s] + (int(np.prod(sh[s:e + 1])),) + sh[e + 1:])

    def unflatten(self, dim: int, sizes: Sequence[int]) -> Any:
        d = self._dim(dim)  # type: ignore[attr-defined]
        sh = self._data.shape
        inner = infer_shape("unflatten", tuple(sizes), sh[d])
        return self.reshape(sh[:d] + inner + sh[d + 1:])

    def squeeze(self, dim: Any = None) -> Any:
        """Drop size-1 dimensions (only those in ``dim`` when given; others are left alone, as in PyTorch)."""
        sh = self._data.shape
        if dim is None:
            dims = [i for i, n in enumerate(sh) if n == 1]
        else:
            dims = [d for d in (self._dims(dim) or ()) if sh[d] == 1]  # type: ignore[attr-defined]
        if not dims:
            return self
        return self.reshape(tuple(n for i, n in enumerate(sh) if i not in dims))

    def unsqueeze(self, dim: int) -> Any:
        """Insert a size-1 dimension at ``dim`` (in ``[-ndim-1, ndim]``)."""
        d = self._dim(dim, self._data.ndim + 1)  # type: ignore[attr-defined]
        sh = self._data.shape
        return M.Reshape.apply(self, sh[:d] + (1,) + sh[d:])

    def permute(self, *dims: Any) -> Any:
        """Reorder the dimensions (a view)."""
        order = tuple(self._dim(d) for d in _as_shape(dims))  # type: ignore[attr-defined]
        if sorted(order) != list(range(self._data.ndim)):
            raise RuntimeError(f"permute(): the dims {list(_as_shape(dims))} are not a permutation of the "
                               f"{self._data.ndim} dimensions")
        if order == tuple(range(self._data.ndim)):
            return self
        return M.Permute.apply(self, order)

    def transpose(self, dim0: int, dim1: int) -> Any:
        """Swap two dimensions (a view)."""
        n = self._data.ndim
        if n == 0:
            return self
        a, b = self._dim(dim0), self._dim(dim1)  # type: ignore[attr-defined]
        order = list(range(n))
        order[a], order[b] = order[b], order[a]
        return self.permute(order)

    swapaxes = swapdims = transpose

    def t(self) -> Any:
        """Transpose of a matrix (1-D and 0-D tensors are returned as they are)."""
        if self._data.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self._data.ndim}D")
        return self.transpose(0, 1) if self._data.ndim == 2 else self

    def movedim(self, source: Any, destination: Any) -> Any:
        src = [source] if isinstance(source, int) else list(source)
        dst = [destination] if isinstance(destination, int) else list(destination)
        src = [self._dim(s) for s in src]  # type: ignore[attr-defined]
        dst = [self._dim(d) for d in dst]  # type: ignore[attr-defined]
        order = [d for d in range(self._data.ndim) if d not in src]
        for d, s in sorted(zip(dst, src)):
            order.insert(d, s)
        return self.permute(order)

    moveaxis = movedim

    def expand(self, *sizes: Any) -> Any:
        """Broadcast to ``sizes`` without copying (-1 keeps a dimension); size-1 dims stretch, new dims lead."""
        shape = _as_shape(sizes)
        sh = self._data.shape
        if len(shape) < len(sh):
            raise RuntimeError(f"expand: the number of sizes provided ({len(shape)}) must be greater or equal to the "
                               f"number of dimensions in the tensor ({len(sh)})")
        lead = len(shape) - len(sh)
        out = []
        for i, n in enumerate(shape):
            cur = sh[i - lead] if i >= lead else None
            if n == -1:
                if cur is None:
                    raise RuntimeError(f"expand: -1 is not allowed in a leading, non-existing dimension {i}")
                n = cur
            elif cur is not None and cur != n and cur != 1:
                raise RuntimeError(f"expand: the expanded size of the tensor ({n}) must match the existing size "
                                   f"({cur}) at non-singleton dimension {i}. Target sizes: {list(shape)}. Tensor "
                                   f"sizes: {list(sh)}")
            out.append(n)
        if tuple(out) == sh:
            return self
        return M.Expand.apply(self, tuple(out))

    def expand_as(self, other: Any) -> Any:
        return self.expand(other.shape)

    def broadcast_to(self, shape: Any) -> Any:
        return self.expand(shape)

    def repeat(self, *sizes: Any) -> Any:
        """Tile the tensor ``sizes[i]`` times along each dimension (like ``np.tile``)."""
        reps = _as_shape(sizes)
        if len(reps) < self._data.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                               "tensor")
        x = self.reshape((1,) * (len(reps) - self._data.ndim) + self._data.shape)
        sh = x._data.shape
        inter = []  # (1, s0, 1, s1, ...): a new axis before each one, expanded to r_i, then merged
        for s in sh:
            inter += [1, s]
        y = x.reshape(inter).expand([v for r, s in zip(reps, sh) for v in (r, s)])
        return y.reshape(tuple(r * s for r, s in zip(reps, sh)))

    def tile(self, *dims: Any) -> Any:
        reps = _as_shape(dims)
        return self.repeat((1,) * (self._data.ndim - len(reps)) + reps)

    def flip(self, *dims: Any) -> Any:
        """Reverse the order of elements along ``dims``."""
        axes = tuple(self._dim(d) for d in _as_shape(dims))  # type: ignore[attr-defined]
        return M.Flip.apply(self, axes)

    def contiguous(self, memory_format: Any = None) -> Any:
        return self if self._data.flags.c_contiguous else M.Copy.apply(self)

    def clone(self, memory_format: Any = None) -> Any:
        """A copy with its own memory; gradients flow back to the original."""
        return M.Copy.apply(self)

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple[Any, ...]:
        """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or pieces of the given sizes."""
        d = self._dim(dim)  # type: ignore[attr-defined]
        n = self._data.shape[d]
        if isinstance(split_size_or_sections, (int, np.integer)):
            step = int(split_size_or_sections)
            if step <= 0 and n:
                raise RuntimeError(f"split: split_size must be positive, got {step}")
            sizes = [min(step, n - i) for i in range(0, n, step)] if n else [0]
        else:
            sizes = [int(s) for s in split_size_or_sections]
            if sum(sizes) != n:
                raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                                   f"at dimension {d}), but got split_sizes={sizes}")
        out, start = [], 0
        for s in sizes:
            out.append(self.narrow(d, start, s))
            start += s
        return tuple(out)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Any, ...]:
        """Split into ``chunks`` pieces of ceil(n / chunks) along ``dim`` (fewer if they run out)."""
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        n = self._data.shape[self._dim(dim)]  # type: ignore[attr-defined]
        return self.split(max(-(-n // chunks), 1), dim)

    def unbind(self, dim: int = 0) -> tuple[Any, ...]:
        """The slices along ``dim``, each without that dimension."""
        d = self._dim(dim)  # type: ignore[attr-defined]
        return tuple(self.select(d, i) for i in range(self._data.shape[d]))

    def narrow(self, dim: int, start: int, length: int) -> Any:
        d = self._dim(dim)  # type: ignore[attr-defined]
        n = self._data.shape[d]
        start = start + n if start < 0 else start
        if not (0 <= start <= n and 0 <= length and start + length <= n):
            raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension size ({n}).")
        return M.GetItem.apply(self, (slice(None),) * d + (slice(start, start + length),), False)

    def select(self, dim: int, index: int) -> Any:
        d = self._dim(dim)  # type: ignore[attr-defined]
        n = self._data.shape[d]
        if not -n <= index < n:
            raise IndexError(f"select(): index {index} out of range for tensor of size {tuple(self._data.shape)} at "
                             f"dimension {d}")
        return M.GetItem.apply(self, (slice(None),) * d + (int(index),), False)

    def index_select(self, dim: int, index: Any) -> Any:
        """Rows (or slices along ``dim``) picked by a 1-D integer ``index``; repeats accumulate in the gradient."""
        d = self._dim(dim)  # type: ignore[attr-defined]
        idx = index._data if hasattr(index, "_data") else np.asarray(index)
        if idx.ndim > 1 or idx.dtype.kind not in "iu":
            raise IndexError(f"index_select(): index must be a 1-D integer tensor, got shape {idx.shape} dtype "
                             f"{idx.dtype}")
        return self[(slice(None),) * d + (idx.reshape(-1),)]

    def gather(self, dim: int, index: Any) -> Any:
        """``out[i][j] = self[i][index[i][j]]`` for dim=1 (any rank): picks along ``dim``; repeats accumulate."""
        d = self._dim(dim)  # type: ignore[attr-defined]
        idx = index._data if hasattr(index, "_data") else np.asarray(index)
        if idx.dtype.kind not in "iu":
            raise RuntimeError(f"gather(): Expected dtype int64 for index, got {idx.dtype}")
        if idx.ndim != self._data.ndim:
            raise RuntimeError(f"gather(): Index tensor must have the same number of dimensions as input tensor "
                               f"({idx.ndim} vs {self._data.ndim})")
        for i, (a, b) in enumerate(zip(idx.shape, self._data.shape)):
            if i != d and a > b:
                raise RuntimeError(f"gather(): Size does not match at dimension {i}: index {tuple(idx.shape)} vs "
                                   f"input {tuple(self._data.shape)}")
        n = self._data.shape[d] if self._data.ndim else 1
        if idx.size and (idx.max() >= n or idx.min() < 0):  # NOTE: -1 is out of bounds too, as in PyTorch
            raise RuntimeError(f"gather(): index {idx.max() if idx.max() >= n else idx.min()} is out of bounds for "
                               f"dimension {d} with size {n}")
        return M.Gather.apply(self, idx, d)

    def take_along_dim(self, indices: Any, dim: int) -> Any:
        return self.gather(dim, indices)

    def masked_select(self, mask: Any) -> Any:
        """The elements where the boolean ``mask`` (broadcast with this tensor) holds, as a 1-D tensor."""
        m = mask._data if hasattr(mask, "_data") else np.asarray(mask)
        if m.dtype != np.bool_:
            raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {m.dtype}")
        try:
            shape = np.broadcast_shapes(m.shape, self._data.shape)
        except ValueError:
            from .core import _broadcast_error

            raise _broadcast_error("masked_select (mask and input)", m, self._data) from None
        return self.expand(shape)[np.broadcast_to(m, shape)]

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        nz = np.nonzero(self._data)
        if as_tuple:
            return tuple(self._make(a.astype(np.int64), None, False) for a in nz)  # type: ignore[attr-defined]
        return self._make(np.stack(nz, axis=1).astype(np.int64), None, False)  # type: ignore[attr-defined]
