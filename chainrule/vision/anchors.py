r"""Anchor boxes for region proposal networks, following torchvision's Faster R-CNN ``AnchorGenerator``.

For each size :math:`s` and aspect ratio :math:`r` (height / width) one zero-centred base anchor
:math:`\mathrm{round}((-w/2, -h/2, w/2, h/2))` with :math:`w = s / \sqrt{r}`, :math:`h = s \sqrt{r}` (so its area is
:math:`s^2`), computed in float32 and rounded half to even as torchvision. The base anchors are then shifted to every
cell :math:`(i, j)` of a feature map by :math:`(j \cdot \text{stride}_w, i \cdot \text{stride}_h)`.

Order of the anchors (as torchvision): cell-major (cells in row-major order, row ``i`` then column ``j``), then aspect
ratio, then size: anchor ``((i * W + j) * R + r) * S + s`` is size ``s`` and ratio ``r`` at cell ``(i, j)``.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import dtypes
from ..backend import xp
from ..nn.module import Module
from ..tensor import Tensor

__all__ = ["AnchorGenerator", "generate_anchors"]


def _positive(values: Sequence[Any], what: str, op: str) -> None:
    if len(values) == 0 or not all(isinstance(v, (int, float, np.integer, np.floating)) and v > 0 for v in values):
        raise ValueError(f"{op}: expected {what} to be a non-empty sequence of positive numbers, got {values}")


def _base_anchors(sizes: Sequence[float], aspect_ratios: Sequence[float], op: str) -> np.ndarray:
    """The (R * S, 4) zero-centred anchors of one feature map, ratio-major, float32."""
    _positive(sizes, "sizes", op)
    _positive(aspect_ratios, "aspect_ratios", op)
    s = xp.asarray(sizes, dtype=np.float32)
    h_ratio = xp.sqrt(xp.asarray(aspect_ratios, dtype=np.float32))
    w_ratio = np.float32(1) / h_ratio
    ws = (w_ratio[:, None] * s[None, :]).reshape(-1)
    hs = (h_ratio[:, None] * s[None, :]).reshape(-1)
    # NOTE: float32 and round-half-to-even, as torchvision (torch.round), so the integer corners agree exactly
    return xp.round(xp.stack([-ws, -hs, ws, hs], axis=1) / np.float32(2))


def _grid(base: np.ndarray, feature_size: tuple[int, int], stride: tuple[int, int], dt: np.dtype) -> np.ndarray:
    """Shift the base anchors to every cell: (H * W * A, 4), cell-major."""
    H, W = feature_size
    sy, sx = stride
    grid_y, grid_x = xp.meshgrid(xp.arange(H, dtype=np.int64) * sy, xp.arange(W, dtype=np.int64) * sx,
                                 indexing="ij")
    sx_, sy_ = grid_x.reshape(-1), grid_y.reshape(-1)  # row-major cells: y outer, x inner
    shifts = xp.stack([sx_, sy_, sx_, sy_], axis=1).astype(dt)
    return (shifts[:, None, :] + base.astype(dt)[None, :, :]).reshape(-1, 4)


def _int_pair(value: Any, what: str, op: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and v > 0 for v in pair):
        raise ValueError(f"{op}: expected {what} to be a positive int or a pair of positive ints, got {value}")
    return int(pair[0]), int(pair[1])


def generate_anchors(feature_size: int | tuple[int, int], stride: int | tuple[int, int],
                     sizes: Sequence[float] = (128, 256, 512), aspect_ratios: Sequence[float] = (0.5, 1.0, 2.0),
                     dtype: Any = None) -> Tensor:
    r"""The anchors of one feature map: every size and aspect ratio at every cell, in ``(x1, y1, x2, y2)`` format.

    Base anchor :math:`\mathrm{round}(\pm w / 2, \pm h / 2)` with :math:`w = s / \sqrt{r}`, :math:`h = s \sqrt{r}`,
    shifted by :math:`(j \cdot \text{stride}_w, i \cdot \text{stride}_h)` for cell :math:`(i, j)`. Order: cell-major
    (row-major cells), then aspect ratio, then size, as torchvision.

    Args:
        feature_size: the feature map's :math:`(H, W)`, or one int for both.
        stride: pixels of the image per feature-map cell, :math:`(\text{stride}_h, \text{stride}_w)` or one int.
        sizes: the anchor sizes :math:`s` (square root of the area), in pixels.
        aspect_ratios: the ratios :math:`r = h / w`.
        dtype: the dtype of the anchors (the default dtype when None).

    Shape:
        - output: :math:`(H \cdot W \cdot A, 4)` with :math:`A = \text{len(sizes)} \cdot \text{len(aspect\_ratios)}`

    Example::

        >>> generate_anchors((2, 3), 16).shape
        chainrule.Size([54, 4])
    """
    op = "generate_anchors"
    size = _int_pair(feature_size, "feature_size", op)
    step = _int_pair(stride, "stride", op)
    dt = (dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()).np
    return Tensor._make(_grid(_base_anchors(sizes, aspect_ratios, op), size, step, dt), None, False)


class AnchorGenerator(Module):
    r"""Anchors for a set of feature maps, one tuple of sizes and of aspect ratios per map (torchvision's
    ``AnchorGenerator`` of Faster R-CNN).

    For feature map :math:`l` of size :math:`(H_l, W_l)` on images of size :math:`(H, W)`, the stride is
    :math:`(H // H_l, W // W_l)` and the anchors are :func:`generate_anchors` of that map; the anchors of all maps are
    concatenated (map by map, each cell-major, then ratio, then size) and repeated for every image.

    Args:
        sizes: per feature map, a tuple of anchor sizes (a flat tuple means one size per map).
        aspect_ratios: per feature map, a tuple of aspect ratios (a flat tuple is used for every map as one tuple
            per map, as torchvision).

    Shape:
        - images: :math:`(N, C, H, W)` (or an ImageList-like object with ``tensors`` and ``image_sizes``)
        - feature_maps: a list of :math:`(N, C_l, H_l, W_l)`, one per entry of ``sizes``
        - output: a list of :math:`N` tensors of shape :math:`(\sum_l H_l W_l A_l, 4)` in the feature maps' dtype

    Example::

        >>> gen = AnchorGenerator()
        >>> anchors = gen(chainrule.zeros(2, 3, 64, 64), [chainrule.zeros(2, 8, 4, 4)])
        >>> len(anchors), anchors[0].shape
        (2, chainrule.Size([144, 4]))
    """

    def __init__(self, sizes: Sequence[Any] = ((128, 256, 512),),
                 aspect_ratios: Sequence[Any] = ((0.5, 1.0, 2.0),)) -> None:
        super().__init__()
        if len(sizes) and not isinstance(sizes[0], (list, tuple)):
            sizes = tuple((s,) for s in sizes)
        if len(aspect_ratios) and not isinstance(aspect_ratios[0], (list, tuple)):
            aspect_ratios = (aspect_ratios,) * len(sizes)
        if len(sizes) != len(aspect_ratios):
            raise ValueError(f"AnchorGenerator: expected one tuple of aspect_ratios per tuple of sizes, got "
                             f"{len(sizes)} sizes and {len(aspect_ratios)} aspect_ratios")
        self.sizes = tuple(tuple(s) for s in sizes)
        self.aspect_ratios = tuple(tuple(a) for a in aspect_ratios)
        self._base = [_base_anchors(s, a, "AnchorGenerator") for s, a in zip(self.sizes, self.aspect_ratios)]

    @property
    def cell_anchors(self) -> list[Tensor]:
        """The zero-centred base anchors of each feature map, (A_l, 4) float32."""
        return [Tensor._make(b.copy(), None, False) for b in self._base]

    def num_anchors_per_location(self) -> list[int]:
        """:math:`A_l`: the number of anchors at each cell of feature map :math:`l`."""
        return [len(s) * len(a) for s, a in zip(self.sizes, self.aspect_ratios)]

    def forward(self, images: Any, feature_maps: Sequence[Tensor]) -> list[Tensor]:
        tensors = images if isinstance(images, Tensor) else getattr(images, "tensors", None)
        if not isinstance(tensors, Tensor) or tensors.ndim < 2:
            raise TypeError(f"AnchorGenerator: expected images as a Tensor (N, C, H, W) or an ImageList, got "
                            f"{type(images).__name__}")
        n_images = tensors.shape[0] if isinstance(images, Tensor) else len(images.image_sizes)
        if len(feature_maps) != len(self._base):
            raise ValueError(f"AnchorGenerator: got {len(feature_maps)} feature maps for {len(self._base)} tuples of "
                             f"sizes / aspect_ratios; there must be one per feature map")
        H, W = tensors.shape[-2:]
        parts = []
        for fmap, base in zip(feature_maps, self._base):
            h, w = fmap.shape[-2:]
            if not 0 < h <= H or not 0 < w <= W:
                raise ValueError(f"AnchorGenerator: a feature map of size {(h, w)} does not fit images of size "
                                 f"{(H, W)}")
            parts.append(_grid(base, (h, w), (H // h, W // w), feature_maps[0]._data.dtype))
        anchors = Tensor._make(xp.concatenate(parts), None, False)
        return [anchors.clone() for _ in range(n_images)]

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}, aspect_ratios={self.aspect_ratios}"
