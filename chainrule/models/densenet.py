"""DenseNet (Huang et al. 2016) in torchvision's layout: dense blocks whose layers see the concatenation of every
earlier feature map, joined by transitions. DenseNet-121 has 7,978,856 parameters."""

from __future__ import annotations

from collections import OrderedDict

from .. import nn
from ..tensor import Tensor
from ..tensor.functions import cat
from ._registry import register_model
from ._utils import guard_input_size

__all__ = ["DenseLayer", "DenseBlock", "Transition", "DenseNet", "densenet121", "densenet169", "densenet201"]


class DenseLayer(nn.Module):
    r"""BN-ReLU-conv 1x1 (``bn_size * growth_rate`` channels) then BN-ReLU-conv 3x3 (``growth_rate`` channels):
    :math:`x_\ell = H_\ell([x_0, x_1, \dots, x_{\ell-1}])`.

    Shape: a list of ``(N, C_i, H, W)`` with :math:`\sum C_i =` ``num_input_features`` -> ``(N, growth_rate, H, W)``.
    """

    def __init__(self, num_input_features: int, growth_rate: int, bn_size: int, drop_rate: float) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU()
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU()
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, 3, padding=1, bias=False)
        self.dropout = nn.Dropout(drop_rate)

    def forward(self, features: list[Tensor]) -> Tensor:
        x = cat(features, 1) if len(features) > 1 else features[0]
        x = self.conv1(self.relu1(self.norm1(x)))
        return self.dropout(self.conv2(self.relu2(self.norm2(x))))


class DenseBlock(nn.ModuleDict):
    """``num_layers`` dense layers; the output concatenates the input and every layer's ``growth_rate`` channels:
    ``num_input_features + num_layers * growth_rate`` channels. Layers are named ``denselayer1``, ... as torchvision.
    """

    def __init__(self, num_layers: int, num_input_features: int, bn_size: int, growth_rate: int,
                 drop_rate: float) -> None:
        super().__init__()
        for i in range(num_layers):
            self.add_module(f"denselayer{i + 1}",
                            DenseLayer(num_input_features + i * growth_rate, growth_rate, bn_size, drop_rate))

    def forward(self, x: Tensor) -> Tensor:
        features = [x]
        for layer in self.values():
            features.append(layer(features))
        return cat(features, 1)


class Transition(nn.Sequential):
    """Between dense blocks: BN -> ReLU -> 1x1 conv (``num_output_features``) -> 2x2 average pool (halves H, W)."""

    def __init__(self, num_input_features: int, num_output_features: int) -> None:
        super().__init__(OrderedDict([
            ("norm", nn.BatchNorm2d(num_input_features)), ("relu", nn.ReLU()),
            ("conv", nn.Conv2d(num_input_features, num_output_features, 1, bias=False)),
            ("pool", nn.AvgPool2d(2, stride=2)),
        ]))


class DenseNet(nn.Module):
    """The DenseNet-BC builder: stem (7x7/2 conv, BN, ReLU, 3x3/2 max-pool), dense blocks with transitions that
    halve the channels, final BN, ReLU, global average pool, fc.

    Args:
        growth_rate: channels each dense layer adds (k, 32 for DenseNet-121).
        block_config: layers per dense block ((6, 12, 24, 16) for DenseNet-121).
        num_init_features: channels of the stem convolution.
        bn_size: the bottleneck width is ``bn_size * growth_rate``.
        drop_rate: dropout after each dense layer.
        num_classes, in_channels: outputs and image channels.

    Shape: input ``(N, in_channels, H, W)`` with ``H, W >= 29`` for four blocks (three 2x2 average pools after a
    /4 stem; a 28x28 image is too small: the third transition would get a 1x1 map); output ``(N, num_classes)``.
    """

    def __init__(self, growth_rate: int = 32, block_config: tuple[int, ...] = (6, 12, 24, 16),
                 num_init_features: int = 64, bn_size: int = 4, drop_rate: float = 0.0, num_classes: int = 1000,
                 in_channels: int = 3) -> None:
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(in_channels, num_init_features, 7, stride=2, padding=3, bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)), ("relu0", nn.ReLU()),
            ("pool0", nn.MaxPool2d(3, stride=2, padding=1)),
        ]))
        c = num_init_features
        for i, n in enumerate(block_config):
            self.features.add_module(f"denseblock{i + 1}", DenseBlock(n, c, bn_size, growth_rate, drop_rate))
            c += n * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}", Transition(c, c // 2))
                c //= 2
        self.features.add_module("norm5", nn.BatchNorm2d(c))
        self.relu = nn.ReLU()
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Linear(c, num_classes)
        # the stem divides by 4 (rounding up), each transition by 2 (rounding down): the last needs a 2x2 map
        self.min_input_size = 4 * 2 ** (len(block_config) - 1) - 3
        guard_input_size(self, "densenet", self.min_input_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.avgpool(self.relu(self.features(x))).flatten(1))


@register_model
def densenet121(num_classes: int = 1000, in_channels: int = 3, drop_rate: float = 0.0) -> DenseNet:
    """DenseNet-121 (k = 32, blocks 6-12-24-16): 7,978,856 parameters with 1000 classes."""
    return DenseNet(32, (6, 12, 24, 16), 64, 4, drop_rate, num_classes, in_channels)


@register_model
def densenet169(num_classes: int = 1000, in_channels: int = 3, drop_rate: float = 0.0) -> DenseNet:
    """DenseNet-169 (k = 32, blocks 6-12-32-32): 14,149,480 parameters with 1000 classes."""
    return DenseNet(32, (6, 12, 32, 32), 64, 4, drop_rate, num_classes, in_channels)


@register_model
def densenet201(num_classes: int = 1000, in_channels: int = 3, drop_rate: float = 0.0) -> DenseNet:
    """DenseNet-201 (k = 32, blocks 6-12-48-32): 20,013,928 parameters with 1000 classes."""
    return DenseNet(32, (6, 12, 48, 32), 64, 4, drop_rate, num_classes, in_channels)
