"""Detection and segmentation helpers, as ``torchvision.ops``: box IoU and conversion, (batched) non-maximum
suppression, RoI max pooling and Faster R-CNN anchors."""

from . import anchors, boxes, ops
from .anchors import AnchorGenerator, generate_anchors
from .ops import RoIPool, batched_nms, box_area, box_convert, box_iou, nms, roi_pool

__all__ = ["AnchorGenerator", "generate_anchors", "RoIPool", "roi_pool", "nms", "batched_nms", "box_area", "box_iou",
           "box_convert"]
