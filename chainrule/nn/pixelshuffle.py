"""Sub-pixel rearrangement layers: ``PixelShuffle`` and ``PixelUnshuffle``."""

from __future__ import annotations

from ..tensor import Tensor
from .functional.vision import pixel_shuffle, pixel_unshuffle
from .module import Module

__all__ = ["PixelShuffle", "PixelUnshuffle"]


class PixelShuffle(Module):
    r"""Rearrange :math:`(*, C r^2, H, W)` into :math:`(*, C, H r, W r)`, the sub-pixel convolution's upsampling
    (Shi et al., 2016): :math:`y[c, h r + i, w r + j] = x[c r^2 + i r + j, h, w]`.

    Args:
        upscale_factor: :math:`r`.

    Shape: input :math:`(*, C r^2, H, W)`, output :math:`(*, C, H r, W r)`.

    Example::

        >>> nn.PixelShuffle(3)(chainrule.randn(1, 9, 4, 4)).shape
        chainrule.Size([1, 1, 12, 12])
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    r"""The inverse of :class:`PixelShuffle`: :math:`(*, C, H r, W r)` into :math:`(*, C r^2, H, W)`.

    Args:
        downscale_factor: :math:`r`.

    Shape: input :math:`(*, C, H r, W r)`, output :math:`(*, C r^2, H, W)`.
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
