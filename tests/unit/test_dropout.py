"""Dropout: inverted scaling in training, identity in evaluation, the mask's statistics, edge probabilities,
validation and reproducibility from the default generator."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F


def test_training_zeroes_and_scales_and_backprops_through_the_mask() -> None:
    x = cr.randn(50, 40, requires_grad=True)
    y = F.dropout(x, p=0.3)
    a, out = x.detach().numpy(), y.detach().numpy()
    kept = out != 0
    np.testing.assert_allclose(out[kept], a[kept] / 0.7, rtol=1e-6)
    g = np.random.default_rng(0).normal(size=a.shape).astype(np.float32)
    y.backward(cr.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, g / 0.7, 0), rtol=1e-6)
    assert y.dtype == x.grad.dtype == cr.float32


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_mask_fraction_and_mean_are_unbiased(p: float) -> None:
    n = 200_000
    y = F.dropout(cr.ones(n, dtype=cr.float64), p=p).numpy()
    frac = (y == 0).mean()
    # binomial standard error sqrt(p(1-p)/n) <= 0.0012: 5 of them
    assert abs(frac - p) < 5 * np.sqrt(p * (1 - p) / n)
    assert abs(y.mean() - 1.0) < 5 * np.sqrt(p / (1 - p) / n)
    assert set(np.unique(y)) <= {0.0, 1 / (1 - p)}


def test_eval_and_p0_return_the_input_itself() -> None:
    x = cr.randn(3, 4)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    m = cr.nn.Dropout(0.5)
    m.eval()
    assert m(x) is x
    m.train()
    assert m(x) is not x


def test_p1_gives_zeros_and_zero_gradient() -> None:
    x = cr.randn(3, 4, requires_grad=True)
    y = F.dropout(x, 1.0)
    ty = torch.nn.functional.dropout(torch.randn(3, 4), 1.0)
    assert (y.detach().numpy() == 0).all() and (ty == 0).all()
    y.sum().backward()
    assert (x.grad.numpy() == 0).all()


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan")])
def test_invalid_p_raises_like_torch(p: float) -> None:
    with pytest.raises(ValueError) as e:
        F.dropout(cr.randn(2), p)
    assert str(e.value) == f"dropout probability has to be between 0 and 1, but got {p}"
    if p == p:  # torch lets nan through
        with pytest.raises(ValueError, match=str(e.value)):
            torch.nn.functional.dropout(torch.randn(2), p)
    with pytest.raises(ValueError, match="dropout probability"):
        cr.nn.Dropout(p)


def test_reproducible_with_manual_seed_and_independent_draws() -> None:
    cr.manual_seed(123)
    a = F.dropout(cr.ones(1000)).numpy()
    b = F.dropout(cr.ones(1000)).numpy()
    cr.manual_seed(123)
    c = F.dropout(cr.ones(1000)).numpy()
    assert np.array_equal(a, c)
    assert not np.array_equal(a, b)


def test_inplace() -> None:
    x = cr.randn(6, 7, requires_grad=True)
    h = x * 1.0
    before = h.detach().numpy().copy()
    out = F.dropout(h, 0.5, inplace=True)
    assert out is h
    kept = h.detach().numpy() != 0
    np.testing.assert_allclose(h.detach().numpy()[kept], before[kept] * 2, rtol=1e-6)
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, 2.0, 0.0))
    z = cr.ones(5)
    F.dropout(z, 0.5, inplace=True)
    assert set(np.unique(z.numpy())) <= {0.0, 2.0}


def test_module_repr_and_float64() -> None:
    assert repr(cr.nn.Dropout()) == repr(torch.nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
    assert repr(cr.nn.Dropout(0.2, inplace=True)) == repr(torch.nn.Dropout(0.2, inplace=True))
    y = cr.nn.Dropout(0.25)(cr.ones(4, dtype=cr.float64))
    assert y.dtype == cr.float64
    assert set(np.unique(y.numpy())) <= {0.0, 1 / 0.75}
