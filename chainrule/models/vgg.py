"""VGG (Simonyan & Zisserman 2014): stacks of 3x3 convolutions; VGG-11/16/19 (with or without batch norm) are
configurations of one builder, in torchvision's layout."""

from __future__ import annotations

from typing import Union

from .. import nn
from ..tensor import Tensor
from ._registry import register_model
from ._utils import guard_input_size

__all__ = ["VGG", "VGG_CONFIGS", "make_vgg_features", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn",
           "vgg19", "vgg19_bn"]

# Output channels of each 3x3 convolution; "M" is a 2x2 stride-2 max-pool. Keys are the paper's table-1 columns.
VGG_CONFIGS: dict[str, list[Union[int, str]]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


def make_vgg_features(cfg: list[Union[int, str]], in_channels: int = 3, batch_norm: bool = False) -> nn.Sequential:
    """The convolutional trunk for ``cfg``: each int is conv 3x3 (padding 1) [+ BatchNorm2d] + ReLU, each "M" a
    2x2 max-pool. Two stacked 3x3 convolutions see a 5x5 window with :math:`18C^2` weights (one 5x5: :math:`25C^2`),
    three see 7x7 with :math:`27C^2` (one 7x7: :math:`49C^2`), with a non-linearity between each."""
    layers: list[nn.Module] = []
    c = in_channels
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
            continue
        assert isinstance(v, int)
        layers.append(nn.Conv2d(c, v, 3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU())
        c = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """VGG: a trunk of 3x3 convolutions (``VGG_CONFIGS``), an adaptive average pool to 7x7, and the classifier
    fc 25088 -> 4096 -> 4096 -> classes with ReLU and dropout.

    Args:
        cfg: a key of ``VGG_CONFIGS`` ("A" = VGG-11, "B" = 13, "D" = 16, "E" = 19) or a list in that format.
        num_classes: outputs.
        in_channels: image channels.
        batch_norm: BatchNorm2d after every convolution (torchvision's ``vgg*_bn``).
        dropout: dropout probability in the classifier.

    Shape: input ``(N, in_channels, H, W)`` with ``H, W >= 32`` (five 2x2 pools; a 28x28 image is too small: the
    fifth pool would get a 1x1 map); output ``(N, num_classes)``.
    """

    min_input_size = 32

    def __init__(self, cfg: str | list[Union[int, str]] = "D", num_classes: int = 1000, in_channels: int = 3,
                 batch_norm: bool = False, dropout: float = 0.5) -> None:
        super().__init__()
        if isinstance(cfg, str):
            if cfg not in VGG_CONFIGS:
                raise ValueError(f"VGG: cfg must be one of {sorted(VGG_CONFIGS)} or a list, got {cfg!r}")
            cfg = VGG_CONFIGS[cfg]
        last = [v for v in cfg if v != "M"][-1]
        assert isinstance(last, int)
        self.features = make_vgg_features(cfg, in_channels, batch_norm)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(last * 7 * 7, 4096), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(4096, num_classes),
        )
        self.min_input_size = 2 ** cfg.count("M")  # each 2x2 pool needs at least a 2x2 map
        guard_input_size(self, "vgg", self.min_input_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


@register_model
def vgg11(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5) -> VGG:
    """VGG-11 (config A): 132,863,336 parameters with 1000 classes."""
    return VGG("A", num_classes, in_channels, False, dropout)


@register_model
def vgg11_bn(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5) -> VGG:
    """VGG-11 with batch norm."""
    return VGG("A", num_classes, in_channels, True, dropout)


@register_model
def vgg13(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5) -> VGG:
    """VGG-13 (config B): 133,047,848 parameters with 1000 classes."""
    return VGG("B", num_classes, in_channels, False, dropout)


@register_model
def vgg13_bn(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5) -> VGG:
    """VGG-13 with batch norm."""
    return VGG("B", num_classes, in_channels, True, dropout)


@register_model
def vgg16(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5) -> VGG:
    """VGG-16 (config D): 138,357,544 parameters with 1000 classes."""
    return VGG("D", num_classes, in_channels, False, dropout)


@register_model
def vgg16_bn(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5) -> VGG:
    """VGG-16 with batch norm: 138,365,992 parameters with 1000 classes."""
    return VGG("D", num_classes, in_channels, True, dropout)


@register_model
def vgg19(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5) -> VGG:
    """VGG-19 (config E): 143,667,240 parameters with 1000 classes."""
    return VGG("E", num_classes, in_channels, False, dropout)


@register_model
def vgg19_bn(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5) -> VGG:
    """VGG-19 with batch norm."""
    return VGG("E", num_classes, in_channels, True, dropout)
