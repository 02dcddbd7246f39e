"""Fused convolution primitives: convolution, transposed convolution and index padding (reflect/replicate/circular).

NOTE: fused for speed: a convolution composed from pad/slice/mul/sum would be kh*kw graph nodes each keeping a full
temporary; here it is one node and ONE matrix product. The input is unfolded (im2col) through a strided *view* of the
padded input into columns of shape ``(C*kh*kw, N*Ho*Wo)`` (one contiguous copy), so that

    forward       y    = W   @ cols          W: (O, C*kh*kw) -> y: (O, N*Ho*Wo)
    backward      dW   = g   @ cols^T        g: (O, N*Ho*Wo)
                  dcol = W^T @ g             then col2im: add each kernel offset's slice back (kh*kw strided adds)

Groups split the channel axes into ``groups`` blocks and the products become one batched matmul over the group axis
(``(G, O/G, K) @ (G, K, N*L)``). Channels lead the column layout, so the group split is a free reshape.

The ordinary convolution (``groups == 1``) runs channels-last instead, as PyTorch's ``channels_last``: columns
``(N*Ho*Wo, kh*kw*C)`` gathered from an ``(N, Hp, Wp, C)`` copy of the input, ``y = cols @ W^T`` is ``(N*Ho*Wo, O)``
and is returned as a transposed ``(N, O, Ho, Wo)`` view (no copy); ``dW = (cols^T g)^T`` and ``dx`` is one GEMM per
kernel offset added into its shifted window (see ``Conv._forward_nhwc``). Large work arrays come from
:func:`chainrule.ops.scratch.scratch`, which reuses an array once nothing refers to it any more.
A transposed convolution is the gradient of a convolution w.r.t. its input (a GEMM then col2im); its backward is a
convolution. One- and two-dimensional, batched and unbatched inputs all run as ``(N, C, H, W)``: a 1-D signal is an
image of height 1. Every size is a Python int, so float32 stays float32.
"""

from __future__ import annotations

from typing import Any

from ..autograd.function import Primitive
from ..backend import xp
from .scratch import scratch

Array = Any
Pair = tuple[int, int]
Pads = tuple[Pair, Pair]  # ((top, bottom), (left, right))

# NOTE: a dense convolution builds its im2col columns in one piece, and keeps them for the weight gradient, only up
# to this size; larger ones (kh*kw times the input: 462 MB for a 64->64 3x3 layer on a batch of 64 56x56 maps) are
# built a few images at a time into a reused buffer, in the forward and again in the backward, from the padded input
# it keeps instead (as PyTorch keeps only the input): no huge fresh array and its page faults on every step
SAVE_COLS_MAX_BYTES = 32 << 20


def _as4d(shape: tuple[int, ...], nsp: int) -> tuple[int, int, int, int]:
    """``(N, C, *spatial)`` or unbatched ``(C, *spatial)`` with 1 or 2 spatial dims, as ``(N, C, H, W)``."""
    lead = shape[:-nsp]
    n, c = (lead[0], lead[1]) if len(lead) == 2 else (1, lead[0])
    return n, c, (shape[-2] if nsp == 2 else 1), shape[-1]


def _out_shape(in_shape: tuple[int, ...], nsp: int, c: int, h: int, w: int) -> tuple[int, ...]:
    """The 4-D result ``(N, c, h, w)`` reshaped back to the input's rank (batched or not, 1-D or 2-D)."""
    batched = in_shape[:1] if len(in_shape) == nsp + 2 else ()
    return batched + (c,) + ((h, w) if nsp == 2 else (w,))


def _im2col(x: Array, kh: int, kw: int, stride: Pair, dilation: Pair, ho: int, wo: int) -> Array:
    """Columns ``(C*kh*kw, N*ho*wo)`` of a padded ``(N, C, Hp, Wp)`` input: row ``(c, i, j)`` holds, for every output
    pixel, the input value under kernel offset ``(i, j)``. A strided view, copied once into contiguous memory."""
    n, c = x.shape[:2]
    sn, sc, sh, sw = x.strides
    view = xp.lib.stride_tricks.as_strided(
        x, (c, kh, kw, n, ho, wo),
        (sc, dilation[0] * sh, dilation[1] * sw, sn, stride[0] * sh, stride[1] * sw), writeable=False)
    return xp.ascontiguousarray(view).reshape(c * kh * kw, n * ho * wo)


def _col2im(cols: Array, n: int, c: int, hp: int, wp: int, kh: int, kw: int, stride: Pair, dilation: Pair,
            ho: int, wo: int) -> Array:
    """The adjoint of :func:`_im2col`: sum columns ``(C*kh*kw, N*ho*wo)`` back into a ``(C, N, hp, wp)`` image
    (channels first, the columns' own layout; the caller transposes once). One strided add per kernel offset."""
    out = xp.zeros((c, n, hp, wp), dtype=cols.dtype)
    cv = cols.reshape(c, kh, kw, n, ho, wo)
    (sh, sw), (dh, dw) = stride, dilation
    for i in range(kh):
        for j in range(kw):
            out[:, :, i * dh:i * dh + sh * (ho - 1) + 1:sh, j * dw:j * dw + sw * (wo - 1) + 1:sw] += cv[:, i, j]
    return out


def _nt_matmul(a: Array, b: Array) -> Array:
    """``a @ b^T`` over the last two axes, for ``(G, M, L)`` and ``(G, K, L)`` with a long shared axis L = N*Ho*Wo.

    NOTE: measured on this project's machine, OpenBLAS (2 threads) runs such a product erratically -- up to 100x
    slower -- when the output has fewer rows than columns; computing it as ``(b @ a^T)^T`` when K > M keeps the
    larger output dimension on the rows and was consistently fast (W2's conv 1->32 and 32->64 weight gradients)."""
    if b.shape[1] > a.shape[1]:
        return xp.matmul(b, a.transpose(0, 2, 1)).transpose(0, 2, 1)
    return xp.matmul(a, b.transpose(0, 2, 1))


def _pad_zeros(x: Array, pads: Pads) -> Array:
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return x
    n, c, h, w = x.shape
    out = xp.zeros((n, c, h + pt + pb, w + pl + pr), dtype=x.dtype)
    out[:, :, pt:pt + h, pl:pl + w] = x
    return out


def _nchw(a: Array, pads: Pads, h: int, w: int) -> Array:
    """A ``(C, N, Hp, Wp)`` array as a contiguous ``(N, C, h, w)`` with the padding cropped off (one copy)."""
    (pt, _), (pl, _) = pads
    return xp.ascontiguousarray(a.transpose(1, 0, 2, 3)[:, :, pt:pt + h, pl:pl + w])


def _nhwc_padded(x: Array, pads: Pads) -> Array:
    """``x`` ``(N, C, H, W)`` (any memory layout) as ``(N, Hp, Wp, C)`` with zero padding: one gather into a zeroed
    buffer (no ``pad`` copy), and no copy at all without padding. A channels-last input makes the copy contiguous."""
    (pt, pb), (pl, pr) = pads
    xt = x.transpose(0, 2, 3, 1)
    if not (pt or pb or pl or pr):
        return xt
    n, h, w, c = xt.shape
    out = xp.zeros((n, h + pt + pb, w + pl + pr, c), dtype=x.dtype)
    out[:, pt:pt + h, pl:pl + w] = xt
    return out


def _im2col_nhwc(xh: Array, kh: int, kw: int, stride: Pair, dilation: Pair, ho: int, wo: int) -> Array:
    """Columns ``(N*ho*wo, kh*kw*C)`` of a padded ``(N, Hp, Wp, C)`` input: row ``(n, p, q)`` holds the window of
    output pixel ``(p, q)`` in ``(i, j, c)`` order, so the copy gathers contiguous runs of C channels.

    NOTE: with one channel those runs are single floats; the window-major ``(kh*kw, N*ho*wo)`` copy moves whole
    image rows instead (measured 5x faster for W2's first layer) and its transpose is the same matrix, which BLAS
    takes as a transposed operand for free."""
    n, _, _, c = xh.shape
    sn, sh, sw, sc = xh.strides
    (s0, s1), (d0, d1) = stride, dilation
    if c == 1:
        view = xp.lib.stride_tricks.as_strided(xh, (kh, kw, n, ho, wo), (d0 * sh, d1 * sw, sn, s0 * sh, s1 * sw),
                                               writeable=False)
    else:
        view = xp.lib.stride_tricks.as_strided(xh, (n, ho, wo, kh, kw, c),
                                               (sn, s0 * sh, s1 * sw, d0 * sh, d1 * sw, sc), writeable=False)
    cols = scratch(view.shape, xh.dtype)
    xp.copyto(cols, view)
    return cols.reshape(kh * kw, n * ho * wo).T if c == 1 else cols.reshape(n * ho * wo, kh * kw * c)


class Conv(Primitive):
    r"""Cross-correlation of ``x`` ``(N, C, *)`` with ``w`` ``(O, C/G, *k)`` plus ``b`` ``(O,)`` (or None), for 1 or
    2 spatial dims (``nsp = w.ndim - 2``) and an optionally unbatched ``x``:

    .. math:: y[n, o, p, q] = b[o] + \sum_{c, i, j} w[o, c, i, j]\,
              x_{pad}[n, g(o) C/G + c, s_h p + d_h i, s_w q + d_w j]

    ``stride``/``dilation`` are (h, w) pairs, ``pads`` ((top, bottom), (left, right)) of zeros; the output size is
    ``Ho = (H + top + bottom - d_h (k_h - 1) - 1) // s_h + 1`` (checked positive by the caller).
    """

    cols: Array  # the columns, kept only when the weight needs a gradient (and they are small, see SAVE_COLS_MAX_BYTES)
    xh: Array  # else the padded channels-last input, to rebuild them
    wm: Array  # the weight as a matrix, kept only when the input needs a gradient

    def forward(self, x: Array, w: Array, b: Array | None = None, *, stride: Pair, pads: Pads, dilation: Pair,
                groups: int) -> Array:
        nsp = w.ndim - 2
        n, c, h, wd = _as4d(x.shape, nsp)
        o, cg, kh, kw = _as4d(w.shape, nsp)
        self.dense = groups == 1
        if self.dense:
            return self._forward_nhwc(x, w, b, stride, pads, dilation, nsp)
        xpad = _pad_zeros(x.reshape(n, c, h, wd), pads)
        hp, wp = xpad.shape[2:]
        ho = (hp - dilation[0] * (kh - 1) - 1) // stride[0] + 1
        wo = (wp - dilation[1] * (kw - 1) - 1) // stride[1] + 1
        cols = _im2col(xpad, kh, kw, stride, dilation, ho, wo).reshape(groups, cg * kh * kw, n * ho * wo)
        w3 = w.reshape(groups, o // groups, cg * kh * kw)
        y = xp.matmul(w3, cols).reshape(o, n, ho, wo).transpose(1, 0, 2, 3)
        out = xp.empty((n, o, ho, wo), dtype=y.dtype)
        if b is not None:  # the bias rides on the one copy that puts channels back on axis 1
            xp.add(y, b.reshape(1, o, 1, 1), out=out)
        else:
            out[...] = y
        need = self.needs_input_grad
        self.cols = cols if need[1] else None
        self.wm = w3 if need[0] else None
        self.geom = (x.shape, w.shape, (n, c, hp, wp), (kh, kw), (ho, wo), stride, pads, dilation, groups)
        return out.reshape(_out_shape(x.shape, nsp, o, ho, wo))

    def _forward_nhwc(self, x: Array, w: Array, b: Array | None, stride: Pair, pads: Pads, dilation: Pair,
                      nsp: int) -> Array:
        """``groups == 1``: the channels-last form. Columns ``(N*Ho*Wo, kh*kw*C)`` times the weight matrix
        ``(O, kh*kw*C)^T`` give ``(N*Ho*Wo, O)``, which IS the output in channels-last memory: returned as the
        ``(N, O, Ho, Wo)`` transposed view (as PyTorch's ``channels_last``), no copy. The next layer's ReLU keeps
        that layout and the next convolution's gather reads it contiguously.

        NOTE: measured against the channels-first form (columns ``(C*kh*kw, N*L)``): the gather is ~3.5x faster
        (contiguous runs of C instead of rows of W) and the output transpose copy is gone; the GEMMs cost the same."""
        n, c, h, wd = _as4d(x.shape, nsp)
        o, _, kh, kw = _as4d(w.shape, nsp)
        xh = _nhwc_padded(x.reshape(n, c, h, wd), pads)
        hp, wp = xh.shape[1:3]
        ho = (hp - dilation[0] * (kh - 1) - 1) // stride[0] + 1
        wo = (wp - dilation[1] * (kw - 1) - 1) // stride[1] + 1
        wm = w.reshape(o, c, kh, kw).transpose(0, 2, 3, 1).reshape(o, kh * kw * c)  # (i, j, c) order: a small copy
        self.geom = (x.shape, w.shape, (n, c, hp, wp), (kh, kw), (ho, wo), stride, pads, dilation, 1)
        need = self.needs_input_grad
        y = scratch((n * ho * wo, o), xh.dtype)  # (N*Ho*Wo, O)
        self.cols = self.xh = None
        if n * ho * wo * kh * kw * c * xh.dtype.itemsize <= SAVE_COLS_MAX_BYTES:
            cols = _im2col_nhwc(xh, kh, kw, stride, dilation, ho, wo)
            xp.matmul(cols, wm.T, out=y)
            self.cols = cols if need[1] else None
        else:  # large: columns a few images at a time, rebuilt the same way for the weight gradient
            for rows, cols in self._column_chunks(xh):
                xp.matmul(cols, wm.T, out=y[rows])
            self.xh = xh if need[1] else None
        if b is not None:
            y += b  # NOTE: in place on the fresh GEMM output: a contiguous broadcast over the last axis
        self.wm = wm if need[0] else None
        return y.reshape(n, ho, wo, o).transpose(0, 3, 1, 2).reshape(_out_shape(x.shape, nsp, o, ho, wo))

    def backward(self, g: Array) -> tuple[Array | None, Array | None, Array | None]:
        if self.dense:
            return self._backward_nhwc(g)
        x_shape, w_shape, (n, c, hp, wp), (kh, kw), (ho, wo), stride, pads, dilation, groups = self.geom
        need = self.needs_input_grad
        o = w_shape[0]
        # (N, O, L) -> (O, N*L), the columns' layout: one transposing copy of the gradient
        gk = xp.ascontiguousarray(g.reshape(n, o, ho * wo).transpose(1, 0, 2)).reshape(groups, o // groups, -1)
        dx = dw = db = None
        if need[0]:
            dcols = xp.matmul(self.wm.transpose(0, 2, 1), gk).reshape(-1, n * ho * wo)
            dpad = _col2im(dcols, n, c, hp, wp, kh, kw, stride, dilation, ho, wo)
            dx = _nchw(dpad, pads, hp - sum(pads[0]), wp - sum(pads[1])).reshape(x_shape)
        if need[1]:
            dw = _nt_matmul(gk, self.cols).reshape(w_shape)
        if len(need) > 2 and need[2]:
            db = gk.reshape(o, -1).sum(axis=1)
        return dx, dw, db

    def _backward_nhwc(self, g: Array) -> tuple[Array | None, Array | None, Array | None]:
        """``dW = (cols^T g)^T``, ``db`` = column sums of ``g``, and ``dx`` by one ``(N*L, O) @ (O, C)`` GEMM per
        kernel offset added straight into its shifted window of the padded channels-last gradient."""
        x_shape, w_shape, (n, c, hp, wp), (kh, kw), (ho, wo), stride, pads, dilation, _ = self.geom
        need = self.needs_input_grad
        o = w_shape[0]
        # (N, O, Ho, Wo) -> (N*Ho*Wo, O): free when g is channels-last (as our own output and ReLU keep it)
        gm = g.reshape(n, o, ho, wo).transpose(0, 2, 3, 1).reshape(n * ho * wo, o)
        dx = dw = db = None
        if need[0]:
            (sh, sw), (dh, dw_) = stride, dilation
            w9 = self.wm.reshape(o, kh * kw, c)
            dxh = scratch((n, hp, wp, c), g.dtype)
            dxh.fill(0)
            # NOTE: measured against one GEMM to (N*L, kh*kw*C) then col2im: a GEMM per offset writes each slice
            # contiguously, and the add then runs over whole (W, C) rows instead of runs of C (~30% faster). Also
            # measured: at stride 1, dx as the gradient's own columns (N*H*W, kh*kw*O) times the flipped kernel, one
            # GEMM and no adds: slower in the full forward + backward (10.4 against 9.5 ms for 16->16 on 14x14,
            # batch 128, one thread), the extra 14 MB of columns evicting what the weight-gradient GEMM reads
            part = scratch((n * ho * wo, c), g.dtype)
            for k in range(kh * kw):
                i, j = (k // kw) * dh, (k % kw) * dw_
                xp.matmul(gm, w9[:, k], out=part)
                dxh[:, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw] += part.reshape(n, ho, wo, c)
            (pt, pb), (pl, pr) = pads
            if pt or pb or pl or pr:
                crop = dxh[:, pt:hp - pb, pl:wp - pr]
                dxh = scratch(crop.shape, g.dtype)
                xp.copyto(dxh, crop)
            dx = dxh.transpose(0, 3, 1, 2).reshape(x_shape)
        if need[1]:
            # NOTE: (K, O) then transposed: OpenBLAS is erratic on outputs with fewer rows than columns (_nt_matmul)
            dwm = self.cols.T @ gm if self.cols is not None else self._weight_grad_by_chunks(gm)
            dw = xp.ascontiguousarray(dwm.reshape(kh, kw, c, o).transpose(3, 2, 0, 1)).reshape(w_shape)
        if len(need) > 2 and need[2]:
            # NOTE: summed per image first, then over the batch: a float32 sum down N*L rows in one pass would
            # accumulate its rounding error over all of them
            db = gm.reshape(n, ho * wo, o).sum(axis=1).sum(axis=0)
        return dx, dw, db

    def _column_chunks(self, xh: Array) -> Any:
        """The columns of ``xh`` (padded, channels-last) for a few images at a time, at most
        ``SAVE_COLS_MAX_BYTES`` each (at least one image): yields ``(row slice, columns)``, the rows of the
        ``(N*Ho*Wo, .)`` products they feed. Each chunk's columns are a reused :func:`scratch` array."""
        _, _, (n, c, _, _), (kh, kw), (ho, wo), stride, _, dilation, _ = self.geom
        per_image = ho * wo * kh * kw * c * xh.dtype.itemsize
        step = max(1, min(n, SAVE_COLS_MAX_BYTES // max(per_image, 1)))
        for i in range(0, n, step):
            j = min(n, i + step)
            yield slice(i * ho * wo, j * ho * wo), _im2col_nhwc(xh[i:j], kh, kw, stride, dilation, ho, wo)

    def _weight_grad_by_chunks(self, gm: Array) -> Array:
        """``cols^T @ g`` ``(kh*kw*C, O)`` without the whole column matrix: summed over chunks of images whose
        columns are rebuilt from the kept padded input (:meth:`_column_chunks`)."""
        xh, self.xh = self.xh, None
        dwm = None
        for rows, cols in self._column_chunks(xh):
            part = cols.T @ gm[rows]
            dwm = part if dwm is None else xp.add(dwm, part, out=dwm)
        return dwm


class ConvTranspose(Primitive):
    r"""Transposed convolution: the gradient of :class:`Conv` w.r.t. its input, used as a layer. ``x`` is
    ``(N, C_in, *)``, ``w`` ``(C_in, C_out/G, *k)``:

    .. math:: y_{full}[n, g C_{out}/G + o, s_h p + d_h i, s_w q + d_w j] \mathrel{+}= w[g C_{in}/G + c, o, i, j]\,
              x[n, g C_{in}/G + c, p, q]

    then ``pads`` rows/columns are cropped from each side of ``y_full`` (size ``(H - 1) s + d (k - 1) + 1 + op``,
    ``op`` = ``output_padding`` extra rows at the bottom/right that receive only the bias).
    """

    xk: Array  # the input as (G, C_in/G, N*L), kept only when the weight needs a gradient
    w3: Array  # the weight (G, C_in/G, C_out/G*kh*kw), kept only when the input needs a gradient

    def forward(self, x: Array, w: Array, b: Array | None = None, *, stride: Pair, pads: Pads, dilation: Pair,
                groups: int, output_padding: Pair) -> Array:
        nsp = w.ndim - 2
        n, c, h, wd = _as4d(x.shape, nsp)
        _, og, kh, kw = _as4d(w.shape, nsp)
        hp = (h - 1) * stride[0] + dilation[0] * (kh - 1) + 1 + output_padding[0]
        wp = (wd - 1) * stride[1] + dilation[1] * (kw - 1) + 1 + output_padding[1]
        # the input as the "output gradient" of the convolution whose input gradient we compute: (G, C/G, N*L)
        xk = xp.ascontiguousarray(x.reshape(n, c, h * wd).transpose(1, 0, 2)).reshape(groups, c // groups, -1)
        w3 = w.reshape(groups, c // groups, og * kh * kw)
        cols = xp.matmul(w3.transpose(0, 2, 1), xk).reshape(-1, n * h * wd)
        full = _col2im(cols, n, og * groups, hp, wp, kh, kw, stride, dilation, h, wd)
        ho, wo = hp - sum(pads[0]), wp - sum(pads[1])
        y = _nchw(full, pads, ho, wo)
        if b is not None:
            y += b.reshape(-1, 1, 1)
        need = self.needs_input_grad
        self.xk = xk if need[1] else None
        self.w3 = w3 if need[0] else None
        self.geom = (x.shape, w.shape, (kh, kw), (h, wd), stride, pads, dilation, groups)
        return y.reshape(_out_shape(x.shape, nsp, og * groups, ho, wo))

    def backward(self, g: Array) -> tuple[Array | None, Array | None, Array | None]:
        x_shape, w_shape, (kh, kw), (h, wd), stride, pads, dilation, groups = self.geom
        need = self.needs_input_grad
        nsp = len(w_shape) - 2
        n, cout, ho, wo = _as4d(g.shape, nsp)
        # NOTE: the backward is a convolution of g over exactly the (h, wd) positions of the input; output_padding
        # rows beyond them never reach x, so the output size is given, not derived from g's size
        gpad = _pad_zeros(g.reshape(n, cout, ho, wo), pads)
        cols = _im2col(gpad, kh, kw, stride, dilation, h, wd).reshape(groups, -1, n * h * wd)
        dx = dw = db = None
        if need[0]:
            c = x_shape[-nsp - 1]
            y = xp.matmul(self.w3, cols).reshape(c, n, h, wd)
            dx = xp.ascontiguousarray(y.transpose(1, 0, 2, 3)).reshape(x_shape)
        if need[1]:
            dw = _nt_matmul(self.xk, cols).reshape(w_shape)
        if len(need) > 2 and need[2]:
            db = g.reshape(n, cout, -1).sum(axis=(0, 2))
        return dx, dw, db


class IndexPad(Primitive):
    """Pad the last ``len(index)`` axes by gathering: ``y = x[..., index[0][:, None], index[1]]`` where each index
    maps a padded position to its source (reflect, replicate or circular padding, built with ``numpy.pad`` on
    ``arange``). The backward sums every padded position's gradient into its source: one small 0/1 matrix product
    per axis (a scatter-add written as a GEMM)."""

    def forward(self, x: Array, index: tuple[Array, ...]) -> Array:
        self.index, self.sizes = index, x.shape[-len(index):]
        return x[(Ellipsis,) + xp.ix_(*index)]

    def backward(self, g: Array) -> tuple[Array, None]:
        k = len(self.index)
        for axis, (idx, size) in enumerate(zip(self.index, self.sizes)):
            ax = g.ndim - k + axis
            onehot = (idx[:, None] == xp.arange(size)).astype(g.dtype)  # (padded, size)
            g = xp.moveaxis(xp.moveaxis(g, ax, -1) @ onehot, -1, ax)
        return xp.ascontiguousarray(g), None
