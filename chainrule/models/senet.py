"""Squeeze-and-excitation networks (Hu et al. 2017): SE-ResNet-50, the ResNet builder over a bottleneck whose
residual branch is re-weighted channel by channel."""

from __future__ import annotations

from .. import nn
from ..tensor import Tensor
from ._registry import register_model
from .resnet import Bottleneck, ResNet

__all__ = ["SEModule", "SEBottleneck", "se_resnet50"]


class SEModule(nn.Module):
    r"""Squeeze-and-excitation: :math:`y = x \odot \sigma(W_2\,\mathrm{ReLU}(W_1\,\bar x + b_1) + b_2)`, with
    :math:`\bar x` the global average of each channel and :math:`W_1: C \to C/r`, :math:`W_2: C/r \to C` 1x1
    convolutions with biases: :math:`2C^2/r + C/r + C` parameters.

    Args:
        channels: :math:`C`.
        reduction: :math:`r` (16 in the paper).

    Shape: ``(N, C, H, W)`` -> ``(N, C, H, W)``.
    """

    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__()
        if reduction < 1 or channels // reduction < 1:
            raise ValueError(f"SEModule: reduction must be in [1, channels], got channels={channels}, "
                             f"reduction={reduction}")
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, channels // reduction, 1)
        self.relu = nn.ReLU()
        self.fc2 = nn.Conv2d(channels // reduction, channels, 1)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x: Tensor) -> Tensor:
        return x * self.sigmoid(self.fc2(self.relu(self.fc1(self.avg_pool(x)))))


class SEBottleneck(Bottleneck):
    """ResNet's bottleneck with an SE module (r = 16) on the residual branch, before the shortcut is added:
    :math:`y = \\mathrm{ReLU}(SE(F(x)) + S x)`."""

    reduction = 16

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 groups: int = 1, base_width: int = 64) -> None:
        super().__init__(inplanes, planes, stride, downsample, groups, base_width)
        self.se = SEModule(planes * self.expansion, self.reduction)

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.se(self.residual(x)) + identity)


@register_model
def se_resnet50(num_classes: int = 1000, in_channels: int = 3) -> ResNet:
    """SE-ResNet-50 on torchvision's ResNet-50 (stride in the 3x3), SE with biases in both 1x1 layers: 28,088,024
    parameters with 1000 classes (ResNet-50's 25,557,032 + 2,530,992 in the 16 SE modules)."""
    return ResNet(SEBottleneck, (3, 4, 6, 3), num_classes, in_channels)
