"""Activations (functional and module forms) against PyTorch: values, input gradients and parameter gradients in
float64 and float32, at and around the kinks and at large magnitudes; in-place forms; reprs; errors."""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.ops.activation import erf
from tests.helpers import assert_close

DTYPES = ["float64", "float32"]

# the kinks and thresholds of the activations below (0, +-1, 6, softplus's 20 and 20/beta), points next to them,
# and magnitudes where a naive exp overflows
SPECIAL = [-1e4, -800.0, -100.0, -20.0001, -20.0, -10.0, -6.0, -5.0, -3.0, -2.0, -1.0001, -1.0, -0.9999, -0.5, -1e-3,
           -1e-8, -0.0, 0.0, 1e-8, 1e-3, 0.5, 0.9999, 1.0, 1.0001, 2.0, 3.0, 5.0, 5.9999, 6.0, 6.0001, 9.9999, 10.0,
           10.0001, 20.0, 20.0001, 40.0, 100.0, 800.0, 1e4]


def _inputs(dtype: str) -> np.ndarray:
    """The special points and random ones: 162 values, so that softmax can view them as (18, 9)."""
    rng = np.random.default_rng(7)
    return np.concatenate([np.array(SPECIAL), rng.normal(size=80) * 3.0, rng.normal(size=43)]).astype(dtype)


# name -> fn(F, x) for F in (chainrule.nn.functional, torch.nn.functional)
CASES: dict[str, Callable[[Any, Any], Any]] = {
    "sigmoid": lambda F, x: F.sigmoid(x),
    "tanh": lambda F, x: F.tanh(x),
    "relu": lambda F, x: F.relu(x),
    "relu6": lambda F, x: F.relu6(x),
    "leaky_relu": lambda F, x: F.leaky_relu(x),
    "leaky_relu_0.2": lambda F, x: F.leaky_relu(x, 0.2),
    "leaky_relu_neg": lambda F, x: F.leaky_relu(x, negative_slope=-0.5),
    "elu": lambda F, x: F.elu(x),
    "elu_alpha": lambda F, x: F.elu(x, alpha=0.3),
    "selu": lambda F, x: F.selu(x),
    "gelu": lambda F, x: F.gelu(x),
    "gelu_tanh": lambda F, x: F.gelu(x, approximate="tanh"),
    "silu": lambda F, x: F.silu(x),
    "softplus": lambda F, x: F.softplus(x),
    "softplus_beta": lambda F, x: F.softplus(x, beta=2.0, threshold=10.0),
    "softplus_small_thr": lambda F, x: F.softplus(x, beta=0.5, threshold=1.0),
    "hardtanh": lambda F, x: F.hardtanh(x),
    "hardtanh_bounds": lambda F, x: F.hardtanh(x, -2.0, 3.0),
    "hardtanh_point": lambda F, x: F.hardtanh(x, 1.0, 1.0),
    "softmax": lambda F, x: F.softmax(x.reshape(-1, 9) / 50, dim=1),
    "softmax_dim0": lambda F, x: F.softmax(x.reshape(-1, 9), dim=0),
    "log_softmax": lambda F, x: F.log_softmax(x.reshape(-1, 9), dim=-1),
}


def _run(fn: Callable[[Any, Any], Any], dtype: str) -> None:
    a = _inputs(dtype)
    g = np.random.default_rng(3).normal(size=a.shape).astype(dtype)
    x, tx = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, ty = fn(F, x), fn(TF, tx)
    assert_close(y, ty, "fwd", dtype)
    y.backward(cr.tensor(g).reshape(y.shape))
    ty.backward(torch.tensor(g).reshape(ty.shape))
    assert x.grad.dtype == x.dtype
    assert_close(x.grad, tx.grad, "grad", dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(CASES))
def test_activation_matches_torch(name: str, dtype: str) -> None:
    _run(CASES[name], dtype)


@pytest.mark.parametrize("name", ["relu", "relu6", "leaky_relu", "elu", "selu", "silu", "hardtanh"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_inplace_matches_torch(name: str, dtype: str) -> None:
    """``inplace=True`` on a non-leaf returns the same tensor, holds the result, and backpropagates like torch."""
    a = _inputs(dtype)
    x, tx = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    h, th = x * 2.0, tx * 2.0
    out, tout = getattr(F, name)(h, inplace=True), getattr(TF, name)(th, inplace=True)
    assert out is h
    assert_close(h, th, "fwd", dtype)
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    assert_close(x.grad, tx.grad, "grad", dtype)


@pytest.mark.parametrize("name", ["relu_", "elu_", "leaky_relu_", "hardtanh_"])
def test_underscore_forms_write_in_place(name: str) -> None:
    a = _inputs("float64")
    x, tx = cr.tensor(a), torch.tensor(a)
    assert getattr(F, name)(x) is x
    getattr(TF, name)(tx)
    assert_close(x, tx)


def test_inplace_on_a_leaf_that_requires_grad_raises() -> None:
    with pytest.raises(RuntimeError, match="leaf Variable"):
        F.elu(cr.randn(3, requires_grad=True), inplace=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,c", [((4, 3), 3), ((4, 3, 5), 3), ((2, 3, 4, 5), 3), ((4, 3), 1), ((7,), 1), ((), 1)])
def test_prelu_matches_torch(shape: tuple[int, ...], c: int, dtype: str) -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(size=shape).astype(dtype)
    if a.size > 2:
        a.reshape(-1)[:2] = 0.0  # the kink
    w = rng.uniform(-0.5, 0.5, size=c).astype(dtype)
    x, tx = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    wt, twt = cr.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    y, ty = F.prelu(x, wt), TF.prelu(tx, twt)
    assert_close(y, ty, "fwd", dtype)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    assert_close(x.grad, tx.grad, "grad", dtype)
    assert_close(wt.grad, twt.grad, "grad", dtype)


def test_prelu_channel_mismatch() -> None:
    with pytest.raises(RuntimeError, match="parameter numbers = 3 and channel size = 4"):
        F.prelu(cr.randn(2, 4), cr.ones(3))


# -------------------------------------------------------------------------------------------------------- modules
MODULES: list[Callable[[Any], Any]] = [
    lambda nn: nn.Sigmoid(), lambda nn: nn.Tanh(), lambda nn: nn.ReLU(), lambda nn: nn.ReLU(inplace=True),
    lambda nn: nn.ReLU6(), lambda nn: nn.ReLU6(True), lambda nn: nn.LeakyReLU(), lambda nn: nn.LeakyReLU(0.2, True),
    lambda nn: nn.PReLU(), lambda nn: nn.PReLU(4, init=0.1), lambda nn: nn.ELU(), lambda nn: nn.ELU(0.5, inplace=True),
    lambda nn: nn.SELU(), lambda nn: nn.SELU(inplace=True), lambda nn: nn.GELU(), lambda nn: nn.GELU("tanh"),
    lambda nn: nn.SiLU(), lambda nn: nn.SiLU(inplace=True), lambda nn: nn.Softplus(),
    lambda nn: nn.Softplus(beta=2, threshold=5), lambda nn: nn.Hardtanh(), lambda nn: nn.Hardtanh(-2, 2),
    lambda nn: nn.Hardtanh(-0.5, 0.5, inplace=True), lambda nn: nn.Softmax(dim=1), lambda nn: nn.Softmax(-1),
    lambda nn: nn.LogSoftmax(dim=1),
]


@pytest.mark.parametrize("make", MODULES, ids=[repr(m(torch.nn)) for m in MODULES])
def test_module_repr_forward_and_grads_match_torch(make: Callable[[Any], Any]) -> None:
    m, tm = make(cr.nn), make(torch.nn)
    assert repr(m) == repr(tm)
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == [(n, tuple(p.shape))
                                                                      for n, p in tm.named_parameters()]
    a = np.random.default_rng(2).normal(size=(5, 4, 3)) * 3
    x, tx = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    m.double(), tm.double()
    y, ty = m(x * 1.0), tm(tx * 1.0)
    assert_close(y, ty)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    assert_close(x.grad, tx.grad, "grad")
    for (_, p), (_, tp) in zip(m.named_parameters(), tm.named_parameters()):
        assert_close(p.grad, tp.grad, "grad")


def test_prelu_module_default_dtype_and_state_dict_keys() -> None:
    m = cr.nn.PReLU(3)
    assert m.weight.dtype == cr.float32 and m.weight.requires_grad
    assert list(m.state_dict()) == list(torch.nn.PReLU(3).state_dict())


# ----------------------------------------------------------------------------------------------------- boundaries
def test_errors_like_torch() -> None:
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(cr.randn(3), 2.0, 1.0)
    with pytest.raises(ValueError, match=r"max_val \(1\) must be greater than min_val \(2\)"):
        cr.nn.Hardtanh(2, 1)
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(cr.randn(3), approximate="fast")
    with pytest.raises(RuntimeError, match="expected a floating point tensor"):
        F.elu(cr.tensor([1, 2]))


@pytest.mark.parametrize("ndim", [1, 2, 3, 4])
def test_softmax_implicit_dim_warns_and_picks_torchs_dim(ndim: int) -> None:
    a = np.random.default_rng(0).normal(size=(2, 3, 4, 5)[:ndim])
    for fn in ("softmax", "log_softmax"):
        with pytest.warns(UserWarning, match="Implicit dimension choice"):
            y = getattr(F, fn)(cr.tensor(a))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ty = getattr(TF, fn)(torch.tensor(a))
        assert_close(y, ty)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_dtype_argument(fn: str) -> None:
    a = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    y = getattr(F, fn)(cr.tensor(a), dim=1, dtype=cr.float64)
    ty = getattr(TF, fn)(torch.tensor(a), dim=1, dtype=torch.float64)
    assert_close(y, ty)


@pytest.mark.parametrize("name", ["sigmoid", "softplus", "gelu", "gelu_tanh", "silu", "elu", "selu"])
def test_stable_at_extreme_magnitudes(name: str) -> None:
    """No nan or overflow warning at +-1e30 and +-inf-adjacent values, and the same results as torch."""
    a = np.array([-1e300, -1e30, -1e4, 1e4, 1e30, 1e300])
    x, tx = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = CASES[name](F, x)
        y.sum().backward()
    ty = CASES[name](TF, tx)
    ty.sum().backward()
    assert_close(y, ty)
    # NOTE: torch's tanh-GELU gradient is 0 * inf = nan at |x| = 1e300; chainrule's is the limit, finite
    assert np.isfinite(x.grad.numpy()).all()
    ok = np.isfinite(tx.grad.numpy())
    assert_close(x.grad.numpy()[ok], tx.grad.numpy()[ok], "grad")


def test_float32_stays_float32() -> None:
    x = cr.randn(18, 9, requires_grad=True)
    for name, fn in CASES.items():
        y = fn(F, x)
        assert y.dtype == cr.float32, name
        y.sum().backward()
        assert x.grad.dtype == cr.float32, name
        x.grad = None


# ------------------------------------------------------------------------------------------------------------ erf
def test_erf_float64_to_the_last_ulp() -> None:
    rng = np.random.default_rng(0)
    a = np.concatenate([rng.normal(size=20000) * 2, rng.uniform(-8, 8, 20000), np.linspace(-7, 7, 14001),
                        10.0 ** rng.uniform(-300, 1.5, 2000) * rng.choice([-1, 1], 2000),
                        [0.0, -0.0, 0.84375, -0.84375, 1.25, 1 / 0.35, 6.0, -6.0, 28.0, 1e-310, np.inf, -np.inf]])
    ref = np.array([math.erf(v) for v in a])
    ours = erf(a)
    assert ours.dtype == np.float64
    np.testing.assert_allclose(ours, ref, rtol=3e-16, atol=0)
    assert np.array_equal(np.signbit(ours), np.signbit(ref))
    assert np.isnan(erf(np.array([np.nan, 1.0])))[0]
    np.testing.assert_allclose(ours, torch.special.erf(torch.from_numpy(a)).numpy(), rtol=1e-15, atol=0)


def test_erf_float32_and_float16() -> None:
    a = np.linspace(-6, 6, 30001, dtype=np.float32)
    ref = np.array([math.erf(float(v)) for v in a])
    ours = erf(a)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-6)
    h = erf(a.astype(np.float16))
    assert h.dtype == np.float16
    np.testing.assert_allclose(h, ref, rtol=0, atol=2e-3)
    assert erf(np.array(0.5)).shape == ()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_and_where_backward_pass_special_values_as_torch(dtype: type) -> None:
    """ReLU's and where's backward select g by a bit-pattern multiply (ops.elementwise.keep_where): an inf or nan of
    the incoming gradient must still give exactly +0 where the input was cut, and a nan input must pass g on."""
    x = np.array([[np.nan, -0.0, 0.0, -1.5, 2.0, np.inf, -np.inf, 3.0]], dtype=dtype)
    g = np.array([[1.0, np.inf, np.nan, -np.inf, np.nan, 2.0, np.inf, -0.0]], dtype=dtype)
    xs, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    xs.relu().backward(cr.tensor(g))
    xt.relu().backward(torch.tensor(g))
    np.testing.assert_array_equal(xs.grad.numpy(), xt.grad.numpy())
    assert np.array_equal(np.signbit(xs.grad.numpy()), np.signbit(xt.grad.numpy()))
    a, b = (np.stack([x[0], x[0][::-1]]) for _ in range(2))
    cond = np.array([[True, False] * 4, [False, True] * 4])
    gg = np.stack([g[0], g[0][::-1]])
    sa, sb = cr.tensor(a, requires_grad=True), cr.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    cr.where(cr.tensor(cond), sa, sb).backward(cr.tensor(gg))
    torch.where(torch.tensor(cond), ta, tb).backward(torch.tensor(gg))
    np.testing.assert_array_equal(sa.grad.numpy(), ta.grad.numpy())
    np.testing.assert_array_equal(sb.grad.numpy(), tb.grad.numpy())
    assert sa.grad.dtype == cr.float32 if dtype == np.float32 else sa.grad.dtype == cr.float64
