"""Dual path networks (Chen et al. 2017), in the layout of timm's ``dpn68``: each block feeds a residual path (added,
ResNet-like) and a densely connected path (concatenated, DenseNet-like) from one grouped bottleneck."""

from __future__ import annotations

from collections import OrderedDict
from typing import Union

from .. import nn
from ..tensor import Tensor
from ..tensor.functions import cat
from ._registry import register_model

__all__ = ["BnActConv2d", "DualPathBlock", "DPN", "dpn68", "dpn92"]

DualPath = Union[Tensor, tuple[Tensor, Tensor]]


def _joined(x: DualPath) -> Tensor:
    return cat(list(x), 1) if isinstance(x, tuple) else x


class BnActConv2d(nn.Module):
    """Pre-activation unit: BatchNorm2d (eps 0.001) -> ReLU -> convolution without bias (padding ``k // 2``)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 groups: int = 1) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(in_channels, eps=0.001)
        self.act = nn.ReLU()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=kernel_size // 2,
                              groups=groups, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(self.act(self.bn(x)))


class DualPathBlock(nn.Module):
    r"""One dual path block. With :math:`x = [r, d]` (residual part, ``num_1x1_c`` channels; dense part) and the
    bottleneck :math:`h = c_{1\times1}(g_{3\times3}(a_{1\times1}([r, d])))` of ``num_1x1_c + inc`` channels:

    .. math:: r' = r + h_{[:c]},\qquad d' = [\,d,\ h_{[c:]}\,]

    A ``"proj"`` / ``"down"`` block (the first of a stage) first projects :math:`[r, d]` with a 1x1 convolution
    (stride 1 / 2) to ``num_1x1_c + 2 * inc`` channels, split into the new :math:`r` and :math:`d`.

    Args:
        in_channels: channels of :math:`[r, d]`.
        num_1x1_a, num_3x3_b: widths of the 1x1 reduction and the grouped 3x3.
        num_1x1_c: residual-path width; ``inc``: dense channels added per block.
        groups: groups of the 3x3.
        block_type: ``"proj"``, ``"down"`` or ``"normal"``.

    Shape: a tensor or a pair ``(r, d)`` -> the pair ``(r', d')`` with ``num_1x1_c`` and ``in_dense + inc``
    channels (H, W halved by a ``"down"`` block).
    """

    def __init__(self, in_channels: int, num_1x1_a: int, num_3x3_b: int, num_1x1_c: int, inc: int, groups: int,
                 block_type: str = "normal") -> None:
        super().__init__()
        if block_type not in ("proj", "down", "normal"):
            raise ValueError(f"DualPathBlock: block_type must be 'proj', 'down' or 'normal', got {block_type!r}")
        self.num_1x1_c = num_1x1_c
        stride = 2 if block_type == "down" else 1
        self.c1x1_w_s1 = self.c1x1_w_s2 = None
        if block_type == "proj":
            self.c1x1_w_s1 = BnActConv2d(in_channels, num_1x1_c + 2 * inc, 1)
        elif block_type == "down":
            self.c1x1_w_s2 = BnActConv2d(in_channels, num_1x1_c + 2 * inc, 1, stride=2)
        self.c1x1_a = BnActConv2d(in_channels, num_1x1_a, 1)
        self.c3x3_b = BnActConv2d(num_1x1_a, num_3x3_b, 3, stride=stride, groups=groups)
        self.c1x1_c = BnActConv2d(num_3x3_b, num_1x1_c + inc, 1)

    def forward(self, x: DualPath) -> tuple[Tensor, Tensor]:
        x_in = _joined(x)
        proj = self.c1x1_w_s1 if self.c1x1_w_s1 is not None else self.c1x1_w_s2
        if proj is None:
            if not isinstance(x, tuple):
                raise RuntimeError("DualPathBlock: a 'normal' block needs the pair (residual, dense), got a tensor")
            x_s1, x_s2 = x
        else:
            x_s = proj(x_in)
            x_s1, x_s2 = x_s[:, :self.num_1x1_c], x_s[:, self.num_1x1_c:]
        h = self.c1x1_c(self.c3x3_b(self.c1x1_a(x_in)))
        return x_s1 + h[:, :self.num_1x1_c], cat([x_s2, h[:, self.num_1x1_c:]], 1)


class CatBnAct(nn.Module):
    """Concatenate the two paths, BatchNorm2d (eps 0.001), activation (ELU before DPN's classifier)."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(in_channels, eps=0.001)
        self.act = nn.ELU()

    def forward(self, x: DualPath) -> Tensor:
        return self.act(self.bn(_joined(x)))


class DPN(nn.Module):
    """The DPN builder: stem (conv 3x3 for ``small`` nets, else 7x7, stride 2; BN; ReLU; 3x3/2 max-pool), four
    stages of dual path blocks (the first "proj", the first of later stages "down"), BN + ELU on the joined paths,
    global average pool, and a 1x1 convolution as classifier.

    Stage ``i`` (i = 0..3) has residual width ``bw = 64 * 2**i * (1 if small else 4)``, bottleneck width
    ``r = k_r * bw // (64 * (1 if small else 4))``, ``k_sec[i]`` blocks, and adds ``inc_sec[i]`` dense channels
    per block (plus ``2 * inc`` from the projection of its first block).

    Args:
        k_sec, inc_sec, k_r, groups, small, num_init_features: the architecture (see ``dpn68``).
        num_classes, in_channels: outputs and image channels.

    Shape: input ``(N, in_channels, H, W)``, any ``H, W >= 1`` (every down-sampling layer is padded); output
    ``(N, num_classes)``.
    """

    min_input_size = 1

    def __init__(self, k_sec: tuple[int, ...] = (3, 4, 12, 3), inc_sec: tuple[int, ...] = (16, 32, 32, 64),
                 k_r: int = 128, groups: int = 32, small: bool = True, num_init_features: int = 10,
                 num_classes: int = 1000, in_channels: int = 3) -> None:
        super().__init__()
        if len(k_sec) != 4 or len(inc_sec) != 4:
            raise ValueError(f"DPN: k_sec and inc_sec need four entries, got {k_sec}, {inc_sec}")
        bw_factor = 1 if small else 4
        k = 3 if small else 7
        blocks: OrderedDict[str, nn.Module] = OrderedDict()
        blocks["conv1_1"] = nn.Sequential(OrderedDict([
            ("conv", nn.Conv2d(in_channels, num_init_features, k, stride=2, padding=k // 2, bias=False)),
            ("bn", nn.BatchNorm2d(num_init_features, eps=0.001)), ("act", nn.ReLU()),
        ]))
        blocks["conv1_pool"] = nn.MaxPool2d(3, stride=2, padding=1)
        c = num_init_features
        for s in range(4):
            bw, inc = 64 * 2 ** s * bw_factor, inc_sec[s]
            r = (k_r * bw) // (64 * bw_factor)
            blocks[f"conv{s + 2}_1"] = DualPathBlock(c, r, r, bw, inc, groups, "proj" if s == 0 else "down")
            c = bw + 3 * inc
            for i in range(2, k_sec[s] + 1):
                blocks[f"conv{s + 2}_{i}"] = DualPathBlock(c, r, r, bw, inc, groups, "normal")
                c += inc
        blocks["conv5_bn_ac"] = CatBnAct(c)
        self.num_features = c
        self.features = nn.Sequential(blocks)
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Conv2d(c, num_classes, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.global_pool(self.features(x))).flatten(1)


@register_model
def dpn68(num_classes: int = 1000, in_channels: int = 3) -> DPN:
    """DPN-68 in timm's layout (small stem of 10 channels, k_r 128, 32 groups, blocks 3-4-12-3, dense increments
    16-32-32-64): 12,611,602 parameters with 1000 classes (timm lists 12.61M)."""
    return DPN((3, 4, 12, 3), (16, 32, 32, 64), 128, 32, True, 10, num_classes, in_channels)


@register_model
def dpn92(num_classes: int = 1000, in_channels: int = 3) -> DPN:
    """DPN-92 (7x7 stem of 64 channels, k_r 96, 32 groups, blocks 3-4-20-3, increments 16-32-24-128)."""
    return DPN((3, 4, 20, 3), (16, 32, 24, 128), 96, 32, False, 64, num_classes, in_channels)
