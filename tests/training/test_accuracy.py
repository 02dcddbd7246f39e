"""Issue 5's accuracy proofs: the MNIST-1D paper's three models and Fashion-MNIST's MLP and W2 CNN trained with
fixed seeds to the published test accuracies, k-fold cross-validation, and bagging.

The recipes were picked on validation splits of the training sets (MNIST-1D: 3,600 / 400 and 5-fold cross-validation;
Fashion-MNIST: 50,000 / 10,000), then trained once on the whole training set and scored on the test set (seed 0, no
tuning on the test set). MNIST-1D follows the paper's protocol
(Greydanus & Kobak 2020): Adam, learning rate 1e-2, batch 100, no weight decay, all 4,000 training signals, the final
model's test accuracy; the paper's table: logistic regression 32 %, MLP 68 %, CNN 94 %.
"""

from __future__ import annotations

import resource
import time
from typing import Any

import numpy as np
import pytest

import chainrule as cr
from chainrule import datasets, models, nn, optim
from chainrule import train as tr
from chainrule.optim import lr_scheduler
from chainrule.utils.data import BaggingEnsemble, DataLoader, TensorDataset, bootstrap_indices, cross_validate


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _arrays(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    train, test = datasets.get_dataset(name, "train"), datasets.get_dataset(name, "test")
    assert isinstance(train, datasets.ArrayDataset) and isinstance(test, datasets.ArrayDataset)
    return (*train.arrays(), *test.arrays())


@pytest.fixture(scope="module")
def mnist1d() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return _arrays("mnist1d")


def _loader(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool, seed: int = 0) -> DataLoader:
    return DataLoader(TensorDataset(cr.from_numpy(x), cr.from_numpy(y)), batch_size=batch_size, shuffle=shuffle,
                      generator=cr.Generator().manual_seed(seed))


def _fit(model: nn.Module, x: np.ndarray, y: np.ndarray, epochs: int, lr: float, batch_size: int,
         schedule: str = "constant", weight_decay: float = 0.0, seed: int = 0) -> dict[str, float]:
    """Adam (AdamW with ``weight_decay``) on (x, y) for ``epochs`` epochs; ``schedule`` 'onecycle' / 'cosine' steps a
    OneCycleLR / CosineAnnealingLR (to 0 over the run) after every batch. Returns the CPU and wall seconds per epoch."""
    opt = optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay) if weight_decay else \
        optim.Adam(model.parameters(), lr=lr)
    loader = _loader(x, y, batch_size, shuffle=True, seed=seed)
    callbacks: list[tr.Callback] = []
    if schedule == "onecycle":
        sched = lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * len(loader))
        callbacks.append(tr.LRSchedulerCallback(sched, interval="batch"))
    elif schedule == "cosine":
        cosine = lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * len(loader))
        callbacks.append(tr.LRSchedulerCallback(cosine, interval="batch"))
    c0, w0 = _cpu(), time.perf_counter()
    tr.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=epochs, callbacks=callbacks, metrics=(),
           verbose=False)
    return {"cpu_per_epoch": (_cpu() - c0) / epochs, "wall_per_epoch": (time.perf_counter() - w0) / epochs}


def _accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    return float(tr.evaluate(model, _loader(x, y, 1000, shuffle=False), metrics=("accuracy",))["accuracy"])


def _report(name: str, acc: float, epochs: int, timing: dict[str, float]) -> None:
    print(f"\n{name}: test accuracy {acc:.2%} after {epochs} epochs, {timing['cpu_per_epoch']:.2f} s CPU / "
          f"{timing['wall_per_epoch']:.2f} s wall per epoch")


# ------------------------------------------------------------------------------------------------ MNIST-1D
# The paper's models with the paper's protocol: (model, epochs, AdamW weight decay, lower bound, upper bound). The
# paper's table says 32 / 68 / 94 %. Its own protocol (notebooks/train.py: Adam 1e-2, batch 100, 6000 steps in a fixed
# order), run in PyTorch on this very data (mnist1d 0.0.2, seed 42: the same generator and arguments as the paper's),
# ends at 94.6 / 93.2 / 93.6 % for the CNN (torch seeds 0 / 1 / 2) and at 63.5 / 65.2 % for the paper's MLP (seeds
# 0 / 1). The MLP's weight decay won on 5-fold cross-validation of the training set (65.3 % against 63.7 % without);
# cosine / one-cycle schedules, dropout and input noise did not beat the paper's constant rate on validation; small
# random circular shifts do (below). Here the paper's recipes reach MLP 67.3 %, CNN 92.6 % (seed 0), under the issue's
# 68 / 94 %: the issue's targets are met by the two runs further down, not by these paper reproductions.
# CPU at one thread, loaded machine: logistic ~1 s, MLP ~2 s, CNN ~9 s (all five MNIST-1D runs: ~40 s wall).
MNIST1D_RUNS = {
    "logistic_regression": (50, 0.0, 0.28, 0.36),
    "mlp": (100, 0.1, 0.66, 1.0),
    "mnist1d_cnn": (150, 0.0, 0.92, 1.0),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MNIST1D_RUNS))
def test_mnist1d_paper_models_accuracy(name: str, mnist1d: Any) -> None:
    x, y, xt, yt = mnist1d
    epochs, weight_decay, low, high = MNIST1D_RUNS[name]
    cr.manual_seed(0)
    model = models.create_model(name)
    timing = _fit(model, x, y, epochs=epochs, lr=1e-2, batch_size=100, weight_decay=weight_decay)
    acc = _accuracy(model, xt, yt)
    _report(f"{name} on MNIST-1D", acc, epochs, timing)
    assert low <= acc <= high, f"{name}: test accuracy {acc:.2%} outside [{low:.0%}, {high:.0%}]"


# The issue's targets, CNN >= 94 % and MLP >= 68 %: (model, epochs, schedule, lower bound). Adam 1e-2, batch 100, all
# 4,000 training signals, the final model. Picked on a 3,600 / 400 validation split of the training set (seeds 0 / 1 /
# 2, validation accuracy; the test set was not looked at), in chainrule and a PyTorch twin:
# - CNN: the paper's CNN with full-length random circular shifts: 94.3 % (torch, 60 epochs), 93.2 % without; a CNN
#   of stride-1 convolutions with BatchNorm, max-pools and a global max over positions (models/mnist1d.py) 98.0 %
#   with circular padding, 98.5 % with zero padding (one seed; a tie within the split's +-0.7 %, and circular padding
#   kept because the generator's translation is circular). Without BatchNorm 96.8 %, with 16 channels instead of 32
#   96.0 %, a global average instead of the max 95.0 / 98.0 % (seeds 0 / 1; the max: 98.0 / 98.0 %). Its schedule:
#   constant rate 30 epochs 97.5 % (mean of 3 seeds), cosine 20 / 30 / 60 epochs 97.8 / 98.4 / 98.3 % -> cosine 30.
# - MLP: random circular shifts of the training signals by up to +-s samples are what helps the paper's MLP (100-100
#   ReLU): s = 3 / 5 / 8 give 80.5 / 78.9 / 77.3 % at a constant rate and 79.1 / 81.3 / 79.5 % with a cosine schedule
#   (100 epochs, mean of 3 seeds), against 62.7 % without and 65.5 % with full-length shifts (torch; too hard for a
#   position-bound model); weight decay 0.1 did not add to the shifts (77.7 %); 200 cosine epochs 82.7 %; 256-256 hidden
#   units 84.7 % at 3x the cost. -> the paper's MLP behind RandomShift1d(5), cosine, 200 epochs.
# Test accuracy of these recipes at seeds 0 / 1 / 2: CNN 97.8 / 98.8 / 98.1 %, MLP 82.0 / 81.6 / 81.1 %. The bounds
# (96 / 78 %) sit above the issue's 94 / 68 % and ~2-3 points under the worst seed, to catch regressions.
# CPU at one thread, loaded machine: CNN ~7-10 s (0.25-0.3 s per epoch), MLP ~5-6 s.
MNIST1D_TARGET_RUNS = {
    "mnist1d_cnn_bn": (30, "cosine", 0.96),
    "mnist1d_mlp_shift": (200, "cosine", 0.78),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MNIST1D_TARGET_RUNS))
def test_mnist1d_reaches_the_issue_targets(name: str, mnist1d: Any) -> None:
    x, y, xt, yt = mnist1d
    epochs, schedule, low = MNIST1D_TARGET_RUNS[name]
    cr.manual_seed(0)
    model = models.create_model(name)
    timing = _fit(model, x, y, epochs=epochs, lr=1e-2, batch_size=100, schedule=schedule)
    acc = _accuracy(model, xt, yt)
    _report(f"{name} on MNIST-1D", acc, epochs, timing)
    assert acc >= low, f"{name}: test accuracy {acc:.2%} under {low:.0%}"


# ------------------------------------------------------------------------------------------------ k-fold, bagging
def test_cross_validate_five_folds_of_logistic_regression(mnist1d: Any) -> None:
    x, y = mnist1d[0][:1000], mnist1d[1][:1000]
    ds = TensorDataset(cr.from_numpy(x), cr.from_numpy(y))
    seen: list[int] = []

    def fit_and_score(train: Any, val: Any) -> float:
        seen.append(len(val))
        assert not set(train.indices) & set(val.indices)
        cr.manual_seed(0)
        model = models.create_model("logistic_regression")
        opt = optim.Adam(model.parameters(), lr=1e-2)
        tr.fit(model, nn.CrossEntropyLoss(), opt, DataLoader(train, batch_size=100, shuffle=True), epochs=10,
               metrics=(), verbose=False)
        return float(tr.evaluate(model, DataLoader(val, batch_size=500), metrics=("accuracy",))["accuracy"])

    result = cross_validate(fit_and_score, ds, k=5, generator=cr.Generator().manual_seed(0))
    assert len(result.scores) == 5 and seen == [200] * 5  # every sample validated exactly once
    assert result.mean == pytest.approx(np.mean(result.scores)) and result.std == pytest.approx(np.std(result.scores))
    assert result.std > 0  # different folds, different scores
    assert all(0.2 < s < 0.45 for s in result.scores)  # well above chance (10 %), near the linear model's 32 %


@pytest.mark.slow
def test_bagging_five_mlps_beats_the_mean_of_its_members(mnist1d: Any) -> None:
    x, y, xt, yt = mnist1d
    gen = cr.Generator().manual_seed(0)
    members, member_acc = [], []
    for m in range(5):
        boot, oob = bootstrap_indices(len(x), generator=gen)
        assert len(boot) == len(x) and not set(oob) & set(boot)
        cr.manual_seed(m)
        model = models.create_model("mlp")
        _fit(model, x[boot], y[boot], epochs=40, lr=1e-2, batch_size=100, seed=m)
        members.append(model)
        member_acc.append(_accuracy(model, xt, yt))

    class Softmaxed(nn.Module):
        def __init__(self, inner: nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, x: Any) -> Any:
            return nn.functional.softmax(self.inner(x), dim=1)

    ensemble = BaggingEnsemble([Softmaxed(m) for m in members], mode="mean")
    ens_acc = _accuracy(ensemble, xt, yt)
    print(f"\nbagging 5 MLPs on MNIST-1D: members {[f'{a:.1%}' for a in member_acc]} (mean "
          f"{np.mean(member_acc):.2%}), ensemble {ens_acc:.2%}")
    assert ens_acc > np.mean(member_acc) + 0.01


# ------------------------------------------------------------------------------------------------ Fashion-MNIST
@pytest.fixture(scope="module")
def fashion() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return _arrays("fashion_mnist")


@pytest.mark.slow
def test_fashion_mnist_mlp_reaches_89_percent(fashion: Any) -> None:
    x, y, xt, yt = fashion
    cr.manual_seed(0)
    model = models.create_model("mlp", in_features=784, hidden=(256, 256))  # benchmark W1's MLP
    epochs = 15  # 90.1 % on a 10,000-image validation split of the training set
    timing = _fit(model, x, y, epochs=epochs, lr=1e-3, batch_size=128, schedule="onecycle")
    acc = _accuracy(model, xt, yt)
    _report("W1 MLP on Fashion-MNIST", acc, epochs, timing)
    assert acc >= 0.89


@pytest.mark.slow(cpu_seconds=165)
def test_fashion_mnist_w2_cnn_reaches_91_percent(fashion: Any) -> None:
    # NOTE: the costliest test here: about 39 s CPU per epoch of 60,000 images (one BLAS thread), 160 s in all. Two
    # epochs of this one-cycle recipe reach 90.07 %, three 90.99 %, four 91.45 % (seed 0).
    x, y, xt, yt = fashion
    cr.manual_seed(0)
    model = models.create_model("simple_cnn")
    epochs = 4
    timing = _fit(model, x, y, epochs=epochs, lr=2e-3, batch_size=64, schedule="onecycle")
    acc = _accuracy(model, xt, yt)
    _report("W2 CNN on Fashion-MNIST", acc, epochs, timing)
    assert acc >= 0.91
