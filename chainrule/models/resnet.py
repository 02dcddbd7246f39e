"""ResNet (He et al. 2015) and ResNeXt (Xie et al. 2016) in torchvision's layout: one builder, ``ResNet``, over
basic or bottleneck blocks; ResNet-18/34/50 and ResNeXt-50 32x4d are configurations, ``resnet_cifar`` its 3x3-stem
variant for small images."""

from __future__ import annotations

from typing import Type, Union

from .. import nn
from ..tensor import Tensor
from ._registry import register_model

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
           "resnext50_32x4d", "resnet_cifar"]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    """3x3 convolution, padding 1, no bias (a BatchNorm follows)."""
    return nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, groups=groups, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution, no bias."""
    return nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    r"""Two 3x3 convolutions with a shortcut: :math:`y = \mathrm{ReLU}(BN(W_2\,\mathrm{ReLU}(BN(W_1 x))) + S x)`,
    :math:`S` the identity or, when the shape changes, a projection (1x1 conv with ``stride`` + BN).

    Shape: ``(N, inplanes, H, W)`` -> ``(N, planes, H / stride, W / stride)``.
    """

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 groups: int = 1, base_width: int = 64) -> None:
        super().__init__()
        if groups != 1 or base_width != 64:
            raise ValueError(f"BasicBlock: only groups=1 and base_width=64 are supported, got groups={groups}, "
                             f"base_width={base_width}")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    r"""1x1 reduce -> 3x3 (carries the stride and the groups) -> 1x1 expand to ``planes * 4``, plus a shortcut.

    The width of the 3x3 is :math:`\lfloor planes \cdot base\_width / 64 \rfloor \cdot groups` (ResNeXt's cardinality
    when ``groups > 1``). For 256 -> 64 -> 64 -> 256 this is :math:`256 \cdot 64 + 9 \cdot 64^2 + 64 \cdot 256 =
    69{,}632` weights, against :math:`2 \cdot 9 \cdot 256^2 = 1{,}179{,}648` for two 3x3 convolutions at 256 channels.

    Shape: ``(N, inplanes, H, W)`` -> ``(N, 4 planes, H / stride, W / stride)``.
    """

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 groups: int = 1, base_width: int = 64) -> None:
        super().__init__()
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, width, stride, groups)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU()
        self.downsample = downsample

    def residual(self, x: Tensor) -> Tensor:
        """The residual branch F(x), before the shortcut is added."""
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.bn3(self.conv3(out))

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.residual(x) + identity)


Block = Type[Union[BasicBlock, Bottleneck]]


class ResNet(nn.Module):
    """The ResNet builder: stem, four stages of ``layers[i]`` blocks (64, 128, 256, 512 planes; stride 2 from the
    second stage on, in the first block's 3x3 convolution), global average pool, fc.

    Args:
        block: ``BasicBlock`` or ``Bottleneck`` (or a subclass, e.g. the SE bottleneck).
        layers: blocks per stage, e.g. ``(2, 2, 2, 2)`` for ResNet-18.
        num_classes: outputs.
        in_channels: image channels.
        groups, width_per_group: ResNeXt's cardinality and the width of each group (``32, 4`` for 32x4d).
        stem: ``"imagenet"`` (7x7 stride-2 conv + 3x3 stride-2 max-pool) or ``"cifar"`` (one 3x3 stride-1 conv, no
            pool: keeps small images such as 28x28 or 32x32 large enough for four stages).
        widths: planes of the four stages (the blocks' output is ``widths[i] * block.expansion`` channels); the stem
            has ``widths[0]`` channels.
        stem_stride: stride of the CIFAR stem's 3x3 convolution; 2 starts the first stage at 14x14 for a 28x28
            image, a quarter of the cost of every layer after the stem.

    Shape: input ``(N, in_channels, H, W)``, any ``H, W >= 1`` (every down-sampling layer is padded); output
    ``(N, num_classes)``. A 28x28 image reaches the last stage as 1x1 with the ImageNet stem, 4x4 with the CIFAR one
    (2x2 with ``stem_stride=2``).
    """

    min_input_size = 1

    def __init__(self, block: Block, layers: tuple[int, ...] | list[int], num_classes: int = 1000,
                 in_channels: int = 3, groups: int = 1, width_per_group: int = 64, stem: str = "imagenet",
                 widths: tuple[int, ...] | list[int] = (64, 128, 256, 512), stem_stride: int = 1) -> None:
        super().__init__()
        if len(layers) != 4 or any(n < 1 for n in layers):
            raise ValueError(f"ResNet: layers must be four positive block counts, got {tuple(layers)}")
        if len(widths) != 4 or any(w < 1 for w in widths):
            raise ValueError(f"ResNet: widths must be four positive plane counts, got {tuple(widths)}")
        if stem not in ("imagenet", "cifar"):
            raise ValueError(f"ResNet: stem must be 'imagenet' or 'cifar', got {stem!r}")
        if stem_stride not in (1, 2) or (stem == "imagenet" and stem_stride != 1):
            raise ValueError(f"ResNet: stem_stride must be 1 or 2, and 1 with the ImageNet stem; got {stem_stride} "
                             f"with stem={stem!r}")
        self.inplanes, self.groups, self.base_width = widths[0], groups, width_per_group
        if stem == "imagenet":
            self.conv1 = nn.Conv2d(in_channels, widths[0], 7, stride=2, padding=3, bias=False)
        else:
            self.conv1 = conv3x3(in_channels, widths[0], stem_stride)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1) if stem == "imagenet" else nn.Identity()
        self.layer1 = self._make_layer(block, widths[0], layers[0])
        self.layer2 = self._make_layer(block, widths[1], layers[1], stride=2)
        self.layer3 = self._make_layer(block, widths[2], layers[2], stride=2)
        self.layer4 = self._make_layer(block, widths[3], layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[3] * block.expansion, num_classes)

    def _make_layer(self, block: Block, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            # NOTE: the projection shortcut (option B of the paper): 1x1 conv with the stage's stride + BN.
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       nn.BatchNorm2d(planes * block.expansion))
        mods: list[nn.Module] = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width)]
        self.inplanes = planes * block.expansion
        mods += [block(self.inplanes, planes, 1, None, self.groups, self.base_width) for _ in range(1, blocks)]
        return nn.Sequential(*mods)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


@register_model
def resnet18(num_classes: int = 1000, in_channels: int = 3) -> ResNet:
    """ResNet-18: 11,689,512 parameters with 1000 classes."""
    return ResNet(BasicBlock, (2, 2, 2, 2), num_classes, in_channels)


@register_model
def resnet34(num_classes: int = 1000, in_channels: int = 3) -> ResNet:
    """ResNet-34: 21,797,672 parameters with 1000 classes."""
    return ResNet(BasicBlock, (3, 4, 6, 3), num_classes, in_channels)


@register_model
def resnet50(num_classes: int = 1000, in_channels: int = 3) -> ResNet:
    """ResNet-50 (bottleneck blocks, stride in the 3x3 as torchvision's v1.5): 25,557,032 parameters."""
    return ResNet(Bottleneck, (3, 4, 6, 3), num_classes, in_channels)


@register_model
def resnet101(num_classes: int = 1000, in_channels: int = 3) -> ResNet:
    """ResNet-101: 44,549,160 parameters with 1000 classes."""
    return ResNet(Bottleneck, (3, 4, 23, 3), num_classes, in_channels)


@register_model
def resnet152(num_classes: int = 1000, in_channels: int = 3) -> ResNet:
    """ResNet-152: 60,192,808 parameters with 1000 classes."""
    return ResNet(Bottleneck, (3, 8, 36, 3), num_classes, in_channels)


@register_model
def resnext50_32x4d(num_classes: int = 1000, in_channels: int = 3) -> ResNet:
    """ResNeXt-50 32x4d (32 groups of width 4 in the first stage): 25,028,904 parameters with 1000 classes."""
    return ResNet(Bottleneck, (3, 4, 6, 3), num_classes, in_channels, groups=32, width_per_group=4)


@register_model
def resnet_cifar(num_classes: int = 10, in_channels: int = 3, layers: tuple[int, ...] = (2, 2, 2, 2),
                 widths: tuple[int, ...] = (64, 128, 256, 512), stem_stride: int = 1) -> ResNet:
    """ResNet-18 with a 3x3 stride-1 stem and no max-pool, for 28x28 / 32x32 images: 11,173,962 parameters with 10
    classes and 3 input channels (ResNet-18's count - 64*3*(49 - 9) stem weights - the 1000-class fc + a 10-class
    one). ``layers`` (blocks per stage), ``widths`` (planes per stage) and ``stem_stride`` (2: the first stage at
    half the resolution) scale it down: ``layers=(1, 1, 1, 1), widths=(16, 32, 64, 128), stem_stride=2`` is a
    308,538-parameter ResNet-10 for 28x28 grey images with ``in_channels=1``."""
    return ResNet(BasicBlock, layers, num_classes, in_channels, stem="cifar", widths=widths, stem_stride=stem_stride)
