"""Factorised convolutions -- depthwise separable (MobileNet/Xception), spatially separable (k x 1 then 1 x k,
Inception v3) and flattened (Jin et al. 2014) -- built from ``Conv2d``, and ``ChannelShuffle`` (ShuffleNet).

None of the three factorisations has a PyTorch module; each is a ``Sequential``-like composition of ``Conv2d``s with
the sub-layers named, so a state_dict maps one-to-one onto the same composition written with torch's ``Conv2d``.
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .conv import Conv2d
from .functional.conv import channel_shuffle
from .module import Module

__all__ = ["DepthwiseSeparableConv2d", "SpatiallySeparableConv2d", "FlattenedConv2d", "ChannelShuffle"]


class DepthwiseSeparableConv2d(Module):
    r"""A depthwise ``k x k`` convolution (one filter per input channel, ``groups = in_channels``) followed by a
    pointwise ``1 x 1`` convolution that mixes the channels:

    .. math:: y = \mathrm{pointwise}(\mathrm{depthwise}(x)),\qquad
              \text{params} = C_{in} m k^2 + C_{in} m C_{out} \ll C_{in} C_{out} k^2

    Args:
        in_channels, out_channels: channels of the input and the output.
        kernel_size, stride, padding, dilation, padding_mode: those of the depthwise convolution.
        bias: both convolutions learn a bias. depth_multiplier: ``m``, filters per input channel in the depthwise step.

    Shape:
        - Input: :math:`(N, C_{in}, H, W)`; Output: :math:`(N, C_{out}, H_{out}, W_{out})` as Conv2d with these
          kernel_size/stride/padding/dilation.

    Attributes:
        depthwise: ``Conv2d(in, in * m, kernel_size, stride, padding, dilation, groups=in)``.
        pointwise: ``Conv2d(in * m, out, 1)``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, bias: bool = True, padding_mode: str = "zeros", depth_multiplier: int = 1,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        mid = in_channels * depth_multiplier
        self.depthwise = Conv2d(in_channels, mid, kernel_size, stride, padding, dilation, groups=in_channels,
                                bias=bias, padding_mode=padding_mode, device=device, dtype=dtype)
        self.pointwise = Conv2d(mid, out_channels, 1, bias=bias, device=device, dtype=dtype)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return self.pointwise(self.depthwise(input))


class SpatiallySeparableConv2d(Module):
    r"""A ``k x 1`` convolution followed by a ``1 x k`` one: a ``k x k`` receptive field for :math:`2k` instead of
    :math:`k^2` taps per channel pair.

    .. math:: y = \mathrm{horizontal}(\mathrm{vertical}(x)),\qquad
              W_{eff}[o, c, i, j] = \sum_m H[o, m, 0, j]\, V[m, c, i, 0]

    The vertical step has no bias, so the pair *is* one ``k x k`` convolution with the low-rank kernel
    :math:`W_{eff}` (with zero padding the factorisation is exact, borders included); the bias, if any, is the
    horizontal step's.

    Args:
        in_channels, out_channels: channels of the input and the output.
        kernel_size: ``k``. stride, padding, dilation: ints, applied along H by the first step and along W by the
            second. bias: learn an additive bias. padding_mode: of both steps.
        mid_channels: channels between the steps (default ``out_channels``).

    Shape:
        - Input: :math:`(N, C_{in}, H, W)`; Output: as ``Conv2d(in, out, k, stride, padding, dilation)``.

    Attributes:
        vertical: ``Conv2d(in, mid, (k, 1), (s, 1), (p, 0), (d, 1), bias=False)``.
        horizontal: ``Conv2d(mid, out, (1, k), (1, s), (0, p), (1, d))``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0,
                 dilation: int = 1, bias: bool = True, padding_mode: str = "zeros", mid_channels: int | None = None,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        mid = out_channels if mid_channels is None else mid_channels
        k, s, p, d = kernel_size, stride, padding, dilation
        self.vertical = Conv2d(in_channels, mid, (k, 1), (s, 1), (p, 0), (d, 1), bias=False,
                               padding_mode=padding_mode, device=device, dtype=dtype)
        self.horizontal = Conv2d(mid, out_channels, (1, k), (1, s), (0, p), (1, d), bias=bias,
                                 padding_mode=padding_mode, device=device, dtype=dtype)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return self.horizontal(self.vertical(input))


class FlattenedConv2d(Module):
    r"""Flattened convolution (Jin, Dundar, Culurciello 2014): every 3-D filter is a rank-one product of three 1-D
    filters, applied as three layers in a row -- lateral (``1 x 1`` across channels), vertical (``k x 1``) and
    horizontal (``1 x k``), the last two depthwise:

    .. math:: y[o] = \gamma_o \star_W \big(\beta_o \star_H \textstyle\sum_c \alpha_{o,c}\, x[c]\big) + b[o],
              \qquad W_{eff}[o, c, i, j] = \alpha_{o,c}\, \beta_{o,i}\, \gamma_{o,j}

    so it equals one ``k x k`` convolution with kernel :math:`W_{eff}` (exactly, borders included, with zero
    padding: the lateral ``1 x 1`` step has no bias and maps zeros to zeros) at :math:`C_{in} + 2k` instead of
    :math:`C_{in} k^2` weights per output channel.

    Args:
        in_channels, out_channels: channels of the input and the output.
        kernel_size: ``k``. stride, padding, dilation: ints, applied along H by the vertical step and along W by the
            horizontal one. bias: a bias on the last step only.

    Shape:
        - Input: :math:`(N, C_{in}, H, W)`; Output: as ``Conv2d(in, out, k, stride, padding, dilation)``.

    Attributes:
        lateral: ``Conv2d(in, out, 1, bias=False)`` (:math:`\alpha`).
        vertical: ``Conv2d(out, out, (k, 1), (s, 1), (p, 0), (d, 1), groups=out, bias=False)`` (:math:`\beta`).
        horizontal: ``Conv2d(out, out, (1, k), (1, s), (0, p), (1, d), groups=out)`` (:math:`\gamma`, ``b``).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0,
                 dilation: int = 1, bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        k, s, p, d, o = kernel_size, stride, padding, dilation, out_channels
        self.lateral = Conv2d(in_channels, o, 1, bias=False, device=device, dtype=dtype)
        self.vertical = Conv2d(o, o, (k, 1), (s, 1), (p, 0), (d, 1), groups=o, bias=False, device=device,
                               dtype=dtype)
        self.horizontal = Conv2d(o, o, (1, k), (1, s), (0, p), (1, d), groups=o, bias=bias, device=device,
                                 dtype=dtype)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return self.horizontal(self.vertical(self.lateral(input)))


class ChannelShuffle(Module):
    r"""Interleave the channels of ``groups`` groups, as ``torch.nn.ChannelShuffle`` (ShuffleNet): output channel
    :math:`j G + g` is input channel :math:`g C/G + j`, so the next grouped convolution sees every group.

    Args:
        groups: the number of groups (must divide the channels).

    Shape:
        - Input and output: :math:`(N, C, *)`.
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
