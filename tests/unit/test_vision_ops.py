"""chainrule.vision against hand-computed examples and plain-loop references (torchvision is not installable here):
box IoU / area / conversion (values, symmetry, gradients vs the same formula in torch), greedy and batched NMS vs a
double-loop reference, roi_pool vs a loop over torchvision's legacy rounding rule (values, argmax-scatter gradient,
gradcheck), Faster R-CNN anchors vs base anchors worked out by hand; dtypes and the errors."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.vision import (
    AnchorGenerator,
    RoIPool,
    batched_nms,
    box_area,
    box_convert,
    box_iou,
    generate_anchors,
    nms,
    roi_pool,
)
from tests.helpers import assert_close


def _random_boxes(rng: np.random.Generator, n: int, dtype: str = "float64", span: float = 10.0) -> np.ndarray:
    xy = rng.uniform(0, span, (n, 2))
    wh = rng.uniform(0.5, span / 2, (n, 2))
    return np.concatenate([xy, xy + wh], axis=1).astype(dtype)


def _iou_ref(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two boxes, written out with Python floats."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


# ----------------------------------------------------------------- IoU, area, conversion
@pytest.mark.parametrize("b1, b2, expected", [
    ([0, 0, 2, 2], [0, 0, 2, 2], 1.0),  # identical
    ([0, 0, 1, 1], [2, 2, 3, 3], 0.0),  # disjoint
    ([0, 0, 1, 1], [1, 0, 2, 1], 0.0),  # touching along an edge: zero-area intersection
    ([0, 0, 2, 2], [1, 0, 3, 2], 1 / 3),  # half of each overlaps: 2 / (4 + 4 - 2)
    ([0, 0, 4, 4], [1, 1, 3, 3], 0.25),  # containment: 4 / 16
    ([0, 0, 2, 4], [1, 1, 3, 2], 1 / 9),  # inter 1x1, union 8 + 2 - 1
], ids=["identical", "disjoint", "touching", "half", "contained", "partial"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_box_iou_hand_examples(b1, b2, expected, dtype) -> None:
    out = box_iou(cr.tensor([b1], dtype=getattr(cr, dtype)), cr.tensor([b2], dtype=getattr(cr, dtype)))
    assert out.shape == (1, 1) and out.dtype == getattr(cr, dtype)
    np.testing.assert_allclose(out.numpy()[0, 0], expected, rtol=1e-6)
    np.testing.assert_allclose(box_iou(cr.tensor([b2], dtype=getattr(cr, dtype)),
                                       cr.tensor([b1], dtype=getattr(cr, dtype))).numpy()[0, 0], expected, rtol=1e-6)


def test_box_iou_random_vs_double_loop_and_symmetric() -> None:
    rng = np.random.default_rng(0)
    a, b = _random_boxes(rng, 7), _random_boxes(rng, 5)
    out = box_iou(cr.tensor(a), cr.tensor(b)).numpy()
    ref = np.array([[_iou_ref(p, q) for q in b] for p in a])
    assert out.shape == (7, 5) and 0 < (ref > 0).mean() < 1  # some pairs overlap, some do not
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(box_iou(cr.tensor(b), cr.tensor(a)).numpy(), out.T, rtol=1e-12)
    np.testing.assert_allclose(np.diag(box_iou(cr.tensor(a), cr.tensor(a)).numpy()), 1.0, rtol=1e-12)


def test_box_iou_integer_boxes_give_float32_and_empty_sets() -> None:
    out = box_iou(cr.tensor([[0, 0, 2, 2]]), cr.tensor([[1, 0, 3, 2]]))
    assert out.dtype == cr.float32
    np.testing.assert_allclose(out.numpy(), [[1 / 3]], rtol=1e-6)
    assert box_iou(cr.zeros(0, 4), cr.zeros(3, 4)).shape == (0, 3)
    point = cr.tensor([[1.0, 1.0, 1.0, 1.0]])  # zero area: 0 / 0 is nan, as torchvision
    assert np.isnan(box_iou(point, point).item())


def _torch_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The IoU equation in torch ops (the reference for gradients)."""
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    wh = (torch.minimum(a[:, None, 2:], b[:, 2:]) - torch.maximum(a[:, None, :2], b[:, :2])).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area_a[:, None] + area_b - inter)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_box_iou_gradients_match_torch(dtype: str) -> None:
    rng = np.random.default_rng(1)
    a, b = _random_boxes(rng, 6, dtype), _random_boxes(rng, 4, dtype)
    ca, cb = cr.tensor(a, requires_grad=True), cr.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out, tout = box_iou(ca, cb), _torch_iou(ta, tb)
    assert_close(out, tout)
    g = rng.standard_normal((6, 4)).astype(dtype)
    out.backward(cr.tensor(g))
    tout.backward(torch.from_numpy(g))
    assert_close(ca.grad, ta.grad, "grad")
    assert_close(cb.grad, tb.grad, "grad")
    if dtype == "float64":
        small = (cr.tensor(a[:3], requires_grad=True), cr.tensor(b[:2], requires_grad=True))
        assert cr.autograd.gradcheck(box_iou, small)


def test_box_area() -> None:
    out = box_area(cr.tensor([[0.0, 0.0, 2.0, 3.0], [1.0, 1.0, 1.5, 5.0], [2.0, 2.0, 2.0, 4.0]]))
    np.testing.assert_allclose(out.numpy(), [6.0, 2.0, 0.0])
    assert box_area(cr.tensor([[0.0, 0.0, 2.0, 3.0]], dtype=cr.float32)).dtype == cr.float32


def test_box_convert_hand_examples_and_round_trips() -> None:
    xyxy = cr.tensor([[1.0, 2.0, 5.0, 8.0]])
    expected = {"xyxy": [1, 2, 5, 8], "xywh": [1, 2, 4, 6], "cxcywh": [3, 5, 4, 6]}
    for fin, vin in expected.items():
        for fout, vout in expected.items():
            out = box_convert(cr.tensor([vin], dtype=cr.float32), fin, fout)
            assert out.dtype == cr.float32
            np.testing.assert_allclose(out.numpy(), [vout], err_msg=f"{fin} -> {fout}")
    assert box_convert(xyxy, "xyxy", "xyxy") is not xyxy
    boxes = cr.tensor(_random_boxes(np.random.default_rng(2), 5), requires_grad=True)
    for fmt in ("xywh", "cxcywh"):
        back = box_convert(box_convert(boxes, "xyxy", fmt), fmt, "xyxy")
        np.testing.assert_allclose(back.detach().numpy(), boxes.detach().numpy(), rtol=1e-12)
        assert cr.autograd.gradcheck(lambda b, f=fmt: box_convert(b, f, "xyxy"), (boxes,))


# ----------------------------------------------------------------- NMS
def _nms_ref(b: np.ndarray, s: np.ndarray, thr: float) -> list[int]:
    """Greedy NMS as a double loop: visit boxes by decreasing score, each kept box suppresses later ones."""
    order = sorted(range(len(s)), key=lambda i: -s[i])  # sorted() is stable: ties stay in index order
    suppressed = [False] * len(s)
    keep = []
    for a, i in enumerate(order):
        if suppressed[i]:
            continue
        keep.append(i)
        for j in order[a + 1:]:
            if not suppressed[j] and _iou_ref(b[i], b[j]) > thr:
                suppressed[j] = True
    return keep


def test_nms_hand_traced() -> None:
    boxes = cr.tensor([
        [0.0, 0.0, 10.0, 10.0],  # 0: score 0.9 -> kept first
        [1.0, 1.0, 11.0, 11.0],  # 1: IoU with 0 = 81 / 119 = 0.68 -> suppressed by 0
        [0.0, 0.0, 10.0, 5.0],  # 2: IoU with 0 = 50 / 100 = 0.5 -> not > 0.5, kept
        [20.0, 20.0, 30.0, 30.0],  # 3: disjoint from all -> kept
        [21.0, 20.0, 31.0, 30.0],  # 4: IoU with 3 = 90 / 110 = 0.82 -> suppressed by 3
    ])
    scores = cr.tensor([0.9, 0.8, 0.7, 0.6, 0.95])
    # by score: 4 (0.95) kept; 0 (0.9) kept; 1 suppressed by 0; 2 kept (0.5); 3 suppressed by 4 (IoU 0.82)
    keep = nms(boxes, scores, 0.5)
    assert keep.dtype == cr.int64
    assert keep.tolist() == [4, 0, 2]
    assert nms(boxes, scores, 0.0).tolist() == [4, 0]  # any positive overlap suppresses: 2 overlaps 0
    assert nms(boxes, scores, 1.0).tolist() == [4, 0, 1, 2, 3]  # IoU never exceeds 1: all kept, by score
    assert nms(boxes, scores, 0.45).tolist() == [4, 0]  # 0.5 > 0.45: box 2 goes too


def test_nms_threshold_one_keeps_identical_boxes_and_ties_in_index_order() -> None:
    boxes = cr.tensor([[0.0, 0.0, 1.0, 1.0]] * 3)
    assert nms(boxes, cr.tensor([0.5, 0.7, 0.5]), 1.0).tolist() == [1, 0, 2]  # IoU 1 is not > 1
    assert nms(boxes, cr.tensor([0.5, 0.7, 0.5]), 0.99).tolist() == [1]
    assert nms(boxes, cr.tensor([0.5, 0.5, 0.5]), 0.5).tolist() == [0]  # equal scores: the lowest index wins


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("thr", [0.0, 0.2, 0.5, 0.8])
def test_nms_random_vs_double_loop(seed: int, thr: float) -> None:
    rng = np.random.default_rng(seed)
    b, s = _random_boxes(rng, 40), rng.random(40)
    keep = nms(cr.tensor(b), cr.tensor(s), thr).tolist()
    assert keep == _nms_ref(b, s, thr)
    assert np.all(np.diff(s[keep]) <= 0)  # decreasing score


def test_nms_float32_and_empty() -> None:
    rng = np.random.default_rng(5)
    b, s = _random_boxes(rng, 20, "float32"), rng.random(20).astype(np.float32)
    keep = nms(cr.tensor(b), cr.tensor(s), 0.5)
    assert keep.dtype == cr.int64 and keep.tolist() == _nms_ref(b.astype(np.float64), s, 0.5)
    empty = nms(cr.zeros(0, 4), cr.zeros(0), 0.5)
    assert empty.shape == (0,) and empty.dtype == cr.int64


def test_batched_nms_keeps_overlapping_boxes_of_different_classes() -> None:
    boxes = cr.tensor([[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 11.0, 11.0], [0.0, 0.0, 10.0, 10.0]])
    scores = cr.tensor([0.9, 0.8, 0.7])
    assert nms(boxes, scores, 0.5).tolist() == [0]
    assert batched_nms(boxes, scores, cr.tensor([0, 1, 2]), 0.5).tolist() == [0, 1, 2]  # three classes: all kept
    assert batched_nms(boxes, scores, cr.tensor([0, 1, 0]), 0.5).tolist() == [0, 1]  # 2 is suppressed by 0 only
    assert batched_nms(boxes, scores, cr.tensor([1, 0, 0]), 0.5).tolist() == [0, 1]  # 2 is suppressed by 1
    assert batched_nms(boxes, scores, cr.tensor([3, 3, 3]), 0.5).tolist() == [0]


@pytest.mark.parametrize("seed", range(3))
def test_batched_nms_random_vs_per_class_loop(seed: int) -> None:
    rng = np.random.default_rng(10 + seed)
    b, s, c = _random_boxes(rng, 50), rng.random(50), rng.integers(0, 3, 50)
    kept = [i for k in range(3) for i in np.flatnonzero(c == k)[_nms_ref(b[c == k], s[c == k], 0.4)]]
    expected = sorted(kept, key=lambda i: (-s[i], i))
    out = batched_nms(cr.tensor(b), cr.tensor(s), cr.tensor(c), 0.4)
    assert out.dtype == cr.int64 and out.tolist() == expected
    assert len(expected) > len(_nms_ref(b, s, 0.4))  # the classes really do keep more than plain NMS


# ----------------------------------------------------------------- RoI pooling
def _round_away(v: float) -> int:
    return int(math.copysign(math.floor(abs(v) + 0.5), v))


def _roi_pool_ref(x: np.ndarray, rois: np.ndarray, ph: int, pw: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """torchvision's legacy RoI pooling as a plain loop: output and the flat input index of every bin's max."""
    N, C, H, W = x.shape
    dt = x.dtype.type
    out = np.zeros((len(rois), C, ph, pw), dtype=x.dtype)
    arg = np.full(out.shape, -1)
    for k, (b, *corners) in enumerate(rois):
        x1, y1, x2, y2 = (_round_away(float(dt(v) * dt(scale))) for v in corners)
        rh, rw = max(y2 - y1 + 1, 1), max(x2 - x1 + 1, 1)
        bh, bw = dt(rh) / dt(ph), dt(rw) / dt(pw)
        for i in range(ph):
            h0 = min(max(math.floor(dt(i) * bh) + y1, 0), H)
            h1 = min(max(math.ceil(dt(i + 1) * bh) + y1, 0), H)
            for j in range(pw):
                w0 = min(max(math.floor(dt(j) * bw) + x1, 0), W)
                w1 = min(max(math.ceil(dt(j + 1) * bw) + x1, 0), W)
                for c in range(C):
                    best, where = -np.inf, -1
                    for u in range(h0, h1):
                        for v in range(w0, w1):
                            if x[int(b), c, u, v] > best:
                                best, where = x[int(b), c, u, v], ((int(b) * C + c) * H + u) * W + v
                    out[k, c, i, j] = best if where >= 0 else 0
                    arg[k, c, i, j] = where
    return out, arg


X44 = [[1.0, 9.0, 2.0, 0.0],
       [4.0, 3.0, 8.0, 5.0],
       [7.0, 6.0, 15.0, 11.0],
       [12.0, 14.0, 10.0, 13.0]]


def test_roi_pool_hand_example_4x4() -> None:
    leaf = cr.tensor(X44, requires_grad=True)
    x = leaf.reshape(1, 1, 4, 4)
    # whole map, 2x2: bins are the four 2x2 quadrants
    np.testing.assert_array_equal(roi_pool(x, cr.tensor([[0.0, 0.0, 0.0, 3.0, 3.0]]), 2).detach().numpy()[0, 0],
                                  [[9, 8], [14, 15]])
    # scale 0.5: (2, 2, 9, 9) -> corners round(1.0) = 1, round(4.5) = 5 (half away from zero), size 5 x 5, bins of
    # 2.5: rows/cols [0, 3) and [2, 5), shifted by 1 -> [1, 4) and [3, 6) clipped to [3, 4)
    out = roi_pool(x, cr.tensor([[0.0, 2.0, 2.0, 9.0, 9.0]]), (2, 2), spatial_scale=0.5)
    np.testing.assert_array_equal(out.detach().numpy()[0, 0], [[15, 13], [14, 13]])
    out.backward(cr.ones(1, 1, 2, 2))
    # maxima: 15 at (2, 2), 13 at (3, 3) for two bins, 14 at (3, 1)
    expected = np.zeros((4, 4))
    expected[2, 2], expected[3, 3], expected[3, 1] = 1, 2, 1
    np.testing.assert_array_equal(leaf.grad.numpy(), expected)


def test_roi_pool_empty_bins_are_zero_and_thin_regions() -> None:
    x = -cr.arange(1.0, 17.0).reshape(1, 1, 4, 4)  # all negative: an empty bin must give 0, not a max
    off = roi_pool(x, cr.tensor([[0.0, 10.0, 10.0, 12.0, 12.0]]), 2)
    np.testing.assert_array_equal(off.numpy(), np.zeros((1, 1, 2, 2)))
    # a one-pixel region (x1 = x2 = 1, y1 = y2 = 2) pooled to 2x2: every bin [0, 1) of size 1/2 covers that pixel
    one = roi_pool(x, cr.tensor([[0.0, 1.0, 2.0, 1.0, 2.0]]), 2)
    np.testing.assert_array_equal(one.numpy(), np.full((1, 1, 2, 2), -10.0))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("output_size, scale", [((2, 2), 1.0), ((3, 2), 0.5), ((1, 4), 0.25), ((7, 7), 0.5)])
def test_roi_pool_random_vs_loop_reference(dtype: str, output_size: tuple[int, int], scale: float) -> None:
    rng = np.random.default_rng(3)
    x = rng.permutation(2 * 3 * 9 * 8).reshape(2, 3, 9, 8).astype(dtype) / 7  # distinct values: no ties
    corners = _random_boxes(rng, 6, span=16 / scale / 2)
    rois = np.concatenate([rng.integers(0, 2, (6, 1)), corners], axis=1).astype(dtype)
    ref, arg = _roi_pool_ref(x, rois, *output_size, scale)
    xt = cr.tensor(x, requires_grad=True)
    out = roi_pool(xt, cr.tensor(rois), output_size, scale)
    assert out.dtype == getattr(cr, dtype)
    np.testing.assert_array_equal(out.detach().numpy(), ref)
    g = rng.standard_normal(ref.shape).astype(dtype)
    out.backward(cr.tensor(g))
    expected = np.zeros(x.size, dtype=dtype)
    np.add.at(expected, arg[arg >= 0], g[arg >= 0])  # the reference scatter: each bin's gradient to its argmax
    assert xt.grad.dtype == getattr(cr, dtype)
    assert_close(xt.grad, expected.reshape(x.shape), "grad")


def test_roi_pool_small_chunks_give_the_same_result(monkeypatch) -> None:
    """Regions are pooled in groups of equal bin size and chunks; a tiny chunk budget must not change the result."""
    rng = np.random.default_rng(7)
    x = rng.permutation(2 * 2 * 12 * 12).reshape(2, 2, 12, 12).astype(np.float64)
    rois = np.concatenate([rng.integers(0, 2, (9, 1)), _random_boxes(rng, 9, span=12)], axis=1)
    rois[0, 1:] = [0.0, 0.0, 11.0, 11.0]  # one large region among small ones
    ref, _ = _roi_pool_ref(x, rois, 3, 3, 1.0)
    monkeypatch.setattr(cr.vision.ops, "_CHUNK", 1)
    np.testing.assert_array_equal(roi_pool(cr.tensor(x), cr.tensor(rois), 3).numpy(), ref)


def test_roi_pool_list_of_boxes_matches_tensor_form_and_module() -> None:
    rng = np.random.default_rng(4)
    x = cr.tensor(rng.standard_normal((2, 2, 6, 6)).astype(np.float32))
    b0, b1 = _random_boxes(rng, 2, "float32", 5), _random_boxes(rng, 3, "float32", 5)
    rois = np.concatenate([np.c_[np.zeros(2), b0], np.c_[np.ones(3), b1]]).astype(np.float32)
    as_tensor = roi_pool(x, cr.tensor(rois), 3)
    as_list = roi_pool(x, [cr.tensor(b0), cr.tensor(b1)], 3)
    np.testing.assert_array_equal(as_list.numpy(), as_tensor.numpy())
    pool = RoIPool((3, 3), 1.0)
    np.testing.assert_array_equal(pool(x, cr.tensor(rois)).numpy(), as_tensor.numpy())
    assert repr(pool) == "RoIPool(output_size=(3, 3), spatial_scale=1.0)"


def test_roi_pool_gradcheck_float64() -> None:
    rng = np.random.default_rng(6)
    x = cr.tensor(rng.permutation(2 * 2 * 6 * 6).reshape(2, 2, 6, 6) / 10.0, requires_grad=True)
    rois = cr.tensor([[0, 0.0, 0.0, 5.0, 5.0], [1, 1.0, 2.0, 4.0, 5.0], [0, 2.0, 1.0, 8.0, 4.0]])
    y = roi_pool(x, rois, (2, 3))
    assert y.grad_fn.name == "RoIPoolBackward"
    assert cr.autograd.gradcheck(lambda t: roi_pool(t, rois, (2, 3), 1.0), (x,))


# ----------------------------------------------------------------- anchors
# Worked by hand: w = s / sqrt(r), h = s * sqrt(r), corners round(+-w / 2), round(+-h / 2), half to even.
# r = 0.5: sqrt(r) = 0.7071, w = 1.4142 s, h = 0.7071 s. s = 128: w/2 = 90.51 -> 91, h/2 = 45.25 -> 45;
# s = 256: 181.02 -> 181, 90.51 -> 91; s = 512: 362.04 -> 362, 181.02 -> 181. r = 1: w/2 = h/2 = s/2.
# r = 2 swaps w and h of r = 0.5. Order: ratio, then size.
BASE_ANCHORS = [
    [-91, -45, 91, 45], [-181, -91, 181, 91], [-362, -181, 362, 181],
    [-64, -64, 64, 64], [-128, -128, 128, 128], [-256, -256, 256, 256],
    [-45, -91, 45, 91], [-91, -181, 91, 181], [-181, -362, 181, 362],
]


def test_base_anchors_by_hand() -> None:
    a = generate_anchors((1, 1), 16, (128, 256, 512), (0.5, 1.0, 2.0))
    assert a.dtype == cr.float32
    np.testing.assert_array_equal(a.numpy(), BASE_ANCHORS)
    gen = AnchorGenerator()
    np.testing.assert_array_equal(gen.cell_anchors[0].numpy(), BASE_ANCHORS)
    assert gen.num_anchors_per_location() == [9]


def test_generate_anchors_count_shift_and_order() -> None:
    H, W, sh, sw = 3, 5, 8, 16
    a = generate_anchors((H, W), (sh, sw)).numpy()
    assert a.shape == (H * W * 9, 4)
    cells = a.reshape(H, W, 9, 4) - np.array(BASE_ANCHORS)
    for i in range(H):
        for j in range(W):  # cell (i, j) moves by (j * stride_w, i * stride_h)
            np.testing.assert_array_equal(cells[i, j], np.tile([j * sw, i * sh, j * sw, i * sh], (9, 1)))
    # anchor ((i * W + j) * 3 + r) * 3 + s: ratio 2 (r = 2), size 256 (s = 1) at cell (1, 4)
    np.testing.assert_array_equal(a[((1 * W + 4) * 3 + 2) * 3 + 1], [-91 + 64, -181 + 8, 91 + 64, 181 + 8])
    assert generate_anchors(2, 4, dtype=cr.float64).dtype == cr.float64


def test_anchor_generator_levels_images_and_dtype() -> None:
    gen = AnchorGenerator(sizes=((32,), (64,)), aspect_ratios=((0.5, 1.0, 2.0),) * 2)
    images = cr.zeros(2, 3, 64, 64, dtype=cr.float64)
    fmaps = [cr.zeros(2, 4, 8, 8, dtype=cr.float64), cr.zeros(2, 4, 4, 4, dtype=cr.float64)]
    out = gen(images, fmaps)
    assert len(out) == 2 and out[0].shape == (8 * 8 * 3 + 4 * 4 * 3, 4) and out[0].dtype == cr.float64
    np.testing.assert_array_equal(out[0].numpy(), out[1].numpy())
    first = generate_anchors(8, 8, (32,), (0.5, 1.0, 2.0), dtype=cr.float64).numpy()  # stride 64 // 8
    second = generate_anchors(4, 16, (64,), (0.5, 1.0, 2.0), dtype=cr.float64).numpy()  # stride 64 // 4
    np.testing.assert_array_equal(out[0].numpy(), np.concatenate([first, second]))
    # an ImageList-like input, float32 feature maps; a flat sizes tuple means one size per feature map
    il = SimpleNamespace(tensors=cr.zeros(3, 3, 32, 32), image_sizes=[(32, 32)] * 3)
    flat = AnchorGenerator(sizes=(16, 32), aspect_ratios=(1.0,))
    res = flat(il, [cr.zeros(3, 1, 4, 4), cr.zeros(3, 1, 2, 2)])
    assert len(res) == 3 and res[0].dtype == cr.float32 and res[0].shape == (16 + 4, 4)
    np.testing.assert_array_equal(res[0].numpy()[:2], [[-8, -8, 8, 8], [0, -8, 16, 8]])  # stride 8 on the first


# ----------------------------------------------------------------- errors
def test_box_errors() -> None:
    good, bad = cr.tensor([[0.0, 0.0, 1.0, 1.0]]), cr.tensor([[0.0, 0.0, 1.0, 1.0], [3.0, 0.0, 2.0, 1.0]])
    with pytest.raises(ValueError, match=r"box_iou: boxes2\[1\] = \[3\.0, 0\.0, 2\.0, 1\.0\]"):
        box_iou(good, bad)
    with pytest.raises(ValueError, match=r"box_area: boxes\[0\]"):
        box_area(cr.tensor([[0.0, 2.0, 1.0, 1.0]]))
    with pytest.raises(ValueError, match=r"nms: boxes\[1\]"):
        nms(bad, cr.tensor([0.5, 0.4]), 0.5)
    with pytest.raises(RuntimeError, match=r"box_iou: expected boxes1 of shape \(N, 4\), got \(2, 3\)"):
        box_iou(cr.zeros(2, 3), good)
    with pytest.raises(RuntimeError, match=r"nms: expected scores of shape \(1,\).*got \(2,\)"):
        nms(good, cr.tensor([0.5, 0.4]), 0.5)
    with pytest.raises(RuntimeError, match=r"batched_nms: expected idxs of shape \(1,\)"):
        batched_nms(good, cr.tensor([0.5]), cr.tensor([0, 1]), 0.5)
    with pytest.raises(ValueError, match="nms: iou_threshold must be non-negative, got -0.1"):
        nms(good, cr.tensor([0.5]), -0.1)
    with pytest.raises(ValueError, match="box_convert.*'xyxz'"):
        box_convert(good, "xyxz", "xywh")
    with pytest.raises(TypeError, match="box_iou"):
        box_iou(np.zeros((1, 4)), good)


def test_roi_pool_and_anchor_errors() -> None:
    x, rois = cr.zeros(1, 1, 4, 4), cr.tensor([[0.0, 0.0, 0.0, 2.0, 2.0]])
    for size in (0, (2, -1), (2, 2, 2)):
        with pytest.raises(ValueError, match="roi_pool: output_size"):
            roi_pool(x, rois, size)
    with pytest.raises(ValueError, match="output_size"):
        RoIPool(0, 1.0)
    with pytest.raises(RuntimeError, match=r"roi_pool: expected input of shape \(N, C, H, W\), got \(4, 4\)"):
        roi_pool(cr.zeros(4, 4), rois, 2)
    with pytest.raises(RuntimeError, match=r"\(K, 5\).*\(1, 4\)"):
        roi_pool(x, cr.tensor([[0.0, 0.0, 2.0, 2.0]]), 2)
    with pytest.raises(RuntimeError, match=r"boxes\[0\].*\(1, 5\)"):
        roi_pool(x, [rois], 2)
    with pytest.raises(ValueError, match=r"roi_pool: boxes\[0\] = \[2\.0, 0\.0, 1\.0, 2\.0\]"):
        roi_pool(x, cr.tensor([[0.0, 2.0, 0.0, 1.0, 2.0]]), 2)
    with pytest.raises(ValueError, match=r"batch index 1\.0.*\[0, 0\]"):
        roi_pool(x, cr.tensor([[1.0, 0.0, 0.0, 2.0, 2.0]]), 2)
    with pytest.raises(ValueError, match="AnchorGenerator: got 2 feature maps for 1"):
        AnchorGenerator()(cr.zeros(1, 3, 32, 32), [cr.zeros(1, 1, 4, 4)] * 2)
    with pytest.raises(ValueError, match="AnchorGenerator: expected one tuple of aspect_ratios"):
        AnchorGenerator(sizes=((32,), (64,)), aspect_ratios=((1.0,),) * 3)
    with pytest.raises(ValueError, match="generate_anchors: expected sizes"):
        generate_anchors(2, 16, sizes=(-32,))
    with pytest.raises(ValueError, match="generate_anchors: expected stride"):
        generate_anchors(2, 0)
