"""Fused normalisation primitives: batch norm and layer norm, each one graph node.

NOTE: fused for speed and for one pass: composed from mean/sub/mul/sqrt they would be about ten nodes, each keeping
its own full-size temporary alive for the backward; here the forward keeps only the normalised input, and the
backward is the closed form dx = invstd * (g' - mean(g') - xhat * mean(g' * xhat)), g' = g * weight.
All constants are Python floats and ints, so float32 stays float32 (NumPy 2 treats them as weak).
"""

from __future__ import annotations

from typing import Any

from ..autograd.function import Primitive
from ..backend import xp

Array = Any


class BatchNorm(Primitive):
    """Normalise each channel (axis 1) of ``(N, C, *)`` over the batch and the spatial axes, then scale and shift.

    In training the batch mean and biased variance normalise, and ``running_mean``/``running_var`` (arrays or None)
    are updated in place: ``r = (1 - momentum) r + momentum * s``, with the unbiased variance for ``running_var``.
    Otherwise the running statistics normalise.
    """

    def forward(self, x: Array, weight: Array | None, bias: Array | None, running_mean: Array,
                running_var: Array, training: bool, momentum: float, eps: float) -> Array:
        c = x.shape[1]
        axes = (0,) + tuple(range(2, x.ndim))
        bshape = (1, c) + (1,) * (x.ndim - 2)  # a per-channel vector, broadcast against x
        if training:
            n = x.size // c
            mean = x.mean(axis=axes, keepdims=True)
            xhat = x - mean
            var = (xhat * xhat).mean(axis=axes, keepdims=True)  # biased: the one that normalises
            invstd = 1.0 / xp.sqrt(var + eps)
            if running_mean is not None:
                running_mean *= 1.0 - momentum
                running_mean += momentum * mean.reshape(c)
            if running_var is not None:
                running_var *= 1.0 - momentum
                running_var += (momentum * n / (n - 1)) * var.reshape(c)  # NOTE: unbiased, as PyTorch
            xhat *= invstd
        else:
            invstd = 1.0 / xp.sqrt(running_var.reshape(bshape) + eps)
            xhat = (x - running_mean.reshape(bshape)) * invstd
        w = weight.reshape(bshape) if weight is not None else None
        out = xhat * w if w is not None else xhat.copy()
        if bias is not None:
            out += bias.reshape(bshape)
        need = self.needs_input_grad
        self.training, self.axes, self.c = training, axes, c
        self.w, self.invstd = w, invstd
        self.xhat = xhat if (need[0] and training) or need[1] else None
        return out

    def backward(self, g: Array) -> tuple[Array | None, Array | None, Array | None, None, None]:
        need, axes, c, xhat = self.needs_input_grad, self.axes, self.c, self.xhat
        gsum: Array
        gxhat: Array
        gsum = g.sum(axis=axes, keepdims=True) if need[2] or (need[0] and self.training) else None
        gxhat = (g * xhat).sum(axis=axes, keepdims=True) if xhat is not None else None
        gx = None
        if need[0]:
            scale = self.invstd * self.w if self.w is not None else self.invstd
            if self.training:
                n = g.size // c
                gx = (g - gsum / n - xhat * (gxhat / n)) * scale
            else:
                gx = g * scale
        gw = gxhat.reshape(c) if need[1] else None
        gb = gsum.reshape(c) if need[2] else None
        return gx, gw, gb, None, None


class LayerNorm(Primitive):
    """Normalise over the last ``ndim`` axes of ``x`` (mean and biased variance), then scale and shift elementwise by
    ``weight``/``bias`` of the normalised shape (or None)."""

    # NOTE: x is viewed as a matrix (M, D), D the normalised size, and every row and column sum is a matrix-vector
    # product with a constant vector (BLAS): NumPy's sum along a short last axis costs five times as much. The
    # weight folds into those vectors in the backward, so g * weight is formed once.

    def forward(self, x: Array, weight: Array | None, bias: Array | None, ndim: int, eps: float) -> Array:
        shape = x.shape
        d = 1
        for n in shape[x.ndim - ndim:]:
            d *= n
        x2 = x.reshape(-1, d)
        avg = xp.full((d, 1), 1.0 / d, dtype=x.dtype)  # NOTE: in x's dtype, so float32 stays float32
        xhat = x2 - x2 @ avg
        var = xp.square(xhat) @ avg
        var += eps
        invstd = 1.0 / xp.sqrt(var)
        xhat *= invstd
        if weight is not None:
            out = xhat * weight.reshape(d)
        else:
            out = xhat.copy()
        if bias is not None:
            out += bias.reshape(d)
        self.shape, self.ndim, self.d, self.avg = shape, ndim, d, avg
        self.w, self.invstd, self.xhat = weight, invstd, xhat
        return out.reshape(shape)

    def backward(self, g: Array) -> tuple[Array | None, Array | None, Array | None]:
        need, xhat, d, w = self.needs_input_grad, self.xhat, self.d, self.w
        g2 = g.reshape(-1, d)
        nshape = self.shape[len(self.shape) - self.ndim:]
        gxh: Array = g2 * xhat if need[0] or need[1] else None
        ones = xp.ones(g2.shape[0], dtype=g2.dtype) if need[1] or need[2] else None
        gw = (ones @ gxh).reshape(nshape) if need[1] else None
        gb = (ones @ g2).reshape(nshape) if need[2] else None
        gx = None
        if need[0]:
            # dx = invstd (g' - mean(g') - xhat mean(g' xhat)), g' = g * weight; mean(g' v) = (g v) @ (weight / D)
            wavg = self.avg if w is None else w.reshape(d, 1) * self.avg
            gx = xhat * (gxh @ wavg)
            gx += g2 @ wavg
            gn = g2 * w.reshape(d) if w is not None else g2.copy()
            gn -= gx
            gn *= self.invstd
            gx = gn.reshape(self.shape)
        return gx, gw, gb
