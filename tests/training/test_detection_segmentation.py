"""Issue 7's dense-prediction proofs on the synthetic shapes sets (chainrule.datasets.shapes), fixed seeds:

- a small U-Net (unet_small: base width 8, depth 2, padded convolutions so the output is the input's 32x32) reaches a
  mean IoU >= 0.8 over the four classes (background, circle, square, triangle), and >= 0.8 over the three shapes
  alone;
- a small YOLOv1 (yolov1_tiny: the paper's head and loss on a 5-convolution backbone, 56x56 input, S = 7, B = 2,
  C = 3) reaches mAP@0.5 >= 0.5.

The recipes (Adam with a one-cycle schedule; the number of images, epochs, learning rate, the head's dropout) were
picked in a handful of trial runs scored on 200 held-out images of the seed-0 test stream, which thus served as the
validation set; more images beat more epochs at equal cost. The tests score 200 fresh images of the seed-1 test
stream, never seen while tuning.
"""

from __future__ import annotations

import resource
from typing import Any, Callable

import numpy as np
import pytest

import chainrule as cr
from chainrule import models, nn, optim
from chainrule.datasets import ShapesDetection, ShapesSegmentation
from chainrule.models.yolo import yolo_decode, yolo_loss
from chainrule.optim import lr_scheduler
from chainrule.utils.data import DataLoader, TensorDataset
from chainrule.vision import mean_average_precision, mean_iou, per_class_iou


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _train(model: nn.Module, x: np.ndarray, y: np.ndarray, loss_fn: Callable[[Any, Any], Any], epochs: int,
           lr: float, batch_size: int) -> None:
    """Adam with a one-cycle learning rate stepped every batch, shuffled batches from a seeded generator."""
    loader = DataLoader(TensorDataset(cr.from_numpy(x), cr.from_numpy(y)), batch_size=batch_size, shuffle=True,
                        generator=cr.Generator().manual_seed(0))
    opt = optim.Adam(model.parameters(), lr=lr)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * len(loader))
    model.train()
    for _ in range(epochs):
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    model.eval()


# CPU: ~40 s at one thread (loaded machine; data generation included): 2,000 training images, 8 epochs of 125 batches
@pytest.mark.slow
def test_unet_segments_shapes_to_mean_iou_0_8() -> None:
    c0 = _cpu()
    train, test = ShapesSegmentation(True, n=2000, size=32, seed=0), ShapesSegmentation(False, n=200, size=32, seed=1)
    cr.manual_seed(0)
    model = models.create_model("unet_small", num_classes=4, base_width=8, depth=2, padding=1)
    _train(model, train.data, train.targets, nn.functional.cross_entropy, epochs=8, lr=1e-2, batch_size=16)
    with cr.no_grad():
        scores = model(cr.from_numpy(test.data))
    assert tuple(scores.shape) == (200, 4, 32, 32)
    miou, fg = mean_iou(scores, test.targets), mean_iou(scores, test.targets, ignore_index=0)
    print(f"\nU-Net on shapes: mean IoU {miou:.3f} (shapes only {fg:.3f}; per class "
          f"{np.round(per_class_iou(scores, test.targets), 3).tolist()}), {_cpu() - c0:.1f} s CPU")
    assert miou >= 0.8 and fg >= 0.8, f"mean IoU {miou:.3f}, shapes only {fg:.3f}: below 0.8"


# CPU: ~50 s at one thread (loaded machine; data generation included): 4,000 training images, 10 epochs of 125 batches
@pytest.mark.slow
def test_yolov1_tiny_detects_shapes_to_map_0_5() -> None:
    c0 = _cpu()
    train, test = ShapesDetection(True, n=4000, seed=0), ShapesDetection(False, n=200, seed=1)
    cr.manual_seed(0)
    # NOTE: the head's dropout (0.5, the paper's, on its 4096 units) is switched off: on a 64-unit layer it leaves too
    # little capacity for this budget (the same recipe with it reached mAP@0.5 0.33 instead of 0.76 on a trial run)
    model = models.create_model("yolov1_tiny", num_classes=3, in_channels=1, input_size=56, width=8, hidden=64,
                                dropout=0.0)
    _train(model, train.data, train.yolo_targets(7), lambda out, t: yolo_loss(out, t, S=7, B=2, C=3), epochs=10,
           lr=3e-3, batch_size=32)
    with cr.no_grad():
        out = model(cr.from_numpy(test.data))
    # a low confidence threshold: AP ranks detections, so the low-confidence tail can only add recall
    preds = yolo_decode(out, conf_threshold=0.05, iou_threshold=0.5, S=7, B=2, C=3)
    targets = [{"boxes": b / test.size, "labels": lab} for b, lab in zip(test.boxes, test.labels)]
    m_ap = mean_average_precision(preds, targets, iou_threshold=0.5)
    print(f"\nYOLOv1-tiny on shapes: mAP@0.5 {m_ap:.3f} on {sum(len(b) for b in test.boxes)} objects, "
          f"{_cpu() - c0:.1f} s CPU")
    assert m_ap >= 0.5, f"mAP@0.5 {m_ap:.3f} below 0.5"
