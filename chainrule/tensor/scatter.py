"""Scatter and index-update methods: scatter, scatter_add, scatter_reduce, index_add, index_copy, index_fill (and
their in-place ``_`` forms), with PyTorch's argument checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..ops import movement as M
from ..ops import scatter as S


def _index_array(index: Any, op: str) -> np.ndarray:
    if not hasattr(index, "_data"):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    idx = index._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int64 for index, got {idx.dtype}")
    return idx


def _check_bounds(op: str, idx: np.ndarray, dim: int, n: int, exc: type[Exception] = RuntimeError) -> None:
    """Indices must lie in [0, n): unlike Python indexing, -1 is out of bounds (PyTorch's scatter, gather,
    index_add and index_copy)."""
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise exc(f"{op}(): index {bad} is out of bounds for dimension {dim} with size {n}")


def _vec(source: Any) -> Any:
    return source.reshape(-1) if hasattr(source, "_data") else source


class ScatterMixin:
    """Methods of :class:`~chainrule.Tensor` that write values at positions given by an index tensor."""

    __slots__ = ()
    _data: np.ndarray

    if TYPE_CHECKING:
        def _dim(self, dim: Any, ndim: int | None = None) -> int: ...
        def _inplace(self, op: str, compute: Any) -> Any: ...
        def reshape(self, *shape: Any) -> Any: ...

    # ----------------------------------------------------------------- scatter family
    def _scatter_args(self, op: str, dim: int, index: Any, src: Any) -> tuple[int, np.ndarray]:
        """Check ``index`` (and a tensor ``src``) against this tensor as PyTorch does; return (dim, index array)."""
        d = self._dim(dim)
        idx = _index_array(index, op)
        shape = self._data.shape
        if idx.ndim != len(shape):
            raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as self tensor "
                               f"(index {tuple(idx.shape)}, self {tuple(shape)})")
        s_shape = src._data.shape if hasattr(src, "_data") else None
        if s_shape is not None:
            if len(s_shape) != len(shape):
                raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as src tensor "
                                   f"(index {tuple(idx.shape)}, src {tuple(s_shape)})")
            if src._data.dtype != self._data.dtype:
                raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype (got {self._data.dtype} "
                                   f"and {src._data.dtype})")
        too_big = any(i != d and a > b for i, (a, b) in enumerate(zip(idx.shape, shape)))
        too_big = too_big or (s_shape is not None and any(a > b for a, b in zip(idx.shape, s_shape)))
        if too_big:
            raise RuntimeError(f"{op}(): Expected index {list(idx.shape)} to be no larger than self {list(shape)} "
                               f"apart from dimension {d}" + (f" and to be no larger size than src {list(s_shape)}"
                                                              if s_shape is not None else ""))
        _check_bounds(op, idx, d, shape[d] if shape else 1)
        return d, idx

    def _scatter_op(self, op: str, dim: int, index: Any, src: Any, reduce: str | None, include_self: bool) -> Any:
        if not self._data.ndim:  # a 0-d tensor: scatter into its single element as a 1-element vector
            one = (src.reshape(1) if hasattr(src, "_data") else src)
            idx1 = index.reshape(1) if hasattr(index, "_data") else index
            return ScatterMixin._scatter_op(self.reshape(1), op, 0, idx1, one, reduce,
                                            include_self).reshape(())
        d, idx = self._scatter_args(op, dim, index, src)
        if not hasattr(src, "_data"):  # a Python number: the value written at every position
            src = np.broadcast_to(np.asarray(src, dtype=self._data.dtype), idx.shape)
        if reduce is None:
            return S.Scatter.apply(self, src, idx, d)
        return S.ScatterReduce.apply(self, src, idx, d, reduce, include_self)

    def scatter(self, dim: int, index: Any, src: Any = None, reduce: str | None = None, *, value: Any = None) -> Any:
        """A copy with ``src`` (a tensor, or one number ``value``) written at the positions ``index`` gives along
        ``dim``: for dim=1, ``out[i][index[i][j]] = src[i][j]``.

        Args:
            dim: the dimension ``index`` addresses.
            index: int64 tensor with as many dimensions as ``self``; no larger than ``src`` anywhere, nor than
                ``self`` outside ``dim``; values in [0, self.size(dim)).
            src: the values (only the leading ``index.shape`` block is read), or a number.
            reduce: None (overwrite), "add" or "multiply" (accumulate into ``self``).
        Example: ``zeros(2, 3).scatter(1, tensor([[2], [0]]), 1.0)`` sets (0, 2) and (1, 0).
        """
        if src is None:
            if value is None:
                raise TypeError("scatter(): expected a src tensor or a value")
            src = value
        if reduce is not None and reduce not in ("add", "multiply"):
            raise RuntimeError(f"scatter(): reduce argument must be either add or multiply, got {reduce!r}")
        r = None if reduce is None else ("sum" if reduce == "add" else "prod")
        return self._scatter_op("scatter", dim, index, src, r, True)

    def scatter_(self, dim: int, index: Any, src: Any = None, reduce: str | None = None, *, value: Any = None) -> Any:
        return self._inplace("scatter_", lambda t: t.scatter(dim, index, src, reduce, value=value))

    def scatter_add(self, dim: int, index: Any, src: Any) -> Any:
        """A copy with every element of ``src`` added at the position ``index`` gives along ``dim`` (repeated
        positions add up): for dim=1, ``out[i][index[i][j]] += src[i][j]``."""
        return self._scatter_op("scatter_add", dim, index, src, "sum", True)

    def scatter_add_(self, dim: int, index: Any, src: Any) -> Any:
        return self._inplace("scatter_add_", lambda t: t.scatter_add(dim, index, src))

    def scatter_reduce(self, dim: int, index: Any, src: Any, reduce: str, *, include_self: bool = True) -> Any:
        """A copy where each position ``index`` addresses becomes the reduction of its ``src`` values (and of
        ``self``'s value when ``include_self``): ``out[i][index[i][j]] = reduce(self[i][index[i][j]], src[i][j], ...)``.

        Args:
            reduce: "sum", "prod", "mean", "amax" or "amin". Positions no index addresses keep ``self``.
        Gradients follow PyTorch: the mean divides by each position's count; amax/amin split the gradient evenly
        among tied maxima; prod uses the product of the other factors.
        """
        if reduce not in S.REDUCTIONS:
            raise RuntimeError(f"scatter_reduce(): reduce argument must be either sum, prod, mean, amax or amin, got "
                               f"{reduce}")
        if not hasattr(src, "_data"):
            raise TypeError(f"scatter_reduce(): argument 'src' must be Tensor, not {type(src).__name__}")
        return self._scatter_op("scatter_reduce", dim, index, src, reduce, include_self)

    def scatter_reduce_(self, dim: int, index: Any, src: Any, reduce: str, *, include_self: bool = True) -> Any:
        return self._inplace("scatter_reduce_", lambda t: t.scatter_reduce(dim, index, src, reduce,
                                                                           include_self=include_self))

    # ----------------------------------------------------------------- index_add / index_copy / index_fill
    def _index_args(self, op: str, dim: int, index: Any, source: Any, negative_ok: bool = False) -> tuple[Any, ...]:
        """Check a 1-D ``index`` (and ``source``, whose shape is self's with ``len(index)`` at ``dim``); return the
        NumPy index ``(:, ..., :, index)``."""
        d = self._dim(dim)
        idx = _index_array(index, op)
        if idx.ndim > 1:
            raise IndexError(f"{op}(): Index is supposed to be a vector, got shape {tuple(idx.shape)}")
        idx = idx.reshape(-1)
        shape = self._data.shape
        n = shape[d]
        if negative_ok:
            if idx.size and (idx.min() < -n or idx.max() >= n):
                bad = idx.min() if idx.min() < -n else idx.max()
                raise IndexError(f"{op}(): index {bad} is out of bounds for dimension {d} with size {n}")
            idx = np.unique(np.where(idx < 0, idx + n, idx))  # NOTE: filling twice is filling once (also for grads)
        else:  # NOTE: PyTorch raises IndexError from index_copy, RuntimeError from index_add
            _check_bounds(op, idx, d, n, IndexError if op == "index_copy" else RuntimeError)
        if source is not None:
            if not hasattr(source, "_data"):
                raise TypeError(f"{op}(): argument 'source' must be Tensor, not {type(source).__name__}")
            want = shape[:d] + (idx.size,) + shape[d + 1:]
            if source._data.shape != want:
                raise RuntimeError(f"{op}(): source tensor shape must match self tensor shape, excluding the "
                                   f"specified dimension. Got self.shape = {list(shape)} source.shape = "
                                   f"{list(source._data.shape)} (dim {d}, index of length {idx.size})")
            if source._data.dtype != self._data.dtype:
                raise RuntimeError(f"{op}(): self ({self._data.dtype}) and source ({source._data.dtype}) must have "
                                   "the same scalar type")
        return (slice(None),) * d + (idx,)

    def index_add(self, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Any:
        """A copy with ``alpha * source`` added at the slices ``index`` picks along ``dim`` (repeats add up): for
        dim=0, ``out[index[i]] += alpha * source[i]``."""
        if not self._data.ndim:  # a 0-d tensor: as a 1-element vector
            return self.reshape(1).index_add(dim, index, _vec(source), alpha=alpha).reshape(())
        pos = self._index_args("index_add", dim, index, source)
        return M.IndexPut.apply(self, source * alpha if alpha != 1 else source, pos, True)

    def index_add_(self, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Any:
        return self._inplace("index_add_", lambda t: t.index_add(dim, index, source, alpha=alpha))

    def index_copy(self, dim: int, index: Any, source: Any) -> Any:
        """A copy with the slices ``index`` picks along ``dim`` replaced by those of ``source``:
        for dim=0, ``out[index[i]] = source[i]``."""
        if not self._data.ndim:
            return self.reshape(1).index_copy(dim, index, _vec(source)).reshape(())
        pos = self._index_args("index_copy", dim, index, source)
        return M.IndexPut.apply(self, source, pos, False)

    def index_copy_(self, dim: int, index: Any, source: Any) -> Any:
        return self._inplace("index_copy_", lambda t: t.index_copy(dim, index, source))

    def index_fill(self, dim: int, index: Any, value: Any) -> Any:
        """A copy with ``value`` (a number or a 0-d tensor) in the slices ``index`` picks along ``dim``
        (negative indices count from the end)."""
        if not self._data.ndim:
            return self.reshape(1).index_fill(dim, index, value).reshape(())
        pos = self._index_args("index_fill", dim, index, None, negative_ok=True)
        if hasattr(value, "_data"):
            if value._data.ndim:
                raise RuntimeError(f"index_fill(): only supports a 0-dimensional value tensor, but got tensor with "
                                   f"{value._data.ndim} dimension(s)")
            v = value._cast(self._data.dtype)
        else:
            v = np.asarray(value, dtype=self._data.dtype)
        return M.IndexPut.apply(self, v, pos, False)

    def index_fill_(self, dim: int, index: Any, value: Any) -> Any:
        return self._inplace("index_fill_", lambda t: t.index_fill(dim, index, value))
