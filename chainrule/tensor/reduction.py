"""Reductions, scans and selections along dimensions."""

from __future__ import annotations

from collections import namedtuple
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import dtypes
from ..ops import elementwise as E
from ..ops import reduce as R
from ..ops.movement import Gather

values_indices = namedtuple("values_indices", ["values", "indices"])


class ReductionMixin:
    """Methods of :class:`~chainrule.Tensor` that reduce over, scan along or select from dimensions."""

    __slots__ = ()
    _data: np.ndarray

    if TYPE_CHECKING:  # methods that the other mixins and Tensor itself provide
        def _cast(self, dtype: np.dtype) -> Any: ...
        def reshape(self, *shape: Any) -> Any: ...
        def squeeze(self, dim: Any = None) -> Any: ...
        def __mul__(self, other: Any) -> Any: ...

    # ----------------------------------------------------------------- dimension arguments
    def _dim(self, dim: Any, ndim: int | None = None) -> int:
        """A dimension index in range ``[-ndim, ndim)`` made non-negative; IndexError otherwise (as PyTorch)."""
        n = self._data.ndim if ndim is None else ndim
        lo, hi = (-n, n - 1) if n else (-1, 0)
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise TypeError(f"dim must be an int, got {type(dim).__name__}")
        if dim < lo or dim > hi:
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
        return int(dim) % n if n else 0

    def _dims(self, dim: Any) -> tuple[int, ...] | None:
        """None (all dimensions) or a tuple of distinct non-negative dimensions."""
        if dim is None:
            return None
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        if not dims:
            return None
        out = tuple(self._dim(d) for d in dims)
        if len(set(out)) != len(out):
            raise RuntimeError(f"dim {dims} appears multiple times in the list of dims")
        if not self._data.ndim:
            return None
        return out

    def _float_only(self, op: str) -> None:
        if self._data.dtype.kind != "f":
            raise RuntimeError(f"{op}(): could not infer output dtype. Input dtype must be a floating point dtype. "
                               f"Got: {dtypes.from_numpy_dtype(self._data.dtype)}")

    # ----------------------------------------------------------------- reductions
    def sum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
        """Sum over ``dim`` (all elements when None). Integer and bool tensors sum to int64."""
        x = self._cast(dtypes.as_dtype(dtype).np) if dtype is not None else self  # type: ignore[attr-defined]
        acc = np.int64 if x._data.dtype.kind in "biu" else None
        return R.Sum.apply(x, x._dims(dim), keepdim, acc)

    def mean(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
        """Arithmetic mean over ``dim`` (floating-point tensors only, as in PyTorch)."""
        x = self._cast(dtypes.as_dtype(dtype).np) if dtype is not None else self  # type: ignore[attr-defined]
        x._float_only("mean")
        return R.Mean.apply(x, x._dims(dim), keepdim)

    def nansum(self, dim: Any = None, keepdim: bool = False) -> Any:
        return self.nan_to_num(0.0, float("inf"), float("-inf")).sum(dim, keepdim)  # type: ignore[attr-defined]

    def var(self, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None) -> Any:
        """sum((x - mean)^2) / (N - correction) over ``dim``; correction=1 (Bessel's) by default."""
        if self._data.dtype.kind != "f":
            raise RuntimeError("std and var only support floating point and complex dtypes")
        if isinstance(dim, bool) and unbiased is None:  # var(unbiased) positional form
            dim, unbiased = None, dim
        c = correction if correction is not None else (1 if unbiased is None or unbiased else 0)
        dims = self._dims(dim)
        n = self._data.size if dims is None else int(np.prod([self._data.shape[d] for d in dims]))
        d = self - self.mean(dim, keepdim=True)  # type: ignore[operator]
        with np.errstate(divide="ignore", invalid="ignore"):
            return (d * d).sum(dim, keepdim) / max(n - c, 0)

    def std(self, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None) -> Any:
        """Square root of :meth:`var`."""
        return E.Sqrt.apply(self.var(dim, unbiased, keepdim, correction=correction), zero_grad_at_0=True)

    def _extreme(self, dim: Any, keepdim: bool, smallest: bool, op: str) -> Any:
        if dim is None:
            if self._data.size == 0:
                raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0.")
            return R.Amax.apply(self, None, False, smallest)
        if hasattr(dim, "_data"):  # max(other): elementwise
            return self.minimum(dim) if smallest else self.maximum(dim)  # type: ignore[attr-defined]
        d = self._dim(dim)
        if self._data.ndim and self._data.shape[d] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")
        idx = (np.argmin if smallest else np.argmax)(self._data, axis=d, keepdims=True) if self._data.ndim else \
            np.zeros((), dtype=np.int64)
        values = Gather.apply(self, idx, d) if self._data.ndim else self
        if not keepdim and self._data.ndim:
            values, idx = values.squeeze(d), idx.squeeze(d)  # type: ignore[attr-defined]
        return values_indices(values, self._make(idx.astype(np.int64), None, False))  # type: ignore[attr-defined]

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        """The largest element; with ``dim``, the (values, indices) of the largest along it."""
        return self._extreme(dim, keepdim, False, "max")

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        """The smallest element; with ``dim``, the (values, indices) of the smallest along it."""
        return self._extreme(dim, keepdim, True, "min")

    def amax(self, dim: Any = (), keepdim: bool = False) -> Any:
        """Max over ``dim`` (all when empty); tied maxima share the gradient equally."""
        return R.Amax.apply(self, self._dims(dim), keepdim, False)

    def amin(self, dim: Any = (), keepdim: bool = False) -> Any:
        return R.Amax.apply(self, self._dims(dim), keepdim, True)

    def _arg(self, fn: Any, dim: Any, keepdim: bool) -> Any:
        if dim is None:
            out = np.asarray(fn(self._data.reshape(-1)))
            if keepdim:
                out = out.reshape((1,) * self._data.ndim)
        else:
            out = fn(self._data, axis=self._dim(dim), keepdims=keepdim) if self._data.ndim else np.asarray(0)
        return self._make(np.asarray(out, dtype=np.int64), None, False)  # type: ignore[attr-defined]

    def argmax(self, dim: Any = None, keepdim: bool = False) -> Any:
        """Index of the largest element (of the flattened tensor when ``dim`` is None); the first one on ties."""
        return self._arg(np.argmax, dim, keepdim)

    def argmin(self, dim: Any = None, keepdim: bool = False) -> Any:
        return self._arg(np.argmin, dim, keepdim)

    def logsumexp(self, dim: Any, keepdim: bool = False) -> Any:
        """log(sum(exp(x))) over ``dim``, computed with the max shifted out so that it never overflows."""
        x = self._floating()  # type: ignore[attr-defined]
        return R.LogSumExp.apply(x, x._dims(dim), keepdim)

    def prod(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
        """Product over one dimension or all elements."""
        x = self._cast(dtypes.as_dtype(dtype).np) if dtype is not None else self  # type: ignore[attr-defined]
        if x._data.dtype.kind in "bu" or x._data.dtype.kind == "i" and x._data.dtype != np.int64:
            x = x._cast(np.dtype(np.int64))
        d = None if dim is None else x._dim(dim)
        return R.Prod.apply(x, d if x._data.ndim else None, keepdim)  # a 0-d tensor: the product of its one element

    def cumsum(self, dim: int, *, dtype: Any = None) -> Any:
        """Running sum along ``dim``."""
        x = self._cast(dtypes.as_dtype(dtype).np) if dtype is not None else self  # type: ignore[attr-defined]
        if x._data.dtype.kind in "bui" and x._data.dtype != np.int64:
            x = x._cast(np.dtype(np.int64))
        if not x._data.ndim:
            return x.reshape(1).cumsum(0).reshape(())
        return R.Cumsum.apply(x, x._dim(dim))

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Any:
        """Vector p-norm (p = 2 / 'fro' by default, 1, inf, -inf or any positive number) over ``dim``."""
        x = self._floating()  # type: ignore[attr-defined]
        if p in ("fro", 2, 2.0):
            return E.Sqrt.apply((x * x).sum(dim, keepdim), zero_grad_at_0=True)  # the gradient at 0 is 0
        if p == 1:
            return x.abs().sum(dim, keepdim)
        if p == float("inf"):
            return x.abs().amax(() if dim is None else dim, keepdim)
        if p == float("-inf"):
            return x.abs().amin(() if dim is None else dim, keepdim)
        if isinstance(p, (int, float)) and p > 0:
            return (x.abs() ** p).sum(dim, keepdim) ** (1.0 / p)
        raise ValueError(f"norm: unsupported p={p!r}")

    def all(self, dim: Any = None, keepdim: bool = False) -> Any:
        return self._make(np.asarray(np.all(self._data, axis=self._dims(dim), keepdims=keepdim)), None, False)  # type: ignore

    def any(self, dim: Any = None, keepdim: bool = False) -> Any:
        return self._make(np.asarray(np.any(self._data, axis=self._dims(dim), keepdims=keepdim)), None, False)  # type: ignore

    def count_nonzero(self, dim: Any = None) -> Any:
        return self._make(np.asarray(np.count_nonzero(self._data, axis=self._dims(dim)), dtype=np.int64), None, False)  # type: ignore

    # ----------------------------------------------------------------- sorting and selection
    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        """(values, indices) sorted along ``dim``; the values carry the gradient back to where they came from."""
        d = self._dim(dim)
        key = -self._data if descending and self._data.dtype.kind != "b" else self._data
        idx = np.argsort(key, axis=d, kind="stable")
        if descending and self._data.dtype.kind == "b":
            idx = np.flip(np.argsort(self._data, axis=d, kind="stable"), d)
        return values_indices(Gather.apply(self, idx, d), self._make(idx.astype(np.int64), None, False))  # type: ignore

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        return self.sort(dim, descending, stable).indices

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
        """The ``k`` largest (or smallest) elements along ``dim`` as (values, indices)."""
        d = self._dim(dim)
        n = self._data.shape[d] if self._data.ndim else 1
        if not 0 <= k <= n:
            raise RuntimeError(f"topk: k ({k}) is out of range for dimension {d} of size {n}")
        vals, idx = self.sort(d, descending=largest)
        sl = (slice(None),) * d + (slice(0, k),)
        return values_indices(vals[sl], idx[sl])  # type: ignore[index]
