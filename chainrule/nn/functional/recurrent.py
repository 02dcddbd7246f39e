"""Functional recurrent networks: stacked (optionally bidirectional) RNN / LSTM / GRU layers over a sequence, and the
single-step cells with PyTorch's names (``torch.lstm_cell``, ``torch.gru_cell``, ``torch.rnn_tanh_cell``,
``torch.rnn_relu_cell``). The modules in ``chainrule.nn.recurrent`` validate shapes and call these."""

from __future__ import annotations

from typing import Sequence

from ...backend import xp
from ...ops.rnn import GRULayer, LSTMLayer, RNNLayer
from ...tensor import Tensor
from ...tensor.functions import cat, stack
from .dropout import dropout as _dropout

__all__ = ["recurrent", "rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell"]

Weights = Sequence[tuple[Tensor, Tensor, Tensor | None, Tensor | None]]


def recurrent(mode: str, input: Tensor, hx: Tensor | None, cx: Tensor | None,  # noqa: A002 - PyTorch's name
              weights: Weights, num_layers: int, bidirectional: bool = False, dropout: float = 0.0,
              training: bool = False, batch_sizes: Sequence[int] | None = None) -> tuple[Tensor, Tensor, Tensor | None]:
    r"""Run a stack of recurrent layers over a time-major sequence.

    Layer :math:`l > 0` reads the outputs of layer :math:`l - 1` (both directions concatenated), after dropout with
    probability ``dropout`` when ``training``. Each layer and direction is one fused graph node
    (:mod:`chainrule.ops.rnn`); backpropagation through time is exact.

    Args:
        mode: ``'RNN_TANH'``, ``'RNN_RELU'``, ``'LSTM'`` or ``'GRU'``.
        input: the sequence.
        hx: the initial hidden states, or None for zeros.
        cx: the initial cell states (LSTM only), or None for zeros.
        weights: ``(w_ih, w_hh, b_ih, b_hh)`` per layer and direction, in the order
            ``l0, l0_reverse, l1, ...``; biases None for a layer without bias.
        num_layers: the number of stacked layers :math:`L`.
        bidirectional: run a second layer backwards in time in each layer (:math:`D = 2`).
        dropout: dropout probability on the outputs of every layer but the last.
        training: apply the dropout.
        batch_sizes: for packed sequences (``nn.utils.rnn``): the rows sorted by decreasing length, step ``t``
            updates only the first ``batch_sizes[t]`` rows and the others keep their state (see ``ops.rnn``).

    Shape:
        - input: :math:`(T, B, H_{in})`
        - hx, cx: :math:`(D L, B, H)`
        - output: :math:`(T, B, D H)`, the last layer's hidden states; then ``h_n`` and ``c_n`` (None but for the
          LSTM) of shape :math:`(D L, B, H)`.
    """
    t, b = input.shape[0], input.shape[1]
    d = 2 if bidirectional else 1
    hidden = weights[0][1].shape[1]
    lstm = mode == "LSTM"
    prim = LSTMLayer if lstm else GRULayer if mode == "GRU" else RNNLayer
    kw = {"nonlinearity": "relu" if mode == "RNN_RELU" else "tanh"} if prim is RNNLayer else {}
    zeros = xp.zeros((b, hidden), dtype=input._data.dtype)
    x, hn, cn = input, [], []
    for layer in range(num_layers):
        outs = []
        for direction in range(d):
            k = layer * d + direction
            w_ih, w_hh, b_ih, b_hh = weights[k]
            h0 = hx[k] if hx is not None else zeros
            c0 = (cx[k] if cx is not None else zeros) if lstm else None
            y = prim.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=direction == 1, batch_sizes=batch_sizes, **kw)
            outs.append(y[:t] if lstm else y)
            hn.append(y[0] if direction == 1 else y[t - 1])
            if lstm:
                cn.append(y[t])
        x = cat(outs, 2) if d == 2 else outs[0]
        if dropout > 0 and training and layer < num_layers - 1:
            x = _dropout(x, dropout, True)
    return x, stack(hn, 0), (stack(cn, 0) if lstm else None)


def lstm_cell(input: Tensor, hx: tuple[Tensor, Tensor], w_ih: Tensor, w_hh: Tensor,  # noqa: A002
              b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    r"""One LSTM step: :math:`(i, f, g, o) = (\sigma, \sigma, \tanh, \sigma)(x W_{ih}^T + b_{ih} + h W_{hh}^T +
    b_{hh})`, :math:`c' = f \odot c + i \odot g`, :math:`h' = o \odot \tanh(c')`.

    Shape: input :math:`(B, H_{in})`; ``hx = (h, c)`` each :math:`(B, H)`; returns ``(h', c')``.
    """
    y = LSTMLayer.apply(input, hx[0], hx[1], w_ih, w_hh, b_ih, b_hh)
    return y[0], y[1]


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,  # noqa: A002
             b_hh: Tensor | None = None) -> Tensor:
    r"""One GRU step: :math:`r, z = \sigma(\cdot)`, :math:`n = \tanh(x W_{in}^T + b_{in} + r \odot (h W_{hn}^T +
    b_{hn}))`, :math:`h' = (1 - z) \odot n + z \odot h`.

    Shape: input :math:`(B, H_{in})`, hx :math:`(B, H)`; returns :math:`(B, H)`.
    """
    return GRULayer.apply(input, hx, None, w_ih, w_hh, b_ih, b_hh)


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,  # noqa: A002
                  b_hh: Tensor | None = None) -> Tensor:
    r"""One Elman step: :math:`h' = \tanh(x W_{ih}^T + b_{ih} + h W_{hh}^T + b_{hh})`.

    Shape: input :math:`(B, H_{in})`, hx :math:`(B, H)`; returns :math:`(B, H)`.
    """
    return RNNLayer.apply(input, hx, None, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh")


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,  # noqa: A002
                  b_hh: Tensor | None = None) -> Tensor:
    r"""One Elman step with ReLU: :math:`h' = \max(0, x W_{ih}^T + b_{ih} + h W_{hh}^T + b_{hh})`.

    Shape: input :math:`(B, H_{in})`, hx :math:`(B, H)`; returns :math:`(B, H)`.
    """
    return RNNLayer.apply(input, hx, None, w_ih, w_hh, b_ih, b_hh, nonlinearity="relu")
