"""Recurrent sequence models and the synthetic sequence tasks: shapes, parameter counts, outputs and gradients against
the same computation written with PyTorch, truncated BPTT with ``detach_state``, and the generators' statistics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import models
from chainrule.datasets import make_adding_problem, make_sequence_task
from tests.helpers import assert_close

GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}
TORCH_RNN = {"RNN": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}


def _count(m: cr.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def _rnn_params(mode: str, input_size: int, hidden: int, layers: int, directions: int) -> int:
    """``gates * H * (in + H) + 2 * gates * H`` per layer and direction; layers above read ``D * H`` features."""
    g = GATES[mode]
    total = 0
    for layer in range(layers):
        width = input_size if layer == 0 else directions * hidden
        total += directions * (g * hidden * (width + hidden) + 2 * g * hidden)
    return total


def _load(ours: cr.nn.Module, ref: torch.nn.Module) -> None:
    """Copy torch's weights (the same names) into our module."""
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in ref.state_dict().items()})


# ---------------------------------------------------------------------------------------------------- classifiers


@pytest.mark.parametrize("mode,layers,bidirectional", [("RNN", 1, False), ("LSTM", 2, True), ("GRU", 2, False),
                                                        ("GRU", 1, True)])
def test_classifier_parameter_count_matches_the_formula(mode: str, layers: int, bidirectional: bool) -> None:
    net = models.create_model(f"{mode.lower()}_classifier", input_size=5, num_classes=7, hidden_size=12,
                              num_layers=layers, bidirectional=bidirectional)
    d = 2 if bidirectional else 1
    assert _count(net) == _rnn_params(mode, 5, 12, layers, d) + d * 12 * 7 + 7


def test_w3_lstm_classifier_has_the_benchmark_parameter_count() -> None:
    # W3: LSTM 28 -> 128, linear 128 -> 10: 4*128*(28+128) + 8*128 + 1290
    net = models.create_model("lstm_classifier", input_size=28, num_classes=10, hidden_size=128)
    assert _count(net) == 79872 + 1024 + 1290 == 82186


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, True)])
def test_classifier_equals_torch_rnn_plus_linear_on_the_final_state(mode: str, layers: int,
                                                                     bidirectional: bool) -> None:
    """Forward and every gradient equal torch's ``fc(cat(h_n[-D:]))`` in float64 with the same weights."""
    torch.manual_seed(0)
    d = 2 if bidirectional else 1
    rnn = TORCH_RNN[mode](3, 6, layers, batch_first=True, bidirectional=bidirectional).double()
    fc = torch.nn.Linear(d * 6, 4).double()
    net = models.create_model(f"{mode.lower()}_classifier", input_size=3, num_classes=4, hidden_size=6,
                              num_layers=layers, bidirectional=bidirectional).double()
    _load(net.rnn, rnn)
    _load(net.fc, fc)
    x = np.random.default_rng(1).standard_normal((5, 7, 3))
    xt = torch.from_numpy(x).requires_grad_()
    _, state = rnn(xt)
    h = state[0] if mode == "LSTM" else state
    ref = fc(torch.cat(list(h[-d:]), dim=1))
    xc = cr.tensor(x, requires_grad=True)
    out = net(xc)
    assert_close(out, ref)
    w = np.random.default_rng(2).standard_normal((5, 4))
    (ref * torch.from_numpy(w)).sum().backward()
    (out * cr.tensor(w)).sum().backward()
    assert_close(xc.grad, xt.grad, "grad")
    theirs = dict(rnn.named_parameters()) | {f"fc.{k}": v for k, v in fc.named_parameters()}
    for name, p in net.named_parameters():
        assert_close(p.grad, theirs[name.removeprefix("rnn.")].grad, "grad")


def test_classifier_reads_a_2d_input_as_one_feature_per_step_and_keeps_float32() -> None:
    net = models.create_model("gru_classifier", num_classes=10, hidden_size=8)
    x = cr.randn(4, 40)
    out = net(x)
    assert out.shape == (4, 10) and out.dtype == cr.float32
    np.testing.assert_array_equal(out.detach().numpy(), net(x.unsqueeze(-1)).detach().numpy())
    out.sum().backward()
    assert all(p.grad is not None and p.grad.dtype == cr.float32 for p in net.parameters())


def test_classifier_mean_readout_averages_the_outputs_over_time() -> None:
    net = models.create_model("lstm_classifier", input_size=3, num_classes=2, hidden_size=5, readout="mean")
    x = cr.randn(2, 6, 3)
    out_seq, _ = net.rnn(x)
    np.testing.assert_allclose(net(x).detach().numpy(), net.fc(out_seq.mean(1)).detach().numpy(), rtol=1e-6)


def test_classifier_rejects_bad_input_and_configuration() -> None:
    net = models.create_model("lstm_classifier", input_size=28, num_classes=10, hidden_size=8)
    with pytest.raises(ValueError, match=r"lstm_classifier: expected input of shape \(N, T, 28\), got \(2, 28, 5\)"):
        net(cr.randn(2, 28, 5))
    with pytest.raises(ValueError, match=r"got \(2, 28\)"):
        net(cr.randn(2, 28))
    with pytest.raises(ValueError, match="readout must be 'last' or 'mean', got 'max'"):
        models.create_model("gru_classifier", readout="max")
    with pytest.raises(ValueError, match="mode must be one of RNN, LSTM, GRU, got 'TRANSFORMER'"):
        models.SequenceClassifier("transformer", 1, 10)
    with pytest.raises(ValueError, match="hidden_size=0"):
        models.create_model("rnn_classifier", hidden_size=0)


def test_sequence_models_are_registered() -> None:
    assert {"rnn_classifier", "lstm_classifier", "gru_classifier", "seq2seq"} <= set(models.list_models())
    net = models.create_model("rnn_classifier", nonlinearity="relu")
    assert net.rnn.nonlinearity == "relu"


# ---------------------------------------------------------------------------------------------------- seq2seq


class _TorchSeq2Seq(torch.nn.Module):
    """The same encoder-decoder written directly in torch, as the reference."""

    def __init__(self, vocab: int, embed: int, hidden: int, cell: str) -> None:
        super().__init__()
        rnn = TORCH_RNN[cell]
        self.src_embed, self.tgt_embed = torch.nn.Embedding(vocab, embed), torch.nn.Embedding(vocab + 1, embed)
        self.encoder, self.decoder = rnn(embed, hidden, batch_first=True), rnn(embed, hidden, batch_first=True)
        self.out = torch.nn.Linear(hidden, vocab)
        self.vocab = vocab

    def forward(self, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
        _, state = self.encoder(self.src_embed(src))
        start = torch.full((tgt.shape[0], 1), self.vocab, dtype=torch.long)
        out, _ = self.decoder(self.tgt_embed(torch.cat([start, tgt[:, :-1]], 1)), state)
        return self.out(out)

    def greedy(self, src: torch.Tensor, steps: int) -> torch.Tensor:
        _, state = self.encoder(self.src_embed(src))
        tok = torch.full((src.shape[0], 1), self.vocab, dtype=torch.long)
        toks = []
        for _ in range(steps):
            out, state = self.decoder(self.tgt_embed(tok), state)
            tok = self.out(out).argmax(-1)
            toks.append(tok)
        return torch.cat(toks, 1)


def test_seq2seq_parameter_count_matches_the_formula() -> None:
    v, e, h = 10, 16, 32
    gru = models.create_model("seq2seq", vocab_size=v, embed_dim=e, hidden_size=h)
    lstm = models.create_model("seq2seq", vocab_size=v, embed_dim=e, hidden_size=h, cell="lstm")
    emb, head = v * e + (v + 1) * e, h * v + v
    assert _count(gru) == emb + 2 * _rnn_params("GRU", e, h, 1, 1) + head
    assert _count(lstm) == emb + 2 * _rnn_params("LSTM", e, h, 1, 1) + head


@pytest.mark.parametrize("cell", ["GRU", "LSTM"])
def test_seq2seq_teacher_forcing_and_greedy_decoding_equal_torch(cell: str) -> None:
    torch.manual_seed(0)
    ref = _TorchSeq2Seq(7, 5, 9, cell).double()
    net = models.create_model("seq2seq", vocab_size=7, embed_dim=5, hidden_size=9, cell=cell).double()
    _load(net, ref)
    src, tgt = make_sequence_task("reverse", 4, 6, 7, generator=0)
    logits_ref = ref(torch.from_numpy(src), torch.from_numpy(tgt))
    logits = net(cr.tensor(src), cr.tensor(tgt))
    assert logits.shape == (4, 6, 7)
    assert_close(logits, logits_ref)
    F.cross_entropy(logits.reshape(-1, 7), cr.tensor(tgt).reshape(-1)).backward()
    torch.nn.functional.cross_entropy(logits_ref.reshape(-1, 7), torch.from_numpy(tgt).reshape(-1)).backward()
    theirs = dict(ref.named_parameters())
    for name, p in net.named_parameters():
        assert_close(p.grad, theirs[name].grad, "grad")
    toks = net.generate(cr.tensor(src), max_len=9)
    assert toks.shape == (4, 9) and toks.dtype == cr.int64
    np.testing.assert_array_equal(toks.numpy(), ref.greedy(torch.from_numpy(src), 9).numpy())
    # forward without a target decodes greedily: its argmax is what generate returns
    np.testing.assert_array_equal(net(cr.tensor(src)).argmax(-1).numpy(), net.generate(cr.tensor(src)).numpy())


def test_seq2seq_rejects_bad_input() -> None:
    net = models.create_model("seq2seq", vocab_size=5, hidden_size=8)
    with pytest.raises(ValueError, match=r"expected src of shape \(N, T\) of token ids, got \(2, 3, 4\)"):
        net(cr.zeros((2, 3, 4), dtype=cr.int64))
    with pytest.raises(ValueError, match=r"batch sizes differ: \(2, 3\) vs \(3, 3\)"):
        net(cr.zeros((2, 3), dtype=cr.int64), cr.zeros((3, 3), dtype=cr.int64))
    with pytest.raises(ValueError, match="cell must be 'GRU' or 'LSTM', got 'rnn'"):
        models.create_model("seq2seq", cell="rnn")


# ---------------------------------------------------------------------------------------------------- truncated BPTT


def test_truncated_bptt_loop_with_detach_state_matches_a_manual_torch_computation() -> None:
    """Three chunks of k=4 steps with SGD: at every chunk the gradient is that of the chunk's loss with the carried
    state a constant (torch: run the same loop, detaching by hand); after the loop both models hold the same weights.
    The truncated gradient must differ from full BPTT's, so the detaching is what is being tested."""
    torch.manual_seed(0)
    rnn_t, head_t = torch.nn.LSTM(3, 5, batch_first=True).double(), torch.nn.Linear(5, 3).double()
    rnn, head = cr.nn.LSTM(3, 5, batch_first=True).double(), cr.nn.Linear(5, 3).double()
    _load(rnn, rnn_t)
    _load(head, head_t)
    seq = np.random.default_rng(0).standard_normal((2, 13, 3))
    opt = cr.optim.SGD([*rnn.parameters(), *head.parameters()], lr=0.1)
    opt_t = torch.optim.SGD([*rnn_t.parameters(), *head_t.parameters()], lr=0.1)
    state, state_t, k = None, None, 4
    for s in range(0, 12, k):
        x, y = seq[:, s:s + k], seq[:, s + 1:s + k + 1]
        out, state = rnn(cr.tensor(x), state)
        loss = F.mse_loss(head(out), cr.tensor(y))
        opt.zero_grad()
        loss.backward()
        out_t, state_t = rnn_t(torch.from_numpy(x), state_t)
        loss_t = torch.nn.functional.mse_loss(head_t(out_t), torch.from_numpy(y))
        opt_t.zero_grad()
        loss_t.backward()
        assert_close(loss, loss_t.detach())
        for p, q in zip([*rnn.parameters(), *head.parameters()], [*rnn_t.parameters(), *head_t.parameters()]):
            assert_close(p.grad, q.grad, "grad")
        if s == 8:  # the last chunk: full BPTT through all 12 steps gives another gradient for the same loss
            full_rnn = torch.nn.LSTM(3, 5, batch_first=True).double()
            full_rnn.load_state_dict(rnn_t.state_dict())
            full_out, _ = full_rnn(torch.from_numpy(seq[:, :12]))
            torch.nn.functional.mse_loss(head_t(full_out[:, 8:]), torch.from_numpy(y)).backward()
            assert not np.allclose(full_rnn.weight_hh_l0.grad.numpy(), rnn.weight_hh_l0.grad.numpy(), atol=1e-6)
        opt.step()
        opt_t.step()
        state = cr.nn.utils.rnn.detach_state(state)
        state_t = tuple(t.detach() for t in state_t)
        assert not state[0].requires_grad and not state[1].requires_grad
    for p, q in zip(rnn.parameters(), rnn_t.parameters()):
        assert_close(p, q.detach())


# ---------------------------------------------------------------------------------------------------- generators


def test_adding_problem_layout_and_statistics() -> None:
    x, y = make_adding_problem(20000, 50, generator=0)
    assert x.shape == (20000, 50, 2) and x.dtype == np.float32 and y.shape == (20000,) and y.dtype == np.float32
    values, markers = x[..., 0].astype(np.float64), x[..., 1]
    assert set(np.unique(markers)) == {0.0, 1.0}
    assert (markers[:, :25].sum(1) == 1).all() and (markers[:, 25:].sum(1) == 1).all()
    np.testing.assert_allclose(y, (values * markers).sum(1), rtol=1e-6)
    assert values.min() >= 0 and values.max() < 1
    # v ~ U(0, 1): the sum of two has mean 1 and variance 1/6, the MSE of always predicting the mean
    assert abs(y.mean() - 1.0) < 0.01 and abs(y.var() - 1 / 6) < 0.005
    # each marker is uniform over its half: 25 positions with 20000 / 25 = 800 expected hits each
    first = np.bincount(markers[:, :25].argmax(1), minlength=25)
    assert first.min() > 650 and first.max() < 950
    x2, y2 = make_adding_problem(20000, 50, generator=0)
    np.testing.assert_array_equal(x, x2)
    assert not np.array_equal(y, make_adding_problem(20000, 50, generator=1)[1])
    with pytest.raises(ValueError, match="length >= 2, got n=3, length=1"):
        make_adding_problem(3, 1)


@pytest.mark.parametrize("kind", ["copy", "reverse", "sort"])
def test_sequence_task_targets_and_token_statistics(kind: str) -> None:
    src, tgt = make_sequence_task(kind, 5000, 8, 10, generator=0)
    assert src.shape == tgt.shape == (5000, 8) and src.dtype == tgt.dtype == np.int64
    expected = {"copy": src, "reverse": src[:, ::-1], "sort": np.sort(src, 1)}[kind]
    np.testing.assert_array_equal(tgt, expected)
    counts = np.bincount(src.ravel(), minlength=10)
    assert counts.size == 10 and abs(counts / src.size - 0.1).max() < 0.01  # 40,000 draws, sd of a share ~0.0015
    np.testing.assert_array_equal(src, make_sequence_task(kind, 5000, 8, 10, generator=0)[0])


def test_sequence_task_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="kind must be one of copy, reverse, sort, got 'shuffle'"):
        make_sequence_task("shuffle")
    with pytest.raises(ValueError, match="vocab=1"):
        make_sequence_task("copy", 10, 5, 1)
