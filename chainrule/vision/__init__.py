"""Detection and segmentation helpers, as ``torchvision.ops``: box IoU and conversion, (batched) non-maximum
suppression, RoI max pooling, Faster R-CNN anchors and region proposal parts (BoxCoder, RPNHead); detection (AP,
mAP) and segmentation (mean IoU) metrics."""

from . import anchors, boxes, metrics, ops, rpn
from .anchors import AnchorGenerator, generate_anchors
from .metrics import (
    average_precision,
    average_precision_per_class,
    box_ap,
    jaccard_index,
    mean_average_precision,
    mean_iou,
    per_class_iou,
)
from .ops import RoIPool, batched_nms, box_area, box_convert, box_iou, nms, roi_pool
from .rpn import BoxCoder, RPNHead, rpn_proposals

__all__ = ["AnchorGenerator", "generate_anchors", "RoIPool", "roi_pool", "nms", "batched_nms", "box_area", "box_iou",
           "box_convert", "average_precision", "average_precision_per_class", "box_ap", "jaccard_index",
           "mean_average_precision", "mean_iou", "per_class_iou", "BoxCoder", "RPNHead", "rpn_proposals"]
