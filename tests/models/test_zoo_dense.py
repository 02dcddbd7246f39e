"""LeNet-5 (1998), U-Net, FCN and YOLOv1: exact counts by formula, small forwards, gradients, and YOLO's loss and
decoding on hand-built tensors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim
from chainrule.autograd import gradcheck
from chainrule.models import create_model
from chainrule.models.lenet1998 import C3_TABLE, num_trainable_parameters
from chainrule.models.segmentation import center_crop
from chainrule.models.yolo import yolo_decode, yolo_loss, yolo_loss_terms


def _conv(cin: int, cout: int, k: int, bias: bool = True) -> int:
    return cin * cout * k * k + (cout if bias else 0)


def _all_grads(model: cr.nn.Module, out: cr.Tensor) -> None:
    (out * out).sum().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not np.any(p.grad._data)]
    assert not missing, f"parameters without gradient: {missing}"


# ----------------------------------------------------------------- LeNet-5 (1998)
def test_c3_table_is_table_one() -> None:
    assert C3_TABLE.sum() == 60
    assert list(C3_TABLE.sum(axis=0)) == [3] * 6 + [4] * 9 + [6]
    assert list(np.nonzero(C3_TABLE[0])[0]) == [0, 4, 5, 6, 9, 10, 11, 12, 14, 15]  # Table I's first row


def test_lenet5_1998_count_is_the_papers_60000() -> None:
    m = create_model("lenet5_1998")
    # C1 156 + S2 12 + C3 (60 x 25 + 16) + S4 32 + C5 120 x 401 + F6 84 x 121; the RBF centres are fixed
    paper = 156 + 12 + (60 * 25 + 16) + 32 + 120 * 401 + 84 * 121
    assert paper == 60_000 == num_trainable_parameters(m)
    assert sum(p.numel() for p in m.parameters()) == 60_000 + 900  # the 900 unconnected C3 weights, kept at zero
    assert sum(b.numel() for b in m.buffers()) == 2_400 + 840


def test_lenet5_1998_unconnected_weights_stay_zero() -> None:
    cr.manual_seed(0)
    m = create_model("lenet5_1998")
    off = m.c3.weight_mask._data == 0
    assert not np.any(m.c3.weight._data[off])
    opt = optim.SGD(m.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    for _ in range(2):
        opt.zero_grad()
        out = m(cr.randn(4, 1, 32, 32))
        assert tuple(out.shape) == (4, 10)
        cr.nn.functional.cross_entropy(out, cr.tensor([0, 1, 2, 3])).backward()
        assert not np.any(m.c3.weight.grad._data[off]) and np.any(m.c3.weight.grad._data[~off])
        opt.step()
    assert not np.any(m.c3.weight._data[off])
    _all_grads(m, m(cr.randn(2, 1, 32, 32)))


def test_lenet5_1998_output_is_minus_the_rbf_distance() -> None:
    m = create_model("lenet5_1998", input_size=28)
    x = cr.randn(2, 1, 28, 28)
    out = m(x)
    feats = {}
    m.f6.register_forward_hook(lambda mod, a, o: feats.setdefault("f6", o))
    m(x)
    h = 1.7159 * np.tanh(2 / 3 * feats["f6"]._data.astype(np.float64))
    ref = -((h[:, None, :] - m.centres._data[None].astype(np.float64)) ** 2).sum(-1)
    np.testing.assert_allclose(out._data, ref, rtol=1e-5, atol=1e-4)
    assert out.dtype == cr.float32


# ----------------------------------------------------------------- U-Net
def _unet_count(cin: int, classes: int, w: int, depth: int) -> int:
    widths = [w * 2 ** i for i in range(depth + 1)]
    n = 0
    for a, b in zip([cin] + widths[:-1], widths):  # contracting path and bottleneck
        n += _conv(a, b, 3) + _conv(b, b, 3)
    for i in reversed(range(depth)):  # up-convolution 2x2 halving, then two 3x3 on the concatenation
        n += _conv(widths[i + 1], widths[i], 2) + _conv(2 * widths[i], widths[i], 3) + _conv(widths[i], widths[i], 3)
    return n + _conv(widths[0], classes, 1)


def test_unet_paper_count() -> None:
    m = create_model("unet")
    assert sum(p.numel() for p in m.parameters()) == _unet_count(1, 2, 64, 4) == 31_030_658
    assert m.output_size(572) == 388 and m.output_size(570) == 0


def test_unet_small_forward_and_gradients() -> None:
    cr.manual_seed(0)
    m = create_model("unet", base_width=4, depth=2, num_classes=3)
    assert sum(p.numel() for p in m.parameters()) == _unet_count(1, 3, 4, 2)
    out = m(cr.randn(2, 1, 44, 44))  # 44 -> 40 -> 20 -> 16 -> 8 -> 4 -> up 8 -> 4 -> up 8 -> 4
    assert tuple(out.shape) == (2, 3, 4, 4) and m.output_size(44) == 4 and out.dtype == cr.float32
    _all_grads(m, out)
    with pytest.raises(ValueError, match="UNet: the feature map before pooling"):
        m(cr.randn(1, 1, 45, 45))
    same = create_model("unet", base_width=4, depth=2, padding=1)
    assert tuple(same(cr.randn(1, 1, 16, 16)).shape) == (1, 2, 16, 16)


def test_center_crop() -> None:
    x = cr.arange(2 * 36).reshape(1, 2, 6, 6)
    np.testing.assert_array_equal(center_crop(x, 2, 4)._data, x._data[:, :, 2:4, 1:5])


# ----------------------------------------------------------------- FCN
def test_fcn_count_forward_and_gradients() -> None:
    cr.manual_seed(0)
    m = create_model("fcn", num_classes=5, in_channels=3)
    backbone = sum(_conv(a, b, 3) for a, b in [(3, 32), (32, 32), (32, 64), (64, 64), (64, 128), (128, 128)])
    head = _conv(128, 512, 3) + _conv(512, 512, 1) + _conv(512, 5, 1) + 5 * 5 * 16 * 16  # upsampler: k=2*8, no bias
    assert sum(p.numel() for p in m.parameters()) == backbone + head
    out = m(cr.randn(2, 3, 16, 16))
    assert tuple(out.shape) == (2, 5, 16, 16)
    _all_grads(m, out)
    with pytest.raises(ValueError, match="divisible by 8"):
        m(cr.randn(1, 3, 12, 12))


# ----------------------------------------------------------------- YOLOv1
@pytest.mark.slow
def test_yolov1_paper_count() -> None:
    """Builds the full network (about 1.1 GB of float32 weights), so marked slow."""
    convs = (_conv(3, 64, 7) + _conv(64, 192, 3) + _conv(192, 128, 1) + _conv(128, 256, 3) + _conv(256, 256, 1)
             + _conv(256, 512, 3) + 4 * (_conv(512, 256, 1) + _conv(256, 512, 3)) + _conv(512, 512, 1)
             + _conv(512, 1024, 3) + 2 * (_conv(1024, 512, 1) + _conv(512, 1024, 3)) + 4 * _conv(1024, 1024, 3))
    dense = (7 * 7 * 1024 * 4096 + 4096) + (4096 * 7 * 7 * 30 + 7 * 7 * 30)
    m = create_model("yolov1")
    assert sum(p.numel() for p in m.parameters()) == convs + dense == 271_703_550
    assert sum(isinstance(x, cr.nn.Conv2d) for x in m.modules()) == 24
    assert sum(isinstance(x, cr.nn.Linear) for x in m.modules()) == 2


def test_yolov1_tiny_forward_and_gradients() -> None:
    cr.manual_seed(0)
    m = create_model("yolov1_tiny", input_size=28, width=4, hidden=16)  # 28 -> 14 -> 7
    out = m(cr.randn(2, 3, 28, 28))
    assert tuple(out.shape) == (2, 7, 7, 30) and out.dtype == cr.float32
    m.head[3].p = 0.0  # no dropout, so every weight of the dense layer is reached
    _all_grads(m, m(cr.randn(2, 3, 28, 28)))
    with pytest.raises(ValueError, match="power of 2"):
        create_model("yolov1_tiny", input_size=42)


def _hand_case() -> tuple[cr.Tensor, cr.Tensor]:
    """S=2, B=2, C=2; one object in cell (row 0, col 1): centre (0.5, 0.5) of the cell, 0.25 x 0.25, class 1."""
    p = np.zeros((1, 2, 2, 12))
    p[0, 0, 1] = [0.6, 0.5, 0.36, 0.25, 0.8, 0.0, 0.0, 0.09, 0.16, 0.3, 0.2, 0.7]
    p[0, 0, 0, [4, 9, 10, 11]] = [0.1, 0.2, 0.5, 0.5]  # classes in empty cells are ignored
    p[0, 1, 0, [4, 9]] = [0.0, 0.5]
    p[0, 1, 1, [4, 9]] = [0.4, 0.0]
    t = np.zeros((1, 2, 2, 7))
    t[0, 0, 1] = [0.5, 0.5, 0.25, 0.25, 1.0, 0.0, 1.0]
    return cr.tensor(p), cr.tensor(t)


def test_yolo_loss_terms_by_hand() -> None:
    pred, target = _hand_case()
    # predictor 0 covers x in [0.62, 0.98] (centre (1 + 0.6) / 2 = 0.8, width 0.36), the target [0.625, 0.875];
    # same y range: IoU = 0.25 * 0.25 / (0.36 * 0.25) = 0.0625 / 0.09; predictor 1 sits elsewhere (IoU 0)
    iou = 0.0625 / 0.09
    terms = {k: float(v) for k, v in yolo_loss_terms(pred, target, S=2, B=2, C=2).items()}
    hand = {
        "coord": 5 * ((0.6 - 0.5) ** 2 + 0 + (0.6 - 0.5) ** 2 + 0),  # sqrt(0.36) - sqrt(0.25)
        "obj": (0.8 - iou) ** 2,
        "noobj": 0.5 * (0.3 ** 2 + 0.1 ** 2 + 0.2 ** 2 + 0.5 ** 2 + 0.4 ** 2),  # incl. predictor 1 of the object cell
        "class": (0.2 - 0) ** 2 + (0.7 - 1) ** 2,
    }
    assert terms.keys() == hand.keys()
    for k in hand:
        assert terms[k] == pytest.approx(hand[k], abs=1e-7), k
    assert float(yolo_loss(pred, target, S=2, B=2, C=2)) == pytest.approx(sum(hand.values()), abs=1e-7)
    one = yolo_loss_terms(pred, target, S=2, B=2, C=2, conf_target="one")["obj"]
    assert float(one) == pytest.approx((0.8 - 1) ** 2)
    # the mean over the batch: two copies of the image give the same loss; flat predictions are accepted
    p2, t2 = cr.cat([pred, pred]), cr.cat([target, target])
    assert float(yolo_loss(p2.reshape(2, -1), t2, S=2, B=2, C=2)) == pytest.approx(sum(hand.values()), abs=1e-7)


def test_yolo_loss_picks_the_highest_iou_predictor() -> None:
    pred, target = _hand_case()
    p = pred._data.copy()
    p[0, 0, 1, 5:9] = [0.5, 0.5, 0.25, 0.25]  # predictor 1 now matches the target exactly: it is responsible
    terms = yolo_loss_terms(cr.tensor(p), target, S=2, B=2, C=2)
    assert float(terms["coord"]) == pytest.approx(0.0, abs=1e-7)
    assert float(terms["obj"]) == pytest.approx((0.3 - 1.0) ** 2)
    assert float(terms["noobj"]) == pytest.approx(0.5 * (0.8 ** 2 + 0.1 ** 2 + 0.2 ** 2 + 0.5 ** 2 + 0.4 ** 2))


def test_yolo_loss_gradcheck_float64() -> None:
    rng = np.random.default_rng(0)
    _, target = _hand_case()
    p = rng.uniform(0.1, 0.9, size=(1, 2, 2, 12))
    pred = cr.tensor(p, requires_grad=True)
    assert gradcheck(lambda x: yolo_loss(x, target, S=2, B=2, C=2, conf_target="one"), (pred,))
    # with the paper's IoU target (a constant), vary only confidences and class scores so the IoU stays fixed
    mask = np.ones(12)
    mask[[0, 1, 2, 3, 5, 6, 7, 8]] = 0
    base, m = cr.tensor(p * (1 - mask)), cr.tensor(mask)
    v = cr.tensor(p, requires_grad=True)
    assert gradcheck(lambda x: yolo_loss(base + x * m, target, S=2, B=2, C=2), (v,))


def test_yolo_loss_bad_shapes() -> None:
    pred, target = _hand_case()
    with pytest.raises(ValueError, match=r"yolo_loss: expected pred of shape \(N, 7, 7, 30\)"):
        yolo_loss(pred, target)
    with pytest.raises(ValueError, match="yolo_loss: expected target of shape"):
        yolo_loss(pred, target[..., :6], S=2, B=2, C=2)


def test_yolo_decode_by_hand() -> None:
    p = np.zeros((1, 2, 2, 12), dtype=np.float32)
    p[0, 0, 0] = [0.5, 0.5, 0.4, 0.4, 0.9, 0.5, 0.5, 0.38, 0.38, 0.8, 0.9, 0.1]
    p[0, 1, 1, [0, 1, 2, 3, 4, 10, 11]] = [0.5, 0.5, 0.2, 0.2, 0.7, 0.2, 0.8]
    # scores conf x p(c): cell (0,0): 0.81/0.09 and 0.72/0.08 (IoU 0.38^2/0.4^2 = 0.9025: the second suppressed);
    # cell (1,1): 0.14/0.56
    (det,) = yolo_decode(cr.tensor(p), conf_threshold=0.3, iou_threshold=0.5, S=2, B=2, C=2)
    np.testing.assert_allclose(det["boxes"]._data, [[0.05, 0.05, 0.45, 0.45], [0.65, 0.65, 0.85, 0.85]], atol=1e-6)
    np.testing.assert_allclose(det["scores"]._data, [0.81, 0.56], atol=1e-6)
    assert det["labels"]._data.tolist() == [0, 1] and det["scores"].dtype == cr.float32
    (det,) = yolo_decode(cr.tensor(p), conf_threshold=0.05, iou_threshold=0.5, S=2, B=2, C=2)
    # per class: class 0 keeps 0.81 and 0.14 (0.72 suppressed), class 1 keeps 0.56 and 0.09 (0.08 suppressed)
    np.testing.assert_allclose(det["scores"]._data, [0.81, 0.56, 0.14, 0.09], atol=1e-6)
    assert det["labels"]._data.tolist() == [0, 1, 0, 1]
    two = yolo_decode(cr.tensor(np.concatenate([p, np.zeros_like(p)])), 0.3, 0.5, S=2, B=2, C=2)
    assert len(two) == 2 and tuple(two[1]["boxes"].shape) == (0, 4)
