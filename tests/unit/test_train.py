"""chainrule.train: fit / evaluate / predict and the callbacks (early stopping, checkpoints, schedules, clipping,
logging, progress bar, plots)."""

from __future__ import annotations

import io
import math
import re
import sys

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn, optim
from chainrule.train import (
    Callback,
    CSVLogger,
    EarlyStopping,
    GradientClipping,
    History,
    LRSchedulerCallback,
    ModelCheckpoint,
    ProgressBar,
    evaluate,
    fit,
    load_state_dict,
    plot_confusion_matrix,
    plot_history,
    predict,
)
from chainrule.utils.data import DataLoader, TensorDataset


def _blobs(n: int = 96, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two well separated Gaussian blobs in 2-D: a linearly separable problem."""
    g = np.random.default_rng(seed)
    y = g.integers(0, 2, n)
    x = g.normal(scale=0.5, size=(n, 2)) + np.where(y[:, None] == 1, 2.0, -2.0)
    return x.astype(np.float32), y


def _batches(x: np.ndarray, y: np.ndarray, size: int) -> list[tuple[cr.Tensor, cr.Tensor]]:
    return [(cr.tensor(x[i:i + size]), cr.tensor(y[i:i + size])) for i in range(0, len(x), size)]


def _mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))


def _weights(model: nn.Module) -> dict[str, np.ndarray]:
    return {k: np.array(v.numpy(), copy=True) for k, v in model.state_dict().items()}


class Script(Callback):
    """Overwrites a logged value with a scripted sequence and records the weights after each epoch."""

    def __init__(self, key: str, values: list[float]) -> None:
        super().__init__()
        self.key, self.values, self.snapshots = key, values, []

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]
        self.snapshots.append(_weights(self.model))


# ------------------------------------------------------------------ fit / evaluate / predict
def test_fit_learns_a_separable_problem():
    x, y = _blobs()
    xv, yv = _blobs(48, seed=1)
    model = _mlp()
    h = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1, momentum=0.9), _batches(x, y, 16),
            _batches(xv, yv, 16), epochs=8, metrics=["accuracy", "f1"], verbose=False)
    assert h.epoch == list(range(8))
    assert set(h.history) == {"loss", "accuracy", "f1", "val_loss", "val_accuracy", "val_f1", "lr"}
    assert h["val_accuracy"][-1] == 1.0 and h["accuracy"][-1] >= 0.98
    assert h["loss"][-1] < h["loss"][0] / 5
    pred = predict(model, cr.tensor(xv)).numpy().argmax(1)
    assert (pred == yv).mean() == 1.0


def test_fit_with_dataloader_and_mse_metric():
    x, y = _blobs(64)
    target = np.eye(2, dtype=np.float32)[y]
    loader = DataLoader(TensorDataset(cr.tensor(x), cr.tensor(target)), batch_size=10, shuffle=True)
    model = _mlp()
    h = fit(model, nn.MSELoss(), optim.Adam(model.parameters(), lr=0.05), loader, loader, epochs=6,
            metrics=["mse", "accuracy"], verbose=False)
    assert h["mse"][0] == pytest.approx(h["loss"][0], rel=1e-5)  # MSELoss is the per-sample mean squared error
    assert h["val_accuracy"][-1] == 1.0  # soft targets: accuracy takes their arg-max


def test_evaluate_averages_per_sample_over_unequal_batches():
    g = np.random.default_rng(3)
    x, y = g.normal(size=(4, 2)).astype(np.float32), np.array([0, 1, 1, 0])
    model = _mlp()
    batches = _batches(x, y, 3)  # sizes 3 and 1
    out = evaluate(model, batches, nn.CrossEntropyLoss(), metrics=["accuracy"])
    tm = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    tm.load_state_dict({k: torch.from_numpy(v) for k, v in _weights(model).items()})
    with torch.no_grad():
        logits = tm(torch.from_numpy(x))
    ref = torch.nn.functional.cross_entropy(logits, torch.from_numpy(y))
    assert out["loss"] == pytest.approx(float(ref), rel=1e-6)
    batch_means = [float(torch.nn.functional.cross_entropy(logits[s], torch.from_numpy(y[s])))
                   for s in (slice(0, 3), slice(3, 4))]
    assert abs(np.mean(batch_means) - float(ref)) > 1e-4  # the test distinguishes the two averages
    assert out["accuracy"] == pytest.approx(float((logits.argmax(1).numpy() == y).mean()))


def test_train_and_eval_modes_and_no_grad():
    seen = []

    class Probe(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def forward(self, x):
            seen.append((self.training, cr.is_grad_enabled()))
            return self.lin(x)

    x, y = _blobs(8)
    model = Probe()
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), _batches(x, y, 4), _batches(x, y, 8),
        epochs=1, verbose=False)
    assert seen == [(True, True), (True, True), (False, False)]
    model.train()
    seen.clear()
    evaluate(model, _batches(x, y, 8))
    predict(model, cr.tensor(x))
    assert seen == [(False, False), (False, False)] and model.training  # the mode is restored


def test_predict_shapes_and_values():
    model = nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.5))
    x = cr.randn(7, 2)
    ref = model.eval()(x).detach().numpy()
    model.train()
    for out in (predict(model, x), predict(model, x, batch_size=3), predict(model, _batches(x.numpy(), np.zeros(7), 2)),
                predict(model, [x[:4], x[4:]]), predict(model, x.numpy())):
        assert tuple(out.shape) == (7, 3) and not out.requires_grad
        np.testing.assert_allclose(out.numpy(), ref, rtol=1e-6)
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        predict(model, x, batch_size=0)


@pytest.mark.parametrize("kwargs, exc, msg", [
    (dict(epochs=0), ValueError, "epochs must be >= 1, got 0"),
    (dict(epochs=2.0), TypeError, "epochs must be an int, got float"),
    (dict(epochs=2, initial_epoch=2), ValueError, r"initial_epoch must be in \[0, epochs=2\), got 2"),
    (dict(metrics=["acc", "acc"]), ValueError, "names must be unique"),
    (dict(callbacks=[object()]), TypeError, "callbacks must be Callback instances, got object"),
])
def test_fit_bad_arguments(kwargs, exc, msg):
    x, y = _blobs(8)
    model = _mlp()
    with pytest.raises(exc, match=msg):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), _batches(x, y, 4), verbose=False,
            **kwargs)


def test_fit_bad_batches_and_empty_loader():
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="expected each batch to be a pair \\(input, target\\), got tuple of length 3"):
        fit(model, nn.CrossEntropyLoss(), opt, [(cr.randn(2, 2), cr.tensor([0, 1]), 0)], verbose=False)
    with pytest.raises(ValueError, match="train_loader yielded no batches"):
        fit(model, nn.CrossEntropyLoss(), opt, [], verbose=False)


# ------------------------------------------------------------------ early stopping
def test_early_stopping_stops_at_the_right_epoch_and_restores_best_weights():
    x, y = _blobs(16)
    model = _mlp()
    # best at epoch 1; epochs 2 and 3 do not improve -> with patience 2 training stops after epoch 3
    script = Script("val_loss", [1.0, 0.8, 0.9, 0.85, 0.5, 0.4])
    es = EarlyStopping(patience=2, restore_best_weights=True)
    h = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.5), _batches(x, y, 8), _batches(x, y, 8),
            epochs=6, callbacks=[script, es], verbose=False)
    assert (es.stopped_epoch, es.best_epoch, es.best) == (3, 1, 0.8)
    assert h.epoch == [0, 1, 2, 3]
    final, best = script.snapshots[3], script.snapshots[1]
    assert any(not np.array_equal(final[k], best[k]) for k in final)  # training moved on after the best epoch
    for k, v in _weights(model).items():
        np.testing.assert_array_equal(v, best[k])


@pytest.mark.parametrize("values, kwargs, stopped, best", [
    ([1.0, 0.95, 0.93, 0.5], dict(min_delta=0.1, patience=1), 1, 0),  # 0.95 is not 0.1 better than 1.0
    ([0.5, 0.6, 0.6, 0.7, 0.6, 0.6], dict(monitor="val_accuracy", patience=1), 2, 1),  # auto -> max
    ([0.5, 0.4, 0.3, 0.2], dict(monitor="val_accuracy", mode="min", patience=0), None, 3),
    ([1.0, 0.9, 0.8, 0.7], dict(baseline=0.5, patience=2), 1, 1),  # improves, but never beats the baseline
    ([1.0, 0.4, 0.45, 0.5, 0.6], dict(baseline=0.5, patience=2), 3, 1),  # beats it at epoch 1
])
def test_early_stopping_variants(values, kwargs, stopped, best):
    x, y = _blobs(8)
    model = _mlp()
    es = EarlyStopping(**kwargs)
    key = kwargs.get("monitor", "val_loss")
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), _batches(x, y, 8), _batches(x, y, 8),
        epochs=len(values), callbacks=[Script(key, values), es], verbose=False)
    assert es.stopped_epoch == stopped and es.best_epoch == best


def test_monitor_and_mode_errors(tmp_path):
    x, y = _blobs(8)
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="EarlyStopping: mode must be 'min', 'max' or 'auto', got 'least'"):
        EarlyStopping(mode="least")
    with pytest.raises(ValueError, match="ModelCheckpoint: mode must be"):
        ModelCheckpoint(tmp_path, mode="up")
    with pytest.raises(ValueError, match="EarlyStopping: monitor 'val_loss' is not among the logged values"):
        fit(model, nn.CrossEntropyLoss(), opt, _batches(x, y, 4), callbacks=[EarlyStopping()], verbose=False)
    with pytest.raises(ValueError, match="ModelCheckpoint: monitor 'val_acc' is not among"):
        fit(model, nn.CrossEntropyLoss(), opt, _batches(x, y, 4), _batches(x, y, 4), verbose=False,
            callbacks=[ModelCheckpoint(tmp_path, monitor="val_acc", save_best_only=True)])
    with pytest.raises(ValueError, match="LRSchedulerCallback: monitor 'val_loss' is not among"):
        fit(model, nn.CrossEntropyLoss(), opt, _batches(x, y, 4), verbose=False,
            callbacks=[LRSchedulerCallback(optim.lr_scheduler.ReduceLROnPlateau(opt))])


def test_model_checkpoint_unwritable_dirpath(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(ValueError, match=re.escape(f"dirpath {str(blocker / 'sub')!r} is not a writable directory")):
        ModelCheckpoint(blocker / "sub")


# ------------------------------------------------------------------ checkpoints during fit
def test_model_checkpoint_best_last_and_per_epoch(tmp_path):
    x, y = _blobs(16)
    model = _mlp()
    script = Script("val_loss", [1.0, 0.5, 0.7])
    best = ModelCheckpoint(tmp_path / "best", save_best_only=True, save_last=True)
    every = ModelCheckpoint(tmp_path / "every", save_last=False, save_weights_only=True, format="safetensors")
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.5), _batches(x, y, 8), _batches(x, y, 8),
        epochs=3, callbacks=[script, best, every], verbose=False)
    assert best.best_epoch == 1 and best.best_score == 0.5
    for k, v in load_state_dict(tmp_path / "best" / "best.npz").items():
        np.testing.assert_array_equal(v, script.snapshots[1][k])
    for k, v in load_state_dict(tmp_path / "best" / "last.npz").items():
        np.testing.assert_array_equal(v, script.snapshots[2][k])
    assert sorted(p.name for p in (tmp_path / "every").iterdir()) == [f"epoch00{i}.safetensors" for i in (1, 2, 3)]
    for i in range(3):
        for k, v in load_state_dict(tmp_path / "every" / f"epoch00{i + 1}.safetensors").items():
            np.testing.assert_array_equal(v, script.snapshots[i][k])


# ------------------------------------------------------------------ schedules and clipping
def test_scheduler_argument_steps_per_epoch_and_history_logs_lr():
    x, y = _blobs(16)
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    h = fit(model, nn.CrossEntropyLoss(), opt, _batches(x, y, 8), epochs=4,
            scheduler=optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5), verbose=False)
    assert h["lr"] == [0.1, 0.1, 0.05, 0.05] and opt.param_groups[0]["lr"] == 0.025


def test_scheduler_per_batch_and_plateau_gets_the_monitored_value():
    x, y = _blobs(16)
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    fit(model, nn.CrossEntropyLoss(), opt, _batches(x, y, 4), epochs=1, verbose=False,
        callbacks=[LRSchedulerCallback(optim.lr_scheduler.ExponentialLR(opt, gamma=0.5), interval="batch")])
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5 ** 4)  # 4 batches

    opt = optim.SGD(model.parameters(), lr=0.1)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0)
    h = fit(model, nn.CrossEntropyLoss(), opt, _batches(x, y, 8), _batches(x, y, 8), epochs=3, verbose=False,
            callbacks=[Script("val_loss", [1.0, 1.0, 1.0]), LRSchedulerCallback(plateau)])
    assert h["lr"] == [0.1, 0.1, 0.05] and opt.param_groups[0]["lr"] == 0.025
    with pytest.raises(ValueError, match="interval must be 'epoch' or 'batch'"):
        LRSchedulerCallback(plateau, interval="step")


class NormProbe(Callback):
    """Records the gradients' total norm and largest element right before the optimizer step (after clipping)."""

    def __init__(self):
        super().__init__()
        self.norms, self.maxes = [], []

    def on_before_optimizer_step(self, batch, logs=None):
        grads = [p.grad.numpy() for p in self.model.parameters()]
        self.norms.append(math.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in grads)))
        self.maxes.append(max(float(np.abs(g).max()) for g in grads))


@pytest.mark.parametrize("how", ["grad_clip", "callback"])
def test_gradient_clipping(how):
    x, y = _blobs(16)
    model = _mlp()
    probe = NormProbe()
    cbs = [GradientClipping(max_norm=1e-3, clip_value=1e-4)] if how == "callback" else []
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), _batches(x, y, 8), epochs=1,
        grad_clip=1e-3 if how == "grad_clip" else None, callbacks=[*cbs, probe], verbose=False)
    assert len(probe.norms) == 2 and max(probe.norms) <= 1e-3 * (1 + 1e-5)
    if how == "callback":
        assert max(probe.maxes) <= 1e-4
    with pytest.raises(ValueError, match="give max_norm, clip_value or both"):
        GradientClipping()


# ------------------------------------------------------------------ history, CSV, progress bar, plots
@pytest.mark.parametrize("suffix", ["csv", "json"])
def test_history_round_trip(tmp_path, suffix):
    x, y = _blobs(16)
    model = _mlp()
    h = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), _batches(x, y, 8),
            _batches(x, y, 8), epochs=3, verbose=False)
    h.history["sparse"] = [math.nan, 1.5, math.nan]
    h.save(tmp_path / f"h.{suffix}")
    back = History.load(tmp_path / f"h.{suffix}")
    assert back.epoch == h.epoch and list(back.history) == list(h.history)
    for k in h.history:
        np.testing.assert_array_equal(back[k], h[k])  # exact: floats are written with repr


def test_csv_logger_rows_match_history(tmp_path):
    x, y = _blobs(16)
    model = _mlp()
    path = tmp_path / "log.csv"
    h = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), _batches(x, y, 8), epochs=2,
            callbacks=[CSVLogger(path)], verbose=False)
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), _batches(x, y, 8), epochs=3,
        initial_epoch=2, callbacks=[CSVLogger(path, append=True), h], verbose=False)
    back = History.load(path)
    assert back.epoch == [0, 1, 2] and back.history == h.history


def test_progress_bar_shows_epoch_loss_metric_and_speed():
    x, y = _blobs(16)
    model = _mlp()
    buf = io.StringIO()
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), _batches(x, y, 8), _batches(x, y, 8),
        epochs=2, callbacks=[ProgressBar(file=buf)], verbose=True)
    text = buf.getvalue()
    for part in ("Epoch 1/2", "Epoch 2/2", "2/2", "loss=", "accuracy=", "val_loss=", "samples/s="):
        assert part in text, part


def _is_png(path) -> bool:
    with open(path, "rb") as f:
        return f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_plots_write_valid_pngs(tmp_path):
    import matplotlib.image

    h = History()
    for e, (loss, vl) in enumerate([(1.0, 1.1), (0.6, 0.8), (0.4, 0.9)]):
        h.on_epoch_end(e, {"loss": loss, "accuracy": 0.5 + e / 10, "val_loss": vl, "val_accuracy": 0.5})
    curves = plot_history(h, tmp_path / "curves.png", stop_epoch=2, best_epoch=1)
    cm = plot_confusion_matrix(np.array([[5, 1], [2, 7]]), tmp_path / "cm.png", class_names=["a", "b"],
                               normalize=True)
    for p in (curves, cm):
        assert _is_png(p)
        img = matplotlib.image.imread(p)
        assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    with pytest.raises(ValueError, match=r"nothing to plot for \['f1'\]"):
        plot_history(h, tmp_path / "x.png", metrics=["f1"])
    with pytest.raises(ValueError, match=r"expected a square \(C, C\) matrix, got shape \(2, 3\)"):
        plot_confusion_matrix(np.zeros((2, 3)), tmp_path / "x.png")


def test_plots_without_matplotlib_name_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    with pytest.raises(ImportError, match=re.escape('pip install "chainrule[plot]"')):
        plot_confusion_matrix(np.eye(2), tmp_path / "cm.png")
