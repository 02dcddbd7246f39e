"""chainrule.train.checkpoint: npz / safetensors files without pickle, atomic writes, corruption errors, and a resumed
run that ends bit for bit where the uninterrupted one does."""

from __future__ import annotations

import os
import re
import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule import serialization as C
from chainrule.train import ModelCheckpoint, fit, load_checkpoint, load_state_dict, save_checkpoint, save_state_dict
from chainrule.utils.data import DataLoader, TensorDataset


def _mlp(seed: int) -> nn.Module:
    cr.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))


def _arrays(model: nn.Module) -> dict[str, np.ndarray]:
    return {k: np.array(v.numpy(), copy=True) for k, v in model.state_dict().items()}


def _assert_bitwise(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
        assert a[k].tobytes() == b[k].tobytes(), f"{k} differs"


@pytest.mark.parametrize("suffix", ["npz", "safetensors"])
def test_state_dict_round_trip(tmp_path, suffix):
    m = _mlp(1)
    path = tmp_path / f"w.{suffix}"
    save_state_dict(m.state_dict(), path)
    loaded = load_state_dict(path)
    _assert_bitwise(loaded, _arrays(m))
    m2 = _mlp(2)
    m2.load_state_dict(loaded)
    _assert_bitwise(_arrays(m2), _arrays(m))
    if suffix == "npz":  # a plain npz that NumPy reads without pickle
        with np.load(path, allow_pickle=False) as z:
            assert "model/0.weight" in z.files


@pytest.mark.parametrize("suffix", ["npz", "safetensors"])
def test_zero_dim_buffers_keep_their_shape(tmp_path, suffix):
    """BatchNorm's num_batches_tracked is a 0-d int64: it must come back 0-d, and the model must load it."""
    cr.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    m(cr.randn(5, 4))  # one training step of the running statistics
    path = tmp_path / f"bn.{suffix}"
    save_state_dict(m.state_dict(), path)
    loaded = load_state_dict(path)
    assert loaded["1.num_batches_tracked"].shape == () and int(loaded["1.num_batches_tracked"]) == 1
    m2 = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    m2.load_state_dict(loaded)
    _assert_bitwise(_arrays(m2), _arrays(m))


def test_full_checkpoint_restores_optimizer_scheduler_epoch_extra_rng(tmp_path):
    m = _mlp(0)
    opt = optim.Adam(m.parameters(), lr=0.01, betas=(0.8, 0.95))
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    x, y = cr.randn(8, 4), cr.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    for _ in range(2):
        opt.zero_grad()
        nn.functional.cross_entropy(m(x), y).backward()
        opt.step()
        sched.step()
    path = tmp_path / "ck.npz"
    save_checkpoint(path, m, opt, sched, epoch=2, extra={"note": "hi", "ids": np.arange(3), (1, 2): None})
    after_save = (cr.rand(3).numpy(), np.random.rand(3))

    m2 = _mlp(5)
    opt2 = optim.Adam(m2.parameters(), lr=0.5)
    sched2 = optim.lr_scheduler.StepLR(opt2, step_size=3, gamma=0.1)
    ck = load_checkpoint(path, m2, opt2, sched2)
    assert ck["epoch"] == 2
    assert ck["extra"]["note"] == "hi" and ck["extra"][(1, 2)] is None
    np.testing.assert_array_equal(ck["extra"]["ids"], np.arange(3))
    _assert_bitwise(_arrays(m2), _arrays(m))
    assert opt2.param_groups[0]["betas"] == (0.8, 0.95)  # the tuple survives JSON
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"] == 0.0025
    assert sched2.state_dict() == sched.state_dict()
    for p, p2 in zip(m.parameters(), m2.parameters()):
        for key in ("exp_avg", "exp_avg_sq", "step"):
            a, b = opt.state[p][key].numpy(), opt2.state[p2][key].numpy()
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    # the random streams continue exactly where they were when saving
    np.testing.assert_array_equal(cr.rand(3).numpy(), after_save[0])
    np.testing.assert_array_equal(np.random.rand(3), after_save[1])


def test_resume_is_bitwise_identical_to_uninterrupted_run(tmp_path):
    g = np.random.default_rng(0)
    data = TensorDataset(cr.tensor(g.normal(size=(40, 4)).astype(np.float32)), cr.tensor(g.integers(0, 3, 40)))

    def setup(seed):
        m = _mlp(seed)
        opt = optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        return m, opt, optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)

    # uninterrupted: 4 epochs; shuffling and dropout draw from chainrule's default generator
    m, opt, sched = setup(0)
    cr.manual_seed(123)
    h_full = fit(m, nn.CrossEntropyLoss(), opt, DataLoader(data, batch_size=16, shuffle=True), epochs=4,
                 scheduler=sched, verbose=False)
    rng_full = cr.get_rng_state()
    # interrupted after 2 epochs, then resumed into fresh objects built with other seeds
    m1, opt1, sched1 = setup(0)
    cr.manual_seed(123)
    fit(m1, nn.CrossEntropyLoss(), opt1, DataLoader(data, batch_size=16, shuffle=True), epochs=2, scheduler=sched1,
        callbacks=[ModelCheckpoint(tmp_path, save_last=True)], verbose=False)
    cr.rand(100)  # the stream moves on after the "crash"
    m2, opt2, sched2 = setup(7)
    ck = load_checkpoint(tmp_path / "last.npz", m2, opt2, sched2)
    assert ck["epoch"] == 2
    h_rest = fit(m2, nn.CrossEntropyLoss(), opt2, DataLoader(data, batch_size=16, shuffle=True), epochs=4,
                 initial_epoch=2, scheduler=sched2, verbose=False)

    _assert_bitwise(_arrays(m2), _arrays(m))
    for p, p2 in zip(m.parameters(), m2.parameters()):
        assert opt.state[p]["momentum_buffer"].numpy().tobytes() == opt2.state[p2]["momentum_buffer"].numpy().tobytes()
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"] == 0.025
    assert h_rest.epoch == [2, 3] and h_rest["loss"] == h_full["loss"][2:]
    assert cr.get_rng_state() == rng_full  # the generator also ends at the same point of its stream


def test_crash_mid_write_keeps_the_old_file(tmp_path, monkeypatch):
    m = _mlp(0)
    path = tmp_path / "ck.npz"
    save_checkpoint(path, m, epoch=1)
    before = path.read_bytes()

    def crash(f, arrays):
        f.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(C, "_write_npz", crash)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, _mlp(1), epoch=2)
    assert path.read_bytes() == before
    assert load_checkpoint(path, _mlp(3))["epoch"] == 1
    assert os.listdir(tmp_path) == ["ck.npz"]  # the temporary file is cleaned up


def test_model_checkpoint_crash_keeps_previous_best(tmp_path, monkeypatch):
    m = _mlp(0)
    batches = [(cr.randn(4, 4), cr.tensor([0, 1, 2, 0]))]
    ck = ModelCheckpoint(tmp_path, monitor="loss", save_best_only=True, save_last=False)
    fit(m, nn.CrossEntropyLoss(), optim.SGD(m.parameters(), lr=0.0), batches, epochs=1, callbacks=[ck],
        verbose=False)
    best = tmp_path / "best.npz"
    before = best.read_bytes()
    monkeypatch.setattr(C, "_write_npz", lambda f, arrays: (f.write(b"garbage"), 1 / 0))
    ck2 = ModelCheckpoint(tmp_path, monitor="loss", save_best_only=True, save_last=False)
    with pytest.raises(ZeroDivisionError):
        fit(m, nn.CrossEntropyLoss(), optim.SGD(m.parameters(), lr=0.1), batches, epochs=1, callbacks=[ck2],
            verbose=False)
    assert best.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["best.npz"]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_corrupted_file_raises_naming_it(tmp_path, damage):
    path = tmp_path / "ck.npz"
    save_checkpoint(path, _mlp(0), epoch=1)
    raw = path.read_bytes()
    path.write_bytes({"truncate": raw[: len(raw) // 2], "garbage": b"\x00" * 100, "empty": b""}[damage])
    msg = f"cannot read checkpoint {re.escape(str(path))}: the file is corrupted, truncated"
    with pytest.raises(RuntimeError, match=msg):
        load_checkpoint(path, _mlp(0))


def test_truncated_safetensors_raises_naming_it(tmp_path):
    path = tmp_path / "w.safetensors"
    save_state_dict(_mlp(0).state_dict(), path)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(RuntimeError, match=f"cannot read checkpoint {re.escape(str(path))}"):
        load_state_dict(path)


def test_keys_and_shapes_are_verified(tmp_path):
    path = tmp_path / "ck.npz"
    save_checkpoint(path, _mlp(0))
    other = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 3))
    name = re.escape(str(path))
    with pytest.raises(RuntimeError, match=rf"(?s)load_checkpoint\({name}\).*size mismatch for 0.weight"):
        load_checkpoint(path, other)
    # an entry whose shape disagrees with the file's own index
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["model/0.bias"] = np.zeros(5, np.float32)
    np.savez(path, **arrays)
    with pytest.raises(RuntimeError, match=f"checkpoint {name} is inconsistent: entry 'model/0.bias' has shape"):
        load_checkpoint(path, _mlp(0))
    arrays.pop("model/0.bias")
    np.savez(path, **arrays)
    with pytest.raises(RuntimeError, match=r"inconsistent: entries missing \['model/0.bias'\]"):
        load_checkpoint(path, _mlp(0))


def test_errors_missing_file_format_extra_and_state(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="checkpoint file not found"):
        load_checkpoint(tmp_path / "nope.npz")
    with pytest.raises(ValueError, match="format must be one of"):
        save_checkpoint(tmp_path / "a.npz", _mlp(0), format="pt")
    path = tmp_path / "w.npz"
    save_checkpoint(path, _mlp(0))
    m = _mlp(0)
    with pytest.raises(ValueError, match=f"{re.escape(str(path))} holds no optimizer state"):
        load_checkpoint(path, m, optim.SGD(m.parameters(), lr=0.1))
    with pytest.raises(TypeError, match="cannot save a value of type object"):
        save_checkpoint(tmp_path / "b.npz", m, extra={"x": object()})
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r'pip install "chainrule\[safetensors\]"'):
        save_checkpoint(tmp_path / "a.safetensors", m)
    with pytest.raises(ImportError, match=r"chainrule\[safetensors\]"):
        ModelCheckpoint(tmp_path, format="safetensors")
