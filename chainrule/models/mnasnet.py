"""MnasNet (Tan et al. 2019: a platform-aware architecture search over MobileNet-v2-style blocks), in torchvision's
``mnasnet1_0`` layout (the B1 variant without squeeze-and-excitation)."""

from __future__ import annotations

from .. import nn
from ..tensor import Tensor
from ._registry import register_model
from ._utils import _reductions, check_image_input, conv_bn_act, init_cnn_

__all__ = ["MNASNet", "MnasInvertedResidual", "mnasnet1_0"]

# NOTE: the paper's TensorFlow batch-norm decay 0.9997 is torch momentum 1 - 0.9997
_BN_MOMENTUM = 1 - 0.9997


class MnasInvertedResidual(nn.Module):
    r"""An inverted residual with a ``k x k`` depthwise convolution: 1x1 expand (BN, ReLU), depthwise (BN, ReLU),
    1x1 project (BN), plus the input when the shapes agree.

    .. math:: y = [x +]\; \mathrm{BN}(W_{proj} * \mathrm{ReLU}(\mathrm{BN}(W_{dw} * \mathrm{ReLU}(\mathrm{BN}(
              W_{exp} * x)))))

    Args:
        in_ch, out_ch: channels. kernel_size: 3 or 5. stride: 1 or 2. expansion_factor: hidden = in_ch * factor.
    """

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int, stride: int, expansion_factor: int) -> None:
        super().__init__()
        if stride not in (1, 2) or kernel_size not in (3, 5):
            raise ValueError(f"MnasInvertedResidual: stride must be 1 or 2 and kernel_size 3 or 5, got stride={stride}"
                             f", kernel_size={kernel_size}")
        mid = in_ch * expansion_factor
        self.apply_residual = in_ch == out_ch and stride == 1
        self.layers = nn.Sequential(
            nn.Conv2d(in_ch, mid, 1, bias=False), nn.BatchNorm2d(mid, momentum=_BN_MOMENTUM), nn.ReLU(),
            nn.Conv2d(mid, mid, kernel_size, stride, kernel_size // 2, groups=mid, bias=False),
            nn.BatchNorm2d(mid, momentum=_BN_MOMENTUM), nn.ReLU(),
            nn.Conv2d(mid, out_ch, 1, bias=False), nn.BatchNorm2d(out_ch, momentum=_BN_MOMENTUM),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.layers(x) if self.apply_residual else self.layers(x)


# (out channels, kernel, first stride, expansion, repeats) of the six searched stacks at depth multiplier 1.0
_STACKS = [(24, 3, 2, 3, 3), (40, 5, 2, 3, 3), (80, 5, 2, 6, 3), (96, 3, 1, 6, 2), (192, 5, 2, 6, 4),
           (320, 3, 1, 6, 1)]


def _round_to_multiple_of(val: float, divisor: int = 8, round_up_bias: float = 0.9) -> int:
    """Round ``val`` to a multiple of ``divisor`` without going below ``round_up_bias * val``."""
    new_val = max(divisor, int(val + divisor / 2) // divisor * divisor)
    return new_val if new_val >= round_up_bias * val else new_val + divisor


class MNASNet(nn.Module):
    r"""MnasNet: conv 3x3/2 to 32 channels, a depthwise-separable block to 16, six stacks of inverted residuals,
    a 1x1 convolution to 1280, global average pooling, dropout and a linear classifier. 4,383,312 parameters at 1.0.

    Args:
        alpha: depth multiplier (channels scaled and rounded to 8). num_classes: outputs. in_channels: image channels.
        dropout: before the classifier (0.2).

    Shape: input ``(N, in_channels, H, W)``; output ``(N, num_classes)``.
    """

    def __init__(self, alpha: float = 1.0, num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.2) -> None:
        super().__init__()
        if alpha <= 0.0:
            raise ValueError(f"MNASNet: alpha should be greater than 0.0, got {alpha}")
        self.in_channels = in_channels
        d = [_round_to_multiple_of(c * alpha) for c in (32, 16)]
        layers: list[nn.Module] = [
            *conv_bn_act(in_channels, d[0], 3, 2, bn_momentum=_BN_MOMENTUM),
            *conv_bn_act(d[0], d[0], 3, 1, groups=d[0], bn_momentum=_BN_MOMENTUM),
            *conv_bn_act(d[0], d[1], 1, activation=None, bn_momentum=_BN_MOMENTUM),
        ]
        c = d[1]
        for out, k, s, t, n in _STACKS:
            out = _round_to_multiple_of(out * alpha)
            layers.append(nn.Sequential(*[MnasInvertedResidual(c if i == 0 else out, out, k, s if i == 0 else 1, t)
                                          for i in range(n)]))
            c = out
        layers += [*conv_bn_act(c, 1280, 1, bn_momentum=_BN_MOMENTUM)]
        self.layers = nn.Sequential(*layers)  # flat, as torchvision: keys layers.0.weight ... layers.16.weight
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(1280, num_classes))
        init_cnn_(self, linear_std=None)
        self._reductions = _reductions(self)

    def forward(self, x: Tensor) -> Tensor:
        check_image_input("MNASNet", x, self.in_channels, self._reductions)
        return self.classifier(self.layers(x).mean((2, 3)))


@register_model
def mnasnet1_0(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.2) -> MNASNet:
    """MnasNet with depth multiplier 1.0 in torchvision's layout: 4,383,312 parameters with 1000 classes."""
    return MNASNet(1.0, num_classes, in_channels, dropout)
