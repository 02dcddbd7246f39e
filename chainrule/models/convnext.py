"""ConvNeXt (Liu et al. 2022: a ResNet modernised towards the Swin Transformer), in torchvision's layout.

Also the small layers it shares with Swin: ``Permute``, ``LayerNorm2d`` and ``StochasticDepth`` (drop path).
"""

from __future__ import annotations

from typing import Sequence

from .. import nn
from ..tensor import Tensor
from ..tensor.creation import ones, rand
from ._registry import register_model
from ._utils import _reductions, check_image_input

__all__ = ["ConvNeXt", "CNBlock", "LayerNorm2d", "Permute", "StochasticDepth", "convnext_tiny"]


class Permute(nn.Module):
    """Reorder the dimensions of the input: ``x.permute(*dims)`` as a module (channels-last <-> channels-first)."""

    def __init__(self, dims: Sequence[int]) -> None:
        super().__init__()
        self.dims = list(dims)

    def forward(self, x: Tensor) -> Tensor:
        return x.permute(*self.dims)


class LayerNorm2d(nn.LayerNorm):
    r"""LayerNorm over the channels of an ``(N, C, H, W)`` map, at every pixel:
    :math:`y_{n,:,h,w} = \mathrm{LayerNorm}(x_{n,:,h,w})`. Parameters as ``LayerNorm(C)``.

    Shape: input and output ``(N, C, H, W)``.
    """

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class StochasticDepth(nn.Module):
    r"""Drop path (Huang et al. 2016), torchvision's ``StochasticDepth``: while training, zero a residual branch with
    probability ``p`` and scale the survivors by :math:`1 / (1 - p)`; the identity in eval mode.

    .. math:: y = x \cdot \frac{b}{1 - p},\quad b \sim \mathrm{Bernoulli}(1 - p)

    Args:
        p: drop probability. mode: ``'row'`` (one draw per sample) or ``'batch'`` (one draw for the whole batch).
    """

    def __init__(self, p: float, mode: str = "row") -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0 or mode not in ("row", "batch"):
            raise ValueError(f"StochasticDepth: p must be in [0, 1] and mode 'row' or 'batch', got p={p}, "
                             f"mode={mode!r}")
        self.p, self.mode = p, mode

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        shape = (x.shape[0],) + (1,) * (x.ndim - 1) if self.mode == "row" else (1,) * x.ndim
        if keep == 0.0:
            return x * 0.0
        return x * ((rand(*shape, dtype=x.dtype) < keep).to(x.dtype) / keep)

    def extra_repr(self) -> str:
        return f"p={self.p}, mode={self.mode}"


class CNBlock(nn.Module):
    r"""ConvNeXt block: depthwise 7x7 conv, LayerNorm (channels last), Linear to 4C, GELU, Linear back to C, scaled
    per channel by the learnt layer scale :math:`\gamma` (initialised to ``layer_scale``), plus the input.

    .. math:: y = x + \mathrm{DropPath}(\gamma \odot W_2\, \mathrm{GELU}(W_1\, \mathrm{LN}(\mathrm{DWConv}_{7}(x))))

    Args:
        dim: channels. layer_scale: initial :math:`\gamma`. stochastic_depth_prob: drop-path probability.
    """

    def __init__(self, dim: int, layer_scale: float = 1e-6, stochastic_depth_prob: float = 0.0) -> None:
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, 7, padding=3, groups=dim), Permute([0, 2, 3, 1]), nn.LayerNorm(dim, eps=1e-6),
            nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim), Permute([0, 3, 1, 2]),
        )
        self.layer_scale = nn.Parameter(ones(dim, 1, 1) * layer_scale)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")

    def forward(self, x: Tensor) -> Tensor:
        return x + self.stochastic_depth(self.layer_scale * self.block(x))


class ConvNeXt(nn.Module):
    r"""ConvNeXt: a 4x4/4 "patchify" stem (conv + LayerNorm2d), four stages of CNBlocks separated by downsampling
    layers (LayerNorm2d + 2x2/2 conv), global average pooling, LayerNorm2d and a linear head.

    ``convnext_tiny`` (depths 3-3-9-3, widths 96-192-384-768) has 28,589,128 parameters with 1000 classes. The
    input must be at least 32x32 (the stem and three 2x downsamplings).

    Args:
        depths: blocks per stage. dims: channels per stage. num_classes: outputs. in_channels: image channels.
        stochastic_depth_prob: the largest drop-path probability (rising linearly over the blocks from 0).
        layer_scale: initial :math:`\gamma`.

    Shape: input ``(N, in_channels, H, W)``; output ``(N, num_classes)``.
    """

    def __init__(self, depths: Sequence[int] = (3, 3, 9, 3), dims: Sequence[int] = (96, 192, 384, 768),
                 num_classes: int = 1000, in_channels: int = 3, stochastic_depth_prob: float = 0.1,
                 layer_scale: float = 1e-6) -> None:
        super().__init__()
        if len(depths) != len(dims) or not depths:
            raise ValueError(f"ConvNeXt: depths and dims must be non-empty and of one length, got {list(depths)}, "
                             f"{list(dims)}")
        self.in_channels = in_channels
        layers: list[nn.Module] = [nn.Sequential(nn.Conv2d(in_channels, dims[0], 4, stride=4),
                                                 LayerNorm2d(dims[0], eps=1e-6))]
        total, block_id = sum(depths), 0
        for i, (depth, dim) in enumerate(zip(depths, dims)):
            stage = []
            for _ in range(depth):
                # NOTE: torchvision's linear rule: block b of B gets p * b / (B - 1)
                sd = stochastic_depth_prob * block_id / max(total - 1.0, 1.0)
                stage.append(CNBlock(dim, layer_scale, sd))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            if i + 1 < len(dims):
                layers.append(nn.Sequential(LayerNorm2d(dim, eps=1e-6), nn.Conv2d(dim, dims[i + 1], 2, stride=2)))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(LayerNorm2d(dims[-1], eps=1e-6), nn.Flatten(1),
                                        nn.Linear(dims[-1], num_classes))
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        self._reductions = _reductions(self)

    def forward(self, x: Tensor) -> Tensor:
        check_image_input("ConvNeXt", x, self.in_channels, self._reductions)
        return self.classifier(self.avgpool(self.features(x)))


@register_model
def convnext_tiny(num_classes: int = 1000, in_channels: int = 3, stochastic_depth_prob: float = 0.1) -> ConvNeXt:
    """ConvNeXt-T in torchvision's layout: 28,589,128 parameters with 1000 classes."""
    return ConvNeXt((3, 3, 9, 3), (96, 192, 384, 768), num_classes, in_channels, stochastic_depth_prob)

