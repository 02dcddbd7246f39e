"""Functional recurrent networks: stacked (optionally bidirectional) RNN / LSTM / GRU layers over a sequence, and the
single-step cells with PyTorch's names (``torch.lstm_cell``, ``torch.gru_cell``, ``torch.rnn_tanh_cell``,
``torch.rnn_relu_cell``). The modules in ``chainrule.nn.recurrent`` validate shapes and call these."""

from __future__ import annotations

from typing import Any, Sequence

from ...backend import xp
from ...ops.rnn import GRULayer, LSTMLayer, RNNLayer
from ...tensor import Tensor
from ...tensor.functions import cat, stack
from .dropout import dropout as _dropout

__all__ = ["recurrent", "rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell"]

# (w_ih, w_hh, b_ih, b_hh) per layer and direction; an LSTM with projections adds w_hr as a fifth element
Weights = Sequence[tuple[Tensor, Tensor, Tensor | None, Tensor | None] |
                   tuple[Tensor, Tensor, Tensor | None, Tensor | None, Tensor]]


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
            ``l0, l0_reverse, l1, ...``; biases None for a layer without bias. An LSTM with projections
            (``proj_size``) gives ``(w_ih, w_hh, b_ih, b_hh, w_hr)``: :math:`h_t = (o \odot \tanh(c_t)) W_{hr}^T`.
        num_layers: the number of stacked layers :math:`L`.
        bidirectional: run a second layer backwards in time in each layer (:math:`D = 2`).
        dropout: dropout probability on the outputs of every layer but the last.
        training: apply the dropout.
        batch_sizes: for packed sequences (``nn.utils.rnn``): the rows sorted by decreasing length, step ``t``
            updates only the first ``batch_sizes[t]`` rows and the others keep their state (see ``ops.rnn``).

    Shape:
        - input: :math:`(T, B, H_{in})`
        - hx, cx: :math:`(D L, B, H_{out})` and :math:`(D L, B, H)`, where :math:`H_{out}` is :math:`P` for an
          LSTM with projections, else :math:`H`
        - output: :math:`(T, B, D H_{out})`, the last layer's hidden states; then ``h_n`` :math:`(D L, B, H_{out})`
          and ``c_n`` :math:`(D L, B, H)` (None but for the LSTM).
    """
    t, b = input.shape[0], input.shape[1]
    d = 2 if bidirectional else 1
    hidden, cell = weights[0][1].shape[1], weights[0][1].shape[0] // 4  # h is P wide with projections, c is H
    lstm = mode == "LSTM"
    prim = LSTMLayer if lstm else GRULayer if mode == "GRU" else RNNLayer
    kw = {"nonlinearity": "relu" if mode == "RNN_RELU" else "tanh"} if prim is RNNLayer else {}
    zeros = xp.zeros((b, hidden), dtype=input._data.dtype)
    czeros = xp.zeros((b, cell), dtype=input._data.dtype) if lstm else None
    x, hn, cn = input, [], []
    for layer in range(num_layers):
        outs = []
        for direction in range(d):
            k = layer * d + direction
            wk = weights[k]
            w_ih, w_hh, b_ih, b_hh = wk[:4]
            h0 = hx[k] if hx is not None else zeros
            c0 = (cx[k] if cx is not None else czeros) if lstm else None
            if len(wk) == 5:  # an LSTM with projections: composed, see _lstm_projected
                y, h_last, c_last = _lstm_projected(x, h0, c0, w_ih, w_hh, b_ih, b_hh, wk[4], direction == 1,
                                                    batch_sizes)
                outs.append(y)
                hn.append(h_last)
                cn.append(c_last)
                continue
            y = prim.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=direction == 1, batch_sizes=batch_sizes, **kw)
            outs.append(y[:t] if lstm else y)
            hn.append(y[0] if direction == 1 else y[t - 1])
            if lstm:
                cn.append(y[t])
        x = cat(outs, 2) if d == 2 else outs[0]
        if dropout > 0 and training and layer < num_layers - 1:
            x = _dropout(x, dropout, True)
    return x, stack(hn, 0), (stack(cn, 0) if lstm else None)


def _lstm_projected(x: Tensor, h0: Any, c0: Any, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None,
                    b_hh: Tensor | None, w_hr: Tensor, reverse: bool,
                    batch_sizes: Sequence[int] | None) -> tuple[Tensor, Tensor, Tensor]:
    r"""One direction of one LSTM layer with projections (Sak et al., 2014), as PyTorch's ``proj_size``:

    .. math:: (i, f, g, o) = (\sigma, \sigma, \tanh, \sigma)(x_t W_{ih}^T + b_{ih} + h_{t-1} W_{hh}^T + b_{hh}),
        \quad c_t = f \odot c_{t-1} + i \odot g, \quad h_t = (o \odot \tanh(c_t)) W_{hr}^T

    NOTE: composed from Tensor ops (about a dozen graph nodes per step) instead of fused into ``ops.rnn.LSTMLayer``,
    whose single output array stacks h_t and the last c_t and so needs them of one width; projections are rare and
    this path is exact. The input of every step is still projected with one GEMM. With ``batch_sizes`` (packed
    sequences) step ``s`` updates only the first ``batch_sizes[s]`` rows and the others keep their state, as the
    fused layers do.

    Shape: x :math:`(T, B, H_{in})`, h0 :math:`(B, P)` and c0 :math:`(B, H)` (Tensors, or arrays of zeros),
    w_hr :math:`(P, H)`; returns the :math:`h_t` of every step :math:`(T, B, P)` in time order, then the last
    :math:`h` and :math:`c`.
    """
    t, b = x.shape[0], x.shape[1]
    h = h0 if isinstance(h0, Tensor) else Tensor._make(h0, None, False)
    c = c0 if isinstance(c0, Tensor) else Tensor._make(c0, None, False)
    n = w_hh.shape[0] // 4
    xw = x @ w_ih.t()  # one GEMM for every time step
    for bias in (b_ih, b_hh):
        if bias is not None:
            xw = xw + bias
    ks = [b] * t if batch_sizes is None else [int(k) for k in batch_sizes]
    hs: list[Tensor] = [h] * t
    for s in (range(t - 1, -1, -1) if reverse else range(t)):
        k = ks[s]
        gates = xw[s, :k] + h[:k] @ w_hh.t()
        i, f, o = gates[:, :n].sigmoid(), gates[:, n:2 * n].sigmoid(), gates[:, 3 * n:].sigmoid()
        c_new = f * c[:k] + i * gates[:, 2 * n:3 * n].tanh()
        h_new = (o * c_new.tanh()) @ w_hr.t()
        if k < b:  # finished sequences keep their state
            h_new, c_new = cat([h_new, h[k:]], 0), cat([c_new, c[k:]], 0)
        hs[s] = h = h_new
        c = c_new
    return stack(hs, 0), h, c


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
