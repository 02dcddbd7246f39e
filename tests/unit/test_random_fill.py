"""In-place random fills (normal_, uniform_, bernoulli_, exponential_, geometric_, log_normal_, cauchy_, random_):
their distributions (moments and quantiles on 200,000 samples, within ~5 standard errors), dtype and storage kept,
seeding (manual_seed and generator=) reproducing them, and their behaviour in a recorded graph.

chainrule draws from NumPy's PCG64, so the numbers differ from PyTorch's; only the distributions are compared.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import pytest

import chainrule as cr

N = 200_000
SE = 1 / math.sqrt(N)  # the standard error of a mean, in units of the standard deviation


@pytest.fixture(autouse=True)
def _seeded() -> None:
    cr.manual_seed(0)  # NOTE: fixed draws, so the ~5-standard-error bounds below cannot flake


def _fill(fill: Callable[[cr.Tensor], Any], dtype: Any = cr.float64, n: int = N) -> np.ndarray:
    t = cr.empty(n, dtype=dtype)
    ptr = t.data_ptr()
    out = fill(t)
    assert out is t and t.data_ptr() == ptr, "not in place"
    assert t.dtype == dtype
    return t.numpy().astype(np.float64)


@pytest.mark.parametrize("mean,std", [(0.0, 1.0), (3.0, 0.5), (-2.0, 4.0)])
def test_normal_moments(mean: float, std: float) -> None:
    x = _fill(lambda t: t.normal_(mean, std))
    assert abs(x.mean() - mean) < 5 * std * SE
    assert abs(x.std() - std) < 5 * std * SE * math.sqrt(0.5) * 1.5
    assert abs(np.mean(np.abs(x - mean) < std) - 0.6827) < 0.005  # the one-sigma mass of a normal


@pytest.mark.parametrize("a,b", [(0.0, 1.0), (-3.0, 5.0)])
def test_uniform_moments_and_range(a: float, b: float) -> None:
    x = _fill(lambda t: t.uniform_(a, b))
    assert x.min() >= a and x.max() < b
    assert abs(x.mean() - (a + b) / 2) < 5 * (b - a) / math.sqrt(12) * SE
    assert abs(x.var() - (b - a) ** 2 / 12) < 0.01 * (b - a) ** 2 / 12
    counts = np.histogram(x, bins=10, range=(a, b))[0]
    assert np.all(np.abs(counts - N / 10) < 5 * math.sqrt(N / 10))  # flat


def test_uniform_accepts_torch_keyword_from() -> None:
    x = _fill(lambda t: t.uniform_(**{"from": 2.0, "to": 3.0}), n=1000)
    assert x.min() >= 2.0 and x.max() < 3.0


@pytest.mark.parametrize("dtype", [cr.float32, cr.int64, cr.bool])
def test_bernoulli_scalar_p(dtype: Any) -> None:
    x = _fill(lambda t: t.bernoulli_(0.3), dtype)
    assert set(np.unique(x)) <= {0.0, 1.0}
    assert abs(x.mean() - 0.3) < 5 * math.sqrt(0.3 * 0.7) * SE


def test_bernoulli_tensor_p_per_element() -> None:
    p = cr.tensor([[0.1], [0.9], [0.0], [1.0]]).expand(4, N // 4)
    t = cr.zeros(4, N // 4).bernoulli_(p)
    means = t.numpy().mean(axis=1)
    assert abs(means[0] - 0.1) < 0.01 and abs(means[1] - 0.9) < 0.01
    assert means[2] == 0.0 and means[3] == 1.0


@pytest.mark.parametrize("lambd", [1.0, 4.0])
def test_exponential_moments(lambd: float) -> None:
    x = _fill(lambda t: t.exponential_(lambd))
    assert x.min() >= 0
    assert abs(x.mean() - 1 / lambd) < 5 * SE / lambd
    assert abs(np.median(x) - math.log(2) / lambd) < 0.01 / lambd


def test_geometric_moments() -> None:
    x = _fill(lambda t: t.geometric_(0.25))
    assert x.min() == 1 and np.all(x == np.round(x))
    assert abs(x.mean() - 4.0) < 5 * math.sqrt(0.75) / 0.25 * SE  # mean 1/p, variance (1-p)/p^2
    assert abs(np.mean(x == 1) - 0.25) < 0.005


def test_log_normal_moments() -> None:
    x = _fill(lambda t: t.log_normal_(0.5, 0.25))
    assert x.min() > 0
    logs = np.log(x)
    assert abs(logs.mean() - 0.5) < 5 * 0.25 * SE and abs(logs.std() - 0.25) < 0.003
    assert abs(x.mean() - math.exp(0.5 + 0.25 ** 2 / 2)) < 0.01


def test_cauchy_quantiles() -> None:
    x = _fill(lambda t: t.cauchy_(2.0, 0.5))
    q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75])  # the quartiles of a Cauchy are median -/+ sigma
    assert abs(med - 2.0) < 0.01 and abs(q1 - 1.5) < 0.015 and abs(q3 - 2.5) < 0.015


def test_random_ranges() -> None:
    x = _fill(lambda t: t.random_(3, 8))
    assert set(np.unique(x)) == {3, 4, 5, 6, 7}
    assert abs(x.mean() - 5.0) < 5 * math.sqrt(2.0) * SE
    y = _fill(lambda t: t.random_(4), cr.int64, 1000)
    assert set(np.unique(y)) == {0, 1, 2, 3}
    z = _fill(lambda t: t.random_(), cr.float32)
    assert z.min() >= 0 and z.max() <= 2 ** 24 and np.all(z == np.round(z)) and z.max() > 2 ** 23
    b = _fill(lambda t: t.random_(), cr.bool, 1000)
    assert set(np.unique(b)) == {0.0, 1.0}


FILLS: list[tuple[str, Callable[..., Any]]] = [
    ("normal_", lambda t, **k: t.normal_(1.0, 2.0, **k)),
    ("uniform_", lambda t, **k: t.uniform_(-1.0, 1.0, **k)),
    ("bernoulli_", lambda t, **k: t.bernoulli_(0.5, **k)),
    ("exponential_", lambda t, **k: t.exponential_(2.0, **k)),
    ("geometric_", lambda t, **k: t.geometric_(0.5, **k)),
    ("log_normal_", lambda t, **k: t.log_normal_(**k)),
    ("cauchy_", lambda t, **k: t.cauchy_(**k)),
    ("random_", lambda t, **k: t.random_(0, 100, **k)),
]


@pytest.mark.parametrize("fill", [f for _, f in FILLS], ids=[n for n, _ in FILLS])
def test_seeding_reproduces(fill: Callable[..., Any]) -> None:
    cr.manual_seed(7)
    a = fill(cr.empty(50)).numpy().copy()
    cr.manual_seed(7)
    b = fill(cr.empty(50)).numpy().copy()
    np.testing.assert_array_equal(a, b)
    c = fill(cr.empty(50)).numpy()
    assert not np.array_equal(a, c), "the stream did not advance"
    # a private generator: reproducible and independent of the default stream
    cr.manual_seed(7)
    g1 = fill(cr.empty(50), generator=cr.Generator().manual_seed(3)).numpy().copy()
    after = fill(cr.empty(50)).numpy().copy()
    g2 = fill(cr.empty(50), generator=cr.Generator().manual_seed(3)).numpy()
    np.testing.assert_array_equal(g1, g2)
    np.testing.assert_array_equal(after, a)


def test_fill_writes_through_views() -> None:
    base = cr.zeros(4, 6)
    base[:, ::2].uniform_(1.0, 2.0)
    x = base.numpy()
    assert np.all(x[:, 1::2] == 0) and np.all((x[:, ::2] >= 1) & (x[:, ::2] < 2))


def test_fill_in_graph() -> None:
    x = cr.ones(5, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.normal_()
    with cr.no_grad():  # what nn.init does to parameters
        x.normal_(0.0, 0.01)
    assert x.requires_grad and x.grad_fn is None and float(x.abs().max()) < 0.1
    y = x * 2
    y.uniform_(3.0, 4.0)  # a recorded non-leaf: the samples do not depend on x
    assert y.requires_grad and float(y.min()) >= 3.0
    (y * y).sum().backward()
    assert x.grad is not None and not x.grad.numpy().any()
    z = cr.tensor([float("inf"), 1.0], requires_grad=True) * 1
    z.normal_()
    assert np.isfinite(z.detach().numpy()).all()  # inf must not leak through the recorded fill
