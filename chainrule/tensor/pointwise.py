"""Elementwise tensor methods: math functions, activations, clamping, selection."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import dtypes
from ..ops import elementwise as E
from ..ops import special as S
from ..ops.reduce import LogSoftmax, Softmax

_LN2 = float(np.log(2.0))
_LN10 = float(np.log(10.0))


class PointwiseMixin:
    """Methods of :class:`~chainrule.Tensor` that act on each element."""

    __slots__ = ()
    _data: np.ndarray

    if TYPE_CHECKING:  # methods that the other mixins and Tensor itself provide
        def _cast(self, dtype: np.dtype) -> Any: ...
        def _dim(self, dim: int, ndim: int | None = None) -> int: ...
        def reshape(self, *shape: Any) -> Any: ...
        def squeeze(self, dim: Any = None) -> Any: ...
        def __mul__(self, other: Any) -> Any: ...

    def _floating(self) -> Any:
        """Integer and bool tensors are promoted to the default float type by float functions (as in PyTorch)."""
        if self._data.dtype.kind == "f":
            return self
        return self._cast(dtypes.get_default_dtype().np)  # type: ignore[attr-defined]

    def _require_float(self, op: str) -> None:
        if self._data.dtype.kind != "f":
            got = dtypes.from_numpy_dtype(self._data.dtype)
            raise RuntimeError(f"{op}(): expected a floating point tensor, got {got}")

    def exp(self) -> Any:
        """e^x."""
        return E.Exp.apply(self._floating())

    def log(self) -> Any:
        """Natural logarithm (-inf at 0, nan below)."""
        return E.Log.apply(self._floating())

    def log1p(self) -> Any:
        """log(1 + x), accurate for small x."""
        return E.Log1p.apply(self._floating())

    def log2(self) -> Any:
        return self.log() / _LN2

    def log10(self) -> Any:
        return self.log() / _LN10

    def expm1(self) -> Any:
        return self.exp() - 1

    def sqrt(self) -> Any:
        """Square root."""
        return E.Sqrt.apply(self._floating())

    def rsqrt(self) -> Any:
        """1 / sqrt(x)."""
        return E.Rsqrt.apply(self._floating())

    def square(self) -> Any:
        return self * self

    def reciprocal(self) -> Any:
        return 1.0 / self._floating()

    def sin(self) -> Any:
        return E.Sin.apply(self._floating())

    def cos(self) -> Any:
        return E.Cos.apply(self._floating())

    def tan(self) -> Any:
        return self.sin() / self.cos()

    def tanh(self) -> Any:
        """Hyperbolic tangent; its derivative is 1 - tanh(x)^2."""
        return E.Tanh.apply(self._floating())

    # ---- inverse trigonometric and hyperbolic functions (ops/special.py): integers give the default float type
    def asin(self) -> Any:
        """Inverse sine, arcsin(x) in [-pi/2, pi/2]; d/dx = 1 / sqrt(1 - x^2); nan outside [-1, 1]."""
        return S.Asin.apply(self._floating())

    def acos(self) -> Any:
        """Inverse cosine, arccos(x) in [0, pi]; d/dx = -1 / sqrt(1 - x^2); nan outside [-1, 1]."""
        return S.Acos.apply(self._floating())

    def atan(self) -> Any:
        """Inverse tangent, arctan(x) in (-pi/2, pi/2); d/dx = 1 / (1 + x^2)."""
        return S.Atan.apply(self._floating())

    def sinh(self) -> Any:
        """Hyperbolic sine (e^x - e^-x) / 2; d/dx = cosh(x)."""
        return S.Sinh.apply(self._floating())

    def cosh(self) -> Any:
        """Hyperbolic cosine (e^x + e^-x) / 2; d/dx = sinh(x)."""
        return S.Cosh.apply(self._floating())

    def asinh(self) -> Any:
        """Inverse hyperbolic sine log(x + sqrt(x^2 + 1)); d/dx = 1 / sqrt(x^2 + 1)."""
        return S.Asinh.apply(self._floating())

    def acosh(self) -> Any:
        """Inverse hyperbolic cosine log(x + sqrt(x^2 - 1)); d/dx = 1 / sqrt(x^2 - 1); nan below 1."""
        return S.Acosh.apply(self._floating())

    def atanh(self) -> Any:
        """Inverse hyperbolic tangent log((1 + x) / (1 - x)) / 2; d/dx = 1 / (1 - x^2); +-inf at +-1, nan beyond."""
        return S.Atanh.apply(self._floating())

    arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh

    def _promoted_binary(self, other: Any, prim: Any, op: str, floating: bool = True) -> Any:
        """``prim(self, other)`` in their common type (with ``floating``, integers give the default float type); a
        Python number becomes a 0-d array of that type (NumPy 2 would turn float32 math float64 on np.log(3.0))."""
        a, b = self._operands(other, op)  # type: ignore[attr-defined]
        if floating and a._data.dtype.kind != "f":
            a = a._cast(dtypes.get_default_dtype().np)
            b = b._cast(a._data.dtype) if hasattr(b, "_data") else b
        if hasattr(b, "_data"):
            return a._binary(b, prim, op)
        return prim.apply(a, np.asarray(b, dtype=a._data.dtype))

    def atan2(self, other: Any) -> Any:
        """The angle of the point (other, self) in [-pi, pi]: atan2(y, x); d/dy = x / (x^2 + y^2),
        d/dx = -y / (x^2 + y^2), and 0 at the origin (as PyTorch)."""
        return self._promoted_binary(other, S.Atan2, "atan2")

    arctan2 = atan2

    def hypot(self, other: Any) -> Any:
        """sqrt(x^2 + y^2) without overflow; d/dx = x / hypot(x, y) (nan at the origin, as PyTorch)."""
        return self._promoted_binary(other, S.Hypot, "hypot")

    def fmod(self, other: Any) -> Any:
        """C's remainder x - trunc(x / y) y, with the sign of the dividend x (torch.remainder takes the divisor's);
        integers stay integers, and an integer division by zero raises."""
        return self._promoted_binary(other, S.Fmod, "fmod", floating=False)

    def remainder(self, other: Any) -> Any:
        """Python's modulo x - floor(x / y) y, with the sign of the divisor y; nan for a float divisor of 0."""
        return self._promoted_binary(other, S.Remainder, "remainder", floating=False)

    def logit(self, eps: float | None = None) -> Any:
        """The inverse of sigmoid, log(p / (1 - p)) with p = x, or p = clamp(x, eps, 1 - eps) when ``eps`` is given
        (the gradient 1 / (p (1 - p)) is then 0 where x was clamped); without ``eps``: +-inf at 0 and 1, nan outside
        [0, 1]."""
        return S.Logit.apply(self._floating(), eps)

    def xlogy(self, other: Any) -> Any:
        """x log(y), 0 where x == 0 unless y is nan (so 0 log 0 = 0, as in entropies)."""
        return self._promoted_binary(other, S.Xlogy, "xlogy")

    def logaddexp(self, other: Any) -> Any:
        """log(e^x + e^y) without overflow; d/dx = 1 / (1 + e^(y - x))."""
        return self._promoted_binary(other, S.Logaddexp, "logaddexp")

    def sigmoid(self) -> Any:
        """Logistic function 1 / (1 + e^-x); its derivative is sigma(x)(1 - sigma(x))."""
        return E.Sigmoid.apply(self._floating())

    def relu(self) -> Any:
        """max(x, 0); the derivative at 0 is taken as 0, as in PyTorch."""
        return E.Relu.apply(self)

    def abs(self) -> Any:
        """|x|; the derivative at 0 is 0 (sign(0))."""
        return E.Abs.apply(self)

    absolute = abs

    def neg(self) -> Any:
        return -self  # type: ignore[operator]

    negative = neg

    def _rounding(self, fn: Any) -> Any:
        if self._data.dtype.kind != "f":
            return self
        return E.Rounding.apply(self, fn)

    def floor(self) -> Any:
        return self._rounding(np.floor)

    def ceil(self) -> Any:
        return self._rounding(np.ceil)

    def trunc(self) -> Any:
        return self._rounding(np.trunc)

    def round(self, decimals: int = 0) -> Any:
        return self._rounding(np.round if decimals == 0 else (lambda a: np.round(a, decimals)))

    def frac(self) -> Any:
        return self - self.trunc()  # type: ignore[operator]

    def sign(self) -> Any:
        if self._data.dtype.kind == "b":
            return self
        return E.Rounding.apply(self, np.sign)

    def clamp(self, min: Any = None, max: Any = None) -> Any:  # noqa: A002 - PyTorch's names
        """Limit every element to [min, max]; the gradient passes where min <= x <= max."""
        if min is None and max is None:
            raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
        # the result type of all three, as torch.result_type (int tensor and 0.5 -> float32, float32 tensor and a
        # float64 tensor bound -> float64)
        rt = dtypes.result_type(self._data, *[b._data if hasattr(b, "_data") else b for b in (min, max)
                                              if b is not None])
        x = self._cast(rt)  # type: ignore[attr-defined]
        lo = min._cast(rt) if hasattr(min, "_cast") else min
        hi = max._cast(rt) if hasattr(max, "_cast") else max
        for name, b in (("min", lo), ("max", hi)):
            if hasattr(b, "_data"):
                try:
                    np.broadcast_shapes(self._data.shape, b._data.shape)
                except ValueError:  # NOTE: PyTorch's message, not NumPy's
                    from .core import _broadcast_error

                    raise _broadcast_error(f"clamp (input and {name})", self._data, b._data) from None
        return E.Clamp.apply(x, lo, hi)

    clip = clamp

    def clamp_min(self, min: Any) -> Any:  # noqa: A002
        return self.clamp(min, None)

    def clamp_max(self, max: Any) -> Any:  # noqa: A002
        return self.clamp(None, max)

    def maximum(self, other: Any) -> Any:
        """Elementwise maximum (ties share the gradient equally)."""
        return self._binary(other, E.Maximum, "maximum")  # type: ignore[attr-defined]

    def minimum(self, other: Any) -> Any:
        """Elementwise minimum (ties share the gradient equally)."""
        return self._binary(other, E.Minimum, "minimum")  # type: ignore[attr-defined]

    def where(self, condition: Any, other: Any) -> Any:
        """``condition ? self : other`` elementwise."""
        from .functions import where

        return where(condition, self, other)

    def masked_fill(self, mask: Any, value: Any) -> Any:
        """A copy with ``value`` where ``mask`` is True (``mask`` broadcasts to this tensor's shape)."""
        m = mask._data if hasattr(mask, "_data") else np.asarray(mask)
        if m.dtype != np.bool_:
            raise RuntimeError(f"masked_fill: expected a bool mask, got {m.dtype}")
        try:
            np.broadcast_shapes(m.shape, self._data.shape)
        except ValueError:
            raise RuntimeError(f"masked_fill: the mask of shape {m.shape} does not broadcast to the tensor's shape "
                               f"{self._data.shape}") from None
        if hasattr(value, "_data"):
            v = value._cast(self._data.dtype) if value._data.dtype != self._data.dtype else value
            return E.Where.apply(m, v, self)
        return E.Where.apply(m, np.asarray(value, dtype=self._data.dtype), self)

    def pow(self, exponent: Any) -> Any:
        return self ** exponent  # type: ignore[operator]

    def add(self, other: Any, *, alpha: Any = 1) -> Any:
        return self + (other if alpha == 1 else other * alpha)  # type: ignore[operator]

    def sub(self, other: Any, *, alpha: Any = 1) -> Any:
        return self - (other if alpha == 1 else other * alpha)  # type: ignore[operator]

    subtract = sub

    def mul(self, other: Any) -> Any:
        return self * other  # type: ignore[operator]

    multiply = mul

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Any:
        if rounding_mode is None:
            return self / other  # type: ignore[operator]
        q = self / other  # type: ignore[operator]
        if rounding_mode == "floor":
            return q.floor() if self._data.dtype.kind == "f" else self // other  # type: ignore[operator]
        if rounding_mode == "trunc":
            return q.trunc() if self._data.dtype.kind == "f" else q.trunc()._cast(self._data.dtype)
        raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")

    divide = true_divide = div

    def lerp(self, end: Any, weight: Any) -> Any:
        return self + (end - self) * weight  # type: ignore[operator]

    def addcmul(self, t1: Any, t2: Any, *, value: Any = 1) -> Any:
        return self + t1 * t2 * value  # type: ignore[operator]

    def addcdiv(self, t1: Any, t2: Any, *, value: Any = 1) -> Any:
        return self + t1 / t2 * value  # type: ignore[operator]

    def softmax(self, dim: int, dtype: Any = None) -> Any:
        """exp(x_i - max) / sum_j exp(x_j - max) along ``dim`` (shifted by the max: no overflow)."""
        x = self._cast(dtypes.as_dtype(dtype).np) if dtype is not None else self  # type: ignore[attr-defined]
        x._require_float("softmax")
        return Softmax.apply(x, x._dim(dim))

    def log_softmax(self, dim: int, dtype: Any = None) -> Any:
        """x_i - max - log(sum_j exp(x_j - max)) along ``dim``: stable for large and very negative inputs."""
        x = self._cast(dtypes.as_dtype(dtype).np) if dtype is not None else self  # type: ignore[attr-defined]
        x._require_float("log_softmax")
        return LogSoftmax.apply(x, x._dim(dim))

    def isnan(self) -> Any:
        return self._make(np.isnan(self._data), None, False)  # type: ignore[attr-defined]

    def isinf(self) -> Any:
        return self._make(np.isinf(self._data), None, False)  # type: ignore[attr-defined]

    def isfinite(self) -> Any:
        return self._make(np.isfinite(self._data), None, False)  # type: ignore[attr-defined]

    def nan_to_num(self, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Any:
        """nan, +inf and -inf replaced (by 0 and the dtype's largest/smallest finite values unless given)."""
        a = self._data
        if a.dtype.kind != "f":
            return self
        return E.Where.apply(np.isfinite(a), self, np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf))
