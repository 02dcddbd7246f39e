"""Fused scaled dot-product attention: ``softmax(Q K^T * scale + M) V`` as one graph node.

NOTE: fused for speed and memory: composed from matmul, mul, add, softmax, dropout and matmul it would be six nodes,
each keeping its own (..., L, S) temporary alive for the backward; here the forward keeps only the attention
probabilities P (and the dropout mask), and the backward is the closed form of the softmax Jacobian
``dS = P * (dP - sum(dP * P, -1))``. Constants are Python floats, so float32 stays float32.
"""

from __future__ import annotations

from typing import Any

from ..autograd.function import Primitive
from ..backend import xp

Array = Any


def _row_sums(a: Array) -> Array:
    """``a.sum(axis=-1, keepdims=True)`` as a product with a ones vector.

    NOTE: for speed: NumPy reduces a short last axis (the key length) row by row with a large per-row overhead
    (~8x slower at 16 keys); the matrix-vector product runs in BLAS.
    """
    return xp.matmul(a, xp.ones((a.shape[-1], 1), dtype=a.dtype))


def _masked_softmax(s: Array) -> Array:
    """Softmax over the last axis of ``s``, in place; a row whose every entry is ``-inf`` (fully masked) gives zeros.

    NOTE: the max is subtracted first so that exp never overflows; a fully masked row has max ``-inf``, which is
    replaced by 0 (else ``-inf - -inf`` is nan) and its zero sum by 1, so it comes out as zeros, as PyTorch's SDPA.
    """
    m = s.max(axis=-1, keepdims=True)
    if not xp.isfinite(m).all():
        m[xp.isneginf(m)] = 0.0
    s -= m
    xp.exp(s, out=s)
    total = _row_sums(s)
    total[total == 0] = 1.0
    s /= total
    return s


class ScaledDotProductAttention(Primitive):
    r"""``O = D(softmax(Q K^T \cdot scale + M)) V`` for ``Q`` of shape ``(*, L, E)``, ``K`` ``(*, S, E)``, ``V``
    ``(*, S, Ev)``, an additive mask ``M`` broadcastable to ``(*, L, S)`` (or None) and ``D`` the elementwise product
    with ``keep`` (a dropout mask already scaled by ``1 / (1 - p)``, or None). Batch axes broadcast.

    Backward, with ``P`` the probabilities and ``G`` the output gradient:
    ``dV = (P*keep)^T G``, ``dP = (G V^T) * keep``, ``dS = P * (dP - rowsum(dP * P))``, ``dQ = scale dS K``,
    ``dK = scale dS^T Q``, ``dM = dS``.
    """

    q: Array  # each kept only when a gradient needs it
    k: Array
    v: Array
    p: Array  # the probabilities, before dropout

    def forward(self, q: Array, k: Array, v: Array, mask: Array | None = None, *, scale: float,
                keep: Array | None = None) -> Array:
        s = xp.matmul(q, k.swapaxes(-1, -2))
        s *= scale
        if mask is not None:
            if s.shape == xp.broadcast_shapes(s.shape, mask.shape):
                s += mask  # in place when the mask does not widen the batch shape
            else:
                s = s + mask
        p = _masked_softmax(s)
        pd = p * keep if keep is not None else p
        need = self.needs_input_grad
        self.scale, self.keep, self.p = scale, keep, p
        self.q = q if need[1] else None
        self.k = k if need[0] else None
        self.v = v if need[0] or need[1] or (len(need) > 3 and need[3]) else None
        return xp.matmul(pd, v)

    def backward(self, g: Array) -> tuple[Array | None, Array | None, Array | None, Array | None]:
        need, p, keep = self.needs_input_grad, self.p, self.keep
        dq = dk = dv = dm = None
        if need[2]:
            pd = p * keep if keep is not None else p
            dv = xp.matmul(pd.swapaxes(-1, -2), g)
        if need[0] or need[1] or (len(need) > 3 and need[3]):
            dp = xp.matmul(g, self.v.swapaxes(-1, -2))
            if keep is not None:
                dp *= keep
            # NOTE: the softmax vector-Jacobian product, without forming the (S, S) Jacobian of each row
            ds = dp - _row_sums(dp * p)
            ds *= p
            if len(need) > 3 and need[3]:
                dm = ds
            if need[0]:
                dq = xp.matmul(ds, self.k)
                dq *= self.scale
            if need[1]:
                dk = xp.matmul(ds.swapaxes(-1, -2), self.q)
                dk *= self.scale
        return dq, dk, dv, dm
