"""Stochastic pooling (Zeiler & Fergus, 2013), which PyTorch lacks, against a plain NumPy reference written here:
the evaluation formula sum(a^2) / sum(a) exactly, gradcheck of the evaluation path, the training draws (each output
is a positive element of its window, the gradient reaches exactly that element, pick frequencies match
p_i = a_i / sum(a) by a chi-square test), reproducibility with chainrule.manual_seed, and float32."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F


def _reference_eval(x: np.ndarray, k: tuple[int, int], s: tuple[int, int]) -> np.ndarray:
    """sum_i p_i a_i with a = max(x, 0), p_i = a_i / sum(a), window by window (0 for an all-zero window)."""
    n, c, h, w = x.shape
    oh, ow = (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1
    out = np.zeros((n, c, oh, ow), dtype=x.dtype)
    for b in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    a = np.maximum(x[b, ch, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1]], 0)
                    total = a.sum()
                    out[b, ch, i, j] = (a * (a / total)).sum() if total > 0 else 0.0
    return out


CASES = [((2, 3, 6, 6), 2, None), ((1, 2, 7, 5), (3, 2), (2, 1)), ((2, 1, 5, 5), 2, 3), ((3, 5, 4), 2, 1)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape,k,s", CASES, ids=str)
def test_eval_is_the_expectation(shape: tuple[int, ...], k: int | tuple[int, int], s: int | None, dtype: str) -> None:
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    x[..., :2, :2] = -1.0  # an all-negative window: output 0
    y = F.stochastic_pool2d(cr.tensor(x), k, s, training=False)
    kk = k if isinstance(k, tuple) else (k, k)
    ss = kk if s is None else (s if isinstance(s, tuple) else (s, s))
    x4 = x if x.ndim == 4 else x[None]
    ref = _reference_eval(x4, kk, ss)
    ref = ref if x.ndim == 4 else ref[0]
    assert y.dtype == getattr(cr, dtype)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12 if dtype == "float64" else 1e-5, atol=1e-12)
    m = cr.nn.StochasticPool2d(k, s).eval()
    np.testing.assert_array_equal(m(cr.tensor(x)).numpy(), y.numpy())


@pytest.mark.parametrize("k,s", [(2, None), ((2, 3), 1)], ids=str)
def test_eval_gradcheck(k: int | tuple[int, int], s: int | None) -> None:
    # positive inputs away from 0 (the relu kink) plus negative ones whose gradient is 0
    a = np.random.default_rng(1).uniform(0.2, 2.0, (1, 2, 4, 5))
    a[0, 0, 0, 0] = -0.7
    x = cr.tensor(a, requires_grad=True)
    assert cr.autograd.gradcheck(lambda t: F.stochastic_pool2d(t, k, s, training=False), (x,))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_training_picks_a_positive_element_and_routes_the_gradient_to_it(dtype: str) -> None:
    rng = np.random.default_rng(2)
    a = rng.standard_normal((4, 3, 6, 6)).astype(dtype)
    a[0, 0, :2, :2] = 0.0  # an all-zero window
    x = cr.tensor(a, requires_grad=True)
    cr.manual_seed(0)
    y = F.stochastic_pool2d(x, 2)
    assert y.dtype == x.dtype
    g = rng.uniform(1, 2, tuple(y.shape)).astype(dtype)
    y.backward(cr.tensor(g))
    assert x.grad.dtype == x.dtype
    win = np.maximum(a, 0).reshape(4, 3, 3, 2, 3, 2).transpose(0, 1, 2, 4, 3, 5)
    gwin = x.grad.numpy().reshape(4, 3, 3, 2, 3, 2).transpose(0, 1, 2, 4, 3, 5)
    yv = y.detach().numpy()
    for idx in np.ndindex(yv.shape):
        w, gw = win[idx], gwin[idx]
        if w.sum() == 0:
            assert yv[idx] == 0 and not gw.any()
            continue
        (hit,) = np.flatnonzero(gw)  # exactly one element gets the gradient ...
        assert gw.flat[hit] == g[idx] and w.flat[hit] > 0 and yv[idx] == w.flat[hit]  # ... the positive one output


def test_pick_frequencies_follow_p() -> None:
    window = np.array([[0.1, 0.2, 0.0], [0.3, -0.5, 0.4]])  # p = (0.1, 0.2, 0, 0.3, 0, 0.4)
    draws = 20000
    x = cr.tensor(np.broadcast_to(window, (draws, 1, 2, 3)).copy())
    cr.manual_seed(3)
    y = F.stochastic_pool2d(x, (2, 3)).numpy().ravel()
    values = np.array([0.1, 0.2, 0.3, 0.4])
    counts = np.array([(y == v).sum() for v in values])
    assert counts.sum() == draws  # never the zero or the negative element
    expected = draws * values / values.sum()
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 21.1  # 3 degrees of freedom: P(chi2 > 21.1) ~ 1e-4 under the hypothesis


def test_draws_are_reproducible_with_manual_seed_and_generator() -> None:
    x = cr.rand(2, 4, 8, 8)
    cr.manual_seed(5)
    a = F.stochastic_pool2d(x, 2).numpy()
    cr.manual_seed(5)
    b = cr.nn.StochasticPool2d(2)(x).numpy()
    np.testing.assert_array_equal(a, b)
    gen = cr.Generator().manual_seed(9)
    c = F.stochastic_pool2d(x, 2, generator=gen).numpy()
    d = F.stochastic_pool2d(x, 2, generator=cr.Generator().manual_seed(9)).numpy()
    np.testing.assert_array_equal(c, d)
    assert not np.array_equal(F.stochastic_pool2d(x, 2, generator=gen).numpy(), c)  # the stream moved on


def test_stochastic_pool_errors() -> None:
    with pytest.raises(RuntimeError, match=r"stochastic_pool2d.*\(4, 4\)"):
        F.stochastic_pool2d(cr.rand(4, 4), 2)
    with pytest.raises(RuntimeError, match=r"stochastic_pool2d.*too small"):
        F.stochastic_pool2d(cr.rand(1, 1, 2, 2), 3)
    with pytest.raises(RuntimeError, match=r"stochastic_pool2d: stride"):
        F.stochastic_pool2d(cr.rand(1, 1, 4, 4), 2, 0)
