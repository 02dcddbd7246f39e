"""``chainrule.utils.summary`` and ``chainrule summary``: totals, multiply-adds and shapes checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.cli.main import main
from chainrule.models import create_model
from chainrule.utils import ModelSummary, summary


def _rows(s: ModelSummary) -> dict[str, object]:
    return {r.name: r for r in s.layers}


def test_totals_equal_the_sum_of_parameters_with_frozen_and_buffers_apart() -> None:
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 5))
    net[4].weight.requires_grad_(False)
    s = summary(net, (3, 8, 8))
    total = sum(p.numel() for p in net.parameters())
    assert s.total_params == total == (3 * 4 * 9 + 4) + (4 + 4) + (144 * 5 + 5)
    assert s.non_trainable_params == 144 * 5
    assert s.trainable_params == total - 144 * 5
    assert s.total_buffers == 4 + 4 + 1  # running mean, running var, num_batches_tracked
    assert sum(r.trainable_params + r.non_trainable_params for r in s.layers) == total
    assert s.param_bytes == sum(p._data.nbytes for p in net.parameters()) + sum(b._data.nbytes for b in net.buffers())


def test_macs_of_a_conv_and_linear_net_by_hand() -> None:
    net = nn.Sequential(
        nn.Conv2d(3, 8, 3, stride=2, padding=1),      # 3x16x16 -> 8x8x8: 8*64 outputs x 3*9 products
        nn.Conv2d(8, 8, 3, padding=1, groups=4),      # grouped: each output sees 8/4 = 2 channels
        nn.ConvTranspose2d(8, 4, 2, stride=2),        # each of 8*64 inputs scatters into 4*2*2 outputs
        nn.Flatten(), nn.Linear(4 * 16 * 16, 10),
    )
    hand = [8 * 64 * 3 * 9, 8 * 64 * 2 * 9, 8 * 64 * 4 * 4, 0, 1024 * 10]
    s = summary(net, (3, 16, 16))
    assert [r.macs for r in s.layers] == hand
    assert s.total_macs == sum(hand)
    assert [r.output_shape for r in s.layers] == [[(1, 8, 8, 8)], [(1, 8, 8, 8)], [(1, 4, 16, 16)], [(1, 1024)],
                                                  [(1, 10)]]
    s3 = summary(net, (3, 16, 16), batch_size=3)  # everything is for the whole batch
    assert s3.total_macs == 3 * sum(hand)
    assert s3.layers[-1].output_shape == [(3, 10)] and s3.layers[-1].output_bytes == 3 * 10 * 4


def test_lenet5_by_hand() -> None:
    """LeNet-5 (dense C3) on 1x32x32: every row computed from the layer arithmetic, no torch."""
    s = summary(create_model("lenet5"), (1, 32, 32))
    rows = _rows(s)
    # (name, output shape, parameters, multiply-adds)
    hand = [
        ("features.0", (1, 6, 28, 28), 6 * 1 * 25 + 6, 6 * 28 * 28 * 1 * 25),
        ("features.2", (1, 6, 14, 14), 0, 0),
        ("features.3", (1, 16, 10, 10), 16 * 6 * 25 + 16, 16 * 10 * 10 * 6 * 25),
        ("features.5", (1, 16, 5, 5), 0, 0),
        ("classifier.0", (1, 400), 0, 0),
        ("classifier.1", (1, 120), 400 * 120 + 120, 400 * 120),
        ("classifier.3", (1, 84), 120 * 84 + 84, 120 * 84),
        ("classifier.5", (1, 10), 84 * 10 + 10, 84 * 10),
    ]
    for name, shape, params, macs in hand:
        r = rows[name]
        assert (r.output_shape, r.trainable_params, r.macs) == ([shape], params, macs), name  # type: ignore[attr-defined]
        assert r.output_bytes == int(np.prod(shape)) * 4  # type: ignore[attr-defined]
    assert s.total_params == s.trainable_params == 61_706 == sum(h[2] for h in hand)
    assert s.total_macs == sum(h[3] for h in hand) == 416_520
    assert [r.name for r in s.layers][:3] == ["features.0", "features.1", "features.2"]  # execution order
    text = str(s)
    assert "Total params: 61,706" in text and "416,520" in text and "[1, 16, 5, 5]" in text


def test_lenet5_1998_counts_only_connected_weights() -> None:
    s = summary(create_model("lenet5_1998"), (1, 32, 32))
    c3 = _rows(s)["c3"]
    assert c3.trainable_params == 60 * 25 + 16  # type: ignore[attr-defined]
    assert c3.macs == 10 * 10 * 60 * 25  # type: ignore[attr-defined]  # only connected weights multiply
    assert s.trainable_params == 60_000


def test_eval_no_grad_and_training_mode_restored() -> None:
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Dropout(0.5))
    net.train()
    before = net[1].running_mean._data.copy()
    summary(net, (1, 6, 6))
    assert net.training and all(m.training for m in net.modules())
    np.testing.assert_array_equal(net[1].running_mean._data, before)  # eval: running stats untouched
    assert all(p.grad is None for p in net.parameters())
    assert not net[0]._forward_hooks and not net[0]._forward_pre_hooks  # hooks removed


def test_shared_module_called_twice_is_counted_once() -> None:
    lin = nn.Linear(4, 4)
    net = nn.Sequential(lin, nn.ReLU(), lin)
    s = summary(net, (4,))
    assert s.total_params == 20 and [r.trainable_params for r in s.layers] == [20, 0, 0]
    assert s.total_macs == 2 * 16


def test_float64_input_and_multiple_inputs() -> None:
    class Two(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = nn.Linear(3, 2), nn.Linear(5, 2)

        def forward(self, x: cr.Tensor, y: cr.Tensor) -> cr.Tensor:
            return self.a(x) + self.b(y)

    s = summary(Two().double(), [(3,), (5,)], dtype=cr.float64, batch_size=2)
    assert [r.output_shape for r in s.layers] == [[(2, 2)], [(2, 2)]]
    assert s.input_bytes == (2 * 3 + 2 * 5) * 8 and s.total_macs == 2 * (6 + 10)


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="summary: expected a Module"):
        summary("lenet5", (1, 32, 32))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="batch_size"):
        summary(nn.Linear(2, 2), (2,), batch_size=0)
    with pytest.raises(TypeError, match="input_size"):
        summary(nn.Linear(2, 2), "2")  # type: ignore[arg-type]


def test_cli_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "lenet5"]) == 0
    out = capsys.readouterr().out
    assert "Total params: 61,706" in out and "Conv2d (features.0)" in out and "(1, 1, 32, 32)" in out
    assert main(["summary", "lenet5", "--num-classes", "5", "--input-size", "1", "32", "32"]) == 0
    assert "Total params: 61,281" in capsys.readouterr().out  # 61,706 - 85 * 5


def test_cli_unknown_model_and_bad_size_are_one_line_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "lenet6"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "unknown model 'lenet6'" in err and "lenet5" in err
    assert main(["summary", "lenet5", "--input-size", "1", "28", "28"]) == 1  # 16x4x4 != 400 features
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("chainrule summary: error:")


def test_macs_of_recurrent_and_attention_layers_by_hand() -> None:
    """RNN/LSTM/GRU: G*H*(I_l + H) per step, layer and direction; MultiheadAttention: four projections and the two
    attention products. Checked against the counts written out by hand."""
    t, b, i, h = 7, 3, 5, 4
    lstm = cr.nn.LSTM(i, h, num_layers=2, bidirectional=True)
    s = summary(lstm, (b, i), batch_size=t)
    # layer 0: input 5, layer 1: input 2*4 = 8; two directions; 4 gates
    assert s.total_macs == t * b * 2 * (4 * h * (i + h) + 4 * h * (2 * h + h))
    gru = cr.nn.GRU(i, h, batch_first=True)
    assert summary(gru, (t, i), batch_size=b).total_macs == b * t * 3 * h * (i + h)
    cell = cr.nn.RNNCell(i, h)
    assert summary(cell, (i,), batch_size=b).total_macs == b * h * (i + h)
    e, heads, lq, lk, kdim, vdim = 8, 2, 6, 9, 3, 5
    mha = cr.nn.MultiheadAttention(e, heads, kdim=kdim, vdim=vdim, batch_first=True)
    s = summary(mha, [(lq, e), (lk, kdim), (lk, vdim)], batch_size=b)
    by_hand = b * (lq * e * e + lk * kdim * e + lk * vdim * e + lq * e * e + 2 * lq * lk * e)
    assert s.total_macs == by_hand
    assert [row.type for row in s.layers] == ["MultiheadAttention"]  # out_proj runs inside it: no row of its own
