"""Image transforms with torchvision's names: composable, seeded, on NumPy arrays or Tensors of shape (C, H, W) or
(H, W) (also batches (..., C, H, W) where the op allows).

Each transform returns the caller's type (array in, array out; Tensor in, Tensor out; :class:`ToTensor` converts).
Random ones draw from ``generator`` (a :class:`chainrule.Generator`), else from the default generator that
``chainrule.manual_seed`` seeds. Batch-level :class:`MixUp` and :class:`CutMix` live in :mod:`.mixing`.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Sequence

import numpy as np

from ...backend import xp
from ...random import Generator, np_generator
from ...tensor import Tensor
from ...tensor.creation import as_tensor
from ._image import check_p, pad, resize_bilinear, rotate, unwrap, value_range, wrap
from .erasing import Cutout, RandomErasing
from .mixing import CutMix, MixUp

__all__ = [
    "Compose", "Lambda", "ToTensor", "Normalize", "MinMaxNormalize", "RandomHorizontalFlip", "RandomVerticalFlip",
    "RandomCrop", "Resize", "RandomResizedCrop", "RandomRotation", "GaussianNoise", "Cutout", "RandomErasing",
    "MixUp", "CutMix",
]


def _pair(size: int | Sequence[int], where: str) -> tuple[int, int]:
    """(h, w) from an int or a 1- or 2-sequence, all positive."""
    if isinstance(size, numbers.Integral):
        hw = (int(size), int(size))
    elif isinstance(size, Sequence) and len(size) in (1, 2):
        hw = (int(size[0]), int(size[-1]))
    else:
        raise ValueError(f"{where}: size should be an int or a sequence of 1 or 2 ints, got {size!r}")
    if min(hw) <= 0:
        raise ValueError(f"{where}: size must be positive, got {size!r}")
    return hw


class Compose:
    """Apply transforms one after another: ``Compose([ToTensor(), Normalize(m, s)])(img)``."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return type(self).__name__ + "(" + "".join(f"\n    {t}" for t in self.transforms) + "\n)"


class Lambda:
    """A user function as a transform."""

    def __init__(self, lambd: Callable[[Any], Any]) -> None:
        if not callable(lambd):
            raise TypeError(f"Lambda: argument should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)


class ToTensor:
    """A NumPy image (H, W, C) or (H, W) to a Tensor (C, H, W); uint8 values are scaled to float32 in [0, 1].

    .. math:: y_{c,h,w} = x_{h,w,c} / 255 \\quad (\\text{uint8 input; other dtypes keep their values and dtype})
    """

    def __call__(self, pic: np.ndarray) -> Tensor:
        if not isinstance(pic, np.ndarray):
            raise TypeError(f"ToTensor: pic should be a NumPy ndarray (H, W[, C]), got {type(pic).__name__}")
        if pic.ndim not in (2, 3):
            raise ValueError(f"ToTensor: pic should be 2/3 dimensional, got {pic.ndim} dimensions (shape "
                             f"{pic.shape})")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
        arr = xp.ascontiguousarray(arr.transpose(2, 0, 1))
        if arr.dtype == np.uint8:
            arr = arr.astype(np.float32) / np.float32(255)
        return as_tensor(arr)

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """Standardise each channel: ``(x - mean[c]) / std[c]`` (the input keeps its float dtype).

    Args:
        mean, std: one value per channel (or a single value for all channels).

    Shape: (..., C, H, W) or (H, W) with a single mean/std.
    """

    def __init__(self, mean: Sequence[float] | float, std: Sequence[float] | float, inplace: bool = False) -> None:
        self.mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        self.std = np.atleast_1d(np.asarray(std, dtype=np.float64))
        if np.any(self.std == 0):
            raise ValueError(f"Normalize: std evaluated to zero after conversion, leading to division by zero "
                             f"(std={self.std.tolist()})")
        self.inplace = inplace

    def __call__(self, img: Any) -> Any:
        arr, was_tensor = unwrap(img, "Normalize")
        if arr.dtype.kind != "f":
            raise TypeError(f"Normalize: input should be a float image, got dtype {arr.dtype}")
        channels = arr.shape[-3] if arr.ndim >= 3 else 1
        if self.mean.size not in (1, channels) or self.std.size not in (1, channels):
            raise ValueError(f"Normalize: mean {self.mean.tolist()} and std {self.std.tolist()} need 1 or {channels} "
                             f"values for an image of shape {tuple(arr.shape)}")
        shape = (-1, 1, 1) if arr.ndim >= 3 else ()
        m = self.mean.astype(arr.dtype).reshape(shape) if shape else self.mean.astype(arr.dtype)[0]
        s = self.std.astype(arr.dtype).reshape(shape) if shape else self.std.astype(arr.dtype)[0]
        if self.inplace:
            xp.subtract(arr, m, out=arr)
            xp.divide(arr, s, out=arr)
            return img
        return wrap((arr - m) / s, was_tensor)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class MinMaxNormalize:
    """Rescale an image linearly so that its minimum maps to ``low`` and its maximum to ``high``.

    .. math:: y = low + (x - \\min x) (high - low) / (\\max x - \\min x)

    A constant image maps to ``low``. With ``per_channel`` the min/max are taken over each channel of (C, H, W).
    """

    def __init__(self, low: float = 0.0, high: float = 1.0, per_channel: bool = False) -> None:
        if not low < high:
            raise ValueError(f"MinMaxNormalize: expected low < high, got low={low}, high={high}")
        self.low, self.high, self.per_channel = float(low), float(high), per_channel

    def __call__(self, img: Any) -> Any:
        arr, was_tensor = unwrap(img, "MinMaxNormalize")
        a = arr if arr.dtype.kind == "f" else arr.astype(np.float32)
        axes = (-2, -1) if self.per_channel else tuple(range(a.ndim))
        lo, hi = a.min(axis=axes, keepdims=True), a.max(axis=axes, keepdims=True)
        span = xp.where(hi > lo, hi - lo, 1).astype(a.dtype)
        out = self.low + (a - lo) * a.dtype.type(self.high - self.low) / span
        return wrap(out.astype(a.dtype, copy=False), was_tensor)


class _RandomFlip:
    axis = -1

    def __init__(self, p: float = 0.5, generator: Generator | None = None) -> None:
        self.p = check_p(p, type(self).__name__)
        self.generator = generator

    def __call__(self, img: Any) -> Any:
        arr, was_tensor = unwrap(img, type(self).__name__)
        if np_generator(self.generator).random() < self.p:
            return wrap(xp.flip(arr, self.axis), was_tensor)
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """Mirror left-right (reverse the last axis, W) with probability ``p``."""

    axis = -1


class RandomVerticalFlip(_RandomFlip):
    """Mirror top-bottom (reverse axis H) with probability ``p``."""

    axis = -2


def _padding4(padding: int | Sequence[int]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) from an int, (left/right, top/bottom) or (left, top, right, bottom)."""
    if isinstance(padding, numbers.Integral):
        p = int(padding)
        return p, p, p, p
    vals = [int(v) for v in padding]  # type: ignore[union-attr]
    if len(vals) == 2:
        return vals[0], vals[1], vals[0], vals[1]
    if len(vals) == 4:
        return vals[0], vals[1], vals[2], vals[3]
    raise ValueError(f"RandomCrop: padding must be an int or a sequence of 2 or 4 ints, got {padding!r}")


class RandomCrop:
    """Crop a random ``size`` window, after optional padding (torchvision's rules).

    Args:
        size: (h, w) or an int for a square.
        padding: int (all sides), (left/right, top/bottom) or (left, top, right, bottom).
        pad_if_needed: pad an image smaller than ``size`` (by the shortfall on both sides of that axis).
        fill: the value of constant padding. padding_mode: 'constant', 'edge', 'reflect' or 'symmetric'.
    """

    def __init__(self, size: int | Sequence[int], padding: int | Sequence[int] | None = None,
                 pad_if_needed: bool = False, fill: float = 0, padding_mode: str = "constant",
                 generator: Generator | None = None) -> None:
        self.size = _pair(size, "RandomCrop")
        self.padding = _padding4(padding) if padding is not None else None
        if self.padding is not None and min(self.padding) < 0:
            raise ValueError(f"RandomCrop: padding must be non-negative, got {padding!r}")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(f"RandomCrop: padding_mode should be constant, edge, reflect or symmetric, got "
                             f"{padding_mode!r}")
        self.pad_if_needed, self.fill, self.padding_mode = pad_if_needed, fill, padding_mode
        self.generator = generator

    def __call__(self, img: Any) -> Any:
        arr, was_tensor = unwrap(img, "RandomCrop")
        if self.padding is not None:
            arr = pad(arr, *self.padding, fill=self.fill, mode=self.padding_mode)
        th, tw = self.size
        h, w = arr.shape[-2:]
        if self.pad_if_needed and w < tw:
            arr = pad(arr, tw - w, 0, tw - w, 0, fill=self.fill, mode=self.padding_mode)
        if self.pad_if_needed and h < th:
            arr = pad(arr, 0, th - h, 0, th - h, fill=self.fill, mode=self.padding_mode)
        h, w = arr.shape[-2:]
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: required crop size {(th, tw)} is larger than input image size {(h, w)}")
        g = np_generator(self.generator)
        i, j = int(g.integers(0, h - th + 1)), int(g.integers(0, w - tw + 1))
        return wrap(arr[..., i:i + th, j:j + tw], was_tensor)


def _interp(mode: Any, where: str) -> str:
    name = str(getattr(mode, "value", mode)).lower()
    if name not in ("nearest", "bilinear"):
        raise ValueError(f"{where}: interpolation must be 'nearest' or 'bilinear', got {mode!r}")
    return name


def _resize(arr: np.ndarray, h: int, w: int, interpolation: str) -> np.ndarray:
    if interpolation == "bilinear":
        return resize_bilinear(arr, h, w)
    # nearest, as torch's 'nearest': src = floor(dst * in / out)
    ys = xp.minimum((xp.arange(h) * (arr.shape[-2] / h)).astype(np.int64), arr.shape[-2] - 1)
    xs = xp.minimum((xp.arange(w) * (arr.shape[-1] / w)).astype(np.int64), arr.shape[-1] - 1)
    return arr[..., ys[:, None], xs]  # type: ignore[no-any-return]


class Resize:
    """Resize to ``size`` (h, w); an int resizes the smaller edge to it, keeping the aspect ratio (no antialias)."""

    def __init__(self, size: int | Sequence[int], interpolation: Any = "bilinear") -> None:
        self.size = size
        _pair(size, "Resize")
        self.interpolation = _interp(interpolation, "Resize")

    def __call__(self, img: Any) -> Any:
        arr, was_tensor = unwrap(img, "Resize")
        h, w = arr.shape[-2:]
        if isinstance(self.size, numbers.Integral):
            s = int(self.size)
            th, tw = (s, int(s * w / h)) if h <= w else (int(s * h / w), s)
        else:
            th, tw = _pair(self.size, "Resize")
        return wrap(_resize(arr, th, tw, self.interpolation), was_tensor)


class RandomResizedCrop:
    """Crop a random area and aspect ratio, then resize it to ``size`` (torchvision's sampling rule).

    Up to 10 tries draw an area fraction s ~ U(scale) and a ratio r = exp(U(log ratio)); the crop is
    w = round(sqrt(s A r)), h = round(sqrt(s A / r)) at a uniform position if it fits; else a central crop clamped to
    the ratio range. The crop is resized bilinearly without antialiasing.
    """

    def __init__(self, size: int | Sequence[int], scale: Sequence[float] = (0.08, 1.0),
                 ratio: Sequence[float] = (3 / 4, 4 / 3), interpolation: Any = "bilinear",
                 generator: Generator | None = None) -> None:
        self.size = _pair(size, "RandomResizedCrop")
        self.scale = value_range(scale, "RandomResizedCrop", "scale")
        self.ratio = value_range(ratio, "RandomResizedCrop", "ratio")
        self.interpolation = _interp(interpolation, "RandomResizedCrop")
        self.generator = generator

    def get_params(self, height: int, width: int) -> tuple[int, int, int, int]:
        """(top, left, h, w) of the crop."""
        g = np_generator(self.generator)
        area = height * width
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            target = area * g.uniform(*self.scale)
            aspect = math.exp(g.uniform(*log_ratio))
            w, h = int(round(math.sqrt(target * aspect))), int(round(math.sqrt(target / aspect)))
            if 0 < w <= width and 0 < h <= height:
                return int(g.integers(0, height - h + 1)), int(g.integers(0, width - w + 1)), h, w
        in_ratio = width / height
        if in_ratio < min(self.ratio):
            w, h = width, int(round(width / min(self.ratio)))
        elif in_ratio > max(self.ratio):
            h, w = height, int(round(height * max(self.ratio)))
        else:
            h, w = height, width
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img: Any) -> Any:
        arr, was_tensor = unwrap(img, "RandomResizedCrop")
        i, j, h, w = self.get_params(*arr.shape[-2:])
        return wrap(_resize(arr[..., i:i + h, j:j + w], *self.size, self.interpolation), was_tensor)


class RandomRotation:
    """Rotate counter-clockwise by an angle drawn uniformly from ``degrees`` about the centre (or ``center``).

    Args:
        degrees: a range (min, max), or a number d for (-d, d).
        interpolation: 'nearest' or 'bilinear'. fill: value (or one per channel) of the pixels from outside.
    """

    def __init__(self, degrees: float | Sequence[float], interpolation: Any = "nearest", expand: bool = False,
                 center: Sequence[float] | None = None, fill: float | Sequence[float] = 0,
                 generator: Generator | None = None) -> None:
        if isinstance(degrees, numbers.Real):
            if degrees < 0:
                raise ValueError(f"RandomRotation: if degrees is a single number, it must be positive, got {degrees}")
            self.degrees = (-float(degrees), float(degrees))
        elif isinstance(degrees, Sequence) and len(degrees) == 2:
            self.degrees = (float(degrees[0]), float(degrees[1]))
        else:
            raise ValueError(f"RandomRotation: degrees should be a number or a sequence of 2 numbers, got {degrees!r}")
        if expand:
            raise NotImplementedError("RandomRotation: expand=True is not supported (the output keeps the input size)")
        self.interpolation = _interp(interpolation, "RandomRotation")
        self.center, self.fill, self.generator = center, fill, generator

    def __call__(self, img: Any) -> Any:
        arr, was_tensor = unwrap(img, "RandomRotation")
        angle = float(np_generator(self.generator).uniform(*self.degrees))
        return wrap(rotate(arr, angle, self.interpolation, self.center, self.fill), was_tensor)


class GaussianNoise:
    """Add i.i.d. Gaussian noise: ``x + N(mean, std^2)`` elementwise (float images; the dtype is kept).

    Args:
        clip: clamp the result to [0, 1] (images scaled by :class:`ToTensor`).
    """

    def __init__(self, mean: float = 0.0, std: float = 0.1, clip: bool = False,
                 generator: Generator | None = None) -> None:
        if std < 0:
            raise ValueError(f"GaussianNoise: std should be non-negative, got std={std}")
        self.mean, self.std, self.clip, self.generator = float(mean), float(std), clip, generator

    def __call__(self, img: Any) -> Any:
        arr, was_tensor = unwrap(img, "GaussianNoise")
        if arr.dtype.kind != "f":
            raise TypeError(f"GaussianNoise: input should be a float image, got dtype {arr.dtype}")
        noise = np_generator(self.generator).normal(self.mean, self.std, size=arr.shape).astype(arr.dtype)
        out = arr + noise
        return wrap(xp.clip(out, 0, 1) if self.clip else out, was_tensor)
