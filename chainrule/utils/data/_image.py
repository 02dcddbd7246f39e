"""Array helpers of the image transforms: tensor/array round trips, padding, bilinear resize, rotation.

Images are arrays of shape (..., H, W) (usually (C, H, W) or (H, W)); every helper is vectorised over the pixels.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any, Sequence

import numpy as np

from ...backend import xp
from ...tensor import Tensor
from ...tensor.creation import as_tensor


def unwrap(img: Any, where: str) -> tuple[np.ndarray, bool]:
    """The backend array of an image (a Tensor or an array) and whether it came as a Tensor."""
    if isinstance(img, Tensor):
        arr, was_tensor = img.detach().numpy(), True
    elif isinstance(img, np.ndarray):
        arr, was_tensor = img, False
    else:
        raise TypeError(f"{where}: expected an image as a NumPy array or a Tensor, got {type(img).__name__}")
    if arr.ndim < 2:
        raise ValueError(f"{where}: expected an image of shape (C, H, W) or (H, W), got shape {tuple(arr.shape)}")
    return arr, was_tensor


def check_p(p: float, where: str) -> float:
    """``p`` as a float, or a ValueError naming ``where`` when it is not a probability."""
    if not isinstance(p, numbers.Real) or not 0 <= p <= 1:
        raise ValueError(f"{where}: probability p should be between 0 and 1, got p={p!r}")
    return float(p)


def value_range(value: Sequence[float], where: str, name: str) -> tuple[float, float]:
    """(min, max) from a 2-sequence; warns, as torchvision does, when they come in the wrong order."""
    lo, hi = float(value[0]), float(value[1])
    if lo > hi:
        warnings.warn(f"{where}: {name} should be of kind (min, max), got {tuple(value)}", stacklevel=3)
    return lo, hi


def wrap(arr: np.ndarray, was_tensor: bool) -> Any:
    """Back to the caller's type: a Tensor for a Tensor, an array for an array."""
    return as_tensor(xp.ascontiguousarray(arr)) if was_tensor else arr


def cast_like(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``values`` (float) in ``dtype``: integer images are rounded and clipped to the dtype's range."""
    if dtype.kind in "iu":
        info = xp.iinfo(dtype)
        values = xp.clip(xp.rint(values), info.min, info.max)
    elif dtype.kind == "b":
        values = values >= 0.5
    return values.astype(dtype, copy=False)


def pad(arr: np.ndarray, left: int, top: int, right: int, bottom: int, fill: float = 0,
        mode: str = "constant") -> np.ndarray:
    """Pad the last two axes; ``mode`` is 'constant' (with ``fill``), 'edge', 'reflect' or 'symmetric'."""
    if mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError(f"pad: padding_mode should be constant, edge, reflect or symmetric, got {mode!r}")
    widths = [(0, 0)] * (arr.ndim - 2) + [(top, bottom), (left, right)]
    if mode == "constant":
        return xp.pad(arr, widths, mode="constant", constant_values=fill)  # type: ignore[no-any-return]
    return xp.pad(arr, widths, mode=mode)  # type: ignore[no-any-return, call-overload]


def _source_coords(out_size: int, in_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower/upper neighbours and weights of the upper one, half-pixel centres (``align_corners=False``)."""
    # NOTE: as torch's interpolate: src = (dst + 0.5) * in / out - 0.5, clamped at 0; the upper neighbour stops at
    # the last pixel, so borders replicate instead of blending with anything outside the image.
    src = xp.maximum((xp.arange(out_size) + 0.5) * (in_size / out_size) - 0.5, 0.0)
    lo = xp.minimum(xp.floor(src).astype(xp.int64), in_size - 1)
    hi = xp.minimum(lo + 1, in_size - 1)
    return lo, hi, src - lo


def resize_bilinear(arr: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Bilinear resize of the last two axes to (out_h, out_w), without antialiasing; keeps the dtype.

    out[y, x] = sum over the 4 neighbours of the source point of (1 - |dy|)(1 - |dx|) * in[neighbour].
    """
    h, w = arr.shape[-2:]
    y0, y1, wy = _source_coords(out_h, h)
    x0, x1, wx = _source_coords(out_w, w)
    ftype = arr.dtype if arr.dtype.kind == "f" else xp.dtype(xp.float32)
    a = arr.astype(ftype, copy=False)
    wy_, wx_ = wy.astype(ftype)[:, None], wx.astype(ftype)
    rows = a[..., y0, :] * (1 - wy_) + a[..., y1, :] * wy_
    out = rows[..., x0] * (1 - wx_) + rows[..., x1] * wx_
    return cast_like(out, arr.dtype)


def _fill_array(fill: float | Sequence[float], arr: np.ndarray) -> np.ndarray:
    """``fill`` broadcastable over (..., H, W): a number, or one value per channel of a (C, H, W) image."""
    f = xp.asarray(fill, dtype=xp.float64)
    if f.ndim == 0:
        return f
    if arr.ndim < 3 or f.shape != (arr.shape[-3],):
        raise ValueError(f"fill: expected a number or one value per channel ({arr.shape[-3] if arr.ndim > 2 else 1}), "
                         f"got {list(f)} for an image of shape {tuple(arr.shape)}")
    return f[:, None, None]


def rotate(arr: np.ndarray, angle: float, interpolation: str = "nearest", center: Sequence[float] | None = None,
           fill: float | Sequence[float] = 0) -> np.ndarray:
    """Rotate the last two axes counter-clockwise by ``angle`` degrees about ``center`` (x, y) in pixel indices,
    default the image centre ((W - 1) / 2, (H - 1) / 2); pixels from outside the image take ``fill``.

    Each output pixel p samples the input at c + R(-angle)(p - c) (inverse mapping), nearest or bilinear.
    """
    h, w = arr.shape[-2:]
    cx, cy = ((w - 1) / 2, (h - 1) / 2) if center is None else (float(center[0]), float(center[1]))
    theta = xp.deg2rad(angle)
    cos, sin = xp.cos(theta), xp.sin(theta)
    # NOTE: snap cos/sin of multiples of 90 degrees to exact 0/±1 so such rotations are exact permutations
    cos, sin = (round(v) if abs(v - round(v)) < 1e-12 else v for v in (cos, sin))
    yo, xo = xp.meshgrid(xp.arange(h, dtype=xp.float64) - cy, xp.arange(w, dtype=xp.float64) - cx, indexing="ij")
    xs = cx + xo * cos - yo * sin  # y points down, so a counter-clockwise turn on screen is this matrix
    ys = cy + xo * sin + yo * cos
    fill_arr = _fill_array(fill, arr)
    if interpolation == "nearest":
        xi, yi = xp.rint(xs).astype(xp.int64), xp.rint(ys).astype(xp.int64)
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        out = arr[..., xp.clip(yi, 0, h - 1), xp.clip(xi, 0, w - 1)].astype(xp.float64)
        return cast_like(xp.where(inside, out, fill_arr), arr.dtype)
    if interpolation != "bilinear":
        raise ValueError(f"rotate: interpolation must be 'nearest' or 'bilinear', got {interpolation!r}")
    # bilinear: pad one ring of fill so that points just outside blend towards the fill value
    padded = pad(arr.astype(xp.float64), 1, 1, 1, 1)
    ring = xp.ones((h + 2, w + 2), dtype=bool)
    ring[1:-1, 1:-1] = False
    padded = xp.where(ring, fill_arr, padded)
    xs, ys = xs + 1, ys + 1
    inside = (xs >= 0) & (xs <= w + 1) & (ys >= 0) & (ys <= h + 1)
    x0 = xp.clip(xp.floor(xs).astype(xp.int64), 0, w)
    y0 = xp.clip(xp.floor(ys).astype(xp.int64), 0, h)
    wx, wy = xp.clip(xs - x0, 0, 1), xp.clip(ys - y0, 0, 1)
    out = (padded[..., y0, x0] * (1 - wx) * (1 - wy) + padded[..., y0, x0 + 1] * wx * (1 - wy)
           + padded[..., y0 + 1, x0] * (1 - wx) * wy + padded[..., y0 + 1, x0 + 1] * wx * wy)
    return cast_like(xp.where(inside, out, fill_arr), arr.dtype)
