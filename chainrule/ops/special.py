"""Pointwise functions beyond basic arithmetic: inverse trigonometric and hyperbolic functions, atan2, hypot, fmod,
remainder, logit, xlogy and logaddexp.

Their forwards and backwards run under :class:`~chainrule.ops.elementwise.quiet`: a finite input can give inf or nan
here (asin(2), atanh(1), sinh(1000), fmod(x, 0), logit(1)), which PyTorch returns without a warning. The gradients
follow PyTorch's formulas (tools/autograd/derivatives.yaml), including its values at the edges of the domains.
"""

from __future__ import annotations

from typing import Any, Callable

from ..autograd.function import Primitive
from ..backend import xp
from .elementwise import quiet

Array = Any


class _Unary(Primitive):
    """y = f(a), dy/da = df(a): a subclass names the pair."""

    f: Callable[[Array], Array]
    df: Callable[[Array], Array]

    def forward(self, a: Array) -> Array:
        self.a = a
        with quiet():
            return self.f(a)

    def backward(self, g: Array) -> Array:
        with quiet():
            return g * self.df(self.a)


class Asin(_Unary):
    f = staticmethod(xp.arcsin)
    df = staticmethod(lambda a: 1 / xp.sqrt(1 - a * a))  # 1 / sqrt(1 - a^2): inf at |a| = 1


class Acos(_Unary):
    f = staticmethod(xp.arccos)
    df = staticmethod(lambda a: -1 / xp.sqrt(1 - a * a))


class Atan(_Unary):
    f = staticmethod(xp.arctan)
    df = staticmethod(lambda a: 1 / (1 + a * a))


class Sinh(_Unary):
    f = staticmethod(xp.sinh)
    df = staticmethod(xp.cosh)


class Cosh(_Unary):
    f = staticmethod(xp.cosh)
    df = staticmethod(xp.sinh)


class Asinh(_Unary):
    f = staticmethod(xp.arcsinh)
    df = staticmethod(lambda a: 1 / xp.sqrt(a * a + 1))


class Acosh(_Unary):
    f = staticmethod(xp.arccosh)
    df = staticmethod(lambda a: 1 / xp.sqrt(a * a - 1))  # nan below 1, as PyTorch's rsqrt(a^2 - 1)


class Atanh(_Unary):
    f = staticmethod(xp.arctanh)
    df = staticmethod(lambda a: 1 / (1 - a * a))


class Atan2(Primitive):
    """atan2(a, b): the angle of the point (b, a), in [-pi, pi]."""

    def forward(self, a: Array, b: Array) -> Array:
        self.a, self.b = a, b
        return xp.arctan2(a, b)

    def backward(self, g: Array) -> tuple[Array | None, Array | None]:
        a, b = self.a, self.b
        with quiet():
            # NOTE: d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2); PyTorch sets 1 / (a^2 + b^2) to 0 where it is inf
            # (at the origin), so the gradient there is 0, not 0 * inf = nan
            den = a * a + b * b
            r = xp.where(den == 0, 0, 1 / den)
            return (g * b * r if self.needs_input_grad[0] else None), (-g * a * r if self.needs_input_grad[1] else None)


class Hypot(Primitive):
    """sqrt(a^2 + b^2) without overflow in the squares."""

    def forward(self, a: Array, b: Array) -> Array:
        self.a, self.b = a, b
        self.out = xp.hypot(a, b)
        return self.out

    def backward(self, g: Array) -> tuple[Array | None, Array | None]:
        with quiet():  # a / out at the origin is 0 / 0 = nan, as in PyTorch
            ga = g * self.a / self.out if self.needs_input_grad[0] else None
            gb = g * self.b / self.out if self.needs_input_grad[1] else None
        return ga, gb


def _check_int_divisor(a: Array, b: Array, op: str) -> None:
    """Integer fmod / remainder by zero is an error in PyTorch (NumPy would return 0 with a warning)."""
    if xp.result_type(a, b).kind in "iub" and not xp.all(b):
        raise RuntimeError(f"{op}: ZeroDivisionError (integer division by zero)")


class _Modulo(Primitive):
    """a - q(a / b) b for a rounding ``q`` of the quotient: d/da = 1, d/db = -q(a / b). A subclass names the pair."""

    op: str
    f: Callable[[Array, Array], Array]
    q: Callable[[Array], Array]

    def forward(self, a: Array, b: Array) -> Array:
        _check_int_divisor(a, b, self.op)
        self.a, self.b = a, b
        with quiet():  # x mod 0 = nan for floats
            return self.f(a, b)

    def backward(self, g: Array) -> tuple[Array | None, Array | None]:
        if not self.needs_input_grad[1]:
            return g, None
        with quiet():
            return g, -g * self.q(self.a / self.b)


class Fmod(_Modulo):
    """C's fmod: a - trunc(a / b) b, the sign of the dividend ``a``."""

    op, f, q = "fmod", staticmethod(xp.fmod), staticmethod(xp.trunc)


class Remainder(_Modulo):
    """Python's modulo: a - floor(a / b) b, the sign of the divisor ``b``."""

    op, f, q = "remainder", staticmethod(xp.remainder), staticmethod(xp.floor)


class Logit(Primitive):
    """log(z / (1 - z)) with z = a, or with z = a clamped to [eps, 1 - eps] when ``eps`` is given."""

    def forward(self, a: Array, eps: float | None) -> Array:
        self.a, self.eps = a, eps
        z = a
        if eps is not None:
            # NOTE: PyTorch's kernel: a < eps ? eps : (a > 1 - eps ? 1 - eps : a) (the lower bound wins if eps > 1/2)
            z = xp.where(a < eps, eps, xp.where(a > 1 - eps, 1 - eps, a)).astype(a.dtype, copy=False)
        with quiet():  # logit(0) = -inf, logit(1) = inf, nan outside [0, 1]
            return xp.log(z / (1 - z))

    def backward(self, g: Array) -> tuple[Array, None]:
        a, eps = self.a, self.eps
        with quiet():
            d = g / (a * (1 - a))
            # NOTE: PyTorch: nan outside [0, 1] without eps; 0 where the input was clamped with it (bounds included)
            if eps is None:
                return xp.where((a < 0) | (a > 1), xp.nan, d), None
            return xp.where((a < eps) | (a > 1 - eps), 0, d), None


def _xlogy(x: Array, y: Array) -> Array:
    """x log(y), 0 where x == 0 unless y is nan (call under quiet())."""
    return xp.where((x == 0) & ~xp.isnan(y), 0, x * xp.log(y))


class Xlogy(Primitive):
    """x log(y), defined as 0 where x == 0 (unless y is nan): the entropy term 0 log 0 = 0."""

    def forward(self, x: Array, y: Array) -> Array:
        self.x, self.y = x, y
        with quiet():
            return _xlogy(x, y)

    def backward(self, g: Array) -> tuple[Array | None, Array | None]:
        x, y = self.x, self.y
        need = self.needs_input_grad
        with quiet():
            # NOTE: PyTorch's d/dx = xlogy(g, y), set to 0 where x == 0 and y <= 0 (so 0 at 0 log 0, log(y) at 0 log y
            # for y > 0); d/dy = g x / y
            gx = xp.where((x == 0) & (y <= 0), 0, _xlogy(g, y)) if need[0] else None
            gy = g * x / y if need[1] else None
        return gx, gy


class Logaddexp(Primitive):
    """log(e^a + e^b), computed without overflow (NumPy's logaddexp shifts by the larger input)."""

    def forward(self, a: Array, b: Array) -> Array:
        self.a, self.b = a, b
        with quiet():  # NumPy flags a nan input as invalid; PyTorch passes it on silently
            return xp.logaddexp(a, b)

    def backward(self, g: Array) -> tuple[Array | None, Array | None]:
        a, b = self.a, self.b
        need = self.needs_input_grad
        with quiet():  # d/da = 1 / (1 + e^(b - a)); nan where a = b = +-inf, as in PyTorch
            ga = g / (1 + xp.exp(b - a)) if need[0] else None
            gb = g / (1 + xp.exp(a - b)) if need[1] else None
        return ga, gb
