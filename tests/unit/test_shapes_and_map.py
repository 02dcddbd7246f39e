"""Detection and segmentation metrics on hand-computed examples (AP, mAP, mean IoU), the synthetic shapes sets
(shapes, dtypes, seeding, masks and boxes agreeing with the drawn pixels) and YOLOv1 target encoding round-tripping
through ``yolo_decode``; and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import datasets
from chainrule.datasets import (
    ShapesDetection,
    ShapesSegmentation,
    make_detection_shapes,
    make_segmentation_shapes,
    yolo_targets,
)
from chainrule.datasets.shapes import _inside
from chainrule.models.yolo import yolo_decode
from chainrule.utils.data import DataLoader
from chainrule.vision import (
    average_precision,
    average_precision_per_class,
    box_ap,
    jaccard_index,
    mean_average_precision,
    mean_iou,
    per_class_iou,
)

A, B, C = [0.0, 0.0, 10.0, 10.0], [20.0, 20.0, 30.0, 30.0], [40.0, 0.0, 50.0, 10.0]
MISS = [60.0, 60.0, 70.0, 70.0]


def _pred(boxes: list, scores: list, labels: list) -> dict:
    return {"boxes": np.array(boxes, dtype=np.float32).reshape(-1, 4), "scores": np.array(scores, np.float32),
            "labels": np.array(labels, np.int64)}


def _target(boxes: list, labels: list) -> dict:
    return {"boxes": np.array(boxes, dtype=np.float32).reshape(-1, 4), "labels": np.array(labels, np.int64)}


# ---------------------------------------------------------------- average precision


@pytest.mark.parametrize("tp, scores, n_pos, expected", [
    ([1, 1, 1], [0.9, 0.8, 0.7], 3, 1.0),                   # perfect ranking
    ([0, 1, 1], [0.9, 0.8, 0.7], 2, 2 / 3),                 # a false positive first: P = 0, 1/2, 2/3 -> 1/2 * 2/3 * 2
    ([1, 1, 0], [0.9, 0.8, 0.7], 2, 1.0),                   # a false positive last costs nothing (all-point)
    ([1, 0], [0.9, 0.8], 2, 0.5),                           # a missed object caps the recall at 1/2
    ([1, 0, 1], [0.9, 0.8, 0.7], 2, 0.5 + 0.5 * 2 / 3),     # envelope: max precision to the right
    ([0, 1, 1], [0.7, 0.9, 0.8], 2, 1.0),                   # ranked by score, not by order of the rows
    ([], [], 1, 0.0),                                       # nothing detected
])
def test_average_precision_by_hand(tp, scores, n_pos, expected):
    assert average_precision(scores, np.array(tp, bool), n_pos) == pytest.approx(expected, abs=1e-12)


def _voc_ap(tp: np.ndarray, scores: np.ndarray, n_pos: int) -> float:
    """The PASCAL VOC devkit's VOCap (VOC 2010+), transcribed loop by loop: sentinels, envelope, recall steps."""
    order = np.argsort(-scores, kind="stable")
    hits = np.cumsum(tp[order])
    rec = [0.0] + [h / n_pos for h in hits] + [1.0]
    prec = [0.0] + [h / (k + 1) for k, h in enumerate(hits)] + [0.0]
    for i in range(len(prec) - 2, -1, -1):
        prec[i] = max(prec[i], prec[i + 1])
    return sum((rec[i] - rec[i - 1]) * prec[i] for i in range(1, len(rec)) if rec[i] != rec[i - 1])


@pytest.mark.parametrize("seed", range(5))
def test_average_precision_matches_the_voc_devkit(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 30))
    tp, scores = rng.random(k) < 0.6, rng.random(k).round(1)  # rounded: ties in score
    n_pos = max(int(tp.sum()) + int(rng.integers(0, 4)), 1)
    assert average_precision(scores, tp, n_pos) == pytest.approx(_voc_ap(tp, scores, n_pos), abs=1e-12)


def test_average_precision_without_positives_is_nan():
    assert np.isnan(average_precision([0.5], [False], 0))


def test_box_ap_perfect_false_positive_and_missed():
    gts = [[A, B]]
    assert box_ap([[A, B]], [[0.9, 0.8]], gts) == 1.0
    assert box_ap([[MISS, A, B]], [[0.95, 0.9, 0.8]], gts) == pytest.approx(2 / 3)
    assert box_ap([[A]], [[0.9]], gts) == pytest.approx(0.5)  # B missed


def test_duplicate_detections_are_false_positives():
    # A found twice: the second copy is a false positive (P = 1, 1/2, 2/3 at R = 1/2, 1/2, 1) -> 1/2 + 1/2 * 2/3
    ap = box_ap([[A, A, B]], [[0.9, 0.8, 0.7]], [[A, B]])
    assert ap == pytest.approx(0.5 + 0.5 * 2 / 3)
    assert ap == pytest.approx(average_precision([0.9, 0.8, 0.7], [True, False, True], 2))


def test_box_ap_iou_threshold_is_inclusive_and_per_image():
    half = [0.0, 0.0, 10.0, 5.0]  # IoU with A exactly 1/2
    assert box_ap([[half]], [[0.9]], [[A]], iou_threshold=0.5) == 1.0
    assert box_ap([[half]], [[0.9]], [[A]], iou_threshold=0.51) == 0.0
    # a box that would match a ground truth of another image does not
    assert box_ap([[A], []], [[0.9], []], [[], [A]]) == 0.0


def test_mean_average_precision_separates_classes():
    targets = [_target([A, B], [0, 1]), _target([C], [1])]
    perfect = [_pred([A, B], [0.9, 0.8], [0, 1]), _pred([C], [0.7], [1])]
    assert mean_average_precision(perfect, targets) == 1.0
    # the right place with the wrong label finds nothing for either class
    swapped = [_pred([A, B], [0.9, 0.8], [1, 0]), _pred([C], [0.7], [0])]
    assert mean_average_precision(swapped, targets) == 0.0
    # class 0 perfect, class 1 finds only one of its two objects; an unknown class 5 does not count
    half = [_pred([A, B, MISS], [0.9, 0.8, 0.99], [0, 1, 5]), _pred([], [], [])]
    assert average_precision_per_class(half, targets) == {0: 1.0, 1: 0.5}
    assert mean_average_precision(half, targets) == pytest.approx(0.75)


def test_metrics_accept_tensors():
    pred = {k: cr.from_numpy(v) for k, v in _pred([A, MISS], [0.9, 0.95], [2, 2]).items()}
    target = {k: cr.from_numpy(v) for k, v in _target([A], [2]).items()}
    assert mean_average_precision([pred], [target]) == pytest.approx(0.5)


# ---------------------------------------------------------------- mean IoU


def test_mean_iou_by_hand():
    pred = np.array([[[0, 1], [1, 1]]])
    target = np.array([[[0, 1], [0, 1]]])
    # class 0: 1 / 2, class 1: 2 / 3
    np.testing.assert_allclose(per_class_iou(pred, target), [0.5, 2 / 3])
    assert mean_iou(pred, target) == pytest.approx((0.5 + 2 / 3) / 2)
    assert mean_iou(pred, target, ignore_index=0) == pytest.approx(2 / 3)
    assert jaccard_index(pred, target) == mean_iou(pred, target)
    # a class in neither mask is left out; a class only predicted scores 0
    assert mean_iou(pred, target, num_classes=5) == pytest.approx((0.5 + 2 / 3) / 2)
    assert mean_iou(np.array([[[2, 1], [1, 1]]]), target) == pytest.approx((0 + 2 / 3 + 0) / 3)


def test_mean_iou_pools_pixels_over_the_set_and_takes_scores():
    pred = np.array([[[1, 1]], [[0, 0]]])
    target = np.array([[[1, 0]], [[0, 0]]])
    # class 1: 1 / 2 ; class 0: 2 / 3 (pooled over both images, not averaged per image)
    assert mean_iou(pred, target) == pytest.approx((0.5 + 2 / 3) / 2)
    scores = np.eye(2, dtype=np.float32)[pred].transpose(0, 3, 1, 2)  # one-hot scores (N, C, H, W)
    assert mean_iou(cr.from_numpy(scores), cr.from_numpy(target)) == pytest.approx(mean_iou(pred, target))


# ---------------------------------------------------------------- the shapes sets


def test_inside_draws_the_documented_shapes():
    circle = _inside(0, 4.0, 4.0, 2.0, 8)  # pixel centres within 2 of (4, 4)
    assert circle.sum() == 12 and circle[3, 3] and not circle[1, 1]
    square = _inside(1, 4.0, 4.0, 2.0, 8)  # centres 2.5..5.5 in both axes
    assert square.sum() == 16 and square[2:6, 2:6].all()
    tri = _inside(2, 4.0, 4.0, 2.0, 8)  # apex (4, 2), base y = 6 from x = 2 to 6
    assert tri.sum() == 8 and list(tri.sum(1)[2:6]) == [0, 2, 2, 4]


def test_segmentation_shapes_dtypes_and_determinism():
    x, m = make_segmentation_shapes(6, 24, generator=3)
    assert x.shape == (6, 1, 24, 24) and x.dtype == np.float32
    assert m.shape == (6, 24, 24) and m.dtype == np.int64 and m.min() == 0 and m.max() <= 3
    x2, m2 = make_segmentation_shapes(6, 24, generator=3)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(m, m2)
    assert not np.array_equal(make_segmentation_shapes(6, 24, generator=4)[1], m)
    assert all((mi > 0).any() for mi in m)  # every image holds a shape


def test_segmentation_masks_match_the_drawn_pixels():
    x, m = make_segmentation_shapes(20, 32, noise=0.0, generator=0)
    np.testing.assert_array_equal(x[:, 0] != 0, m != 0)
    assert x.min() == 0 and x[x > 0].min() >= 0.5 and x.max() <= 1.0
    x, m = make_segmentation_shapes(40, 32, max_shapes=1, noise=0.0, generator=1)
    for img, mask in zip(x[:, 0], m):  # one shape: one brightness, one class
        assert len(np.unique(img[mask > 0])) == 1 and len(np.unique(mask[mask > 0])) == 1
    assert set(np.unique(m)) == {0, 1, 2, 3}


def test_detection_boxes_are_tight_and_separate():
    x, boxes, labels = make_detection_shapes(30, 56, max_objects=3, noise=0.0, generator=0)
    assert x.shape == (30, 1, 56, 56) and x.dtype == np.float32
    covered = np.zeros((30, 56, 56), bool)
    for n, (b, lab) in enumerate(zip(boxes, labels)):
        assert b.dtype == np.float32 and lab.dtype == np.int64 and 1 <= len(b) == len(lab) <= 3
        assert set(lab.tolist()) <= {0, 1, 2}
        for x1, y1, x2, y2 in b.astype(int):
            window = x[n, 0, y1:y2, x1:x2] > 0
            # every edge row and column of the box holds a drawn pixel
            assert window[0].any() and window[-1].any() and window[:, 0].any() and window[:, -1].any()
            covered[n, y1:y2, x1:x2] = True
        for i in range(len(b)):
            for j in range(i):
                bi, bj = b[i], b[j]
                assert bi[0] >= bj[2] or bj[0] >= bi[2] or bi[1] >= bj[3] or bj[1] >= bi[3]
    assert not (x[:, 0][~covered] != 0).any()  # nothing drawn outside the boxes
    assert sum(len(b) for b in boxes) > 45  # most images hold more than one object


def test_datasets_seeded_splits_and_registry():
    train, again = ShapesSegmentation(True, n=8, seed=1), ShapesSegmentation(True, n=8, seed=1)
    test = ShapesSegmentation(False, n=8, seed=1)
    np.testing.assert_array_equal(train.data, again.data)
    assert not np.array_equal(train.data, test.data)
    image, mask = train[0]
    assert image.shape == (1, 32, 32) and image.dtype == cr.float32 and mask.shape == (32, 32)
    xb, mb = next(iter(DataLoader(train, batch_size=4)))
    assert xb.shape == (4, 1, 32, 32) and mb.shape == (4, 32, 32) and mb.dtype == cr.int64

    det = datasets.get_dataset("shapes_detection", "test", n=5, seed=2)
    assert isinstance(det, ShapesDetection) and len(det) == 5
    image, target = det[1]
    assert image.shape == (1, 56, 56) and target["boxes"].shape[1] == 4 and target["labels"].dtype == cr.int64
    assert det.yolo_targets(7).shape == (5, 7, 7, 8)
    assert {"shapes_detection", "shapes_segmentation"} <= set(datasets.list_datasets())
    seg = datasets.get_dataset("shapes_segmentation", "train", n=3, size=16, max_radius=5)
    assert seg.data.shape == (3, 1, 16, 16)


# ---------------------------------------------------------------- YOLO targets


def test_yolo_target_encoding_by_hand():
    t = yolo_targets([np.array([[10.0, 12.0, 20.0, 30.0]])], [np.array([2])], 56, S=7, num_classes=3)
    assert t.shape == (1, 7, 7, 8) and t.dtype == np.float32
    # centre (15, 21) px: grid (1.875, 2.625) -> cell row 2, column 1
    np.testing.assert_allclose(t[0, 2, 1], [0.875, 0.625, 10 / 56, 18 / 56, 1, 0, 0, 1], rtol=1e-6)
    assert t.sum() == pytest.approx(t[0, 2, 1].sum())
    # two centres in one cell: the first keeps it
    both = yolo_targets([np.array([[0.0, 0.0, 4.0, 4.0], [1.0, 1.0, 5.0, 5.0]])], [np.array([0, 1])], 56, 7, 3)
    assert both[0, 0, 0, 5:].tolist() == [1, 0, 0] and both[0, 0, 0, 4] == 1 and both[0, ..., 4].sum() == 1


def test_yolo_targets_round_trip_through_decode():
    ds = ShapesDetection(False, n=25, seed=0)
    t = ds.yolo_targets(7)
    # the "perfect" network output: predictor 0 is the target box with confidence 1, predictor 1 is silent
    pred = np.zeros((len(ds), 7, 7, 13), np.float32)
    pred[..., :5], pred[..., 10:] = t[..., :5], t[..., 5:]
    decoded = yolo_decode(cr.from_numpy(pred), conf_threshold=0.5, S=7, B=2, C=3)
    for d, b, lab in zip(decoded, ds.boxes, ds.labels):
        order = np.lexsort((b[:, 1], b[:, 0]))
        got = d["boxes"].numpy() * 56
        got_order = np.lexsort((got[:, 1], got[:, 0]))
        np.testing.assert_allclose(got[got_order], b[order], atol=1e-4)
        np.testing.assert_array_equal(d["labels"].numpy()[got_order], lab[order])
    targets = [{"boxes": b / 56, "labels": lab} for b, lab in zip(ds.boxes, ds.labels)]
    assert mean_average_precision(decoded, targets) == 1.0
    # a prediction that shifts every box by half its width loses every match at IoU 0.5
    pred[..., 0] += np.where(t[..., 4] > 0, t[..., 2] * 7 / 2, 0)
    assert mean_average_precision(yolo_decode(cr.from_numpy(pred), 0.5, S=7, B=2, C=3), targets) == 0.0


# ---------------------------------------------------------------- errors


def test_bad_inputs():
    with pytest.raises(ValueError, match="make_segmentation_shapes.*max_radius"):
        make_segmentation_shapes(2, 10, max_radius=5)
    with pytest.raises(ValueError, match="make_detection_shapes.*noise"):
        make_detection_shapes(2, noise=-1)
    with pytest.raises(ValueError, match="make_detection_shapes.*grid"):
        make_detection_shapes(2, grid=0)
    with pytest.raises(ValueError, match=r"yolo_targets.*\[0, 3\)"):
        yolo_targets([np.array([[0.0, 0.0, 4.0, 4.0]])], [np.array([3])], 56, 7, 3)
    with pytest.raises(ValueError, match="yolo_targets.*x2 <= x1"):
        yolo_targets([np.array([[5.0, 0.0, 4.0, 4.0]])], [np.array([0])], 56, 7, 3)
    with pytest.raises(ValueError, match="yolo_targets: need one labels array"):
        yolo_targets([np.zeros((0, 4))], [], 56)
    with pytest.raises(ValueError, match=r"average_precision: scores \(2,\)"):
        average_precision([0.1, 0.2], [True], 1)
    with pytest.raises(ValueError, match="num_positives"):
        average_precision([0.1, 0.2], [True, True], 1)
    with pytest.raises(ValueError, match="box_ap: iou_threshold"):
        box_ap([[A]], [[0.9]], [[A]], iou_threshold=1.5)
    with pytest.raises(ValueError, match=r"box_ap: expected pred_boxes\[0\] of shape \(K, 4\)"):
        box_ap([[[0.0, 1.0, 2.0]]], [[0.9]], [[A]])
    with pytest.raises(ValueError, match="box_ap: image 0 has 1 boxes but 2 scores"):
        box_ap([[A]], [[0.9, 0.8]], [[A]])
    with pytest.raises(ValueError, match=r"mean_average_precision: preds\[0\] must be a dict"):
        mean_average_precision([{"boxes": [A], "labels": [0]}], [_target([A], [0])])
    with pytest.raises(ValueError, match="mean_average_precision: got 1 predictions for 2"):
        mean_average_precision([_pred([A], [0.9], [0])], [_target([A], [0])] * 2)
    with pytest.raises(ValueError, match="no ground-truth box"):
        mean_average_precision([_pred([A], [0.9], [0])], [_target([], [])])
    with pytest.raises(ValueError, match=r"mean_iou: expected pred of shape \(1, 2, 2\)"):
        mean_iou(np.zeros((1, 2, 3), np.int64), np.zeros((1, 2, 2), np.int64))
    with pytest.raises(TypeError, match="mean_iou: expected integer class indices as target"):
        mean_iou(np.zeros((1, 2, 2), np.int64), np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match="out of range for num_classes=2"):
        mean_iou(np.full((1, 2, 2), 2), np.zeros((1, 2, 2), np.int64), num_classes=2)
    with pytest.raises(TypeError, match="mean_iou: expected pred to be a Tensor or an array"):
        mean_iou("mask", np.zeros((1, 2, 2), np.int64))
