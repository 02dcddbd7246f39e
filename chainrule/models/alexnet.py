"""AlexNet (Krizhevsky, Sutskever & Hinton 2012) in torchvision's single-tower layout: 61,100,840 parameters."""

from __future__ import annotations

from .. import nn
from ..tensor import Tensor
from ._registry import register_model
from ._utils import guard_input_size

__all__ = ["AlexNet", "alexnet"]


class AlexNet(nn.Module):
    r"""AlexNet as torchvision builds it (the "one weird trick" variant: 64-192-384-256-256 channels, no LRN).

    Five convolutions (11x11 stride 4, 5x5, 3x3, 3x3, 3x3) with ReLU and three 3x3 stride-2 max-pools, an adaptive
    average pool to 6x6, and three fully connected layers with dropout. A layer's parameters are
    :math:`C_{out} C_{in} k^2 + C_{out}` (conv) or :math:`d_{in} d_{out} + d_{out}` (linear): conv1 has
    :math:`64 \cdot 3 \cdot 11 \cdot 11 + 64 = 23{,}296`, fc6 :math:`9216 \cdot 4096 + 4096`.

    Args:
        num_classes: outputs of the last layer.
        in_channels: image channels (3 RGB, 1 grey).
        dropout: dropout probability before fc6 and fc7.

    Shape: input ``(N, in_channels, H, W)`` with ``H, W >= 63`` (``min_input_size``: the third max-pool needs a 3x3
    map; a 28x28 image is too small); output ``(N, num_classes)``.
    """

    min_input_size = 63

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 64, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
            nn.Dropout(dropout), nn.Linear(4096, 4096), nn.ReLU(),
            nn.Linear(4096, num_classes),
        )
        guard_input_size(self, "alexnet", self.min_input_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


@register_model
def alexnet(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5) -> AlexNet:
    """AlexNet, torchvision layout: 61,100,840 parameters with 1000 classes."""
    return AlexNet(num_classes, in_channels, dropout)
