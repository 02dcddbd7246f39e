r"""Detection and segmentation metrics: average precision of ranked boxes (PASCAL VOC, all-point interpolation), mean
average precision over classes, and the per-class intersection over union (Jaccard index) of segmentation masks.

Inputs may be Tensors or NumPy arrays; results are Python floats (or NumPy arrays of per-class values).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from ..tensor import Tensor
from .boxes import box_iou

__all__ = ["average_precision", "box_ap", "average_precision_per_class", "mean_average_precision", "per_class_iou",
           "mean_iou", "jaccard_index"]


def _array(x: Any, op: str, name: str) -> np.ndarray:
    if isinstance(x, Tensor):
        return np.asarray(x._data)
    if isinstance(x, (np.ndarray, list, tuple)):
        return np.asarray(x)
    raise TypeError(f"{op}: expected {name} to be a Tensor or an array, got {type(x).__name__}")


def average_precision(scores: Any, is_true_positive: Any, num_positives: int) -> float:
    r"""Average precision of ranked detections, with PASCAL VOC's all-point interpolation (VOC 2010 onwards).

    Detections are sorted by decreasing score (ties keep their order). After the :math:`k` best,
    :math:`P_k = TP_k / k` and :math:`R_k = TP_k / n_\text{pos}`; the precision is made monotone from the right,
    :math:`\hat P_k = \max_{k' \ge k} P_{k'}`, and
    :math:`AP = \sum_k (R_k - R_{k-1}) \hat P_k` (:math:`R_0 = 0`): the area under the interpolated
    precision-recall curve. Positives never detected cap the recall below 1.

    Args:
        scores: the detections' confidences.
        is_true_positive: whether each detection matched a ground truth (see :func:`box_ap` for the matching).
        num_positives: :math:`n_\text{pos}`, the number of ground truths; with 0 the AP is undefined: nan.

    Shape: scores ``(K,)``, is_true_positive ``(K,)``; output a float in ``[0, 1]``.

    Example::

        >>> average_precision([0.9, 0.8, 0.7], [False, True, True], 2)   # a false positive ranked first
        0.6666666666666666
    """
    s = _array(scores, "average_precision", "scores").astype(np.float64).reshape(-1)
    tp = _array(is_true_positive, "average_precision", "is_true_positive").astype(bool).reshape(-1)
    if s.shape != tp.shape:
        raise ValueError(f"average_precision: scores {s.shape} and is_true_positive {tp.shape} differ in shape")
    if num_positives < 0 or tp.sum() > num_positives:
        raise ValueError(f"average_precision: num_positives must be >= the {int(tp.sum())} true positives, got "
                         f"{num_positives}")
    if num_positives == 0:
        return float("nan")
    hits = np.cumsum(tp[np.argsort(-s, kind="stable")])
    recall = np.concatenate([[0.0], hits / num_positives])
    precision = hits / np.arange(1, len(hits) + 1)
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    return float(np.sum(np.diff(recall) * envelope))


def _match(pred_boxes: np.ndarray, pred_scores: np.ndarray, gt_boxes: np.ndarray,
           iou_threshold: float) -> np.ndarray:
    """True-positive flags of one image's detections of one class, matched greedily in decreasing score."""
    tp = np.zeros(len(pred_boxes), dtype=bool)
    if len(pred_boxes) == 0 or len(gt_boxes) == 0:
        return tp
    with np.errstate(invalid="ignore"):
        iou = np.nan_to_num(box_iou(Tensor._make(pred_boxes, None, False), Tensor._make(gt_boxes, None, False))._data)
    taken = np.zeros(len(gt_boxes), dtype=bool)
    for k in np.argsort(-pred_scores, kind="stable"):
        g = int(np.argmax(iou[k]))
        if iou[k, g] >= iou_threshold and not taken[g]:
            tp[k] = taken[g] = True
    return tp


def _boxes(x: Any, op: str, name: str) -> np.ndarray:
    b = _array(x, op, name).astype(np.float64)
    if b.size == 0:
        return b.reshape(0, 4)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"{op}: expected {name} of shape (K, 4) in (x1, y1, x2, y2), got {b.shape}")
    return b


def box_ap(pred_boxes: Sequence[Any], pred_scores: Sequence[Any], gt_boxes: Sequence[Any],
           iou_threshold: float = 0.5) -> float:
    r"""Average precision of one class's detections over a set of images (PASCAL VOC matching).

    All detections of all images are ranked by score; each, in turn, takes the ground truth of its image with which
    it has the highest IoU; it is a true positive if that IoU is :math:`\ge` ``iou_threshold`` and that ground
    truth is not yet taken, else a false positive (so a duplicate detection of a found object counts as a false
    positive). Then :func:`average_precision` with :math:`n_\text{pos}` = all ground truths.

    Args:
        pred_boxes: per image, the ``(K_i, 4)`` detected ``(x1, y1, x2, y2)`` boxes.
        pred_scores: per image, the ``(K_i,)`` scores.
        gt_boxes: per image, the ``(G_i, 4)`` ground-truth boxes.
        iou_threshold: the IoU a match needs.

    Returns: the AP in ``[0, 1]``; nan when there is no ground truth.

    Example::

        >>> box_ap([[[0, 0, 2, 2], [5, 5, 6, 6]]], [[0.9, 0.8]], [[[0, 0, 2, 2]]])
        1.0
    """
    op = "box_ap"
    if not len(pred_boxes) == len(pred_scores) == len(gt_boxes):
        raise ValueError(f"{op}: need one entry per image in pred_boxes, pred_scores and gt_boxes, got "
                         f"{len(pred_boxes)}, {len(pred_scores)} and {len(gt_boxes)}")
    if not 0 <= iou_threshold <= 1:
        raise ValueError(f"{op}: iou_threshold must lie in [0, 1], got {iou_threshold}")
    scores, flags, n_gt = [], [], 0
    for i, (pb, ps, gb) in enumerate(zip(pred_boxes, pred_scores, gt_boxes)):
        b, g = _boxes(pb, op, f"pred_boxes[{i}]"), _boxes(gb, op, f"gt_boxes[{i}]")
        s = _array(ps, op, f"pred_scores[{i}]").astype(np.float64).reshape(-1)
        if len(s) != len(b):
            raise ValueError(f"{op}: image {i} has {len(b)} boxes but {len(s)} scores")
        scores.append(s)
        flags.append(_match(b, s, g, iou_threshold))
        n_gt += len(g)
    s_all = np.concatenate(scores) if scores else np.zeros(0)
    return average_precision(s_all, np.concatenate(flags) if flags else np.zeros(0, bool), n_gt)


def _per_image(items: Sequence[Mapping[str, Any]], op: str, name: str, scores: bool) -> list[tuple[Any, ...]]:
    out = []
    for i, d in enumerate(items):
        keys = ("boxes", "labels", "scores") if scores else ("boxes", "labels")
        if not isinstance(d, Mapping) or any(k not in d for k in keys):
            raise ValueError(f"{op}: {name}[{i}] must be a dict with keys {keys}, got "
                             f"{sorted(d) if isinstance(d, Mapping) else type(d).__name__}")
        b = _boxes(d["boxes"], op, f"{name}[{i}]['boxes']")
        lab = _array(d["labels"], op, f"{name}[{i}]['labels']").reshape(-1).astype(np.int64)
        s = _array(d["scores"], op, f"{name}[{i}]['scores']").reshape(-1) if scores else None
        if len(lab) != len(b) or (s is not None and len(s) != len(b)):
            raise ValueError(f"{op}: {name}[{i}] has {len(b)} boxes, {len(lab)} labels"
                             + (f" and {len(s)} scores" if s is not None else ""))
        out.append((b, lab, s))
    return out


def average_precision_per_class(preds: Sequence[Mapping[str, Any]], targets: Sequence[Mapping[str, Any]],
                                iou_threshold: float = 0.5) -> dict[int, float]:
    """:func:`box_ap` of every class that has a ground truth in ``targets``, keyed by label.

    Args:
        preds: per image a dict with ``boxes`` (K, 4), ``scores`` (K,), ``labels`` (K,), as
            :func:`chainrule.models.yolo_decode` returns.
        targets: per image a dict with ``boxes`` (G, 4) and ``labels`` (G,), in the same coordinates as ``preds``.
        iou_threshold: the IoU a match needs.
    """
    op = "mean_average_precision"
    if len(preds) != len(targets):
        raise ValueError(f"{op}: got {len(preds)} predictions for {len(targets)} target images")
    p, t = _per_image(preds, op, "preds", True), _per_image(targets, op, "targets", False)
    classes = sorted({int(c) for _, lab, _ in t for c in lab})
    return {c: box_ap([b[lab == c] for b, lab, _ in p], [s[lab == c] for _, lab, s in p],
                      [b[lab == c] for b, lab, _ in t], iou_threshold) for c in classes}


def mean_average_precision(preds: Sequence[Mapping[str, Any]], targets: Sequence[Mapping[str, Any]],
                           iou_threshold: float = 0.5) -> float:
    r"""Mean average precision: :math:`\text{mAP} = \frac{1}{|\mathcal C|} \sum_{c \in \mathcal C} AP_c`, the
    :func:`box_ap` of each class averaged over the classes :math:`\mathcal C` that have a ground truth (a class only
    predicted has no defined AP; its detections do not count, as in torchmetrics). ``mAP@0.5`` is the default.

    Args: as :func:`average_precision_per_class`.

    Example::

        >>> pred = [{"boxes": [[0., 0., 2., 2.]], "scores": [0.9], "labels": [1]}]
        >>> mean_average_precision(pred, [{"boxes": [[0., 0., 2., 2.]], "labels": [1]}])
        1.0
    """
    ap = average_precision_per_class(preds, targets, iou_threshold)
    if not ap:
        raise ValueError("mean_average_precision: the targets hold no ground-truth box, so no AP is defined")
    return float(np.mean(list(ap.values())))


def per_class_iou(pred: Any, target: Any, num_classes: int | None = None) -> np.ndarray:
    r"""Intersection over union of each class's pixels over a whole set of masks:
    :math:`IoU_c = |\{p = c\} \cap \{t = c\}| \, / \, |\{p = c\} \cup \{t = c\}|`, nan for a class in neither.

    Args:
        pred: predicted class indices ``(N, H, W)``, or scores ``(N, C, H, W)`` (the argmax over C is taken).
        target: true class indices ``(N, H, W)``.
        num_classes: C (default: the largest index seen + 1, or the scores' C).

    Shape: output ``(C,)`` float64.
    """
    op = "mean_iou"
    p, t = _array(pred, op, "pred"), _array(target, op, "target")
    if t.dtype.kind not in "iub":
        raise TypeError(f"{op}: expected integer class indices as target, got dtype {t.dtype}")
    if p.ndim == t.ndim + 1:
        num_classes = num_classes or p.shape[1]
        p = p.argmax(axis=1)
    if p.shape != t.shape:
        raise ValueError(f"{op}: expected pred of shape {t.shape} (or scores (N, C, ...)) to match target, got "
                         f"{p.shape}")
    if p.dtype.kind not in "iub":
        raise TypeError(f"{op}: expected integer class indices (or scores with a class axis) as pred, got dtype "
                        f"{p.dtype}")
    if p.size and min(p.min(), t.min()) < 0:
        raise ValueError(f"{op}: class indices must be >= 0, got a minimum of {min(p.min(), t.min())}")
    k = int(num_classes) if num_classes else int(max(p.max(initial=0), t.max(initial=0))) + 1
    if p.size and max(p.max(), t.max()) >= k:
        raise ValueError(f"{op}: class index {max(p.max(), t.max())} is out of range for num_classes={k}")
    # one bincount of (pred, target) pairs gives the confusion matrix: intersections on its diagonal
    conf = np.bincount(p.reshape(-1).astype(np.int64) * k + t.reshape(-1), minlength=k * k).reshape(k, k)
    inter = np.diag(conf).astype(np.float64)
    union = conf.sum(0) + conf.sum(1) - inter
    with np.errstate(invalid="ignore"):
        return inter / union


def mean_iou(pred: Any, target: Any, num_classes: int | None = None, ignore_index: int | None = None) -> float:
    r"""Mean intersection over union (Jaccard index) of segmentation masks: :math:`\frac{1}{|\mathcal C|}
    \sum_{c \in \mathcal C} IoU_c` (:func:`per_class_iou`, pixels pooled over the whole set) over the classes
    :math:`\mathcal C` present in the prediction or the target, leaving out ``ignore_index`` (e.g. 0 for the
    background) when given.

    Args:
        pred: class indices ``(N, H, W)`` or scores ``(N, C, H, W)``. target: class indices ``(N, H, W)``.
        num_classes: C (default: inferred). ignore_index: a class left out of the mean.

    Example::

        >>> mean_iou(np.array([[0, 1], [1, 1]]), np.array([[0, 1], [0, 1]]))   # IoU_0 = 1/2, IoU_1 = 2/3
        0.5833333333333333
    """
    iou = per_class_iou(pred, target, num_classes)
    if ignore_index is not None and 0 <= ignore_index < len(iou):
        iou[ignore_index] = np.nan
    if np.all(np.isnan(iou)):
        raise ValueError("mean_iou: no class is present in pred or target (after ignore_index)")
    return float(np.nanmean(iou))


jaccard_index = mean_iou
