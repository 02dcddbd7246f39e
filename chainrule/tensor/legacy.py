"""PyTorch's legacy typed constructors: ``FloatTensor([1, 2])``, ``LongTensor(3)``, ..."""

from __future__ import annotations

from typing import Any

from .. import dtypes
from .core import Tensor


def _typed(name: str, dt: dtypes.dtype) -> Any:
    def make(*args: Any, **kwargs: Any) -> Tensor:
        return Tensor(*args, dtype=dt, **kwargs)

    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"A {dt.name} tensor from data, or an uninitialised one from sizes (legacy ``torch.{name}``)."
    return make


FloatTensor = _typed("FloatTensor", dtypes.float32)
DoubleTensor = _typed("DoubleTensor", dtypes.float64)
LongTensor = _typed("LongTensor", dtypes.int64)
IntTensor = _typed("IntTensor", dtypes.int32)
BoolTensor = _typed("BoolTensor", dtypes.bool)
