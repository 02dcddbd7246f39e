"""batch_norm / BatchNorm1d and layer_norm / LayerNorm against PyTorch: outputs, input, weight and bias gradients in
float64 and float32, running statistics over several training steps, evaluation mode, momentum=None,
track_running_stats=False, affine=False, 2-D and 3-D inputs, multi-dimensional normalized_shape; state_dict keys
and errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import chainrule as cr
import chainrule.nn.functional as F
from tests.helpers import assert_close

DTYPES = ["float64", "float32"]


def _pair(a: np.ndarray, requires_grad: bool = True) -> tuple[Any, Any]:
    return cr.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


def _data(shape: tuple[int, ...], dtype: str, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # an offset and a scale per channel, so that the statistics matter
    c = shape[1] if len(shape) > 1 else 1
    loc = rng.normal(size=(1, c) + (1,) * (len(shape) - 2)) * 3
    return (rng.normal(size=shape) * rng.uniform(0.5, 3) + loc).astype(dtype)


# ------------------------------------------------------------------------------------------------ batch_norm (F)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5), (2, 3, 2, 3)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_batch_norm_functional(shape: tuple[int, ...], training: bool, affine: str, dtype: str) -> None:
    c = shape[1]
    rng = np.random.default_rng(1)
    x, tx = _pair(_data(shape, dtype))
    rm0 = rng.normal(size=c).astype(dtype)
    rv0 = rng.uniform(0.5, 2, size=c).astype(dtype)
    rm, trm = cr.tensor(rm0), torch.tensor(rm0)
    rv, trv = cr.tensor(rv0), torch.tensor(rv0)
    w, tw = _pair(rng.uniform(0.5, 1.5, size=c).astype(dtype)) if affine != "none" else (None, None)
    b, tb = _pair(rng.normal(size=c).astype(dtype)) if affine == "both" else (None, None)
    y = F.batch_norm(x, rm, rv, w, b, training=training, momentum=0.3, eps=1e-3)
    ty = TF.batch_norm(tx, trm, trv, tw, tb, training=training, momentum=0.3, eps=1e-3)
    assert_close(y, ty, "fwd", dtype)
    assert_close(rm, trm, "fwd", dtype)
    assert_close(rv, trv, "fwd", dtype)
    g = rng.normal(size=shape).astype(dtype)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    assert x.grad.dtype == x.dtype
    assert_close(x.grad, tx.grad, "grad", dtype)
    for p, tp in ((w, tw), (b, tb)):
        if p is not None:
            assert_close(p.grad, tp.grad, "grad", dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_norm_without_running_stats(dtype: str) -> None:
    x, tx = _pair(_data((6, 4, 3), dtype))
    y, ty = F.batch_norm(x, None, None, training=True), TF.batch_norm(tx, None, None, training=True)
    assert_close(y, ty, "fwd", dtype)
    (y ** 3).sum().backward()
    (ty ** 3).sum().backward()
    assert_close(x.grad, tx.grad, "grad", dtype)


def test_batch_norm_only_some_inputs_need_grad() -> None:
    """Gradients of weight and bias alone (frozen input), and of the input alone (frozen weight)."""
    a = _data((5, 3), "float64")
    w0, b0 = np.array([0.5, 2.0, -1.0]), np.array([0.1, 0.2, 0.3])
    for need_x, need_p in ((False, True), (True, False)):
        x, tx = _pair(a, need_x)
        w, tw = _pair(w0, need_p)
        b, tb = _pair(b0, need_p)
        y = F.batch_norm(x, None, None, w, b, training=True)
        ty = TF.batch_norm(tx, None, None, tw, tb, training=True)
        (y * y * y).sum().backward()
        (ty * ty * ty).sum().backward()
        for p, tp in ((x, tx), (w, tw), (b, tb)):
            assert (p.grad is None) == (tp.grad is None)
            if p.grad is not None:
                assert_close(p.grad, tp.grad, "grad")


# --------------------------------------------------------------------------------------------- BatchNorm1d module
CONFIGS = [dict(), dict(momentum=None), dict(momentum=0.5, eps=1e-3), dict(affine=False),
           dict(track_running_stats=False), dict(bias=False), dict(affine=False, track_running_stats=False)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 5)])
@pytest.mark.parametrize("kw", CONFIGS, ids=[str(k) for k in CONFIGS])
def test_batchnorm1d_training_steps_then_eval(kw: dict[str, Any], shape: tuple[int, ...], dtype: str) -> None:
    m, tm = cr.nn.BatchNorm1d(4, **kw), torch.nn.BatchNorm1d(4, **kw)
    assert repr(m) == repr(tm)
    if dtype == "float64":
        m.double(), tm.double()
    # a non-trivial affine transform, the same in both
    with torch.no_grad():
        for p in tm.parameters():
            p.copy_(torch.rand(p.shape, dtype=p.dtype) + 0.5)
    m.load_state_dict({k: v.numpy() for k, v in tm.state_dict().items()})
    for step in range(4):
        x, tx = _pair(_data(shape, dtype, seed=step))
        y, ty = m(x), tm(tx)
        assert_close(y, ty, "fwd", dtype)
        g = np.random.default_rng(10 + step).normal(size=shape).astype(dtype)
        y.backward(cr.tensor(g))
        ty.backward(torch.tensor(g))
        assert_close(x.grad, tx.grad, "grad", dtype)
    for (name, p), (tname, tp) in zip(m.named_parameters(), tm.named_parameters()):
        assert name == tname
        assert_close(p.grad, tp.grad, "grad", dtype)  # accumulated over the four steps
    sd, tsd = m.state_dict(), tm.state_dict()
    assert list(sd) == list(tsd)
    for k in sd:
        assert_close(sd[k], tsd[k], "fwd", dtype)  # running stats and num_batches_tracked (int64)
    m.eval(), tm.eval()
    x, tx = _pair(_data(shape, dtype, seed=99))
    y, ty = m(x), tm(tx)
    assert_close(y, ty, "fwd", dtype)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    assert_close(x.grad, tx.grad, "grad", dtype)
    for k in sd:  # evaluation leaves the statistics alone
        assert_close(m.state_dict()[k], tm.state_dict()[k], "fwd", dtype)


def test_batchnorm1d_buffers_and_defaults() -> None:
    m = cr.nn.BatchNorm1d(3)
    assert m.num_batches_tracked.dtype == cr.int64 and m.num_batches_tracked.shape == ()
    assert m.running_mean.dtype == cr.float32 and m.weight.dtype == cr.float32
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in torch.nn.BatchNorm1d(3).named_buffers()]
    assert not m.running_mean.requires_grad
    m(cr.randn(4, 3))
    m.reset_parameters()
    assert int(m.num_batches_tracked) == 0 and float(m.running_var.sum()) == 3.0
    off = cr.nn.BatchNorm1d(3, track_running_stats=False)
    assert off.running_mean is None and list(off.state_dict()) == ["weight", "bias"]


def test_batchnorm1d_float32_stays_float32() -> None:
    m = cr.nn.BatchNorm1d(5)
    x = cr.randn(8, 5, 3, requires_grad=True)
    y = m(x)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == m.weight.grad.dtype == m.running_var.dtype == cr.float32


def test_batchnorm1d_errors() -> None:
    m, tm = cr.nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    with pytest.raises(ValueError) as e:
        m(cr.randn(1, 3))
    with pytest.raises(ValueError) as te:
        tm(torch.randn(1, 3))
    assert str(e.value).replace("chainrule", "torch") == str(te.value)
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected 2D or 3D input .*\(N, 3\) or \(N, 3, L\), got 4D "
                                         r"input of shape \(2, 3, 4, 5\)"):
        m(cr.randn(2, 3, 4, 5))
    with pytest.raises(RuntimeError, match=r"BatchNorm1d\(3\): expected input of shape \(N, 3\), got \(2, 4\)"):
        m(cr.randn(2, 4))
    m.eval()
    m(cr.randn(1, 3))  # evaluation takes a single sample
    with pytest.raises(RuntimeError, match="running_mean should contain 4 elements not 3"):
        F.batch_norm(cr.randn(2, 4), cr.zeros(3), cr.ones(3))
    with pytest.raises(TypeError, match="momentum"):
        F.batch_norm(cr.randn(2, 3), cr.zeros(3), cr.ones(3), training=True, momentum=None)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------------- layer_norm
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,ns", [((4, 6), (6,)), ((2, 3, 5), (5,)), ((2, 3, 4, 5), (4, 5)),
                                      ((3, 2, 4), (3, 2, 4)), ((7,), 7)])
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm_functional(shape: tuple[int, ...], ns: Any, affine: str, dtype: str) -> None:
    rng = np.random.default_rng(2)
    nshape = (ns,) if isinstance(ns, int) else ns
    x, tx = _pair((rng.normal(size=shape) * 4 + 2).astype(dtype))
    w, tw = _pair(rng.normal(size=nshape).astype(dtype)) if affine != "none" else (None, None)
    b, tb = _pair(rng.normal(size=nshape).astype(dtype)) if affine == "both" else (None, None)
    y, ty = F.layer_norm(x, ns, w, b, eps=1e-4), TF.layer_norm(tx, nshape, tw, tb, eps=1e-4)
    assert_close(y, ty, "fwd", dtype)
    g = rng.normal(size=shape).astype(dtype)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    assert x.grad.dtype == x.dtype
    assert_close(x.grad, tx.grad, "grad", dtype)
    for p, tp in ((w, tw), (b, tb)):
        if p is not None:
            assert p.grad.dtype == p.dtype
            assert_close(p.grad, tp.grad, "grad", dtype)


@pytest.mark.parametrize("kw", [dict(), dict(elementwise_affine=False), dict(bias=False), dict(eps=1e-3)],
                         ids=str)
@pytest.mark.parametrize("ns", [8, (3, 8), [2, 3, 8]], ids=str)
def test_layernorm_module(ns: Any, kw: dict[str, Any]) -> None:
    m, tm = cr.nn.LayerNorm(ns, **kw), torch.nn.LayerNorm(ns, **kw)
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    m.double(), tm.double()
    with torch.no_grad():
        for p in tm.parameters():
            p.normal_()
    m.load_state_dict({k: v.numpy() for k, v in tm.state_dict().items()})
    x, tx = _pair(np.random.default_rng(4).normal(size=(2, 2, 3, 8)) * 3)
    y, ty = m(x), tm(tx)
    assert_close(y, ty)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    assert_close(x.grad, tx.grad, "grad")
    for p, tp in zip(m.parameters(), tm.parameters()):
        assert_close(p.grad, tp.grad, "grad")
    m.eval()
    assert_close(m(x), ty)  # no running state: the same in evaluation


def test_layer_norm_errors() -> None:
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\], but "
                                           r"got input of size\[2, 3\]"):
        F.layer_norm(cr.randn(2, 3), (4,))
    with pytest.raises(RuntimeError, match=r"LayerNorm\(\(3, 4\)\): expected input of shape \(\*, 3, 4\), got "
                                           r"\(2, 4, 3\)"):
        cr.nn.LayerNorm((3, 4))(cr.randn(2, 4, 3))
    with pytest.raises(RuntimeError, match="weight of shape"):
        F.layer_norm(cr.randn(2, 3), (3,), weight=cr.ones(4))


def test_layer_norm_float32_stays_float32_and_is_stable_for_large_offsets() -> None:
    a = (np.random.default_rng(0).normal(size=(4, 16)) + 1e4).astype(np.float32)
    x, tx = _pair(a)
    y, ty = F.layer_norm(x, (16,)), TF.layer_norm(tx, (16,))
    assert y.dtype == cr.float32
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), atol=2e-3)  # rounding of x itself: 1e-3
