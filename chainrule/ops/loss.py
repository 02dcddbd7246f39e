"""Fused loss primitives: softmax cross-entropy over class indices and the two binary cross-entropies.

NOTE: why these three are primitives instead of compositions on Tensor:

* ``CrossEntropy`` (class indices) is the hot path of every classifier benchmark. One node computes the log-softmax,
  picks the target's log-probability, applies class weights, ``ignore_index`` and label smoothing and reduces; the
  backward is one expression, ``(softmax * sum(q) - q) / normaliser``, with no (N, C) log-probability array kept and
  no scatter-add through a gather node. Composed, it would be five nodes and three (N, C) temporaries more.
* ``BinaryCrossEntropyWithLogits``: the stable form ``max(x, 0) - x y + log(1 + e^-|x|)`` goes through |x| and
  max(x, 0); differentiated piece by piece their kinks at x = 0 give the subgradient -y instead of 1/2 - y.
* ``BinaryCrossEntropy``: the logs are clamped to >= -100 as in PyTorch; differentiating the clamp gives
  0 * (1 / 0) = nan at p = 0 or p = 1, where PyTorch's gradient (p - y) / max(p (1 - p), 1e-12) stays finite.

All three take the labels and weights as raw arrays already cast to the input's dtype (the caller's job): int64
labels never meet the float math, so float32 stays float32 (NumPy 2 would promote int64 with float32 to float64).
"""

from __future__ import annotations

from typing import Any

from ..autograd.function import Primitive
from ..backend import xp

Array = Any

# PyTorch's floor on p (1 - p) in the gradient of binary cross-entropy: 1e-12 rounded to float32, as in its kernel
_BCE_EPS = 9.999999960041972e-13


class CrossEntropy(Primitive):
    """Softmax cross-entropy of logits ``x`` (N, C, *d) against class indices ``t`` (N, *d).

    With q_c = (1 - eps) w_t [c = t] + (eps / C) w_c (zero where t == ignore_index), the loss of one sample is
    -sum_c q_c log_softmax(x)_c and its gradient is softmax(x) * sum_c q_c - q. ``reduction`` 'mean' divides by the
    sum of w_t over the samples that are not ignored (their number without weights), as PyTorch does.
    """

    def forward(self, x: Array, t: Array, weight: Array | None, ignore_index: int, label_smoothing: float,
                reduction: str) -> Array:
        n_cls = x.shape[1]
        valid = t != ignore_index
        ti = xp.expand_dims(xp.where(valid, t, 0), 1)  # ignored targets point at class 0, with weight 0
        s = x - x.max(axis=1, keepdims=True)  # NOTE: shifted by the max so that exp never overflows
        e = xp.exp(s)
        se = e.sum(axis=1, keepdims=True)
        lse = xp.log(se)
        # -log_softmax(x)_t = lse - s_t: only the target's entry is needed, not the whole (N, C) log-softmax
        wt = valid.astype(x.dtype) if weight is None else xp.take(weight, ti[:, 0]) * valid
        loss = (lse - xp.take_along_axis(s, ti, axis=1))[:, 0] * wt
        eps = label_smoothing
        wc = None
        if eps > 0:
            # -sum_c w_c log_softmax(x)_c = sum_c w_c (lse - s_c)
            if weight is None:
                smooth = n_cls * lse - s.sum(axis=1, keepdims=True)
            else:
                wc = weight.reshape((1, n_cls) + (1,) * (x.ndim - 2))
                smooth = weight.sum() * lse - (s * wc).sum(axis=1, keepdims=True)
            loss = (1 - eps) * loss + (eps / n_cls) * smooth[:, 0] * valid
        norm = None
        if reduction == "mean":
            norm = wt.sum()
            with xp.errstate(invalid="ignore", divide="ignore"):  # every target ignored: 0 / 0 = nan, as PyTorch
                out = loss.sum() / norm
        elif reduction == "sum":
            out = loss.sum()
        else:
            out = loss
        if self.needs_input_grad[0]:
            e /= se  # the softmax, in the exp's own buffer
            self.p, self.ti, self.wt, self.valid, self.weight, self.wc = e, ti, wt, valid, weight, wc
            self.eps, self.norm, self.reduction = eps, norm, reduction
        return out

    def backward(self, g: Array) -> tuple[Array, None, None, None, None, None]:
        p, eps, n_cls = self.p, self.eps, self.p.shape[1]
        if self.reduction == "mean":
            if self.norm == 0:  # every target ignored: the loss is nan, the gradient 0 (as PyTorch)
                return xp.zeros_like(p), None, None, None, None, None
            coef = g / self.norm
        else:
            coef = g  # a scalar for 'sum', one value per sample for 'none'
        a = self.wt * (1 - eps) * coef if eps > 0 else self.wt * coef  # the weight of the one-hot part of q
        total = a
        if eps > 0:
            wsum = n_cls if self.weight is None else self.weight.sum()
            vc = self.valid * coef
            total = a + (eps / n_cls) * wsum * vc
        grad = p * xp.expand_dims(total, 1)
        ti = self.ti
        xp.put_along_axis(grad, ti, xp.take_along_axis(grad, ti, axis=1) - xp.expand_dims(a, 1), axis=1)
        if eps > 0:
            spread = xp.expand_dims(vc, 1) * (eps / n_cls)
            grad -= spread if self.wc is None else spread * self.wc
        return grad, None, None, None, None, None


class BinaryCrossEntropy(Primitive):
    """Elementwise -w (y max(log p, -100) + (1 - y) max(log(1 - p), -100)) of probabilities ``p``; unreduced."""

    def forward(self, p: Array, y: Array, w: Array | None) -> Array:
        with xp.errstate(divide="ignore"):
            lp = xp.maximum(xp.log(p), -100.0)
            l1p = xp.maximum(xp.log1p(-p), -100.0)
        loss = -(y * (lp - l1p) + l1p)
        self.p, self.y, self.w = p, y, w
        return loss if w is None else loss * w

    def backward(self, g: Array) -> tuple[Array | None, Array | None, None]:
        p, y = self.p, self.y
        gw = g if self.w is None else g * self.w
        gp = gy = None
        if self.needs_input_grad[0]:
            # NOTE: PyTorch's form: the denominator is floored so that p = 0 or 1 gives a large finite gradient
            gp = gw * (p - y) / xp.maximum(p * (1 - p), _BCE_EPS)
        if self.needs_input_grad[1]:
            with xp.errstate(divide="ignore"):
                gy = gw * (xp.log1p(-p) - xp.log(p))  # -logit(p), unclamped as in PyTorch
        return gp, gy, None


class BinaryCrossEntropyWithLogits(Primitive):
    """Elementwise w ((1 - y) x + l softplus(-x)) with l = 1 + (pos_weight - 1) y, on logits ``x``; unreduced.

    softplus(-x) = -log sigmoid(x) = log(1 + e^-|x|) + max(-x, 0), which neither overflows nor loses precision.
    """

    def forward(self, x: Array, y: Array, w: Array | None, pos_weight: Array | None) -> Array:
        e = xp.exp(-xp.abs(x))
        sp = xp.log1p(e) + xp.maximum(-x, 0)
        lw = None if pos_weight is None else 1 + (pos_weight - 1) * y
        loss = (1 - y) * x + (sp if lw is None else lw * sp)
        self.x, self.y, self.w, self.pw, self.e, self.sp, self.lw = x, y, w, pos_weight, e, sp, lw
        return loss if w is None else loss * w

    def backward(self, g: Array) -> tuple[Array | None, Array | None, None, None]:
        x, y, pw = self.x, self.y, self.pw
        gw = g if self.w is None else g * self.w
        gx = gy = None
        if self.needs_input_grad[0]:
            e = self.e
            sig = xp.where(x >= 0, 1, e) / (1 + e)  # sigmoid(x) from e^-|x|: exact on both tails
            gx = gw * (sig - y) if pw is None else gw * (sig * self.lw - pw * y)
        if self.needs_input_grad[1]:
            gy = -gw * x if pw is None else gw * ((pw - 1) * self.sp - x)
        return gx, gy, None, None
