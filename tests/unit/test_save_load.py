"""``chainrule.save`` / ``chainrule.load``, the ``torch.save`` / ``torch.load`` of chainrule: nested objects of tensors,
arrays and plain values, to a path (atomically) or a file object, with no pickle anywhere."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn, optim
from chainrule.train import save_checkpoint, save_state_dict


def _mlp(seed: int) -> nn.Module:
    cr.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))


def test_a_state_dict_round_trips_as_with_torch(tmp_path) -> None:
    m, other = _mlp(0), _mlp(1)
    m(cr.randn(5, 4))  # BatchNorm's running statistics and num_batches_tracked (a 0-d integer tensor) move
    cr.save(m.state_dict(), tmp_path / "m.npz")
    sd = cr.load(tmp_path / "m.npz")
    assert list(sd) == list(m.state_dict())
    assert all(isinstance(v, cr.Tensor) for v in sd.values())
    other.load_state_dict(sd)
    x = cr.randn(3, 4)
    m.eval(), other.eval()
    np.testing.assert_array_equal(other(x).detach().numpy(), m(x).detach().numpy())
    for k, v in m.state_dict().items():
        assert sd[k].dtype == v.dtype and tuple(sd[k].shape) == tuple(v.shape), k


def test_nested_values_keep_their_types(tmp_path) -> None:
    t = cr.tensor([[1.5, -2.0]], dtype=cr.float64, requires_grad=True)
    obj = {"t": t, "i": cr.tensor([1, 2, 3]), "a": np.arange(6, dtype=np.int16).reshape(2, 3), "n": 3, "x": 0.25,
           "s": "text", "none": None, "flag": True, "tup": (1, cr.zeros(2)), "list": [np.float32(2.5), [4]],
           7: "an int key", "empty": cr.zeros(0, 3)}
    cr.save(obj, tmp_path / "o.npz")
    back = cr.load(tmp_path / "o.npz")
    assert set(back) == set(obj)
    assert isinstance(back["t"], cr.Tensor) and back["t"].requires_grad and back["t"].dtype == cr.float64
    np.testing.assert_array_equal(back["t"].detach().numpy(), t.detach().numpy())
    assert back["i"].dtype == cr.int64 and not back["i"].requires_grad
    assert isinstance(back["a"], np.ndarray) and back["a"].dtype == np.int16 and back["a"].shape == (2, 3)
    assert (back["n"], back["x"], back["s"], back["none"], back["flag"], back[7]) == (3, 0.25, "text", None, True,
                                                                                       "an int key")
    assert isinstance(back["tup"], tuple) and back["tup"][0] == 1 and tuple(back["tup"][1].shape) == (2,)
    assert isinstance(back["list"][0], np.float32) and back["list"][1] == [4]
    assert tuple(back["empty"].shape) == (0, 3)
    assert back["t"] is not t  # a fresh tensor that owns its memory
    back["t"].data[0, 0] = 9.0
    assert t.detach().numpy()[0, 0] == 1.5


def test_an_optimizer_state_round_trips_and_resumes_identically(tmp_path) -> None:
    def run(model: nn.Module, opt: optim.Optimizer, steps: int) -> None:
        for i in range(steps):
            cr.manual_seed(100 + i)
            x, y = cr.randn(8, 4), cr.randint(0, 3, (8,))
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()

    a = _mlp(0)
    opt_a = optim.Adam(a.parameters(), lr=1e-2)
    run(a, opt_a, 3)
    cr.save({"model": a.state_dict(), "optimizer": opt_a.state_dict(), "epoch": 3}, tmp_path / "ck.npz")
    run(a, opt_a, 2)
    b = _mlp(1)
    opt_b = optim.Adam(b.parameters(), lr=1e-3)
    ck = cr.load(tmp_path / "ck.npz")
    b.load_state_dict(ck["model"])
    opt_b.load_state_dict(ck["optimizer"])
    assert ck["epoch"] == 3 and opt_b.param_groups[0]["lr"] == 1e-2
    run(b, opt_b, 2)
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        np.testing.assert_array_equal(va.numpy(), vb.numpy(), err_msg=k)


def test_file_objects_and_safetensors(tmp_path) -> None:
    buf = io.BytesIO()
    cr.save({"w": cr.arange(6.0).reshape(2, 3)}, buf)
    buf.seek(0)
    np.testing.assert_array_equal(cr.load(buf)["w"].numpy(), np.arange(6.0).reshape(2, 3))
    # safetensors is in the test extra: no skip, a missing package fails here
    cr.save([cr.ones(2), 5], tmp_path / "l.safetensors")
    back = cr.load(tmp_path / "l.safetensors")
    assert back[1] == 5 and back[0].numpy().tolist() == [1.0, 1.0]


def test_the_file_holds_no_pickle_and_loading_runs_no_code(tmp_path) -> None:
    cr.save({"w": cr.ones(3), "opt": {"state": {0: {"step": 1}}}}, tmp_path / "o.npz")
    with zipfile.ZipFile(tmp_path / "o.npz") as z:
        for name in z.namelist():
            assert z.read(name)[:6] == b"\x93NUMPY", name  # every entry is a plain .npy array
    # a pickle-based file (torch's own format) is refused, not unpickled
    torch.save({"w": torch.ones(3)}, tmp_path / "t.pt")
    with pytest.raises(RuntimeError, match="not a chainrule"):
        cr.load(tmp_path / "t.pt")
    np.save(tmp_path / "p.npy", np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(RuntimeError, match="cannot read checkpoint"):
        cr.load(tmp_path / "p.npy")


def test_other_chainrule_files(tmp_path) -> None:
    m = _mlp(0)
    save_state_dict(m.state_dict(), tmp_path / "sd.npz")
    sd = cr.load(tmp_path / "sd.npz")
    assert set(sd) == set(m.state_dict()) and all(isinstance(v, cr.Tensor) for v in sd.values())
    save_checkpoint(tmp_path / "ck.npz", m, epoch=1)
    with pytest.raises(ValueError, match="load_checkpoint"):
        cr.load(tmp_path / "ck.npz")


def test_bad_input(tmp_path) -> None:
    with pytest.raises(TypeError, match=r"type Sequential .*save its state_dict\(\) instead"):
        cr.save(_mlp(0), tmp_path / "m.npz")
    with pytest.raises(TypeError, match="type set"):
        cr.save({"s": {1, 2}}, tmp_path / "s.npz")
    assert not list(tmp_path.iterdir())  # nothing written on a refusal
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        cr.load(tmp_path / "nope.npz")
    cr.save(cr.ones(2), tmp_path / "one.npz")
    assert cr.load(tmp_path / "one.npz", map_location="cpu").numpy().tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="load: device 'cuda:0' is not available"):
        cr.load(tmp_path / "one.npz", map_location="cuda:0")
    (tmp_path / "cut.npz").write_bytes((tmp_path / "one.npz").read_bytes()[:40])
    with pytest.raises(RuntimeError, match="corrupted, truncated"):
        cr.load(tmp_path / "cut.npz")
    with pytest.raises(ValueError, match="format must be one of"):
        cr.save(cr.ones(2), tmp_path / "x.bin", format="pickle")
