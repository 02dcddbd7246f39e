"""LR schedulers vs PyTorch: the learning rate (and momentum / beta1) of every parameter group over 50 steps."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import chainrule as cr

STEPS = 50
LRS = (0.1, 0.03)  # two parameter groups with different rates


def make(framework, opt_name: str):
    """An optimizer of ``framework`` with two parameter groups of different rates (momentum 0.9 for SGD)."""
    P = cr.nn.Parameter if framework is cr else torch.nn.Parameter
    params = [P(framework.ones(2, 2)), P(framework.ones(3))]
    extra = dict(momentum=0.9) if opt_name == "SGD" else {}
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, LRS)]
    return getattr(framework.optim, opt_name)(groups, **extra)


def record(opt, sched, steps: int = STEPS, metrics=None) -> list:
    """Per step: the scheduler's last lrs, and each group's lr and momentum/betas."""
    out = []
    for k in range(steps):
        opt.step()
        sched.step() if metrics is None else sched.step(metrics[k])
        out.append((list(sched.get_last_lr()),
                    [(g["lr"], g.get("momentum"), tuple(g.get("betas", ()))) for g in opt.param_groups]))
    return out


def assert_same_schedule(ours: list, theirs: list) -> None:
    """Bitwise equal: the same formulas evaluated in the same order give the same floats."""
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert [float(x) for x in a[0]] == [float(x) for x in b[0]], f"get_last_lr at step {k}"
        assert a[1] == b[1], f"group lr / momentum / betas at step {k}"


SCHEDULERS = [
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95 ** e)),
    ("LambdaLR", dict(lr_lambda=[lambda e: 1.0 / (e + 1), lambda e: 0.9 ** (e // 3)])),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.93)),
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[5, 15, 15, 30], gamma=0.3)),
    ("ConstantLR", dict(factor=0.5, total_iters=10)),
    ("LinearLR", dict(start_factor=0.1, total_iters=10)),  # warm-up
    ("LinearLR", dict(start_factor=1.0, end_factor=0.05, total_iters=30)),  # linear decay
    ("ExponentialLR", dict(gamma=0.93)),
    ("CosineAnnealingLR", dict(T_max=20, eta_min=1e-3)),  # 50 steps: down, up, down again
    ("CosineAnnealingLR", dict(T_max=50)),
    ("OneCycleLR", dict(max_lr=[0.5, 0.2], total_steps=STEPS)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=STEPS, anneal_strategy="linear", pct_start=0.25)),
    ("OneCycleLR", dict(max_lr=0.5, epochs=5, steps_per_epoch=10, three_phase=True, div_factor=10.0)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=STEPS, cycle_momentum=False, final_div_factor=100.0)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=STEPS, base_momentum=[0.8, 0.7], max_momentum=0.9)),
]


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
@pytest.mark.parametrize("name,kw", SCHEDULERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULERS)])
def test_schedule_matches_torch(name, kw, opt_name):
    sched_ours = getattr(cr.optim.lr_scheduler, name)(opt := make(cr, opt_name), **kw)
    sched_theirs = getattr(torch.optim.lr_scheduler, name)(topt := make(torch, opt_name), **kw)
    assert sched_ours.get_last_lr() == sched_theirs.get_last_lr()
    assert_same_schedule(record(opt, sched_ours), record(topt, sched_theirs))


def _sequential(fw, opt_name: str, kind: str):
    opt = make(fw, opt_name)
    S = fw.optim.lr_scheduler
    if kind == "warmup-cosine":
        scheds = [S.LinearLR(opt, start_factor=0.1, total_iters=10), S.CosineAnnealingLR(opt, T_max=40, eta_min=1e-4)]
        milestones = [10]
    else:
        scheds = [S.ConstantLR(opt, factor=0.2, total_iters=8), S.ExponentialLR(opt, gamma=0.9),
                  S.StepLR(opt, step_size=5, gamma=0.5)]
        milestones = [8, 25]
    return opt, S.SequentialLR(opt, scheds, milestones=milestones)


@pytest.mark.parametrize("kind", ["warmup-cosine", "three"])
@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_sequential_lr_matches_torch(kind, opt_name):
    opt, sched = _sequential(cr, opt_name, kind)
    topt, tsched = _sequential(torch, opt_name, kind)
    assert sched.get_last_lr() == tsched.get_last_lr()
    assert_same_schedule(record(opt, sched), record(topt, tsched))


def test_chained_schedulers_compose_like_torch():
    """Two schedulers stepping one optimizer compose multiplicatively (the recursive, chainable form)."""
    out = []
    for fw in (cr, torch):
        opt = make(fw, "SGD")
        s1 = fw.optim.lr_scheduler.StepLR(opt, step_size=6, gamma=0.5)
        s2 = fw.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=15)
        lrs = []
        for _ in range(STEPS):
            opt.step()
            s1.step()
            s2.step()
            lrs.append([g["lr"] for g in opt.param_groups])
        out.append(np.array(lrs))
    np.testing.assert_array_equal(out[0], out[1])


METRICS = list(np.concatenate([np.linspace(1.0, 0.5, 10), np.full(15, 0.5), np.linspace(0.5, 0.49, 10),
                               0.6 + 0.01 * np.sin(np.arange(15))]))
PLATEAU = [
    dict(),
    dict(patience=2, factor=0.5),
    dict(patience=1, factor=0.5, cooldown=3, min_lr=[0.01, 0.005]),
    dict(mode="max", patience=3, threshold=0.05, threshold_mode="abs", factor=0.3),
    dict(mode="min", patience=0, threshold=0.01, threshold_mode="abs", min_lr=0.02, eps=1e-3),
    dict(mode="max", patience=2, threshold=0.1, threshold_mode="rel"),
]


@pytest.mark.parametrize("kw", PLATEAU, ids=[str(i) for i in range(len(PLATEAU))])
def test_reduce_lr_on_plateau_matches_torch(kw):
    opt, topt = make(cr, "SGD"), make(torch, "SGD")
    sched = cr.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kw)
    ours, theirs = record(opt, sched, metrics=METRICS), record(topt, tsched, metrics=METRICS)
    assert_same_schedule(ours, theirs)
    assert ours[-1][0] != [*LRS] or kw.get("mode") == "max"  # the rate was reduced at least once
    assert (sched.best, sched.num_bad_epochs, sched.cooldown_counter) == (tsched.best, tsched.num_bad_epochs,
                                                                         tsched.cooldown_counter)


def test_reduce_lr_on_plateau_accepts_tensor_metric():
    opt = make(cr, "SGD")
    sched = cr.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    sched.step(cr.tensor(1.0))
    sched.step(cr.tensor(2.0))
    assert sched.get_last_lr() == pytest.approx([0.01, 0.003])


@pytest.mark.parametrize("kind", ["cosine", "onecycle", "sequential", "plateau"])
def test_scheduler_state_dict_resumes(kind):
    """Save optimizer and scheduler mid-schedule, rebuild both, load, continue: the same rates as without a break."""

    def build():
        opt = make(cr, "Adam")
        S = cr.optim.lr_scheduler
        if kind == "cosine":
            return opt, S.CosineAnnealingLR(opt, T_max=20)
        if kind == "onecycle":
            return opt, S.OneCycleLR(opt, max_lr=0.5, total_steps=STEPS)
        if kind == "sequential":
            return opt, S.SequentialLR(opt, [S.LinearLR(opt, 0.1, total_iters=10), S.ExponentialLR(opt, 0.9)], [10])
        return opt, S.ReduceLROnPlateau(opt, patience=1, factor=0.5)

    metrics = METRICS if kind == "plateau" else None
    opt, sched = build()
    full = record(opt, sched, metrics=metrics)
    opt, sched = build()
    record(opt, sched, 20, metrics=metrics)
    saved_opt, saved_sched = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())
    opt2, sched2 = build()
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    resumed = record(opt2, sched2, STEPS - 20, metrics=None if metrics is None else metrics[20:])
    assert_same_schedule(resumed, full[20:])


def test_one_cycle_rejects_steps_past_the_cycle():
    opt = make(cr, "SGD")
    sched = cr.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=5)
    for _ in range(4):
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 6 times. The specified number of total steps is 5"):
        sched.step()
        sched.step()


def test_scheduler_validation():
    opt = make(cr, "SGD")
    S = cr.optim.lr_scheduler
    with pytest.raises(ValueError, match="between 0 and 1, got 1.5"):
        S.ConstantLR(opt, factor=1.5)
    with pytest.raises(ValueError, match="greater than 0 and less or equal to 1, got 0"):
        S.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="Factor should be < 1.0, got 2"):
        S.ReduceLROnPlateau(opt, factor=2)
    with pytest.raises(ValueError, match="mode avg is unknown"):
        S.ReduceLROnPlateau(opt, mode="avg")
    with pytest.raises(ValueError, match="Expected positive integer total_steps, but got 0"):
        S.OneCycleLR(opt, max_lr=0.1, total_steps=0)
    with pytest.raises(ValueError, match="number of milestones to be equal to 0"):
        S.SequentialLR(opt, [S.StepLR(opt, 3), S.StepLR(opt, 4)], milestones=[])
    with pytest.raises(TypeError, match="is not an Optimizer"):
        S.StepLR(object(), 3)
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        S.OneCycleLR(cr.optim.Adagrad([cr.nn.Parameter(cr.ones(2))]), max_lr=0.1, total_steps=10)
