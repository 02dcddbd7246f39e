"""Dense-prediction networks: U-Net (Ronneberger, Fischer, Brox 2015) and a fully convolutional network (Long,
Shelhamer, Darrell 2015) with a small VGG-like backbone."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .. import nn
from ..backend import xp
from ..tensor import Tensor
from ..tensor.functions import cat
from ._registry import register_model

__all__ = ["UNet", "FCN", "center_crop", "unet", "unet_small", "fcn"]


def center_crop(x: Tensor, height: int, width: int) -> Tensor:
    """The central ``height x width`` window of ``x`` (N, C, H, W): U-Net's crop of a skip connection."""
    h, w = x.shape[-2], x.shape[-1]
    if height > h or width > w:
        raise ValueError(f"center_crop: cannot crop {(h, w)} to a larger {(height, width)}")
    top, left = (h - height) // 2, (w - width) // 2
    return x[:, :, top:top + height, left:left + width]


def _double_conv(cin: int, cout: int, padding: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=padding), nn.ReLU(),
                         nn.Conv2d(cout, cout, 3, padding=padding), nn.ReLU())


class UNet(nn.Module):
    r"""U-Net: a contracting path of ``depth`` blocks (two 3x3 convolutions + ReLU, then 2x2 max-pool, doubling the
    channels from ``base_width``), a bottleneck block, and an expanding path of 2x2 up-convolutions (ConvTranspose2d,
    stride 2, halving the channels), each concatenated with the centre-cropped feature map of the same level
    (``[skip, up]`` along channels) and followed by two 3x3 convolutions; a 1x1 convolution gives the class scores.

    With ``padding=0`` (the paper's valid convolutions) each 3x3 convolution trims 2 pixels: a 572x572 tile gives a
    388x388 map. The paper's network (``base_width=64, depth=4``, 1 input channel, 2 classes) has 31,030,658
    parameters.

    Args:
        in_channels: image channels. num_classes: output maps. base_width: channels of the first block.
        depth: number of poolings. padding: 0 (valid, the paper) or 1 (output the size of the input).

    Shape: input ``(N, in_channels, H, W)``; output ``(N, num_classes, H', W')`` (``H' = H`` with ``padding=1``
    when ``H`` is divisible by ``2**depth``).
    """

    default_input_size: tuple[int, ...] = (1, 572, 572)  # the paper's tile; summary's default

    def __init__(self, in_channels: int = 1, num_classes: int = 2, base_width: int = 64, depth: int = 4,
                 padding: int = 0) -> None:
        super().__init__()
        if depth < 1 or base_width < 1 or padding not in (0, 1):
            raise ValueError(f"UNet: need depth >= 1, base_width >= 1 and padding 0 or 1, got depth={depth}, "
                             f"base_width={base_width}, padding={padding}")
        self.depth, self.padding = depth, padding
        widths = [base_width * 2 ** i for i in range(depth + 1)]
        self.down = nn.ModuleList([_double_conv(c_in, c_out, padding)
                                   for c_in, c_out in zip([in_channels] + widths[:-2], widths[:-1])])
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = _double_conv(widths[-2], widths[-1], padding)
        self.up = nn.ModuleList([nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2)
                                 for i in reversed(range(depth))])
        self.up_conv = nn.ModuleList([_double_conv(2 * widths[i], widths[i], padding)
                                      for i in reversed(range(depth))])
        self.head = nn.Conv2d(widths[0], num_classes, 1)

    def forward(self, x: Tensor) -> Tensor:
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            if x.shape[-1] % 2 or x.shape[-2] % 2:
                raise ValueError(f"UNet: the feature map before pooling {len(skips)} is {tuple(x.shape[-2:])}; "
                                 "2x2 max-pooling needs even sizes (valid-convolution U-Nets need inputs like 572 "
                                 "or 188; see UNet.valid_input_size)")
            x = self.pool(x)
        x = self.bottleneck(x)
        for up, conv, skip in zip(self.up, self.up_conv, reversed(skips)):
            x = up(x)
            x = conv(cat([center_crop(skip, x.shape[-2], x.shape[-1]), x], dim=1))
        return self.head(x)

    def output_size(self, size: int) -> int:
        """The output side for an input side ``size`` (0 if some map would be empty or odd before a pooling)."""
        trim = 0 if self.padding else 4  # two 3x3 convolutions
        for _ in range(self.depth):
            size -= trim
            if size <= 0 or size % 2:
                return 0
            size //= 2
        size -= trim
        for _ in range(self.depth):
            size = 2 * size - trim
        return max(size, 0)


class FCN(nn.Module):
    r"""A fully convolutional network: a VGG-like backbone (per stage ``convs_per_stage`` 3x3 convolutions + ReLU,
    then 2x2 max-pool), its dense layers turned into convolutions (``fc6``: a ``fc_kernel`` x ``fc_kernel``
    convolution to ``fc_channels``, ``fc7``: 1x1, each with ReLU and Dropout2d), a 1x1 score layer, and one
    transposed convolution (kernel :math:`2f`, stride :math:`f`, padding :math:`f/2`, :math:`f = 2^{\text{stages}}`,
    no bias, bilinear initialisation) that upsamples the scores back to the input size (FCN-32s style).

    Parameters: :math:`\sum_\text{convs} (9 c_\text{in} c_\text{out} + c_\text{out}) + (k^2 c_L F + F) + (F^2 + F)
    + (F K + K) + K^2 (2f)^2`.

    Args:
        num_classes: K. in_channels: image channels. widths: channels per stage. convs_per_stage: 3x3 convs per
        stage. fc_channels: F. fc_kernel: k (odd). dropout: Dropout2d probability after fc6 and fc7.

    Shape: input ``(N, in_channels, H, W)`` with H, W divisible by :math:`f`; output ``(N, num_classes, H, W)``.
    """

    default_input_size: tuple[int, ...] = (3, 64, 64)

    def __init__(self, num_classes: int = 21, in_channels: int = 3, widths: Sequence[int] = (32, 64, 128),
                 convs_per_stage: int = 2, fc_channels: int = 512, fc_kernel: int = 3, dropout: float = 0.5) -> None:
        super().__init__()
        if not widths or fc_kernel % 2 == 0:
            raise ValueError(f"FCN: need at least one stage and an odd fc_kernel, got widths={widths}, "
                             f"fc_kernel={fc_kernel}")
        layers: list[nn.Module] = []
        c = in_channels
        for w in widths:
            for _ in range(convs_per_stage):
                layers += [nn.Conv2d(c, w, 3, padding=1), nn.ReLU()]
                c = w
            layers.append(nn.MaxPool2d(2))
        self.backbone = nn.Sequential(*layers)
        self.factor = 2 ** len(widths)
        self.classifier = nn.Sequential(
            nn.Conv2d(c, fc_channels, fc_kernel, padding=fc_kernel // 2), nn.ReLU(), nn.Dropout2d(dropout),
            nn.Conv2d(fc_channels, fc_channels, 1), nn.ReLU(), nn.Dropout2d(dropout),
            nn.Conv2d(fc_channels, num_classes, 1),
        )
        f = self.factor
        self.upsample = nn.ConvTranspose2d(num_classes, num_classes, 2 * f, stride=f, padding=f // 2, bias=False)
        self._bilinear_init()

    def _bilinear_init(self) -> None:
        """Each class's upsampling kernel starts as bilinear interpolation (the FCN paper's initialisation)."""
        k = self.upsample.kernel_size[0]
        centre = (k - 1) / 2 if k % 2 else k / 2 - 0.5
        og = 1 - np.abs(np.arange(k) - centre) / (k // 2 if k > 1 else 1)
        w = np.zeros(self.upsample.weight.shape, dtype=self.upsample.weight._data.dtype)
        n = w.shape[0]
        w[np.arange(n), np.arange(n)] = np.outer(og, og)
        self.upsample.weight._data[...] = xp.asarray(w)

    def forward(self, x: Tensor) -> Tensor:
        h, w = x.shape[-2], x.shape[-1]
        if h % self.factor or w % self.factor:
            raise ValueError(f"FCN: input height and width must be divisible by {self.factor}, got {(h, w)}")
        return self.upsample(self.classifier(self.backbone(x)))


@register_model
def unet(in_channels: int = 1, num_classes: int = 2, base_width: int = 64, depth: int = 4,
         padding: int = 0) -> UNet:
    """The paper's U-Net (valid convolutions, 572x572 -> 388x388): 31,030,658 parameters."""
    model = UNet(in_channels, num_classes, base_width, depth, padding)
    model.default_input_size = (in_channels, 572, 572) if (depth, padding) == (4, 0) else (in_channels, 188, 188)
    return model


@register_model
def unet_small(in_channels: int = 1, num_classes: int = 2, base_width: int = 8, depth: int = 2,
               padding: int = 0) -> UNet:
    """A narrow, shallow U-Net for quick experiments (valid convolutions: 44x44 -> 4x4)."""
    model = UNet(in_channels, num_classes, base_width, depth, padding)
    model.default_input_size = (in_channels, 44, 44)
    return model


@register_model
def fcn(num_classes: int = 21, in_channels: int = 3) -> FCN:
    """An FCN-32s-style network with a three-stage VGG-like backbone (input sides divisible by 8)."""
    model = FCN(num_classes, in_channels)
    model.default_input_size = (in_channels, 64, 64)
    return model
