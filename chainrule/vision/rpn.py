r"""Faster R-CNN region proposal parts, as torchvision's detection models: the box coder (``BoxCoder`` of
``torchvision.models.detection._utils``), the RPN head (``RPNHead``) and the proposal step of
``RegionProposalNetwork.filter_proposals`` for one image and one feature level (:func:`rpn_proposals`).

Box regression follows Girshick et al. (R-CNN, Fast R-CNN) with torchvision's conventions: a box
:math:`(x_1, y_1, x_2, y_2)` has width :math:`w = x_2 - x_1` (no ``+ 1``), height :math:`h = y_2 - y_1` and centre
:math:`(x_1 + w/2, y_1 + h/2)`; a target box :math:`g` relative to an anchor :math:`a` is

.. math:: d_x = w_x \frac{g_{cx} - a_{cx}}{a_w}, \quad d_y = w_y \frac{g_{cy} - a_{cy}}{a_h}, \quad
          d_w = w_w \log\frac{g_w}{a_w}, \quad d_h = w_h \log\frac{g_h}{a_h}.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..autograd import no_grad
from ..backend import xp
from ..nn import init
from ..nn.activation import ReLU
from ..nn.container import Sequential
from ..nn.conv import Conv2d
from ..nn.module import Module
from ..tensor import Tensor
from ..tensor.functions import cat, split, stack
from .boxes import nms

__all__ = ["BoxCoder", "RPNHead", "rpn_proposals"]


def _box_tensor(boxes: Any, op: str, name: str) -> Tensor:
    if not isinstance(boxes, Tensor):
        raise TypeError(f"{op}: expected {name} to be a Tensor, got {type(boxes).__name__}")
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"{op}: expected {name} of shape (N, 4), got {tuple(boxes.shape)}")
    return boxes


class BoxCoder:
    r"""Encode boxes as regression targets relative to reference boxes (anchors or proposals), and decode them back.

    Encoding a box :math:`g` against a reference :math:`a` (widths :math:`w = x_2 - x_1`, centres
    :math:`c_x = x_1 + w/2`, likewise in :math:`y`) with weights :math:`(w_x, w_y, w_w, w_h)`:

    .. math:: (d_x, d_y, d_w, d_h) = \left(w_x \frac{g_{cx} - a_{cx}}{a_w},\; w_y \frac{g_{cy} - a_{cy}}{a_h},\;
              w_w \log\frac{g_w}{a_w},\; w_h \log\frac{g_h}{a_h}\right)

    Decoding inverts it, with :math:`d_w, d_h` first divided by their weights and clamped from above at
    ``bbox_xform_clip`` so that :math:`\exp` cannot overflow:

    .. math:: p_{cx} = \frac{d_x}{w_x} a_w + a_{cx}, \quad p_w = \exp(\min(d_w / w_w, \text{clip}))\, a_w, \quad
              (x_1, x_2) = p_{cx} \mp \tfrac12 p_w

    (likewise in :math:`y`). ``decode_single`` is built from Tensor ops and is differentiable w.r.t. ``rel_codes``.

    Note the naming, torchvision's: in ``encode_single(reference_boxes, proposals)`` the *reference_boxes* are the
    boxes to encode (e.g. matched ground truth) and the *proposals* are the anchors they are encoded against.

    Args:
        weights: :math:`(w_x, w_y, w_w, w_h)`; Faster R-CNN uses (1, 1, 1, 1) in the RPN and (10, 10, 5, 5) in the
            box head.
        bbox_xform_clip: the largest :math:`d_w / w_w` and :math:`d_h / w_h` passed to :math:`\exp` when decoding.

    Example::

        >>> coder = BoxCoder()
        >>> anchors = chainrule.tensor([[0., 0., 10., 10.]])
        >>> coder.decode_single(coder.encode_single(chainrule.tensor([[1., 2., 5., 8.]]), anchors), anchors)
        tensor([[1.0000, 2.0000, 5.0000, 8.0000]])
    """

    def __init__(self, weights: Sequence[float] = (1.0, 1.0, 1.0, 1.0),
                 bbox_xform_clip: float = math.log(1000.0 / 16)) -> None:
        if len(weights) != 4 or not all(isinstance(w, (int, float)) and w > 0 for w in weights):
            raise ValueError(f"BoxCoder: expected weights to be four positive numbers, got {weights}")
        self.weights = tuple(float(w) for w in weights)
        self.bbox_xform_clip = float(bbox_xform_clip)

    def encode(self, reference_boxes: Sequence[Tensor], proposals: Sequence[Tensor]) -> tuple[Tensor, ...]:
        """Encode per image: ``encode_single`` on the concatenation, split back into one (N_i, 4) Tensor per image."""
        if len(reference_boxes) != len(proposals):
            raise ValueError(f"BoxCoder.encode: got {len(reference_boxes)} lists of reference_boxes for "
                             f"{len(proposals)} lists of proposals; expected one of each per image")
        counts = [_box_tensor(b, "BoxCoder.encode", "reference_boxes[i]").shape[0] for b in reference_boxes]
        targets = self.encode_single(cat(list(reference_boxes)), cat(list(proposals)))
        return split(targets, counts, 0)

    def encode_single(self, reference_boxes: Tensor, proposals: Tensor) -> Tensor:
        r"""The codes :math:`(d_x, d_y, d_w, d_h)` of ``reference_boxes`` relative to ``proposals``.

        Shape:
            - reference_boxes: :math:`(N, 4)`, proposals: :math:`(N, 4)`, both ``(x1, y1, x2, y2)``
            - output: :math:`(N, 4)`
        """
        op = "BoxCoder.encode_single"
        g = _box_tensor(reference_boxes, op, "reference_boxes")
        a = _box_tensor(proposals, op, "proposals")
        if g.shape[0] != a.shape[0]:
            raise ValueError(f"{op}: reference_boxes {tuple(g.shape)} and proposals {tuple(a.shape)} must have the "
                             f"same number of boxes")
        wx, wy, ww, wh = self.weights
        a_w, a_h = a[:, 2] - a[:, 0], a[:, 3] - a[:, 1]
        a_cx, a_cy = a[:, 0] + 0.5 * a_w, a[:, 1] + 0.5 * a_h
        g_w, g_h = g[:, 2] - g[:, 0], g[:, 3] - g[:, 1]
        g_cx, g_cy = g[:, 0] + 0.5 * g_w, g[:, 1] + 0.5 * g_h
        return stack([wx * (g_cx - a_cx) / a_w, wy * (g_cy - a_cy) / a_h,
                      ww * (g_w / a_w).log(), wh * (g_h / a_h).log()], dim=1)

    def decode(self, rel_codes: Tensor, boxes: Sequence[Tensor]) -> Tensor:
        """Decode per image: ``boxes`` is a list of (N_i, 4) references; ``rel_codes`` has :math:`\\sum_i N_i` rows
        (of :math:`4K` codes each, any leading shape that reshapes to that); returns :math:`(\\sum_i N_i, K, 4)`."""
        if not isinstance(boxes, (list, tuple)):
            raise TypeError(f"BoxCoder.decode: expected boxes to be a list of Tensors, got {type(boxes).__name__}")
        if not isinstance(rel_codes, Tensor):
            raise TypeError(f"BoxCoder.decode: expected rel_codes to be a Tensor, got {type(rel_codes).__name__}")
        total = sum(_box_tensor(b, "BoxCoder.decode", "boxes[i]").shape[0] for b in boxes)
        if total == 0 or rel_codes.numel() % (4 * total):
            raise ValueError(f"BoxCoder.decode: rel_codes of shape {tuple(rel_codes.shape)} do not hold 4K codes for "
                             f"each of the {total} boxes")
        return self.decode_single(rel_codes.reshape(total, -1), cat(list(boxes))).reshape(total, -1, 4)

    def decode_single(self, rel_codes: Tensor, boxes: Tensor) -> Tensor:
        r"""The boxes ``(x1, y1, x2, y2)`` given by codes ``rel_codes`` relative to ``boxes``.

        Shape:
            - rel_codes: :math:`(N, 4K)`: :math:`K` groups of :math:`(d_x, d_y, d_w, d_h)` per reference box
            - boxes: :math:`(N, 4)`
            - output: :math:`(N, 4K)` in the dtype of ``rel_codes``
        """
        op = "BoxCoder.decode_single"
        a = _box_tensor(boxes, op, "boxes").to(rel_codes.dtype)
        if rel_codes.ndim != 2 or rel_codes.shape[0] != a.shape[0] or rel_codes.shape[1] % 4:
            raise ValueError(f"{op}: expected rel_codes of shape ({a.shape[0]}, 4K) for boxes of shape "
                             f"{tuple(a.shape)}, got {tuple(rel_codes.shape)}")
        wx, wy, ww, wh = self.weights
        a_w, a_h = a[:, 2:3] - a[:, 0:1], a[:, 3:4] - a[:, 1:2]  # (N, 1): broadcast over the K groups
        a_cx, a_cy = a[:, 0:1] + 0.5 * a_w, a[:, 1:2] + 0.5 * a_h
        dx, dy = rel_codes[:, 0::4] / wx, rel_codes[:, 1::4] / wy
        # NOTE: clamped before exp: an untrained head can emit large dw, dh, and exp(dw) would overflow to inf
        dw = (rel_codes[:, 2::4] / ww).clamp(max=self.bbox_xform_clip)
        dh = (rel_codes[:, 3::4] / wh).clamp(max=self.bbox_xform_clip)
        cx, cy = dx * a_w + a_cx, dy * a_h + a_cy
        pw, ph = dw.exp() * a_w, dh.exp() * a_h
        return stack([cx - 0.5 * pw, cy - 0.5 * ph, cx + 0.5 * pw, cy + 0.5 * ph], dim=2).flatten(1)

    def __repr__(self) -> str:
        return f"BoxCoder(weights={self.weights}, bbox_xform_clip={self.bbox_xform_clip})"


class RPNHead(Module):
    r"""The region proposal network head of Faster R-CNN: shared 3x3 convolutions, then one objectness logit and four
    box-regression codes per anchor at every cell (torchvision's ``RPNHead``).

    .. math:: t = \mathrm{ReLU}(\mathrm{conv}_{3\times3}(x))^{\circ\,\text{conv\_depth}}, \quad
              \text{logits} = \mathrm{conv}_{1\times1}^{A}(t), \quad \text{deltas} = \mathrm{conv}_{1\times1}^{4A}(t)

    applied to each feature map with the same weights. Every convolution starts from weights
    :math:`\mathcal{N}(0, 0.01^2)` and zero bias. Parameter names match torchvision's state_dict
    (``conv.0.0.weight``, ``cls_logits.weight``, ``bbox_pred.weight``, ...), where each ``conv.i`` is a
    (Conv2d, ReLU) block.

    Args:
        in_channels: channels of the feature maps.
        num_anchors: anchors per cell, :math:`A`.
        conv_depth: number of 3x3 conv + ReLU blocks before the two 1x1 predictors.

    Shape:
        - input: a list of feature maps :math:`(N, C, H_l, W_l)`
        - output: a list of objectness maps :math:`(N, A, H_l, W_l)` and a list of box-regression maps
          :math:`(N, 4A, H_l, W_l)`, channel :math:`4a + k` is code :math:`k` of anchor :math:`a`

    Example::

        >>> head = RPNHead(16, 3)
        >>> logits, deltas = head([chainrule.randn(2, 16, 8, 8), chainrule.randn(2, 16, 4, 4)])
        >>> logits[1].shape, deltas[0].shape
        (chainrule.Size([2, 3, 4, 4]), chainrule.Size([2, 12, 8, 8]))
    """

    def __init__(self, in_channels: int, num_anchors: int, conv_depth: int = 1) -> None:
        super().__init__()
        for name, value, low in (("in_channels", in_channels, 1), ("num_anchors", num_anchors, 1),
                                 ("conv_depth", conv_depth, 0)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
                raise ValueError(f"RPNHead: expected {name} to be an int >= {low}, got {value!r}")
        self.in_channels, self.num_anchors, self.conv_depth = int(in_channels), int(num_anchors), int(conv_depth)
        self.conv = Sequential(*[Sequential(Conv2d(in_channels, in_channels, 3, padding=1), ReLU(inplace=True))
                                 for _ in range(conv_depth)])
        self.cls_logits = Conv2d(in_channels, num_anchors, 1)
        self.bbox_pred = Conv2d(in_channels, 4 * num_anchors, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for m in self.modules():
            if isinstance(m, Conv2d):
                init.normal_(m.weight, std=0.01)
                if m.bias is not None:
                    init.constant_(m.bias, 0.0)

    def forward(self, x: Sequence[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        if not isinstance(x, (list, tuple)):
            raise TypeError(f"RPNHead: expected a list of feature maps, got {type(x).__name__}")
        logits, bbox_reg = [], []
        for i, feature in enumerate(x):
            if not isinstance(feature, Tensor) or feature.ndim != 4 or feature.shape[1] != self.in_channels:
                shape = tuple(feature.shape) if isinstance(feature, Tensor) else type(feature).__name__
                raise ValueError(f"RPNHead: expected feature map {i} of shape (N, {self.in_channels}, H, W), got "
                                 f"{shape}")
            t = self.conv(feature)
            logits.append(self.cls_logits(t))
            bbox_reg.append(self.bbox_pred(t))
        return logits, bbox_reg

    def extra_repr(self) -> str:
        return f"in_channels={self.in_channels}, num_anchors={self.num_anchors}, conv_depth={self.conv_depth}"


def _flat_predictions(objectness: Any, deltas: Any, anchors: Any, op: str) -> tuple[Tensor, Tensor, Tensor]:
    """Objectness (K,), deltas (K, 4) and anchors (K, 4) with K = H * W * A in the anchors' order (cell-major, then
    anchor), from maps (A, H, W) and (4A, H, W) or from already flat (K,) and (K, 4)."""
    for name, t in (("objectness", objectness), ("pred_bbox_deltas", deltas), ("anchors", anchors)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected {name} to be a Tensor, got {type(t).__name__}")
    if objectness.ndim == 3:
        A, H, W = objectness.shape
        if deltas.ndim != 3 or tuple(deltas.shape) != (4 * A, H, W):
            raise ValueError(f"{op}: expected pred_bbox_deltas of shape ({4 * A}, {H}, {W}) for objectness of shape "
                             f"{tuple(objectness.shape)}, got {tuple(deltas.shape)}")
        objectness = objectness.permute(1, 2, 0).reshape(-1)
        deltas = deltas.reshape(A, 4, H, W).permute(2, 3, 0, 1).reshape(-1, 4)
    elif objectness.ndim == 1:
        if deltas.ndim != 2 or tuple(deltas.shape) != (objectness.shape[0], 4):
            raise ValueError(f"{op}: expected pred_bbox_deltas of shape ({objectness.shape[0]}, 4) for objectness of "
                             f"shape {tuple(objectness.shape)}, got {tuple(deltas.shape)}")
    else:
        raise ValueError(f"{op}: expected objectness of shape (A, H, W) or (K,), got {tuple(objectness.shape)}")
    if anchors.ndim != 2 or tuple(anchors.shape) != (objectness.shape[0], 4):
        raise ValueError(f"{op}: expected anchors of shape ({objectness.shape[0]}, 4), one per prediction, got "
                         f"{tuple(anchors.shape)}")
    return objectness, deltas, anchors


def rpn_proposals(objectness: Tensor, pred_bbox_deltas: Tensor, anchors: Tensor, image_size: tuple[int, int],
                  pre_nms_top_n: int, post_nms_top_n: int, nms_thresh: float = 0.7, score_thresh: float = 0.0,
                  min_size: float = 1e-3) -> tuple[Tensor, Tensor]:
    r"""Region proposals of one image from one feature level: the proposal step of torchvision's
    ``RegionProposalNetwork`` (``filter_proposals``) for a single image and a single level.

    1. decode the deltas onto the anchors with ``BoxCoder((1, 1, 1, 1))``;
    2. keep the ``pre_nms_top_n`` anchors of highest objectness logit;
    3. clip the boxes to the image, :math:`x \in [0, W]`, :math:`y \in [0, H]`;
    4. drop boxes with :math:`x_2 - x_1 < \text{min\_size}` or :math:`y_2 - y_1 < \text{min\_size}`, and boxes
       whose score :math:`\sigma(\text{logit})` is below ``score_thresh``;
    5. non-maximum suppression at ``nms_thresh``, then keep the ``post_nms_top_n`` best.

    Nothing is differentiated through (torchvision detaches the objectness and deltas here).

    Args:
        objectness: the objectness logits of one image: a map :math:`(A, H_f, W_f)` as ``RPNHead`` gives (one image
            of its output), or flat :math:`(K,)` in the anchors' order.
        pred_bbox_deltas: the box codes: a map :math:`(4A, H_f, W_f)` or flat :math:`(K, 4)`.
        anchors: the :math:`K = H_f W_f A` anchors of the level, cell-major then anchor (as ``AnchorGenerator``).
        image_size: the image's ``(height, width)``.
        pre_nms_top_n: anchors kept by objectness before NMS.
        post_nms_top_n: proposals kept after NMS.
        nms_thresh: the IoU above which NMS suppresses a box.
        score_thresh: the lowest score kept (``>=``).
        min_size: the smallest width and height kept.

    Shape:
        - output: boxes :math:`(P, 4)` and their scores :math:`(P,)` in decreasing order,
          :math:`P \le \text{post\_nms\_top\_n}`

    Example::

        >>> anchors = generate_anchors((4, 4), 16, sizes=(32,))
        >>> boxes, scores = rpn_proposals(chainrule.randn(3, 4, 4), chainrule.zeros(12, 4, 4), anchors, (64, 64),
        ...                               20, 5)
        >>> boxes.shape[0] <= 5
        True
    """
    op = "rpn_proposals"
    obj, deltas, anchors = _flat_predictions(objectness, pred_bbox_deltas, anchors, op)
    if len(image_size) != 2 or not all(s > 0 for s in image_size):
        raise ValueError(f"{op}: expected image_size as (height, width) > 0, got {image_size}")
    for name, n in (("pre_nms_top_n", pre_nms_top_n), ("post_nms_top_n", post_nms_top_n)):
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{op}: expected {name} to be a positive int, got {n!r}")
    with no_grad():
        boxes = BoxCoder().decode_single(deltas.detach(), anchors)._data
    logits = obj._data
    # NOTE: a stable descending sort, so that equal logits keep the anchor order (torch's topk leaves ties unordered)
    top = xp.argsort(-logits.astype(np.float64), kind="stable")[:min(int(pre_nms_top_n), logits.shape[0])]
    boxes, logits = boxes[top], logits[top]
    with np.errstate(over="ignore"):  # exp(-logit) overflows to inf for very negative logits: sigmoid -> 0, right
        scores = (1 / (1 + xp.exp(-logits))).astype(logits.dtype)
    height, width = image_size
    boxes = xp.stack([xp.clip(boxes[:, 0], 0, width), xp.clip(boxes[:, 1], 0, height),
                      xp.clip(boxes[:, 2], 0, width), xp.clip(boxes[:, 3], 0, height)], axis=1).astype(boxes.dtype)
    keep = ((boxes[:, 2] - boxes[:, 0]) >= min_size) & ((boxes[:, 3] - boxes[:, 1]) >= min_size)
    keep &= scores >= score_thresh
    boxes, scores = boxes[keep], scores[keep]
    kept = nms(Tensor._make(boxes, None, False), Tensor._make(scores, None, False), nms_thresh)._data
    kept = kept[:int(post_nms_top_n)]
    return Tensor._make(boxes[kept], None, False), Tensor._make(scores[kept], None, False)
