"""Positional encodings (no PyTorch counterpart): the sinusoidal table against the formula of Vaswani et al. written
out in NumPy, both layouts, offsets, odd widths, dtypes and dropout; the learned table's gradient (the sum of the
output gradient over the batch, per position) and gradcheck; the errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def _formula(max_len: int, d: int) -> np.ndarray:
    """PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(pos / 10000^(2i/d)), element by element."""
    pe = np.zeros((max_len, d))
    for pos in range(max_len):
        for j in range(d):
            two_i = j - (j % 2)
            angle = pos / 10000 ** (two_i / d)
            pe[pos, j] = np.sin(angle) if j % 2 == 0 else np.cos(angle)
    return pe


@pytest.mark.parametrize("d_model", [6, 7, 1])
def test_sinusoidal_table_is_the_formula(d_model: int) -> None:
    m = cr.nn.SinusoidalPositionalEncoding(d_model, max_len=50, dropout=0.0, dtype=cr.float64)
    np.testing.assert_allclose(m.pe.numpy(), _formula(50, d_model), rtol=1e-12, atol=1e-12)
    assert "pe" not in m.state_dict()  # a function of the hyperparameters, not a weight


@pytest.mark.parametrize("batch_first", [False, True])
def test_sinusoidal_adds_the_encoding_of_each_position(batch_first: bool) -> None:
    m = cr.nn.SinusoidalPositionalEncoding(8, max_len=20, dropout=0.0, batch_first=batch_first, dtype=cr.float64)
    x = np.random.default_rng(0).standard_normal((3, 5, 8) if batch_first else (5, 3, 8))
    pe = _formula(20, 8)[:5]
    want = x + (pe[None] if batch_first else pe[:, None])
    np.testing.assert_allclose(m(cr.tensor(x)).numpy(), want, rtol=1e-12, atol=1e-12)
    unbatched = x[0] if batch_first else x[:, 0]
    np.testing.assert_allclose(m(cr.tensor(unbatched), offset=4).numpy(), unbatched + _formula(20, 8)[4:9],
                               rtol=1e-12, atol=1e-12)


def test_sinusoidal_keeps_float32_and_passes_gradients() -> None:
    m = cr.nn.SinusoidalPositionalEncoding(4, max_len=10, dropout=0.0)
    x = cr.randn(6, 2, 4, requires_grad=True)
    y = m(x)
    assert y.dtype == cr.float32 and m.pe.dtype == cr.float32
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((6, 2, 4), dtype=np.float32))
    y64 = m(cr.randn(6, 4, dtype=cr.float64))  # a float64 input gets the table in float64
    assert y64.dtype == cr.float64


def test_sinusoidal_dropout_in_training_only() -> None:
    cr.manual_seed(0)
    m = cr.nn.SinusoidalPositionalEncoding(16, max_len=10, dropout=0.5, dtype=cr.float64)
    x = cr.zeros(10, 4, 16, dtype=cr.float64)
    y = m(x).numpy()
    pe = _formula(10, 16)[:, None]
    kept = y != 0
    assert 0.3 < kept.mean() < 0.7
    np.testing.assert_allclose(y[kept], np.broadcast_to(2 * pe, y.shape)[kept], rtol=1e-12)
    m.eval()
    np.testing.assert_allclose(m(x).numpy(), np.broadcast_to(pe, y.shape), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("batch_first", [False, True])
def test_learned_positions_add_rows_and_sum_gradients(batch_first: bool) -> None:
    m = cr.nn.LearnedPositionalEmbedding(7, 3, batch_first=batch_first, dtype=cr.float64)
    assert list(m.state_dict()) == ["weight"] and tuple(m.weight.shape) == (7, 3)
    w = m.weight.detach().numpy().copy()
    x = np.random.default_rng(1).standard_normal((2, 4, 3) if batch_first else (4, 2, 3))
    y = m(cr.tensor(x), offset=2)
    rows = w[2:6]
    np.testing.assert_allclose(y.numpy(force=True), x + (rows[None] if batch_first else rows[:, None]), rtol=1e-15)
    g = np.random.default_rng(2).standard_normal(x.shape)
    y.backward(cr.tensor(g))
    want = np.zeros((7, 3))
    want[2:6] = g.sum(axis=0 if batch_first else 1)  # each position's row gets the gradient of every sample
    np.testing.assert_allclose(m.weight.grad.numpy(), want, rtol=1e-12, atol=1e-15)


def test_learned_positions_gradcheck_and_float32() -> None:
    m = cr.nn.LearnedPositionalEmbedding(5, 2, dtype=cr.float64)
    x = cr.randn(4, 3, 2, dtype=cr.float64, requires_grad=True)
    assert cr.autograd.gradcheck(lambda x, w: m(x), (x, m.weight))
    m32 = cr.nn.LearnedPositionalEmbedding(5, 2)
    y = m32(cr.randn(3, 2))
    y.sum().backward()
    assert y.dtype == cr.float32 and m32.weight.grad.dtype == cr.float32
    # initialised as nn.Embedding: N(0, 1)
    big = cr.nn.LearnedPositionalEmbedding(200, 50).weight.detach().numpy()
    assert abs(big.mean()) < 0.05 and 0.95 < big.std() < 1.05


@pytest.mark.parametrize("cls", ["SinusoidalPositionalEncoding", "LearnedPositionalEmbedding"])
def test_positional_errors_name_layer_and_shapes(cls: str) -> None:
    m = cr.nn.SinusoidalPositionalEncoding(8, 6) if cls.startswith("Sin") else cr.nn.LearnedPositionalEmbedding(6, 8)
    with pytest.raises(ValueError, match=rf"{cls}.*max_len=6.*\(7, 2, 8\)"):
        m(cr.randn(7, 2, 8))
    with pytest.raises(ValueError, match=rf"{cls}.*\(5, 2, 4\)"):
        m(cr.randn(5, 2, 4))
    with pytest.raises(ValueError, match=rf"{cls}.*\(4, 8\)"):
        m(cr.randn(4, 8), offset=3)
    with pytest.raises(TypeError, match=cls):
        m(np.zeros((4, 8)))
