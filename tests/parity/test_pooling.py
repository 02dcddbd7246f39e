"""Max, average and adaptive pooling (1-D and 2-D) against PyTorch: forward values, arg-max indices and input
gradients in float64 and float32 over a table of geometries (odd sizes, stride > kernel, padding, dilation,
ceil_mode, batch 1, unbatched input, rectangular kernels), ties resolved as PyTorch, the modules, gradcheck in
float64, and the errors for bad geometry."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from tests.helpers import assert_close

TF = torch.nn.functional
DTYPES = ["float64", "float32"]


def _data(rng: np.random.Generator, shape: tuple[int, ...], dtype: str, ties: bool) -> np.ndarray:
    # ties: few distinct values, so that most windows hold several equal maxima
    x = rng.integers(0, 3, shape).astype(dtype) if ties else rng.standard_normal(shape).astype(dtype)
    return x


def _compare(ours: Callable[..., Any], theirs: Callable[..., Any], shape: tuple[int, ...], dtype: str,
             kwargs: dict[str, Any], ties: bool = False, seed: int = 0) -> None:
    """Forward, indices (when returned) and the input gradient agree with torch."""
    rng = np.random.default_rng(seed)
    a = _data(rng, shape, dtype, ties)
    x, tx = cr.tensor(a.copy(), requires_grad=True), torch.tensor(a.copy(), requires_grad=True)
    y, ty = ours(x, **kwargs), theirs(tx, **kwargs)
    if isinstance(ty, tuple):
        (y, idx), (ty, tidx) = y, ty
        assert idx.dtype == cr.int64
        np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    assert_close(y, ty)
    g = rng.standard_normal(tuple(ty.shape)).astype(dtype)
    y.backward(cr.tensor(g.copy()))
    ty.backward(torch.from_numpy(g.copy()))
    assert x.grad.dtype == x.dtype
    assert_close(x.grad, tx.grad, "grad")


MAX2D = [
    ((2, 3, 7, 9), dict(kernel_size=3, stride=2, padding=1)),
    ((1, 2, 8, 8), dict(kernel_size=2)),
    ((2, 1, 7, 5), dict(kernel_size=(3, 2), stride=(1, 3), padding=(1, 0), dilation=(2, 1), ceil_mode=True)),
    ((1, 3, 5, 5), dict(kernel_size=2, stride=3)),  # stride > kernel: some inputs in no window
    ((2, 2, 6, 7), dict(kernel_size=3, stride=2, ceil_mode=True)),
    ((3, 4, 4), dict(kernel_size=2, stride=1)),  # unbatched
    ((1, 1, 9, 9), dict(kernel_size=3, stride=1, padding=1, dilation=2)),
    ((2, 2, 5, 6), dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 1), ceil_mode=True)),
    ((1, 2, 4, 4), dict(kernel_size=4, padding=2, stride=3, ceil_mode=True)),
]
MAX1D = [
    ((2, 3, 11), dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)),
    ((1, 2, 10), dict(kernel_size=4)),
    ((3, 9), dict(kernel_size=2, stride=1)),
    ((2, 2, 7), dict(kernel_size=2, stride=3)),
    ((1, 1, 8), dict(kernel_size=[3], stride=[2], padding=[1], ceil_mode=True)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize("indices", [False, True], ids=["values", "indices"])
@pytest.mark.parametrize("shape,kw", MAX2D, ids=str)
def test_max_pool2d_matches_torch(shape: tuple[int, ...], kw: dict[str, Any], dtype: str, ties: bool,
                                  indices: bool) -> None:
    _compare(F.max_pool2d, TF.max_pool2d, shape, dtype, dict(kw, return_indices=indices), ties)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize("shape,kw", MAX1D, ids=str)
def test_max_pool1d_matches_torch(shape: tuple[int, ...], kw: dict[str, Any], dtype: str, ties: bool) -> None:
    _compare(F.max_pool1d, TF.max_pool1d, shape, dtype, dict(kw, return_indices=True), ties)


def test_max_pool_ties_pick_first_in_row_major_order() -> None:
    x = cr.tensor([[[[1.0, 2.0], [2.0, 0.0]]]], requires_grad=True)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    y.sum().backward()
    assert idx.item() == 1  # (0, 1) comes before (1, 0)
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[0.0, 1.0], [0.0, 0.0]])
    assert torch.nn.functional.max_pool2d(torch.tensor(x.detach().numpy()), 2, return_indices=True)[1].item() == 1


def test_max_pool_nan_propagates_like_torch() -> None:
    a = np.array([[[[1.0, np.nan, 3.0, np.nan, 0.5, 2.0]]]])
    y, idx = F.max_pool2d(cr.tensor(a), (1, 3), return_indices=True)
    ty, tidx = TF.max_pool2d(torch.tensor(a), (1, 3), return_indices=True)
    assert np.isnan(y.numpy()).tolist() == np.isnan(ty.numpy()).tolist()
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


AVG2D = [
    ((2, 3, 7, 9), dict(kernel_size=3, stride=2, padding=1)),
    ((2, 3, 7, 9), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ((1, 2, 8, 8), dict(kernel_size=2)),
    ((2, 1, 7, 5), dict(kernel_size=(3, 2), stride=(1, 3), padding=(1, 1), ceil_mode=True)),
    ((2, 1, 7, 5), dict(kernel_size=(3, 2), stride=(1, 3), padding=(1, 1), ceil_mode=True, count_include_pad=False)),
    ((1, 3, 5, 5), dict(kernel_size=2, stride=3)),
    ((2, 2, 6, 7), dict(kernel_size=3, stride=2, ceil_mode=True, padding=1)),
    ((3, 4, 4), dict(kernel_size=2, stride=1)),
    ((2, 2, 5, 6), dict(kernel_size=(2, 3), stride=(2, 1), padding=1, divisor_override=5)),
    ((1, 2, 4, 4), dict(kernel_size=4, padding=2, stride=3, ceil_mode=True, count_include_pad=False)),
]
AVG1D = [
    ((2, 3, 11), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((2, 3, 11), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ((1, 2, 10), dict(kernel_size=4)),
    ((3, 9), dict(kernel_size=2, stride=1)),
    ((2, 2, 7), dict(kernel_size=2, stride=3)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,kw", AVG2D, ids=str)
def test_avg_pool2d_matches_torch(shape: tuple[int, ...], kw: dict[str, Any], dtype: str) -> None:
    _compare(F.avg_pool2d, TF.avg_pool2d, shape, dtype, kw)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,kw", AVG1D, ids=str)
def test_avg_pool1d_matches_torch(shape: tuple[int, ...], kw: dict[str, Any], dtype: str) -> None:
    _compare(F.avg_pool1d, TF.avg_pool1d, shape, dtype, kw)


ADAPTIVE2D = [
    ((2, 3, 7, 9), (3, 4)),
    ((1, 2, 5, 5), 1),  # global pooling
    ((2, 2, 4, 6), (None, 4)),
    ((1, 2, 3, 5), (5, 7)),  # more outputs than inputs: bins repeat
    ((3, 6, 6), (3, 2)),  # unbatched, bins that divide
    ((2, 1, 10, 3), (4, 3)),
]
ADAPTIVE1D = [((2, 3, 7), 5), ((2, 3, 10), 3), ((3, 8), 1), ((1, 2, 3), 6)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,out", ADAPTIVE2D, ids=str)
def test_adaptive_pool2d_matches_torch(shape: tuple[int, ...], out: Any, dtype: str) -> None:
    _compare(F.adaptive_avg_pool2d, TF.adaptive_avg_pool2d, shape, dtype, dict(output_size=out))
    _compare(F.adaptive_max_pool2d, TF.adaptive_max_pool2d, shape, dtype, dict(output_size=out, return_indices=True))
    _compare(F.adaptive_max_pool2d, TF.adaptive_max_pool2d, shape, dtype, dict(output_size=out, return_indices=True),
             ties=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,out", ADAPTIVE1D, ids=str)
def test_adaptive_pool1d_matches_torch(shape: tuple[int, ...], out: int, dtype: str) -> None:
    _compare(F.adaptive_avg_pool1d, TF.adaptive_avg_pool1d, shape, dtype, dict(output_size=out))
    _compare(F.adaptive_max_pool1d, TF.adaptive_max_pool1d, shape, dtype, dict(output_size=out, return_indices=True),
             ties=True)


MODULES = [
    ("MaxPool2d", (3,), dict(stride=2, padding=1, return_indices=True, ceil_mode=True), (2, 3, 8, 7)),
    ("MaxPool1d", (2,), dict(dilation=2), (2, 3, 9)),
    ("AvgPool2d", ((2, 3),), dict(stride=1, padding=1, count_include_pad=False, divisor_override=None), (1, 2, 5, 6)),
    ("AvgPool2d", (3,), dict(divisor_override=4), (1, 2, 6, 6)),
    ("AvgPool1d", (3,), dict(stride=2, padding=1, ceil_mode=True), (2, 2, 8)),
    ("AdaptiveAvgPool2d", ((2, 3),), {}, (2, 3, 7, 8)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 9)),
    ("AdaptiveMaxPool2d", (3,), dict(return_indices=True), (2, 3, 7, 8)),
    ("AdaptiveMaxPool1d", (4,), {}, (2, 3, 9)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,args,kw,shape", MODULES, ids=lambda v: str(v))
def test_pooling_modules_match_torch(name: str, args: tuple[Any, ...], kw: dict[str, Any], shape: tuple[int, ...],
                                     dtype: str) -> None:
    ours, theirs = getattr(cr.nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(ours) == repr(theirs)
    _compare(lambda x: ours(x), lambda x: theirs(x), shape, dtype, {})


@pytest.mark.parametrize("dtype", DTYPES)
def test_global_avg_pool_is_adaptive_avg_pool_1_flattened(dtype: str) -> None:
    _compare(cr.nn.GlobalAvgPool2d(), lambda x: torch.nn.AdaptiveAvgPool2d(1)(x).flatten(1), (3, 4, 5, 6), dtype, {})
    with pytest.raises(RuntimeError, match=r"GlobalAvgPool2d.*\(4, 5, 6\)"):
        cr.nn.GlobalAvgPool2d()(cr.randn(4, 5, 6))


def test_max_pool_indices_without_grad_and_float32_stays_float32() -> None:
    x = cr.randn(2, 3, 6, 6)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    ty, tidx = TF.max_pool2d(torch.tensor(x.numpy()), 2, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    assert y.dtype == cr.float32 and F.avg_pool2d(x, 3).dtype == cr.float32
    assert F.adaptive_avg_pool2d(x, 4).dtype == cr.float32


GRADCHECK = [
    (F.max_pool2d, dict(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=True), (1, 2, 5, 6)),
    (F.max_pool2d, dict(kernel_size=2, stride=1, dilation=2), (2, 1, 5, 5)),
    (F.max_pool1d, dict(kernel_size=3, stride=2, padding=1), (2, 2, 7)),
    (F.avg_pool2d, dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), (1, 2, 5, 6)),
    (F.avg_pool2d, dict(kernel_size=(2, 3), stride=1, divisor_override=3), (1, 1, 4, 5)),
    (F.avg_pool1d, dict(kernel_size=3, stride=2, padding=1), (2, 2, 7)),
    (F.adaptive_avg_pool2d, dict(output_size=(2, 3)), (1, 2, 5, 7)),
    (F.adaptive_max_pool2d, dict(output_size=(3, 2)), (1, 2, 5, 7)),
    (F.adaptive_avg_pool1d, dict(output_size=3), (2, 2, 7)),
]


@pytest.mark.parametrize("fn,kw,shape", GRADCHECK, ids=lambda v: getattr(v, "__name__", str(v)))
def test_pooling_gradcheck(fn: Callable[..., Any], kw: dict[str, Any], shape: tuple[int, ...]) -> None:
    # distinct normal values: no two window elements within the finite-difference step, so the arg-max is stable
    x = cr.tensor(np.random.default_rng(7).standard_normal(shape), requires_grad=True)
    assert cr.autograd.gradcheck(lambda t: fn(t, **kw), (x,))


# ----------------------------------------------------------------- errors
ERRORS = [
    ("max_pool2d", (2, 3), dict(kernel_size=2), r"max_pool2d.*\(2, 3\)"),  # wrong rank
    ("max_pool2d", (1, 1, 2, 2), dict(kernel_size=3), r"max_pool2d.*\(1, 1, 2, 2\).*too small"),
    ("max_pool2d", (1, 1, 4, 4), dict(kernel_size=2, stride=0), r"max_pool2d: stride.*greater than zero"),
    ("max_pool2d", (1, 1, 6, 6), dict(kernel_size=3, padding=2), r"max_pool2d: pad.*half.*padding=\(2, 2\)"),
    ("max_pool1d", (1, 1, 2, 2), dict(kernel_size=2), r"max_pool1d.*\(1, 1, 2, 2\)"),
    ("avg_pool2d", (2, 1, 3, 4, 4), dict(kernel_size=2), r"avg_pool2d.*\(2, 1, 3, 4, 4\)"),
    ("avg_pool2d", (1, 1, 3, 3), dict(kernel_size=4, padding=0), r"avg_pool2d.*too small"),
    ("avg_pool2d", (1, 1, 6, 6), dict(kernel_size=3, padding=2), r"avg_pool2d: pad.*half"),
    ("avg_pool1d", (1, 1, 6), dict(kernel_size=2, stride=0), r"avg_pool1d: stride"),
    ("adaptive_avg_pool2d", (4,), dict(output_size=2), r"adaptive_avg_pool2d.*\(4,\)"),
]


@pytest.mark.parametrize("name,shape,kw,match", ERRORS, ids=lambda v: str(v))
def test_pooling_errors_like_torch(name: str, shape: tuple[int, ...], kw: dict[str, Any], match: str) -> None:
    with pytest.raises(RuntimeError, match=match):
        getattr(F, name)(cr.randn(*shape), **kw)
    with pytest.raises(RuntimeError):
        getattr(TF, name)(torch.randn(*shape), **kw)


def test_pooling_rejects_integer_input_and_non_tensors() -> None:
    with pytest.raises(RuntimeError, match="max_pool2d"):
        F.max_pool2d(cr.zeros(1, 1, 4, 4, dtype=cr.int64), 2)
    with pytest.raises(TypeError, match="avg_pool2d"):
        F.avg_pool2d(np.zeros((1, 1, 4, 4)), 2)  # type: ignore[arg-type]
