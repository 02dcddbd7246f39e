"""Packed and padded sequences (``chainrule.nn.utils.rnn``) against ``torch.nn.utils.rnn``: values, batch_sizes,
sorted / unsorted indices and gradients of every function; RNN / LSTM / GRU on a PackedSequence (1-2 layers,
bidirectional, batch_first both ways, enforce_sorted both ways, lengths as a list and as a tensor, with and without
initial states) to 1e-10 in float64 and 1e-5 in float32 for the output data, h_n, c_n and every gradient; the errors
for bad input (PyTorch's exception types, messages naming the function and the values)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.utils.rnn as trnn

import chainrule as cr
import chainrule.nn.utils.rnn as crnn

TOL = {"float64": 1e-10, "float32": 1e-5}
MODES = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]
T, B, N_IN, H = 6, 5, 3, 4
SORTED, UNSORTED = [6, 6, 4, 2, 1], [2, 6, 1, 6, 4]  # the unsorted lengths have a tie: the sort must be stable


def _np(x: Any) -> np.ndarray:
    return x.detach().numpy() if isinstance(x, (cr.Tensor, torch.Tensor)) else np.asarray(x)


def _close(ours: Any, theirs: Any, dtype: str = "float64") -> None:
    a, b = _np(ours), _np(theirs)
    assert a.shape == b.shape, f"shape differs: chainrule {a.shape}, torch {b.shape}"
    assert a.dtype == b.dtype, f"dtype differs: chainrule {a.dtype}, torch {b.dtype}"
    np.testing.assert_allclose(a, b, rtol=TOL[dtype], atol=TOL[dtype])


def _same_index(ours: cr.Tensor | None, theirs: torch.Tensor | None) -> None:
    assert (ours is None) == (theirs is None)
    if ours is not None and theirs is not None:
        assert ours.dtype == cr.int64
        np.testing.assert_array_equal(_np(ours), _np(theirs))


def _same_packed(ours: crnn.PackedSequence, theirs: trnn.PackedSequence, dtype: str = "float64") -> None:
    assert isinstance(ours, crnn.PackedSequence) and isinstance(ours, tuple)
    _close(ours.data, theirs.data, dtype)
    _same_index(ours.batch_sizes, theirs.batch_sizes)
    _same_index(ours.sorted_indices, theirs.sorted_indices)
    _same_index(ours.unsorted_indices, theirs.unsorted_indices)


def _pair(rng: np.random.Generator, shape: tuple[int, ...], dtype: str = "float64") -> tuple[cr.Tensor, torch.Tensor]:
    a = rng.standard_normal(shape).astype(dtype)
    return cr.tensor(a.copy(), requires_grad=True), torch.tensor(a.copy(), requires_grad=True)


def _backward(ours: list[cr.Tensor], theirs: list[torch.Tensor], rng: np.random.Generator, dtype: str) -> None:
    """Backpropagate the same random weighting of every output through both frameworks."""
    loss: Any = 0
    tloss: Any = 0
    for a, b in zip(ours, theirs):
        g = rng.standard_normal(tuple(b.shape)).astype(dtype)
        loss = loss + (a * cr.tensor(g)).sum()
        tloss = tloss + (b * torch.from_numpy(g)).sum()
    loss.backward()
    tloss.backward()


def _same_grads(leaves: list[tuple[Any, Any]], dtype: str = "float64") -> None:
    for a, b in leaves:
        assert a.grad is not None and b.grad is not None
        _close(a.grad, b.grad, dtype)


def _lengths(lengths: list[int], as_tensor: bool) -> tuple[Any, Any]:
    return (cr.tensor(lengths), torch.tensor(lengths)) if as_tensor else (list(lengths), list(lengths))


# ---------------------------------------------------------------------------------------------- the functions


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("lengths_as_tensor", [False, True], ids=["list", "tensor"])
@pytest.mark.parametrize("enforce_sorted", [True, False], ids=["sorted", "unsorted"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["time_first", "batch_first"])
def test_pack_and_pad_packed_match_torch(batch_first: bool, enforce_sorted: bool, lengths_as_tensor: bool,
                                         dtype: str) -> None:
    rng = np.random.default_rng(1)
    shape = (B, T, 2, 3) if batch_first else (T, B, 2, 3)  # trailing dimensions ride along
    x, tx = _pair(rng, shape, dtype)
    lens, tlens = _lengths(SORTED if enforce_sorted else UNSORTED, lengths_as_tensor)
    p = crnn.pack_padded_sequence(x, lens, batch_first=batch_first, enforce_sorted=enforce_sorted)
    tp = trnn.pack_padded_sequence(tx, tlens, batch_first=batch_first, enforce_sorted=enforce_sorted)
    _same_packed(p, tp, dtype)
    for total_length, value in [(None, 0.0), (T + 2, -1.5)]:
        y, ylen = crnn.pad_packed_sequence(p, batch_first, value, total_length)
        ty, tylen = trnn.pad_packed_sequence(tp, batch_first, value, total_length)
        _close(y, ty, dtype)
        _same_index(ylen, tylen)
    # the gradient flows packed data -> padded input (zero at the padding), and padded output -> packed data
    _backward([p.data, y], [tp.data, ty], rng, dtype)
    _same_grads([(x, tx)], dtype)


def test_pad_packed_sequence_gradient_reaches_packed_data() -> None:
    rng = np.random.default_rng(2)
    data, tdata = _pair(rng, (int(sum(UNSORTED)), 3))
    order = [1, 3, 4, 0, 2]  # the stable descending sort of UNSORTED
    bs = [5, 4, 3, 3, 2, 2]
    p = crnn.PackedSequence(data, cr.tensor(bs), cr.tensor(order))
    tp = trnn.PackedSequence(tdata, torch.tensor(bs), torch.tensor(order))
    _same_packed(p, tp)  # unsorted_indices computed from sorted_indices
    (y, ylen), (ty, tylen) = crnn.pad_packed_sequence(p, True), trnn.pad_packed_sequence(tp, True)
    _close(y, ty)
    _same_index(ylen, tylen)
    np.testing.assert_array_equal(_np(ylen), UNSORTED)
    _backward([y], [ty], rng, "float64")
    _same_grads([(data, tdata)])


def test_packed_sequence_is_a_named_tuple() -> None:
    p = crnn.pack_sequence([cr.ones(3, 2), cr.ones(1, 2)])
    assert p._fields == trnn.PackedSequence._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    data, batch_sizes, sorted_indices, unsorted_indices = p
    assert data is p.data and sorted_indices is None and unsorted_indices is None and not p.is_cuda
    np.testing.assert_array_equal(_np(batch_sizes), [2, 1, 1])
    legacy = crnn.PackedSequence((p.data, [2, 1, 1]))  # PyTorch's legacy (data, batch_sizes) form
    assert legacy.batch_sizes.dtype == cr.int64
    perm = cr.tensor([2, 0, 3, 1])
    _same_index(crnn.invert_permutation(perm), trnn.invert_permutation(torch.tensor([2, 0, 3, 1])))
    assert crnn.invert_permutation(None) is None


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["time_first", "batch_first"])
def test_pad_sequence_matches_torch(batch_first: bool, padding_side: str, dtype: str) -> None:
    rng = np.random.default_rng(3)
    pairs = [_pair(rng, (n, 2, 3), dtype) for n in UNSORTED]
    y = crnn.pad_sequence([a for a, _ in pairs], batch_first, 0.5, padding_side)
    ty = trnn.pad_sequence([b for _, b in pairs], batch_first, 0.5, padding_side)
    _close(y, ty, dtype)
    _backward([y], [ty], rng, dtype)
    _same_grads(pairs, dtype)


def test_pad_sequence_integers_and_tensor_input() -> None:
    seqs = [[1, 2, 3], [4], [5, 6]]
    y = crnn.pad_sequence([cr.tensor(s) for s in seqs], True, -1.0)
    ty = trnn.pad_sequence([torch.tensor(s) for s in seqs], True, -1.0)
    np.testing.assert_array_equal(_np(y), _np(ty))
    assert y.dtype == cr.int64
    x = np.arange(6.0).reshape(2, 3)  # a tensor counts as the list of its rows
    _close(crnn.pad_sequence(cr.tensor(x)), trnn.pad_sequence(torch.tensor(x)))


@pytest.mark.parametrize("enforce_sorted", [True, False], ids=["sorted", "unsorted"])
def test_pack_and_unpack_sequence_match_torch(enforce_sorted: bool) -> None:
    rng = np.random.default_rng(4)
    pairs = [_pair(rng, (n, 3)) for n in (SORTED if enforce_sorted else UNSORTED)]
    p = crnn.pack_sequence([a for a, _ in pairs], enforce_sorted)
    tp = trnn.pack_sequence([b for _, b in pairs], enforce_sorted)
    _same_packed(p, tp)
    seqs, tseqs = crnn.unpack_sequence(p), trnn.unpack_sequence(tp)
    assert len(seqs) == len(tseqs) == len(pairs)
    for s, ts, (a, _) in zip(seqs, tseqs, pairs):
        _close(s, ts)
        _close(s, a)  # the round trip gives the sequences back, in their order
    _backward([p.data, *seqs], [tp.data, *tseqs], rng, "float64")
    _same_grads(pairs)


@pytest.mark.parametrize("lengths_as_tensor", [False, True], ids=["list", "tensor"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["time_first", "batch_first"])
def test_unpad_sequence_matches_torch(batch_first: bool, lengths_as_tensor: bool) -> None:
    rng = np.random.default_rng(5)
    x, tx = _pair(rng, (B, T, 2) if batch_first else (T, B, 2))
    lens, _ = _lengths(UNSORTED, lengths_as_tensor)
    seqs = crnn.unpad_sequence(x, lens, batch_first)
    tseqs = trnn.unpad_sequence(tx.clone(), torch.tensor(UNSORTED), batch_first)  # torch transposes in place
    assert [tuple(s.shape) for s in seqs] == [tuple(s.shape) for s in tseqs] == [(n, 2) for n in UNSORTED]
    for s, ts in zip(seqs, tseqs):
        _close(s, ts)
    _backward(seqs, tseqs, rng, "float64")
    _same_grads([(x, tx)])


# ---------------------------------------------------------------------------------------- the recurrent layers


def _layers(mode: str, num_layers: int, bidirectional: bool, batch_first: bool, dtype: str) -> tuple[Any, Any]:
    """The same layer in chainrule and torch, ours loaded from torch's state_dict."""
    name, kw = ("RNN", {"nonlinearity": mode[4:].lower()}) if mode.startswith("RNN") else (mode, {})
    args = (N_IN, H, num_layers)
    kw.update(batch_first=batch_first, bidirectional=bidirectional)
    theirs = getattr(torch.nn, name)(*args, **kw, dtype=getattr(torch, dtype))
    ours = getattr(cr.nn, name)(*args, **kw, dtype=getattr(cr, dtype))
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _flat(out: Any) -> list[Any]:
    return [o for x in out for o in (_flat(x) if isinstance(x, tuple) else [x])]


# every mode x layers x direction x layout x sorting in float64 (lengths as a list or a tensor and initial states
# or none alternate across the cases); in float32 the 2-layer bidirectional layers
LAYER_CASES = [(m, n, bi, bf, srt, (n + bi + bf + srt) % 2 == 0, (n + bi) % 2 == 1, "float64")
               for m in MODES for n in (1, 2) for bi in (False, True) for bf in (False, True) for srt in (True, False)]
LAYER_CASES += [(m, 2, True, bf, srt, bf, not srt, "float32") for m in MODES for bf in (False, True)
                for srt in (True, False)]


@pytest.mark.parametrize("mode, num_layers, bidirectional, batch_first, enforce_sorted, lengths_as_tensor, with_hx, "
                         "dtype", LAYER_CASES, ids=lambda v: str(v))
def test_layer_on_packed_input_matches_torch(mode: str, num_layers: int, bidirectional: bool, batch_first: bool,
                                             enforce_sorted: bool, lengths_as_tensor: bool, with_hx: bool,
                                             dtype: str) -> None:
    rng = np.random.default_rng(hash((mode, num_layers, bidirectional, batch_first, enforce_sorted)) % 2**32)
    ours, theirs = _layers(mode, num_layers, bidirectional, batch_first, dtype)
    x, tx = _pair(rng, (B, T, N_IN) if batch_first else (T, B, N_IN), dtype)
    lens, tlens = _lengths(SORTED if enforce_sorted else UNSORTED, lengths_as_tensor)
    p = crnn.pack_padded_sequence(x, lens, batch_first, enforce_sorted)
    tp = trnn.pack_padded_sequence(tx, tlens, batch_first, enforce_sorted)
    leaves = [(x, tx)] + list(zip(ours.parameters(), theirs.parameters()))
    hx: Any = None
    thx: Any = None
    if with_hx:  # given in the original batch order
        states = [_pair(rng, ((2 if bidirectional else 1) * num_layers, B, H), dtype)
                  for _ in range(2 if mode == "LSTM" else 1)]
        leaves += states
        hx, thx = (tuple(s[0] for s in states), tuple(s[1] for s in states)) if mode == "LSTM" else states[0]
    (out, state), (tout, tstate) = ours(p, hx), theirs(tp, thx)
    _same_packed(out, tout, dtype)
    states_out, tstates_out = _flat((state,)), _flat((tstate,))
    assert len(states_out) == (2 if mode == "LSTM" else 1)
    for a, b in zip(states_out, tstates_out):
        _close(a, b, dtype)
    _backward([out.data, *states_out], [tout.data, *tstates_out], rng, dtype)
    _same_grads(leaves, dtype)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_packed_layer_equals_each_sequence_alone(mode: str) -> None:
    """Each sequence of a packed batch gets the outputs and final state it gets when run alone, unpadded."""
    rng = np.random.default_rng(6)
    ours, _ = _layers(mode, 2, True, True, "float64")
    seqs = [cr.tensor(rng.standard_normal((n, N_IN))) for n in UNSORTED]
    out, state = ours(crnn.pack_sequence(seqs, enforce_sorted=False))
    h_n = state[0] if mode == "LSTM" else state
    for i, (s, o) in enumerate(zip(seqs, crnn.unpack_sequence(out))):
        alone, alone_state = ours(s.unsqueeze(0))
        _close(o, alone[0])
        _close(h_n[:, i], (alone_state[0] if mode == "LSTM" else alone_state)[:, 0])


def test_packed_dropout_between_layers() -> None:
    rng = np.random.default_rng(7)
    lstm = cr.nn.LSTM(N_IN, H, 2, dropout=0.5)
    x = cr.tensor(rng.standard_normal((T, B, N_IN)), dtype=cr.float32)
    p = crnn.pack_padded_sequence(x, UNSORTED, enforce_sorted=False)
    y_eval = _np(lstm.eval()(p)[0].data)
    cr.manual_seed(0)
    y_train = _np(lstm.train()(p)[0].data)
    assert y_train.shape == y_eval.shape and not np.allclose(y_train, y_eval)


# ------------------------------------------------------------------------------------------------ bad input


def _raises_like_torch(ours: Any, theirs: Any, *words: str) -> None:
    """Both raise the same exception type; ours names the function and the values in ``words``."""
    with pytest.raises(Exception) as t_err:
        theirs()
    with pytest.raises(t_err.type) as err:
        ours()
    for w in words:
        assert w in str(err.value), f"{w!r} not in {str(err.value)!r}"


X = np.zeros((4, 3, 2))


@pytest.mark.parametrize("lengths, enforce_sorted, words", [
    ([2, 3, 1], True, ["pack_padded_sequence", "[2, 3, 1]", "enforce_sorted"]),    # unsorted, enforce_sorted
    ([3, 2, 0], True, ["pack_padded_sequence", "[3, 2, 0]", "greater than 0"]),    # a zero length
    ([0, 3, 2], False, ["pack_padded_sequence", "[0, 3, 2]", "greater than 0"]),
    ([3, 2], True, ["pack_padded_sequence", "got 2", "batch_size=3"]),           # mismatched batch
    ([3, 2, 1, 1], False, ["pack_padded_sequence", "got 4", "batch_size=3"]),
], ids=["unsorted", "zero", "zero-unsorted", "short-batch", "long-batch"])
def test_pack_padded_sequence_errors(lengths: list[int], enforce_sorted: bool, words: list[str]) -> None:
    _raises_like_torch(lambda: crnn.pack_padded_sequence(cr.tensor(X), lengths, enforce_sorted=enforce_sorted),
                       lambda: trnn.pack_padded_sequence(torch.tensor(X), lengths, enforce_sorted=enforce_sorted),
                       *words)


def test_lengths_longer_than_the_input_raise() -> None:
    # NOTE: torch 2.13 does not check this when the batch is time-first (it reads past the input); its type for
    # the other checks of pack_padded_sequence is RuntimeError, ours too
    with pytest.raises(RuntimeError, match=r"pack_padded_sequence: lengths=\[5, 2, 1\] exceed the 4 time steps"):
        crnn.pack_padded_sequence(cr.tensor(X), [5, 2, 1])
    with pytest.raises(RuntimeError, match=r"pack_padded_sequence: lengths=\[5, 4, 3, 1\] exceed the 3 time steps"):
        crnn.pack_padded_sequence(cr.tensor(X), [5, 4, 3, 1], batch_first=True)  # batch 4 x 3 steps


def test_other_errors_match_torch() -> None:
    p, tp = crnn.pack_padded_sequence(cr.tensor(X), [3, 2, 1]), trnn.pack_padded_sequence(torch.tensor(X), [3, 2, 1])
    _raises_like_torch(lambda: crnn.pad_packed_sequence(p, total_length=2),
                       lambda: trnn.pad_packed_sequence(tp, total_length=2), "pad_packed_sequence", "total_length=2")
    _raises_like_torch(lambda: crnn.pack_padded_sequence(cr.zeros(4, 0, 2), []),
                       lambda: trnn.pack_padded_sequence(torch.zeros(4, 0, 2), []), "Cannot pack empty tensors")
    _raises_like_torch(lambda: crnn.pack_padded_sequence(cr.tensor(X), cr.tensor([[3, 2, 1]])),
                       lambda: trnn.pack_padded_sequence(torch.tensor(X), torch.tensor([[3, 2, 1]])), "1D")
    _raises_like_torch(lambda: crnn.pad_sequence([]), lambda: trnn.pad_sequence([]), "pad_sequence", "empty")
    _raises_like_torch(lambda: crnn.pack_sequence([]), lambda: trnn.pack_sequence([]), "empty")
    _raises_like_torch(lambda: crnn.pad_sequence([cr.ones(3, 2), cr.ones(2, 3)]),
                       lambda: trnn.pad_sequence([torch.ones(3, 2), torch.ones(2, 3)]), "(3, 2)", "(2, 3)")
    _raises_like_torch(lambda: crnn.pad_sequence([cr.ones(3)], padding_side="middle"),
                       lambda: trnn.pad_sequence([torch.ones(3)], padding_side="middle"), "middle")
    _raises_like_torch(lambda: crnn.pack_sequence([cr.ones(1), cr.ones(3)]),
                       lambda: trnn.pack_sequence([torch.ones(1), torch.ones(3)]), "[1, 3]")
    with pytest.raises(RuntimeError, match=r"unpad_sequence: expected 3 lengths in \[0, 4\].*got \[5, 1, 1\]"):
        crnn.unpad_sequence(cr.tensor(X), [5, 1, 1])


def test_packed_layer_errors_match_torch() -> None:
    p, tp = crnn.pack_padded_sequence(cr.tensor(X), [3, 2, 1]), trnn.pack_padded_sequence(torch.tensor(X), [3, 2, 1])
    ours, theirs = _layers("GRU", 1, False, False, "float64")  # input_size 3, the data has 2 features
    _raises_like_torch(lambda: ours(p), lambda: theirs(tp), "GRU", "Expected 3, got 2")
    lstm, tlstm = cr.nn.LSTM(2, H, dtype=cr.float64), torch.nn.LSTM(2, H, dtype=torch.float64)
    bad = cr.zeros(1, 2, H, dtype=cr.float64), cr.zeros(1, 2, H, dtype=cr.float64)  # batch 2, the data has 3
    tbad = torch.zeros(1, 2, H, dtype=torch.float64), torch.zeros(1, 2, H, dtype=torch.float64)
    _raises_like_torch(lambda: lstm(p, bad), lambda: tlstm(tp, tbad), "LSTM", "(1, 3, 4)", "[1, 2, 4]")
