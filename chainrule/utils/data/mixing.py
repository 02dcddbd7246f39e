"""Batch-level augmentation that mixes pairs of samples and their labels: MixUp and CutMix.

Both return ``(mixed_inputs, soft_targets)``: the targets are class-probability rows (N, C) that
``nn.CrossEntropyLoss`` accepts directly. The partner of sample i is sample ``perm[i]`` of a random permutation.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...backend import xp
from ...random import Generator, np_generator
from ...tensor import Tensor
from ._image import wrap

__all__ = ["MixUp", "CutMix"]


def _batch(inputs: Any, targets: Any, num_classes: int, where: str) -> tuple[np.ndarray, np.ndarray, bool]:
    """The input array, the targets as probability rows (N, C) in the input's float dtype, and the input's type."""
    was_tensor = isinstance(inputs, Tensor)
    x = inputs.detach().numpy() if was_tensor else xp.asarray(inputs)
    y = targets.detach().numpy() if isinstance(targets, Tensor) else xp.asarray(targets)
    if x.ndim < 2:
        raise ValueError(f"{where}: expected a batch of shape (N, ...), got {tuple(x.shape)}")
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"{where}: inputs {tuple(x.shape)} and targets {tuple(y.shape)} differ in batch size")
    ftype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
    if y.ndim == 1:
        if y.dtype.kind not in "iu" or (y.size and (y.min() < 0 or y.max() >= num_classes)):
            raise ValueError(f"{where}: class-index targets must be integers in [0, {num_classes}), got "
                             f"{y.dtype} values in [{y.min() if y.size else ''}, {y.max() if y.size else ''}]")
        soft = xp.zeros((y.shape[0], num_classes), dtype=ftype)
        soft[xp.arange(y.shape[0]), y] = 1
    elif y.ndim == 2 and y.shape[1] == num_classes:
        soft = y.astype(ftype)
    else:
        raise ValueError(f"{where}: targets must be class indices (N,) or probabilities (N, {num_classes}), got "
                         f"shape {tuple(y.shape)}")
    return x.astype(ftype, copy=False), soft, was_tensor


class _Mix:
    def __init__(self, alpha: float = 1.0, num_classes: int | None = None,
                 generator: Generator | None = None) -> None:
        where = type(self).__name__
        if not alpha > 0:
            raise ValueError(f"{where}: alpha should be positive, got alpha={alpha}")
        if num_classes is None or isinstance(num_classes, bool) or not isinstance(num_classes, int) or \
                num_classes < 1:
            raise ValueError(f"{where}: num_classes should be a positive integer, got num_classes={num_classes!r}")
        self.alpha, self.num_classes, self.generator = float(alpha), num_classes, generator
        self.lam = 1.0  # the last mixing weight of the first sample's own label (for inspection)
        self.perm = np.zeros(0, dtype=np.int64)  # the last pairing

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alpha={self.alpha}, num_classes={self.num_classes})"


class MixUp(_Mix):
    """MixUp (Zhang et al., 2018): convex combinations of pairs of samples and of their one-hot labels.

    .. math:: \\lambda \\sim \\mathrm{Beta}(\\alpha, \\alpha), \\quad \\tilde x = \\lambda x + (1 - \\lambda)
        x_{\\pi}, \\quad \\tilde y = \\lambda y + (1 - \\lambda) y_{\\pi}

    Args:
        alpha: the Beta distribution's parameter. num_classes: C.
        generator: the random stream (the default generator when None).

    Shape: inputs (N, *), targets (N,) class indices or (N, C) probabilities; returns (N, *) and (N, C).
    """

    def __call__(self, inputs: Any, targets: Any) -> tuple[Any, Any]:
        x, y, was_tensor = _batch(inputs, targets, self.num_classes, "MixUp")
        g = np_generator(self.generator)
        lam = float(g.beta(self.alpha, self.alpha))
        perm = g.permutation(x.shape[0])
        lt = x.dtype.type(lam)
        mixed = lt * x + (1 - lt) * x[perm]
        soft = lt * y + (1 - lt) * y[perm]
        self.lam, self.perm = lam, perm
        return wrap(mixed, was_tensor), wrap(soft, was_tensor)


class CutMix(_Mix):
    """CutMix (Yun et al., 2019): paste a random box of each partner image; labels mix by the area kept.

    .. math:: \\lambda \\sim \\mathrm{Beta}(\\alpha, \\alpha), \\; \\text{box } \\sqrt{1 - \\lambda} H \\times
        \\sqrt{1 - \\lambda} W \\text{ at a uniform centre, clipped}; \\quad \\lambda' = 1 - \\frac{\\text{box area}}
        {H W}, \\quad \\tilde y = \\lambda' y + (1 - \\lambda') y_{\\pi}

    Shape: inputs (N, C, H, W) or (N, H, W), targets (N,) or (N, C); returns the inputs' shape and (N, C).
    ``self.lam`` holds lambda' (the kept area fraction) and ``self.box`` (top, left, bottom, right) of the last call.
    """

    def __call__(self, inputs: Any, targets: Any) -> tuple[Any, Any]:
        x, y, was_tensor = _batch(inputs, targets, self.num_classes, "CutMix")
        if x.ndim not in (3, 4):
            raise ValueError(f"CutMix: expected images of shape (N, C, H, W) or (N, H, W), got {tuple(x.shape)}")
        g = np_generator(self.generator)
        lam = float(g.beta(self.alpha, self.alpha))
        perm = g.permutation(x.shape[0])
        h, w = x.shape[-2:]
        cy, cx = int(g.integers(0, h)), int(g.integers(0, w))
        half = 0.5 * math.sqrt(1.0 - lam)
        top, bottom = max(int(cy - half * h), 0), min(int(cy + half * h), h)
        left, right = max(int(cx - half * w), 0), min(int(cx + half * w), w)
        mixed = x.copy()
        mixed[..., top:bottom, left:right] = x[perm][..., top:bottom, left:right]
        # NOTE: the label weight is the area actually kept after clipping, not the drawn lambda
        kept = 1.0 - (bottom - top) * (right - left) / (h * w)
        kt = y.dtype.type(kept)
        soft = kt * y + (1 - kt) * y[perm]
        self.lam, self.perm, self.box = kept, perm, (top, left, bottom, right)
        return wrap(mixed, was_tensor), wrap(soft, was_tensor)
