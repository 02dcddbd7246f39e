"""Inception v3 (Szegedy et al. 2016, "Rethinking the Inception Architecture") in torchvision's layout, so that a
state_dict's keys and shapes match ``torchvision.models.inception_v3``: 27,161,264 parameters with 1000 classes and
the auxiliary head, 23,834,568 without it.

The paper's ideas, block by block: a 5x5 convolution becomes two stacked 3x3 (InceptionA); an n x n convolution is
factorised into 1 x n then n x 1 (InceptionC, n = 7); the grid is shrunk by a stride-2 convolution branch running in
parallel with a stride-2 pooling branch, not by pooling alone (InceptionB, InceptionD); the coarsest grid widens its
branches into parallel 1x3 / 3x1 convolutions (InceptionE). An auxiliary classifier on the 17x17 grid adds a second
loss during training.

Each block runs its branches in torchvision's order, so forward hooks (the input-size guard, ``summary``) see the
layers in the same order as there.
"""

from __future__ import annotations

from typing import NamedTuple, Union

from .. import nn
from ..tensor import Tensor
from ..tensor.functions import cat
from ._registry import register_model
from ._utils import BasicConv2d, guard_input_size

__all__ = ["InceptionA", "InceptionB", "InceptionC", "InceptionD", "InceptionE", "InceptionAux", "InceptionOutputs",
           "Inception3", "inception_v3"]


def _avg_pool() -> nn.AvgPool2d:
    # NOTE: a module (not F.avg_pool2d) so the input-size guard sees it; count_include_pad=True as torchvision.
    return nn.AvgPool2d(3, stride=1, padding=1)


class InceptionA(nn.Module):
    r"""The 35x35 block: 1x1 | 1x1 -> 5x5 | 1x1 -> 3x3 -> 3x3 | 3x3 avg-pool -> 1x1, concatenated,

    .. math:: C_{out} = 64 + 64 + 96 + c_{pool}

    Args:
        in_channels: channels in. pool_features: :math:`c_{pool}`, outputs of the pooling branch's 1x1.

    Shape: ``(N, in_channels, H, W)`` -> ``(N, 224 + pool_features, H, W)``.
    """

    def __init__(self, in_channels: int, pool_features: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(in_channels, 64, 1)
        self.branch5x5_1 = BasicConv2d(in_channels, 48, 1)
        self.branch5x5_2 = BasicConv2d(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, padding=1)
        self.pool = _avg_pool()
        self.branch_pool = BasicConv2d(in_channels, pool_features, 1)

    def forward(self, x: Tensor) -> Tensor:
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return cat([b1, b5, b3, self.branch_pool(self.pool(x))], 1)


class InceptionB(nn.Module):
    r"""Grid reduction 35 -> 17: stride-2 3x3 | 1x1 -> 3x3 -> stride-2 3x3 | stride-2 3x3 max-pool, concatenated,

    .. math:: C_{out} = 384 + 96 + C_{in}, \qquad H_{out} = \lfloor (H - 3) / 2 \rfloor + 1

    Shape: ``(N, in_channels, H, W)`` -> ``(N, 480 + in_channels, H_out, W_out)``.
    """

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.branch3x3 = BasicConv2d(in_channels, 384, 3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, stride=2)
        self.pool = nn.MaxPool2d(3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        b3 = self.branch3x3(x)
        d3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return cat([b3, d3, self.pool(x)], 1)


class InceptionC(nn.Module):
    r"""The 17x17 block with factorised 7x7 convolutions (a 1x7 then a 7x1 sees a 7x7 window with
    :math:`14c^2` weights instead of :math:`49c^2`): 1x1 | 1x1 -> 1x7 -> 7x1 | 1x1 -> (7x1 -> 1x7) x 2 |
    3x3 avg-pool -> 1x1, concatenated, each branch ending in 192 channels.

    Args:
        in_channels: channels in. channels_7x7: width :math:`c` of the factorised branches.

    Shape: ``(N, in_channels, H, W)`` -> ``(N, 768, H, W)``.
    """

    def __init__(self, in_channels: int, channels_7x7: int) -> None:
        super().__init__()
        c7 = channels_7x7
        self.branch1x1 = BasicConv2d(in_channels, 192, 1)
        self.branch7x7_1 = BasicConv2d(in_channels, c7, 1)
        self.branch7x7_2 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(in_channels, c7, 1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, (1, 7), padding=(0, 3))
        self.pool = _avg_pool()
        self.branch_pool = BasicConv2d(in_channels, 192, 1)

    def forward(self, x: Tensor) -> Tensor:
        b1 = self.branch1x1(x)
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = x
        for i in range(1, 6):
            d = getattr(self, f"branch7x7dbl_{i}")(d)
        return cat([b1, b7, d, self.branch_pool(self.pool(x))], 1)


class InceptionD(nn.Module):
    r"""Grid reduction 17 -> 8: 1x1 -> stride-2 3x3 | 1x1 -> 1x7 -> 7x1 -> stride-2 3x3 | stride-2 3x3 max-pool,

    .. math:: C_{out} = 320 + 192 + C_{in}

    Shape: ``(N, in_channels, H, W)`` -> ``(N, 512 + in_channels, H_out, W_out)``, :math:`H_{out} =
    \lfloor (H - 3) / 2 \rfloor + 1`.
    """

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.branch3x3_1 = BasicConv2d(in_channels, 192, 1)
        self.branch3x3_2 = BasicConv2d(192, 320, 3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(in_channels, 192, 1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, 3, stride=2)
        self.pool = nn.MaxPool2d(3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return cat([b3, b7, self.pool(x)], 1)


class InceptionE(nn.Module):
    r"""The 8x8 block with expanded filter banks: 1x1 | 1x1 -> [1x3, 3x1] | 1x1 -> 3x3 -> [1x3, 3x1] |
    3x3 avg-pool -> 1x1, where ``[a, b]`` runs a and b in parallel and concatenates them,

    .. math:: C_{out} = 320 + 2 \cdot 384 + 2 \cdot 384 + 192 = 2048

    Shape: ``(N, in_channels, H, W)`` -> ``(N, 2048, H, W)``.
    """

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(in_channels, 320, 1)
        self.branch3x3_1 = BasicConv2d(in_channels, 384, 1)
        self.branch3x3_2a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 448, 1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.pool = _avg_pool()
        self.branch_pool = BasicConv2d(in_channels, 192, 1)

    def forward(self, x: Tensor) -> Tensor:
        b1 = self.branch1x1(x)
        b3 = self.branch3x3_1(x)
        b3a, b3b = self.branch3x3_2a(b3), self.branch3x3_2b(b3)
        d3 = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        d3a, d3b = self.branch3x3dbl_3a(d3), self.branch3x3dbl_3b(d3)
        return cat([b1, b3a, b3b, d3a, d3b, self.branch_pool(self.pool(x))], 1)


class InceptionAux(nn.Module):
    """The auxiliary classifier on the 17x17 grid: 5x5 stride-3 average pool (17 -> 5), 1x1 conv to 128, 5x5 conv to
    768 (5 -> 1), global average pool, linear to the classes. Its loss is added (torchvision's recipe: weight 0.4)
    during training only.

    Shape: ``(N, in_channels, H, W)`` with ``H, W >= 17`` -> ``(N, num_classes)``.
    """

    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.pool = nn.AvgPool2d(5, stride=3)
        self.conv0 = BasicConv2d(in_channels, 128, 1)
        self.conv1 = BasicConv2d(128, 768, 5)
        self.fc = nn.Linear(768, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.conv1(self.conv0(self.pool(x))).mean((2, 3)))


class InceptionOutputs(NamedTuple):
    """What Inception v3 returns in training mode with the auxiliary head (torchvision's namedtuple)."""

    logits: Tensor
    aux_logits: Tensor | None


# the 35x35, 17x17 and 8x8 stages: (attribute, block, arguments) as torchvision names them
_MIXED = [("Mixed_5b", InceptionA, (192, 32)), ("Mixed_5c", InceptionA, (256, 64)), ("Mixed_5d", InceptionA, (288, 64)),
          ("Mixed_6a", InceptionB, (288,)), ("Mixed_6b", InceptionC, (768, 128)), ("Mixed_6c", InceptionC, (768, 160)),
          ("Mixed_6d", InceptionC, (768, 160)), ("Mixed_6e", InceptionC, (768, 192))]
_MIXED_7 = [("Mixed_7a", InceptionD, (768,)), ("Mixed_7b", InceptionE, (1280,)), ("Mixed_7c", InceptionE, (2048,))]


class Inception3(nn.Module):
    r"""Inception v3: a stem of five convolutions and two max-pools (299 -> 35), three InceptionA (35x35), a grid
    reduction, four InceptionC (17x17, the auxiliary head branches off here), a grid reduction, two InceptionE (8x8),
    global average pool, dropout, linear classifier. Every convolution is a :class:`BasicConv2d`.

    Initialisation as torchvision: convolutions and linears :math:`\mathcal{N}(0, 0.1^2)` truncated to [-2, 2]
    (0.01 for the auxiliary 5x5 convolution, 0.001 for its linear), batch norm 1 / 0.

    Args:
        num_classes: outputs. in_channels: image channels. aux_logits: build the auxiliary classifier (train-mode
            forward then returns :class:`InceptionOutputs`). dropout: before the classifier.

    Shape: input ``(N, in_channels, H, W)``, designed for 299x299. The smallest input is 75x75 in eval mode or
    without the auxiliary head (the 8x8 stage shrinks to 1x1); in train mode the auxiliary head needs its 17x17
    grid, which only a 299x299 input (the design size) gives. Output ``(N, num_classes)``, or
    ``InceptionOutputs(logits, aux_logits)`` in train mode with ``aux_logits``.

    Example::

        >>> net = Inception3(num_classes=10, aux_logits=False)
        >>> tuple(net(chainrule.randn(2, 3, 75, 75)).shape)
        (2, 10)
    """

    min_input_size = 75
    min_input_size_aux = 299

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, aux_logits: bool = True,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.aux_logits = aux_logits
        self.default_input_size = (in_channels, 299, 299)  # the design size; ``summary``'s default
        self.Conv2d_1a_3x3 = BasicConv2d(in_channels, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, 3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, 3, padding=1)
        self.maxpool1 = nn.MaxPool2d(3, stride=2)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, 1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, 3)
        self.maxpool2 = nn.MaxPool2d(3, stride=2)
        for name, block, args in _MIXED:
            setattr(self, name, block(*args))
        self.AuxLogits: InceptionAux | None = InceptionAux(768, num_classes) if aux_logits else None
        for name, block, args in _MIXED_7:
            setattr(self, name, block(*args))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(2048, num_classes)
        self._init_weights()
        if self.AuxLogits is not None:
            # NOTE: registered first, so a train-mode input too small only for the aux head is reported as such
            guard_input_size(self.AuxLogits, "inception_v3 (train mode, aux head)", self.min_input_size_aux,
                             prefix="AuxLogits")
        guard_input_size(self, "inception_v3", self.min_input_size)

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, mean=0.0, std=0.1, a=-2.0, b=2.0)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if self.AuxLogits is not None:
            nn.init.trunc_normal_(self.AuxLogits.conv1.conv.weight, std=0.01, a=-2.0, b=2.0)
            nn.init.trunc_normal_(self.AuxLogits.fc.weight, std=0.001, a=-2.0, b=2.0)

    def forward(self, x: Tensor) -> Union[Tensor, InceptionOutputs]:
        x = self.maxpool1(self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x))))
        x = self.maxpool2(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)))
        for name, _, _ in _MIXED:
            x = getattr(self, name)(x)
        aux = self.AuxLogits(x) if self.AuxLogits is not None and self.training else None
        for name, _, _ in _MIXED_7:
            x = getattr(self, name)(x)
        x = self.fc(self.dropout(self.avgpool(x).flatten(1)))
        return InceptionOutputs(x, aux) if aux is not None else x


@register_model
def inception_v3(num_classes: int = 1000, in_channels: int = 3, aux_logits: bool = True,
                 dropout: float = 0.5) -> Inception3:
    """Inception v3 in torchvision's layout: 27,161,264 parameters with 1000 classes and the auxiliary head
    (23,834,568 with ``aux_logits=False``)."""
    return Inception3(num_classes, in_channels, aux_logits, dropout)
