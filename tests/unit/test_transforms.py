"""Image transforms against explicit NumPy expectations (and torch's interpolate for resizing), MixUp/CutMix soft
targets, seeding and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn
from chainrule.utils.data import transforms as T


def _g(seed=0):
    return cr.Generator().manual_seed(seed)


def _img(c=3, h=6, w=8, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).random((c, h, w)).astype(dtype)


# ----------------------------------------------------------------------------------- conversion / scaling
def test_to_tensor_like_torchvision():
    hwc = np.random.default_rng(0).integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
    out = T.ToTensor()(hwc)
    assert isinstance(out, cr.Tensor) and out.dtype == cr.float32 and tuple(out.shape) == (3, 4, 5)
    np.testing.assert_allclose(out.numpy(), hwc.transpose(2, 0, 1) / np.float32(255), rtol=1e-7)
    gray = T.ToTensor()(hwc[:, :, 0])
    assert tuple(gray.shape) == (1, 4, 5)
    f64 = T.ToTensor()(np.full((2, 2, 1), 3.0))
    assert f64.dtype == cr.float64 and np.all(f64.numpy() == 3.0)  # non-uint8 values are not rescaled
    with pytest.raises(TypeError, match="Tensor"):
        T.ToTensor()(cr.zeros(2, 2))
    with pytest.raises(ValueError, match="4 dimensions"):
        T.ToTensor()(np.zeros((1, 2, 2, 3), np.uint8))


@pytest.mark.parametrize("as_tensor", [False, True])
def test_normalize_is_standardisation(as_tensor):
    x = _img()
    mean, std = [0.5, 0.4, 0.3], [0.2, 0.25, 0.5]
    out = T.Normalize(mean, std)(cr.tensor(x) if as_tensor else x)
    expected = (x - np.array(mean, np.float32)[:, None, None]) / np.array(std, np.float32)[:, None, None]
    got = out.numpy() if as_tensor else out
    assert got.dtype == np.float32 and isinstance(out, cr.Tensor) == as_tensor
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    ref = (torch.tensor(x) - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None, None]
    np.testing.assert_allclose(got, ref.numpy(), rtol=1e-6)
    batch = np.stack([x, x])
    np.testing.assert_allclose(T.Normalize(mean, std)(batch)[1], expected, rtol=1e-6)


def test_normalize_bad_input():
    with pytest.raises(ValueError, match="std"):
        T.Normalize([0.0], [0.0])
    with pytest.raises(TypeError, match="uint8"):
        T.Normalize([0.0], [1.0])(np.zeros((1, 2, 2), np.uint8))
    with pytest.raises(ValueError, match=r"\(3, 6, 8\)"):
        T.Normalize([0.0, 0.0], [1.0, 1.0])(_img())


def test_min_max_normalize():
    x = _img() * 5 - 2
    out = T.MinMaxNormalize()(x)
    np.testing.assert_allclose(out, (x - x.min()) / (x.max() - x.min()), rtol=1e-6)
    per = T.MinMaxNormalize(-1, 1, per_channel=True)(x)
    assert np.allclose(per.min(axis=(1, 2)), -1) and np.allclose(per.max(axis=(1, 2)), 1)
    assert np.all(T.MinMaxNormalize()(np.full((2, 2), 7.0)) == 0)
    with pytest.raises(ValueError, match="low=1"):
        T.MinMaxNormalize(1, 0)


def test_gaussian_noise_statistics_and_seed():
    x = np.zeros((1, 100, 100), np.float32)
    out = T.GaussianNoise(0.5, 2.0, generator=_g(0))(x)
    assert out.dtype == np.float32
    assert abs(out.mean() - 0.5) < 0.05 and abs(out.std() - 2.0) < 0.05
    assert np.array_equal(out, T.GaussianNoise(0.5, 2.0, generator=_g(0))(x))
    assert T.GaussianNoise(0, 1, clip=True)(x).min() >= 0
    with pytest.raises(ValueError, match="std=-1"):
        T.GaussianNoise(0, -1)


# ------------------------------------------------------------------------------------------------ flips
@pytest.mark.parametrize("cls,axis", [(T.RandomHorizontalFlip, -1), (T.RandomVerticalFlip, -2)])
def test_flip_is_exact_reversal(cls, axis):
    x = _img()
    np.testing.assert_array_equal(cls(p=1.0)(x), np.flip(x, axis))
    np.testing.assert_array_equal(cls(p=0.0)(x), x)
    t = cls(p=1.0)(cr.tensor(x))
    assert isinstance(t, cr.Tensor)
    np.testing.assert_array_equal(t.numpy(), np.flip(x, axis))
    np.testing.assert_array_equal(cls(p=1.0)(x[0]), np.flip(x[0], axis))  # (H, W)


def test_flip_frequency_and_seed():
    flip = T.RandomHorizontalFlip(p=0.3, generator=_g(0))
    x = np.arange(4.0).reshape(2, 2)
    flipped = [flip(x)[0, 0] == 1.0 for _ in range(4000)]
    assert abs(np.mean(flipped) - 0.3) < 0.03
    cr.manual_seed(3)
    a = [T.RandomHorizontalFlip()(x)[0, 0] for _ in range(20)]
    cr.manual_seed(3)
    assert a == [T.RandomHorizontalFlip()(x)[0, 0] for _ in range(20)]


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_probability_outside_unit_interval(p):
    for cls in (T.RandomHorizontalFlip, T.RandomVerticalFlip, T.RandomErasing):
        with pytest.raises(ValueError, match=f"p={p}"):
            cls(p=p)


# ------------------------------------------------------------------------------------------------- crops
def test_random_crop_with_padding_places_the_image():
    x = _img(2, 4, 5)
    full = T.RandomCrop((8, 9), padding=2)(x)  # crop as large as the padded image: the placement is fixed
    expected = np.zeros((2, 8, 9), np.float32)
    expected[:, 2:6, 2:7] = x
    np.testing.assert_array_equal(full, expected)
    lt = T.RandomCrop((4 + 3, 5 + 1), padding=(1, 2, 0, 1), fill=-1)(x)  # (left, top, right, bottom)
    assert np.all(lt[:, :2] == -1) and np.all(lt[:, :, :1] == -1) and np.all(lt[:, -1] == -1)
    np.testing.assert_array_equal(lt[:, 2:6, 1:6], x)


def test_random_crop_window_is_a_shift_of_the_padded_image():
    x = _img(1, 6, 6)
    padded = np.pad(x, ((0, 0), (2, 2), (2, 2)))
    crop = T.RandomCrop(6, padding=2, generator=_g(1))
    offsets = set()
    for _ in range(30):
        out = crop(x)
        hits = [(i, j) for i in range(5) for j in range(5) if np.array_equal(out, padded[:, i:i + 6, j:j + 6])]
        assert hits
        offsets.add(hits[0])
    assert len(offsets) > 3  # the window moves


def test_random_crop_pad_if_needed_and_errors():
    x = _img(1, 3, 4)
    out = T.RandomCrop((5, 8), pad_if_needed=True)(x)
    assert out.shape == (1, 5, 8)
    assert np.isclose(out.sum(), x.sum())  # only zeros were added
    with pytest.raises(ValueError, match=r"\(5, 8\).*\(3, 4\)"):
        T.RandomCrop((5, 8))(x)
    with pytest.raises(ValueError, match="'wrap'"):
        T.RandomCrop(2, padding=1, padding_mode="wrap")
    refl = T.RandomCrop((3 + 2, 4 + 2), padding=1, padding_mode="reflect")(x)
    np.testing.assert_array_equal(refl, np.pad(x, ((0, 0), (1, 1), (1, 1)), mode="reflect"))


def test_resize_matches_torch_interpolate():
    x = _img(2, 5, 7)
    for size in [(3, 4), (9, 11), (10, 3)]:
        ours = T.Resize(size)(x)
        theirs = torch.nn.functional.interpolate(torch.tensor(x)[None], size=size, mode="bilinear",
                                                 align_corners=False)[0].numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
        near = T.Resize(size, interpolation="nearest")(x)
        np.testing.assert_array_equal(near, torch.nn.functional.interpolate(torch.tensor(x)[None], size=size,
                                                                            mode="nearest")[0].numpy())
    assert T.Resize(4)(x).shape == (2, 4, 5)  # smaller edge to 4, aspect kept


def test_random_resized_crop_sampling_rule():
    rrc = T.RandomResizedCrop(4, scale=(0.2, 0.6), ratio=(0.5, 2.0), generator=_g(0))
    for _ in range(200):
        i, j, h, w = rrc.get_params(40, 50)
        assert 0 <= i <= 40 - h and 0 <= j <= 50 - w
        assert 0.2 * 2000 * 0.8 <= h * w <= 0.6 * 2000 * 1.2  # rounding of h and w moves the area a little
        assert 0.5 * 0.8 <= w / h <= 2.0 * 1.25
    x = _img(3, 40, 50)
    assert rrc(x).shape == (3, 4, 4)
    whole = T.RandomResizedCrop((6, 8), scale=(1.0, 1.0), ratio=(4 / 3, 4 / 3))
    np.testing.assert_array_equal(whole(_img(3, 6, 8)), _img(3, 6, 8))  # full crop at the same size: identity
    fallback = T.RandomResizedCrop(5, scale=(1.0, 1.0), ratio=(1.0, 1.0))
    assert fallback.get_params(10, 40) == (0, 15, 10, 10)  # too wide for the ratio: central square crop


# ---------------------------------------------------------------------------------------------- rotation
@pytest.mark.parametrize("interp", ["nearest", "bilinear"])
@pytest.mark.parametrize("angle,k", [(90, 1), (-90, -1), (180, 2)])
def test_rotation_by_right_angles_equals_rot90(interp, angle, k):
    x = _img(3, 7, 7)
    out = T.RandomRotation((angle, angle), interpolation=interp)(x)
    np.testing.assert_allclose(out, np.rot90(x, k, axes=(1, 2)), atol=1e-6)
    t = T.RandomRotation((angle, angle), interpolation=interp)(cr.tensor(x))
    np.testing.assert_allclose(t.numpy(), np.rot90(x, k, axes=(1, 2)), atol=1e-6)


def test_rotation_fill_and_range():
    ones = np.ones((2, 9, 9), np.float32)
    out = T.RandomRotation((45, 45), fill=[3.0, 5.0])(ones)
    assert out[0, 0, 0] == 3.0 and out[1, 0, 0] == 5.0 and out[0, 4, 4] == 1.0  # corners come from outside
    u8 = (np.arange(25, dtype=np.uint8).reshape(5, 5))
    assert T.RandomRotation(30, interpolation="bilinear")(u8).dtype == np.uint8
    with pytest.raises(ValueError, match="-5"):
        T.RandomRotation(-5)
    with pytest.raises(ValueError, match="bicubic"):
        T.RandomRotation(5, interpolation="bicubic")


# ----------------------------------------------------------------------------------------------- erasing
def test_cutout_zeroes_one_square():
    x = np.ones((2, 20, 20), np.float32)
    out = T.Cutout(4, generator=_g(0))(x)
    holes = out[0] == 0
    rows, cols = np.flatnonzero(holes.any(1)), np.flatnonzero(holes.any(0))
    assert holes.sum() == len(rows) * len(cols) <= 16 and holes.sum() > 0  # an axis-aligned (clipped) square
    np.testing.assert_array_equal(out[0], out[1])  # the same hole in every channel
    assert np.all(x == 1)  # the input is untouched


def test_random_erasing_rectangle_area_and_value():
    x = np.ones((3, 30, 30), np.float32)
    er = T.RandomErasing(p=1.0, scale=(0.1, 0.2), ratio=(0.5, 2.0), value=[2.0, 3.0, 4.0], generator=_g(0))
    for _ in range(20):
        out = er(x)
        mask = out[0] != 1
        rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
        assert mask.sum() == len(rows) * len(cols)
        assert 0.1 * 900 * 0.8 <= mask.sum() <= 0.2 * 900 * 1.2
        assert np.all(out[1][mask] == 3.0) and np.all(out[2][mask] == 4.0)
    assert np.array_equal(T.RandomErasing(p=0.0)(x), x)
    with pytest.raises(ValueError, match="1.5"):
        T.RandomErasing(scale=(0.1, 1.5))


def test_compose_chains_in_order():
    hwc = np.random.default_rng(1).integers(0, 256, size=(4, 4, 3), dtype=np.uint8)
    pipe = T.Compose([T.ToTensor(), T.Normalize([0.5] * 3, [0.5] * 3), T.RandomHorizontalFlip(1.0)])
    expected = np.flip((hwc.transpose(2, 0, 1) / np.float32(255) - 0.5) / 0.5, -1)
    np.testing.assert_allclose(pipe(hwc).numpy(), expected, rtol=1e-6, atol=1e-6)
    assert "Normalize" in repr(pipe)


# -------------------------------------------------------------------------------------------- mixup/cutmix
def _onehot(y, c):
    return np.eye(c, dtype=np.float32)[y]


def test_mixup_is_a_lambda_mix():
    x = np.random.default_rng(0).random((6, 2, 3, 3)).astype(np.float32)
    y = np.array([0, 1, 2, 3, 1, 0])
    mix = T.MixUp(alpha=0.4, num_classes=4, generator=_g(0))
    xm, ym = mix(cr.tensor(x), cr.tensor(y))
    lam, perm = mix.lam, mix.perm
    assert 0 <= lam <= 1 and sorted(perm.tolist()) == list(range(6))
    assert xm.dtype == cr.float32 and ym.dtype == cr.float32
    np.testing.assert_allclose(xm.numpy(), lam * x + (1 - lam) * x[perm], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ym.numpy(), lam * _onehot(y, 4) + (1 - lam) * _onehot(y[perm], 4), rtol=1e-6)
    np.testing.assert_allclose(ym.numpy().sum(1), 1.0, rtol=1e-6)
    # the soft targets feed cross-entropy directly, with torch's value
    logits = cr.randn(6, 4)
    ours = nn.CrossEntropyLoss()(logits, ym)
    theirs = torch.nn.CrossEntropyLoss()(torch.tensor(logits.numpy()), torch.tensor(ym.numpy()))
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-5)


def test_cutmix_lambda_is_the_kept_area():
    n, h, w = 5, 10, 12
    x = np.broadcast_to(np.arange(n, dtype=np.float32)[:, None, None, None], (n, 1, h, w)).copy()
    y = np.arange(n) % 3
    cm = T.CutMix(alpha=1.0, num_classes=3, generator=_g(2))
    for _ in range(10):
        xm, ym = cm(x, y)
        assert isinstance(xm, np.ndarray) and xm.shape == x.shape
        pasted = (xm != x).mean(axis=(1, 2, 3))  # sample i's pixels now from its partner perm[i] (a different value)
        moved = cm.perm != np.arange(n)
        np.testing.assert_allclose(pasted[moved], 1 - cm.lam)
        np.testing.assert_allclose(ym, cm.lam * _onehot(y, 3) + (1 - cm.lam) * _onehot(y[cm.perm], 3), rtol=1e-6)
        np.testing.assert_allclose(ym.sum(1), 1.0, rtol=1e-6)


def test_mix_bad_input():
    with pytest.raises(ValueError, match="alpha=0"):
        T.MixUp(alpha=0, num_classes=3)
    with pytest.raises(ValueError, match="num_classes=None"):
        T.CutMix(alpha=1.0)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        T.MixUp(1.0, 3)(np.zeros((2, 4), np.float32), np.array([0, 3]))
    with pytest.raises(ValueError, match="batch size"):
        T.MixUp(1.0, 3)(np.zeros((2, 4), np.float32), np.array([0, 1, 2]))
