"""ShuffleNet v1 (Zhang et al. 2018: grouped 1x1 convolutions + channel shuffle) and ShuffleNet v2 (Ma et al. 2018:
channel split, equal-width branches, concat + shuffle), the latter in torchvision's layout."""

from __future__ import annotations

from typing import Sequence

from .. import nn
from ..nn import functional as F
from ..tensor import Tensor
from ..tensor.functions import cat
from ._registry import register_model
from ._utils import _reductions, check_image_input, init_cnn_

__all__ = ["ShuffleNetV1", "ShuffleNetV1Unit", "ShuffleNetV2", "ShuffleNetV2Block", "shufflenet_v1_g3",
           "shufflenet_v2_x1_0"]


def _conv_bn(inp: int, oup: int, k: int, stride: int = 1, groups: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(inp, oup, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(oup)]


class ShuffleNetV2Block(nn.Module):
    r"""ShuffleNet v2's unit. Stride 1: split the channels in half, transform one half (1x1, 3x3 depthwise, 1x1),
    concatenate; stride 2: both branches see the whole input and each halves the resolution. Then a 2-group shuffle.

    .. math:: y = \mathrm{shuffle}_2([\,x_1 \text{ or } b_1(x),\; b_2(x_2 \text{ or } x)\,])

    Args:
        inp, oup: channels in and out (``oup`` even). stride: 1 (then ``inp == oup``) or 2.
    """

    def __init__(self, inp: int, oup: int, stride: int) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"ShuffleNetV2Block: stride must be 1 or 2, got {stride}")
        bf = oup // 2
        if stride == 1 and inp != 2 * bf:
            raise ValueError(f"ShuffleNetV2Block: a stride-1 block needs inp == oup (even), got inp={inp}, oup={oup}")
        self.stride = stride
        if stride > 1:
            self.branch1 = nn.Sequential(*_conv_bn(inp, inp, 3, stride, groups=inp), *_conv_bn(inp, bf, 1),
                                         nn.ReLU())
        self.branch2 = nn.Sequential(*_conv_bn(inp if stride > 1 else bf, bf, 1), nn.ReLU(),
                                     *_conv_bn(bf, bf, 3, stride, groups=bf), *_conv_bn(bf, bf, 1), nn.ReLU())

    def forward(self, x: Tensor) -> Tensor:
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = cat([x1, self.branch2(x2)], dim=1)
        else:
            out = cat([self.branch1(x), self.branch2(x)], dim=1)
        return F.channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    r"""ShuffleNet v2: conv 3x3/2 + max-pool 3x3/2, three stages of ShuffleNetV2Blocks (the first of each with stride
    2), a 1x1 convolution, global average pooling and a linear classifier. 2,278,604 parameters at 1.0x.

    Args:
        stages_repeats: blocks per stage (4, 8, 4). stages_out_channels: stem, three stages, last conv.
        num_classes: outputs. in_channels: image channels.

    Shape: input ``(N, in_channels, H, W)``; output ``(N, num_classes)``.
    """

    def __init__(self, stages_repeats: Sequence[int], stages_out_channels: Sequence[int], num_classes: int = 1000,
                 in_channels: int = 3) -> None:
        super().__init__()
        if len(stages_repeats) != 3 or len(stages_out_channels) != 5:
            raise ValueError(f"ShuffleNetV2: expected 3 stage repeats and 5 widths, got {list(stages_repeats)} and "
                             f"{list(stages_out_channels)}")
        self.in_channels = in_channels
        c = stages_out_channels[0]
        self.conv1 = nn.Sequential(*_conv_bn(in_channels, c, 3, 2), nn.ReLU())
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        for i, (n, out) in enumerate(zip(stages_repeats, stages_out_channels[1:4]), start=2):
            setattr(self, f"stage{i}", nn.Sequential(*[ShuffleNetV2Block(c if j == 0 else out, out, 2 if j == 0 else 1)
                                                       for j in range(n)]))
            c = out
        last = stages_out_channels[-1]
        self.conv5 = nn.Sequential(*_conv_bn(c, last, 1), nn.ReLU())
        self.fc = nn.Linear(last, num_classes)
        self._reductions = _reductions(self)

    def forward(self, x: Tensor) -> Tensor:
        check_image_input("ShuffleNetV2", x, self.in_channels, self._reductions)
        x = self.maxpool(self.conv1(x))
        x = self.conv5(self.stage4(self.stage3(self.stage2(x))))
        return self.fc(x.mean((2, 3)))


class ShuffleNetV1Unit(nn.Module):
    r"""ShuffleNet v1's unit: grouped 1x1 conv (BN, ReLU), channel shuffle, 3x3 depthwise conv (BN), grouped 1x1 conv
    (BN); added to the input (stride 1) or concatenated with a 3x3/2 average pool of it (stride 2); then ReLU.

    .. math:: y = \mathrm{ReLU}(x + b(x)) \quad\text{or}\quad \mathrm{ReLU}([\mathrm{AvgPool}(x),\; b(x)])

    Args:
        inp, oup: channels in and out. stride: 1 or 2. groups: of the 1x1 convolutions.
        first_groups: groups of the first 1x1 conv (1 for the very first unit, whose input is only 24 channels).
    """

    def __init__(self, inp: int, oup: int, stride: int, groups: int, first_groups: int | None = None) -> None:
        super().__init__()
        g1 = groups if first_groups is None else first_groups
        mid = oup // 4  # the paper: bottleneck channels are a quarter of the unit's output
        branch_out = oup - inp if stride == 2 else oup
        if stride == 1 and inp != oup:
            raise ValueError(f"ShuffleNetV1Unit: a stride-1 unit needs inp == oup, got inp={inp}, oup={oup}")
        if mid % groups or branch_out % groups or inp % g1:
            raise ValueError(f"ShuffleNetV1Unit: channels ({inp} in, {mid} bottleneck, {branch_out} out) must be "
                             f"divisible by groups={groups}")
        self.stride, self.shuffle_groups = stride, g1
        self.gconv1 = nn.Sequential(*_conv_bn(inp, mid, 1, groups=g1), nn.ReLU())
        self.dwconv = nn.Sequential(*_conv_bn(mid, mid, 3, stride, groups=mid))
        self.gconv2 = nn.Sequential(*_conv_bn(mid, branch_out, 1, groups=groups))
        if stride == 2:
            self.shortcut = nn.AvgPool2d(3, 2, 1)

    def forward(self, x: Tensor) -> Tensor:
        y = self.gconv1(x)
        if self.shuffle_groups > 1:  # NOTE: a 1-group conv mixes every channel already; nothing to shuffle
            y = F.channel_shuffle(y, self.shuffle_groups)
        y = self.gconv2(self.dwconv(y))
        return F.relu(x + y if self.stride == 1 else cat([self.shortcut(x), y], dim=1))


# ShuffleNet v1, Table 1: output channels of stages 2-4 for each group count
_V1_WIDTHS = {1: (144, 288, 576), 2: (200, 400, 800), 3: (240, 480, 960), 4: (272, 544, 1088), 8: (384, 768, 1536)}


class ShuffleNetV1(nn.Module):
    r"""ShuffleNet v1 (Table 1): conv 3x3/2 to 24 channels, max-pool 3x3/2, stages of 4, 8 and 4 units (the first of
    each with stride 2), global average pooling and a fully connected classifier.

    Args:
        groups: of the pointwise convolutions (1, 2, 3, 4 or 8). num_classes: outputs. in_channels: image channels.
        stages_repeats: units per stage (4, 8, 4).

    Shape: input ``(N, in_channels, H, W)``; output ``(N, num_classes)``.
    """

    def __init__(self, groups: int = 3, num_classes: int = 1000, in_channels: int = 3,
                 stages_repeats: Sequence[int] = (4, 8, 4)) -> None:
        super().__init__()
        if groups not in _V1_WIDTHS:
            raise ValueError(f"ShuffleNetV1: groups must be one of {sorted(_V1_WIDTHS)}, got {groups}")
        self.in_channels = in_channels
        c = 24
        self.conv1 = nn.Sequential(*_conv_bn(in_channels, c, 3, 2), nn.ReLU())
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        stages: list[nn.Module] = []
        for s, (n, out) in enumerate(zip(stages_repeats, _V1_WIDTHS[groups])):
            units = [ShuffleNetV1Unit(c, out, 2, groups, first_groups=1 if s == 0 else None)]
            units += [ShuffleNetV1Unit(out, out, 1, groups) for _ in range(n - 1)]
            stages.append(nn.Sequential(*units))
            c = out
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(c, num_classes)
        init_cnn_(self, linear_std=None)
        self._reductions = _reductions(self)

    def forward(self, x: Tensor) -> Tensor:
        check_image_input("ShuffleNetV1", x, self.in_channels, self._reductions)
        return self.fc(self.stages(self.maxpool(self.conv1(x))).mean((2, 3)))


@register_model
def shufflenet_v2_x1_0(num_classes: int = 1000, in_channels: int = 3) -> ShuffleNetV2:
    """ShuffleNet v2 1.0x in torchvision's layout: 2,278,604 parameters with 1000 classes."""
    return ShuffleNetV2((4, 8, 4), (24, 116, 232, 464, 1024), num_classes, in_channels)


@register_model
def shufflenet_v1_g3(num_classes: int = 1000, in_channels: int = 3) -> ShuffleNetV1:
    """ShuffleNet v1 1x with g = 3 groups (Table 1 widths 240/480/960)."""
    return ShuffleNetV1(3, num_classes, in_channels)
