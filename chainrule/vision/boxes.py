"""Bounding-box operations (as ``torchvision.ops``): area, IoU, format conversion and non-maximum suppression.

Boxes are ``(x1, y1, x2, y2)`` rows with ``x1 <= x2`` and ``y1 <= y2`` unless a format says otherwise. Areas are
continuous (``(x2 - x1) * (y2 - y1)``, no ``+ 1``), as in torchvision. ``box_area``, ``box_iou`` and ``box_convert``
are composed from Tensor ops and therefore differentiable; ``nms`` and ``batched_nms`` return indices.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import xp
from ..tensor import Tensor
from ..tensor.functions import clamp, maximum, minimum, stack

__all__ = ["box_area", "box_iou", "box_convert", "nms", "batched_nms"]

_FORMATS = ("xyxy", "xywh", "cxcywh")


def _boxes(boxes: Any, op: str, name: str = "boxes", ordered: bool = True) -> np.ndarray:
    """The array of a Tensor[N, 4]; with ``ordered``, every box must have x1 <= x2 and y1 <= y2."""
    if not isinstance(boxes, Tensor):
        raise TypeError(f"{op}: expected {name} to be a Tensor, got {type(boxes).__name__}")
    b = boxes._data
    if b.ndim != 2 or b.shape[1] != 4:
        raise RuntimeError(f"{op}: expected {name} of shape (N, 4), got {tuple(b.shape)}")
    if ordered:
        _check_ordered(b, op, name)
    return b


def _check_ordered(b: np.ndarray, op: str, name: str) -> None:
    """Raise a ValueError naming the first box whose corners are swapped (x2 < x1 or y2 < y1)."""
    bad = (b[:, 2] < b[:, 0]) | (b[:, 3] < b[:, 1])
    if bad.any():
        i = int(xp.argmax(bad))
        raise ValueError(f"{op}: {name}[{i}] = {b[i].tolist()} is not a valid (x1, y1, x2, y2) box: expected "
                         f"x1 <= x2 and y1 <= y2")


def box_area(boxes: Tensor) -> Tensor:
    r"""The area of each box: :math:`(x_2 - x_1)(y_2 - y_1)`.

    Args:
        boxes: boxes in ``(x1, y1, x2, y2)`` format with ``0 <= x1 <= x2`` and ``0 <= y1 <= y2``.

    Shape:
        - boxes: :math:`(N, 4)`
        - output: :math:`(N)`

    Example::

        >>> box_area(chainrule.tensor([[0., 0., 2., 3.]]))
        tensor([6.])
    """
    _boxes(boxes, "box_area")
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    r"""Intersection over union of every pair of boxes: :math:`\mathrm{IoU}(a, b) = |a \cap b| / |a \cup b|`.

    :math:`|a \cap b| = \max(0, \min(x_2^a, x_2^b) - \max(x_1^a, x_1^b)) \cdot \max(0, \min(y_2^a, y_2^b) -
    \max(y_1^a, y_1^b))` and :math:`|a \cup b| = |a| + |b| - |a \cap b|`. Two boxes of zero area give 0/0 = nan, as
    in torchvision.

    Args:
        boxes1: the first set, ``(x1, y1, x2, y2)`` with ``x1 <= x2`` and ``y1 <= y2``.
        boxes2: the second set, same format.

    Shape:
        - boxes1: :math:`(N, 4)`, boxes2: :math:`(M, 4)`
        - output: :math:`(N, M)`, entry ``[i, j]`` the IoU of ``boxes1[i]`` and ``boxes2[j]``

    Example::

        >>> box_iou(chainrule.tensor([[0., 0., 2., 2.]]), chainrule.tensor([[1., 0., 3., 2.]]))
        tensor([[0.3333]])
    """
    _boxes(boxes1, "box_iou", "boxes1")
    _boxes(boxes2, "box_iou", "boxes2")
    area1, area2 = box_area(boxes1), box_area(boxes2)
    lt = maximum(boxes1[:, None, :2], boxes2[:, :2])  # (N, M, 2) top-left of the intersection
    rb = minimum(boxes1[:, None, 2:], boxes2[:, 2:])  # (N, M, 2) bottom-right
    wh = clamp(rb - lt, min=0)
    inter = wh[:, :, 0] * wh[:, :, 1]
    union = area1[:, None] + area2 - inter
    with np.errstate(invalid="ignore", divide="ignore"):  # NOTE: 0/0 for two empty boxes is nan, as torchvision
        return inter / union


def box_convert(boxes: Tensor, in_fmt: str, out_fmt: str) -> Tensor:
    r"""Convert boxes between the formats ``'xyxy'``, ``'xywh'`` and ``'cxcywh'``.

    ``'xyxy'``: corners :math:`(x_1, y_1, x_2, y_2)`; ``'xywh'``: top-left corner, width and height
    :math:`(x_1, y_1, w, h)`; ``'cxcywh'``: centre, width and height :math:`(c_x, c_y, w, h)`, with
    :math:`x_2 = x_1 + w`, :math:`c_x = (x_1 + x_2) / 2`.

    Args:
        boxes: the boxes to convert.
        in_fmt: the format of ``boxes``.
        out_fmt: the format to return.

    Shape:
        - boxes: :math:`(N, 4)` (any leading dimensions are allowed)
        - output: the shape of ``boxes``

    Example::

        >>> box_convert(chainrule.tensor([[1., 2., 3., 4.]]), "xywh", "xyxy")
        tensor([[1., 2., 4., 6.]])
    """
    if in_fmt not in _FORMATS or out_fmt not in _FORMATS:
        raise ValueError(f"box_convert: unsupported conversion from in_fmt={in_fmt!r} to out_fmt={out_fmt!r} "
                         f"(formats are {', '.join(_FORMATS)})")
    if not isinstance(boxes, Tensor):
        raise TypeError(f"box_convert: expected boxes to be a Tensor, got {type(boxes).__name__}")
    if boxes.ndim == 0 or boxes.shape[-1] != 4:
        raise RuntimeError(f"box_convert: expected boxes of shape (N, 4), got {tuple(boxes.shape)}")
    if in_fmt == out_fmt:
        return boxes.clone()
    a, b, c, d = boxes.unbind(-1)
    if in_fmt == "xywh":  # to corners first
        a, b, c, d = a, b, a + c, b + d
    elif in_fmt == "cxcywh":
        a, b, c, d = a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d
    if out_fmt == "xywh":
        a, b, c, d = a, b, c - a, d - b
    elif out_fmt == "cxcywh":
        a, b, c, d = (a + c) / 2, (b + d) / 2, c - a, d - b
    return stack([a, b, c, d], dim=-1)


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    r"""Greedy non-maximum suppression: keep the highest-scoring box, drop every box whose IoU with it exceeds
    ``iou_threshold``, and repeat on the boxes left.

    A box ``j`` is dropped by a kept box ``i`` when :math:`\mathrm{IoU}(i, j) > \text{iou\_threshold}` (strictly), so
    a threshold of 0 keeps only boxes that touch no kept box with positive area, and 1 keeps every box. Equal scores
    are taken in index order (a stable sort), as torchvision's CPU kernel.

    Args:
        boxes: boxes in ``(x1, y1, x2, y2)`` format with ``x1 <= x2`` and ``y1 <= y2``.
        scores: one score per box.
        iou_threshold: discard boxes with IoU > ``iou_threshold`` (non-negative).

    Shape:
        - boxes: :math:`(N, 4)`, scores: :math:`(N)`
        - output: :math:`(K)` int64 indices of the kept boxes, in decreasing order of score

    Example::

        >>> b = chainrule.tensor([[0., 0., 2., 2.], [0., 0., 2., 2.1], [5., 5., 6., 6.]])
        >>> nms(b, chainrule.tensor([0.9, 0.8, 0.7]), 0.5)
        tensor([0, 2])
    """
    b, s = _nms_inputs("nms", boxes, scores, iou_threshold)
    return Tensor._make(_greedy(b, s, None, iou_threshold), None, False)


def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float) -> Tensor:
    r"""Non-maximum suppression per category: a box is suppressed only by a kept box of the same ``idxs`` value.

    Equivalent to running :func:`nms` on each category separately and merging the kept indices by score (or to
    torchvision's trick of offsetting each category's boxes so that categories never overlap); done here in one
    greedy pass over all boxes that ignores the IoU between different categories.

    Args:
        boxes: boxes in ``(x1, y1, x2, y2)`` format with ``x1 <= x2`` and ``y1 <= y2``.
        scores: one score per box.
        idxs: the category of each box (integers).
        iou_threshold: discard boxes with IoU > ``iou_threshold`` within a category (non-negative).

    Shape:
        - boxes: :math:`(N, 4)`, scores: :math:`(N)`, idxs: :math:`(N)`
        - output: :math:`(K)` int64 indices of the kept boxes, in decreasing order of score

    Example::

        >>> b = chainrule.tensor([[0., 0., 2., 2.], [0., 0., 2., 2.]])
        >>> batched_nms(b, chainrule.tensor([0.9, 0.8]), chainrule.tensor([0, 1]), 0.5)
        tensor([0, 1])
    """
    b, s = _nms_inputs("batched_nms", boxes, scores, iou_threshold)
    if not isinstance(idxs, Tensor):
        raise TypeError(f"batched_nms: expected idxs to be a Tensor, got {type(idxs).__name__}")
    if idxs.ndim != 1 or idxs.shape[0] != b.shape[0]:
        raise RuntimeError(f"batched_nms: expected idxs of shape ({b.shape[0]},) to match boxes of shape "
                           f"{tuple(b.shape)}, got {tuple(idxs.shape)}")
    return Tensor._make(_greedy(b, s, idxs._data, iou_threshold), None, False)


def _nms_inputs(op: str, boxes: Any, scores: Any, iou_threshold: float) -> tuple[np.ndarray, np.ndarray]:
    b = _boxes(boxes, op)
    if not isinstance(scores, Tensor):
        raise TypeError(f"{op}: expected scores to be a Tensor, got {type(scores).__name__}")
    s = scores._data
    if s.ndim != 1 or s.shape[0] != b.shape[0]:
        raise RuntimeError(f"{op}: expected scores of shape ({b.shape[0]},) to match boxes of shape "
                           f"{tuple(b.shape)}, got {tuple(s.shape)}")
    if not iou_threshold >= 0:  # NOTE: written so that nan is rejected too
        raise ValueError(f"{op}: iou_threshold must be non-negative, got {iou_threshold}")
    return b, s


def _greedy(b: np.ndarray, s: np.ndarray, cls: np.ndarray | None, thr: float) -> np.ndarray:
    """Indices kept by greedy NMS, in decreasing score; with ``cls``, only boxes of one class suppress each other.

    One vectorised step per kept box: the IoU of the best remaining box with all the others, in the boxes' own
    floating dtype (as torchvision's kernel computes it), O(N) memory rather than an N x N matrix.
    """
    if b.dtype.kind != "f":
        b = b.astype(np.float64)
    # NOTE: a stable sort of the negated scores: descending, equal scores kept in index order (flipping an ascending
    # sort would reverse the ties); float64 so that negating an unsigned or int score cannot wrap
    order = xp.argsort(-s.astype(np.float64), kind="stable")
    b = b[order]
    c = cls[order] if cls is not None else None
    x1, y1, x2, y2 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    area = (x2 - x1) * (y2 - y1)
    keep = []
    rest = xp.arange(b.shape[0])
    with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 of two empty boxes is nan: never suppresses
        while rest.size:
            i, rest = rest[0], rest[1:]
            keep.append(i)
            w = xp.maximum(xp.minimum(x2[i], x2[rest]) - xp.maximum(x1[i], x1[rest]), 0)
            h = xp.maximum(xp.minimum(y2[i], y2[rest]) - xp.maximum(y1[i], y1[rest]), 0)
            inter = w * h
            drop = inter / (area[i] + area[rest] - inter) > thr
            if c is not None:
                drop &= c[rest] == c[i]
            rest = rest[~drop]
    return order[xp.asarray(keep, dtype=np.int64)].astype(np.int64)
