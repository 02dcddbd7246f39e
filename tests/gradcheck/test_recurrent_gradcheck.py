"""The fused recurrent primitives (whole-sequence RNN / LSTM / GRU layers, forward and reverse, stacked and
bidirectional, and the single-step cells) against finite differences in float64: gradients of the input, the initial
states and every weight and bias."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import chainrule as cr
from chainrule.nn.functional.recurrent import gru_cell, lstm_cell, recurrent, rnn_relu_cell, rnn_tanh_cell

T, B, N_IN, H = 3, 2, 2, 2
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _leaf(rng: np.random.Generator, *shape: int) -> Any:
    return cr.tensor(rng.standard_normal(shape), requires_grad=True)


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("num_layers, bidirectional", [(1, False), (2, True)], ids=["1-uni", "2-bi"])
@pytest.mark.parametrize("mode", list(GATES))
def test_recurrent_gradcheck(mode: str, num_layers: int, bidirectional: bool, bias: bool) -> None:
    rng = np.random.default_rng(len(mode) + num_layers)
    d, g = (2 if bidirectional else 1), GATES[mode] * H
    x, h0, c0 = _leaf(rng, T, B, N_IN), _leaf(rng, d * num_layers, B, H), _leaf(rng, d * num_layers, B, H)
    weights = []
    for layer in range(num_layers):
        for _ in range(d):
            w = [_leaf(rng, g, N_IN if layer == 0 else d * H), _leaf(rng, g, H)]
            weights.append(tuple(w + ([_leaf(rng, g), _leaf(rng, g)] if bias else [None, None])))
    flat = [w for ws in weights for w in ws if w is not None]
    lstm = mode == "LSTM"
    k = 4 if bias else 2

    def fn(x: Any, h0: Any, c0: Any, *ws: Any) -> Any:
        groups = [tuple(ws[i:i + k]) + ((None, None) if not bias else ()) for i in range(0, len(ws), k)]
        out, hn, cn = recurrent(mode, x, h0, c0 if lstm else None, groups, num_layers, bidirectional)
        return (out, hn, cn) if lstm else (out, hn)

    inputs = (x, h0, c0 if lstm else c0.detach(), *flat)
    assert cr.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("mode", list(GATES))
def test_cell_gradcheck(mode: str, bias: bool) -> None:
    rng = np.random.default_rng(11)
    g = GATES[mode] * H
    x, h, c = _leaf(rng, B, N_IN), _leaf(rng, B, H), _leaf(rng, B, H)
    ws = [_leaf(rng, g, N_IN), _leaf(rng, g, H)] + ([_leaf(rng, g), _leaf(rng, g)] if bias else [])
    if mode == "LSTM":
        assert cr.autograd.gradcheck(lambda x, h, c, *w: lstm_cell(x, (h, c), *w), (x, h, c, *ws), eps=1e-6,
                                     atol=1e-6, rtol=1e-4)
        return
    fn = {"RNN_TANH": rnn_tanh_cell, "RNN_RELU": rnn_relu_cell, "GRU": gru_cell}[mode]
    assert cr.autograd.gradcheck(fn, (x, h, *ws), eps=1e-6, atol=1e-6, rtol=1e-4)
