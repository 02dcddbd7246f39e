"""Resampling functions, as ``torch.nn.functional``: ``interpolate`` (nearest, nearest-exact, linear, bilinear),
``pixel_shuffle`` and ``pixel_unshuffle``."""

from __future__ import annotations

import math
from typing import Any, Sequence

from ...ops.resample import Resample1d, linear_indices, nearest_indices
from ...tensor import Tensor

__all__ = ["interpolate", "pixel_shuffle", "pixel_unshuffle"]

_LINEAR = {"linear": 3, "bilinear": 4}
_MODES = ("nearest", "nearest-exact", "linear", "bilinear")


def _per_dim(name: str, v: Any, nd: int, what: str) -> list[Any]:
    if isinstance(v, (list, tuple)):
        if len(v) != nd:
            raise ValueError(f"{name}: Input and {what} must have the same number of spatial dimensions, but got "
                             f"input with spatial dimensions of {nd} and {what} of {tuple(v)}")
        return list(v)
    return [v] * nd


def interpolate(input: Tensor, size: int | Sequence[int] | None = None,  # noqa: A002
                scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    r"""Resize the spatial dimensions of ``input`` to ``size`` or by ``scale_factor``, as PyTorch.

    - ``'nearest'``: :math:`y[i] = x[\min(\lfloor i \cdot s \rfloor, L - 1)]` with :math:`s = 1/\text{scale}` (or
      :math:`L / L_{out}`); ``'nearest-exact'`` uses :math:`\lfloor (i + 0.5) s \rfloor`.
    - ``'linear'`` (3-D input) and ``'bilinear'`` (4-D, separable): :math:`y[i] = (1 - \lambda) x[i_0] + \lambda
      x[i_0 + 1]` at the source :math:`i_0 + \lambda = i \frac{L - 1}{L_{out} - 1}` with ``align_corners``, else
      :math:`\max((i + 0.5) s - 0.5, 0)`.

    Args:
        input: :math:`(N, C, L)` or :math:`(N, C, H, W)` (nearest also :math:`(N, C, D, H, W)`).
        size: the output spatial size (int or one per spatial dimension).
        scale_factor: the multiplier of the spatial size; the output is :math:`\lfloor L \cdot \text{scale}
            \rfloor`. Exactly one of ``size`` and ``scale_factor``.
        mode: ``'nearest'``, ``'nearest-exact'``, ``'linear'`` or ``'bilinear'``.
        align_corners: linear modes only: the corner pixels' centres of input and output coincide. Default False.
        recompute_scale_factor: compute the sampling scale from the output size instead of ``scale_factor``.
        antialias: not supported (must be False).

    Shape: output :math:`(N, C, *\text{size})`.

    Example::

        >>> F.interpolate(chainrule.randn(1, 3, 4, 4), scale_factor=2, mode="bilinear").shape
        chainrule.Size([1, 3, 8, 8])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate(): argument 'input' must be Tensor, not {type(input).__name__}")
    if mode not in _MODES:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported; expected one of {_MODES}")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    nd = input.dim() - 2
    if nd < 1 or nd > 3 or (mode in _LINEAR and input.dim() != _LINEAR[mode]):
        want = f"{_LINEAR[mode]}D" if mode in _LINEAR else "3D, 4D or 5D"
        raise NotImplementedError(f"interpolate: got {input.dim()}D input of shape {tuple(input.shape)}, but mode "
                                  f"{mode!r} needs {want} input")
    if align_corners is not None and mode not in _LINEAR:
        raise ValueError("interpolate: align_corners option can only be set with the interpolating modes: "
                         f"linear | bilinear, got mode={mode!r}")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: only one of size or scale_factor should be defined, got "
                         f"size={size} and scale_factor={scale_factor}")
    in_sizes = tuple(input.shape[2:])
    scales: list[float | None]
    if size is not None:
        out = [int(s) for s in _per_dim("interpolate", size, nd, "output size")]
        scales = [None] * nd
    else:
        factors = [float(s) for s in _per_dim("interpolate", scale_factor, nd, "scale_factor")]
        if min(factors) <= 0:
            raise ValueError(f"interpolate: scale_factor must be positive, got {scale_factor}")
        out = [math.floor(float(n) * s) for n, s in zip(in_sizes, factors)]
        scales = list(factors)
        if recompute_scale_factor:
            scales = [None] * nd
    if min(out) <= 0:
        raise ValueError(f"interpolate: output size must be positive, got {tuple(out)} for input of shape "
                         f"{tuple(input.shape)}")
    input._require_float("interpolate")
    y = input
    corners = bool(align_corners)
    # NOTE: separable: one resample node per spatial axis, the last axis first (as PyTorch's index order)
    for ax in reversed(range(nd)):
        n_in, n_out, sc = in_sizes[ax], out[ax], scales[ax]
        if mode in _LINEAR:
            if n_in == n_out and (corners or sc is None or sc == 1.0):
                continue  # identical sources with weight 1: the axis is copied unchanged
            i0, i1, w0, w1 = linear_indices(n_in, n_out, sc, corners, input._data.dtype)
            y = Resample1d.apply(y, ax + 2, i0, i1, w0, w1)
        else:
            idx = nearest_indices(n_in, n_out, sc, exact=mode == "nearest-exact")
            y = Resample1d.apply(y, ax + 2, idx)
    return y if y is not input else input * 1.0


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:  # noqa: A002
    r"""Rearrange :math:`(*, C r^2, H, W)` into :math:`(*, C, H r, W r)` (Shi et al., 2016):

    .. math:: y[c, h r + i, w r + j] = x[c r^2 + i r + j, h, w]

    A reshape and a permutation, so the gradient is the inverse rearrangement.

    Args:
        input: :math:`(*, C r^2, H, W)`.
        upscale_factor: :math:`r`.

    Shape: output :math:`(*, C, H r, W r)`.
    """
    r = int(upscale_factor)
    shape = tuple(input.shape)
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle: upscale_factor must be positive, got {upscale_factor}")
    if len(shape) < 3 or shape[-3] % (r * r):
        raise RuntimeError(f"pixel_shuffle: expected input of shape (*, C * {r}^2, H, W), got {shape}")
    *b, c, h, w = shape
    nb = len(b)
    x = input.reshape(*b, c // (r * r), r, r, h, w)
    x = x.permute(*range(nb), nb, nb + 3, nb + 1, nb + 4, nb + 2)
    return x.reshape(*b, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:  # noqa: A002
    r"""The inverse of :func:`pixel_shuffle`: :math:`(*, C, H r, W r)` into :math:`(*, C r^2, H, W)`,
    :math:`y[c r^2 + i r + j, h, w] = x[c, h r + i, w r + j]`.

    Args:
        input: :math:`(*, C, H r, W r)`.
        downscale_factor: :math:`r`.

    Shape: output :math:`(*, C r^2, H, W)`.
    """
    r = int(downscale_factor)
    shape = tuple(input.shape)
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle: downscale_factor must be positive, got {downscale_factor}")
    if len(shape) < 3 or shape[-1] % r or shape[-2] % r:
        raise RuntimeError(f"pixel_unshuffle: expected input of shape (*, C, H * {r}, W * {r}), got {shape}")
    *b, c, h, w = shape
    nb = len(b)
    x = input.reshape(*b, c, h // r, r, w // r, r)
    x = x.permute(*range(nb), nb, nb + 2, nb + 4, nb + 1, nb + 3)
    return x.reshape(*b, c * r * r, h // r, w // r)
