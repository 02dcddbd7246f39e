"""AdamP vs the paper's algorithm written out in plain NumPy (Heo et al., ICLR 2021, Algorithm 2 with the bias
corrections, channel-then-layer test and ``wd_ratio`` of the authors' release), on weights that are scale-invariant
per channel, scale-invariant per layer, and ordinary."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from tests.helpers import TOL

rng0 = np.random.default_rng(7)
C_ROW = rng0.standard_normal((4, 6))  # fixed "downstream" directions of the synthetic losses
C_LAYER = rng0.standard_normal((3, 5))
C_CONV = rng0.standard_normal((4, 2, 3, 3))
T_PLAIN = rng0.standard_normal((4, 6))


def grad_row_invariant(w: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Gradient of L(w) = <c, w_r / ||w_r||> summed over rows: invariant to scaling each row (as before a norm)."""
    w2, c2 = w.reshape(len(w), -1), c.reshape(len(c), -1)
    n = np.linalg.norm(w2, axis=1, keepdims=True)
    u = w2 / n
    return ((c2 - u * np.sum(u * c2, axis=1, keepdims=True)) / n).reshape(w.shape)


def grad_layer_invariant(w: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Gradient of L(w) = <c, w / ||w||_F>: invariant to scaling the whole layer only."""
    n = np.linalg.norm(w)
    u = w / n
    return (c - u * np.sum(u * c)) / n


def gradient(w: np.ndarray, step: int, index: int) -> np.ndarray:
    if index == 0:
        g = grad_row_invariant(w, C_ROW)
    elif index == 1:
        g = grad_layer_invariant(w, C_LAYER)
    elif index == 2:
        g = grad_row_invariant(w, C_CONV)
    else:  # ordinary weights (2-D) and a bias (1-D): a quadratic pull plus per-step noise
        g = 2.0 * (w - 0.3) + 0.3 * np.random.default_rng(100 * step + index).standard_normal(w.shape)
    return g.astype(w.dtype)


def reference_adamp(weights, steps, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, delta=0.1,
                    wd_ratio=0.1, nesterov=False):
    """AdamP written from the paper, one parameter and one row at a time; returns the weights and, per parameter,
    which test (if any) triggered the projection at each step."""
    b1, b2 = betas
    ws = [w.astype(np.float64).copy() for w in weights]
    m = [np.zeros_like(w) for w in ws]
    v = [np.zeros_like(w) for w in ws]
    projected = [[] for _ in ws]
    for t in range(1, steps + 1):
        for i, w in enumerate(ws):
            g = gradient(w, t - 1, i)
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            denom = np.sqrt(v[i]) / math.sqrt(1 - b2 ** t) + eps
            p = ((b1 * m[i] + (1 - b1) * g) if nesterov else m[i]) / denom
            ratio, which = 1.0, None
            if w.ndim > 1:
                for kind, rows in (("channel", w.shape[0]), ("layer", 1)):
                    W, G, P = w.reshape(rows, -1), g.reshape(rows, -1), p.reshape(rows, -1)
                    cos = [abs(G[r] @ W[r]) / (max(np.linalg.norm(G[r]), eps) * max(np.linalg.norm(W[r]), eps))
                           for r in range(rows)]
                    if max(cos) < delta / math.sqrt(W.shape[1]):  # the weight looks scale-invariant
                        for r in range(rows):  # project the update onto the tangent space of W[r]
                            unit = W[r] / (np.linalg.norm(W[r]) + eps)
                            P[r] = P[r] - unit * (unit @ P[r])
                        ratio, which = wd_ratio, kind
                        break
            projected[i].append(which)
            w *= 1 - lr * weight_decay * ratio
            w -= lr / (1 - b1 ** t) * p
    return ws, projected


SHAPES = [(4, 6), (3, 5), (4, 2, 3, 3), (4, 6), (6,)]
EXPECTED = ["channel", "layer", "channel", None, None]


def initial_weights(dtype):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES]


def run_ours(weights, steps, **kw):
    params = [cr.nn.Parameter(cr.tensor(w.copy())) for w in weights]
    opt = cr.optim.AdamP(params, **kw)
    for k in range(steps):
        for i, p in enumerate(params):
            p.grad = cr.tensor(gradient(p.detach().numpy(), k, i))
        opt.step()
    return [p.detach().numpy() for p in params]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", [dict(lr=1e-2), dict(lr=1e-2, nesterov=True),
                                dict(lr=1e-2, weight_decay=0.1, wd_ratio=0.3),
                                dict(lr=5e-3, betas=(0.8, 0.99), weight_decay=0.05, nesterov=True, delta=0.2)],
                         ids=["plain", "nesterov", "wd", "nesterov-wd"])
def test_adamp_matches_reference(kw, dtype):
    weights = initial_weights(dtype)
    ref, projected = reference_adamp(weights, 30, **kw)
    # every branch ran: per-channel projection, per-layer projection, and no projection
    for which, expected in zip(projected, EXPECTED):
        assert set(which) == {expected}
    ours = run_ours(weights, 30, **kw)
    for a, b in zip(ours, ref):
        assert a.dtype == np.dtype(dtype)
        np.testing.assert_allclose(a, b, **TOL[dtype]["fwd"])


def test_projected_update_is_tangent():
    """Without weight decay, one step on a row-wise scale-invariant weight moves each row orthogonally to itself."""
    w0 = initial_weights("float64")[0]
    w1 = run_ours([w0], 1, lr=1e-2)[0]
    unit = w0 / np.linalg.norm(w0, axis=1, keepdims=True)
    radial = np.sum((w1 - w0) * unit, axis=1)
    step = np.abs(w1 - w0).max()
    assert step > 1e-3 and np.abs(radial).max() < 1e-6 * step  # only eps (in w / (||w|| + eps)) is left radial


def test_adamp_slows_norm_growth_of_scale_invariant_weights():
    """The paper's point: momentum inflates the norm of scale-invariant weights under Adam; AdamP's projection keeps
    it nearly constant (only the second-order growth of a tangent step remains)."""
    w0 = initial_weights("float64")[0]
    p_adam, p_adamp = cr.nn.Parameter(cr.tensor(w0.copy())), cr.nn.Parameter(cr.tensor(w0.copy()))
    adam, adamp = cr.optim.Adam([p_adam], lr=0.05), cr.optim.AdamP([p_adamp], lr=0.05)
    for _ in range(50):
        for p, opt in ((p_adam, adam), (p_adamp, adamp)):
            p.grad = cr.tensor(grad_row_invariant(p.detach().numpy(), C_ROW))
            opt.step()
    growth_adam = np.linalg.norm(p_adam.detach().numpy()) / np.linalg.norm(w0) - 1
    growth_adamp = np.linalg.norm(p_adamp.detach().numpy()) / np.linalg.norm(w0) - 1
    assert growth_adam > 0.2 and growth_adamp < 0.2 * growth_adam


def test_adamp_without_projection_is_adamw():
    """On weights that are not scale-invariant AdamP is Adam with decoupled weight decay: torch's AdamW."""
    weights = initial_weights("float64")[3:]
    ours = [cr.nn.Parameter(cr.tensor(w.copy())) for w in weights]
    theirs = [torch.nn.Parameter(torch.from_numpy(w.copy())) for w in weights]
    opt = cr.optim.AdamP(ours, lr=1e-2, weight_decay=0.1)
    topt = torch.optim.AdamW(theirs, lr=1e-2, weight_decay=0.1, foreach=False)
    for k in range(30):
        for i, (p, tp) in enumerate(zip(ours, theirs)):
            p.grad = cr.tensor(gradient(p.detach().numpy(), k, i + 3))
            tp.grad = torch.from_numpy(gradient(tp.detach().numpy(), k, i + 3))
        opt.step()
        topt.step()
    for p, tp in zip(ours, theirs):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), **TOL["float64"]["fwd"])


def test_adamp_defaults_and_validation():
    p = cr.nn.Parameter(cr.ones(2, 2))
    group = cr.optim.AdamP([p]).param_groups[0]
    assert (group["lr"], group["betas"], group["eps"], group["weight_decay"], group["delta"], group["wd_ratio"],
            group["nesterov"]) == (1e-3, (0.9, 0.999), 1e-8, 0, 0.1, 0.1, False)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        cr.optim.AdamP([p], lr=-1)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 0: 1.0"):
        cr.optim.AdamP([p], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="Invalid delta value: -0.1"):
        cr.optim.AdamP([p], delta=-0.1)
    with pytest.raises(ValueError, match="Invalid wd_ratio value: 2"):
        cr.optim.AdamP([p], wd_ratio=2)
