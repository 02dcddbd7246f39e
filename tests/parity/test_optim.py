"""Optimizers vs PyTorch: the same parameters, fed the same gradients, must take the same steps.

Each case runs 30 steps from identical initial weights. The gradient is a fixed deterministic function of the current
weights (a quadratic pull, a sine ripple and a per-step noise pattern), computed by NumPy from each framework's own
weights, so any drift would feed back rather than cancel.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import chainrule as cr
from tests.helpers import assert_close

SHAPES = [(5, 4), (4,), (3, 2, 2)]
STEPS = 30

# (optimizer, options): every option combination named in the brief
CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.05)),
    ("SGD", dict(lr=0.05, weight_decay=0.05, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.7, dampening=0.5, weight_decay=0.02, maximize=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.05, eps=1e-6)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.05)),
    ("Adadelta", dict(maximize=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(centered=True)),
    ("RMSprop", dict(momentum=0.9)),
    ("RMSprop", dict(centered=True, momentum=0.9)),
    ("RMSprop", dict(lr=0.005, alpha=0.9, eps=1e-6, weight_decay=0.05, centered=True, momentum=0.5)),
    ("RMSprop", dict(alpha=0.9, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)),
    ("Adamax", dict(maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(weight_decay=0.1)),
    ("NAdam", dict(weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(momentum_decay=0.01, betas=(0.8, 0.99), maximize=True)),
    ("RAdam", dict()),  # rho_t passes 5 after a few steps: both branches of the rectification run
    ("RAdam", dict(weight_decay=0.1)),
    ("RAdam", dict(weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(betas=(0.8, 0.9), maximize=True)),
]


def _id(case: tuple[str, dict]) -> str:
    name, kw = case
    return name + "(" + ",".join(f"{k}={v}" for k, v in kw.items()) + ")"


def make_params(dtype: str, shapes=SHAPES, seed: int = 0) -> tuple[list, list]:
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    ours = [cr.nn.Parameter(cr.tensor(a.copy())) for a in arrays]
    theirs = [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in arrays]
    return ours, theirs


def gradient(w: np.ndarray, step: int, index: int) -> np.ndarray:
    noise = np.random.default_rng(1000 * step + index).standard_normal(w.shape)
    return (2.0 * (w - 0.5) + 0.3 * np.sin(3.0 * w) + 0.2 * noise).astype(w.dtype)


def feed(ours: list, theirs: list, step: int) -> None:
    """Set the same gradient, computed from each framework's own weights, on both sets of parameters."""
    for i, (p, tp) in enumerate(zip(ours, theirs)):
        p.grad = cr.tensor(gradient(p.detach().numpy(), step, i))
        tp.grad = torch.from_numpy(gradient(tp.detach().numpy(), step, i))


def train(opt, topt, ours, theirs, steps: int, start: int = 0) -> None:
    for k in range(start, start + steps):
        feed(ours, theirs, k)
        opt.step()
        topt.step()


def assert_params_close(ours: list, theirs: list) -> None:
    for p, tp in zip(ours, theirs):
        assert_close(p, tp, "fwd")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_matches_torch(case, dtype):
    name, kw = case
    ours, theirs = make_params(dtype)
    initial = [p.detach().numpy().copy() for p in ours]
    opt = getattr(cr.optim, name)(ours, **kw)
    topt = getattr(torch.optim, name)(theirs, foreach=False, **kw)
    for k in range(STEPS):
        feed(ours, theirs, k)
        opt.step()
        topt.step()
        assert_params_close(ours, theirs)
    for p, tp, w0 in zip(ours, theirs, initial):
        assert p.dtype == getattr(cr, dtype)
        assert np.abs(p.detach().numpy() - w0).max() > 1e-3  # the weights did move
        for key, value in opt.state[p].items():  # the same state, under the same names
            tv = topt.state[tp][key]
            if key == "step":
                assert float(value) == float(tv) == STEPS
            elif value is not None:
                assert value.dtype == p.dtype or key == "mu_product"
                assert_close(value, tv, "fwd")
        assert set(opt.state[p]) == set(topt.state[tp])


def test_nadam_float64_default_dtype():
    """With a float64 default dtype the scalar state (NAdam's mu_product) is float64 in both frameworks."""
    cr.set_default_dtype(cr.float64)
    torch.set_default_dtype(torch.float64)
    try:
        ours, theirs = make_params("float64")
        opt, topt = cr.optim.NAdam(ours, lr=0.01), torch.optim.NAdam(theirs, lr=0.01, foreach=False)
        train(opt, topt, ours, theirs, STEPS)
        assert_params_close(ours, theirs)
        assert opt.state[ours[0]]["mu_product"].dtype == cr.float64
    finally:
        torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_param_groups_with_different_options(name):
    ours, theirs = make_params("float64")
    extra = {"SGD": dict(momentum=0.9), "Adam": dict(amsgrad=True), "RMSprop": dict(centered=True)}[name]

    def groups(ps):
        return [{"params": ps[:1]}, {"params": ps[1:], "lr": 0.003, "weight_decay": 0.1}]

    opt = getattr(cr.optim, name)(groups(ours), lr=0.02, **extra)
    topt = getattr(torch.optim, name)(groups(theirs), lr=0.02, foreach=False, **extra)
    assert [g["lr"] for g in opt.param_groups] == [0.02, 0.003]
    train(opt, topt, ours, theirs, STEPS)
    assert_params_close(ours, theirs)


def test_add_param_group_mid_training():
    ours, theirs = make_params("float64")
    opt, topt = cr.optim.Adam(ours[:2], lr=0.01), torch.optim.Adam(theirs[:2], lr=0.01, foreach=False)
    train(opt, topt, ours[:2], theirs[:2], 10)
    opt.add_param_group({"params": [ours[2]], "lr": 0.05})
    topt.add_param_group({"params": [theirs[2]], "lr": 0.05})
    train(opt, topt, ours, theirs, 20, start=10)
    assert_params_close(ours, theirs)


def test_param_in_two_groups_raises():
    ours, _ = make_params("float64")
    with pytest.raises(ValueError, match="more than one parameter group"):
        cr.optim.SGD([{"params": ours[:2]}, {"params": ours[1:]}], lr=0.1)
    opt = cr.optim.SGD(ours[:2], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [ours[0]]})


def test_bad_params_raise():
    with pytest.raises(ValueError, match="empty parameter list"):
        cr.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        cr.optim.SGD(cr.ones(3, requires_grad=True), lr=0.1)
    x = cr.ones(3, requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        cr.optim.SGD([x * 2], lr=0.1)


ROUNDTRIP = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("Adadelta", dict()),
    ("RMSprop", dict(centered=True, momentum=0.9)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01)),
    ("Adamax", dict()),
    ("NAdam", dict()),
    ("RAdam", dict()),
    ("AdamP", dict(weight_decay=0.1)),
]


@pytest.mark.parametrize("case", ROUNDTRIP, ids=_id)
def test_state_dict_roundtrip_continues_identically(case):
    name, kw = case
    ours, theirs = make_params("float64")
    opt = getattr(cr.optim, name)([{"params": ours[:1]}, {"params": ours[1:], "lr": 0.004}], **kw)
    topt = getattr(torch.optim, name, None)
    for k in range(10):
        feed(ours, theirs, k)
        opt.step()
    saved = copy.deepcopy(opt.state_dict())
    snapshot = copy.deepcopy(saved)
    weights = [p.detach().numpy().copy() for p in ours]

    # torch's layout: integer ids, groups with their options and the ids of their params
    assert sorted(saved["state"]) == [0, 1, 2]
    assert [g["params"] for g in saved["param_groups"]] == [[0], [1, 2]]
    assert saved["param_groups"][1]["lr"] == 0.004
    if topt is not None:
        tref = topt([{"params": theirs[:1]}, {"params": theirs[1:], "lr": 0.004}], **kw)
        feed(ours, theirs, 0)
        tref.step()
        tsd = tref.state_dict()
        assert set(saved["state"][0]) == set(tsd["state"][0])
        assert set(saved["param_groups"][0]) <= set(tsd["param_groups"][0])

    # keep training the original; restore a fresh optimizer on fresh parameters and train it the same way
    restored = [cr.nn.Parameter(cr.tensor(w.copy())) for w in weights]
    opt2 = getattr(cr.optim, name)([{"params": restored[:1]}, {"params": restored[1:]}], **kw)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[1]["lr"] == 0.004
    for k in range(10, 25):
        feed(ours, theirs, k)
        feed(restored, theirs, k)
        opt.step()
        opt2.step()
    for p, q in zip(ours, restored):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    # the loaded state is a copy: the checkpoint did not move
    for i, entry in saved["state"].items():
        for key, value in entry.items():
            np.testing.assert_array_equal(value.numpy(), snapshot["state"][i][key].numpy())


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.01, amsgrad=True)),
                                     ("NAdam", dict())])
def test_load_torch_state_dict(name, kw):
    """A PyTorch optimizer's state_dict loads into ours and training continues in step with PyTorch."""
    ours, theirs = make_params("float64")
    topt = getattr(torch.optim, name)(theirs, foreach=False, **kw)
    for k in range(10):
        for i, tp in enumerate(theirs):
            tp.grad = torch.from_numpy(gradient(tp.detach().numpy(), k, i))
        topt.step()
    for p, tp in zip(ours, theirs):
        p.data = cr.tensor(tp.detach().numpy().copy())
    opt = getattr(cr.optim, name)(ours, **kw)
    opt.load_state_dict(topt.state_dict())
    train(opt, topt, ours, theirs, 20, start=10)
    assert_params_close(ours, theirs)


def test_zero_grad():
    ours, theirs = make_params("float32")
    opt = cr.optim.SGD(ours, lr=0.1)
    feed(ours, theirs, 0)
    grad_arrays = [p.grad._data for p in ours]
    opt.zero_grad(set_to_none=False)
    for p, arr in zip(ours, grad_arrays):
        assert p.grad._data is arr and not arr.any()
    opt.zero_grad()
    assert all(p.grad is None for p in ours)


def test_params_without_grad_are_skipped():
    ours, theirs = make_params("float64")
    opt = cr.optim.Adam(ours, lr=0.01)
    topt = torch.optim.Adam(theirs, lr=0.01, foreach=False)
    before = ours[1].detach().numpy().copy()
    for k in range(5):
        feed(ours, theirs, k)
        ours[1].grad, theirs[1].grad = None, None
        opt.step()
        topt.step()
    np.testing.assert_array_equal(ours[1].detach().numpy(), before)
    assert ours[1] not in opt.state or not opt.state[ours[1]]
    assert_params_close(ours, theirs)


def test_step_with_closure_returns_loss():
    w = cr.nn.Parameter(cr.tensor([1.0, -2.0]))
    tw = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    opt, topt = cr.optim.SGD([w], lr=0.1, momentum=0.5), torch.optim.SGD([tw], lr=0.1, momentum=0.5)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    def tclosure():
        topt.zero_grad()
        loss = (tw * tw).sum()
        loss.backward()
        return loss

    for _ in range(5):
        loss, tloss = opt.step(closure), topt.step(tclosure)
        assert_close(loss, tloss.detach())
    assert_close(w, tw)


def test_training_a_model_through_autograd():
    """End to end: losses and gradients from each framework's autograd, updated by each framework's Adam."""
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((16, 5)), rng.standard_normal((16, 3))
    w0, b0 = rng.standard_normal((5, 3)) * 0.3, np.zeros(3)
    W, b = cr.nn.Parameter(cr.tensor(w0.copy())), cr.nn.Parameter(cr.tensor(b0.copy()))
    tW, tb = torch.nn.Parameter(torch.from_numpy(w0.copy())), torch.nn.Parameter(torch.from_numpy(b0.copy()))
    opt = cr.optim.Adam([W, b], lr=0.05, weight_decay=0.01)
    topt = torch.optim.Adam([tW, tb], lr=0.05, weight_decay=0.01, foreach=False)
    cx, cy, tx, ty = cr.tensor(x), cr.tensor(y), torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(STEPS):
        opt.zero_grad()
        topt.zero_grad()
        loss = ((cr.tanh(cx @ W + b) - cy) ** 2).mean()
        tloss = ((torch.tanh(tx @ tW + tb) - ty) ** 2).mean()
        loss.backward()
        tloss.backward()
        opt.step()
        topt.step()
    assert_close(W, tW)
    assert_close(b, tb)


def test_adam_l2_and_adamw_decoupled_decay_differ():
    """Adam's weight decay is an L2 penalty that passes through the adaptive denominator; AdamW's is not (Loshchilov
    and Hutter, 2019), so they end at different weights -- each matching its PyTorch namesake."""
    results = {}
    for name in ("Adam", "AdamW"):
        ours, theirs = make_params("float64")
        opt = getattr(cr.optim, name)(ours, lr=0.01, weight_decay=0.5)
        topt = getattr(torch.optim, name)(theirs, lr=0.01, weight_decay=0.5, foreach=False)
        train(opt, topt, ours, theirs, STEPS)
        assert_params_close(ours, theirs)
        results[name] = np.concatenate([p.detach().numpy().ravel() for p in ours])
    assert np.abs(results["Adam"] - results["AdamW"]).max() > 1e-3


def test_float32_stays_float32():
    for name in ("SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "AdamP"):
        ours, theirs = make_params("float32")
        kw = dict(lr=0.01, weight_decay=0.1) if name != "SGD" else dict(lr=0.01, momentum=0.9, weight_decay=0.1)
        opt = getattr(cr.optim, name)(ours, **kw)
        for k in range(3):
            feed(ours, theirs, k)
            opt.step()
        for p in ours:
            assert p._data.dtype == np.float32, name
            for key, v in opt.state[p].items():
                assert key in ("step", "mu_product") or v._data.dtype == np.float32, (name, key)


INVALID = [
    ("SGD", dict(lr=-0.1), "Invalid learning rate: -0.1"),
    ("SGD", dict(lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
    ("SGD", dict(lr=0.1, weight_decay=-1e-3), "Invalid weight_decay value: -0.001"),
    ("SGD", dict(lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov momentum requires"),
    ("Adam", dict(lr=-1e-3), "Invalid learning rate: -0.001"),
    ("Adam", dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    ("Adam", dict(betas=(-0.1, 0.999)), "Invalid beta parameter at index 0: -0.1"),
    ("Adam", dict(betas=(0.9, 1.5)), "Invalid beta parameter at index 1: 1.5"),
    ("Adam", dict(eps=-1e-8), "Invalid epsilon value: -1e-08"),
    ("Adam", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    ("AdamW", dict(lr=-2.0), "Invalid learning rate: -2.0"),
    ("Adamax", dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    ("NAdam", dict(betas=(1.1, 0.9)), "Invalid beta parameter at index 0: 1.1"),
    ("NAdam", dict(momentum_decay=-1.0), "Invalid momentum_decay value: -1.0"),
    ("RAdam", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("RMSprop", dict(momentum=-0.9), "Invalid momentum value: -0.9"),
    ("RMSprop", dict(alpha=-0.9), "Invalid alpha value: -0.9"),
    ("Adagrad", dict(lr_decay=-0.1), "Invalid lr_decay value: -0.1"),
    ("Adagrad", dict(initial_accumulator_value=-1.0), "Invalid initial_accumulator_value value: -1.0"),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("AdamP", dict(lr=-0.5), "Invalid learning rate: -0.5"),
    ("AdamP", dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
]


@pytest.mark.parametrize("name,kw,message", INVALID, ids=[f"{n}-{m[:30]}" for n, _, m in INVALID])
def test_invalid_hyperparameters(name, kw, message):
    ours, theirs = make_params("float32")
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        getattr(cr.optim, name)(ours, **kw)
    if hasattr(torch.optim, name):  # PyTorch rejects it with the same message
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
            getattr(torch.optim, name)(theirs, **kw)


def test_defaults_match_torch():
    ours, theirs = make_params("float32")
    for name in ("SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW", "Adamax", "NAdam", "RAdam"):
        g, tg = getattr(cr.optim, name)(ours).param_groups[0], getattr(torch.optim, name)(theirs).param_groups[0]
        for key in g:
            if key not in ("params", "foreach"):
                assert g[key] == tg[key], (name, key)
