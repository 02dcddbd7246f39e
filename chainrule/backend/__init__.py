"""The array-module seam: every array reaches compute through ``xp``.

Today ``xp`` is NumPy. A GPU backend (CuPy) is a swap here, not a rewrite elsewhere; only this folder may import it.
"""

from __future__ import annotations

from typing import Any

import numpy

xp = numpy

__all__ = ["xp", "get_array_module", "set_num_threads", "get_num_threads"]


def get_array_module(*arrays: Any) -> Any:
    """The array module (numpy today) that owns ``arrays``."""
    return xp


_threads = [0]


def set_num_threads(n: int) -> None:
    """Limit the BLAS thread pool that runs matrix products to ``n`` threads (through threadpoolctl)."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive integer, got {n!r}")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("set_num_threads needs threadpoolctl: pip install threadpoolctl") from None
    threadpool_limits(n)
    _threads[0] = n


def get_num_threads() -> int:
    """The number of BLAS threads set by :func:`set_num_threads`, else the number of cores."""
    if _threads[0]:
        return _threads[0]
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class device:  # noqa: N801 - PyTorch's name
    """Where a tensor lives: ``device('cpu')``. A CUDA device can be named, but tensors can only move there once a
    GPU backend exists (``chainrule.cuda.is_available()``)."""

    __slots__ = ("type", "index")
    type: str
    index: int | None

    def __init__(self, type: str | device, index: int | None = None) -> None:  # noqa: A002 - PyTorch's name
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        kind, _, idx = str(type).partition(":")
        if kind not in ("cpu", "cuda", "meta"):
            raise RuntimeError(f"Expected one of cpu, cuda, meta device type at start of device string: {type}")
        self.type = kind
        self.index = int(idx) if idx else index

    def __repr__(self) -> str:
        return f"device(type='{self.type}'" + (f", index={self.index})" if self.index is not None else ")")

    def __str__(self) -> str:
        return self.type + (f":{self.index}" if self.index is not None else "")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


def check_device(d: Any, where: str) -> None:
    """Accept the CPU (the only backend so far); any other device raises a clear error."""
    if d is None:
        return
    dev = d if isinstance(d, device) else device(d if isinstance(d, str) else f"cuda:{d}" if isinstance(d, int) else d)
    if dev.type != "cpu":
        raise RuntimeError(f"{where}: device '{dev}' is not available: chainrule runs on the CPU (NumPy backend); "
                           "chainrule.cuda.is_available() is False")
