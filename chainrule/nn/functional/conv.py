"""Functional convolutions: ``F.conv1d``, ``F.conv2d``, ``F.conv_transpose1d``, ``F.conv_transpose2d``, the padding
modes of the conv layers (``conv_pad``) and ``F.channel_shuffle``.

Each wrapper checks its arguments (naming the op and the shapes in the message), turns stride/padding/dilation into
(height, width) pairs -- a 1-D op is a 2-D one of height 1 -- and calls one fused primitive of ``ops/conv.py``.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ...ops.conv import Conv as _Conv
from ...ops.conv import ConvTranspose as _ConvTranspose
from ...ops.conv import IndexPad as _IndexPad
from ...tensor import Tensor
from ...tensor.functions import pad as _constant_pad

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "conv_pad", "pad", "channel_shuffle"]

IntOrSeq = int | Sequence[int]
OUTPUT_SIZE = "H_out = floor((H + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1"
_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _ntuple(op: str, name: str, value: IntOrSeq, n: int) -> tuple[int, ...]:
    """``value`` as ``n`` ints: an int is repeated, a sequence must have ``n`` entries (as PyTorch)."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    vals = tuple(int(v) for v in value)
    if len(vals) == 1:
        return vals * n
    if len(vals) != n:
        raise RuntimeError(f"{op}: expected {name} to be a single integer value or a list of {n} values to match the "
                           f"convolution dimensions, but got {name}={list(vals)}")
    return vals


def _pair(nsp: int, vals: tuple[int, ...], fill: int) -> tuple[int, int]:
    """(height, width) of a 1- or 2-D parameter; a 1-D op has height 1 (``fill``)."""
    return (vals[0], vals[1]) if nsp == 2 else (fill, vals[0])


def _check(op: str, input: Tensor, weight: Tensor, bias: Tensor | None, nsp: int, transposed: bool,  # noqa: A002
           groups: int) -> None:
    """Types, ranks, channel counts, bias shape and dtypes of a (transposed) convolution's arguments."""
    for name, t in (("input", input), ("weight", weight)) + ((("bias", bias),) if bias is not None else ()):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): argument '{name}' must be a Tensor, not {type(t).__name__}")
    xs, ws = tuple(input.shape), tuple(weight.shape)
    sp = "H, W" if nsp == 2 else "L"
    if len(xs) not in (nsp + 1, nsp + 2):
        raise RuntimeError(f"{op}: expected {nsp + 1}D (unbatched) or {nsp + 2}D (batched) input of shape "
                           f"(N, C, {sp}), got input of shape {xs}")
    wname = "(in_channels, out_channels/groups" if transposed else "(out_channels, in_channels/groups"
    if len(ws) != nsp + 2:
        raise RuntimeError(f"{op}: expected a {nsp + 2}D weight of shape {wname}, {', '.join(['k'] * nsp)}), got "
                           f"weight of shape {ws}")
    if groups <= 0:
        raise RuntimeError(f"{op}: non-positive groups is not supported, got groups={groups}")
    c = xs[-nsp - 1]
    want = ws[0] if transposed else ws[1] * groups
    if c != want:
        lead = "N, " if len(xs) == nsp + 2 else ""
        raise RuntimeError(f"{op}: expected input of shape ({lead}{want}, {sp}) for weight of shape {ws} and "
                           f"groups={groups}, got input of shape {xs}")
    if ws[0] % groups:
        raise RuntimeError(f"{op}: weight of shape {ws} has {ws[0]} {'in' if transposed else 'out'}_channels, not "
                           f"divisible by groups={groups}")
    out_c = ws[1] * groups if transposed else ws[0]
    if bias is not None and tuple(bias.shape) != (out_c,):
        raise RuntimeError(f"{op}: expected bias of shape ({out_c},) for weight of shape {ws}, got bias of shape "
                           f"{tuple(bias.shape)}")
    for name, t in (("weight", weight),) + ((("bias", bias),) if bias is not None else ()):
        if t.dtype != input.dtype:
            raise RuntimeError(f"{op}: expected input and {name} to have the same dtype, got input {input.dtype} "
                               f"and {name} {t.dtype}")


def _positive(op: str, **params: tuple[int, ...]) -> None:
    for name, vals in params.items():
        if any(v <= 0 for v in vals):
            raise RuntimeError(f"{op}: non-positive {name} is not supported, got {name}={vals}")


def _conv(op: str, nsp: int, input: Tensor, weight: Tensor, bias: Tensor | None, stride: IntOrSeq,  # noqa: A002
          padding: str | IntOrSeq, dilation: IntOrSeq, groups: int) -> Tensor:
    _check(op, input, weight, bias, nsp, False, groups)
    s, d = _ntuple(op, "stride", stride, nsp), _ntuple(op, "dilation", dilation, nsp)
    _positive(op, stride=s, dilation=d)
    k = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            lo = hi = (0,) * nsp
        elif padding == "same":
            if any(v != 1 for v in s):
                raise RuntimeError(f"{op}: padding='same' is not supported for strided convolutions, got "
                                   f"stride={s}")
            total = [di * (ki - 1) for di, ki in zip(d, k)]
            # NOTE: an even extent is split with the extra row/column at the bottom/right, as PyTorch
            lo, hi = tuple(t // 2 for t in total), tuple(t - t // 2 for t in total)
        else:
            raise RuntimeError(f"{op}: invalid padding string {padding!r}, should be one of 'valid', 'same'")
    else:
        lo = hi = _ntuple(op, "padding", padding, nsp)
        if any(v < 0 for v in lo):
            raise RuntimeError(f"{op}: negative padding is not supported, got padding={lo}")
    size = tuple(input.shape[-nsp:])
    out = [(n + a + b - di * (ki - 1) - 1) // si + 1 for n, a, b, di, ki, si in zip(size, lo, hi, d, k, s)]
    if any(o <= 0 for o in out):
        raise RuntimeError(f"{op}: the (dilated) kernel {k} (dilation {d}) is larger than the padded input "
                           f"{tuple(n + a + b for n, a, b in zip(size, lo, hi))} (input of shape "
                           f"{tuple(input.shape)}, padding {lo}/{hi}, stride {s}): the output size {tuple(out)} is "
                           f"empty; {OUTPUT_SIZE}")
    pads = ((lo[0], hi[0]), (lo[1], hi[1])) if nsp == 2 else ((0, 0), (lo[0], hi[0]))
    args = (input, weight) if bias is None else (input, weight, bias)
    return _Conv.apply(*args, stride=_pair(nsp, s, 1), pads=pads, dilation=_pair(nsp, d, 1), groups=groups)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntOrSeq = 1,  # noqa: A002
           padding: str | IntOrSeq = 0, dilation: IntOrSeq = 1, groups: int = 1) -> Tensor:
    r"""1-D cross-correlation of a signal with ``out_channels`` filters, as ``torch.nn.functional.conv1d``.

    .. math:: y[n, o, l] = b[o] + \sum_{c, i} w[o, c, i]\, x_{pad}[n, g(o) \cdot C_{in}/G + c, s\,l + d\,i]

    Args:
        input: the signal. weight: the filters. bias: one value per output channel, or None.
        stride: the step between windows. dilation: the spacing between kernel taps (atrous).
        padding: zeros on both sides: an int, a 1-tuple, ``'valid'`` (none) or ``'same'`` (output length = input
            length; stride 1 only).
        groups: split the channels into ``groups`` independent blocks (``groups == C_in``: depthwise).

    Shape:
        - input: :math:`(N, C_{in}, L)` or :math:`(C_{in}, L)`; weight: :math:`(C_{out}, C_{in}/G, k)`
        - output: :math:`(N, C_{out}, L_{out})`, :math:`L_{out} = \lfloor (L + 2p - d(k - 1) - 1) / s \rfloor + 1`

    Example::

        >>> F.conv1d(chainrule.randn(2, 4, 10), chainrule.randn(6, 4, 3), padding=1).shape
        chainrule.Size([2, 6, 10])
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntOrSeq = 1,  # noqa: A002
           padding: str | IntOrSeq = 0, dilation: IntOrSeq = 1, groups: int = 1) -> Tensor:
    r"""2-D cross-correlation of an image with ``out_channels`` filters, as ``torch.nn.functional.conv2d``.

    .. math:: y[n, o, p, q] = b[o] + \sum_{c, i, j} w[o, c, i, j]\, x_{pad}[n, g(o) \cdot C_{in}/G + c,
              s_h p + d_h i, s_w q + d_w j]

    One fused graph node and one matrix product (im2col by stride tricks); groups are a batched product over the
    group axis.

    Args:
        input: the images. weight: the filters. bias: one value per output channel, or None.
        stride: the step between windows (int or (h, w)). dilation: the spacing between kernel taps (atrous).
        padding: zeros on every side: an int, an (h, w) tuple, ``'valid'`` (none) or ``'same'`` (output size =
            input size; stride 1 only; an odd total is split with the extra row/column at the bottom/right).
        groups: split the channels into ``groups`` independent blocks (``groups == C_in``: depthwise).

    Shape:
        - input: :math:`(N, C_{in}, H, W)` or :math:`(C_{in}, H, W)`; weight: :math:`(C_{out}, C_{in}/G, k_h, k_w)`
        - output: :math:`(N, C_{out}, H_{out}, W_{out})` with
          :math:`H_{out} = \lfloor (H + 2p - d(k - 1) - 1) / s \rfloor + 1` (the same for W)

    Example::

        >>> F.conv2d(chainrule.randn(8, 1, 28, 28), chainrule.randn(32, 1, 3, 3), padding=1).shape
        chainrule.Size([8, 32, 28, 28])
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose(op: str, nsp: int, input: Tensor, weight: Tensor, bias: Tensor | None,  # noqa: A002
                    stride: IntOrSeq, padding: IntOrSeq, output_padding: IntOrSeq, groups: int,
                    dilation: IntOrSeq) -> Tensor:
    _check(op, input, weight, bias, nsp, True, groups)
    if isinstance(padding, str):
        raise RuntimeError(f"{op}: padding={padding!r} is not supported for transposed convolutions (int or tuple)")
    s, d = _ntuple(op, "stride", stride, nsp), _ntuple(op, "dilation", dilation, nsp)
    p, op_ = _ntuple(op, "padding", padding, nsp), _ntuple(op, "output_padding", output_padding, nsp)
    _positive(op, stride=s, dilation=d)
    if any(v < 0 for v in p + op_):
        raise RuntimeError(f"{op}: negative padding is not supported, got padding={p}, output_padding={op_}")
    if any(o >= max(si, di) for o, si, di in zip(op_, s, d)):
        raise RuntimeError(f"{op}: output padding must be smaller than either stride or dilation, got "
                           f"output_padding={op_}, stride={s}, dilation={d}")
    k, size = tuple(weight.shape[2:]), tuple(input.shape[-nsp:])
    out = [(n - 1) * si - 2 * pi + di * (ki - 1) + oi + 1 for n, si, pi, di, ki, oi in zip(size, s, p, d, k, op_)]
    if any(o <= 0 for o in out):
        raise RuntimeError(f"{op}: the output size {tuple(out)} is empty for input of shape {tuple(input.shape)}, "
                           f"kernel {k}, stride {s}, padding {p}, dilation {d}; H_out = (H - 1) * stride - "
                           "2 * padding + dilation * (kernel_size - 1) + output_padding + 1")
    pads = ((p[0], p[0]), (p[1], p[1])) if nsp == 2 else ((0, 0), (p[0], p[0]))
    args = (input, weight) if bias is None else (input, weight, bias)
    return _ConvTranspose.apply(*args, stride=_pair(nsp, s, 1), pads=pads, dilation=_pair(nsp, d, 1),
                                groups=groups, output_padding=_pair(nsp, op_, 0))


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None,  # noqa: A002
                     stride: IntOrSeq = 1, padding: IntOrSeq = 0, output_padding: IntOrSeq = 0, groups: int = 1,
                     dilation: IntOrSeq = 1) -> Tensor:
    r"""1-D transposed convolution ("deconvolution"), as ``torch.nn.functional.conv_transpose1d``: the gradient of
    :func:`conv1d` w.r.t. its input, used as a layer.

    Args:
        input: the signal. weight: the filters. bias: one value per output channel, or None.
        stride, padding, dilation, groups: those of the :func:`conv1d` this op is the transpose of (``padding``
            crops the output). output_padding: extra length added at the end (< stride or dilation).

    Shape:
        - input: :math:`(N, C_{in}, L)` or :math:`(C_{in}, L)`; weight: :math:`(C_{in}, C_{out}/G, k)`
        - output: :math:`(N, C_{out}, L_{out})`, :math:`L_{out} = (L - 1) s - 2p + d(k - 1) + op + 1`

    Example::

        >>> F.conv_transpose1d(chainrule.randn(2, 4, 5), chainrule.randn(4, 3, 2), stride=2).shape
        chainrule.Size([2, 3, 10])
    """
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,  # noqa: A002
                     stride: IntOrSeq = 1, padding: IntOrSeq = 0, output_padding: IntOrSeq = 0, groups: int = 1,
                     dilation: IntOrSeq = 1) -> Tensor:
    r"""2-D transposed convolution ("deconvolution", the upsampling of FCN/U-Net), as
    ``torch.nn.functional.conv_transpose2d``: the gradient of :func:`conv2d` w.r.t. its input, used as a layer.

    .. math:: H_{out} = (H - 1) s - 2p + d(k - 1) + op + 1

    Args:
        input: the images. weight: the filters. bias: one value per output channel, or None.
        stride, padding, dilation, groups: those of the :func:`conv2d` this op is the transpose of (``padding``
            crops the output). output_padding: extra rows/columns at the bottom/right (< stride or dilation).

    Shape:
        - input: :math:`(N, C_{in}, H, W)` or :math:`(C_{in}, H, W)`; weight: :math:`(C_{in}, C_{out}/G, k_h, k_w)`
        - output: :math:`(N, C_{out}, H_{out}, W_{out})`

    Example::

        >>> F.conv_transpose2d(chainrule.randn(1, 8, 7, 7), chainrule.randn(8, 4, 2, 2), stride=2).shape
        chainrule.Size([1, 4, 14, 14])
    """
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_pad(input: Tensor, pad: Sequence[int], mode: str) -> Tensor:  # noqa: A002 - PyTorch's name
    """Pad the last ``len(pad) // 2`` dimensions with ``mode`` 'reflect' (mirror, edge not repeated), 'replicate'
    (repeat the edge) or 'circular' (wrap around); ``pad = (left, right, top, bottom)`` from the last dimension
    backwards, as ``F.pad``. The padding of the conv layers with ``padding_mode != 'zeros'``.

    Shape: input :math:`(*, H, W)` -> :math:`(*, H + top + bottom, W + left + right)`.
    """
    if mode not in _PAD_MODES:
        raise ValueError(f"conv_pad: mode must be one of {sorted(_PAD_MODES)}, got {mode!r}")
    k = len(pad) // 2
    shape = tuple(input.shape)
    index = []
    for axis in range(k):
        lo, hi = pad[2 * (k - 1 - axis)], pad[2 * (k - 1 - axis) + 1]
        n = shape[len(shape) - k + axis]
        if (mode == "reflect" and max(lo, hi) >= n) or (mode == "circular" and max(lo, hi) > n):
            raise RuntimeError(f"conv_pad: {mode} padding ({lo}, {hi}) is too large for dimension {axis - k} of "
                               f"size {n} (input of shape {shape})")
        index.append(np.pad(np.arange(n), (lo, hi), mode=_PAD_MODES[mode]))  # type: ignore[call-overload]
    return _IndexPad.apply(input, tuple(index))


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:  # noqa: A002
    """``F.pad``: pad the last ``len(pad) // 2`` dimensions, ``pad = (left, right, top, bottom, ...)`` from the last
    dimension backwards. ``mode`` 'constant' fills with ``value`` (default 0; negative amounts crop); 'reflect',
    'replicate' and 'circular' (see :func:`conv_pad`) pad the last 1-3 dimensions of a batched or unbatched input,
    as PyTorch: 1-D padding of a 2-D or 3-D input, 2-D padding of a 3-D or 4-D one, 3-D of a 4-D or 5-D one.

    Shape: :math:`(*, H, W)` -> :math:`(*, H + top + bottom, W + left + right)`.
    """
    if mode == "constant":
        return _constant_pad(input, pad, mode, value)
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"pad: unrecognised padding mode {mode!r} (use 'constant', 'reflect', "
                                  "'replicate' or 'circular')")
    if value is not None and value != 0:
        raise RuntimeError(f"pad: padding mode {mode!r} doesn't take a value argument (got value={value})")
    k, nd = len(pad) // 2, input.ndim
    if len(pad) % 2 or k > nd:
        raise RuntimeError(f"pad: padding length {len(pad)} must be even and at most twice the input's "
                           f"{nd} dimensions (input of shape {tuple(input.shape)})")
    if not 1 <= k <= 3 or nd not in (k + 1, k + 2):
        raise NotImplementedError(f"pad: {mode} padding of {k} dimension(s) with pad={tuple(pad)} needs a "
                                  f"{k + 1}-D or {k + 2}-D input (unbatched or batched), got shape "
                                  f"{tuple(input.shape)}")
    # NOTE: negative amounts crop before the padding (PyTorch's order, which matters for 'circular')
    out = _constant_pad(input, [min(int(p), 0) for p in pad]) if min(pad) < 0 else input
    return conv_pad(out, [max(int(p), 0) for p in pad], mode) if max(pad) > 0 else out


def channel_shuffle(input: Tensor, groups: int) -> Tensor:  # noqa: A002 - PyTorch's name
    r"""Interleave the channels of ``groups`` groups (ShuffleNet): view ``C`` as ``(groups, C / groups)``, transpose
    to ``(C / groups, groups)`` and flatten, so output channel :math:`j \cdot G + g` is input channel
    :math:`g \cdot C/G + j`.

    Args:
        input: the input. groups: the number of groups (must divide the channels).

    Shape:
        - input and output: :math:`(N, C, *)`.

    Example::

        >>> F.channel_shuffle(chainrule.arange(4.).reshape(1, 4, 1, 1), 2).flatten().tolist()
        [0.0, 2.0, 1.0, 3.0]
    """
    shape = tuple(input.shape)
    if len(shape) < 3:
        raise RuntimeError(f"channel_shuffle: expected input of at least 3 dimensions (N, C, *), got shape {shape}")
    if groups <= 0:
        raise RuntimeError(f"channel_shuffle: number of groups to divide channels in must be positive, got "
                           f"groups={groups}")
    if shape[1] % groups:
        raise RuntimeError(f"channel_shuffle: number of channels must be divisible by groups, got {shape[1]} channels "
                           f"(input of shape {shape}) and groups={groups}")
    n, c = shape[:2]
    return input.reshape(n, groups, c // groups, *shape[2:]).transpose(1, 2).reshape(shape)
