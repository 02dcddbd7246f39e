"""Transforms that erase part of an image: Cutout and RandomErasing (re-exported by :mod:`.transforms`)."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ...random import Generator, np_generator
from ._image import cast_like, check_p, unwrap, value_range, wrap

__all__ = ["Cutout", "RandomErasing"]


class Cutout:
    """Set a ``size`` × ``size`` square (clipped at the borders) centred on a uniform random pixel to ``fill``
    (DeVries & Taylor, 2017), ``n_holes`` times."""

    def __init__(self, size: int, n_holes: int = 1, fill: float = 0.0, generator: Generator | None = None) -> None:
        if size <= 0 or n_holes <= 0:
            raise ValueError(f"Cutout: size and n_holes must be positive, got size={size}, n_holes={n_holes}")
        self.size, self.n_holes, self.fill, self.generator = int(size), int(n_holes), fill, generator

    def __call__(self, img: Any) -> Any:
        arr, was_tensor = unwrap(img, "Cutout")
        out = arr.copy()
        h, w = arr.shape[-2:]
        g = np_generator(self.generator)
        for _ in range(self.n_holes):
            cy, cx = int(g.integers(0, h)), int(g.integers(0, w))
            y0, x0 = max(cy - self.size // 2, 0), max(cx - self.size // 2, 0)
            out[..., y0:cy - self.size // 2 + self.size, x0:cx - self.size // 2 + self.size] = self.fill
        return wrap(out, was_tensor)


class RandomErasing:
    """With probability ``p``, erase a random rectangle (torchvision's rule: up to 10 tries of an area fraction
    ~ U(scale) and an aspect ratio exp(U(log ratio)) that fits strictly inside the image).

    Args:
        value: a number, one value per channel, or 'random' (standard normal noise).
    """

    def __init__(self, p: float = 0.5, scale: Sequence[float] = (0.02, 0.33), ratio: Sequence[float] = (0.3, 3.3),
                 value: float | Sequence[float] | str = 0, inplace: bool = False,
                 generator: Generator | None = None) -> None:
        self.p = check_p(p, "RandomErasing")
        self.scale = value_range(scale, "RandomErasing", "scale")
        self.ratio = value_range(ratio, "RandomErasing", "ratio")
        if self.scale[0] < 0 or self.scale[1] > 1:
            raise ValueError(f"RandomErasing: scale should be between 0 and 1, got {tuple(scale)}")
        if isinstance(value, str) and value != "random":
            raise ValueError(f"RandomErasing: if value is a str, it should be 'random', got {value!r}")
        self.value, self.inplace, self.generator = value, inplace, generator

    def __call__(self, img: Any) -> Any:
        arr, was_tensor = unwrap(img, "RandomErasing")
        g = np_generator(self.generator)
        if g.random() >= self.p:
            return img
        h, w = arr.shape[-2:]
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            area = h * w * g.uniform(*self.scale)
            aspect = math.exp(g.uniform(*log_ratio))
            eh, ew = int(round(math.sqrt(area * aspect))), int(round(math.sqrt(area / aspect)))
            if not (eh < h and ew < w):
                continue
            i, j = int(g.integers(0, h - eh + 1)), int(g.integers(0, w - ew + 1))
            out = arr if self.inplace else arr.copy()
            region = out[..., i:i + eh, j:j + ew]
            if isinstance(self.value, str):
                v: Any = g.standard_normal(region.shape)
            else:
                v = np.asarray(self.value, dtype=np.float64)
                v = v.reshape(-1, 1, 1) if v.ndim else v
            region[...] = cast_like(np.broadcast_to(v, region.shape).astype(np.float64), arr.dtype)
            return img if self.inplace and not was_tensor else wrap(out, was_tensor)
        return img
