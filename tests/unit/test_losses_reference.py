"""Losses without a PyTorch counterpart against their papers' formulas written out in plain NumPy (forward) and in
torch ops (gradient, by torch's autograd): focal loss (Lin et al. 2017), asymmetric loss (Ridnik et al. 2021); the
L1 / L2 penalties against NumPy sums; and bad inputs: the error type equals PyTorch's where PyTorch has the loss, and
the message names the loss and the offending shapes or values."""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import chainrule as cr
import chainrule.nn.functional as CF
from tests.helpers import assert_close

REDUCTIONS = ["none", "mean", "sum"]
N, C = 6, 4


def _reduce(loss: Any, reduction: str, mean_divisor: Any = None) -> Any:
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / (loss.size if mean_divisor is None else mean_divisor)


# ----------------------------------------------------------------- the papers' formulas
def sigmoid_focal_np(x: np.ndarray, y: np.ndarray, alpha: float | None, gamma: float, reduction: str) -> Any:
    """Lin et al. 2017, eq. (5) with p = sigmoid(x): FL = -alpha_t (1 - p_t)^gamma log(p_t)."""
    p = 1 / (1 + np.exp(-x))
    p_t = np.where(y == 1, p, 1 - p) if set(np.unique(y)) <= {0.0, 1.0} else p * y + (1 - p) * (1 - y)
    ce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    loss = ce * (1 - p_t) ** gamma
    if alpha is not None:
        loss = loss * (alpha * y + (1 - alpha) * (1 - y))
    return _reduce(loss, reduction)


def sigmoid_focal_torch(x: Any, y: Any, alpha: float | None, gamma: float) -> Any:
    p = torch.sigmoid(x)
    p_t = p * y + (1 - p) * (1 - y)
    loss = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)) * (1 - p_t) ** gamma
    return loss if alpha is None else loss * (alpha * y + (1 - alpha) * (1 - y))


def softmax_focal_np(x: np.ndarray, t: np.ndarray, alpha: Any, gamma: float, reduction: str,
                     ignore_index: int = -100) -> Any:
    """Multi-class focal loss: FL_n = -alpha_{t_n} (1 - p_{t_n})^gamma log p_{t_n}, p = softmax over dim 1."""
    logp = x - x.max(1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(1, keepdims=True))
    valid = t != ignore_index
    ts = np.where(valid, t, 0)
    logpt = np.take_along_axis(logp, ts[:, None], 1)[:, 0]
    a = 1.0 if alpha is None else (np.asarray(alpha)[ts] if np.ndim(alpha) else alpha)
    loss = np.where(valid, -a * (1 - np.exp(logpt)) ** gamma * logpt, 0.0)
    return _reduce(loss, reduction, valid.sum())


def asymmetric_np(x: np.ndarray, y: np.ndarray, gamma_neg: float, gamma_pos: float, clip: float, eps: float,
                  reduction: str) -> Any:
    """Ridnik et al. 2021, eq. (7)-(8): L+ = (1 - p)^gamma+ log p, L- = p_m^gamma- log(1 - p_m), p_m = max(p - m, 0)."""
    p = 1 / (1 + np.exp(-x))
    p_m = np.maximum(p - clip, 0)
    l_pos = (1 - p) ** gamma_pos * np.log(np.maximum(p, eps))
    l_neg = p_m ** gamma_neg * np.log(np.maximum(1 - p_m, eps))
    return _reduce(-(y * l_pos + (1 - y) * l_neg), reduction)


def asymmetric_torch(x: Any, y: Any, gamma_neg: float, gamma_pos: float, clip: float, eps: float) -> Any:
    p = torch.sigmoid(x)
    p_m = (p - clip).clamp(min=0)
    l_pos = (1 - p) ** gamma_pos * torch.log(p.clamp(min=eps))
    l_neg = p_m ** gamma_neg * torch.log((1 - p_m).clamp(min=eps))
    return -(y * l_pos + (1 - y) * l_neg)


def _data(seed: int = 0, shape: tuple[int, ...] = (N, C)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 2
    y = rng.integers(0, 2, shape).astype(np.float64)
    t = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    return x, y, t


def _grad_vs_torch(ours: Callable[[Any], Any], theirs: Callable[[Any], Any], x: np.ndarray) -> None:
    """The gradient of ``ours`` (chainrule) equals the gradient of the same formula in torch ops."""
    a, b = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    la, lb = ours(a), theirs(b)
    g = np.random.default_rng(7).standard_normal(tuple(lb.shape))
    la.backward(cr.tensor(g))
    lb.backward(torch.tensor(g))
    assert_close(a.grad, b.grad, "grad")


# ----------------------------------------------------------------- focal loss
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("alpha", [None, 0.25, 0.8])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 3.0])
def test_sigmoid_focal_loss_matches_paper(reduction: str, alpha: float | None, gamma: float) -> None:
    x, y, _ = _data(1)
    ours = CF.sigmoid_focal_loss(cr.tensor(x), cr.tensor(y), alpha=alpha, gamma=gamma, reduction=reduction)
    assert_close(ours, sigmoid_focal_np(x, y, alpha, gamma, reduction))
    soft = np.random.default_rng(2).uniform(0, 1, x.shape)  # soft targets: p_t = p y + (1 - p)(1 - y)
    ours = CF.sigmoid_focal_loss(cr.tensor(x), cr.tensor(soft), alpha=alpha, gamma=gamma, reduction=reduction)
    assert_close(ours, sigmoid_focal_np(x, soft, alpha, gamma, reduction))
    _grad_vs_torch(lambda a: CF.sigmoid_focal_loss(a, cr.tensor(soft), alpha=alpha, gamma=gamma),
                   lambda b: sigmoid_focal_torch(b, torch.tensor(soft), alpha, gamma), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("alpha", [None, 0.5, [0.1, 0.2, 0.3, 0.4]])
@pytest.mark.parametrize("gamma", [0.0, 1.0, 2.0])
@pytest.mark.parametrize("ignore", [False, True])
def test_focal_loss_multiclass_matches_paper(reduction: str, alpha: Any, gamma: float, ignore: bool) -> None:
    x, _, t = _data(3)
    if ignore:
        t[::3] = -100
    ours = CF.focal_loss(cr.tensor(x), cr.tensor(t), alpha=alpha, gamma=gamma, reduction=reduction)
    assert_close(ours, softmax_focal_np(x, t, alpha, gamma, reduction))

    def theirs(b: Any) -> Any:
        logpt = torch.log_softmax(b, 1).gather(1, torch.tensor(np.where(t < 0, 0, t))[:, None])[:, 0]
        a = 1.0 if alpha is None else (torch.tensor(alpha, dtype=b.dtype)[np.where(t < 0, 0, t)]
                                       if isinstance(alpha, list) else alpha)
        loss = -a * (1 - logpt.exp()) ** gamma * logpt * torch.tensor(t != -100)
        return _reduce(loss, reduction, int((t != -100).sum()))

    _grad_vs_torch(lambda a: CF.focal_loss(a, cr.tensor(t), alpha=alpha, gamma=gamma, reduction=reduction),
                   theirs, x)


def test_focal_loss_spatial_and_unbatched() -> None:
    x, _, t = _data(4, (2, C, 3, 2))
    ours = CF.focal_loss(cr.tensor(x), cr.tensor(t), gamma=2.0, reduction="none")
    flat_x = np.moveaxis(x, 1, -1).reshape(-1, C)
    assert_close(ours, softmax_focal_np(flat_x, t.reshape(-1), None, 2.0, "none").reshape(t.shape))
    one = CF.focal_loss(cr.tensor(x[0, :, 0, 0]), cr.tensor(t[0, 0, 0]), gamma=2.0, reduction="none")
    assert one.shape == () and np.isclose(one.item(), ours[0, 0, 0].item())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_focal_with_gamma_0_is_torch_cross_entropy(reduction: str) -> None:
    x, y, t = _data(5)
    t[1] = -100
    for ours, theirs in [
        (CF.focal_loss(cr.tensor(x), cr.tensor(t), gamma=0.0, reduction=reduction),
         TF.cross_entropy(torch.tensor(x), torch.tensor(t), reduction=reduction)),
        (CF.sigmoid_focal_loss(cr.tensor(x), cr.tensor(y), alpha=None, gamma=0.0, reduction=reduction),
         TF.binary_cross_entropy_with_logits(torch.tensor(x), torch.tensor(y), reduction=reduction)),
        (cr.nn.FocalLoss(gamma=0.0, reduction=reduction)(cr.tensor(x), cr.tensor(t)),
         torch.nn.CrossEntropyLoss(reduction=reduction)(torch.tensor(x), torch.tensor(t))),
        (cr.nn.FocalLoss(gamma=0.0, reduction=reduction, use_sigmoid=True)(cr.tensor(x), cr.tensor(y)),
         torch.nn.BCEWithLogitsLoss(reduction=reduction)(torch.tensor(x), torch.tensor(y))),
    ]:
        assert_close(ours, theirs)
    _grad_vs_torch(lambda a: CF.focal_loss(a, cr.tensor(t), gamma=0.0, reduction=reduction),
                   lambda b: TF.cross_entropy(b, torch.tensor(t), reduction=reduction), x)
    _grad_vs_torch(lambda a: CF.sigmoid_focal_loss(a, cr.tensor(y), alpha=None, gamma=0.0, reduction=reduction),
                   lambda b: TF.binary_cross_entropy_with_logits(b, torch.tensor(y), reduction=reduction), x)


@pytest.mark.parametrize("reduction", ["none", "sum"])
def test_focal_alpha_weighting_is_class_weighting(reduction: str) -> None:
    """gamma = 0 with per-class alpha is cross-entropy with ``weight=alpha`` (the unnormalised reductions), and the
    sigmoid form's alpha is BCE with weight alpha y + (1 - alpha)(1 - y)."""
    x, y, t = _data(6)
    alpha = [0.5, 2.0, 1.0, 0.25]
    assert_close(CF.focal_loss(cr.tensor(x), cr.tensor(t), alpha=alpha, gamma=0.0, reduction=reduction),
                 TF.cross_entropy(torch.tensor(x), torch.tensor(t), torch.tensor(alpha, dtype=torch.float64),
                                  reduction=reduction))
    w = 0.3 * y + 0.7 * (1 - y)
    assert_close(CF.sigmoid_focal_loss(cr.tensor(x), cr.tensor(y), alpha=0.3, gamma=0.0, reduction=reduction),
                 TF.binary_cross_entropy_with_logits(torch.tensor(x), torch.tensor(y), torch.tensor(w),
                                                     reduction=reduction))


def test_focal_loss_down_weights_easy_examples() -> None:
    """The paper's point: with gamma = 2 an example at p_t = 0.9 loses 100x, one at p_t = 0.5 only 4x."""
    x = np.log(np.array([[0.9, 0.1], [0.5, 0.5]]))
    t = np.array([0, 0])
    ratio = (CF.cross_entropy(cr.tensor(x), cr.tensor(t), reduction="none")
             / CF.focal_loss(cr.tensor(x), cr.tensor(t), reduction="none")).numpy()
    np.testing.assert_allclose(ratio, [100.0, 4.0], rtol=1e-9)


def test_focal_module_alpha_buffer_and_state_dict() -> None:
    assert list(cr.nn.FocalLoss(alpha=[0.1, 0.2, 0.3, 0.4]).state_dict()) == ["alpha"]
    m = cr.nn.FocalLoss(alpha=cr.tensor(np.array([0.1, 0.2, 0.3, 0.4])), gamma=1.5)
    assert list(m.state_dict()) == ["alpha"]
    x, _, t = _data(8)
    assert_close(m(cr.tensor(x), cr.tensor(t)), softmax_focal_np(x, t, [0.1, 0.2, 0.3, 0.4], 1.5, "mean"))
    assert cr.nn.FocalLoss(alpha=0.25).state_dict() == {}


def test_focal_extreme_logits_stay_finite() -> None:
    x = np.array([[100.0, -100.0, 0.0, 3.0], [-100.0, -100.0, 100.0, 100.0]])
    for fn in (lambda a: CF.focal_loss(a, cr.tensor([1, 2])),
               lambda a: CF.sigmoid_focal_loss(a, cr.tensor((x > 0).astype(np.float64)), reduction="sum"),
               lambda a: CF.sigmoid_focal_loss(a, cr.tensor((x < 0).astype(np.float64)), reduction="sum"),
               lambda a: CF.asymmetric_loss(a, cr.tensor((x > 0).astype(np.float64))),
               lambda a: CF.asymmetric_loss(a, cr.tensor((x < 0).astype(np.float64)), gamma_pos=1.0)):
        a = cr.tensor(x, requires_grad=True)
        loss = fn(a)
        loss.backward()
        assert np.isfinite(loss.item()) and np.isfinite(a.grad.numpy()).all()


# ----------------------------------------------------------------- asymmetric loss
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("gamma_neg,gamma_pos,clip", [(4.0, 0.0, 0.05), (4.0, 1.0, 0.05), (2.0, 1.0, 0.0),
                                                      (0.0, 0.0, 0.2)])
def test_asymmetric_loss_matches_paper(reduction: str, gamma_neg: float, gamma_pos: float, clip: float) -> None:
    x, y, _ = _data(9, (N, 7))
    kw = dict(gamma_neg=gamma_neg, gamma_pos=gamma_pos, clip=clip, eps=1e-8)
    ours = CF.asymmetric_loss(cr.tensor(x), cr.tensor(y), reduction=reduction, **kw)
    assert_close(ours, asymmetric_np(x, y, reduction=reduction, **kw))
    module = cr.nn.AsymmetricLoss(reduction=reduction, **kw)(cr.tensor(x), cr.tensor(y))
    assert_close(module, ours)
    _grad_vs_torch(lambda a: CF.asymmetric_loss(a, cr.tensor(y), reduction="none", **kw),
                   lambda b: asymmetric_torch(b, torch.tensor(y), **kw), x)


def test_asymmetric_defaults_are_the_papers() -> None:
    x, y, _ = _data(10)
    assert_close(CF.asymmetric_loss(cr.tensor(x), cr.tensor(y)), asymmetric_np(x, y, 4.0, 0.0, 0.05, 1e-8, "mean"))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_asymmetric_without_focusing_or_clip_is_torch_bce(reduction: str) -> None:
    x, y, _ = _data(11)
    ours = CF.asymmetric_loss(cr.tensor(x), cr.tensor(y), gamma_neg=0.0, gamma_pos=0.0, clip=0.0, reduction=reduction)
    assert_close(ours, TF.binary_cross_entropy_with_logits(torch.tensor(x), torch.tensor(y), reduction=reduction))


def test_asymmetric_clip_discards_easy_negatives() -> None:
    """A negative with p <= clip contributes nothing (hard thresholding of very easy negatives)."""
    p = np.array([[0.01, 0.04, 0.2]])
    x = np.log(p / (1 - p))
    loss = CF.asymmetric_loss(cr.tensor(x), cr.tensor(np.zeros_like(x)), reduction="none").numpy()
    assert loss[0, 0] == 0 and loss[0, 1] == 0 and loss[0, 2] > 0


# ----------------------------------------------------------------- penalties
def test_penalties_against_numpy_sums() -> None:
    model = cr.nn.Sequential()
    rng = np.random.default_rng(12)
    ws = [rng.standard_normal((3, 4)), rng.standard_normal(5), rng.standard_normal((2, 2, 2))]
    ps = [cr.nn.Parameter(cr.tensor(w)) for w in ws]
    for i, p in enumerate(ps):
        model.register_parameter(f"p{i}", p)
    l1 = CF.l1_penalty(model.parameters())
    l2 = CF.l2_penalty(ps)
    np.testing.assert_allclose(l1.item(), sum(np.abs(w).sum() for w in ws), rtol=1e-12)
    np.testing.assert_allclose(l2.item(), sum((w ** 2).sum() for w in ws), rtol=1e-12)  # no factor 1/2
    (l1 + l2).backward()
    for p, w in zip(ps, ws):
        np.testing.assert_allclose(p.grad.numpy(), np.sign(w) + 2 * w, rtol=1e-12)
    assert np.isclose(CF.l2_penalty(ps[0]).item(), (ws[0] ** 2).sum())
    with pytest.raises(ValueError, match="empty"):
        CF.l1_penalty([])


def test_l2_penalty_with_half_lambda_matches_sgd_weight_decay() -> None:
    """lambda/2 * l2_penalty gives the gradient lambda * w: the same step as torch's SGD(weight_decay=lambda)."""
    w = np.random.default_rng(13).standard_normal(6)
    ours = cr.tensor(w, requires_grad=True)
    (0.1 / 2 * CF.l2_penalty([ours])).backward()
    theirs = torch.tensor(w, requires_grad=True)
    opt = torch.optim.SGD([theirs], lr=1.0, weight_decay=0.1)
    theirs.grad = torch.zeros_like(theirs)
    opt.step()
    np.testing.assert_allclose(w - ours.grad.numpy(), theirs.detach().numpy(), rtol=1e-12)


# ----------------------------------------------------------------- bad inputs
x4 = np.random.default_rng(0).standard_normal((4, 3))
p4 = 1 / (1 + np.exp(-x4))


def _both(fn: Callable[..., Any]) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """``fn(F, m)`` run with (chainrule.nn.functional, chainrule) and (torch.nn.functional, torch)."""
    return (lambda: fn(CF, cr)), (lambda: fn(TF, torch))


# (id, fn(F, m) for both frameworks, words the chainrule message must contain)
TORCH_ERRORS: list[tuple[str, Callable[..., Any], list[str]]] = [
    ("ce_target_too_large", lambda F, m: F.cross_entropy(m.tensor(x4), m.tensor([0, 1, 3, 1])),
     ["cross_entropy", "3", "3 classes"]),
    ("ce_target_negative", lambda F, m: F.cross_entropy(m.tensor(x4), m.tensor([0, -1, 2, 1])),
     ["cross_entropy", "-1", "3 classes"]),
    ("ce_spatial_target_too_large", lambda F, m: F.cross_entropy(m.tensor(np.zeros((2, 3, 2))),
                                                                 m.tensor([[0, 5], [1, 1]])), ["5", "3 classes"]),
    ("nll_target_too_large", lambda F, m: F.nll_loss(m.tensor(x4), m.tensor([0, 1, 7, 1])),
     ["nll_loss", "7", "3 classes"]),
    ("ce_batch_mismatch", lambda F, m: F.cross_entropy(m.tensor(x4), m.tensor([0, 1, 2])),
     ["cross_entropy", "(4, 3)", "(3,)"]),
    ("ce_spatial_mismatch", lambda F, m: F.cross_entropy(m.tensor(np.zeros((2, 3, 4, 5))),
                                                         m.zeros(2, 4, 4, dtype=m.int64)),
     ["cross_entropy", "[2, 3, 4, 5]", "[2, 4, 4]"]),
    ("ce_probabilities_shape", lambda F, m: F.cross_entropy(m.tensor(x4), m.tensor(np.full((4, 2), 0.5))),
     ["cross_entropy", "(4, 3)", "(4, 2)"]),
    ("ce_weight_size", lambda F, m: F.cross_entropy(m.tensor(x4), m.tensor([0, 1, 2, 1]), m.ones(4, dtype=m.float64)),
     ["cross_entropy", "3 classes", "[4]"]),
    ("ce_label_smoothing", lambda F, m: F.cross_entropy(m.tensor(x4), m.tensor([0, 1, 2, 1]), label_smoothing=1.5),
     ["cross_entropy", "1.5"]),
    ("ce_reduction", lambda F, m: F.cross_entropy(m.tensor(x4), m.tensor([0, 1, 2, 1]), reduction="avg"),
     ["cross_entropy", "avg"]),
    ("ce_weight_requires_grad", lambda F, m: F.cross_entropy(m.tensor(x4), m.tensor([0, 1, 2, 1]),
                                                             m.ones(3, dtype=m.float64, requires_grad=True)),
     ["weight", "requires_grad"]),
    ("nll_batch_mismatch", lambda F, m: F.nll_loss(m.tensor(x4), m.tensor([0, 1])), ["nll_loss", "(4, 3)", "(2,)"]),
    ("nll_reduction", lambda F, m: F.nll_loss(m.tensor(x4), m.tensor([0, 1, 2, 1]), reduction="avg"),
     ["nll_loss", "avg"]),
    ("mse_shape", lambda F, m: F.mse_loss(m.tensor(x4), m.tensor(np.zeros((4, 4)))),
     ["mse_loss", "(4, 3)", "(4, 4)"]),
    ("mse_reduction", lambda F, m: F.mse_loss(m.tensor(x4), m.tensor(x4), reduction="average"),
     ["mse_loss", "average"]),
    ("mse_weight_shape", lambda F, m: F.mse_loss(m.tensor(x4), m.tensor(x4), weight=m.ones(3, dtype=m.float64)),
     ["mse_loss", "(3,)", "(4, 3)"]),
    ("l1_shape", lambda F, m: F.l1_loss(m.tensor(x4), m.tensor(np.zeros((2, 3)))), ["l1_loss", "(4, 3)", "(2, 3)"]),
    ("l1_reduction", lambda F, m: F.l1_loss(m.tensor(x4), m.tensor(x4), reduction="x"), ["l1_loss", "'x'"]),
    ("smooth_l1_shape", lambda F, m: F.smooth_l1_loss(m.tensor(x4), m.tensor(np.zeros(4))),
     ["smooth_l1_loss", "(4, 3)", "(4,)"]),
    ("smooth_l1_beta", lambda F, m: F.smooth_l1_loss(m.tensor(x4), m.tensor(x4), beta=-1.0),
     ["smooth_l1_loss", "-1.0"]),
    ("huber_shape", lambda F, m: F.huber_loss(m.tensor(x4), m.tensor(np.zeros((4, 2)))),
     ["huber_loss", "(4, 3)", "(4, 2)"]),
    ("huber_delta", lambda F, m: F.huber_loss(m.tensor(x4), m.tensor(x4), delta=0.0), ["huber_loss", "0.0"]),
    ("bce_shape", lambda F, m: F.binary_cross_entropy(m.tensor(p4), m.tensor(p4[:, 0])),
     ["binary_cross_entropy", "(4, 3)", "(4,)"]),
    ("bce_range", lambda F, m: F.binary_cross_entropy(m.tensor(x4), m.tensor(p4)), ["binary_cross_entropy", "0 and 1"]),
    ("bce_reduction", lambda F, m: F.binary_cross_entropy(m.tensor(p4), m.tensor(p4), reduction="mea"),
     ["binary_cross_entropy", "mea"]),
    ("bce_weight_requires_grad", lambda F, m: F.binary_cross_entropy(m.tensor(p4), m.tensor(p4),
                                                                     m.ones(3, dtype=m.float64, requires_grad=True)),
     ["weight", "requires_grad"]),
    ("bce_logits_shape", lambda F, m: F.binary_cross_entropy_with_logits(m.tensor(x4), m.tensor(p4[:2])),
     ["binary_cross_entropy_with_logits", "(4, 3)", "(2, 3)"]),
    ("bce_logits_pos_weight_grad", lambda F, m: F.binary_cross_entropy_with_logits(
        m.tensor(x4), m.tensor(p4), pos_weight=m.ones(3, dtype=m.float64, requires_grad=True)),
     ["pos_weight", "requires_grad"]),
    ("gaussian_nll_var_size", lambda F, m: F.gaussian_nll_loss(m.tensor(x4), m.tensor(x4), m.ones(2, dtype=m.float64)),
     ["gaussian_nll_loss", "(2,)", "(4, 3)"]),
    ("gaussian_nll_negative_var", lambda F, m: F.gaussian_nll_loss(m.tensor(x4), m.tensor(x4), -m.ones(4, 3)),
     ["gaussian_nll_loss", "negative"]),
    ("gaussian_nll_reduction", lambda F, m: F.gaussian_nll_loss(m.tensor(x4), m.tensor(x4), m.ones(4, 3),
                                                                reduction="batchmean"),
     ["gaussian_nll_loss", "batchmean"]),
    ("gaussian_nll_target_shape", lambda F, m: F.gaussian_nll_loss(m.tensor(x4), m.tensor(np.zeros((4, 4))),
                                                                   m.ones(4, 3)),
     ["gaussian_nll_loss", "(4, 3)", "(4, 4)"]),
    ("kl_div_shape", lambda F, m: F.kl_div(m.tensor(x4), m.tensor(np.ones((4, 4)))), ["kl_div", "(4, 3)", "(4, 4)"]),
    ("kl_div_reduction", lambda F, m: F.kl_div(m.tensor(x4), m.tensor(p4), reduction="batch"), ["kl_div", "batch"]),
]


@pytest.mark.parametrize("fn,words", [pytest.param(f, w, id=i) for i, f, w in TORCH_ERRORS])
def test_bad_input_raises_like_torch(fn: Callable[..., Any], words: list[str]) -> None:
    ours, theirs = _both(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as t_err:
            theirs()
        with pytest.raises(Exception) as o_err:
            ours()
    assert type(o_err.value) is type(t_err.value), (o_err.value, t_err.value)
    for w in words:
        assert w in str(o_err.value), (w, str(o_err.value))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_broadcast_target_warns_like_torch(name: str) -> None:
    x, y = x4, x4[:, :1]
    with pytest.warns(UserWarning, match="target size"):
        getattr(TF, name)(torch.tensor(x), torch.tensor(y))
    with pytest.warns(UserWarning, match=f"{name}.*target size") as rec:
        ours = getattr(CF, name)(cr.tensor(x), cr.tensor(y))
    assert rec[0].filename == __file__  # the warning points at the caller's line
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_close(ours, getattr(TF, name)(torch.tensor(x), torch.tensor(y)))


OWN_ERRORS: list[tuple[str, Callable[[], Any], type, list[str]]] = [
    ("focal_target_out_of_range", lambda: CF.focal_loss(cr.tensor(x4), cr.tensor([0, 1, 3, 1])), IndexError,
     ["focal_loss", "3", "3 classes"]),
    ("focal_batch_mismatch", lambda: CF.focal_loss(cr.tensor(x4), cr.tensor([0, 1])), ValueError,
     ["focal_loss", "(4, 3)", "(2,)"]),
    ("focal_alpha_size", lambda: CF.focal_loss(cr.tensor(x4), cr.tensor([0, 1, 2, 1]), alpha=[1.0, 2.0]), ValueError,
     ["focal_loss", "(2,)"]),
    ("focal_reduction", lambda: CF.focal_loss(cr.tensor(x4), cr.tensor([0, 1, 2, 1]), reduction="avg"), ValueError,
     ["focal_loss", "avg"]),
    ("sigmoid_focal_shape", lambda: CF.sigmoid_focal_loss(cr.tensor(x4), cr.tensor(p4[0])), ValueError,
     ["sigmoid_focal_loss", "(4, 3)", "(3,)"]),
    ("sigmoid_focal_reduction", lambda: CF.sigmoid_focal_loss(cr.tensor(x4), cr.tensor(p4), reduction="x"),
     ValueError, ["sigmoid_focal_loss", "'x'"]),
    ("asymmetric_shape", lambda: CF.asymmetric_loss(cr.tensor(x4), cr.tensor(p4.T)), ValueError,
     ["asymmetric_loss", "(4, 3)", "(3, 4)"]),
    ("asymmetric_reduction", lambda: CF.asymmetric_loss(cr.tensor(x4), cr.tensor(p4), reduction="avg"), ValueError,
     ["asymmetric_loss", "avg"]),
    ("focal_module_gamma", lambda: cr.nn.FocalLoss(gamma=-1.0), ValueError, ["FocalLoss", "-1.0"]),
    ("focal_module_sigmoid_alpha", lambda: cr.nn.FocalLoss(alpha=[0.1, 0.9], use_sigmoid=True), ValueError,
     ["FocalLoss", "per-class"]),
    ("asymmetric_module_clip", lambda: cr.nn.AsymmetricLoss(clip=-0.1), ValueError, ["AsymmetricLoss", "-0.1"]),
    ("module_reduction", lambda: cr.nn.CrossEntropyLoss(reduction="avg"), ValueError, ["CrossEntropyLoss", "avg"]),
    ("kl_module_reduction", lambda: cr.nn.MSELoss(reduction="batchmean"), ValueError, ["MSELoss", "batchmean"]),
    ("ce_float_indices", lambda: CF.cross_entropy(cr.tensor(x4), cr.tensor([0.0, 1.0, 2.0, 1.0])), RuntimeError,
     ["cross_entropy", "(4,)", "(4, 3)"]),
]


@pytest.mark.parametrize("fn,exc,words", [pytest.param(f, e, w, id=i) for i, f, e, w in OWN_ERRORS])
def test_bad_input_without_torch_counterpart(fn: Callable[[], Any], exc: type, words: list[str]) -> None:
    with pytest.raises(exc) as err:
        fn()
    for w in words:
        assert w in str(err.value), (w, str(err.value))


def test_cross_entropy_module_reduction_error_type_matches_torch() -> None:
    """PyTorch raises ValueError for a bad reduction at the first call; chainrule at construction, same type."""
    with pytest.raises(ValueError):
        torch.nn.CrossEntropyLoss(reduction="avg")(torch.zeros(2, 3), torch.tensor([0, 1]))
    with pytest.raises(ValueError):
        cr.nn.CrossEntropyLoss(reduction="avg")
