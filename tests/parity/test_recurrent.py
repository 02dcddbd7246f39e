"""RNN, LSTM, GRU and their cells against PyTorch: PyTorch's weights loaded through ``state_dict`` (identical keys),
forward outputs, h_n / c_n and every gradient (input, initial states, each parameter) in float64 and float32, for 1
and 2 layers, bidirectional, batch-first / time-first / unbatched, with and without initial states and bias, tanh and
ReLU; dropout between layers; one graph node per layer and direction; vanishing and exploding gradients through time;
truncated BPTT with ``detach_state``; the errors for bad input (same exception types as PyTorch)."""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn.utils.rnn import detach_state
from tests.helpers import assert_close

MODES = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]
DTYPES = ["float64", "float32"]
T, B, N_IN, H = 5, 3, 4, 6


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread() -> Any:
    """NOTE: torch's recurrent kernels on these tiny sizes spin their thread pool; on a loaded 2-core machine one call
    then takes up to a second. One thread for this module, restored afterwards."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _layers(mode: str, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """The same layer in chainrule and torch, ours loaded from torch's state_dict (whose keys must be ours)."""
    if mode.startswith("RNN"):
        kwargs["nonlinearity"] = mode[4:].lower()
        name = "RNN"
    else:
        name = mode
    dt = kwargs.pop("dtype", "float64")
    theirs = getattr(torch.nn, name)(*args, **kwargs, dtype=getattr(torch, dt))
    ours = getattr(cr.nn, name)(*args, **kwargs, dtype=getattr(cr, dt))
    sd = theirs.state_dict()
    assert list(ours.state_dict().keys()) == list(sd.keys())
    assert [tuple(v.shape) for v in ours.state_dict().values()] == [tuple(v.shape) for v in sd.values()]
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in sd.items()})
    return ours, theirs


def _pair(rng: np.random.Generator, shape: tuple[int, ...], dtype: str) -> tuple[cr.Tensor, torch.Tensor]:
    a = rng.standard_normal(shape).astype(dtype)
    return cr.tensor(a.copy(), requires_grad=True), torch.tensor(a.copy(), requires_grad=True)


def _flat(out: Any) -> list[Any]:
    return [o for x in out for o in (_flat(x) if isinstance(x, tuple) else [x])]


def _compare(ours_out: list[Any], theirs_out: list[Any], leaves: list[tuple[Any, Any]], rng: np.random.Generator,
             dtype: str) -> None:
    """Compare the outputs, backpropagate the same random weights of every output, compare all gradients."""
    for a, b in zip(ours_out, theirs_out):
        assert_close(a, b)
    loss, tloss = 0, 0
    for a, b in zip(ours_out, theirs_out):
        g = rng.standard_normal(tuple(b.shape)).astype(dtype)
        loss = loss + (a * cr.tensor(g)).sum()
        tloss = tloss + (b * torch.from_numpy(g)).sum()
    loss.backward()  # type: ignore[union-attr]
    tloss.backward()  # type: ignore[union-attr]
    for a, b in leaves:
        assert a.grad is not None and b.grad is not None
        assert_close(a.grad, b.grad, "grad")


# every mode x layers x direction x layout x (initial states, bias) in float64; in float32 the 2-layer layers with
# initial states and bias (float32 in -> float32 out and float32 gradients, to 1e-5 / 1e-4)
STATES = [(False, True), (True, True), (True, False)]  # (with_hx, bias)
LAYOUTS = ["time_first", "batch_first", "unbatched"]
LAYER_CASES = [(m, n, bi, lay, hx, b, "float64") for m in MODES for n in (1, 2) for bi in (False, True)
               for lay in LAYOUTS for hx, b in STATES]
LAYER_CASES += [(m, 2, bi, lay, True, True, "float32") for m in MODES for bi in (False, True) for lay in LAYOUTS]


@pytest.mark.parametrize("mode, num_layers, bidirectional, layout, with_hx, bias, dtype", LAYER_CASES,
                         ids=lambda v: str(v))
def test_layer_matches_torch(mode: str, num_layers: int, bidirectional: bool, layout: str, with_hx: bool,
                             bias: bool, dtype: str) -> None:
    rng = np.random.default_rng(hash((mode, num_layers, bidirectional, layout)) % 2**32)
    bf = layout == "batch_first"
    ours, theirs = _layers(mode, N_IN, H, num_layers, bias=bias, batch_first=bf, bidirectional=bidirectional,
                           dtype=dtype)
    shape = (T, N_IN) if layout == "unbatched" else (B, T, N_IN) if bf else (T, B, N_IN)
    x, tx = _pair(rng, shape, dtype)
    leaves = [(x, tx)] + list(zip(ours.parameters(), theirs.parameters()))
    hx = thx = None
    if with_hx:
        hshape = ((2 if bidirectional else 1) * num_layers,) + (() if layout == "unbatched" else (B,)) + (H,)
        states = [_pair(rng, hshape, dtype) for _ in range(2 if mode == "LSTM" else 1)]
        leaves += states
        hx, thx = (tuple(s[0] for s in states), tuple(s[1] for s in states)) if mode == "LSTM" else states[0]
    _compare(_flat(ours(x, hx)), _flat(theirs(tx, thx)), leaves, rng, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("with_hx, bias", STATES, ids=["zeros-bias", "hx-bias", "hx-nobias"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("mode", MODES)
def test_cell_matches_torch(mode: str, batched: bool, with_hx: bool, bias: bool, dtype: str) -> None:
    rng = np.random.default_rng(7)
    name, kw = (("RNNCell", {"nonlinearity": mode[4:].lower()}) if mode.startswith("RNN") else (mode + "Cell", {}))
    theirs = getattr(torch.nn, name)(N_IN, H, bias=bias, dtype=getattr(torch, dtype), **kw)
    ours = getattr(cr.nn, name)(N_IN, H, bias=bias, dtype=getattr(cr, dtype), **kw)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    x, tx = _pair(rng, (B, N_IN) if batched else (N_IN,), dtype)
    leaves = [(x, tx)] + list(zip(ours.parameters(), theirs.parameters()))
    hx = thx = None
    if with_hx:
        states = [_pair(rng, (B, H) if batched else (H,), dtype) for _ in range(2 if mode == "LSTM" else 1)]
        leaves += states
        hx, thx = (tuple(s[0] for s in states), tuple(s[1] for s in states)) if mode == "LSTM" else states[0]
    out, tout = ours(x, hx), theirs(tx, thx)
    _compare(_flat(out if isinstance(out, tuple) else (out,)), _flat(tout if isinstance(tout, tuple) else (tout,)),
             leaves, rng, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_cell_unrolled_bptt_matches_torch(mode: str, dtype: str) -> None:
    """Backpropagation through time over a graph unrolled by hand from cells is exact."""
    rng = np.random.default_rng(3)
    theirs = getattr(torch.nn, mode + "Cell")(N_IN, H, dtype=getattr(torch, dtype))
    ours = getattr(cr.nn, mode + "Cell")(N_IN, H, dtype=getattr(cr, dtype))
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    x, tx = _pair(rng, (T, B, N_IN), dtype)
    state: Any = None
    tstate: Any = None
    outs, touts = [], []
    for t in range(T):
        state, tstate = ours(x[t], state), theirs(tx[t], tstate)
        outs.append(state[0] if mode == "LSTM" else state)
        touts.append(tstate[0] if mode == "LSTM" else tstate)
    leaves = [(x, tx)] + list(zip(ours.parameters(), theirs.parameters()))
    _compare([cr.stack(outs)], [torch.stack(touts)], leaves, rng, dtype)


@pytest.mark.parametrize("mode", MODES)
def test_dropout_between_layers(mode: str) -> None:
    rng = np.random.default_rng(5)
    ours, theirs = _layers(mode, N_IN, H, 3, dropout=0.4)
    x, tx = _pair(rng, (T, B, N_IN), "float64")
    ours.eval(), theirs.eval()
    _compare(_flat(ours(x)), _flat(theirs(tx)), [(x, tx)] + list(zip(ours.parameters(), theirs.parameters())), rng,
             "float64")
    ours.train()
    cr.manual_seed(0)
    y_train = ours(x)[0].detach().numpy()
    y_eval = ours.eval()(x)[0].detach().numpy()
    assert not np.allclose(y_train, y_eval)  # in training, dropout acts between the layers
    p0, tp0 = _layers(mode, N_IN, H, 2, dropout=0.0)
    p0.train(), tp0.train()
    x, tx = _pair(rng, (T, B, N_IN), "float64")
    _compare(_flat(p0(x)), _flat(tp0(tx)), [(x, tx)] + list(zip(p0.parameters(), tp0.parameters())), rng, "float64")
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        cr.nn.GRU(N_IN, H, 1, dropout=0.5)


def _count_nodes(t: cr.Tensor) -> int:
    seen, todo = set(), [t.grad_fn]
    while todo:
        node = todo.pop()
        if node is None or id(node) in seen or isinstance(node, cr.Tensor):
            continue
        seen.add(id(node))
        todo += [f for f, _ in node.next_functions]
    return len(seen)


def test_one_graph_node_per_layer_direction() -> None:
    """A 28-step LSTM is a handful of graph nodes (the whole sequence is one fused node), not hundreds."""
    lstm = cr.nn.LSTM(28, 16, batch_first=True)
    out, (h, c) = lstm(cr.randn(8, 28, 28))
    assert _count_nodes(out[:, -1]) <= 4
    deep = cr.nn.GRU(28, 16, num_layers=2, bidirectional=True)
    out, h = deep(cr.randn(28, 8, 28))
    assert _count_nodes(out) <= 12


def _grad_norms_through_time(rnn: cr.nn.RNN, x: cr.Tensor) -> np.ndarray:
    out, _ = rnn(x)
    out[-1].sum().backward()  # the loss at the last step
    assert x.grad is not None
    return np.linalg.norm(x.grad.numpy().reshape(x.shape[0], -1), axis=1)


def test_vanishing_gradient_through_time() -> None:
    """tanh RNN, small recurrent weights (spectral norm 0.5): dL_T/dx_t shrinks geometrically as t moves back."""
    rng = np.random.default_rng(0)
    rnn = cr.nn.RNN(8, 8, dtype=cr.float64)
    q, _ = np.linalg.qr(rng.standard_normal((8, 8)))
    with cr.no_grad():
        rnn.weight_hh_l0.copy_(cr.tensor(0.5 * q))
    x = cr.tensor(rng.standard_normal((30, 2, 8)), requires_grad=True)
    norms = _grad_norms_through_time(rnn, x)
    assert norms[-21] / norms[-1] < 1e-3
    assert np.all(np.diff(norms[-21:]) > 0)  # decays monotonically going back in time


def test_exploding_gradient_through_time() -> None:
    """ReLU RNN with W_hh = 1.5 N_IN on positive inputs: dL_T/dx_t grows exactly like 1.5^(T - t)."""
    rnn = cr.nn.RNN(4, 4, nonlinearity="relu", bias=False, dtype=cr.float64)
    with cr.no_grad():
        rnn.weight_hh_l0.copy_(cr.tensor(1.5 * np.eye(4)))
        rnn.weight_ih_l0.copy_(cr.tensor(np.eye(4)))
    x = cr.tensor(np.random.default_rng(1).random((30, 2, 4)) + 0.1, requires_grad=True)
    norms = _grad_norms_through_time(rnn, x)
    assert norms[-21] / norms[-1] > 1e3
    np.testing.assert_allclose(norms[-21] / norms[-1], 1.5 ** 20, rtol=1e-12)


def test_truncated_bptt_with_detach_state_matches_torch() -> None:
    rng = np.random.default_rng(2)
    ours, theirs = _layers("LSTM", N_IN, H, 2, batch_first=True)
    seq, tseq = _pair(rng, (B, 3 * T, N_IN), "float64")
    state: Any = None
    tstate: Any = None
    for s in range(0, 3 * T, T):
        for m in (ours, theirs):
            m.zero_grad()
        out, state = ours(seq[:, s:s + T], state)
        tout, tstate = theirs(tseq[:, s:s + T], tstate)
        (out ** 2).sum().backward()
        (tout ** 2).sum().backward()
        state = detach_state(state)
        tstate = tuple(t.detach() for t in tstate)
        assert isinstance(state, tuple) and not state[0].requires_grad and not state[1].requires_grad
        for p, tp in zip(ours.parameters(), theirs.parameters()):
            assert_close(p.grad, tp.grad, "grad")
    assert_close(seq.grad, tseq.grad, "grad")
    assert detach_state(None) is None
    with pytest.raises(TypeError, match="detach_state"):
        detach_state(3)


def test_init_repr_and_state_dict_keys() -> None:
    for args, kw in [((4, 16), {}), ((4, 16, 2), {"bidirectional": True, "bias": False}),
                     ((4, 16, 3), {"batch_first": True, "dropout": 0.2})]:
        for name in ("RNN", "LSTM", "GRU"):
            ours, theirs = getattr(cr.nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
            assert repr(ours) == repr(theirs)
            assert list(ours.state_dict()) == list(theirs.state_dict())
            flat = np.concatenate([p.detach().numpy().ravel() for p in ours.parameters()])
            assert flat.dtype == np.float32
            assert np.abs(flat).max() <= 0.25 and np.abs(flat).max() > 0.24  # U(-1/sqrt(16), 1/sqrt(16))
            assert abs(flat.mean()) < 0.02 and abs(flat.std() - 0.25 / np.sqrt(3)) < 0.01
    for name, kw in [("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {"bias": False}), ("GRUCell", {})]:
        assert repr(getattr(cr.nn, name)(4, 16, **kw)) == repr(getattr(torch.nn, name)(4, 16, **kw))


def _raises_like_torch(fn: Callable[[Any, Any], Any], match: str) -> None:
    with pytest.raises(Exception) as theirs:
        fn(torch, torch.nn)
    with pytest.raises(type(theirs.value), match=match):
        fn(cr, cr.nn)


BAD_INPUT: list[tuple[Callable[[Any, Any], Any], str]] = [
    (lambda lib, nn: nn.LSTM(4, 3)(lib.randn(2, 3, 4, 5)),
     r"LSTM: Expected input to be 2D or 3D, got 4D.*\(2, 3, 4, 5\)"),
    (lambda lib, nn: nn.GRU(4, 3)(lib.randn(2, 3, 5)),
     r"GRU: input.size\(-1\) must be equal to input_size. Expected 4, got 5"),
    (lambda lib, nn: nn.RNN(4, 3, 2)(lib.randn(2, 3, 4), lib.randn(1, 3, 3)),
     r"RNN: Expected hidden size \(2, 3, 3\), got \[1, 3, 3\]"),
    (lambda lib, nn: nn.LSTM(4, 3)(lib.randn(2, 3, 4), (lib.randn(1, 3, 3), lib.randn(1, 2, 3))),
     r"LSTM: Expected hidden\[1\] size \(1, 3, 3\), got \[1, 2, 3\]"),
    (lambda lib, nn: nn.GRU(4, 3)(lib.randn(2, 4), lib.randn(1, 1, 3)),
     r"GRU: For unbatched 2-D input, hx should also be 2-D but got 3-D"),
    (lambda lib, nn: nn.RNN(4, 3)(lib.randn(2, 3, 4), lib.randn(3, 3)), r"RNN: For batched 3-D input"),
    (lambda lib, nn: nn.LSTM(4, 3)(lib.randn(2, 3, 4, dtype=lib.float64)), r"LSTM input dtype"),
    (lambda lib, nn: nn.GRU(4, 3)(lib.randn(0, 3, 4)), r"GRU: Expected sequence length to be larger than 0"),
    (lambda lib, nn: nn.RNN(4, 3, nonlinearity="sigmoid"), r"Unknown nonlinearity 'sigmoid'"),
    (lambda lib, nn: nn.LSTM(4, 3, dropout=1.5), r"dropout should be a number in range \[0, 1\]"),
    (lambda lib, nn: nn.GRU(4, 0), r"GRU: hidden_size must be greater than zero"),
    (lambda lib, nn: nn.LSTM(4, 3, num_layers=0), r"LSTM: num_layers must be greater than zero"),
    (lambda lib, nn: nn.LSTMCell(4, 3)(lib.randn(2, 3, 4)), r"LSTMCell: Expected input to be 1D or 2D, got 3D"),
    (lambda lib, nn: nn.GRUCell(4, 3)(lib.randn(2, 5)),
     r"GRUCell: input has inconsistent input_size: got 5 expected 4 \(input of shape \(2, 5\)\)"),
    (lambda lib, nn: nn.LSTMCell(4, 3)(lib.randn(2, 4), (lib.randn(3, 3), lib.randn(2, 3))),
     r"LSTMCell: expected hidden state 0 of shape \(2, 3\).*got shape \(3, 3\)"),
    (lambda lib, nn: nn.RNNCell(4, 3)(lib.randn(2, 4), lib.randn(2, 4)), r"RNNCell: .*got shape \(2, 4\)"),
]


@pytest.mark.parametrize("case, match", BAD_INPUT, ids=[m[:30] for _, m in BAD_INPUT])
def test_bad_input_raises_like_torch(case: Callable[[Any, Any], Any], match: str) -> None:
    _raises_like_torch(case, match)


def test_no_dropout_warning_with_more_than_one_layer() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cr.nn.LSTM(4, 3, 2, dropout=0.1)  # no warning with more than one layer
