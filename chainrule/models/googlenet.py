"""GoogLeNet / Inception v1 (Szegedy et al. 2014) in torchvision's layout (batch-normalised convolutions, no
auxiliary heads): 6,624,904 parameters."""

from __future__ import annotations

from .. import nn
from ..tensor import Tensor
from ..tensor.functions import cat
from ._registry import register_model
from ._utils import BasicConv2d, guard_input_size

__all__ = ["BasicConv2d", "Inception", "GoogLeNet", "googlenet"]


class Inception(nn.Module):
    r"""An Inception module: four parallel branches concatenated along channels,

    .. math:: y = [\,b_1(x),\ b_2(x),\ b_3(x),\ b_4(x)\,],\quad C_{out} = c_{1} + c_{3} + c_{5} + c_{pool}

    branch 1: 1x1 -> ``ch1x1``; branch 2: 1x1 -> ``ch3x3red``, 3x3 -> ``ch3x3``; branch 3: 1x1 -> ``ch5x5red``,
    then the "5x5" convolution -> ``ch5x5``; branch 4: 3x3 stride-1 max-pool, 1x1 -> ``pool_proj``. The 1x1
    reductions cut the cost of the wide convolutions.

    Args:
        in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj: channel counts (the paper's table 1).
        paper_5x5: the paper's 5x5 kernel in branch 3; False (default) is torchvision's 3x3 there, whose published
            count (6,624,904) this reproduces. The 5x5 adds :math:`16\,c_{5r}\,c_5` weights per module.

    Shape: ``(N, in_channels, H, W)`` -> ``(N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W)``.
    """

    def __init__(self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int, ch5x5: int,
                 pool_proj: int, paper_5x5: bool = False) -> None:
        super().__init__()
        k = 5 if paper_5x5 else 3
        self.branch1 = BasicConv2d(in_channels, ch1x1, 1)
        self.branch2 = nn.Sequential(BasicConv2d(in_channels, ch3x3red, 1), BasicConv2d(ch3x3red, ch3x3, 3, padding=1))
        self.branch3 = nn.Sequential(BasicConv2d(in_channels, ch5x5red, 1),
                                     BasicConv2d(ch5x5red, ch5x5, k, padding=k // 2))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
                                     BasicConv2d(in_channels, pool_proj, 1))

    def forward(self, x: Tensor) -> Tensor:
        return cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


# (in, 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj) of inception 3a, 3b, 4a-4e, 5a, 5b (the paper's table 1)
_INCEPTION_CFG = {
    "3a": (192, 64, 96, 128, 16, 32, 32), "3b": (256, 128, 128, 192, 32, 96, 64),
    "4a": (480, 192, 96, 208, 16, 48, 64), "4b": (512, 160, 112, 224, 24, 64, 64),
    "4c": (512, 128, 128, 256, 24, 64, 64), "4d": (512, 112, 144, 288, 32, 64, 64),
    "4e": (528, 256, 160, 320, 32, 128, 128),
    "5a": (832, 256, 160, 320, 32, 128, 128), "5b": (832, 384, 192, 384, 48, 128, 128),
}


class GoogLeNet(nn.Module):
    """GoogLeNet without the auxiliary classifiers: stem (7x7/2 conv, pool, 1x1, 3x3, pool), inception 3a-3b, pool,
    4a-4e, pool, 5a-5b, global average pool, dropout, fc 1024 -> classes. Pools are 3x3 stride 2 with ``ceil_mode``
    (the last one 2x2) as in torchvision.

    Args:
        num_classes: outputs.
        in_channels: image channels.
        dropout: dropout probability before the classifier.
        paper_5x5: 5x5 convolutions in the third branch as in the paper (7,005,832 parameters with 1000 classes)
            instead of torchvision's 3x3 (6,624,904).

    Shape: input ``(N, in_channels, H, W)`` with ``H, W >= 31`` (the 2x2 pool after 4e needs a 2x2 map; a 28x28
    image is too small); output ``(N, num_classes)``.
    """

    min_input_size = 31

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.2,
                 paper_5x5: bool = False) -> None:
        super().__init__()
        self.conv1 = BasicConv2d(in_channels, 64, 7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64, 1)
        self.conv3 = BasicConv2d(64, 192, 3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        for name in ("3a", "3b"):
            setattr(self, f"inception{name}", Inception(*_INCEPTION_CFG[name], paper_5x5=paper_5x5))
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        for name in ("4a", "4b", "4c", "4d", "4e"):
            setattr(self, f"inception{name}", Inception(*_INCEPTION_CFG[name], paper_5x5=paper_5x5))
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        for name in ("5a", "5b"):
            setattr(self, f"inception{name}", Inception(*_INCEPTION_CFG[name], paper_5x5=paper_5x5))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(1024, num_classes)
        guard_input_size(self, "googlenet", self.min_input_size)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        for name in ("4a", "4b", "4c", "4d", "4e"):
            x = getattr(self, f"inception{name}")(x)
        x = self.inception5b(self.inception5a(self.maxpool4(x)))
        return self.fc(self.dropout(self.avgpool(x).flatten(1)))


@register_model
def googlenet(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.2,
              paper_5x5: bool = False) -> GoogLeNet:
    """GoogLeNet (Inception v1), torchvision layout without aux heads: 6,624,904 parameters with 1000 classes."""
    return GoogLeNet(num_classes, in_channels, dropout, paper_5x5)
