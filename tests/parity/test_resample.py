"""F.interpolate / nn.Upsample (nearest, nearest-exact, linear, bilinear with and without align_corners, by size
or scale factor) and pixel (un)shuffle against PyTorch: forward values and input gradients in float64 and float32,
gradcheck in float64, and the argument errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from tests.helpers import assert_close

TF = torch.nn.functional
DTYPES = ["float64", "float32"]


def _compare(ours: Any, theirs: Any, shape: tuple[int, ...], dtype: str, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape).astype(dtype)
    x, tx = cr.tensor(a.copy(), requires_grad=True), torch.tensor(a.copy(), requires_grad=True)
    y, ty = ours(x), theirs(tx)
    assert_close(y, ty)
    g = rng.standard_normal(tuple(ty.shape)).astype(dtype)
    y.backward(cr.tensor(g.copy()))
    ty.backward(torch.from_numpy(g.copy()))
    assert x.grad.dtype == x.dtype
    assert_close(x.grad, tx.grad, "grad")


SIZES = [
    dict(size=(9, 11)), dict(size=(3, 4)), dict(size=(5, 2)), dict(size=13), dict(scale_factor=2),
    dict(scale_factor=1.7), dict(scale_factor=(0.6, 2.3)), dict(scale_factor=1.3, recompute_scale_factor=True),
    dict(scale_factor=0.5),
]
MODES = [("nearest", None), ("nearest-exact", None), ("bilinear", False), ("bilinear", True)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode,corners", MODES, ids=str)
@pytest.mark.parametrize("kw", SIZES, ids=str)
def test_interpolate_2d_matches_torch(kw: dict[str, Any], mode: str, corners: bool | None, dtype: str) -> None:
    _compare(lambda x: F.interpolate(x, mode=mode, align_corners=corners, **kw),
             lambda x: TF.interpolate(x, mode=mode, align_corners=corners, **kw), (2, 3, 5, 7), dtype)


@pytest.mark.parametrize("mode,corners", MODES, ids=str)
@pytest.mark.parametrize("kw", [dict(scale_factor=2), dict(size=(6, 6)), dict(size=(4, 9))], ids=str)
def test_interpolate_batch1_square_matches_torch(kw: dict[str, Any], mode: str, corners: bool | None) -> None:
    _compare(lambda x: F.interpolate(x, mode=mode, align_corners=corners, **kw),
             lambda x: TF.interpolate(x, mode=mode, align_corners=corners, **kw), (1, 1, 6, 6), "float32")


LINEAR_1D = [dict(size=11), dict(size=3), dict(scale_factor=0.5), dict(scale_factor=2.5), dict(size=1)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode,corners", [("linear", False), ("linear", True), ("nearest", None)], ids=str)
@pytest.mark.parametrize("kw", LINEAR_1D, ids=str)
def test_interpolate_1d_matches_torch(kw: dict[str, Any], mode: str, corners: bool | None, dtype: str) -> None:
    _compare(lambda x: F.interpolate(x, mode=mode, align_corners=corners, **kw),
             lambda x: TF.interpolate(x, mode=mode, align_corners=corners, **kw), (2, 3, 7), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [dict(scale_factor=2), dict(size=(3, 5, 2))], ids=str)
def test_interpolate_nearest_3d_volume_matches_torch(kw: dict[str, Any], dtype: str) -> None:
    _compare(lambda x: F.interpolate(x, **kw), lambda x: TF.interpolate(x, **kw), (1, 2, 2, 3, 4), dtype)


UPSAMPLE = [
    ("Upsample", dict(scale_factor=2)),
    ("Upsample", dict(size=(7, 5), mode="bilinear")),
    ("Upsample", dict(scale_factor=1.5, mode="bilinear", align_corners=True)),
    ("UpsamplingNearest2d", dict(scale_factor=3)),
    ("UpsamplingBilinear2d", dict(size=(6, 9))),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,kw", UPSAMPLE, ids=str)
def test_upsample_modules_match_torch(name: str, kw: dict[str, Any], dtype: str) -> None:
    ours, theirs = getattr(cr.nn, name)(**kw), getattr(torch.nn, name)(**kw)
    assert repr(ours) == repr(theirs)
    _compare(ours, theirs, (2, 2, 4, 5), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,r", [((2, 8, 3, 4), 2), ((9, 2, 2), 3), ((2, 1, 4, 1, 5), 1), ((1, 18, 2, 3), 3)],
                         ids=str)
def test_pixel_shuffle_matches_torch(shape: tuple[int, ...], r: int, dtype: str) -> None:
    _compare(lambda x: F.pixel_shuffle(x, r), lambda x: TF.pixel_shuffle(x, r), shape, dtype)
    _compare(cr.nn.PixelShuffle(r), torch.nn.PixelShuffle(r), shape, dtype)
    assert repr(cr.nn.PixelShuffle(r)) == repr(torch.nn.PixelShuffle(r))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,r", [((2, 2, 4, 6), 2), ((1, 6, 3), 3), ((2, 1, 3, 4, 4), 2)], ids=str)
def test_pixel_unshuffle_matches_torch_and_inverts_shuffle(shape: tuple[int, ...], r: int, dtype: str) -> None:
    _compare(lambda x: F.pixel_unshuffle(x, r), lambda x: TF.pixel_unshuffle(x, r), shape, dtype)
    _compare(cr.nn.PixelUnshuffle(r), torch.nn.PixelUnshuffle(r), shape, dtype)
    x = cr.randn(*shape)
    np.testing.assert_array_equal(F.pixel_shuffle(F.pixel_unshuffle(x, r), r).numpy(), x.numpy())


GRADCHECK = [
    dict(size=(5, 3), mode="bilinear", align_corners=False),
    dict(scale_factor=1.5, mode="bilinear", align_corners=True),
    dict(size=(2, 7), mode="nearest"),
    dict(scale_factor=0.7, mode="nearest-exact"),
]


@pytest.mark.parametrize("kw", GRADCHECK, ids=str)
def test_interpolate_gradcheck(kw: dict[str, Any]) -> None:
    x = cr.randn(1, 2, 3, 4, dtype=cr.float64, requires_grad=True)
    assert cr.autograd.gradcheck(lambda t: F.interpolate(t, **kw), (x,))


def test_pixel_shuffle_gradcheck() -> None:
    x = cr.randn(1, 4, 2, 3, dtype=cr.float64, requires_grad=True)
    assert cr.autograd.gradcheck(lambda t: F.pixel_unshuffle(F.pixel_shuffle(t, 2) * t.sum(), 2), (x,))


# ----------------------------------------------------------------- errors
ERRORS = [
    (dict(), (1, 1, 4, 4), ValueError, "only one of size or scale_factor"),
    (dict(size=3, scale_factor=2), (1, 1, 4, 4), ValueError, "only one of size or scale_factor"),
    (dict(size=3, mode="nearest", align_corners=True), (1, 1, 4, 4), ValueError, "align_corners"),
    (dict(size=3, mode="bilinear"), (1, 1, 4), NotImplementedError, r"3D input of shape \(1, 1, 4\).*bilinear"),
    (dict(size=(3, 4, 5), mode="bilinear"), (1, 1, 4, 4), ValueError, "spatial dimensions"),
]


@pytest.mark.parametrize("kw,shape,exc,match", ERRORS, ids=str)
def test_interpolate_errors_like_torch(kw: dict[str, Any], shape: tuple[int, ...], exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        F.interpolate(cr.randn(*shape), **kw)
    with pytest.raises(exc):
        TF.interpolate(torch.randn(*shape), **kw)


def test_pixel_shuffle_errors_name_shapes() -> None:
    with pytest.raises(RuntimeError, match=r"pixel_shuffle.*\(1, 5, 2, 2\)"):
        F.pixel_shuffle(cr.randn(1, 5, 2, 2), 2)
    with pytest.raises(RuntimeError):
        TF.pixel_shuffle(torch.randn(1, 5, 2, 2), 2)
    with pytest.raises(RuntimeError, match=r"pixel_unshuffle.*\(1, 1, 3, 4\)"):
        F.pixel_unshuffle(cr.randn(1, 1, 3, 4), 2)
    with pytest.raises(RuntimeError):
        TF.pixel_unshuffle(torch.randn(1, 1, 3, 4), 2)
