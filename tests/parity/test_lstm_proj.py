"""nn.LSTM with proj_size against PyTorch: output, h_n (P wide), c_n (H wide) and the gradients of the input, of
h_0 / c_0 and of every parameter (weight_hr included, loaded from torch's state_dict) over 1-2 layers,
bidirectional, both layouts, batched and unbatched input, with and without initial states and bias, float64 and
float32; packed sequences (sorted and unsorted); dropout between layers; state_dict keys and shapes, all_weights,
the initialisation range; gradcheck in float64; the errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.utils.rnn as trnn

import chainrule as cr
import chainrule.nn.utils.rnn as crnn
from tests.helpers import assert_close
from tests.parity.test_recurrent import _pair

T, B, N_IN, H, P = 5, 3, 4, 6, 3
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")


def _lstms(dtype: str, seed: int = 0, **kw: Any) -> tuple[Any, Any]:
    torch.manual_seed(seed)
    theirs = torch.nn.LSTM(N_IN, H, proj_size=P, dtype=getattr(torch, dtype), **kw)
    ours = cr.nn.LSTM(N_IN, H, proj_size=P, dtype=getattr(cr, dtype), **kw)
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _compare(ours: Any, theirs: Any, out: Any, tout: Any, leaves: list[tuple[Any, Any]],
             rng: np.random.Generator) -> None:
    """Compare (output, (h_n, c_n)), backpropagate one random weighting of all three, compare every gradient."""
    (y, (h, c)), (ty, (th, tc)) = out, tout
    if isinstance(y, crnn.PackedSequence):
        y, ty = y.data, ty.data
    loss: Any = 0
    tloss: Any = 0
    for a, b in ((y, ty), (h, th), (c, tc)):
        assert_close(a, b)
        g = rng.standard_normal(tuple(b.shape)).astype(b.detach().numpy().dtype)
        loss, tloss = loss + (a * cr.tensor(g)).sum(), tloss + (b * torch.from_numpy(g)).sum()
    loss.backward()
    tloss.backward()
    for a, b in leaves:
        assert_close(a.grad, b.grad, "grad")
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    for (n, p), tp in zip(ours.named_parameters(), theirs.parameters()):
        assert p.grad is not None and p.grad.dtype == p.dtype, n
        assert_close(p.grad, tp.grad, "grad")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("layout", ["seq_first", "batch_first", "unbatched"])
@pytest.mark.parametrize("with_hx", [False, True])
def test_lstm_proj_matches_torch(dtype: str, num_layers: int, bidirectional: bool, layout: str,
                                 with_hx: bool) -> None:
    rng = np.random.default_rng(0)
    ours, theirs = _lstms(dtype, num_layers=num_layers, bidirectional=bidirectional,
                          batch_first=layout == "batch_first")
    shape = {"seq_first": (T, B, N_IN), "batch_first": (B, T, N_IN), "unbatched": (T, N_IN)}[layout]
    x, tx = _pair(rng, shape, dtype)
    leaves = [(x, tx)]
    args: tuple[Any, ...] = ()
    targs: tuple[Any, ...] = ()
    if with_hx:
        dl = num_layers * (2 if bidirectional else 1)
        batch = () if layout == "unbatched" else (B,)
        (h0, th0), (c0, tc0) = _pair(rng, (dl, *batch, P), dtype), _pair(rng, (dl, *batch, H), dtype)
        args, targs = ((h0, c0),), ((th0, tc0),)
        leaves += [(h0, th0), (c0, tc0)]
    out, tout = ours(x, *args), theirs(tx, *targs)
    d = 2 if bidirectional else 1
    assert tuple(out[0].shape)[-1] == d * P and tuple(out[1][0].shape)[-1] == P and tuple(out[1][1].shape)[-1] == H
    _compare(ours, theirs, out, tout, leaves, rng)


@pytest.mark.parametrize("bias", [False, True])
def test_lstm_proj_without_bias_matches_torch(bias: bool) -> None:
    rng = np.random.default_rng(1)
    ours, theirs = _lstms("float64", num_layers=2, bias=bias)
    x, tx = _pair(rng, (T, B, N_IN), "float64")
    _compare(ours, theirs, ours(x), theirs(tx), [(x, tx)], rng)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (2, True)])
@pytest.mark.parametrize("lengths,enforce_sorted", [([5, 4, 2], True), ([2, 5, 4], False)])
@pytest.mark.parametrize("with_hx", [False, True])
def test_lstm_proj_packed_matches_torch(dtype: str, num_layers: int, bidirectional: bool, lengths: list[int],
                                        enforce_sorted: bool, with_hx: bool) -> None:
    rng = np.random.default_rng(2)
    ours, theirs = _lstms(dtype, num_layers=num_layers, bidirectional=bidirectional, batch_first=True)
    x, tx = _pair(rng, (B, T, N_IN), dtype)
    px = crnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=enforce_sorted)
    tpx = trnn.pack_padded_sequence(tx, lengths, batch_first=True, enforce_sorted=enforce_sorted)
    leaves = [(x, tx)]
    args: tuple[Any, ...] = ()
    targs: tuple[Any, ...] = ()
    if with_hx:
        dl = num_layers * (2 if bidirectional else 1)
        (h0, th0), (c0, tc0) = _pair(rng, (dl, B, P), dtype), _pair(rng, (dl, B, H), dtype)
        args, targs = ((h0, c0),), ((th0, tc0),)
        leaves += [(h0, th0), (c0, tc0)]
    out, tout = ours(px, *args), theirs(tpx, *targs)
    assert isinstance(out[0], crnn.PackedSequence)
    _compare(ours, theirs, out, tout, leaves, rng)


def test_lstm_proj_dropout_between_layers() -> None:
    rng = np.random.default_rng(3)
    ours, _ = _lstms("float64", num_layers=2, dropout=0.5)
    x = cr.tensor(rng.standard_normal((T, B, N_IN)))
    ours.train()
    cr.manual_seed(0)
    a = ours(x)[0].detach().numpy()
    ours.eval()
    b, c = ours(x)[0].detach().numpy(), ours(x)[0].detach().numpy()
    np.testing.assert_array_equal(b, c)  # no dropout in eval
    assert not np.allclose(a, b)


def test_lstm_proj_state_dict_all_weights_and_init() -> None:
    for kw in [{}, {"num_layers": 2, "bidirectional": True}, {"bias": False}]:
        ours, theirs = cr.nn.LSTM(N_IN, H, proj_size=P, **kw), torch.nn.LSTM(N_IN, H, proj_size=P, **kw)
        assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
               [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
        assert [[tuple(p.shape) for p in g] for g in ours.all_weights] == \
               [[tuple(p.shape) for p in g] for g in theirs.all_weights]
    assert "proj_size=3" in repr(ours) and repr(ours) == repr(theirs)
    bound = 1 / np.sqrt(H)  # every weight, weight_hr included, from U(-1/sqrt(H), 1/sqrt(H)) as PyTorch
    for p in cr.nn.LSTM(N_IN, H, proj_size=P, num_layers=2).parameters():
        assert np.abs(p.detach().numpy()).max() <= bound


def test_lstm_proj_gradcheck_float64() -> None:
    cr.manual_seed(0)
    m = cr.nn.LSTM(2, 3, proj_size=2, num_layers=2, bidirectional=True, dtype=cr.float64)
    x = cr.randn(3, 2, 2, dtype=cr.float64, requires_grad=True)
    h0 = cr.randn(4, 2, 2, dtype=cr.float64, requires_grad=True)
    c0 = cr.randn(4, 2, 3, dtype=cr.float64, requires_grad=True)

    def fn(x: cr.Tensor, h0: cr.Tensor, c0: cr.Tensor, *params: cr.Tensor) -> Any:
        y, (h, c) = m(x, (h0, c0))
        return y.sum() + (h * h).sum() + (c * c).sum()

    assert cr.autograd.gradcheck(fn, (x, h0, c0, *m.parameters()))
    packed = crnn.pack_padded_sequence(x, [3, 1], enforce_sorted=True)

    def fn_packed(data: cr.Tensor, *params: cr.Tensor) -> Any:
        y, (h, c) = m(crnn.PackedSequence(data, packed.batch_sizes), (h0, c0))
        return (y.data * y.data).sum() + h.sum() + c.sum()

    data = packed.data.detach().requires_grad_(True)
    assert cr.autograd.gradcheck(fn_packed, (data, *m.parameters()))


def test_lstm_proj_errors() -> None:
    for p in (H, H + 1):
        with pytest.raises(ValueError):
            torch.nn.LSTM(N_IN, H, proj_size=p)
        with pytest.raises(ValueError, match=rf"LSTM: proj_size has to be smaller than hidden_size, got proj_size={p}"):
            cr.nn.LSTM(N_IN, H, proj_size=p)
    with pytest.raises(ValueError, match="only supported for LSTM"):
        cr.nn.RNNBase("GRU", N_IN, H, proj_size=2)
    m, tm = cr.nn.LSTM(N_IN, H, proj_size=P), torch.nn.LSTM(N_IN, H, proj_size=P)
    x, tx = cr.randn(T, B, N_IN), torch.randn(T, B, N_IN)
    for h_size, c_size in [(H, H), (P, P)]:  # h_0 must be P wide, c_0 H wide
        with pytest.raises(RuntimeError):
            tm(tx, (torch.zeros(1, B, h_size), torch.zeros(1, B, c_size)))
        with pytest.raises(RuntimeError, match=r"Expected hidden\[[01]\] size \(1, 3, [36]\)"):
            m(x, (cr.zeros(1, B, h_size), cr.zeros(1, B, c_size)))
