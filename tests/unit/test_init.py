"""nn.init against torch.nn.init: gains and fans exactly; each random initialiser keeps the tensor (object, shape,
dtype, storage) and draws from the distribution PyTorch's formula gives, checked by its statistics on a large tensor
against the formula and against torch's own draw; deterministic initialisers equal torch's exactly; the default
initialisation of Linear and Embedding matches torch's."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn import init

NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                  "sigmoid", "tanh", "relu", "leaky_relu", "selu"]


@pytest.mark.parametrize("name", NONLINEARITIES)
def test_calculate_gain_equals_torch(name: str) -> None:
    assert init.calculate_gain(name) == torch.nn.init.calculate_gain(name)


@pytest.mark.parametrize("param", [None, 0.2, 0, 1, 3, 0.01])
def test_calculate_gain_leaky_relu_param(param: Any) -> None:
    assert init.calculate_gain("leaky_relu", param) == torch.nn.init.calculate_gain("leaky_relu", param)


@pytest.mark.parametrize("args", [("leaky_relu", True), ("leaky_relu", "0.2"), ("swish",), ("ReLU",)], ids=str)
def test_calculate_gain_invalid(args: tuple[Any, ...]) -> None:
    with pytest.raises(ValueError) as theirs:
        torch.nn.init.calculate_gain(*args)
    with pytest.raises(ValueError) as ours:
        init.calculate_gain(*args)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("shape", [(3, 5), (7, 1), (8, 4, 3, 3), (2, 3, 4, 5, 6), (6, 2, 5)], ids=str)
def test_fans_equal_torch(shape: tuple[int, ...]) -> None:
    assert init._calculate_fan_in_and_fan_out(cr.empty(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    for mode in ("fan_in", "fan_out", "FAN_OUT"):
        assert init._calculate_correct_fan(cr.empty(*shape), mode) == \
            torch.nn.init._calculate_correct_fan(torch.empty(*shape), mode)


def test_fan_errors() -> None:
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(cr.empty(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(cr.empty(3, 4), mode="fan_avg")
    with pytest.raises(ValueError):
        torch.nn.init.kaiming_uniform_(torch.empty(3, 4), mode="fan_avg")


# ----------------------------------------------------------------- random initialisers: statistics
def _trunc_stats(mean: float, std: float, a: float, b: float) -> tuple[float, float]:
    """Mean and standard deviation of N(mean, std^2) truncated to [a, b]."""
    al, be = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi) if math.isfinite(x) else 0.0  # noqa: E731
    cdf = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2  # noqa: E731
    z = cdf(be) - cdf(al)
    xpdf = lambda x: x * pdf(x) if math.isfinite(x) else 0.0  # noqa: E731
    m = (pdf(al) - pdf(be)) / z
    var = 1 + (xpdf(al) - xpdf(be)) / z - m * m
    return mean + std * m, std * math.sqrt(var)


@dataclass
class Dist:
    """An initialiser call and the distribution PyTorch's formula says it draws from."""

    name: str
    fn: str
    shape: tuple[int, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    mean: float = 0.0
    std: float = 1.0
    lo: float = -math.inf  # support bounds: every value inside, and (for uniforms) values close to both ends
    hi: float = math.inf
    torch_fn: str | None = None  # torch's spelling when it differs (lecun has no torch counterpart)
    torch_kwargs: dict[str, Any] | None = None


def _kaiming(gain: float, fan: int) -> float:
    return gain / math.sqrt(fan)


# fan_in = 400 * 3 * 3 = 3600, fan_out = 250 * 9 = 2250 for the 4-D shape
CONV = (250, 400, 3, 3)
B_SQRT5 = math.sqrt(3) * _kaiming(math.sqrt(2 / 6), 400)
TRUNC_A = _trunc_stats(0.5, 2.0, -1.0, 3.0)
TRUNC_B = _trunc_stats(0.0, 1.0, 1.0, 3.0)  # 15.7% of the mass: the uniform-proposal branch
DISTS = [
    Dist("uniform", "uniform_", (1000, 1000), dict(a=-2.0, b=3.0), mean=0.5, std=5 / math.sqrt(12), lo=-2.0, hi=3.0),
    Dist("uniform_default", "uniform_", (1000, 1000), mean=0.5, std=1 / math.sqrt(12), lo=0.0, hi=1.0),
    Dist("normal", "normal_", (1000, 1000), dict(mean=1.5, std=0.3), mean=1.5, std=0.3),
    Dist("normal_default", "normal_", (1000, 1000)),
    Dist("trunc_normal", "trunc_normal_", (1000, 1000), dict(mean=0.5, std=2.0, a=-1.0, b=3.0), mean=TRUNC_A[0],
         std=TRUNC_A[1], lo=-1.0, hi=3.0),
    Dist("trunc_normal_default", "trunc_normal_", (1000, 1000), mean=0.0, std=_trunc_stats(0, 1, -2, 2)[1], lo=-2,
         hi=2),
    Dist("trunc_normal_tail", "trunc_normal_", (300, 300), dict(a=1.0, b=3.0), mean=TRUNC_B[0], std=TRUNC_B[1],
         lo=1.0, hi=3.0),
    Dist("xavier_uniform", "xavier_uniform_", (600, 400), dict(gain=2.0), std=2 * math.sqrt(2 / 1000),
         lo=-2 * math.sqrt(6 / 1000), hi=2 * math.sqrt(6 / 1000)),
    Dist("xavier_uniform_conv", "xavier_uniform_", CONV, std=math.sqrt(2 / 5850), lo=-math.sqrt(6 / 5850),
         hi=math.sqrt(6 / 5850)),
    Dist("xavier_normal", "xavier_normal_", (600, 400), dict(gain=0.5), std=0.5 * math.sqrt(2 / 1000)),
    # the default a=0 with 'leaky_relu' is the ReLU gain sqrt(2)
    Dist("kaiming_uniform_default", "kaiming_uniform_", (1000, 400), std=_kaiming(math.sqrt(2), 400),
         lo=-math.sqrt(3) * _kaiming(math.sqrt(2), 400), hi=math.sqrt(3) * _kaiming(math.sqrt(2), 400)),
    Dist("kaiming_uniform_sqrt5", "kaiming_uniform_", (1000, 400), dict(a=math.sqrt(5)), std=B_SQRT5 / math.sqrt(3),
         lo=-B_SQRT5, hi=B_SQRT5),
    Dist("kaiming_uniform_fan_out_relu", "kaiming_uniform_", CONV, dict(mode="fan_out", nonlinearity="relu"),
         std=_kaiming(math.sqrt(2), 2250), lo=-math.sqrt(3) * _kaiming(math.sqrt(2), 2250),
         hi=math.sqrt(3) * _kaiming(math.sqrt(2), 2250)),
    Dist("kaiming_normal_relu", "kaiming_normal_", (1000, 400), dict(nonlinearity="relu"),
         std=_kaiming(math.sqrt(2), 400)),
    Dist("kaiming_normal_fan_out", "kaiming_normal_", CONV, dict(mode="fan_out"),
         std=_kaiming(math.sqrt(2), 2250)),
    Dist("kaiming_normal_leaky", "kaiming_normal_", (1000, 400), dict(a=0.2, nonlinearity="leaky_relu"),
         std=_kaiming(math.sqrt(2 / 1.04), 400)),
    Dist("kaiming_normal_tanh", "kaiming_normal_", CONV, dict(nonlinearity="tanh"), std=_kaiming(5 / 3, 3600)),
    Dist("lecun_normal", "lecun_normal_", CONV, std=1 / math.sqrt(3600), torch_fn="kaiming_normal_",
         torch_kwargs=dict(nonlinearity="linear")),
    Dist("lecun_uniform", "lecun_uniform_", (1000, 400), std=1 / math.sqrt(400), lo=-math.sqrt(3 / 400),
         hi=math.sqrt(3 / 400), torch_fn="kaiming_uniform_", torch_kwargs=dict(nonlinearity="linear")),
]


def _check_stats(values: np.ndarray, d: Dist, who: str) -> None:
    v = values.astype(np.float64).ravel()
    n = v.size
    # sampling error: the mean within 6 standard errors, the std within 1.5%
    assert abs(v.mean() - d.mean) < 6 * d.std / math.sqrt(n) + 1e-12, f"{who}: mean {v.mean()} vs {d.mean}"
    assert v.std() == pytest.approx(d.std, rel=0.015), f"{who}: std {v.std()} vs {d.std}"
    assert v.min() >= d.lo - 1e-6 and v.max() <= d.hi + 1e-6, f"{who}: values outside [{d.lo}, {d.hi}]"
    width = d.hi - d.lo
    if math.isfinite(width) and d.fn in ("uniform_", "xavier_uniform_", "kaiming_uniform_", "lecun_uniform_"):
        # the gap between a bound and the extreme of n uniform draws exceeds 20 width / n with probability e^-20
        gap = 20 * width / n
        assert v.min() < d.lo + gap and v.max() > d.hi - gap, f"{who}: bounds not reached"


@pytest.mark.parametrize("d", DISTS, ids=lambda d: d.name)
def test_random_initialiser_statistics_match_formula_and_torch(d: Dist) -> None:
    t = cr.empty(*d.shape)
    out = getattr(init, d.fn)(t, **d.kwargs)
    assert out is t and t.shape == d.shape and t.dtype == cr.float32
    _check_stats(t.numpy(), d, "chainrule")
    torch.manual_seed(0)
    tt = torch.empty(*d.shape)
    getattr(torch.nn.init, d.torch_fn or d.fn)(tt, **(d.kwargs if d.torch_kwargs is None else d.torch_kwargs))
    _check_stats(tt.numpy(), d, "torch")  # the formula above is PyTorch's
    ours, theirs = t.numpy().astype(np.float64), tt.numpy().astype(np.float64)
    assert ours.std() == pytest.approx(theirs.std(), rel=0.02)


@pytest.mark.parametrize("d", DISTS[::3], ids=lambda d: d.name)
def test_random_initialiser_keeps_dtype_storage_and_graph(d: Dist) -> None:
    p = cr.nn.Parameter(cr.zeros(*d.shape[:2], dtype=cr.float64))
    ptr = p.data_ptr()
    getattr(init, d.fn)(p, **d.kwargs)
    assert p.dtype == cr.float64 and p.data_ptr() == ptr
    assert p.is_leaf and p.requires_grad and p.grad_fn is None
    assert p.numpy(force=True).std() > 0


@pytest.mark.parametrize("fn", ["uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "kaiming_normal_",
                                "orthogonal_", "lecun_normal_"])
def test_generator_makes_draws_reproducible(fn: str) -> None:
    a, b, c = cr.empty(20, 30), cr.empty(20, 30), cr.empty(20, 30)
    getattr(init, fn)(a, generator=cr.Generator().manual_seed(7))
    getattr(init, fn)(b, generator=cr.Generator().manual_seed(7))
    getattr(init, fn)(c, generator=cr.Generator().manual_seed(8))
    assert np.array_equal(a.numpy(), b.numpy()) and not np.array_equal(a.numpy(), c.numpy())
    cr.manual_seed(3)
    getattr(init, fn)(a)
    cr.manual_seed(3)
    getattr(init, fn)(b)
    assert np.array_equal(a.numpy(), b.numpy())


def test_trunc_normal_infinite_bound_and_warning() -> None:
    t = init.trunc_normal_(cr.empty(500, 400, dtype=cr.float64), a=1.0, b=math.inf)
    mean, std = _trunc_stats(0.0, 1.0, 1.0, math.inf)
    _check_stats(t.numpy(), Dist("tail", "trunc_normal_", (500, 400), mean=mean, std=std, lo=1.0), "chainrule")
    with pytest.warns(UserWarning, match="more than 2 std"):
        init.trunc_normal_(cr.empty(10), mean=5.0, a=-1.0, b=1.0)


def test_kaiming_zero_element_warns_like_torch() -> None:
    with pytest.warns(UserWarning, match="zero-element"):
        torch.nn.init.kaiming_uniform_(torch.empty(0, 3))
    for fn in (init.kaiming_uniform_, init.kaiming_normal_):
        with pytest.warns(UserWarning, match="zero-element"):
            assert fn(cr.empty(0, 3)).shape == (0, 3)


# ----------------------------------------------------------------- structured and constant initialisers
@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (6, 2, 2), (1, 7)], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_orthogonal(shape: tuple[int, ...], dtype: str) -> None:
    gain = 1.7
    w = init.orthogonal_(cr.empty(*shape, dtype=getattr(cr, dtype)), gain=gain)
    assert w.shape == shape and w.dtype == getattr(cr, dtype)
    m = w.numpy().reshape(shape[0], -1).astype(np.float64) / gain
    tw = torch.nn.init.orthogonal_(torch.empty(*shape, dtype=torch.float64), gain=gain).numpy()
    tm = tw.reshape(shape[0], -1) / gain
    tol = 1e-5 if dtype == "float32" else 1e-12
    small = min(m.shape)
    for mat in (m, tm):  # rows orthonormal when there are fewer rows than columns, columns otherwise
        gram = mat @ mat.T if mat.shape[0] <= mat.shape[1] else mat.T @ mat
        np.testing.assert_allclose(gram, np.eye(small), atol=tol)


def test_orthogonal_is_haar_distributed() -> None:
    # with the sign correction the first entry of a Haar orthogonal matrix is symmetric around 0 (without it, QR's
    # convention makes R's diagonal positive and biases Q); the mean over many draws is close to 0 for both
    # for a 3x3 Haar matrix an entry is a coordinate of a uniform point on the sphere: mean 0, variance 1/3.
    # Without the sign correction LAPACK's Householder QR makes Q[0, 0] always negative (mean -1/2).
    torch.manual_seed(0)
    firsts = np.array([init.orthogonal_(cr.empty(3, 3, dtype=cr.float64)).numpy()[0, 0] for _ in range(600)])
    tfirsts = np.array([torch.nn.init.orthogonal_(torch.empty(3, 3, dtype=torch.float64))[0, 0].item()
                        for _ in range(600)])
    for f in (firsts, tfirsts):  # 4 standard errors
        assert abs(f.mean()) < 0.1 and f.var() == pytest.approx(1 / 3, rel=0.15)


def test_orthogonal_errors() -> None:
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(cr.empty(4))


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4)], ids=str)
def test_eye_equals_torch(shape: tuple[int, ...]) -> None:
    w = init.eye_(cr.randn(*shape))
    assert np.array_equal(w.numpy(), torch.nn.init.eye_(torch.empty(*shape)).numpy())
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(cr.empty(2, 2, 2))


@pytest.mark.parametrize("shape,groups", [((4, 3, 5), 1), ((6, 4, 3, 3), 1), ((6, 2, 3, 3), 3), ((2, 2, 3, 3, 3), 2),
                                          ((3, 5, 4, 4), 1)], ids=str)
def test_dirac_equals_torch(shape: tuple[int, ...], groups: int) -> None:
    w = init.dirac_(cr.randn(*shape), groups=groups)
    assert np.array_equal(w.numpy(), torch.nn.init.dirac_(torch.empty(*shape), groups=groups).numpy())


def test_dirac_errors() -> None:
    with pytest.raises(ValueError, match="3, 4, or 5"):
        init.dirac_(cr.empty(3, 3))
    with pytest.raises(ValueError, match="divisible by groups"):
        init.dirac_(cr.empty(5, 2, 3), groups=2)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_constants(dtype: str) -> None:
    t = cr.randn(3, 4).to(getattr(cr, dtype))
    ptr = t.data_ptr()
    assert init.constant_(t, 2.5) is t and t.data_ptr() == ptr and t.dtype == getattr(cr, dtype)
    assert np.array_equal(t.numpy(), torch.nn.init.constant_(torch.empty(3, 4, dtype=getattr(torch, dtype)),
                                                             2.5).numpy())
    assert (init.zeros_(t).numpy() == 0).all() and (init.ones_(t).numpy() == 1).all()


def test_sparse() -> None:
    rows, cols, sparsity = 400, 300, 0.25
    w = init.sparse_(cr.empty(rows, cols), sparsity, std=0.5).numpy()
    tw = torch.nn.init.sparse_(torch.empty(rows, cols), sparsity, std=0.5).numpy()
    for m in (w, tw):
        assert ((m == 0).sum(axis=0) == math.ceil(sparsity * rows)).all()
        assert m[m != 0].std() == pytest.approx(0.5, rel=0.02)
    with pytest.raises(ValueError, match="2 dimensions"):
        init.sparse_(cr.empty(2, 2, 2), 0.1)


def test_deprecated_spellings_warn() -> None:
    with pytest.warns(FutureWarning, match="nn.init.uniform_"):
        init.uniform(cr.empty(2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        init.uniform_(cr.empty(2, 2))


# ----------------------------------------------------------------- default initialisation of layers
@pytest.mark.parametrize("in_f,out_f", [(1000, 900), (30, 20000)])
def test_linear_default_init_matches_torch(in_f: int, out_f: int) -> None:
    ours, theirs = cr.nn.Linear(in_f, out_f), torch.nn.Linear(in_f, out_f)
    bound = 1 / math.sqrt(in_f)  # kaiming_uniform_(a=sqrt(5)) gives exactly U(-1/sqrt(in), 1/sqrt(in))
    for name in ("weight", "bias"):
        w, tw = getattr(ours, name).detach().numpy(), getattr(theirs, name).detach().numpy()
        assert w.dtype == tw.dtype == np.float32 and w.shape == tw.shape
        d = Dist(name, "uniform_", w.shape, mean=0.0, std=bound / math.sqrt(3), lo=-bound, hi=bound)
        _check_stats(w, d, "chainrule")
        _check_stats(tw, d, "torch")


def test_linear_reset_parameters_redraws_in_place() -> None:
    m = cr.nn.Linear(8, 4)
    w, before = m.weight, m.weight.numpy(force=True).copy()
    m.reset_parameters()
    assert m.weight is w and not np.array_equal(before, w.numpy(force=True))
    assert cr.nn.Linear(3, 2, dtype=cr.float64).weight.dtype == cr.float64


def test_embedding_default_init_matches_torch() -> None:
    ours, theirs = cr.nn.Embedding(5000, 200, padding_idx=7), torch.nn.Embedding(5000, 200, padding_idx=7)
    w, tw = ours.weight.detach().numpy(), theirs.weight.detach().numpy()
    assert w.dtype == tw.dtype and w.shape == tw.shape
    assert not w[7].any() and not tw[7].any()
    rest = np.delete(w, 7, axis=0)
    trest = np.delete(tw, 7, axis=0)
    d = Dist("emb", "normal_", rest.shape)
    _check_stats(rest, d, "chainrule")
    _check_stats(trest, d, "torch")
