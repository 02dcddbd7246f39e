"""A pool of large work arrays, reused once nothing refers to them any more.

NOTE: a fresh multi-megabyte NumPy array costs page faults on its first writes (and, with transparent huge pages,
sometimes memory compaction): measured in W2's training step, 2.5-20 ms for a fresh 14 MiB im2col buffer against
0.9 ms for the copy into a reused one. The fused primitives (convolution, pooling, ReLU) take their large results and
temporaries from here.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from ..backend import xp

Array = Any

_SCRATCH: dict[tuple[tuple[int, ...], str], list[Array]] = {}
_SCRATCH_LOCK = threading.Lock()
_SCRATCH_MIN, _SCRATCH_MAX, _SCRATCH_PER_SHAPE = 1 << 20, 64 << 20, 3  # bytes, bytes, arrays
# NOTE: reuse decided by reference count, which only CPython with the GIL makes exact
_SCRATCH_ON = sys.implementation.name == "cpython" and getattr(sys, "_is_gil_enabled", lambda: True)()


def scratch(shape: tuple[int, ...], dtype: Any) -> Array:
    """An uninitialised array for a large work or result array, reused from an earlier call when nothing else
    refers to it any more (not the graph, not a view, not the caller): only this pool holds it, so no one can see
    it change. Arrays of 1-64 MiB, at most three per shape and dtype.

    NOTE: measured in W2's training step: a fresh 14 MiB im2col buffer costs 2.5-20 ms in page faults (NumPy
    asks for transparent huge pages, and the kernel may compact memory to provide them) against 0.9 ms for the
    copy into a reused one; the same holds, smaller, for the GEMM output and the padded input gradient."""
    dt = xp.dtype(dtype)
    nbytes = dt.itemsize
    for d in shape:
        nbytes *= d
    if not _SCRATCH_ON or not _SCRATCH_MIN <= nbytes <= _SCRATCH_MAX:
        return xp.empty(shape, dtype=dt)
    key = (shape, dt.str)
    with _SCRATCH_LOCK:
        bufs = _SCRATCH.setdefault(key, [])
        for a in bufs:
            if sys.getrefcount(a) == 3:  # the list, ``a`` and getrefcount's argument: no one else
                return a
        a = xp.empty(shape, dtype=dt)
        if len(bufs) < _SCRATCH_PER_SHAPE:
            bufs.append(a)
        return a


def scratch_like(shape: tuple[int, ...], like: Array, dtype: Any) -> Array:
    """A :func:`scratch` array of ``shape`` laid out in memory as ``like`` (e.g. channels-last), axes in order."""
    perm = sorted(range(len(shape)), key=lambda i: -like.strides[i])
    buf = scratch(tuple(shape[i] for i in perm), dtype)
    return buf.transpose(tuple(perm.index(i) for i in range(len(shape))))
