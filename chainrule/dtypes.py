"""Data types: PyTorch's names over NumPy's dtypes, and PyTorch's type-promotion rules.

``chainrule.float32`` and friends are :class:`dtype` objects; each wraps the NumPy dtype that stores the data.
Promotion follows ``torch.result_type``: operands are ranked as dimensioned tensors, zero-dimensional tensors and
Python scalars, and a lower rank only changes the result when it belongs to a higher *category*
(bool < integer < floating point). So ``int64_tensor * 2.5`` is float32 (the default dtype), not float64 as NumPy
would have it, and ``float32_tensor + float64_scalar_tensor`` stays float32.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

__all__ = [
    "dtype", "float16", "float32", "float64", "half", "float", "double", "uint8", "int8", "int16", "int32", "int64",
    "short", "int", "long", "bool", "get_default_dtype", "set_default_dtype", "to_numpy_dtype", "from_numpy_dtype",
    "result_type", "promote_types", "is_floating_point", "category",
]

_builtin_bool = builtins.bool
_builtin_int = builtins.int
_builtin_float = builtins.float


class dtype:  # noqa: N801 - PyTorch's spelling
    """A tensor element type: ``chainrule.float32``, ``chainrule.int64``, ..."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize")

    def __init__(self, name: str, np_dtype: Any) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "fi"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"chainrule.{self.name}"

    def __reduce__(self) -> str:
        return self.name


float16 = half = dtype("float16", np.float16)
float32 = float = dtype("float32", np.float32)  # noqa: A001 - PyTorch's alias
float64 = double = dtype("float64", np.float64)
uint8 = dtype("uint8", np.uint8)
int8 = dtype("int8", np.int8)
int16 = short = dtype("int16", np.int16)
int32 = int = dtype("int32", np.int32)  # noqa: A001
int64 = long = dtype("int64", np.int64)
bool = dtype("bool", np.bool_)  # noqa: A001

_ALL = (float16, float32, float64, uint8, int8, int16, int32, int64, bool)
_FROM_NP: dict[np.dtype, dtype] = {d.np: d for d in _ALL}
_default = [float32]


def get_default_dtype() -> dtype:
    """The dtype given to tensors made from Python floats (float32 unless changed)."""
    return _default[0]


def set_default_dtype(d: dtype) -> None:
    """Set the dtype of tensors made from Python floats; only float32 and float64 (and float16) are allowed."""
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the default type, got {d}")
    _default[0] = d


def from_numpy_dtype(np_dtype: Any) -> dtype:
    """The chainrule dtype that stores ``np_dtype``; TypeError for types chainrule does not support."""
    try:
        return _FROM_NP[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(f"can't convert np.ndarray of type {np.dtype(np_dtype)}; the only supported types are: "
                        + ", ".join(d.name for d in _ALL)) from None


def as_dtype(d: Any) -> dtype:
    """Accept a chainrule dtype, a NumPy dtype or type, or a Python type (float/int/bool) and return a dtype."""
    if isinstance(d, dtype):
        return d
    if d is _builtin_float:
        # NOTE: PyTorch maps the Python type float to float64 whatever the default dtype (torch.zeros(2, dtype=float)
        # is double); the default dtype only governs inference from float *values*.
        return float64
    if d is _builtin_int:
        return int64
    if d is _builtin_bool:
        return bool
    return from_numpy_dtype(d)


def to_numpy_dtype(d: Any) -> np.dtype:
    """The NumPy dtype behind ``d``."""
    return as_dtype(d).np


def is_floating_point(np_dtype: np.dtype) -> _builtin_bool:
    return np_dtype.kind == "f"


def category(np_dtype: np.dtype) -> _builtin_int:
    """0 for bool, 1 for integers, 2 for floating point: PyTorch's promotion categories."""
    k = np_dtype.kind
    return 2 if k == "f" else 0 if k == "b" else 1


def promote_types(a: Any, b: Any) -> dtype:
    """The smallest dtype both ``a`` and ``b`` convert to safely, by PyTorch's rules (int64 + float32 is float32)."""
    return from_numpy_dtype(_promote(to_numpy_dtype(a), to_numpy_dtype(b)))


def _promote(a: np.dtype, b: np.dtype) -> np.dtype:
    if a == b:
        return a
    ca, cb = category(a), category(b)
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def _scalar_np(x: Any) -> np.dtype:
    if isinstance(x, _builtin_bool):
        return bool.np
    if isinstance(x, _builtin_int):
        return int64.np
    return _default[0].np


def result_type(*operands: Any) -> np.dtype:
    """NumPy dtype of an elementwise op's result, by ``torch.result_type``'s three-tier rule.

    Each operand is an array (a tensor's storage: dimensioned or 0-d) or a Python scalar.
    """
    dim = zero = scal = None
    for x in operands:
        if isinstance(x, np.ndarray):
            if x.ndim:
                dim = x.dtype if dim is None else _promote(dim, x.dtype)
            else:
                zero = x.dtype if zero is None else _promote(zero, x.dtype)
        else:
            s = _scalar_np(x)
            scal = s if scal is None else _promote(scal, s)
    res = dim
    if zero is not None and (res is None or category(zero) > category(res)):
        res = zero
    if scal is not None and (res is None or category(scal) > category(res)):
        res = scal
    assert res is not None
    return res
