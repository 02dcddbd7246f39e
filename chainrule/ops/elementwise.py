"""Elementwise primitives. Inputs are arrays or Python scalars; outputs keep the broadcast shape and the engine sums
gradients back to each input's shape."""

from __future__ import annotations

import importlib
import operator
import warnings
from typing import Any

from ..autograd.function import Primitive
from ..backend import xp
from .scratch import scratch_like

Array = Any

# NOTE: NumPy 2 keeps its floating-point error modes in a context variable; setting it to a prebuilt value costs
# ~0.15 us where ``xp.errstate(...)`` costs ~0.9 us to build, enter and leave (measured on a 4x4 float32 division).
# ``errstate`` itself is this context variable; without it (another NumPy) ``quiet`` falls back to ``errstate``.
def _quiet_errstate() -> tuple[Any, Any]:
    """NumPy 2's error-mode context variable and its all-quiet value; ``(None, None)`` when they cannot be found or
    used, or the value does not silence a division by zero (checked once, here): they are NumPy internals."""
    try:
        config: Any = importlib.import_module("numpy._core._ufunc_config")
        var, value = config._extobj_contextvar, config._make_extobj(divide="ignore", invalid="ignore", over="ignore")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            token = var.set(value)
            try:
                xp.ones(1) / xp.zeros(1)
            finally:
                var.reset(token)
        return var, value
    except Exception:  # NumPy 1.x, or internals that changed
        return None, None


_ERRSTATE, _QUIET = _quiet_errstate()


class quiet:
    """``with quiet():`` -- IEEE results without NumPy's divide, invalid and overflow warnings, as PyTorch returns
    them: 1/0 = inf, 0/0 = nan, exp(1000) = inf, asin(2) = nan.

    NOTE: only the primitives whose finite inputs can give inf or nan (division, pow, exp, log, sqrt, the inverse
    trigonometric and hyperbolic functions, ...) run under it, each in its own forward and backward: a central
    wrapper in ``apply`` would tax every op (a small ``a + b`` costs ~0.75 us in all)."""

    __slots__ = ("_token",)
    _token: Any

    def __enter__(self) -> None:
        if _ERRSTATE is None:
            self._token = xp.errstate(divide="ignore", invalid="ignore", over="ignore")
            self._token.__enter__()
        else:
            self._token = _ERRSTATE.set(_QUIET)

    def __exit__(self, *exc: Any) -> None:
        if _ERRSTATE is None:
            self._token.__exit__(*exc)
        else:
            _ERRSTATE.reset(self._token)


def quiet_truediv(a: Array, b: Array) -> Array:
    """a / b with IEEE results and no warning (x/0 = +-inf, 0/0 = nan): ``Div.fn``, the no-graph fast path of ``/``.

    NOTE: the context variable is set inline: ``with quiet():`` would cost ~0.4 us per call here, this ~0.2 us."""
    if _ERRSTATE is None:
        with quiet():
            return a / b
    token = _ERRSTATE.set(_QUIET)
    try:
        return a / b
    finally:
        _ERRSTATE.reset(token)


def quiet_floor_divide(a: Array, b: Array) -> Array:
    """floor(a / b) with IEEE results and no warning for floats (1 // 0 = inf, 0 // 0 = nan); an integer division by
    zero raises, as in PyTorch (NumPy would return 0 with a warning)."""
    if xp.result_type(a, b).kind in "iub" and not xp.all(b):
        raise RuntimeError("floor_divide: ZeroDivisionError (integer division by zero)")
    with quiet():
        return xp.floor_divide(a, b)


def quiet_pow(a: Array, b: Array) -> Array:
    """a ** b with IEEE results and no warning (0 ** -1 = inf, (-1) ** 0.5 = nan, overflow = inf): ``Pow.fn``."""
    if _ERRSTATE is None:
        with quiet():
            return a ** b
    token = _ERRSTATE.set(_QUIET)
    try:
        return a ** b
    finally:
        _ERRSTATE.reset(token)


def keep_where(g: Array, keep: Array) -> Array:
    """``g`` where ``keep`` is true and +0 elsewhere, exactly (an inf or nan of ``g`` outside ``keep`` gives 0, as
    ``where(keep, g, 0)``).

    NOTE: ``xp.where(keep, g, 0)`` costs 5-10 ns per element in NumPy 2 (measured: 8.7 ms for ReLU's backward on
    W2's 1.6M-element activation); multiplying the float's bit pattern, viewed as an unsigned integer, by the 0/1
    mask is the same selection at the speed of one multiply (0.9 ms), with no float arithmetic to make nan of inf."""
    if getattr(g, "dtype", None) is None or g.dtype.kind != "f" or g.shape != keep.shape:
        return xp.where(keep, g, 0)
    u = f"u{g.dtype.itemsize}"
    out = scratch_like(g.shape, g, g.dtype)
    xp.multiply(g.view(u), keep, out=out.view(u))
    return out


class Add(Primitive):
    fn = staticmethod(operator.add)

    def forward(self, a: Array, b: Array) -> Array:
        return a + b

    def backward(self, g: Array) -> tuple[Array, Array]:
        return g, g


class Sub(Primitive):
    fn = staticmethod(operator.sub)

    def forward(self, a: Array, b: Array) -> Array:
        return a - b

    def backward(self, g: Array) -> tuple[Array, Array | None]:
        return g, (-g if self.needs_input_grad[1] else None)


class Mul(Primitive):
    fn = staticmethod(operator.mul)

    def forward(self, a: Array, b: Array) -> Array:
        need = self.needs_input_grad
        self.a = a if need[1] else None
        self.b = b if need[0] else None
        return a * b

    def backward(self, g: Array) -> tuple[Array | None, Array | None]:
        return (g * self.b if self.b is not None else None), (g * self.a if self.a is not None else None)


class Div(Primitive):
    fn = staticmethod(quiet_truediv)

    def forward(self, a: Array, b: Array) -> Array:
        with quiet():
            out = a / b
        self.b = b
        self.out = out if self.needs_input_grad[1] else None
        return out

    def backward(self, g: Array) -> tuple[Array | None, Array | None]:
        with quiet():  # b = 0: inf or nan gradients, as in PyTorch
            ga = g / self.b if self.needs_input_grad[0] else None
            gb = -g * self.out / self.b if self.out is not None else None  # d(a/b)/db = -a/b^2 = -out/b
        return ga, gb


class Pow(Primitive):
    fn = staticmethod(quiet_pow)

    def forward(self, a: Array, b: Array) -> Array:
        with quiet():
            out = a ** b
        self.a, self.b = a, b
        self.out = out if self.needs_input_grad[1] else None
        return out

    def backward(self, g: Array) -> tuple[Array | None, Array | None]:
        a, b = self.a, self.b
        ga = gb = None
        with quiet():  # 0^(b-1) for b < 1 is inf, as in PyTorch
            if self.needs_input_grad[0]:
                if isinstance(b, (int, float)):
                    ga = g * (2 * a if b == 2 else b * a ** (b - 1)) if b != 0 else xp.zeros_like(g * a)
                else:
                    # NOTE: b * a^(b-1) with the b == 0 terms forced to 0, as PyTorch does (0 * 0^-1 would be nan)
                    ga = g * xp.where(b == 0, 0, b * a ** (b - 1))
            if self.out is not None:
                # NOTE: d(a^b)/db = a^b log(a); PyTorch defines it as 0 where a == 0 and b >= 0 (log 0 = -inf).
                # A Python-scalar base is made an array of the output's dtype first: log(2.0) would be an np.float64
                # scalar, which NumPy 2 does not treat as weak, and the gradient would turn float64.
                a = xp.asarray(a, dtype=self.out.dtype) if isinstance(a, (int, float)) else a
                gb = g * xp.where((a == 0) & (b >= 0), 0, self.out * xp.log(a))
        return ga, gb


class Neg(Primitive):
    def forward(self, a: Array) -> Array:
        return -a

    def backward(self, g: Array) -> Array:
        return -g


class Exp(Primitive):
    def forward(self, a: Array) -> Array:
        with quiet():  # exp(1000) = inf
            self.out = xp.exp(a)
        return self.out

    def backward(self, g: Array) -> Array:
        with quiet():  # 0 * inf = nan where the output overflowed
            return g * self.out


class Log(Primitive):
    def forward(self, a: Array) -> Array:
        self.a = a
        with quiet():  # log(0) = -inf, log(-1) = nan
            return xp.log(a)

    def backward(self, g: Array) -> Array:
        with quiet():
            return g / self.a


class Log1p(Primitive):
    def forward(self, a: Array) -> Array:
        self.a = a
        with quiet():
            return xp.log1p(a)

    def backward(self, g: Array) -> Array:
        with quiet():
            return g / (1 + self.a)


class Sqrt(Primitive):
    """sqrt(a); ``zero_grad_at_0`` gives a zero gradient where the output is 0 instead of inf."""

    def forward(self, a: Array, zero_grad_at_0: bool = False) -> Array:
        with quiet():  # sqrt(-1) = nan
            self.out, self.mask0 = xp.sqrt(a), zero_grad_at_0
        return self.out

    def backward(self, g: Array) -> Array:
        with quiet():  # 1 / (2 sqrt(0)) = inf, as in PyTorch
            if self.mask0:
                # NOTE: std and the 2-norm of a constant / zero input: PyTorch defines the gradient as 0 there, where
                # the chain rule would give 0 * inf = nan
                return xp.where(self.out == 0, 0, g / (2 * self.out))
            return g / (2 * self.out)


class Rsqrt(Primitive):
    def forward(self, a: Array) -> Array:
        with quiet():  # 1 / sqrt(0) = inf
            self.out = 1 / xp.sqrt(a)
        return self.out

    def backward(self, g: Array) -> Array:
        with quiet():  # out^3 overflows float32 for a < ~1e-26
            return -0.5 * g * self.out ** 3  # d(a^-1/2)/da = -1/2 a^-3/2


class Sin(Primitive):
    def forward(self, a: Array) -> Array:
        self.a = a
        return xp.sin(a)

    def backward(self, g: Array) -> Array:
        return g * xp.cos(self.a)


class Cos(Primitive):
    def forward(self, a: Array) -> Array:
        self.a = a
        return xp.cos(a)

    def backward(self, g: Array) -> Array:
        return -g * xp.sin(self.a)


class Tanh(Primitive):
    def forward(self, a: Array) -> Array:
        self.out = xp.tanh(a)
        return self.out

    def backward(self, g: Array) -> Array:
        return g * (1 - self.out * self.out)


class Sigmoid(Primitive):
    def forward(self, a: Array) -> Array:
        # NOTE: exp(-|a|) never overflows; sigma(a) = 1/(1+e^-a) for a >= 0 and e^a/(1+e^a) below
        e = xp.exp(-xp.abs(a))
        self.out = xp.where(a >= 0, 1, e) / (1 + e)
        return self.out

    def backward(self, g: Array) -> Array:
        return g * self.out * (1 - self.out)


class Relu(Primitive):
    def forward(self, a: Array) -> Array:
        if getattr(a, "ndim", 0) and a.dtype.kind == "f":  # a large activation: into a reused buffer (ops.scratch)
            self.out = xp.maximum(a, 0, out=scratch_like(a.shape, a, a.dtype))
        else:
            self.out = xp.maximum(a, 0)
        return self.out

    def backward(self, g: Array) -> Array:
        # NOTE: not g * (out > 0): a nan input passes g on, and an inf of g gives 0 where out <= 0, as in PyTorch
        keep = xp.less_equal(self.out, 0)
        return keep_where(g, xp.logical_not(keep, out=keep))


class Abs(Primitive):
    def forward(self, a: Array) -> Array:
        self.a = a
        return xp.abs(a)

    def backward(self, g: Array) -> Array:
        return g * xp.sign(self.a)


class Maximum(Primitive):
    """Elementwise max; at ties the gradient is split in half between the inputs, as in PyTorch."""

    fn = staticmethod(xp.maximum)

    def forward(self, a: Array, b: Array) -> Array:
        self.a, self.b = a, b
        return xp.maximum(a, b)

    def backward(self, g: Array) -> tuple[Array, Array]:
        return _split_ties(g, self.a, self.b)


class Minimum(Primitive):
    """Elementwise min; at ties the gradient is split in half between the inputs, as in PyTorch."""

    fn = staticmethod(xp.minimum)

    def forward(self, a: Array, b: Array) -> Array:
        self.a, self.b = a, b
        return xp.minimum(a, b)

    def backward(self, g: Array) -> tuple[Array, Array]:
        return _split_ties(g, self.b, self.a)


def _split_ties(g: Array, hi: Array, lo: Array) -> tuple[Array, Array]:
    """Gradients of max(hi, lo) for the pair (first, second): all to the larger, half each at a tie.

    NOTE: each side is zeroed only where it is strictly the smaller one, so where a nan makes both comparisons false
    both inputs get g (PyTorch's maximum/minimum backward)."""
    half = xp.where(hi == lo, g * 0.5, g)
    return xp.where(hi < lo, 0, half), xp.where(hi > lo, 0, half)


class Clamp(Primitive):
    """clamp(a, lo, hi) = min(max(a, lo), hi); the gradient passes where lo <= a <= hi (bounds included)."""

    def forward(self, a: Array, lo: Array | None, hi: Array | None) -> Array:
        self.a, self.lo, self.hi = a, lo, hi
        out = a
        if lo is not None:
            out = xp.maximum(out, lo)
        if hi is not None:
            out = xp.minimum(out, hi)
        return out

    def backward(self, g: Array) -> tuple[Array | None, Array | None, Array | None]:
        # NOTE: PyTorch's masks exactly: a gets g where lo <= a <= hi, lo where a < lo, hi where a > hi; where the
        # bounds cross (lo > hi) the output is hi, so hi takes all of g and lo none (clamp_backward_min_max)
        a, lo, hi = self.a, self.lo, self.hi
        need = self.needs_input_grad
        keep = True
        if lo is not None:
            keep = a >= lo
        if hi is not None:
            keep = keep & (a <= hi)
        both = lo is not None and hi is not None
        glo = ghi = None
        if lo is not None and need[1]:
            glo = g * ((a < lo) & (lo < hi) if both else a < lo)
        if hi is not None and need[2]:
            ghi = g * ((a > hi) | (hi < lo) if both else a > hi)
        return (g * keep if need[0] else None), glo, ghi


class Where(Primitive):
    def forward(self, cond: Array, a: Array, b: Array) -> Array:
        self.cond = cond
        return xp.where(cond, a, b)

    def backward(self, g: Array) -> tuple[None, Array | None, Array | None]:
        c = self.cond
        need = self.needs_input_grad
        if getattr(c, "shape", None) != getattr(g, "shape", None):  # a broadcast condition: the general where
            return None, (xp.where(c, g, 0) if need[1] else None), (xp.where(c, 0, g) if need[2] else None)
        return None, (keep_where(g, c) if need[1] else None), (keep_where(g, xp.logical_not(c)) if need[2] else None)


class Cast(Primitive):
    """Change the element type; the gradient goes back in the input's type (the engine casts it)."""

    def forward(self, a: Array, dtype: Any) -> Array:
        return a.astype(dtype)

    def backward(self, g: Array) -> tuple[Array, None]:
        return g, None


class Rounding(Primitive):
    """floor, ceil, round, trunc, sign: piecewise constant, so the gradient is zero everywhere (as in PyTorch)."""

    def forward(self, a: Array, fn: Any) -> Array:
        return fn(a)

    def backward(self, g: Array) -> tuple[Array, None]:
        return xp.zeros_like(g), None
