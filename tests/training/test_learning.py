"""Proof that it learns: the classic first models of a deep-learning course, trained with fixed seeds."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

GATES = {
    "AND": [0, 0, 0, 1],
    "OR": [0, 1, 1, 1],
    "XOR": [0, 1, 1, 0],
}
X4 = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)


def _train_gate(model: nn.Module, gate: str, steps: int, lr: float) -> float:
    """Train on the four points of a logic gate with BCE-with-logits; return the final accuracy."""
    x = cr.tensor(X4)
    y = cr.tensor(np.array(GATES[gate], dtype=np.float32)).reshape(4, 1)
    opt = cr.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    for _ in range(steps):
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x), y)
        loss.backward()
        opt.step()
    with cr.no_grad():
        pred = (model(x) > 0).float()
    return float((pred == y).float().mean().item())


@pytest.mark.parametrize("gate", ["AND", "OR"])
def test_perceptron_learns_linearly_separable_gates(gate):
    cr.manual_seed(0)
    assert _train_gate(nn.Linear(2, 1), gate, steps=300, lr=0.5) == 1.0


def test_perceptron_cannot_learn_xor_but_two_layers_can():
    # one linear threshold unit separates at most 3 of XOR's 4 points, however long it trains
    for seed in range(5):
        cr.manual_seed(seed)
        assert _train_gate(nn.Linear(2, 1), "XOR", steps=500, lr=0.5) <= 0.75
    cr.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    assert _train_gate(mlp, "XOR", steps=500, lr=0.5) == 1.0


def test_linear_regression_recovers_w_and_b():
    rng = np.random.default_rng(0)
    w_true = np.array([[2.0, -1.0], [0.5, 3.0], [-1.5, 0.25]], dtype=np.float32)
    b_true = np.array([0.7, -2.0], dtype=np.float32)
    x = rng.standard_normal((256, 3)).astype(np.float32)
    y = x @ w_true + b_true + 0.01 * rng.standard_normal((256, 2)).astype(np.float32)
    cr.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    xt, yt = cr.tensor(x), cr.tensor(y)
    for _ in range(300):
        opt.zero_grad()
        F.mse_loss(model(xt), yt).backward()
        opt.step()
    # the least-squares solution is what gradient descent on the MSE converges to
    a = np.hstack([x, np.ones((256, 1), np.float32)])
    sol = np.linalg.lstsq(a.astype(np.float64), y.astype(np.float64), rcond=None)[0]
    np.testing.assert_allclose(model.weight.detach().numpy().T, sol[:3], atol=1e-3)
    np.testing.assert_allclose(model.bias.detach().numpy(), sol[3], atol=1e-3)
    np.testing.assert_allclose(model.weight.detach().numpy().T, w_true, atol=0.02)


def _blobs(n_classes: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Well separated Gaussian blobs in 2-D: centres on a circle of radius 4, spread 0.5."""
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(n_classes) / n_classes
    centres = 4 * np.stack([np.cos(angles), np.sin(angles)], 1)
    y = rng.integers(0, n_classes, n)
    x = centres[y] + 0.5 * rng.standard_normal((n, 2))
    return x.astype(np.float32), y


def test_logistic_regression_separates_two_blobs():
    x, y = _blobs(2, 400, seed=1)
    cr.manual_seed(0)
    model = nn.Linear(2, 1)
    opt = cr.optim.SGD(model.parameters(), lr=0.5)
    xt, yt = cr.tensor(x), cr.tensor(y.astype(np.float32)).reshape(-1, 1)
    for _ in range(100):
        opt.zero_grad()
        F.binary_cross_entropy_with_logits(model(xt), yt).backward()
        opt.step()
    with cr.no_grad():
        acc = ((model(xt) > 0).float() == yt).float().mean().item()
    assert acc >= 0.99


def test_softmax_regression_separates_four_blobs():
    x, y = _blobs(4, 800, seed=2)
    cr.manual_seed(0)
    model = nn.Linear(2, 4)
    opt = cr.optim.SGD(model.parameters(), lr=0.5)
    xt, yt = cr.tensor(x), cr.tensor(y)
    for _ in range(200):
        opt.zero_grad()
        F.cross_entropy(model(xt), yt).backward()
        opt.step()
    with cr.no_grad():
        acc = (model(xt).argmax(1) == yt).float().mean().item()
    assert acc >= 0.98


def test_mlp_training_matches_pytorch_step_for_step():
    """Same initial weights, same batches, 100 SGD-momentum steps: the same loss in float64 to 1e-8."""
    rng = np.random.default_rng(0)
    ours = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 5)).double()
    ref = torch.nn.Sequential(torch.nn.Linear(20, 32), torch.nn.ReLU(), torch.nn.Linear(32, 16), torch.nn.Tanh(),
                              torch.nn.Linear(16, 5)).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    opt = cr.optim.SGD(ours.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    ropt = torch.optim.SGD(ref.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    for _ in range(100):
        xb = rng.standard_normal((16, 20))
        yb = rng.integers(0, 5, 16)
        opt.zero_grad()
        loss = F.cross_entropy(ours(cr.tensor(xb)), cr.tensor(yb))
        loss.backward()
        opt.step()
        ropt.zero_grad()
        rloss = torch.nn.functional.cross_entropy(ref(torch.tensor(xb)), torch.tensor(yb))
        rloss.backward()
        ropt.step()
    assert abs(loss.item() - rloss.item()) < 1e-8
    for (name, p), (rname, rp) in zip(ours.named_parameters(), ref.named_parameters()):
        assert name == rname
        np.testing.assert_allclose(p.detach().numpy(), rp.detach().numpy(), atol=1e-8, rtol=0)
