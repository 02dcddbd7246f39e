"""Every loss with a PyTorch counterpart against PyTorch: forward value and dtype, then the gradient of every input
PyTorch differentiates (input; target where PyTorch gives one), under the same random upstream gradient, for every
reduction and for float64 / float32. Then the modules (state_dict keys, repr, forward), extreme logits, and the
check that the fused primitives compute in float32 inside (the engine would hide a float64 leak by casting)."""

from __future__ import annotations

import warnings
import zlib
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import chainrule as cr
import chainrule.nn.functional as CF
from chainrule.ops.loss import BinaryCrossEntropy, BinaryCrossEntropyWithLogits, CrossEntropy
from tests.helpers import assert_close

N, C = 5, 4
DTYPES = ["float64", "float32"]


@dataclass(frozen=True)
class In:
    """One input: ``shape``, the value ``kind`` and whether its gradient is compared with PyTorch's.

    kind: x (normal logits / values), p (probabilities in [0.02, 0.98]), y (soft targets in [0, 1]), b (0/1 floats),
    s (softmax along the class dim), ls (log-softmax), v (variances in [0.5, 2]), vt (variances in [0, 1e-2], many
    below a 1e-3 eps), w (weights in [0.5, 1.5]), t (class indices in [0, C)), ti / t1 (indices, every third -100 / 1).
    """

    shape: tuple[int, ...]
    kind: str = "x"
    grad: bool = False


def X(*shape: int) -> In:
    return In(shape, "x", True)


def W(*shape: int) -> In:
    return In(shape, "w")


def T(*shape: int, ignore: int | None = None) -> In:
    """Class indices; with ``ignore``, every third one is that ignore value (-100 or 1)."""
    return In(shape, {None: "t", -100: "ti", 1: "t1"}[ignore])


@dataclass(frozen=True)
class Case:
    name: str
    fn: Callable[..., Any]  # fn(F, *inputs, reduction) with F torch.nn.functional or chainrule.nn.functional
    inputs: tuple[In, ...]
    reductions: tuple[str, ...] = ("none", "mean", "sum")


CASES = [
    # regression
    Case("mse", lambda F, a, b, r: F.mse_loss(a, b, reduction=r), (X(N, C), X(N, C))),
    Case("mse_3d", lambda F, a, b, r: F.mse_loss(a, b, reduction=r), (X(2, 3, 4), X(2, 3, 4))),
    Case("mse_weight", lambda F, a, b, w, r: F.mse_loss(a, b, reduction=r, weight=w), (X(N, C), X(N, C), W(N, C))),
    Case("l1", lambda F, a, b, r: F.l1_loss(a, b, reduction=r), (X(N, C), X(N, C))),
    Case("l1_weight", lambda F, a, b, w, r: F.l1_loss(a, b, reduction=r, weight=w), (X(N, C), X(N, C), W(N, C))),
    Case("smooth_l1", lambda F, a, b, r: F.smooth_l1_loss(a, b, reduction=r), (X(N, C), X(N, C))),
    Case("smooth_l1_beta", lambda F, a, b, r: F.smooth_l1_loss(a, b, reduction=r, beta=0.5), (X(N, C), X(N, C))),
    Case("smooth_l1_beta0", lambda F, a, b, r: F.smooth_l1_loss(a, b, reduction=r, beta=0.0), (X(N, C), X(N, C))),
    Case("huber", lambda F, a, b, r: F.huber_loss(a, b, reduction=r), (X(N, C), X(N, C))),
    Case("huber_delta", lambda F, a, b, r: F.huber_loss(a, b, reduction=r, delta=0.7), (X(N, C), X(N, C))),
    Case("huber_weight", lambda F, a, b, w, r: F.huber_loss(a, b, reduction=r, delta=0.7, weight=w),
         (X(N, C), X(N, C), W(N, C))),
    Case("gaussian_nll", lambda F, a, b, v, r: F.gaussian_nll_loss(a, b, v, reduction=r),
         (X(N, C), X(N, C), In((N, C), "v", True))),
    Case("gaussian_nll_full", lambda F, a, b, v, r: F.gaussian_nll_loss(a, b, v, full=True, reduction=r),
         (X(N, C), X(N, C), In((N, C), "v", True))),
    Case("gaussian_nll_var_col", lambda F, a, b, v, r: F.gaussian_nll_loss(a, b, v, reduction=r),
         (X(N, C), X(N, C), In((N, 1), "v", True))),
    Case("gaussian_nll_var_dropped", lambda F, a, b, v, r: F.gaussian_nll_loss(a, b, v, reduction=r),
         (X(N, C), X(N, C), In((N,), "v", True))),
    Case("gaussian_nll_var_mid", lambda F, a, b, v, r: F.gaussian_nll_loss(a, b, v, reduction=r),
         (X(2, 3, 4), X(2, 3, 4), In((2, 1, 4), "v", True))),
    Case("gaussian_nll_eps_clamp", lambda F, a, b, v, r: F.gaussian_nll_loss(a, b, v, eps=1e-3, reduction=r),
         (X(N, C), X(N, C), In((N, C), "vt", True))),
    Case("gaussian_nll_float_var", lambda F, a, b, r: F.gaussian_nll_loss(a, b, 0.7, reduction=r), (X(N, C), X(N, C))),
    Case("kl_div", lambda F, a, b, r: F.kl_div(a, b, reduction=r), (In((N, C), "ls", True), In((N, C), "s", True)),
         ("none", "mean", "sum", "batchmean")),
    Case("kl_div_log_target", lambda F, a, b, r: F.kl_div(a, b, reduction=r, log_target=True),
         (In((N, C), "ls", True), In((N, C), "ls", True)), ("none", "mean", "sum", "batchmean")),
    Case("kl_div_zero_target", lambda F, a, b, r: F.kl_div(a, b, reduction=r),  # d/dy at y = 0 is nan in torch
         (In((N, C), "ls", True), In((N, C), "b")), ("none", "batchmean")),
    # binary
    Case("bce", lambda F, p, y, r: F.binary_cross_entropy(p, y, reduction=r), (In((N, C), "p", True),
                                                                              In((N, C), "y", True))),
    Case("bce_hard", lambda F, p, y, r: F.binary_cross_entropy(p, y, reduction=r), (In((N, C), "p", True),
                                                                                   In((N, C), "b"))),
    Case("bce_weight", lambda F, p, y, w, r: F.binary_cross_entropy(p, y, w, reduction=r),
         (In((N, C), "p", True), In((N, C), "y", True), W(C))),
    Case("bce_logits", lambda F, x, y, r: F.binary_cross_entropy_with_logits(x, y, reduction=r),
         (X(N, C), In((N, C), "y", True))),
    Case("bce_logits_weight", lambda F, x, y, w, r: F.binary_cross_entropy_with_logits(x, y, w, reduction=r),
         (X(N, C), In((N, C), "y", True), W(C))),
    Case("bce_logits_pos_weight", lambda F, x, y, pw, r: F.binary_cross_entropy_with_logits(x, y, reduction=r,
                                                                                             pos_weight=pw),
         (X(N, C), In((N, C), "y", True), W(C))),
    Case("bce_logits_both", lambda F, x, y, w, pw, r: F.binary_cross_entropy_with_logits(x, y, w, reduction=r,
                                                                                          pos_weight=pw),
         (X(2, 3, C), In((2, 3, C), "b"), W(3, 1), W(C))),
    # multi-class, class indices
    Case("ce", lambda F, x, t, r: F.cross_entropy(x, t, reduction=r), (X(N, C), T(N))),
    Case("ce_weight", lambda F, x, t, w, r: F.cross_entropy(x, t, w, reduction=r), (X(N, C), T(N), W(C))),
    Case("ce_ignore", lambda F, x, t, r: F.cross_entropy(x, t, reduction=r), (X(N, C), T(N, ignore=-100))),
    Case("ce_ignore_1", lambda F, x, t, w, r: F.cross_entropy(x, t, w, ignore_index=1, reduction=r),
         (X(N, C), T(N, ignore=1), W(C))),
    Case("ce_smoothing", lambda F, x, t, r: F.cross_entropy(x, t, reduction=r, label_smoothing=0.15),
         (X(N, C), T(N))),
    Case("ce_all", lambda F, x, t, w, r: F.cross_entropy(x, t, w, reduction=r, label_smoothing=0.2),
         (X(N, C), T(N, ignore=-100), W(C))),
    Case("ce_spatial", lambda F, x, t, r: F.cross_entropy(x, t, reduction=r), (X(2, C, 3, 2), T(2, 3, 2))),
    Case("ce_spatial_all", lambda F, x, t, w, r: F.cross_entropy(x, t, w, reduction=r, label_smoothing=0.1),
         (X(2, C, 3, 2), T(2, 3, 2, ignore=-100), W(C))),
    Case("ce_1d_extra", lambda F, x, t, r: F.cross_entropy(x, t, reduction=r), (X(N, C, 3), T(N, 3))),
    Case("ce_unbatched", lambda F, x, t, w, r: F.cross_entropy(x, t, w, reduction=r, label_smoothing=0.1),
         (X(C), T(), W(C))),
    # multi-class, class probabilities
    Case("ce_prob", lambda F, x, y, r: F.cross_entropy(x, y, reduction=r), (X(N, C), In((N, C), "s", True))),
    Case("ce_prob_weight", lambda F, x, y, w, r: F.cross_entropy(x, y, w, reduction=r),
         (X(N, C), In((N, C), "s", True), W(C))),
    Case("ce_prob_smoothing", lambda F, x, y, w, r: F.cross_entropy(x, y, w, reduction=r, label_smoothing=0.3),
         (X(N, C), In((N, C), "s", True), W(C))),
    Case("ce_prob_spatial", lambda F, x, y, r: F.cross_entropy(x, y, reduction=r, label_smoothing=0.1),
         (X(2, C, 3, 2), In((2, C, 3, 2), "s", True))),
    Case("ce_prob_unbatched", lambda F, x, y, r: F.cross_entropy(x, y, reduction=r), (X(C), In((C,), "s", True))),
    # negative log-likelihood
    Case("nll", lambda F, x, t, r: F.nll_loss(x, t, reduction=r), (In((N, C), "ls", True), T(N))),
    Case("nll_weight_ignore", lambda F, x, t, w, r: F.nll_loss(x, t, w, reduction=r),
         (In((N, C), "ls", True), T(N, ignore=-100), W(C))),
    Case("nll_spatial", lambda F, x, t, w, r: F.nll_loss(x, t, w, ignore_index=1, reduction=r),
         (In((2, C, 3, 2), "ls", True), T(2, 3, 2, ignore=1), W(C))),
    Case("nll_unbatched", lambda F, x, t, r: F.nll_loss(x, t, reduction=r), (In((C,), "ls", True), T())),
]


def draw(rng: np.random.Generator, spec: In) -> np.ndarray:
    """float64 values (or int64 indices) of ``spec``."""
    shape, k = spec.shape, spec.kind
    if k in ("t", "ti", "t1"):
        t = rng.integers(0, C, shape)
        if k != "t" and t.size:
            t.reshape(-1)[::3] = -100 if k == "ti" else 1
        return t.astype(np.int64)
    if k in ("s", "ls"):
        z = rng.standard_normal(shape)
        ax = 1 if len(shape) > 1 else 0
        lp = z - np.log(np.exp(z).sum(axis=ax, keepdims=True))
        return lp if k == "ls" else np.exp(lp)
    draws = {"x": lambda: rng.standard_normal(shape), "p": lambda: rng.uniform(0.02, 0.98, shape),
             "y": lambda: rng.uniform(0.0, 1.0, shape), "b": lambda: rng.integers(0, 2, shape).astype(np.float64),
             "v": lambda: rng.uniform(0.5, 2.0, shape), "vt": lambda: rng.uniform(0.0, 1e-2, shape),
             "w": lambda: rng.uniform(0.5, 1.5, shape)}
    return draws[k]()


def build(case: Case, dtype: str) -> tuple[list[Any], list[Any]]:
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    ours, theirs = [], []
    for spec in case.inputs:
        a = draw(rng, spec)
        if a.dtype.kind == "f":
            a = a.astype(dtype)
        o, t = cr.from_numpy(a.copy()), torch.from_numpy(a.copy())
        if spec.grad:
            o.requires_grad_(True)
            t.requires_grad_(True)
        ours.append(o)
        theirs.append(t)
    return ours, theirs


def run_both(fn: Callable[..., Any], ours: list[Any], theirs: list[Any], *args: Any) -> tuple[Any, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kl_div 'mean' warns in both frameworks
        return fn(CF, *ours, *args), fn(TF, *theirs, *args)


def compare(fn: Callable[..., Any], ours: list[Any], theirs: list[Any], dtype: str, *args: Any) -> None:
    """Forward, then every input gradient under one random upstream gradient."""
    lo, lt = run_both(fn, ours, theirs, *args)
    assert_close(lo, lt, "fwd")
    g = np.random.default_rng(1).standard_normal(tuple(lt.shape)).astype(dtype)
    lo.backward(cr.from_numpy(g.copy()))
    lt.backward(torch.from_numpy(g.copy()))
    checked = 0
    for i, (o, t) in enumerate(zip(ours, theirs)):
        if t.requires_grad:
            assert o.grad is not None, f"input {i}: no gradient"
            assert_close(o.grad, t.grad, "grad")
            checked += 1
    assert checked, "no gradient compared"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case,reduction", [pytest.param(c, r, id=f"{c.name}-{r}") for c in CASES
                                            for r in c.reductions])
def test_loss_matches_torch(case: Case, reduction: str, dtype: str) -> None:
    ours, theirs = build(case, dtype)
    compare(case.fn, ours, theirs, dtype, reduction)


def test_every_torch_counterpart_is_covered() -> None:
    """Each chainrule loss with a PyTorch counterpart appears in the table (a row cannot silently go missing)."""
    names = " ".join(c.name for c in CASES)
    for fn in ("mse", "l1", "smooth_l1", "huber", "gaussian_nll", "kl_div", "bce", "bce_logits", "ce", "ce_prob",
               "nll"):
        assert fn in names.split() or any(n.startswith(fn + "_") for n in names.split()), fn


# ----------------------------------------------------------------- edge values
def test_all_targets_ignored_gives_nan_and_zero_grad() -> None:
    x = np.random.default_rng(0).standard_normal((3, C))
    cases = [("cross_entropy", {}), ("cross_entropy", {"label_smoothing": 0.1}), ("cross_entropy", {"weight": 1}),
             ("nll_loss", {}), ("nll_loss", {"weight": 1})]
    for fn, kw in cases:
        a, b = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ka = {k: cr.ones(C, dtype=cr.float64) if k == "weight" else v for k, v in kw.items()}
        kb = {k: torch.ones(C, dtype=torch.float64) if k == "weight" else v for k, v in kw.items()}
        la = getattr(CF, fn)(a, cr.tensor([-100, -100, -100]), **ka)
        lb = getattr(TF, fn)(b, torch.tensor([-100, -100, -100]), **kb)
        assert np.isnan(la.item()) and np.isnan(lb.item()), (fn, kw)
        la.backward()
        lb.backward()
        assert_close(a.grad, b.grad, "grad")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["ce", "ce_smoothing_weight", "ce_prob", "bce_logits", "bce_logits_pos_weight",
                                  "bce_saturated"])
def test_extreme_logits_stay_finite(name: str, dtype: str) -> None:
    """Logits of +-100 (and probabilities of exactly 0 and 1 for BCE): finite loss and gradients, equal to torch's."""
    x = np.array([[100.0, -100.0, 0.0, 3.0], [-100.0, -100.0, 100.0, 100.0], [100.0, 100.0, 100.0, -100.0]], dtype)
    t = np.array([1, 0, 3])
    y = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0], [1.0, 1.0, 0.0, 1.0]], dtype)
    w = np.array([0.5, 1.0, 2.0, 1.5], dtype)
    fns = {
        "ce": (lambda F, a, m: F.cross_entropy(a, m.tensor(t)), x),
        "ce_smoothing_weight": (lambda F, a, m: F.cross_entropy(a, m.tensor(t), m.tensor(w), label_smoothing=0.1),
                                x),
        "ce_prob": (lambda F, a, m: F.cross_entropy(a, m.tensor(y / y.sum(1, keepdims=True))), x),
        "bce_logits": (lambda F, a, m: F.binary_cross_entropy_with_logits(a, m.tensor(y), reduction="sum"), x),
        "bce_logits_pos_weight": (lambda F, a, m: F.binary_cross_entropy_with_logits(a, m.tensor(y),
                                                                                     pos_weight=m.tensor(w)), x),
        "bce_saturated": (lambda F, a, m: F.binary_cross_entropy(a, m.tensor(y)),
                          np.array([[1.0, 0.0, 0.0, 1.0]] * 3, dtype)),
    }
    fn, data = fns[name]
    a, b = cr.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    la, lb = fn(CF, a, cr), fn(TF, b, torch)
    la.backward()
    lb.backward()
    assert np.isfinite(la.item()) and np.isfinite(a.grad.numpy()).all()
    assert_close(la, lb)
    assert_close(a.grad, b.grad, "grad")


def test_bce_target_gradient_at_saturated_input_matches_torch() -> None:
    p = np.array([0.0, 1.0, 0.5, 1e-300])
    a, b = cr.tensor(p, requires_grad=True), torch.tensor(p, requires_grad=True)
    y = np.array([1.0, 0.0, 0.3, 1.0])
    ya, yb = cr.tensor(y, requires_grad=True), torch.tensor(y, requires_grad=True)
    CF.binary_cross_entropy(a, ya, reduction="sum").backward()
    TF.binary_cross_entropy(b, yb, reduction="sum").backward()
    assert_close(a.grad, b.grad, "grad")
    assert_close(ya.grad, yb.grad, "grad")


# ----------------------------------------------------------------- float32 inside the fused primitives
def _raw(prim: Any, needs: tuple[bool, ...]) -> Any:
    ctx = object.__new__(prim)
    ctx.needs_input_grad = needs
    return ctx


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_primitive_computes_in_float32(reduction: str, smoothing: float, weighted: bool) -> None:
    """float32 logits with int64 labels: forward and backward arrays are float32 before the engine's cast."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, C)).astype(np.float32)
    t = np.array([0, 1, 2, 3, -100, 1], dtype=np.int64)
    w = rng.uniform(0.5, 1.5, C).astype(np.float32) if weighted else None
    ctx = _raw(CrossEntropy, (True, False, False, False, False, False))
    out = ctx.forward(x, t, w, -100, smoothing, reduction)
    assert np.asarray(out).dtype == np.float32
    g = np.ones_like(np.asarray(out))
    assert ctx.backward(g)[0].dtype == np.float32


@pytest.mark.parametrize("prim,n_in", [(BinaryCrossEntropy, 3), (BinaryCrossEntropyWithLogits, 4)])
def test_binary_primitives_compute_in_float32(prim: Any, n_in: int) -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 0.9, (3, C)).astype(np.float32)
    y = rng.uniform(0, 1, (3, C)).astype(np.float32)
    w = rng.uniform(0.5, 1.5, C).astype(np.float32)
    ctx = _raw(prim, (True, True) + (False,) * (n_in - 2))
    out = ctx.forward(x, y, *([w] * (n_in - 2)))
    assert out.dtype == np.float32
    gx, gy = ctx.backward(np.ones_like(out))[:2]
    assert gx.dtype == np.float32 and gy.dtype == np.float32


@pytest.mark.parametrize("case", [c for c in CASES if c.name in ("ce_all", "ce_prob_smoothing", "bce_logits_both",
                                                                  "bce_weight", "nll_weight_ignore", "mse_weight",
                                                                  "gaussian_nll", "kl_div", "huber_weight")],
                         ids=lambda c: c.name)
def test_float32_in_float32_out_and_grads(case: Case) -> None:
    ours, _ = build(case, "float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loss = case.fn(CF, *ours, "mean" if case.name != "kl_div" else "batchmean")
    assert loss.dtype == cr.float32
    loss.backward()
    for o in ours:
        if o.requires_grad:
            assert o.grad.dtype == cr.float32


# ----------------------------------------------------------------- modules
MODULES = [
    ("MSELoss", {}, "mse"), ("L1Loss", {"reduction": "sum"}, "l1"), ("SmoothL1Loss", {"beta": 0.5}, "smooth_l1"),
    ("HuberLoss", {"delta": 0.7, "reduction": "none"}, "huber"), ("BCELoss", {"weight": "w"}, "bce"),
    ("BCEWithLogitsLoss", {"weight": "w", "pos_weight": "w2"}, "bce_logits"),
    ("BCEWithLogitsLoss", {"pos_weight": "w2"}, "bce_logits"),
    ("CrossEntropyLoss", {"weight": "w", "ignore_index": 1, "label_smoothing": 0.1}, "ce_ignore_1"),
    ("CrossEntropyLoss", {}, "ce_prob"), ("NLLLoss", {"weight": "w", "reduction": "sum"}, "nll_weight_ignore"),
    ("GaussianNLLLoss", {"full": True, "eps": 1e-3}, "gaussian_nll"),
    ("KLDivLoss", {"reduction": "batchmean", "log_target": True}, "kl_div_log_target"),
]


@pytest.mark.parametrize("name,kwargs,case_name", MODULES, ids=[f"{m[0]}-{i}" for i, m in enumerate(MODULES)])
def test_module_matches_torch(name: str, kwargs: dict[str, Any], case_name: str) -> None:
    case = next(c for c in CASES if c.name == case_name)
    rng = np.random.default_rng(3)
    wts = {"w": rng.uniform(0.5, 1.5, C), "w2": rng.uniform(0.5, 3.0, C)}
    ka = {k: cr.tensor(wts[v]) if v in wts else v for k, v in kwargs.items()}
    kb = {k: torch.tensor(wts[v]) if v in wts else v for k, v in kwargs.items()}
    ma, mb = getattr(cr.nn, name)(**ka), getattr(torch.nn, name)(**kb)
    assert list(ma.state_dict()) == list(mb.state_dict())
    for k, v in mb.state_dict().items():
        np.testing.assert_array_equal(ma.state_dict()[k].numpy(), v.numpy())
    ours, theirs = build(case, "float64")
    ours = [o for o, s in zip(ours, case.inputs) if s.kind != "w"]  # weights come from the module
    theirs = [t for t, s in zip(theirs, case.inputs) if s.kind != "w"]
    compare(lambda F, *xs: (ma if F is CF else mb)(*xs), ours, theirs, "float64")


@pytest.mark.parametrize("name", ["MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss",
                                  "CrossEntropyLoss", "NLLLoss", "GaussianNLLLoss", "KLDivLoss"])
def test_module_defaults_repr_and_signature(name: str) -> None:
    import inspect

    ours, theirs = getattr(cr.nn, name), getattr(torch.nn, name)
    assert repr(ours()) == repr(theirs())
    po, pt = inspect.signature(ours.__init__).parameters, inspect.signature(theirs.__init__).parameters
    assert [(p.name, p.default, p.kind) for p in po.values()] == [(p.name, p.default, p.kind) for p in pt.values()]


def test_module_extra_repr_shows_non_defaults() -> None:
    assert repr(cr.nn.CrossEntropyLoss(label_smoothing=0.1)) == "CrossEntropyLoss(label_smoothing=0.1)"
    assert repr(cr.nn.KLDivLoss(reduction="batchmean")) == "KLDivLoss(reduction='batchmean')"
    assert repr(cr.nn.FocalLoss(alpha=0.25)) == "FocalLoss(alpha=0.25)"
    assert repr(cr.nn.AsymmetricLoss(gamma_pos=1.0)) == "AsymmetricLoss(gamma_pos=1.0)"


def test_weight_buffer_follows_module_to_and_load_state_dict() -> None:
    tm = torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 3.0]))
    m = cr.nn.CrossEntropyLoss(weight=cr.ones(3))
    m.load_state_dict({k: v.numpy() for k, v in tm.state_dict().items()})
    np.testing.assert_array_equal(m.weight.numpy(), [1.0, 2.0, 3.0])
    assert m.double().weight.dtype == cr.float64


@pytest.mark.parametrize("size_average,reduce", [(False, None), (None, False), (True, True), (False, True)])
def test_legacy_size_average_and_reduce(size_average: Any, reduce: Any) -> None:
    x = np.random.default_rng(0).standard_normal((3, C))
    t = np.array([0, 1, 3])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ma = cr.nn.CrossEntropyLoss(size_average=size_average, reduce=reduce)
        mb = torch.nn.CrossEntropyLoss(size_average=size_average, reduce=reduce)
        assert ma.reduction == mb.reduction
        assert_close(CF.mse_loss(cr.tensor(x), cr.tensor(x * 2), size_average, reduce),
                     TF.mse_loss(torch.tensor(x), torch.tensor(x * 2), size_average, reduce))
    assert_close(ma(cr.tensor(x), cr.tensor(t)), mb(torch.tensor(x), torch.tensor(t)))
