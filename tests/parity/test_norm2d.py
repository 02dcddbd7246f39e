"""BatchNorm2d, GroupNorm, InstanceNorm2d, LocalResponseNorm and Dropout2d against PyTorch: forward values, input and
parameter gradients and running statistics in float64 and float32, over tables of configurations; gradcheck in
float64; Dropout2d's channel masks; and the errors (wrong rank, channel mismatch, groups not dividing channels)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from tests.helpers import assert_close

TF = torch.nn.functional
DTYPES = ["float64", "float32"]


def _pair(rng: np.random.Generator, shape: tuple[int, ...], dtype: str) -> tuple[cr.Tensor, torch.Tensor]:
    a = rng.standard_normal(shape).astype(dtype)
    return cr.tensor(a.copy(), requires_grad=True), torch.tensor(a.copy(), requires_grad=True)


def _modules(name: str, args: tuple[Any, ...], kw: dict[str, Any], dtype: str) -> tuple[Any, Any]:
    ours = getattr(cr.nn, name)(*args, **kw, dtype=getattr(cr, dtype))
    theirs = getattr(torch.nn, name)(*args, **kw, dtype=getattr(torch, dtype))
    rng = np.random.default_rng(11)
    with torch.no_grad():  # non-trivial affine parameters, the same on both sides
        for p in theirs.parameters():
            p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape)).astype(dtype)))
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _step(ours: Any, theirs: Any, shape: tuple[int, ...], dtype: str, seed: int) -> None:
    """One forward/backward on both modules: output, input and parameter gradients agree."""
    rng = np.random.default_rng(seed)
    x, tx = _pair(rng, shape, dtype)
    y, ty = ours(x), theirs(tx)
    assert_close(y, ty)
    g = rng.standard_normal(tuple(ty.shape)).astype(dtype)
    y.backward(cr.tensor(g.copy()))
    ty.backward(torch.from_numpy(g.copy()))
    assert_close(x.grad, tx.grad, "grad")
    for (n, p), (tn, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert n == tn and p.grad.dtype == p.dtype
        assert_close(p.grad, tp.grad, "grad")


def _buffers(ours: Any, theirs: Any) -> None:
    tb = dict(theirs.named_buffers())
    for n, b in ours.named_buffers():
        assert_close(b, tb[n], check_dtype=b.dtype != cr.int64)


BN = [
    ((4, 3, 5, 6), dict()),
    ((2, 3, 1, 3), dict(momentum=None)),
    ((1, 3, 4, 4), dict(affine=False)),  # batch 1: statistics over the spatial positions only
    ((3, 3, 2, 5), dict(track_running_stats=False)),
    ((2, 3, 3, 3), dict(bias=False, eps=1e-3, momentum=0.3)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,kw", BN, ids=str)
def test_batchnorm2d_matches_torch(shape: tuple[int, ...], kw: dict[str, Any], dtype: str) -> None:
    ours, theirs = _modules("BatchNorm2d", (3,), kw, dtype)
    assert repr(ours) == repr(theirs)
    for seed in range(2):  # two training steps: the running statistics move
        _step(ours, theirs, shape, dtype, seed)
        _buffers(ours, theirs)
    ours.eval()
    theirs.eval()
    _step(ours, theirs, shape, dtype, 5)


GROUPS = [((2, 6, 4, 5), 3), ((2, 6, 4, 5), 1), ((2, 6, 4, 5), 6), ((1, 4, 3), 2), ((2, 4, 2, 3, 2), 2), ((3, 2), 2)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,groups", GROUPS, ids=str)
def test_group_norm_matches_torch(shape: tuple[int, ...], groups: int, dtype: str) -> None:
    ours, theirs = _modules("GroupNorm", (groups, shape[1]), {}, dtype)
    assert repr(ours) == repr(theirs)
    _step(ours, theirs, shape, dtype, 0)
    ours, theirs = _modules("GroupNorm", (groups, shape[1]), dict(affine=False, eps=1e-2), dtype)
    _step(ours, theirs, shape, dtype, 1)


IN = [
    ((2, 3, 4, 5), dict()),
    ((2, 3, 4, 5), dict(affine=True)),
    ((3, 4, 5), dict(affine=True)),  # unbatched
    ((2, 3, 3, 4), dict(track_running_stats=True, affine=True, momentum=0.2)),
    ((1, 3, 2, 2), dict(track_running_stats=True)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,kw", IN, ids=str)
def test_instance_norm2d_matches_torch(shape: tuple[int, ...], kw: dict[str, Any], dtype: str) -> None:
    ours, theirs = _modules("InstanceNorm2d", (3,), kw, dtype)
    assert repr(ours) == repr(theirs)
    for seed in range(2):
        _step(ours, theirs, shape, dtype, seed)
        _buffers(ours, theirs)
    ours.eval()
    theirs.eval()
    _step(ours, theirs, shape, dtype, 3)  # with running stats: they normalise now


@pytest.mark.parametrize("dtype", DTYPES)
def test_functional_instance_norm_running_stats_match_torch(dtype: str) -> None:
    rng = np.random.default_rng(3)
    x, tx = _pair(rng, (3, 2, 4, 3), dtype)
    w, tw = _pair(rng, (2,), dtype)
    rm, rv = rng.standard_normal(2).astype(dtype), rng.random(2).astype(dtype) + 0.5
    crm, crv, trm, trv = cr.tensor(rm), cr.tensor(rv), torch.tensor(rm), torch.tensor(rv)
    for use in (True, False):
        y = F.instance_norm(x, crm, crv, w, None, use_input_stats=use, momentum=0.3)
        ty = TF.instance_norm(tx, trm, trv, tw, None, use_input_stats=use, momentum=0.3)
        assert_close(y, ty)
        assert_close(crm, trm)
        assert_close(crv, trv)
        y.sum().backward()
        ty.sum().backward()
        assert_close(x.grad, tx.grad, "grad")
        assert_close(w.grad, tw.grad, "grad")


LRN = [((2, 7, 4, 3), dict(size=3)), ((2, 7, 4, 3), dict(size=4, alpha=0.1, beta=0.6, k=2.0)),
       ((1, 5, 6), dict(size=5, alpha=0.5)), ((2, 3, 2, 2, 2), dict(size=2, alpha=0.3)),
       ((2, 4, 3, 3), dict(size=9, alpha=1.0, k=0.5)), ((2, 4, 3, 3), dict(size=1, alpha=0.2))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,kw", LRN, ids=str)
def test_local_response_norm_matches_torch(shape: tuple[int, ...], kw: dict[str, Any], dtype: str) -> None:
    ours, theirs = cr.nn.LocalResponseNorm(**kw), torch.nn.LocalResponseNorm(**kw)
    assert repr(ours) == repr(theirs)
    _step(ours, theirs, shape, dtype, 0)


GRADCHECK: list[tuple[Callable[..., Any], tuple[int, ...]]] = [
    (lambda x, w, b: F.group_norm(x, 2, w, b), (2, 4, 3, 2)),
    (lambda x, w, b: F.instance_norm(x, None, None, w, b), (2, 4, 3, 2)),
    (lambda x, w, b: F.local_response_norm(x * w.reshape(1, 4, 1, 1) + b.reshape(1, 4, 1, 1), 3, 0.5, 0.75, 1.0),
     (2, 4, 3, 2)),
    (lambda x, w, b: F.batch_norm(x, None, None, w, b, True), (3, 4, 2, 2)),
]


@pytest.mark.parametrize("i", range(len(GRADCHECK)))
def test_norm2d_gradcheck(i: int) -> None:
    fn, shape = GRADCHECK[i]
    rng = np.random.default_rng(i)
    args = [cr.tensor(rng.standard_normal(s), requires_grad=True) for s in (shape, (shape[1],), (shape[1],))]
    assert cr.autograd.gradcheck(fn, args)


# ----------------------------------------------------------------- Dropout2d
@pytest.mark.filterwarnings("ignore:dropout2d. Received a 3D input")  # torch's note on (N, C, L) inputs
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(8, 16, 3, 4), (8, 16, 5)], ids=str)
def test_dropout2d_zeroes_whole_channels_with_inverted_scaling(shape: tuple[int, ...], dtype: str) -> None:
    cr.manual_seed(0)
    x = cr.tensor(np.random.default_rng(0).random(shape).astype(dtype) + 1.0, requires_grad=True)
    p = 0.3
    y = F.dropout2d(x, p)
    assert y.dtype == x.dtype
    ratio = (y / x).detach().numpy().reshape(shape[0], shape[1], -1)
    per_channel = ratio[..., 0]
    # every channel is either dropped or kept and scaled as a whole (a 3-D input is (N, C, L), as PyTorch)
    np.testing.assert_allclose(ratio, np.broadcast_to(per_channel[..., None], ratio.shape), rtol=1e-6)
    kept = per_channel != 0
    np.testing.assert_allclose(per_channel[kept], 1 / (1 - p), rtol=1e-6)
    assert 0.45 < kept.mean() < 0.95  # 128 channels, keep probability 0.7
    y.sum().backward()
    assert x.grad.dtype == x.dtype
    np.testing.assert_allclose(x.grad.numpy().reshape(ratio.shape), ratio, rtol=1e-6)
    # PyTorch's masks have the same structure
    tr = (TF.dropout2d(torch.tensor(x.detach().numpy()), p) != 0).numpy().reshape(ratio.shape)
    assert (tr == tr[..., :1]).all()


def test_dropout2d_seeded_eval_and_extremes() -> None:
    x = cr.randn(4, 6, 3, 3)
    cr.manual_seed(7)
    a = F.dropout2d(x, 0.5)
    cr.manual_seed(7)
    np.testing.assert_array_equal(a.numpy(), F.dropout2d(x, 0.5).numpy())
    m = cr.nn.Dropout2d(0.5)
    assert repr(m) == repr(torch.nn.Dropout2d(0.5))
    m.eval()
    assert m(x) is x and F.dropout2d(x, 0.5, training=False) is x
    assert (F.dropout2d(x, 1.0).numpy() == 0).all()
    np.testing.assert_array_equal(F.dropout2d(x, 0.0).numpy(), x.numpy())
    with pytest.raises(ValueError, match="dropout probability"):
        F.dropout2d(x, 1.5)
    with pytest.raises(ValueError):
        TF.dropout2d(torch.randn(2, 3, 4, 4), 1.5)


# ----------------------------------------------------------------- errors
def test_batchnorm2d_errors_name_layer_and_shapes() -> None:
    m = cr.nn.BatchNorm2d(3)
    with pytest.raises(ValueError, match=r"BatchNorm2d.*4D.*\(2, 3, 4\)"):
        m(cr.randn(2, 3, 4))
    with pytest.raises(ValueError):
        torch.nn.BatchNorm2d(3)(torch.randn(2, 3, 4))
    with pytest.raises(RuntimeError, match=r"BatchNorm2d\(3\).*\(N, 3, H, W\).*\(2, 4, 5, 5\)"):
        m(cr.randn(2, 4, 5, 5))
    with pytest.raises(RuntimeError):
        torch.nn.BatchNorm2d(3)(torch.randn(2, 4, 5, 5))


def test_group_norm_errors() -> None:
    with pytest.raises(ValueError, match=r"GroupNorm.*num_groups=4.*num_channels=6"):
        cr.nn.GroupNorm(4, 6)
    with pytest.raises(ValueError):
        torch.nn.GroupNorm(4, 6)
    with pytest.raises(RuntimeError, match=r"group_norm.*\(2, 6, 3\).*num_groups=4"):
        F.group_norm(cr.randn(2, 6, 3), 4)
    with pytest.raises(RuntimeError):
        TF.group_norm(torch.randn(2, 6, 3), 4)
    with pytest.raises(RuntimeError, match=r"GroupNorm\(2, 6\).*\(2, 4, 3\)"):
        cr.nn.GroupNorm(2, 6)(cr.randn(2, 4, 3))


def test_instance_norm_and_lrn_errors() -> None:
    with pytest.raises(ValueError, match=r"InstanceNorm2d.*\(2, 3\)"):
        cr.nn.InstanceNorm2d(3)(cr.randn(2, 3))
    with pytest.raises(ValueError):
        torch.nn.InstanceNorm2d(3)(torch.randn(2, 3))
    with pytest.raises(RuntimeError, match=r"InstanceNorm2d\(3\).*\(2, 4, 3, 3\)"):
        cr.nn.InstanceNorm2d(3, affine=True)(cr.randn(2, 4, 3, 3))
    with pytest.raises(ValueError, match=r"instance_norm.*spatial.*\(2, 3, 1, 1\)"):
        F.instance_norm(cr.randn(2, 3, 1, 1))
    with pytest.raises(ValueError):
        TF.instance_norm(torch.randn(2, 3, 1, 1))
    with pytest.raises(ValueError, match=r"local_response_norm.*\(2, 3\)"):
        F.local_response_norm(cr.randn(2, 3), 2)
    with pytest.raises(ValueError):
        TF.local_response_norm(torch.randn(2, 3), 2)
