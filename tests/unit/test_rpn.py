"""chainrule.vision.rpn against references written independently here (torchvision is not installable): BoxCoder vs the
R-CNN box parametrisation in NumPy (values, the dw/dh clamp, non-unit weights) and its decode gradient vs the same
formulas in torch autograd; RPNHead vs a torch.nn rebuild with torchvision's structure and key names (state_dict,
outputs, input and parameter gradients, init); rpn_proposals vs a NumPy pipeline with a double-loop NMS and a worked
example; and the errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.vision import BoxCoder, RPNHead, generate_anchors, rpn_proposals
from tests.helpers import assert_close, to_torch

CLIP = math.log(1000.0 / 16)
WEIGHTS = [(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0)]


def _boxes(rng: np.random.Generator, n: int, span: float = 50.0) -> np.ndarray:
    xy = rng.uniform(0, span, (n, 2))
    wh = rng.uniform(1.0, span / 2, (n, 2))
    return np.concatenate([xy, xy + wh], axis=1)


def _encode_ref(g: np.ndarray, a: np.ndarray, w: tuple[float, ...]) -> np.ndarray:
    """(dx, dy, dw, dh) of boxes g against references a, from the formulas (widths x2 - x1, centres x1 + w/2)."""
    out = np.empty_like(g)
    for i in range(len(g)):
        aw, ah = a[i, 2] - a[i, 0], a[i, 3] - a[i, 1]
        gw, gh = g[i, 2] - g[i, 0], g[i, 3] - g[i, 1]
        acx, acy = a[i, 0] + aw / 2, a[i, 1] + ah / 2
        gcx, gcy = g[i, 0] + gw / 2, g[i, 1] + gh / 2
        out[i] = [w[0] * (gcx - acx) / aw, w[1] * (gcy - acy) / ah, w[2] * math.log(gw / aw), w[3] * math.log(gh / ah)]
    return out


def _decode_ref(codes: np.ndarray, a: np.ndarray, w: tuple[float, ...], clip: float = CLIP) -> np.ndarray:
    """Boxes from (N, 4K) codes relative to a, element by element, with dw/w_w and dh/w_h clamped at ``clip``."""
    out = np.empty_like(codes)
    for i in range(codes.shape[0]):
        aw, ah = a[i, 2] - a[i, 0], a[i, 3] - a[i, 1]
        acx, acy = a[i, 0] + aw / 2, a[i, 1] + ah / 2
        for k in range(codes.shape[1] // 4):
            dx, dy, dw, dh = codes[i, 4 * k:4 * k + 4] / np.asarray(w)
            cx, cy = dx * aw + acx, dy * ah + acy
            pw, ph = math.exp(min(dw, clip)) * aw, math.exp(min(dh, clip)) * ah
            out[i, 4 * k:4 * k + 4] = [cx - pw / 2, cy - ph / 2, cx + pw / 2, cy + ph / 2]
    return out


def _decode_torch(codes: torch.Tensor, a: torch.Tensor, w: tuple[float, ...]) -> torch.Tensor:
    """The decode formulas in torch ops (for autograd), codes (N, 4) only."""
    aw, ah = a[:, 2] - a[:, 0], a[:, 3] - a[:, 1]
    acx, acy = a[:, 0] + 0.5 * aw, a[:, 1] + 0.5 * ah
    cx = codes[:, 0] / w[0] * aw + acx
    cy = codes[:, 1] / w[1] * ah + acy
    pw = torch.exp(torch.clamp(codes[:, 2] / w[2], max=CLIP)) * aw
    ph = torch.exp(torch.clamp(codes[:, 3] / w[3], max=CLIP)) * ah
    return torch.stack([cx - 0.5 * pw, cy - 0.5 * ph, cx + 0.5 * pw, cy + 0.5 * ph], dim=1)


# ---------------------------------------------------------------------------------------------------------- BoxCoder
class TestBoxCoder:
    @pytest.mark.parametrize("weights", WEIGHTS)
    def test_encode_values_and_round_trip(self, weights: tuple[float, ...]) -> None:
        rng = np.random.default_rng(0)
        a, g = _boxes(rng, 40), _boxes(rng, 40)
        coder = BoxCoder(weights)
        codes = coder.encode_single(cr.tensor(g), cr.tensor(a))
        np.testing.assert_allclose(codes.numpy(), _encode_ref(g, a, weights), rtol=1e-12, atol=1e-12)
        back = coder.decode_single(codes, cr.tensor(a))
        np.testing.assert_allclose(back.numpy(), g, rtol=1e-10, atol=1e-10)

    @pytest.mark.parametrize("weights", WEIGHTS)
    def test_decode_values_with_clamp_and_groups(self, weights: tuple[float, ...]) -> None:
        rng = np.random.default_rng(1)
        a = _boxes(rng, 12)
        codes = rng.normal(0, 1.0, (12, 8))  # K = 2 groups of codes per box
        codes[0, 2], codes[1, 3], codes[2, 6] = 100.0, 60.0, 1e4  # far above the clip (times any weight)
        codes[3, 2] = -30.0  # very negative dw: not clamped, the box shrinks towards its centre
        out = BoxCoder(weights).decode_single(cr.tensor(codes), cr.tensor(a)).numpy()
        ref = _decode_ref(codes, a, weights)
        np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
        assert np.isfinite(out).all()
        # the clamp: a huge dw gives exactly exp(clip) = 62.5 times the anchor width
        np.testing.assert_allclose(out[0, 2] - out[0, 0], 62.5 * (a[0, 2] - a[0, 0]), rtol=1e-12)

    def test_batched_encode_decode(self) -> None:
        rng = np.random.default_rng(2)
        anchors = [cr.tensor(_boxes(rng, n)) for n in (3, 5)]
        gts = [cr.tensor(_boxes(rng, n)) for n in (3, 5)]
        coder = BoxCoder((10.0, 10.0, 5.0, 5.0))
        codes = coder.encode(gts, anchors)
        assert [tuple(c.shape) for c in codes] == [(3, 4), (5, 4)]
        for c, g, a in zip(codes, gts, anchors):
            np.testing.assert_allclose(c.numpy(), _encode_ref(g.numpy(), a.numpy(), coder.weights), rtol=1e-12)
        dec = coder.decode(cr.cat(list(codes)), anchors)
        assert tuple(dec.shape) == (8, 1, 4)
        np.testing.assert_allclose(dec.numpy()[:, 0], np.concatenate([g.numpy() for g in gts]), atol=1e-10)

    @pytest.mark.parametrize("dtype", ["float64", "float32"])
    @pytest.mark.parametrize("weights", WEIGHTS)
    def test_decode_gradient_matches_torch(self, dtype: str, weights: tuple[float, ...]) -> None:
        rng = np.random.default_rng(3)
        a = _boxes(rng, 10).astype(dtype)
        codes = rng.normal(0, 0.5, (10, 4)).astype(dtype)
        codes[0, 2] = 50.0  # clamped: no gradient through dw
        up = rng.normal(size=(10, 4)).astype(dtype)
        c = cr.tensor(codes, requires_grad=True)
        out = BoxCoder(weights).decode_single(c, cr.tensor(a))
        (out * cr.tensor(up)).sum().backward()
        tc = to_torch(codes, requires_grad=True)
        tout = _decode_torch(tc, torch.from_numpy(a), weights)
        (tout * torch.from_numpy(up)).sum().backward()
        assert out.dtype == c.dtype and c.grad is not None
        assert_close(out, tout)
        assert_close(c.grad, tc.grad, "grad")
        assert c.grad.numpy()[0, 2] == 0

    def test_gradcheck(self) -> None:
        rng = np.random.default_rng(4)
        a = cr.tensor(_boxes(rng, 6))
        codes = cr.tensor(rng.normal(0, 0.5, (6, 8)), requires_grad=True)
        coder = BoxCoder((10.0, 10.0, 5.0, 5.0))
        assert cr.autograd.gradcheck(lambda c: coder.decode_single(c, a), (codes,))

    def test_bad_input(self) -> None:
        coder = BoxCoder()
        with pytest.raises(ValueError, match=r"BoxCoder.decode_single.*\(3, 4K\).*\(3, 5\)"):
            coder.decode_single(cr.zeros(3, 5), cr.zeros(3, 4))
        with pytest.raises(ValueError, match=r"BoxCoder.encode_single.*\(2, 4\).*\(3, 4\)"):
            coder.encode_single(cr.zeros(2, 4), cr.zeros(3, 4))
        with pytest.raises(ValueError, match="BoxCoder: expected weights"):
            BoxCoder((1.0, 1.0, 0.0, 1.0))


# ----------------------------------------------------------------------------------------------------------- RPNHead
class TorchRPNHead(torch.nn.Module):
    """torchvision's RPNHead structure rebuilt from torch.nn: conv.i is Conv2dNormActivation(norm_layer=None), a
    Sequential of (Conv2d 3x3 with bias, ReLU)."""

    def __init__(self, c: int, a: int, depth: int) -> None:
        super().__init__()
        self.conv = torch.nn.Sequential(*[torch.nn.Sequential(torch.nn.Conv2d(c, c, 3, padding=1), torch.nn.ReLU())
                                          for _ in range(depth)])
        self.cls_logits = torch.nn.Conv2d(c, a, 1)
        self.bbox_pred = torch.nn.Conv2d(c, 4 * a, 1)

    def forward(self, xs: list[torch.Tensor]) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        ts = [self.conv(x) for x in xs]
        return [self.cls_logits(t) for t in ts], [self.bbox_pred(t) for t in ts]


class TestRPNHead:
    @pytest.mark.parametrize("depth", [1, 2])
    def test_state_dict_matches_torchvision_layout(self, depth: int) -> None:
        ours = {k: tuple(v.shape) for k, v in RPNHead(8, 3, conv_depth=depth).state_dict().items()}
        theirs = {k: tuple(v.shape) for k, v in TorchRPNHead(8, 3, depth).state_dict().items()}
        assert list(ours) == list(theirs)
        assert ours == theirs
        assert "conv.0.0.weight" in ours and "bbox_pred.bias" in ours

    @pytest.mark.parametrize("dtype", ["float64", "float32"])
    @pytest.mark.parametrize("depth", [1, 2])
    def test_forward_and_gradients_match_torch(self, dtype: str, depth: int) -> None:
        torch.manual_seed(0)
        C, A = 6, 3
        ref = TorchRPNHead(C, A, depth).to(getattr(torch, dtype))
        head = RPNHead(C, A, conv_depth=depth)
        if dtype == "float64":
            head.double()
        head.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
        rng = np.random.default_rng(5)
        feats = [rng.normal(size=s).astype(dtype) for s in ((2, C, 7, 9), (2, C, 4, 5))]  # two feature levels
        xs = [cr.tensor(f, requires_grad=True) for f in feats]
        txs = [to_torch(f, requires_grad=True) for f in feats]
        (logits, deltas), (tlogits, tdeltas) = head(xs), ref(txs)
        ups = [rng.normal(size=tuple(t.shape)).astype(dtype) for t in tlogits + tdeltas]
        for o, u in zip(logits + deltas, ups):
            (o * cr.tensor(u)).sum().backward(retain_graph=True)  # gradients accumulate over the four outputs
        for t, u in zip(tlogits + tdeltas, ups):
            (t * torch.from_numpy(u)).sum().backward(retain_graph=True)
        for o, t in zip(logits + deltas, tlogits + tdeltas):
            assert_close(o, t)
        for x, tx in zip(xs, txs):
            assert_close(x.grad, tx.grad, "grad")
        tparams = dict(ref.named_parameters())
        for name, p in head.named_parameters():
            assert_close(p.grad, tparams[name].grad, "grad")

    def test_init(self) -> None:
        cr.manual_seed(0)
        head = RPNHead(64, 9)
        for name, p in head.named_parameters():
            v = p.detach().numpy()
            if name.endswith("bias"):
                assert (v == 0).all(), name
            else:
                # sample std of n normal draws: relative error ~ 1/sqrt(2n) (n >= 576 here); 6 sigma bound
                n = v.size
                assert abs(v.std() / 0.01 - 1) < 6 / math.sqrt(2 * n), (name, v.std())
                assert abs(v.mean()) < 6 * 0.01 / math.sqrt(n), (name, v.mean())

    def test_bad_input(self) -> None:
        head = RPNHead(8, 3)
        msg = r"RPNHead: expected feature map 1 of shape \(N, 8, H, W\), got \(1, 5, 4, 4\)"
        with pytest.raises(ValueError, match=msg):
            head([cr.zeros(1, 8, 4, 4), cr.zeros(1, 5, 4, 4)])
        with pytest.raises(TypeError, match="RPNHead: expected a list"):
            head(cr.zeros(1, 8, 4, 4))
        with pytest.raises(ValueError, match="RPNHead: expected num_anchors"):
            RPNHead(8, 0)


# ------------------------------------------------------------------------------------------------------ rpn_proposals
def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _proposals_ref(logits: np.ndarray, deltas: np.ndarray, anchors: np.ndarray, hw: tuple[int, int], pre: int,
                   post: int, thr: float, score_thresh: float, min_size: float) -> tuple[np.ndarray, np.ndarray]:
    """The proposal step written out: decode, top-n by logit, sigmoid, clip, size/score filters, greedy NMS."""
    boxes = _decode_ref(deltas, anchors, (1.0, 1.0, 1.0, 1.0))
    order = sorted(range(len(logits)), key=lambda i: -logits[i])[:pre]  # sorted() is stable: ties by index
    boxes, scores = boxes[order], 1 / (1 + np.exp(-logits[order]))
    boxes[:, 0::2] = np.clip(boxes[:, 0::2], 0, hw[1])
    boxes[:, 1::2] = np.clip(boxes[:, 1::2], 0, hw[0])
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    ok = [i for i in range(len(boxes)) if w[i] >= min_size and h[i] >= min_size and scores[i] >= score_thresh]
    boxes, scores = boxes[ok], scores[ok]
    kept: list[int] = []
    for i in sorted(range(len(scores)), key=lambda i: -scores[i]):
        if all(_iou(boxes[i], boxes[j]) <= thr for j in kept):
            kept.append(i)
    kept = kept[:post]
    return boxes[kept], scores[kept]


class TestRPNProposals:
    @pytest.mark.parametrize("pre,post,thr,score_thresh", [(1000, 1000, 0.7, 0.0), (30, 10, 0.5, 0.0),
                                                           (60, 1000, 0.3, 0.5), (5, 2, 0.7, 0.0)])
    def test_matches_reference(self, pre: int, post: int, thr: float, score_thresh: float) -> None:
        rng = np.random.default_rng(6)
        A, H, W = 3, 5, 6
        anchors = generate_anchors((H, W), 8, sizes=(16,), aspect_ratios=(0.5, 1.0, 2.0), dtype=cr.float64)
        logits = rng.normal(0, 2.0, (A, H, W))
        deltas = rng.normal(0, 0.3, (4 * A, H, W))
        deltas[2::4][:, 0, 0] = -12.0  # anchors at cell (0, 0) collapse in width: removed as too small
        boxes, scores = rpn_proposals(cr.tensor(logits), cr.tensor(deltas), anchors, (40, 44), pre, post, thr,
                                      score_thresh)
        # the head's layout -> flat, cell-major then anchor, as torchvision's permute_and_flatten
        flat_logits = logits.transpose(1, 2, 0).reshape(-1)
        flat_deltas = deltas.reshape(A, 4, H, W).transpose(2, 3, 0, 1).reshape(-1, 4)
        rb, rs = _proposals_ref(flat_logits, flat_deltas, anchors.numpy(), (40, 44), pre, post, thr, score_thresh,
                                1e-3)
        assert len(rb) > 0
        np.testing.assert_allclose(boxes.numpy(), rb, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(scores.numpy(), rs, rtol=1e-12, atol=1e-12)
        b, s = boxes.numpy(), scores.numpy()
        assert len(b) <= min(pre, post)
        assert (b[:, 0::2] >= 0).all() and (b[:, 0::2] <= 44).all() and (b[:, 1::2] >= 0).all()
        assert (b[:, 1::2] <= 40).all()
        assert (np.diff(s) <= 0).all() and (s >= score_thresh).all()
        assert ((b[:, 2] - b[:, 0]) >= 1e-3).all()
        # flat inputs give the same proposals
        fb, fs = rpn_proposals(cr.tensor(flat_logits), cr.tensor(flat_deltas), anchors, (40, 44), pre, post, thr,
                               score_thresh)
        np.testing.assert_array_equal(fb.numpy(), b)
        np.testing.assert_array_equal(fs.numpy(), s)

    def test_worked_example(self) -> None:
        # four anchors, zero deltas (proposals = anchors):
        #   0: (0, 0, 10, 10) logit 3     -> kept first
        #   1: (1, 0, 11, 10) logit 2     -> IoU with 0 = 90 / 110 = 0.82 > 0.7: suppressed
        #   2: (-5, 20, 5, 30) logit 1    -> clipped to (0, 20, 5, 30), kept
        #   3: (40, 40, 40.0005, 50) logit 4 -> width 5e-4 < min_size: removed before NMS
        #   4: (30, 0, 40, 10) logit 0    -> kept, but post_nms_top_n = 2 cuts it
        anchors = cr.tensor([[0., 0., 10., 10.], [1., 0., 11., 10.], [-5., 20., 5., 30.], [40., 40., 40.0005, 50.],
                             [30., 0., 40., 10.]], dtype=cr.float64)
        logits = cr.tensor([3., 2., 1., 4., 0.], dtype=cr.float64)
        boxes, scores = rpn_proposals(logits, cr.zeros(5, 4, dtype=cr.float64), anchors, (64, 64), 10, 2)
        np.testing.assert_array_equal(boxes.numpy(), [[0, 0, 10, 10], [0, 20, 5, 30]])
        np.testing.assert_allclose(scores.numpy(), 1 / (1 + np.exp(-np.array([3.0, 1.0]))), rtol=1e-15)
        # pre_nms_top_n = 2 keeps anchors 3 and 0 only: 3 is too small, so 0 alone survives
        boxes, _ = rpn_proposals(logits, cr.zeros(5, 4, dtype=cr.float64), anchors, (64, 64), 2, 10)
        np.testing.assert_array_equal(boxes.numpy(), [[0, 0, 10, 10]])

    def test_from_head_output_no_grad(self) -> None:
        head = RPNHead(4, 3)
        logits, deltas = head([cr.randn(1, 4, 4, 4)])
        anchors = generate_anchors((4, 4), 16, sizes=(32,))
        boxes, scores = rpn_proposals(logits[0][0], deltas[0][0], anchors, (64, 64), 20, 8)
        assert not boxes.requires_grad and not scores.requires_grad
        assert boxes.dtype == cr.float32 and 0 < boxes.shape[0] <= 8

    def test_bad_input(self) -> None:
        anchors = generate_anchors((4, 4), 16, sizes=(32,))  # 48 anchors
        with pytest.raises(ValueError, match=r"rpn_proposals: expected anchors of shape \(32, 4\).*\(48, 4\)"):
            rpn_proposals(cr.zeros(2, 4, 4), cr.zeros(8, 4, 4), anchors, (64, 64), 10, 5)
        with pytest.raises(ValueError, match=r"rpn_proposals: expected pred_bbox_deltas of shape \(12, 4, 4\).*"
                                             r"\(3, 4, 4\).*\(8, 4, 4\)"):
            rpn_proposals(cr.zeros(3, 4, 4), cr.zeros(8, 4, 4), anchors, (64, 64), 10, 5)
        with pytest.raises(ValueError, match=r"rpn_proposals: expected pred_bbox_deltas of shape \(48, 4\)"):
            rpn_proposals(cr.zeros(48), cr.zeros(47, 4), anchors, (64, 64), 10, 5)
        with pytest.raises(ValueError, match="rpn_proposals: expected post_nms_top_n"):
            rpn_proposals(cr.zeros(3, 4, 4), cr.zeros(12, 4, 4), anchors, (64, 64), 10, 0)
