"""Synthetic shapes on noise for segmentation and detection: circles, squares and triangles drawn on a noisy canvas.

How an image is drawn (both makers): a canvas of ``size x size`` pixels starts at 0; each shape gets a class, a
"radius" ``r`` drawn uniformly from ``[min_radius, max_radius]``, a centre ``(cx, cy)`` drawn uniformly so that the
shape lies inside the canvas, and a brightness ``a ~ U[0.5, 1]``; every pixel ``(i, j)`` whose centre
``(x, y) = (j + 0.5, i + 0.5)`` lies inside the shape is set to ``a`` (later shapes cover earlier ones). Then
Gaussian noise of standard deviation ``noise`` is added to every pixel. The shapes, with ``r`` their size:

- circle: :math:`(x - c_x)^2 + (y - c_y)^2 \\le r^2`
- square: :math:`|x - c_x| \\le r` and :math:`|y - c_y| \\le r` (side :math:`2r`, axis-aligned)
- triangle: apex :math:`(c_x, c_y - r)`, base from :math:`(c_x - r, c_y + r)` to :math:`(c_x + r, c_y + r)`:
  :math:`y \\le c_y + r` and :math:`|x - c_x| \\le (y - c_y + r) / 2`

Randomness follows :mod:`chainrule.datasets.synthetic`: ``generator`` is a ``chainrule.Generator``, a
``numpy.random.Generator``, an int seed, or None for chainrule's global stream.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..tensor import Tensor
from ..tensor.creation import from_numpy
from ..utils.data import Dataset
from .synthetic import GeneratorLike, _rng

__all__ = ["SHAPE_CLASSES", "make_segmentation_shapes", "make_detection_shapes", "yolo_targets",
           "ShapesSegmentation", "ShapesDetection"]

SHAPE_CLASSES = ("circle", "square", "triangle")


def _inside(kind: int, cx: float, cy: float, r: float, size: int) -> np.ndarray:
    """Boolean (size, size) mask of the pixels whose centres lie inside shape ``kind`` (index into SHAPE_CLASSES)."""
    y = np.arange(size, dtype=np.float64)[:, None] + 0.5
    x = np.arange(size, dtype=np.float64)[None, :] + 0.5
    if kind == 0:
        return (x - cx) ** 2 + (y - cy) ** 2 <= r * r
    if kind == 1:
        return (np.abs(x - cx) <= r) & (np.abs(y - cy) <= r)
    return (y <= cy + r) & (np.abs(x - cx) <= (y - cy + r) / 2)


def _cell(twice_centre: float, extent: float, S: int) -> int:  # noqa: N803
    """The grid cell along one axis of a box whose two edges sum to ``twice_centre``: floor(S c / extent), clipped."""
    return min(int(float(twice_centre) * S / (2 * extent)), S - 1)


def _check(op: str, n: int, size: int, count: int, min_radius: float, max_radius: float, noise: float) -> None:
    if n < 0 or size < 4 or count < 1:
        raise ValueError(f"{op}: need n >= 0, size >= 4 and at least one shape per image, got n={n}, size={size}, "
                         f"max shapes={count}")
    if not 0 < min_radius <= max_radius or 2 * max_radius >= size:
        raise ValueError(f"{op}: need 0 < min_radius <= max_radius < size / 2, got min_radius={min_radius}, "
                         f"max_radius={max_radius}, size={size}")
    if noise < 0:
        raise ValueError(f"{op}: noise must be >= 0, got {noise}")


def make_segmentation_shapes(n: int = 1000, size: int = 32, max_shapes: int = 3, min_radius: float = 3.0,
                             max_radius: float = 7.0, noise: float = 0.3,
                             generator: GeneratorLike = None) -> tuple[np.ndarray, np.ndarray]:
    """Images of 1 to ``max_shapes`` possibly overlapping shapes and their per-pixel class masks.

    Each image holds ``k ~ U{1, ..., max_shapes}`` shapes of uniformly drawn class, drawn as the module docstring
    says; the mask is 0 on the background and ``1 + class`` (1 circle, 2 square, 3 triangle) where a shape is the
    topmost one.

    Args:
        n: number of images. size: image side in pixels. max_shapes: most shapes per image.
        min_radius, max_radius: range of the shape size ``r`` in pixels. noise: standard deviation of the noise.
        generator: source of randomness.

    Shape:
        images ``(n, 1, size, size)`` float32; masks ``(n, size, size)`` int64 in ``[0, 3]``.

    Example::

        >>> x, m = make_segmentation_shapes(8, 32, generator=0)
        >>> x.shape, m.shape, int(m.max()) <= 3
        ((8, 1, 32, 32), (8, 32, 32), True)
    """
    _check("make_segmentation_shapes", n, size, max_shapes, min_radius, max_radius, noise)
    rng = _rng(generator)
    clean = np.zeros((n, size, size), dtype=np.float64)
    masks = np.zeros((n, size, size), dtype=np.int64)
    for i in range(n):
        for _ in range(int(rng.integers(1, max_shapes + 1))):
            kind = int(rng.integers(len(SHAPE_CLASSES)))
            r = rng.uniform(min_radius, max_radius)
            cx, cy = rng.uniform(r, size - r, size=2)
            inside = _inside(kind, cx, cy, r, size)
            clean[i][inside] = rng.uniform(0.5, 1.0)
            masks[i][inside] = kind + 1
    images = clean + noise * rng.standard_normal(clean.shape)
    return images[:, None].astype(np.float32), masks


def make_detection_shapes(n: int = 1000, size: int = 56, max_objects: int = 3, min_radius: float = 4.0,
                          max_radius: float = 10.0, noise: float = 0.2, grid: int | None = 7,
                          generator: GeneratorLike = None) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Images of 1 to ``max_objects`` separate shapes with their bounding boxes and class labels.

    Shapes are drawn as the module docstring says, placed one after the other by rejection sampling: a candidate is
    dropped if its box, grown by one pixel, meets a box already placed, or (with ``grid``) if its box centre falls in
    a cell of the ``grid x grid`` partition that already holds a centre (YOLOv1 predicts one object per cell). After
    100 failed candidates the image keeps the shapes it has (never fewer than one). A box is the tight pixel box of
    the drawn shape: ``(x1, y1, x2, y2) = (min column, min row, max column + 1, max row + 1)`` in pixels, so pixel
    ``(i, j)`` covers ``[j, j + 1) x [i, i + 1)``.

    Args:
        n: number of images. size: image side. max_objects: most shapes per image.
        min_radius, max_radius: range of the shape size ``r``. noise: standard deviation of the noise.
        grid: at most one box centre per cell of this grid (None: no such rule). generator: source of randomness.

    Returns:
        ``(images, boxes, labels)``: images ``(n, 1, size, size)`` float32; per image a ``(k, 4)`` float32 array of
        ``(x1, y1, x2, y2)`` pixel boxes and a ``(k,)`` int64 array of labels (0 circle, 1 square, 2 triangle).
    """
    _check("make_detection_shapes", n, size, max_objects, min_radius, max_radius, noise)
    if grid is not None and grid < 1:
        raise ValueError(f"make_detection_shapes: grid must be None or >= 1, got {grid}")
    rng = _rng(generator)
    clean = np.zeros((n, size, size), dtype=np.float64)
    all_boxes, all_labels = [], []
    for i in range(n):
        boxes: list[np.ndarray] = []
        labels: list[int] = []
        cells: set[tuple[int, int]] = set()
        want, tries = int(rng.integers(1, max_objects + 1)), 0
        while len(boxes) < want and tries < 100:
            tries += 1
            kind = int(rng.integers(len(SHAPE_CLASSES)))
            r = rng.uniform(min_radius, max_radius)
            cx, cy = rng.uniform(r, size - r, size=2)
            inside = _inside(kind, cx, cy, r, size)
            rows, cols = np.nonzero(inside)
            box = np.array([cols.min(), rows.min(), cols.max() + 1, rows.max() + 1], dtype=np.float32)
            cell = (_cell(box[1] + box[3], size, grid), _cell(box[0] + box[2], size, grid)) if grid is not None \
                else (-1, len(boxes))
            overlaps = any(box[0] - 1 < b[2] and b[0] < box[2] + 1 and box[1] - 1 < b[3] and b[1] < box[3] + 1
                           for b in boxes)
            if boxes and (overlaps or cell in cells):
                continue
            clean[i][inside] = rng.uniform(0.5, 1.0)
            boxes.append(box)
            labels.append(kind)
            cells.add(cell)
        all_boxes.append(np.stack(boxes).astype(np.float32))
        all_labels.append(np.asarray(labels, dtype=np.int64))
    images = clean + noise * rng.standard_normal(clean.shape)
    return images[:, None].astype(np.float32), all_boxes, all_labels


def yolo_targets(boxes: Sequence[Any], labels: Sequence[Any], image_size: int | tuple[int, int], S: int = 7,  # noqa: N803
                 num_classes: int = 20) -> np.ndarray:
    r"""YOLOv1 targets from pixel boxes, in the layout of :mod:`chainrule.models.yolo`.

    An object with box :math:`(x_1, y_1, x_2, y_2)` on a :math:`W \times H` image has centre
    :math:`c_x = (x_1 + x_2) / 2W`, :math:`c_y = (y_1 + y_2) / 2H` (image-relative); it belongs to cell
    :math:`(i, j) = (\lfloor S c_y \rfloor, \lfloor S c_x \rfloor)` (clipped to :math:`S - 1`), whose target is
    :math:`(S c_x - j, S c_y - i, (x_2 - x_1) / W, (y_2 - y_1) / H, 1)` followed by the one-hot class. Every other
    cell is 0. When two centres fall in one cell the first object keeps it (YOLOv1 predicts one object per cell).

    Args:
        boxes: per image a ``(k, 4)`` array (or Tensor) of ``(x1, y1, x2, y2)`` pixel boxes.
        labels: per image a ``(k,)`` array (or Tensor) of class indices in ``[0, num_classes)``.
        image_size: the image side, or ``(H, W)``. S: grid side. num_classes: C.

    Shape: output ``(N, S, S, 5 + C)`` float32 with ``N = len(boxes)``.
    """
    h, w = (image_size, image_size) if isinstance(image_size, (int, np.integer)) else tuple(image_size)
    if len(boxes) != len(labels) or S < 1 or num_classes < 1 or h <= 0 or w <= 0:
        raise ValueError(f"yolo_targets: need one labels array per boxes array, S >= 1, num_classes >= 1 and a "
                         f"positive image size, got {len(boxes)} boxes, {len(labels)} labels, S={S}, "
                         f"num_classes={num_classes}, image_size={image_size}")
    out = np.zeros((len(boxes), S, S, 5 + num_classes), dtype=np.float32)
    for n, (b, lab) in enumerate(zip(boxes, labels)):
        b = np.asarray(b._data if isinstance(b, Tensor) else b, dtype=np.float64).reshape(-1, 4)
        lab = np.asarray(lab._data if isinstance(lab, Tensor) else lab).reshape(-1)
        if len(b) != len(lab) or (len(lab) and (lab.min() < 0 or lab.max() >= num_classes)):
            raise ValueError(f"yolo_targets: image {n} has {len(b)} boxes and labels {lab.tolist()}; expected one "
                             f"label in [0, {num_classes}) per box")
        if np.any(b[:, 2] <= b[:, 0]) or np.any(b[:, 3] <= b[:, 1]):
            raise ValueError(f"yolo_targets: image {n} has a box with x2 <= x1 or y2 <= y1: {b.tolist()}")
        for (x1, y1, x2, y2), c in zip(b, lab):
            i, j = _cell(y1 + y2, h, S), _cell(x1 + x2, w, S)
            if out[n, i, j, 4]:
                continue
            gx, gy = (x1 + x2) * S / (2 * w), (y1 + y2) * S / (2 * h)
            out[n, i, j, :5] = (gx - j, gy - i, (x2 - x1) / w, (y2 - y1) / h, 1.0)
            out[n, i, j, 5 + int(c)] = 1.0
    return out


def _split_rng(seed: int, train: bool) -> np.random.Generator:
    # NOTE: train and test are independent streams of one seed, so they never share an image but share a distribution
    return np.random.default_rng((int(seed), 0 if train else 1))


class ShapesSegmentation(Dataset[tuple[Tensor, Tensor]]):
    """Shapes on noise with per-pixel class masks (see :func:`make_segmentation_shapes`).

    ``ds[i]`` is ``(image (1, size, size) float32, mask (size, size) int64)``; ``.data`` and ``.targets`` hold all
    images and masks as NumPy arrays. ``classes`` names the mask values.

    Args:
        train: the training split (else the test split: another stream of the same seed).
        n: number of images. size: image side. seed: the seed of both splits.
        **kwargs: further arguments of :func:`make_segmentation_shapes`.
    """

    classes = ["background", *SHAPE_CLASSES]

    def __init__(self, train: bool = True, n: int = 1000, size: int = 32, seed: int = 0, **kwargs: Any) -> None:
        self.data, self.targets = make_segmentation_shapes(n, size, generator=_split_rng(seed, train), **kwargs)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        return from_numpy(self.data[index]), from_numpy(self.targets[index])


class ShapesDetection(Dataset[tuple[Tensor, dict[str, Tensor]]]):
    """Separate shapes on noise with bounding boxes (see :func:`make_detection_shapes`).

    ``ds[i]`` is ``(image (1, size, size) float32, {"boxes": (k, 4) float32 pixel xyxy, "labels": (k,) int64})``, as
    torchvision's detection datasets; ``.data`` holds the images, ``.boxes`` and ``.labels`` the per-image arrays.
    The default collate cannot stack images with different numbers of boxes: batch the images and
    :meth:`yolo_targets` instead, or pass a ``collate_fn``.

    Args:
        train: the training split (else the test split: another stream of the same seed).
        n: number of images. size: image side. seed: the seed of both splits.
        **kwargs: further arguments of :func:`make_detection_shapes`.
    """

    classes = list(SHAPE_CLASSES)

    def __init__(self, train: bool = True, n: int = 1000, size: int = 56, seed: int = 0, **kwargs: Any) -> None:
        self.size = size
        self.data, self.boxes, self.labels = make_detection_shapes(n, size, generator=_split_rng(seed, train),
                                                                   **kwargs)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Tensor, dict[str, Tensor]]:
        return from_numpy(self.data[index]), {"boxes": from_numpy(self.boxes[index]),
                                              "labels": from_numpy(self.labels[index])}

    def yolo_targets(self, S: int = 7) -> np.ndarray:  # noqa: N803
        """Every image's YOLOv1 target, ``(n, S, S, 5 + 3)`` float32 (see :func:`yolo_targets`)."""
        return yolo_targets(self.boxes, self.labels, self.size, S, len(self.classes))
