"""Pooling primitives on ``(N, C, H, W)`` arrays: max, average, adaptive average/max and stochastic pooling.

The 1-D poolings of ``nn.functional`` call these with ``H = 1``. Windows are strided views of the (padded) input
(``as_strided``), never a Python loop over output pixels; a loop over the few kernel offsets is allowed where it
replaces a scatter (average-pool backward).

NOTE: every pooling is one fused primitive: composed from indexing and reductions it would keep a copy of all the
windows alive for the backward; here max pooling keeps only the arg-max indices.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Primitive
from ..backend import xp
from .scratch import scratch_like as _scratch_like

Array = Any
Pair = tuple[int, int]

__all__ = ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "StochasticPool2d",
           "adaptive_bins"]


def _padded(x: Array, pad: Pair, extent: Pair, value: float) -> Array:
    """``x`` with ``pad`` rows/cols of ``value`` before and enough after to span ``extent`` (at least ``pad``)."""
    n, c, h, w = x.shape
    (ph, pw), (eh, ew) = pad, extent
    hp, wp = max(h + 2 * ph, eh), max(w + 2 * pw, ew)
    if (hp, wp) == (h, w):
        return x
    out = xp.full((n, c, hp, wp), value, dtype=x.dtype)
    out[:, :, ph:ph + h, pw:pw + w] = x
    return out


def _windows(xpad: Array, kernel: Pair, stride: Pair, dilation: Pair, out: Pair) -> Array:
    """A read-only view ``(N, C, oh, ow, kh, kw)`` of every pooling window of ``xpad``."""
    s0, s1, s2, s3 = xpad.strides
    shape = xpad.shape[:2] + out + kernel
    strides = (s0, s1, stride[0] * s2, stride[1] * s3, dilation[0] * s2, dilation[1] * s3)
    return xp.lib.stride_tricks.as_strided(xpad, shape, strides, writeable=False)


def _scatter_windows(gw: Array, shape: tuple[int, ...], stride: Pair, dilation: Pair) -> Array:
    """The adjoint of :func:`_windows`: add window gradients ``(N, C, oh, ow, kh, kw)`` into an array of ``shape``.

    One strided slice per kernel offset, so overlapping windows accumulate without a scatter.
    """
    out = xp.zeros(shape, dtype=gw.dtype)
    oh, ow, kh, kw = gw.shape[2:]
    for i in range(kh):
        r = i * dilation[0]
        for j in range(kw):
            c = j * dilation[1]
            out[:, :, r:r + (oh - 1) * stride[0] + 1:stride[0], c:c + (ow - 1) * stride[1] + 1:stride[1]] += \
                gw[:, :, :, :, i, j]
    return out


class _ArgPool(Primitive):
    """Backward shared by the poolings whose output is one input element: the gradient goes to that element."""

    flat: Array  # per output element, the flat index of its source in the (N*C*H*W) input
    x_shape: tuple[int, ...]
    overlap: bool  # may two outputs share a source? Then gradients must accumulate.

    def _save(self, x_shape: tuple[int, ...], plane_idx: Array, overlap: bool) -> None:
        n, c, h, w = x_shape
        offsets = (xp.arange(n * c, dtype=xp.int64) * (h * w)).reshape(n, c, 1, 1)
        self.flat, self.x_shape, self.overlap = (plane_idx + offsets).ravel(), x_shape, overlap

    def backward(self, g: Array) -> tuple[Array, ...]:
        size = int(np.prod(self.x_shape))
        if self.overlap:
            # NOTE: bincount sums every contribution to a shared source (a fancy-index += would keep only the last);
            # it accumulates in float64, then the result returns to g's dtype
            dx = xp.bincount(self.flat, weights=g.ravel(), minlength=size).astype(g.dtype, copy=False)
        else:
            dx = xp.zeros(size, dtype=g.dtype)
            dx[self.flat] = g.ravel()
        return (dx.reshape(self.x_shape),)


class MaxPool2d(Primitive):
    """The maximum of every (dilated) window of the ``-inf``-padded input.

    NOTE: one pass per kernel offset over strided views, keeping the running maximum and the offset it came from:
    no copy of the windows (an ``argmax`` over a copied ``(..., kh*kw)`` array is several times slower for the
    usual 2x2 or 3x3 windows). A later element wins only when strictly greater or NaN -- PyTorch's rule -- so ties
    go to the first maximum in row-major window order and a NaN propagates.

    The backward adds ``g`` where the window's arg-max offset is ``k``, one offset at a time: for a fixed offset
    the windows map to distinct input positions, so overlapping windows accumulate without a scatter.
    ``return_indices`` (``sink``) gets the flat ``h * W + w`` index of each maximum in the unpadded plane.
    """

    fast: bool = False  # took the 2x2 / stride 2 path (see _forward_2x2)

    def forward(self, x: Array, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, out: Pair,
                sink: list[Array] | None = None) -> Array:
        h, w = x.shape[2:]
        (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out
        if kernel == stride == (2, 2) and padding == (0, 0) and dilation == (1, 1) and sink is None \
                and 2 * oh <= h and 2 * ow <= w:
            y = self._forward_2x2(x, out)
            if y is not None:
                return y
        extent = ((oh - 1) * sh + (kh - 1) * dh + 1, (ow - 1) * sw + (kw - 1) * dw + 1)
        xpad = _padded(x, padding, extent, -np.inf)
        win = _windows(xpad, kernel, stride, dilation, out)
        y = win[:, :, :, :, 0, 0].copy()
        track = sink is not None or self.needs_input_grad[0]
        itype = xp.int8 if kh * kw < 128 else xp.int32
        arg: Array = xp.zeros(y.shape, dtype=itype) if track else None
        for k in range(1, kh * kw):
            v = win[:, :, :, :, k // kw, k % kw]
            if track:
                upd = v > y
                upd |= xp.isnan(v)
                # NOTE: offsets only grow, so "arg = k where upd" is a maximum (much faster than where/copyto)
                xp.maximum(arg, upd.view(xp.int8).astype(itype, copy=False) * itype(k), out=arg)
            xp.maximum(y, v, out=y)  # propagates NaN, as PyTorch
        if sink is not None:
            rows = xp.arange(oh).reshape(oh, 1) * sh + (arg // kw).astype(xp.int64) * dh - padding[0]
            cols = xp.arange(ow) * sw + (arg % kw).astype(xp.int64) * dw - padding[1]
            # NOTE: an all -inf window may "pick" padding; report the nearest real element instead
            sink.append(xp.clip(rows, 0, h - 1) * w + xp.clip(cols, 0, w - 1))
        if self.needs_input_grad[0]:
            self.arg, self.pad_shape, self.x_shape = arg, xpad.shape, x.shape
            self.kernel, self.stride, self.padding, self.dilation = kernel, stride, padding, dilation
        return y

    def _forward_2x2(self, x: Array, out: Pair) -> Array | None:
        """The common 2x2 / stride 2 pooling: non-overlapping windows, so three ``maximum`` calls over the four
        strided corner views. Ties go to the first maximum in row-major order as in the general path: a right
        column wins its row only when strictly greater (``i0``, ``i1``), the bottom row only when its maximum is
        strictly greater (``r``). None when a NaN appeared: the general path then applies PyTorch's NaN rule.

        NOTE: the corner views keep the input's memory layout, and so do the outputs NumPy allocates for them: a
        channels-last input (a convolution's output) gives a channels-last result, and the backward writes into an
        ``empty_like`` of the input, with the same layout, so no pass transposes memory."""
        win = _windows(x, (2, 2), (2, 2), (1, 1), out)
        a, b, c, d = win[..., 0, 0], win[..., 0, 1], win[..., 1, 0], win[..., 1, 1]
        top, bottom, y = (_scratch_like(a.shape, x, x.dtype) for _ in range(3))
        xp.maximum(a, b, out=top)
        xp.maximum(c, d, out=bottom)
        xp.maximum(top, bottom, out=y)
        if xp.isnan(y).any():
            return None
        if self.needs_input_grad[0]:
            self.fast, self.x = True, x
            self.masks = (b > a, d > c, bottom > top)  # (i0, i1, r)
        return y

    def _backward_2x2(self, g: Array) -> tuple[Array]:
        x, (i0, i1, r) = self.x, self.masks
        h, w = x.shape[2:]
        oh, ow = g.shape[2:]
        like = xp.empty_like(r, dtype=g.dtype)
        if like.strides != g.strides:
            # NOTE: g in another memory layout than the masks (e.g. channels-first from a Flatten after a
            # channels-last pooling): one copy into their layout, else each of the six passes below transposes
            like[...] = g
            g = like
        # NOTE: inputs in no window (an odd last row/column) get zero; the windows cover everything else once
        dx = _scratch_like(x.shape, x, g.dtype)
        if (h, w) != (2 * oh, 2 * ow):
            dx.fill(0)
        s0, s1, s2, s3 = dx.strides
        dxw = xp.lib.stride_tricks.as_strided(dx, g.shape + (2, 2), (s0, s1, 2 * s2, 2 * s3, s2, s3))
        g_top, g_bottom = _scratch_like(g.shape, g, g.dtype), _scratch_like(g.shape, g, g.dtype)
        xp.multiply(g, ~r, out=g_top)
        xp.multiply(g, r, out=g_bottom)
        xp.multiply(g_top, ~i0, out=dxw[..., 0, 0])
        xp.multiply(g_top, i0, out=dxw[..., 0, 1])
        xp.multiply(g_bottom, ~i1, out=dxw[..., 1, 0])
        xp.multiply(g_bottom, i1, out=dxw[..., 1, 1])
        return (dx,)

    def backward(self, g: Array) -> tuple[Array]:
        if self.fast:
            return self._backward_2x2(g)
        arg, (kh, kw), (sh, sw), (dh, dw) = self.arg, self.kernel, self.stride, self.dilation
        oh, ow = g.shape[2:]
        gpad = xp.zeros(self.pad_shape, dtype=g.dtype)
        for k in range(kh * kw):
            r, c = (k // kw) * dh, (k % kw) * dw
            gpad[:, :, r:r + (oh - 1) * sh + 1:sh, c:c + (ow - 1) * sw + 1:sw] += g * (arg == k)
        (ph, pw), (h, w) = self.padding, self.x_shape[2:]
        if gpad.shape[2:] == (h, w):
            return (gpad,)
        return (xp.ascontiguousarray(gpad[:, :, ph:ph + h, pw:pw + w]),)


def adaptive_bins(size: int, out: int) -> tuple[Array, Array]:
    """PyTorch's adaptive-pooling bins: output ``i`` covers ``[floor(i * size / out), ceil((i + 1) * size / out))``."""
    i = xp.arange(out, dtype=xp.int64)
    return (i * size) // out, -((-(i + 1) * size) // out)


class AdaptiveMaxPool2d(_ArgPool):
    """The maximum over PyTorch's adaptive bins (see :func:`adaptive_bins`); ``self.indices`` as in MaxPool2d.

    The bins are gathered as ``(oh, ow, kmax_h, kmax_w)`` windows, the shorter ones padded by repeating their last
    row/column: a repeat comes after the original in row-major order, so neither the max nor the first arg-max
    changes.
    """

    indices: Array

    def forward(self, x: Array, out: Pair, sink: list[Array] | None = None) -> Array:
        n, c, h, w = x.shape
        idx = []
        for size, o in zip((h, w), out):
            start, end = adaptive_bins(size, o)
            k = int((end - start).max())
            idx.append(xp.minimum(start[:, None] + xp.arange(k), end[:, None] - 1))  # (o, k)
        ih, iw = idx
        kh, kw = ih.shape[1], iw.shape[1]
        win = x[:, :, ih[:, None, :, None], iw[None, :, None, :]].reshape(n, c, out[0], out[1], kh * kw)
        arg = win.argmax(axis=-1)
        y = xp.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
        hi = ih[xp.arange(out[0])[:, None], arg // kw]  # (N, C, oh, ow) after broadcasting
        wi = iw[xp.arange(out[1]), arg % kw]
        self.indices = hi * w + wi
        if sink is not None:
            sink.append(self.indices)
        self._save(x.shape, self.indices, h % out[0] != 0 or w % out[1] != 0)  # bins overlap unless they divide
        return y


class AvgPool2d(Primitive):
    r"""The mean of every window of the zero-padded input: :math:`y = \frac{1}{d} \sum_{window} x`.

    ``d`` is ``divisor_override`` when given, else the window's size clipped to the padded input (which counts the
    zero padding) with ``count_include_pad``, or clipped to the input itself without it -- PyTorch's rule.
    """

    def forward(self, x: Array, kernel: Pair, stride: Pair, padding: Pair, out: Pair, count_include_pad: bool,
                divisor_override: int | None) -> Array:
        n, c, h, w = x.shape
        (kh, kw), (sh, sw), (oh, ow) = kernel, stride, out
        extent = ((oh - 1) * sh + kh, (ow - 1) * sw + kw)
        xpad = _padded(x, padding, extent, 0.0)
        win = _windows(xpad, kernel, stride, (1, 1), out)
        y = win[:, :, :, :, 0, 0].copy()
        for k in range(1, kh * kw):  # NOTE: one add per kernel offset: faster than a sum over two strided axes
            y += win[:, :, :, :, k // kw, k % kw]
        if divisor_override:
            div = xp.asarray(float(divisor_override), dtype=x.dtype)
        else:
            dvs = []
            for size, k, s, p, o in zip((h, w), kernel, stride, padding, out):
                start = xp.arange(o) * s - p
                end = xp.minimum(start + k, size + p)
                dvs.append(end - start if count_include_pad else xp.minimum(end, size) - xp.maximum(start, 0))
            div = xp.multiply.outer(dvs[0], dvs[1]).astype(x.dtype)
        y /= div
        self.div, self.pad_shape, self.x_shape = div, xpad.shape, x.shape
        self.kernel, self.stride, self.padding = kernel, stride, padding
        return y

    def backward(self, g: Array) -> tuple[Array]:
        gd = g / self.div
        kh, kw = self.kernel
        gw = xp.broadcast_to(gd[..., None, None], gd.shape + (kh, kw))
        gpad = _scatter_windows(gw, self.pad_shape, self.stride, (1, 1))
        (ph, pw), (h, w) = self.padding, self.x_shape[2:]
        return (xp.ascontiguousarray(gpad[:, :, ph:ph + h, pw:pw + w]),)


def _bin_matrix(size: int, out: int, dtype: Any) -> Array:
    """``(out, size)``: row ``i`` averages adaptive bin ``i`` (1 / its length on the bin, 0 elsewhere)."""
    start, end = adaptive_bins(size, out)
    j = xp.arange(size)
    inside = (j >= start[:, None]) & (j < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


class AdaptiveAvgPool2d(Primitive):
    """The mean over PyTorch's adaptive bins, as two small matrix products: ``y = A_h x A_w^T``.

    NOTE: the bins are separable, so the average is a product with an ``(oh, H)`` and an ``(ow, W)`` averaging
    matrix; backward is the transpose, ``dx = A_h^T g A_w``. The cost is O(oh * H) per column, small for the few
    outputs adaptive pooling produces.
    """

    def forward(self, x: Array, out: Pair) -> Array:
        self.ah = _bin_matrix(x.shape[2], out[0], x.dtype)
        self.aw = _bin_matrix(x.shape[3], out[1], x.dtype)
        return self.ah @ (x @ self.aw.T)

    def backward(self, g: Array) -> tuple[Array]:
        return ((self.ah.T @ g) @ self.aw,)


class StochasticPool2d(Primitive):
    r"""Stochastic pooling (Zeiler & Fergus, 2013) over windows of :math:`a = \max(x, 0)`.

    Training: pick one element per window with probability :math:`p_i = a_i / \sum_j a_j` and output it (0 for an
    all-zero window); the gradient goes to the picked element. Evaluation: the expectation
    :math:`y = \sum_i p_i a_i = \sum_i a_i^2 / \sum_j a_j`, whose gradient is :math:`(2 a_i - y) / \sum_j a_j`
    on positive inputs.
    """

    def forward(self, x: Array, kernel: Pair, stride: Pair, out: Pair, training: bool, rng: Any) -> Array:
        n, c, h, w = x.shape
        kk = kernel[0] * kernel[1]
        win = _windows(x, kernel, stride, (1, 1), out).reshape(n, c, out[0], out[1], kk)
        a = xp.maximum(win, 0)
        self.kernel, self.stride, self.x_shape, self.training = kernel, stride, x.shape, training
        if training:
            # NOTE: cumulative sums in float64: the draw u < total picks the first element whose cumulative sum
            # exceeds u, which always has a_i > 0; it is capped at the last positive element in case u rounds up
            cs = xp.cumsum(a, axis=-1, dtype=xp.float64)
            u = rng.random(cs.shape[:-1]) * cs[..., -1]
            pick = (cs <= u[..., None]).sum(axis=-1)
            last_pos = kk - 1 - xp.argmax(a[..., ::-1] > 0, axis=-1)
            pick = xp.minimum(pick, last_pos)
            y = xp.take_along_axis(a, pick[..., None], axis=-1)[..., 0]
            rows = xp.arange(out[0]).reshape(-1, 1) * stride[0] + pick // kernel[1]
            cols = xp.arange(out[1]) * stride[1] + pick % kernel[1]
            self.flat = (rows * w + cols + (xp.arange(n * c) * (h * w)).reshape(n, c, 1, 1)).ravel()
            self.y = y
            return y
        s = a.sum(axis=-1)
        q = (a * a).sum(axis=-1)
        pos = s > 0
        s_safe = xp.where(pos, s, 1)
        y = xp.where(pos, q / s_safe, 0).astype(x.dtype, copy=False)
        self.a, self.s, self.y = a, s_safe, y
        return y

    def backward(self, g: Array) -> tuple[Array]:
        n, c, h, w = self.x_shape
        if self.training:
            gsel = g * (self.y > 0)  # the relu's derivative at the picked element (0 for an all-zero window)
            dx = xp.bincount(self.flat, weights=gsel.ravel(), minlength=n * c * h * w).astype(g.dtype, copy=False)
            return (dx.reshape(self.x_shape),)
        a = self.a
        gw = (g / self.s)[..., None] * (2 * a - self.y[..., None]) * (a > 0)
        gw = gw.reshape(gw.shape[:-1] + self.kernel)
        return (_scatter_windows(gw, self.x_shape, self.stride, (1, 1)),)
