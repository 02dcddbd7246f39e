"""Factory functions: tensors from data, filled tensors, ranges and random tensors (PyTorch's names and defaults)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import dtypes
from ..backend import check_device
from ..random import Generator, np_generator
from .core import Tensor
from .shape import _as_shape

__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange", "linspace", "logspace", "eye",
    "rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial", "zeros_like", "ones_like",
    "full_like", "empty_like", "rand_like", "randn_like", "randint_like", "scalar_tensor",
]


def _infer_np(data: Any) -> np.ndarray:
    """An array from Python data with PyTorch's dtype inference: floats -> default float, ints -> int64."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, np.ndarray):
        return data
    if isinstance(data, np.generic):
        return np.asarray(data)
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat(data)):
        data = _untensor(data)
    try:
        arr = np.asarray(data)
    except ValueError:  # NOTE: a ragged nested list; say where, as PyTorch does, instead of NumPy's message
        raise _ragged_error(data) from None
    if arr.dtype == np.float64:
        arr = arr.astype(dtypes.get_default_dtype().np)
    elif arr.dtype.kind in "iu":
        arr = arr.astype(np.int64)
    elif arr.dtype == object or arr.dtype.kind not in "fb":
        raise TypeError(f"tensor(): could not infer the dtype of {type(data).__name__} data (got NumPy dtype "
                        f"{arr.dtype}); nested sequences must be rectangular and hold numbers")
    return arr


def _ragged_error(data: Any) -> Exception:
    """Where a nested sequence stops being rectangular, walked level by level (no recursion)."""
    level, dim = [data], 0
    while level:
        seqs = [x for x in level if isinstance(x, (list, tuple))]
        if not seqs:
            break
        if len(seqs) != len(level):
            return TypeError(f"tensor(): not a sequence: expected sequences at every position of dim {dim}, got a mix "
                             "of sequences and numbers")
        n = len(seqs[0])
        bad = next((len(x) for x in seqs if len(x) != n), None)
        if bad is not None:
            return ValueError(f"tensor(): expected sequence of length {n} at dim {dim} (got {bad})")
        level, dim = [x for q in seqs for x in q], dim + 1
    return ValueError(f"tensor(): could not convert {type(data).__name__} data to a rectangular array of numbers")


def _flat(data: Any) -> Any:
    for x in data:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _untensor(data: Any) -> Any:
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_untensor(x) for x in data]
    return data


def tensor(data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays or tensors).

    The dtype is inferred as PyTorch does (Python floats give the default float type, ints int64, bools bool;
    arrays keep theirs) unless ``dtype`` is given.
    """
    check_device(device, "tensor")
    arr = _infer_np(data)
    arr = np.array(arr, dtype=dtypes.as_dtype(dtype).np if dtype is not None else arr.dtype, copy=True)
    t = Tensor._make(arr, None, False)
    if requires_grad:
        t.requires_grad_(True)
    return t


def scalar_tensor(s: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return tensor(float(s), dtype=dtype or dtypes.get_default_dtype(), device=device, requires_grad=requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like :func:`tensor`, but shares memory with a tensor or array when no conversion is needed."""
    check_device(device, "as_tensor")
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    arr = _infer_np(data)
    if dtype is not None:
        arr = arr.astype(dtypes.as_dtype(dtype).np, copy=False)
    elif arr.dtype not in (d.np for d in dtypes._ALL):
        arr = arr.astype(dtypes.from_numpy_dtype(arr.dtype).np)
    return Tensor._make(arr, None, False)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor that shares memory with ``ndarray`` (changes to one show in the other)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(ndarray).__name__})")
    dtypes.from_numpy_dtype(ndarray.dtype)  # TypeError for unsupported types
    return Tensor._make(ndarray, None, False)


def _dt(dtype: Any) -> np.dtype:
    return dtypes.as_dtype(dtype).np if dtype is not None else dtypes.get_default_dtype().np


def _fill(size: Sequence[Any], value: Any, dtype: Any, requires_grad: bool, device: Any, where: str) -> Tensor:
    check_device(device, where)
    shape = _as_shape(size)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"{where}: trying to create tensor with negative dimension: {list(shape)}")
    t = Tensor._make(np.full(shape, value, dtype=_dt(dtype)), None, False)
    return t.requires_grad_(True) if requires_grad else t


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False, out: Any = None) -> Tensor:
    """A tensor of zeros of shape ``size``."""
    return _fill(size, 0, dtype, requires_grad, device, "zeros")


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of shape ``size``."""
    return _fill(size, 1, dtype, requires_grad, device, "ones")


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor (here: zero-filled, which costs the same with NumPy)."""
    return _fill(size, 0, dtype, requires_grad, device, "empty")


def full(size: Sequence[int], fill_value: Any, *, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value`` (its dtype inferred from the value if not given)."""
    if dtype is None:
        dtype = dtypes.from_numpy_dtype(_infer_np(fill_value).dtype)
    return _fill((tuple(size),), fill_value, dtype, requires_grad, device, "full")


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Values from ``start`` up to (not including) ``end`` by ``step``; int64 when all arguments are integers."""
    check_device(device, "arange")
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if vals[2] == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (vals[1] - vals[0]) * vals[2] < 0:
        raise RuntimeError(f"arange: upper bound and larger bound inconsistent with step sign (start={vals[0]}, "
                           f"end={vals[1]}, step={vals[2]})")
    if dtype is None:
        dtype = dtypes.int64 if all(isinstance(v, (int, np.integer)) for v in vals) else dtypes.get_default_dtype()
    n = int(np.ceil((vals[1] - vals[0]) / vals[2]))
    # NOTE: start + i * step computed in float64 then cast, so float32 ranges match PyTorch's values
    arr = (vals[0] + np.arange(max(n, 0), dtype=np.float64 if dtypes.as_dtype(dtype).is_floating_point else np.int64)
           * vals[2]).astype(_dt(dtype))
    t = Tensor._make(arr, None, False)
    return t.requires_grad_(True) if requires_grad else t


def linspace(start: float, end: float, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    check_device(device, "linspace")
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    t = Tensor._make(np.linspace(float(start), float(end), int(steps)).astype(_dt(dtype)), None, False)
    return t.requires_grad_(True) if requires_grad else t


def logspace(start: float, end: float, steps: int, base: float = 10.0, *, dtype: Any = None) -> Tensor:
    return Tensor._make((base ** np.linspace(float(start), float(end), int(steps))).astype(_dt(dtype)), None, False)


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The n x m identity matrix."""
    check_device(device, "eye")
    if n < 0 or (m is not None and m < 0):  # NOTE: NumPy's own ValueError would leak otherwise
        raise RuntimeError(f"eye: n and m must be greater or equal to 0, got n={n}, m={m}")
    t = Tensor._make(np.eye(n, n if m is None else m, dtype=_dt(dtype)), None, False)
    return t.requires_grad_(True) if requires_grad else t


def _random(size: Sequence[Any], draw: Any, dtype: Any, requires_grad: bool, device: Any, where: str) -> Tensor:
    check_device(device, where)
    shape = _as_shape(size)
    dt = _dt(dtype)
    if dt.kind != "f":
        raise RuntimeError(f"{where}: expected a floating point dtype, got {dt}")
    t = Tensor._make(np.asarray(draw(shape), dtype=dt), None, False)
    return t.requires_grad_(True) if requires_grad else t


def rand(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1)."""
    g = np_generator(generator)
    return _random(size, lambda s: g.random(s), dtype, requires_grad, device, "rand")


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples N(0, 1)."""
    g = np_generator(generator)
    return _random(size, lambda s: g.standard_normal(s), dtype, requires_grad, device, "randn")


def randint(low: int, high: int | None = None, size: Sequence[int] | None = None, *,
            generator: Generator | None = None, dtype: Any = None, device: Any = None) -> Tensor:
    """Integers uniform on [low, high) (``randint(high, size)`` starts at 0); int64 by default."""
    check_device(device, "randint")
    if size is None:
        if not isinstance(high, (tuple, list)):
            raise TypeError("randint() missing the size argument")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    arr = np_generator(generator).integers(low, high, size=tuple(size))
    return Tensor._make(arr.astype(dtypes.as_dtype(dtype).np if dtype is not None else np.int64), None, False)


def randperm(n: int, *, generator: Generator | None = None, dtype: Any = None, device: Any = None) -> Tensor:
    """A random permutation of 0..n-1."""
    check_device(device, "randperm")
    if n < 0:
        raise RuntimeError(f"randperm: trying to create tensor with negative dimension {n}: [{n}]")
    arr = np_generator(generator).permutation(int(n))
    return Tensor._make(arr.astype(dtypes.as_dtype(dtype).np if dtype is not None else np.int64), None, False)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Sequence[int] | None = None, *,
           generator: Generator | None = None, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Samples from N(mean, std^2); ``mean`` and ``std`` may be tensors (broadcast) or numbers with ``size``."""
    check_device(device, "normal")
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if np.any(np.asarray(s) < 0):
        raise RuntimeError(f"normal expects std >= 0.0, but found std {np.min(s)}")
    shape = tuple(size) if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    dt = dtypes.as_dtype(dtype).np if dtype is not None else next(
        (x._data.dtype for x in (mean, std) if isinstance(x, Tensor)), dtypes.get_default_dtype().np)
    arr = (np_generator(generator).standard_normal(shape) * s + m).astype(dt)
    t = Tensor._make(arr, None, False)
    return t.requires_grad_(True) if requires_grad else t


def bernoulli(input: Tensor, p: float | None = None, *, generator: Generator | None = None) -> Tensor:  # noqa: A002
    """1 with probability ``input`` (or ``p``) elementwise, else 0."""
    prob = input._data if p is None else np.full(input._data.shape, p)
    draw = np_generator(generator).random(input._data.shape)
    return Tensor._make((draw < prob).astype(input._data.dtype), None, False)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,  # noqa: A002
                generator: Generator | None = None) -> Tensor:
    """Indices drawn from the categorical distribution given by each row of non-negative weights."""
    w = np.asarray(input._data, dtype=np.float64)
    if w.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got {w.ndim}")
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise RuntimeError("multinomial: invalid probability distribution (negative, inf or nan entries)")
    rows = w.reshape(-1, w.shape[-1])
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError(f"multinomial: cannot sample n_sample ({num_samples}) > prob_dist.size(-1) "
                           f"({rows.shape[1]}) samples without replacement")
    g = np_generator(generator)
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for i, r in enumerate(rows):
        tot = r.sum()
        if tot <= 0:
            raise RuntimeError("multinomial: invalid probability distribution (sum of probabilities <= 0)")
        out[i] = g.choice(r.size, size=num_samples, replace=replacement, p=r / tot)
    return Tensor._make(out.reshape(w.shape[:-1] + (num_samples,)), None, False)


def _like(t: Tensor, dtype: Any, op: str) -> tuple[tuple[int, ...], Any]:
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(t).__name__}")
    return t._data.shape, dtype if dtype is not None else t.dtype


def zeros_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    s, d = _like(input, dtype, "zeros_like")
    return zeros(s, dtype=d, device=device, requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    s, d = _like(input, dtype, "ones_like")
    return ones(s, dtype=d, device=device, requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    s, d = _like(input, dtype, "empty_like")
    return empty(s, dtype=d, device=device, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None,  # noqa: A002
              requires_grad: bool = False) -> Tensor:
    s, d = _like(input, dtype, "full_like")
    return full(s, fill_value, dtype=d, device=device, requires_grad=requires_grad)


def rand_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    s, d = _like(input, dtype, "rand_like")
    return rand(s, dtype=d, device=device, requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    s, d = _like(input, dtype, "randn_like")
    return randn(s, dtype=d, device=device, requires_grad=requires_grad)


def randint_like(input: Tensor, low: int, high: int | None = None, *, dtype: Any = None) -> Tensor:  # noqa: A002
    s, d = _like(input, dtype, "randint_like")
    return randint(low, high, s, dtype=d)
