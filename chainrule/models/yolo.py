"""YOLOv1 (Redmon, Divvala, Girshick, Farhadi 2016): the network, its sum-squared loss and the decoding of its
S x S x (5B + C) output into boxes.

Layout of a prediction cell (last dimension, ``5B + C`` values): for each of the B predictors ``(x, y, w, h, conf)``
— ``x, y`` the box centre as an offset inside the cell in [0, 1], ``w, h`` the box size relative to the image — then
the C conditional class probabilities. Targets have ``5 + C`` values per cell: ``(x, y, w, h, obj)`` with
``obj`` = 1 in the cell that holds an object's centre (else 0, and the rest of the cell is ignored), then the C
class probabilities (one-hot).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import nn
from ..backend import xp
from ..tensor import Tensor
from ..vision import batched_nms
from ._registry import register_model

__all__ = ["YOLOv1", "yolo_loss", "yolo_loss_terms", "yolo_decode", "yolov1", "yolov1_tiny", "YOLOV1_CFG"]

# the paper's Figure 3: (kernel, out_channels, stride) for a convolution, "M" for a 2x2 max-pool (stride 2)
_C = tuple[int, int, int]
YOLOV1_CFG: list[_C | str] = [
    (7, 64, 2), "M",
    (3, 192, 1), "M",
    (1, 128, 1), (3, 256, 1), (1, 256, 1), (3, 512, 1), "M",
    *[(1, 256, 1), (3, 512, 1)] * 4, (1, 512, 1), (3, 1024, 1), "M",
    *[(1, 512, 1), (3, 1024, 1)] * 2, (3, 1024, 1), (3, 1024, 2),
    (3, 1024, 1), (3, 1024, 1),
]


class YOLOv1(nn.Module):
    r"""YOLOv1: a convolutional backbone (``cfg``; each convolution has a bias and leaky ReLU 0.1, padding k//2),
    flattened into a dense layer of ``hidden`` units (leaky ReLU, dropout 0.5) and a linear output of
    :math:`S \cdot S \cdot (5B + C)` values reshaped to ``(N, S, S, 5B + C)``.

    The paper's network (24 convolutions, ``hidden=4096``, 448x448x3 input, S=7, B=2, C=20) has
    :math:`60{,}155{,}968` convolution parameters, :math:`7 \cdot 7 \cdot 1024 \cdot 4096 + 4096 = 205{,}524{,}992`
    in the first dense layer and :math:`4096 \cdot 1470 + 1470 = 6{,}022{,}590` in the output: 271,703,550.

    Args:
        cfg: the backbone (see ``YOLOV1_CFG``). in_channels: image channels. input_size: image side; the backbone
        must reduce it to S. S: grid side. B: boxes per cell. num_classes: C. hidden: dense units.

    Shape: input ``(N, in_channels, input_size, input_size)``; output ``(N, S, S, 5B + C)``.
    """

    def __init__(self, cfg: Sequence[_C | str] = tuple(YOLOV1_CFG), in_channels: int = 3, input_size: int = 448,
                 S: int = 7, B: int = 2, num_classes: int = 20, hidden: int = 4096, dropout: float = 0.5) -> None:  # noqa: N803
        super().__init__()
        layers: list[nn.Module] = []
        c, side = in_channels, input_size
        for item in cfg:
            if isinstance(item, str):  # "M"
                layers.append(nn.MaxPool2d(2))
                side //= 2
            else:
                k, out, stride = item
                layers += [nn.Conv2d(c, out, k, stride=stride, padding=k // 2), nn.LeakyReLU(0.1)]
                c, side = out, (side + 2 * (k // 2) - k) // stride + 1
        if side != S:
            raise ValueError(f"YOLOv1: the backbone turns a {input_size}x{input_size} input into {side}x{side} maps, "
                             f"but the grid is S={S}")
        self.S, self.B, self.C = S, B, num_classes
        self.default_input_size = (in_channels, input_size, input_size)
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(c * S * S, hidden), nn.LeakyReLU(0.1), nn.Dropout(dropout),
                                  nn.Linear(hidden, S * S * (5 * B + num_classes)))

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).reshape(-1, self.S, self.S, 5 * self.B + self.C)


def _cell_boxes_xyxy(box: np.ndarray, S: int) -> np.ndarray:  # noqa: N803
    """(..., S, S, [B,] 4) cell-relative (x, y, w, h) -> image-relative (x1, y1, x2, y2); w, h below 0 count as 0."""
    extra = box.ndim - 4  # 1 when a predictor axis sits between the grid and the coordinates
    shape = (S, 1) + (1,) * extra
    row = np.arange(S, dtype=box.dtype).reshape(shape)
    col = np.arange(S, dtype=box.dtype).reshape((1, S) + (1,) * extra)
    cx, cy = (col + box[..., 0]) / S, (row + box[..., 1]) / S
    w, h = np.maximum(box[..., 2], 0), np.maximum(box[..., 3], 0)
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1)


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise IoU of (..., 4) xyxy boxes (0 where both are empty)."""
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    union = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1]) + (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1]) \
        - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0)


def _check(op: str, pred: Tensor, S: int, B: int, C: int) -> Tensor:  # noqa: N803
    if not isinstance(pred, Tensor):
        raise TypeError(f"{op}: expected pred to be a Tensor, got {type(pred).__name__}")
    d = 5 * B + C
    if pred.ndim == 2 and pred.shape[1] == S * S * d:
        return pred.reshape(-1, S, S, d)
    if pred.ndim != 4 or tuple(pred.shape[1:]) != (S, S, d):
        raise ValueError(f"{op}: expected pred of shape (N, {S}, {S}, {d}) or (N, {S * S * d}) for S={S}, B={B}, "
                         f"C={C}, got {tuple(pred.shape)}")
    return pred


def _signed_sqrt(t: Tensor) -> Tensor:
    # NOTE: a raw linear output can be negative; sign(t) sqrt(|t| + eps) keeps the paper's sqrt for w, h >= 0, stays
    # finite (eps) at 0 and still pushes a negative prediction up
    return t.sign() * (t.abs() + 1e-9).sqrt()


def yolo_loss_terms(pred: Tensor, target: Tensor, S: int = 7, B: int = 2, C: int = 20, lambda_coord: float = 5.0,  # noqa: N803
                    lambda_noobj: float = 0.5, conf_target: str = "iou") -> dict[str, Tensor]:
    r"""The four weighted terms of the YOLOv1 loss, each summed over cells and averaged over the batch.

    With :math:`\mathbb{1}^{obj}_{ij}` = cell i holds an object and predictor j is responsible for it (the highest
    IoU with the target box; the first on ties) and :math:`\mathbb{1}^{noobj}_{ij} = 1 - \mathbb{1}^{obj}_{ij}`
    (as darknet: a non-responsible predictor in an object's cell is pushed to 0 too):

    - ``coord`` :math:`= \lambda_{coord} \sum_{ij} \mathbb{1}^{obj}_{ij} [(x - \hat x)^2 + (y - \hat y)^2 +
      (\sqrt w - \sqrt{\hat w})^2 + (\sqrt h - \sqrt{\hat h})^2]`
    - ``obj`` :math:`= \sum_{ij} \mathbb{1}^{obj}_{ij} (c_{ij} - \hat c_{ij})^2` with :math:`\hat c` the IoU of the
      predicted and target boxes, a constant (``conf_target="iou"``, the paper), or 1 (``"one"``)
    - ``noobj`` :math:`= \lambda_{noobj} \sum_{ij} \mathbb{1}^{noobj}_{ij} c_{ij}^2`
    - ``class`` :math:`= \sum_i \mathbb{1}^{obj}_i \sum_c (p_i(c) - \hat p_i(c))^2`

    Args:
        pred: network output. target: see the module docstring. S, B, C: grid, boxes per cell, classes.
        lambda_coord, lambda_noobj: the paper's 5 and 0.5. conf_target: ``"iou"`` or ``"one"``.

    Shape: pred ``(N, S, S, 5B + C)`` or ``(N, S*S*(5B + C))``; target ``(N, S, S, 5 + C)``; each term a scalar.
    """
    pred = _check("yolo_loss", pred, S, B, C)
    if not isinstance(target, Tensor) or tuple(target.shape) != (pred.shape[0], S, S, 5 + C):
        got = tuple(target.shape) if isinstance(target, Tensor) else type(target).__name__
        raise ValueError(f"yolo_loss: expected target of shape ({pred.shape[0]}, {S}, {S}, {5 + C}), got {got}")
    if conf_target not in ("iou", "one"):
        raise ValueError(f"yolo_loss: conf_target must be 'iou' or 'one', got {conf_target!r}")
    n, dt = pred.shape[0], pred._data.dtype
    boxes = pred[..., :5 * B].reshape(n, S, S, B, 5)
    t = target._data.astype(dt, copy=False)
    obj_cell = (t[..., 4] > 0).astype(dt)  # (N, S, S)
    # responsible predictor: highest IoU with the cell's target box (no gradient through the choice)
    ious = _iou(_cell_boxes_xyxy(boxes._data[..., :4], S), _cell_boxes_xyxy(t[..., None, :4], S))  # (N, S, S, B)
    best = np.argmax(ious, axis=-1)
    resp = (np.arange(B) == best[..., None]).astype(dt) * obj_cell[..., None]  # (N, S, S, B)
    r = Tensor._make(xp.asarray(resp), None, False)
    tb = Tensor._make(xp.asarray(np.broadcast_to(t[..., None, :4], boxes.shape[:-1] + (4,)).copy()), None, False)
    dxy = boxes[..., :2] - tb[..., :2]
    dwh = _signed_sqrt(boxes[..., 2:4]) - tb[..., 2:4].sqrt()
    coord = ((dxy * dxy).sum(-1) + (dwh * dwh).sum(-1)) * r
    c_hat = ious.astype(dt) if conf_target == "iou" else np.ones_like(ious)
    conf = boxes[..., 4]
    dc = conf - Tensor._make(xp.asarray(c_hat), None, False)
    dp = pred[..., 5 * B:] - Tensor._make(xp.asarray(t[..., 5:]), None, False)
    o = Tensor._make(xp.asarray(obj_cell), None, False)
    inv_n = 1.0 / n
    return {
        "coord": coord.sum() * (lambda_coord * inv_n),
        "obj": (dc * dc * r).sum() * inv_n,
        "noobj": (conf * conf * (1.0 - r)).sum() * (lambda_noobj * inv_n),
        "class": ((dp * dp).sum(-1) * o).sum() * inv_n,
    }


def yolo_loss(pred: Tensor, target: Tensor, S: int = 7, B: int = 2, C: int = 20, lambda_coord: float = 5.0,  # noqa: N803
              lambda_noobj: float = 0.5, conf_target: str = "iou") -> Tensor:
    r"""The YOLOv1 sum-squared loss, :math:`\text{coord} + \text{obj} + \text{noobj} + \text{class}` (see
    :func:`yolo_loss_terms`), summed over the grid as in the paper and averaged over the batch.

    Shape: pred ``(N, S, S, 5B + C)`` or ``(N, S*S*(5B + C))``; target ``(N, S, S, 5 + C)``; output a scalar.
    """
    terms = yolo_loss_terms(pred, target, S, B, C, lambda_coord, lambda_noobj, conf_target)
    return terms["coord"] + terms["obj"] + terms["noobj"] + terms["class"]


def yolo_decode(pred: Tensor, conf_threshold: float = 0.2, iou_threshold: float = 0.5, S: int = 7, B: int = 2,  # noqa: N803
                C: int = 20) -> list[dict[str, Tensor]]:  # noqa: N803
    r"""Boxes from a YOLOv1 output: every (predictor, class) pair scores
    :math:`\text{conf}_{ij} \cdot p_i(c)` (class-specific confidence); pairs scoring above ``conf_threshold`` are
    kept, then non-maximum suppression per class (:func:`chainrule.vision.batched_nms`, IoU > ``iou_threshold``).

    Returns one dict per image with ``boxes`` (K, 4) in image-relative ``(x1, y1, x2, y2)`` (multiply by the image
    size for pixels), ``scores`` (K,) in decreasing order and ``labels`` (K,) int64.

    Shape: pred ``(N, S, S, 5B + C)`` or ``(N, S*S*(5B + C))``.
    """
    pred = _check("yolo_decode", pred, S, B, C)
    p = pred._data
    n = p.shape[0]
    boxes = p[..., :5 * B].reshape(n, S, S, B, 5)
    xyxy = _cell_boxes_xyxy(boxes[..., :4], S)  # (N, S, S, B, 4)
    scores = boxes[..., 4, None] * p[..., None, 5 * B:]  # (N, S, S, B, C)
    out = []
    for i in range(n):  # images have different numbers of boxes
        sc = scores[i].reshape(-1, C)
        keep_box, label = np.nonzero(sc > conf_threshold)
        bx = xyxy[i].reshape(-1, 4)[keep_box]
        s = sc[keep_box, label]
        keep = batched_nms(Tensor._make(bx, None, False), Tensor._make(s, None, False),
                           Tensor._make(label.astype(np.int64), None, False), iou_threshold)._data
        out.append({"boxes": Tensor._make(bx[keep], None, False), "scores": Tensor._make(s[keep], None, False),
                    "labels": Tensor._make(label[keep].astype(np.int64), None, False)})
    return out


@register_model
def yolov1(num_classes: int = 20, in_channels: int = 3, S: int = 7, B: int = 2) -> YOLOv1:  # noqa: N803
    """YOLOv1 as in the paper (448x448 input, 24 convolutions, 4096-unit dense layer): 271,703,550 parameters."""
    return YOLOv1(YOLOV1_CFG, in_channels, 448, S, B, num_classes, 4096)


@register_model
def yolov1_tiny(num_classes: int = 20, in_channels: int = 3, S: int = 7, B: int = 2, input_size: int = 56,  # noqa: N803
                width: int = 8, hidden: int = 64, dropout: float = 0.5) -> YOLOv1:
    """YOLOv1's head on a small backbone: per halving of ``input_size`` down to S a 3x3 convolution (``width``
    channels, doubling) and a 2x2 max-pool, then a 1x1 and a 3x3 convolution; ``input_size / S`` a power of 2.
    ``dropout`` before the output layer (the paper's 0.5; a small ``hidden`` layer trains better without it)."""
    ratio = input_size // S
    if input_size % S or ratio < 1 or ratio & (ratio - 1):
        raise ValueError(f"yolov1_tiny: input_size / S must be a power of 2, got input_size={input_size}, S={S}")
    cfg: list[Any] = []
    c = width
    for _ in range(int(np.log2(ratio))):
        cfg += [(3, c, 1), "M"]
        c *= 2
    cfg += [(1, c // 2, 1), (3, c, 1)]
    return YOLOv1(cfg, in_channels, input_size, S, B, num_classes, hidden, dropout)
