"""Fused layer primitives: the affine map of ``Linear`` and the table lookup of ``Embedding``.

Both could be composed from transpose, matmul, add and indexing; they are fused because they sit on the hot path of
every model (one graph node per layer instead of three) and because their gradients have a simple closed form.
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.function import Primitive
from ..backend import xp
from .movement import index_add

Array = Any


# NOTE: fused for speed: one node per layer
class Linear(Primitive):
    """``y = x W^T + b`` for ``x`` of shape ``(*, in)``, ``W`` of shape ``(out, in)``, ``b`` of shape ``(out,)`` or
    None.

    The batch dimensions are flattened into one, so forward is a single GEMM and backward two:
    ``dx = g W``, ``dW = g^T x``, ``db = sum of g over the batch``.
    """

    x2: Array  # the input as (batch, in), kept only when W needs a gradient
    w: Array  # kept only when x needs a gradient
    x_shape: tuple[int, ...]

    def forward(self, x: Array, w: Array, b: Array | None = None) -> Array:
        out_f, in_f = w.shape
        batch = x.shape[:-1]
        # NOTE: a reshape of a contiguous array is free; only a non-contiguous x is copied (GEMM needs 2-D operands)
        x2 = x.reshape(math.prod(batch), in_f)
        need = self.needs_input_grad
        self.x2 = x2 if need[1] else None
        self.w = w if need[0] else None
        self.x_shape = x.shape
        y = x2 @ w.T  # W.T is a view: BLAS reads it transposed, no copy
        if b is not None:
            y += b  # in place: no second output array
        return y.reshape(*batch, out_f)

    def backward(self, g: Array) -> tuple[Array | None, Array | None, Array | None]:
        need = self.needs_input_grad
        g2 = g.reshape(math.prod(self.x_shape[:-1]), g.shape[-1])
        dx = dw = db = None
        if need[0]:
            # NOTE: written through a 2-D view into an array of x's shape, so the gradient owns its memory (the
            # engine keeps it as a leaf's .grad without another copy)
            dx = xp.empty(self.x_shape, dtype=g.dtype)
            xp.matmul(g2, self.w, out=dx.reshape(g2.shape[0], self.x_shape[-1]))
        if need[1]:
            dw = g2.T @ self.x2
        if len(need) > 2 and need[2]:
            db = g2.sum(axis=0)
        return dx, dw, db


class Embedding(Primitive):
    """``out[..., :] = weight[indices[...], :]``: a lookup of rows.

    The gradient of the table adds the output gradient of every lookup into its row, so a row used twice gets the
    sum of both; the ``padding_idx`` row gets no gradient. With ``scale_grad_by_freq`` each row's gradient is divided
    by how often its index occurs in the batch.
    """

    def forward(self, weight: Array, indices: Array, padding_idx: int | None = None,
                scale_grad_by_freq: bool = False) -> Array:
        self.indices = indices
        self.n = weight.shape[0]
        self.padding_idx = padding_idx
        self.scale_grad_by_freq = scale_grad_by_freq
        return xp.take(weight, indices, axis=0)

    def backward(self, g: Array) -> tuple[Array | None, None]:
        idx = self.indices.reshape(-1)
        g2 = g.reshape(idx.size, -1)
        if self.scale_grad_by_freq:
            counts = xp.bincount(idx, minlength=self.n)
            g2 = g2 / counts[idx, None].astype(g.dtype)
        gw = xp.zeros((self.n, g2.shape[1]), dtype=g.dtype)
        # NOTE: not gw[idx] += g2, which keeps only the last of repeated rows: index_add accumulates every occurrence
        # (NumPy's add.at on rows, its slow path, measured 8.7 ms for 4,096 lookups of 128 floats)
        index_add(gw, idx, g2, zeroed=True)
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return gw, None
