"""MobileNet v1 (Howard et al. 2017: depthwise-separable convolutions) and MobileNet v2 (Sandler et al. 2018: inverted
residuals with linear bottlenecks), in torchvision's layout so a state_dict's keys and shapes match it.

The shared units and input check (``conv_bn_act``, ``check_image_input``) live in ``_utils``.
"""

from __future__ import annotations

from .. import nn
from ..tensor import Tensor
from ._registry import register_model
from ._utils import _reductions, check_image_input, conv_bn_act, init_cnn_

__all__ = ["MobileNetV1", "MobileNetV2", "InvertedResidual", "conv_bn_act", "check_image_input", "make_divisible",
           "mobilenet_v1", "mobilenet_v2"]

def make_divisible(v: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round ``v`` channels to the nearest multiple of ``divisor``, never going below 90 % of ``v`` (MobileNet v2)."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


# MobileNet v1, Table 1: (output channels, stride) of each depthwise-separable block after the 32-channel stem
_V1_BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]


class MobileNetV1(nn.Module):
    r"""MobileNet v1: a 3x3 stride-2 convolution, then 13 depthwise-separable blocks (3x3 depthwise conv, BN, ReLU;
    1x1 pointwise conv, BN, ReLU), global average pooling and a fully connected classifier.

    .. math:: \text{block}(x) = \mathrm{ReLU}(\mathrm{BN}(W_{1\times1} * \mathrm{ReLU}(\mathrm{BN}(W_{dw} * x))))

    4,231,976 parameters at width 1.0 with 1000 classes.

    Args:
        num_classes: outputs. in_channels: image channels. width_mult: the paper's width multiplier :math:`\alpha`.
        dropout: dropout before the classifier (0 in the paper).

    Shape: input ``(N, in_channels, H, W)``; output ``(N, num_classes)``.
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, width_mult: float = 1.0,
                 dropout: float = 0.0) -> None:
        super().__init__()
        if width_mult <= 0:
            raise ValueError(f"MobileNetV1: width_mult must be positive, got {width_mult}")
        self.in_channels = in_channels
        c = int(32 * width_mult)
        layers: list[nn.Module] = [conv_bn_act(in_channels, c, 3, 2)]
        for out, stride in _V1_BLOCKS:
            out = int(out * width_mult)
            layers.append(nn.Sequential(conv_bn_act(c, c, 3, stride, groups=c), conv_bn_act(c, out, 1)))
            c = out
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(c, num_classes))
        init_cnn_(self)
        self._reductions = _reductions(self)

    def forward(self, x: Tensor) -> Tensor:
        check_image_input("MobileNetV1", x, self.in_channels, self._reductions)
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


class InvertedResidual(nn.Module):
    r"""MobileNet v2's block: expand 1x1 (ReLU6), depthwise 3x3 (ReLU6), project 1x1 with no activation (the linear
    bottleneck), plus the input when the shapes agree.

    .. math:: y = [x +]\; \mathrm{BN}(W_{proj} * \mathrm{ReLU6}(\mathrm{BN}(W_{dw} * \mathrm{ReLU6}(\mathrm{BN}(
              W_{exp} * x)))))

    Args:
        inp, oup: channels in and out. stride: of the depthwise conv (1 or 2). expand_ratio: hidden = inp * ratio.
    """

    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"InvertedResidual: stride should be 1 or 2, got {stride}")
        hidden = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(conv_bn_act(inp, hidden, 1, activation=nn.ReLU6))
        layers += [conv_bn_act(hidden, hidden, 3, stride, groups=hidden, activation=nn.ReLU6),
                   nn.Conv2d(hidden, oup, 1, bias=False), nn.BatchNorm2d(oup)]
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


# MobileNet v2, Table 2: expansion t, channels c, repeats n, first stride s
_V2_SETTING = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
               (6, 320, 1, 1)]


class MobileNetV2(nn.Module):
    r"""MobileNet v2: a 32-channel 3x3 stride-2 stem, 17 inverted residual blocks (Table 2), a 1x1 convolution to 1280
    channels, global average pooling, dropout and a linear classifier. 3,504,872 parameters with 1000 classes.

    Args:
        num_classes: outputs. in_channels: image channels. width_mult: width multiplier (channels rounded to 8).
        dropout: before the classifier (0.2 as torchvision).

    Shape: input ``(N, in_channels, H, W)``; output ``(N, num_classes)``.
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, width_mult: float = 1.0,
                 dropout: float = 0.2) -> None:
        super().__init__()
        if width_mult <= 0:
            raise ValueError(f"MobileNetV2: width_mult must be positive, got {width_mult}")
        self.in_channels = in_channels
        c = make_divisible(32 * width_mult)
        last = make_divisible(1280 * max(1.0, width_mult))
        layers: list[nn.Module] = [conv_bn_act(in_channels, c, 3, 2, activation=nn.ReLU6)]
        for t, ch, n, s in _V2_SETTING:
            out = make_divisible(ch * width_mult)
            for i in range(n):
                layers.append(InvertedResidual(c, out, s if i == 0 else 1, t))
                c = out
        layers.append(conv_bn_act(c, last, 1, activation=nn.ReLU6))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(last, num_classes))
        init_cnn_(self)
        self._reductions = _reductions(self)

    def forward(self, x: Tensor) -> Tensor:
        check_image_input("MobileNetV2", x, self.in_channels, self._reductions)
        return self.classifier(self.features(x).mean((2, 3)))


@register_model
def mobilenet_v1(num_classes: int = 1000, in_channels: int = 3, width_mult: float = 1.0) -> MobileNetV1:
    """MobileNet v1 (width 1.0, final FC): 4,231,976 parameters with 1000 classes."""
    return MobileNetV1(num_classes, in_channels, width_mult)


@register_model
def mobilenet_v2(num_classes: int = 1000, in_channels: int = 3, width_mult: float = 1.0,
                 dropout: float = 0.2) -> MobileNetV2:
    """MobileNet v2 in torchvision's layout: 3,504,872 parameters with 1000 classes."""
    return MobileNetV2(num_classes, in_channels, width_mult, dropout)
