"""Recurrent sequence models: many-to-one classifiers (vanilla RNN, LSTM, GRU) and a GRU/LSTM encoder-decoder.

:class:`SequenceClassifier` reads a sequence with ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` and puts one linear layer on
its summary of the sequence (the final hidden state of the last layer, both directions when bidirectional);
:class:`Seq2Seq` encodes a token sequence into the final state of an RNN and decodes the output sequence from it,
with teacher forcing when the target is given and greedy decoding otherwise (Sutskever et al. 2014, Cho et al. 2014).
"""

from __future__ import annotations

from typing import Any

from .. import nn
from ..autograd import no_grad
from ..tensor import Tensor
from ..tensor.creation import full
from ..tensor.functions import cat
from ._registry import register_model

__all__ = ["SequenceClassifier", "Seq2Seq", "rnn_classifier", "lstm_classifier", "gru_classifier", "seq2seq"]

_RNNS = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}


def _make_rnn(mode: str, input_size: int, hidden_size: int, num_layers: int, bidirectional: bool, dropout: float,
              nonlinearity: str, where: str) -> nn.Module:
    mode = mode.upper()
    if mode not in _RNNS:
        raise ValueError(f"{where}: mode must be one of {', '.join(_RNNS)}, got {mode!r}")
    if min(input_size, hidden_size, num_layers) < 1:
        raise ValueError(f"{where}: sizes must be positive, got input_size={input_size}, hidden_size={hidden_size}, "
                         f"num_layers={num_layers}")
    kw: dict[str, Any] = {"nonlinearity": nonlinearity} if mode == "RNN" else {}
    return _RNNS[mode](input_size, hidden_size, num_layers, batch_first=True, dropout=dropout,
                       bidirectional=bidirectional, **kw)


class SequenceClassifier(nn.Module):
    r"""A many-to-one recurrent network: an RNN over the steps, then a linear layer on its final hidden state.

    .. math::
        h_T = \mathrm{RNN}(x_1, \dots, x_T), \qquad y = W [h_T^{\rightarrow}; h_1^{\leftarrow}] + b

    With ``readout='last'`` the head reads the final hidden state of the last layer (for a bidirectional network the
    forward direction's state after step ``T`` concatenated with the backward direction's after step 1, so both have
    read the whole sequence); with ``readout='mean'`` it reads the mean of the last layer's outputs over time.

    Args:
        mode: ``'RNN'`` (Elman, ``nonlinearity`` tanh or relu), ``'LSTM'`` or ``'GRU'``.
        input_size: features per step; an input of shape ``(N, T)`` is read as one feature per step.
        num_classes: outputs (1 for a regression such as the adding problem).
        hidden_size: hidden units per direction and layer.
        num_layers: stacked recurrent layers.
        bidirectional: also read the sequence backwards.
        dropout: dropout between recurrent layers (as ``nn.LSTM``'s).
        nonlinearity: the vanilla RNN's activation.
        readout: ``'last'`` or ``'mean'``.

    Shape:
        input ``(N, T, input_size)`` or, when ``input_size == 1``, ``(N, T)``; output ``(N, num_classes)``.

    Example::

        >>> net = models.create_model("lstm_classifier", input_size=28, num_classes=10, hidden_size=128)
        >>> net(chainrule.randn(64, 28, 28)).shape     # Fashion-MNIST read row by row
        chainrule.Size([64, 10])
    """

    def __init__(self, mode: str, input_size: int, num_classes: int, hidden_size: int = 64, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0, nonlinearity: str = "tanh",
                 readout: str = "last") -> None:
        super().__init__()
        if readout not in ("last", "mean"):
            raise ValueError(f"SequenceClassifier: readout must be 'last' or 'mean', got {readout!r}")
        if num_classes < 1:
            raise ValueError(f"SequenceClassifier: num_classes must be positive, got {num_classes}")
        self.mode, self.input_size, self.readout = mode.upper(), input_size, readout
        self.num_directions = 2 if bidirectional else 1
        self.rnn = _make_rnn(mode, input_size, hidden_size, num_layers, bidirectional, dropout, nonlinearity,
                             "SequenceClassifier")
        self.fc = nn.Linear(self.num_directions * hidden_size, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 2 and self.input_size == 1:
            x = x.unsqueeze(-1)
        if x.ndim != 3 or x.shape[-1] != self.input_size:
            raise ValueError(f"{self.mode.lower()}_classifier: expected input of shape (N, T, {self.input_size})"
                             + (" or (N, T)" if self.input_size == 1 else "") + f", got {tuple(x.shape)}")
        out, state = self.rnn(x)
        if self.readout == "mean":
            return self.fc(out.mean(1))
        h = state[0] if self.mode == "LSTM" else state  # (D * L, N, H)
        d = self.num_directions
        last = h[-d:].transpose(0, 1).reshape(h.shape[1], -1)  # (N, D * H), forward direction first
        return self.fc(last)


class Seq2Seq(nn.Module):
    r"""An RNN encoder-decoder for token sequences (no attention): the encoder's final state starts the decoder.

    .. math::
        s = \mathrm{Enc}(E_x x_1, \dots, E_x x_S), \quad (h_t, s_t) = \mathrm{Dec}(E_y y_{t-1}, s_{t-1}), \quad
        p(y_t \mid y_{<t}, x) = \mathrm{softmax}(W h_t + b)

    with ``s_0 = s`` and ``y_0`` a start token (id ``vocab_size`` of the decoder's embedding, never an output).
    ``forward(src, tgt)`` uses teacher forcing: the decoder reads the true previous tokens ``<start>, y_1, ...,
    y_{T-1}``, so all steps run in one call; ``forward(src)`` decodes greedily, feeding back its own argmax.

    Args:
        vocab_size: number of tokens (source and target share the vocabulary).
        embed_dim: embedding size.
        hidden_size: hidden units of encoder and decoder.
        num_layers: stacked layers in each.
        cell: ``'GRU'`` or ``'LSTM'``.
        dropout: dropout between stacked layers.

    Shape:
        src ``(N, S)`` int64, tgt ``(N, T)`` int64; output logits ``(N, T, vocab_size)`` (``T = max_len``, default
        ``S``, when decoding greedily).

    Example::

        >>> src, tgt = datasets.make_sequence_task("reverse", 128, 8, vocab=10)
        >>> net = models.create_model("seq2seq", vocab_size=10)
        >>> logits = net(chainrule.tensor(src), chainrule.tensor(tgt))   # (128, 8, 10), teacher forcing
        >>> tokens = net.generate(chainrule.tensor(src))                 # (128, 8) int64, greedy
    """

    def __init__(self, vocab_size: int, embed_dim: int = 32, hidden_size: int = 128, num_layers: int = 1,
                 cell: str = "GRU", dropout: float = 0.0) -> None:
        super().__init__()
        if cell.upper() not in ("GRU", "LSTM"):
            raise ValueError(f"Seq2Seq: cell must be 'GRU' or 'LSTM', got {cell!r}")
        if vocab_size < 2 or embed_dim < 1:
            raise ValueError(f"Seq2Seq: need vocab_size >= 2 and embed_dim >= 1, got {vocab_size}, {embed_dim}")
        self.vocab_size, self.cell = vocab_size, cell.upper()
        self.src_embed = nn.Embedding(vocab_size, embed_dim)
        self.tgt_embed = nn.Embedding(vocab_size + 1, embed_dim)  # + the start token
        self.encoder = _make_rnn(cell, embed_dim, hidden_size, num_layers, False, dropout, "tanh", "Seq2Seq")
        self.decoder = _make_rnn(cell, embed_dim, hidden_size, num_layers, False, dropout, "tanh", "Seq2Seq")
        self.out = nn.Linear(hidden_size, vocab_size)

    @property
    def start_token(self) -> int:
        """The decoder's start-of-sequence id (``vocab_size``)."""
        return self.vocab_size

    def _check(self, t: Tensor, name: str) -> None:
        if t.ndim != 2:
            raise ValueError(f"Seq2Seq: expected {name} of shape (N, T) of token ids, got {tuple(t.shape)}")

    def encode(self, src: Tensor) -> Any:
        """The encoder's final state for ``src`` ``(N, S)``: ``h_n`` (GRU) or ``(h_n, c_n)`` (LSTM)."""
        self._check(src, "src")
        return self.encoder(self.src_embed(src))[1]

    def forward(self, src: Tensor, tgt: Tensor | None = None, max_len: int | None = None) -> Tensor:
        state = self.encode(src)
        if tgt is None:
            return self._greedy(state, src.shape[0], max_len or src.shape[1])[0]
        self._check(tgt, "tgt")
        if tgt.shape[0] != src.shape[0]:
            raise ValueError(f"Seq2Seq: src and tgt batch sizes differ: {tuple(src.shape)} vs {tuple(tgt.shape)}")
        start = full((tgt.shape[0], 1), self.start_token, dtype=tgt.dtype)
        dec_in = cat([start, tgt[:, :-1]], dim=1)  # teacher forcing: the true previous token at every step
        out, _ = self.decoder(self.tgt_embed(dec_in), state)
        return self.out(out)

    def _greedy(self, state: Any, n: int, steps: int) -> tuple[Tensor, Tensor]:
        token = full((n, 1), self.start_token, dtype="int64")
        logits, tokens = [], []
        for _ in range(steps):
            out, state = self.decoder(self.tgt_embed(token), state)
            step = self.out(out)  # (N, 1, V)
            token = step.argmax(-1).detach()
            logits.append(step)
            tokens.append(token)
        return cat(logits, dim=1), cat(tokens, dim=1)

    def generate(self, src: Tensor, max_len: int | None = None) -> Tensor:
        """Greedy decoding without a graph: the ``(N, max_len)`` int64 tokens (``max_len`` defaults to ``S``)."""
        with no_grad():
            return self._greedy(self.encode(src), src.shape[0], max_len or src.shape[1])[1]


def _classifier(mode: str, input_size: int, num_classes: int, hidden_size: int, num_layers: int, bidirectional: bool,
                dropout: float, readout: str, nonlinearity: str = "tanh") -> SequenceClassifier:
    return SequenceClassifier(mode, input_size, num_classes, hidden_size, num_layers, bidirectional, dropout,
                              nonlinearity, readout)


@register_model
def rnn_classifier(input_size: int = 1, num_classes: int = 10, hidden_size: int = 64, num_layers: int = 1,
                   bidirectional: bool = False, dropout: float = 0.0, nonlinearity: str = "tanh",
                   readout: str = "last") -> SequenceClassifier:
    """A vanilla (Elman) RNN read out by a linear layer on its final hidden state."""
    return _classifier("RNN", input_size, num_classes, hidden_size, num_layers, bidirectional, dropout, readout,
                       nonlinearity)


@register_model
def lstm_classifier(input_size: int = 1, num_classes: int = 10, hidden_size: int = 64, num_layers: int = 1,
                    bidirectional: bool = False, dropout: float = 0.0, readout: str = "last") -> SequenceClassifier:
    """An LSTM read out by a linear layer on its final hidden state (benchmark W3: ``input_size=28``, 128)."""
    return _classifier("LSTM", input_size, num_classes, hidden_size, num_layers, bidirectional, dropout, readout)


@register_model
def gru_classifier(input_size: int = 1, num_classes: int = 10, hidden_size: int = 64, num_layers: int = 1,
                   bidirectional: bool = False, dropout: float = 0.0, readout: str = "last") -> SequenceClassifier:
    """A GRU read out by a linear layer on its final hidden state (MNIST-1D: 40 steps of one feature)."""
    return _classifier("GRU", input_size, num_classes, hidden_size, num_layers, bidirectional, dropout, readout)


@register_model
def seq2seq(vocab_size: int = 10, embed_dim: int = 32, hidden_size: int = 128, num_layers: int = 1,
            cell: str = "GRU", dropout: float = 0.0) -> Seq2Seq:
    """A GRU (or LSTM) encoder-decoder for copying / reversing / sorting token sequences."""
    return Seq2Seq(vocab_size, embed_dim, hidden_size, num_layers, cell, dropout)
