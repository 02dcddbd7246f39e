"""Fused activation primitives, and ``erf`` on arrays (NumPy has none).

NOTE: each activation here is one node instead of a chain of ``where``/``exp``/``mul`` nodes: fewer Python calls and
temporaries per layer, and no overflow in a branch ``where`` discards (``exp`` of a large input is inf, and the
gradient of the discarded branch, 0 * inf, would be nan).
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.function import Primitive
from ..backend import xp

Array = Any

# ---------------------------------------------------------------------------------------------------------------- erf
# Rational approximations of erf/erfc on four ranges of |x| (W. J. Cody's scheme), with the coefficients of FDLIBM's
# s_erf.c; error below 1 ulp in float64:
#   Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
#   Developed at SunSoft, a Sun Microsystems, Inc. business.
#   Permission to use, copy, modify, and distribute this software is freely granted, provided that this notice
#   is preserved.
_ERX = 8.45062911510467529297e-01
_PP = (1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02,
       -5.77027029648944159157e-03, -2.37630166566501626084e-05)
_QQ = (1.0, 3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03,
       1.32494738004321644526e-04, -3.96022827877536812320e-06)
_PA = (-2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01,
       3.18346619901161753674e-01, -1.10894694282396677476e-01, 3.54783043256182359371e-02,
       -2.16637559486879084300e-03)
_QA = (1.0, 1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02,
       1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02)
_RA = (-9.86494403484714822705e-03, -6.93858572707181764372e-01, -1.05586262253232909814e+01,
       -6.23753324503260060396e+01, -1.62396669462573470355e+02, -1.84605092906711035994e+02,
       -8.12874355063065934246e+01, -9.81432934416914548592e+00)
_SA = (1.0, 1.96512716674392571292e+01, 1.37657754143519042600e+02, 4.34565877475229228821e+02,
       6.45387271733267880336e+02, 4.29008140027567833386e+02, 1.08635005541779435134e+02,
       6.57024977031928170135e+00, -6.04244152148580987438e-02)
_RB = (-9.86494292470009928597e-03, -7.99283237680523006574e-01, -1.77579549177547519889e+01,
       -1.60636384855821916062e+02, -6.37566443368389627722e+02, -1.02509513161107724954e+03,
       -4.83519191608651397019e+02)
_SB = (1.0, 3.03380607434824582924e+01, 3.25792512996573918826e+02, 1.53672958608443695994e+03,
       3.19985821950859553908e+03, 2.55305040643316442583e+03, 4.74528541206955367215e+02,
       -2.24409524465858183362e+01)


def _poly(z: Array, coefs: tuple[float, ...]) -> Array:
    """c0 + c1 z + c2 z^2 + ... by Horner's rule (Python-float coefficients keep z's dtype)."""
    r = coefs[-1] * z
    for c in coefs[-2:0:-1]:
        r += c
        r *= z
    r += coefs[0]
    return r


def _erf_small(a: Array) -> Array:
    """erf(a) for |a| < 0.84375: a + a R(a^2)."""
    z = a * a
    return a + a * (_poly(z, _PP) / _poly(z, _QQ))


def _erf_mid(ax: Array) -> Array:
    """erf(|a|) for 0.84375 <= |a| < 1.25: erx + P(s)/Q(s) with s = |a| - 1."""
    s = ax - 1.0
    return _ERX + _poly(s, _PA) / _poly(s, _QA)


def _erfc_tail(ax: Array) -> Array:
    """erfc(|a|) for 1.25 <= |a| < 28: exp(-a^2 - 0.5625 + R(1/a^2)/S(1/a^2)) / |a|."""
    s = 1.0 / (ax * ax)
    near = ax < 1 / 0.35
    rs = xp.where(near, _poly(s, _RA) / _poly(s, _SA), _poly(s, _RB) / _poly(s, _SB))
    # NOTE: a^2 is split as z^2 + (a - z)(a + z) with z = a with its low mantissa bits cleared, so that z^2 is exact
    # and exp(-a^2) keeps full precision although a^2 is large (FDLIBM's trick)
    if ax.dtype == xp.float64:
        z = (ax.view(xp.uint64) & xp.uint64(0xFFFFFFFF00000000)).view(xp.float64)
    else:
        z = (ax.view(xp.uint32) & xp.uint32(0xFFFFF000)).view(xp.float32)
    return xp.exp(-z * z - 0.5625) * xp.exp((z - ax) * (z + ax) + rs) / ax


# Single-precision erf: one rational function of x on [-4, 4] (the approximation Eigen and XLA use for float32; a few
# ulp), erf(x) = x A(x^2) / B(x^2), and +-1 beyond, where erf rounds to 1 in float32 anyway.
_ALPHA32 = (-1.60960333262415e-02, -2.95459980854025e-03, -7.34990630326855e-04, -5.69250639462346e-05,
            -2.10102402082508e-06, 2.77068142495902e-08, -2.72614225801306e-10)
_BETA32 = (-1.42647390514189e-02, -7.37332916720468e-03, -1.68282697438203e-03, -2.13374055278905e-04,
           -1.45660718464996e-05)


# NOTE: elementwise chains on large arrays run block by block: each block's temporaries (about 128 KiB) stay in the
# cache and are recycled by the allocator, where whole-array temporaries would each be fresh memory (page faults)
# and every pass of a Horner chain would stream from RAM. Up to four times faster on (64, 16, 128) float32.
_BLOCK = 32768


def _blocks(n: int) -> list[slice]:
    """Slices of ``range(n)`` in blocks of ``_BLOCK`` elements."""
    return [slice(i, i + _BLOCK) for i in range(0, n, _BLOCK)]


def _horner(z: Array, coefs: tuple[float, ...], out: Array) -> Array:
    """``_poly`` into the buffer ``out`` (which must not be ``z``)."""
    xp.multiply(z, coefs[-1], out=out)
    for c in coefs[-2:0:-1]:
        out += c
        out *= z
    out += coefs[0]
    return out


def _odd_rational(a: Array, lim: float, p: tuple[float, ...], q: tuple[float, ...], shift: float, lo: float,
                  hi: float) -> Array:
    """``clip(shift + t P(t^2) / Q(t^2), lo, hi)`` with ``t = clip(a, -lim, lim)``, block by block."""
    flat = a.reshape(-1)
    out = xp.empty_like(flat)
    for s in _blocks(flat.size):
        t = xp.clip(flat[s], -lim, lim)
        z = t * t
        num = _horner(z, p, out[s])
        num /= _horner(z, q, xp.empty_like(z))
        num *= t
        if shift:
            num += shift
        xp.clip(num, lo, hi, out=num)
    return out.reshape(a.shape)


def erf(a: Array) -> Array:
    """The error function erf(a) = 2/sqrt(pi) * integral_0^a exp(-t^2) dt, elementwise on a float array.

    float64 is within 1 ulp (FDLIBM's four ranges); float32 uses one branch-free rational function (a few ulp), which
    costs a third of the ranged version; float16 goes through float32.
    """
    if a.ndim == 0:  # NOTE: NumPy turns 0-d results into scalars, which the scatter below cannot write into
        return erf(a.reshape(1)).reshape(())
    if a.dtype != xp.float64:
        if a.dtype != xp.float32:
            return erf(a.astype(xp.float32)).astype(a.dtype)
        return _odd_rational(a, 4.0, _ALPHA32, _BETA32, 0.0, -1.0, 1.0)
    ax = xp.abs(a)
    with xp.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = _erf_small(a)  # NOTE: cheap, so computed everywhere; most inputs of an activation fall in this range
        rest = xp.flatnonzero(~(ax < 0.84375))  # nan goes with the rest and stays nan
        if rest.size:
            r = ax.reshape(-1)[rest]
            # NOTE: beyond 6, 1 - erfc(|a|) rounds to 1 in float64
            v = xp.where(r < 1.25, _erf_mid(r), xp.where(r >= 6.0, 1.0, 1.0 - _erfc_tail(xp.minimum(r, 6.0))))
            flat = out.reshape(-1)  # a view: out is a fresh contiguous array
            flat[rest] = xp.copysign(v, a.reshape(-1)[rest])
    return out


_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_PI = math.sqrt(2.0 / math.pi)
_KAPPA = 0.044715
# Phi(x) = 1/2 + 1/2 erf(x / sqrt 2) = 1/2 + x P(x^2) / Q(x^2): the float32 erf's rational function with the argument
# scaling folded into its coefficients (alpha_k / 2^k, and 1/(2 sqrt 2) on the numerator), so that the float32 GELU
# needs no passes for x / sqrt 2, 1 + erf and * 1/2. Same accuracy as through erf (2.3e-7 absolute in float32).
_PHI_P32 = tuple(0.5 * _SQRT1_2 * c / 2.0 ** k for k, c in enumerate(_ALPHA32))
_PHI_Q32 = tuple(c / 2.0 ** k for k, c in enumerate(_BETA32))
_PHI_LIM32 = 4.0 / _SQRT1_2


def _normal_cdf(a: Array) -> Array:
    """Phi(a), the standard normal CDF: the rational function above in float32, through ``erf`` otherwise (float64
    to the last ulp)."""
    if a.dtype == xp.float32:
        return _odd_rational(a, _PHI_LIM32, _PHI_P32, _PHI_Q32, 0.5, 0.0, 1.0)
    cdf = erf(a * _SQRT1_2)
    cdf += 1.0
    cdf *= 0.5
    return cdf


# ------------------------------------------------------------------------------------------------------- activations
class Gelu(Primitive):
    """x Phi(x) = x/2 (1 + erf(x/sqrt 2)); with ``approximate='tanh'``, x/2 (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3)))."""

    def forward(self, a: Array, approximate: str = "none") -> Array:
        self.tanh_mode = approximate == "tanh"
        if self.tanh_mode:
            # NOTE: the cube is taken of x clipped to +-1e5, where tanh is already exactly +-1: no overflow, and in
            # the backward (1 - t^2) * x^2 is 0 instead of PyTorch's 0 * inf = nan for huge |x|
            self.ac = ac = xp.clip(a, -1e5, 1e5)
            self.t = xp.tanh(_SQRT_2_PI * (ac + _KAPPA * ac * ac * ac))
            return 0.5 * a * (1.0 + self.t)
        self.a = a
        self.cdf = _normal_cdf(a)
        return a * self.cdf

    def backward(self, g: Array) -> Array:
        if self.tanh_mode:
            t, ac = self.t, self.ac
            # d/dx: (1 + t)/2 + x/2 (1 - t^2) sqrt(2/pi) (1 + 3 kappa x^2)
            inner = _SQRT_2_PI * (1.0 + 3.0 * _KAPPA * ac * ac)
            return g * (0.5 * (1.0 + t) + 0.5 * ac * (1.0 - t * t) * inner)
        # d/dx: Phi(x) + x phi(x), phi(x) = exp(-x^2/2) / sqrt(2 pi) the standard normal density
        a, cdf = self.a.reshape(-1), self.cdf.reshape(-1)
        gf = xp.broadcast_to(g, self.a.shape).reshape(-1)
        out = xp.empty(a.shape, xp.result_type(g, a))
        with xp.errstate(over="ignore"):  # x^2 = inf for huge |x| gives phi = exp(-inf) = 0, as it should
            for s in _blocks(a.size):
                t = out[s]
                xp.multiply(a[s], a[s], out=t)
                t *= -0.5
                xp.exp(t, out=t)
                t *= _INV_SQRT_2PI
                t *= a[s]
                t += cdf[s]
                t *= gf[s]
        return out.reshape(self.a.shape)


class Silu(Primitive):
    """x sigmoid(x); derivative sigmoid(x) (1 + x (1 - sigmoid(x)))."""

    def forward(self, a: Array) -> Array:
        e = xp.exp(-xp.abs(a))  # NOTE: the stable sigmoid: exp(-|a|) never overflows
        s = xp.where(a >= 0, 1.0, e) / (1.0 + e)
        self.a, self.s = a, s
        return a * s

    def backward(self, g: Array) -> Array:
        s = self.s
        return g * s * (1.0 + self.a * (1.0 - s))


class LeakyRelu(Primitive):
    """x if x > 0 else slope * x; at 0 the derivative is the slope, as in PyTorch."""

    def forward(self, a: Array, slope: float) -> Array:
        self.pos, self.slope = a > 0, slope
        return xp.where(self.pos, a, a * slope)

    def backward(self, g: Array) -> Array:
        return xp.where(self.pos, g, g * self.slope)


class Hardtanh(Primitive):
    """clamp(x, lo, hi); unlike clamp, the derivative is 0 at the bounds themselves, as PyTorch's hardtanh."""

    def forward(self, a: Array, lo: float, hi: float) -> Array:
        self.a, self.lo, self.hi = a, lo, hi
        return xp.clip(a, lo, hi)

    def backward(self, g: Array) -> Array:
        a = self.a
        return xp.where((a <= self.lo) | (a >= self.hi), 0, g)


class Elu(Primitive):
    """scale * x if x > 0 else scale * alpha * (exp(input_scale * x) - 1): ELU, and SELU with its constants.

    At 0 the derivative is the negative side's, scale * alpha * input_scale, as in PyTorch."""

    def forward(self, a: Array, alpha: float, scale: float = 1.0, input_scale: float = 1.0) -> Array:
        self.pos, self.scale = a > 0, scale
        self.coef, self.input_scale = alpha * scale, input_scale
        # NOTE: expm1 of the non-positive part: exact near 0 and never overflows for the positive inputs it discards
        self.neg = xp.expm1(xp.minimum(a, 0) * input_scale) * self.coef
        return xp.where(self.pos, a * scale if scale != 1.0 else a, self.neg)

    def backward(self, g: Array) -> Array:
        # on the negative side d/dx = coef * input_scale * exp(input_scale x) = input_scale * (neg + coef)
        gpos = g * self.scale if self.scale != 1.0 else g
        return xp.where(self.pos, gpos, g * (self.input_scale * (self.neg + self.coef)))


class Softplus(Primitive):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch's linear tail)."""

    def forward(self, a: Array, beta: float, threshold: float) -> Array:
        ba = a * beta
        self.lin = ba > threshold
        # NOTE: the exponent is capped at the threshold: exp never overflows on the inputs the linear tail takes
        self.z = xp.exp(xp.minimum(ba, threshold))
        return xp.where(self.lin, a, xp.log1p(self.z) / beta)

    def backward(self, g: Array) -> Array:
        z = self.z
        return xp.where(self.lin, g, g * z / (z + 1.0))
