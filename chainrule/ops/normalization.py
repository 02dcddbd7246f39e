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


def _channels_last_rows(x: Array) -> Array | None:
    """The ``(N * H * W, C)`` view of a 4-D ``x`` whose memory is channels-last (NHWC), as a convolution's output
    is here; None for any other layout."""
    if x.ndim != 4:
        return None
    v = x.transpose(0, 2, 3, 1)
    return v.reshape(-1, x.shape[1]) if v.flags.c_contiguous else None


class BatchNorm(Primitive):
    """Normalise each channel (axis 1) of ``(N, C, *)`` over the batch and the spatial axes, then scale and shift.

    In training the batch mean and biased variance normalise, and ``running_mean``/``running_var`` (arrays or None)
    are updated in place: ``r = (1 - momentum) r + momentum * s``, with the unbiased variance for ``running_var``.
    Otherwise the running statistics normalise.
    """

    # NOTE: a channels-last 4-D input (a convolution's output) is worked on as its (N*H*W, C) view: the per-channel
    # sums become matrix-vector products (BLAS) and every elementwise op runs over contiguous memory; NumPy's
    # reduction over axes (0, 2, 3) of such an array, and the broadcasts against (1, C, 1, 1), cost 1.7-3x as much.
    # The output keeps the input's layout.

    def _sum(self, a: Array) -> Array:
        """Per-channel sum, in the shape that broadcasts against the working view."""
        if self.rows:
            return self.ones @ a
        return a.sum(axis=self.axes, keepdims=True)

    def forward(self, x: Array, weight: Array | None, bias: Array | None, running_mean: Array,
                running_var: Array, training: bool, momentum: float, eps: float) -> Array:
        c, shape = x.shape[1], x.shape
        x2 = _channels_last_rows(x)
        self.rows = x2 is not None
        if x2 is not None:
            x, vshape = x2, (c,)
            self.ones = xp.ones(x2.shape[0], dtype=x2.dtype)
        else:
            vshape = (1, c) + (1,) * (x.ndim - 2)  # a per-channel vector, broadcast against x
        self.axes = (0,) + tuple(range(2, x.ndim))
        if training:
            n = x.size // c
            mean = self._sum(x) * (1.0 / n)
            xhat = x - mean
            var = self._sum(xp.square(xhat)) * (1.0 / n)  # biased: the one that normalises
            invstd = 1.0 / xp.sqrt(var + eps)
            if running_mean is not None:
                running_mean *= 1.0 - momentum
                running_mean += momentum * mean.reshape(c)
            if running_var is not None:
                running_var *= 1.0 - momentum
                running_var += (momentum * n / (n - 1)) * var.reshape(c)  # NOTE: unbiased, as PyTorch
            xhat *= invstd
        else:
            invstd = 1.0 / xp.sqrt(running_var.reshape(vshape) + eps)
            xhat = (x - running_mean.reshape(vshape)) * invstd
        w = weight.reshape(vshape) if weight is not None else None
        out = xhat * w if w is not None else xhat.copy()
        if bias is not None:
            out += bias.reshape(vshape)
        need = self.needs_input_grad
        self.training, self.c, self.shape = training, c, shape
        self.w, self.invstd = w, invstd
        self.xhat = xhat if (need[0] and training) or need[1] else None
        return self._unview(out)

    def _unview(self, a: Array) -> Array:
        """An array of the working view's layout back in the input's shape (a channels-last view when rows)."""
        if not self.rows:
            return a
        n, c, h, w = self.shape
        return a.reshape(n, h, w, c).transpose(0, 3, 1, 2)

    def backward(self, g: Array) -> tuple[Array | None, Array | None, Array | None, None, None]:
        need, c, xhat = self.needs_input_grad, self.c, self.xhat
        if self.rows:
            g2 = _channels_last_rows(g)
            g = g2 if g2 is not None else xp.ascontiguousarray(g.transpose(0, 2, 3, 1)).reshape(-1, c)
        gsum: Array
        gxhat: Array
        gsum = self._sum(g) if need[2] or (need[0] and self.training) else None
        gxhat = self._sum(g * xhat) if xhat is not None else None
        gx = None
        if need[0]:
            scale = self.invstd * self.w if self.w is not None else self.invstd
            if self.training:
                n = g.size // c
                gx = (g - gsum * (1.0 / n) - xhat * (gxhat * (1.0 / n))) * scale
            else:
                gx = g * scale
            gx = self._unview(gx)
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
