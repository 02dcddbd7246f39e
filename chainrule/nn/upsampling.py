"""Upsampling layers: ``Upsample`` and its fixed-mode spellings, over :func:`chainrule.nn.functional.interpolate`."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .functional.vision import interpolate
from .module import Module

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]


class Upsample(Module):
    r"""Resize the spatial dimensions to ``size`` or by ``scale_factor`` (:func:`~chainrule.nn.functional.interpolate`):
    nearest, nearest-exact, linear (3-D) or bilinear (4-D) interpolation.

    Args:
        size: the output spatial size.
        scale_factor: the multiplier of the spatial size (output :math:`\lfloor L \cdot s \rfloor`).
        mode: ``'nearest'`` (default), ``'nearest-exact'``, ``'linear'`` or ``'bilinear'``.
        align_corners: linear modes: align the corner pixels' centres (default False).
        recompute_scale_factor: sample with the scale recomputed from the output size.

    Shape: input :math:`(N, C, *)`, output :math:`(N, C, *\text{size})`.

    Example::

        >>> m = nn.Upsample(scale_factor=2, mode="bilinear")
        >>> m(chainrule.randn(1, 1, 2, 2)).shape
        chainrule.Size([1, 1, 4, 4])
    """

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None, recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        what = f"scale_factor={float(self.scale_factor)}" if self.scale_factor is not None and not isinstance(
            self.scale_factor, (list, tuple)) else (f"scale_factor={self.scale_factor}" if self.scale_factor is not None
                                                    else f"size={self.size}")
        return f"{what}, mode='{self.mode}'"


class UpsamplingNearest2d(Upsample):
    """``Upsample(size, scale_factor, mode='nearest')`` for 4-D input."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample(size, scale_factor, mode='bilinear', align_corners=True)`` for 4-D input, as PyTorch."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
