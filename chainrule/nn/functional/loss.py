"""Loss functions with PyTorch's names, signatures and defaults, plus focal loss, asymmetric loss and L1/L2 penalties.

Each returns the unreduced loss for ``reduction='none'``, its mean for ``'mean'`` and its sum for ``'sum'``. The
deprecated ``size_average`` / ``reduce`` arguments are accepted where PyTorch has them and mapped as PyTorch maps them.
Softmax cross-entropy over class indices and the two binary cross-entropies are fused primitives
(:mod:`chainrule.ops.loss`); the others are composed from tensor operations.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Iterable, Sequence

import numpy as np

from ...autograd.grad_mode import is_grad_enabled
from ...ops.loss import BinaryCrossEntropy, BinaryCrossEntropyWithLogits, CrossEntropy
from ...tensor import Tensor
from ...tensor.creation import as_tensor
from ...tensor.functions import where

__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "gaussian_nll_loss", "kl_div",
           "sigmoid_focal_loss", "focal_loss", "asymmetric_loss", "l1_penalty", "l2_penalty"]

_REDUCTIONS = ("none", "mean", "sum")


# ----------------------------------------------------------------- argument checks shared by the losses
def _reduction(name: str, reduction: str, size_average: bool | None = None, reduce: bool | None = None,
               allowed: Sequence[str] = _REDUCTIONS) -> str:
    """The reduction to use: the legacy ``size_average`` / ``reduce`` pair when given (as PyTorch), else
    ``reduction``, which must be one of ``allowed``."""
    if size_average is not None or reduce is not None:
        sa = True if size_average is None else size_average
        rd = True if reduce is None else reduce
        reduction = "mean" if sa and rd else ("sum" if rd else "none")
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' "
                      "instead.", stacklevel=3)
    if reduction not in allowed:
        raise ValueError(f"{name}: {reduction!r} is not a valid value for reduction (expected one of "
                         f"{', '.join(map(repr, allowed))})")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else as_tensor(x)


def _const(arr: np.ndarray) -> Tensor:
    return Tensor._make(arr, None, False)


def _check_broadcast(name: str, input: Tensor, target: Tensor, warn: bool = True) -> None:  # noqa: A002
    """A target of another shape must broadcast against the input (RuntimeError otherwise, as PyTorch); PyTorch also
    warns, because such a target is almost always a mistake (an (N, 1) output against an (N,) target)."""
    if input.shape == target.shape:
        return
    try:
        np.broadcast_shapes(input.shape, target.shape)
    except ValueError:
        raise RuntimeError(f"{name}: the input of shape {tuple(input.shape)} and the target of shape "
                           f"{tuple(target.shape)} do not broadcast") from None
    if warn:
        warnings.warn(f"{name}: Using a target size ({tuple(target.shape)}) that is different to the input size "
                      f"({tuple(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=3)


def _same_shape(name: str, input: Tensor, target: Tensor) -> None:  # noqa: A002
    if input.shape != target.shape:
        raise ValueError(f"{name}: Target size ({tuple(target.shape)}) must be the same as input size "
                         f"({tuple(input.shape)})")


def _no_grad_arg(name: str, arg: str, t: Any) -> None:
    """PyTorch refuses a gradient for class weights of its fused losses; refuse it too rather than drop it."""
    if isinstance(t, Tensor) and t.requires_grad and is_grad_enabled():
        raise RuntimeError(f"The function '{name}' is not differentiable with respect to argument '{arg}'. This "
                           "input cannot have requires_grad True.")


def _class_weight(name: str, weight: Any, dtype: np.dtype, n_cls: int) -> np.ndarray | None:
    """(C,) class weights as a raw array of the input's dtype (so that float32 stays float32)."""
    if weight is None:
        return None
    _no_grad_arg(name, "weight", weight)
    w = weight._data if isinstance(weight, Tensor) else np.asarray(weight)
    if w.shape != (n_cls,):
        raise RuntimeError(f"{name}: weight tensor should be defined either for all {n_cls} classes or no classes but "
                           f"got weight tensor of shape: {list(w.shape)}")
    return w.astype(dtype, copy=False)


def _broadcast_weight(name: str, arg: str, weight: Any, input: Tensor) -> np.ndarray | None:  # noqa: A002
    """An elementwise weight of the input's dtype that broadcasts to the input's shape (RuntimeError otherwise)."""
    if weight is None:
        return None
    _no_grad_arg(name, arg, weight)
    w = weight._data if isinstance(weight, Tensor) else np.asarray(weight)
    try:
        ok = np.broadcast_shapes(w.shape, input.shape) == tuple(input.shape)
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"{name}: {arg} of shape {tuple(w.shape)} does not broadcast to the input's shape "
                           f"{tuple(input.shape)}")
    return w.astype(input._data.dtype, copy=False)


def _floats(input: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:  # noqa: A002
    """Input and target in their common floating dtype (PyTorch's promotion); integer targets become floats."""
    dt = np.result_type(input._data.dtype, target._data.dtype)
    if dt.kind != "f":
        dt = np.dtype(np.float32) if input._data.dtype.kind != "f" else input._data.dtype
    return input._cast(dt), target._cast(dt)


def _class_target(name: str, input: Tensor, target: Tensor, ignore_index: int) -> tuple[Tensor, np.ndarray]:  # noqa: A002
    """Check class indices against an (N, C, *d) or (C,) input; return the input with a batch dimension and the
    indices as an int64 array of shape (N, *d)."""
    if input.ndim == 0:
        raise ValueError(f"{name}: expected an input of shape (C,) or (N, C, *d), got a 0-d tensor")
    t = target._data
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"{name}: expected class indices of an integer dtype (int64), got target of dtype "
                           f"{target.dtype} and shape {tuple(t.shape)} for input of shape {tuple(input.shape)}")
    if input.ndim == 1:
        if t.ndim != 0:
            raise ValueError(f"{name}: an input of shape {tuple(input.shape)} (unbatched) needs a 0-d target, got "
                             f"target of shape {tuple(t.shape)}")
        input, t = input.unsqueeze(0), t.reshape(1)
    elif t.ndim == 0 or input.shape[0] != t.shape[0]:
        raise ValueError(f"{name}: Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({t.shape[0] if t.ndim else 0}): input {tuple(input.shape)}, target {tuple(t.shape)}")
    elif t.shape[1:] != input.shape[2:]:
        raise RuntimeError(f"{name}: size mismatch (got input: {list(input.shape)}, target: {list(t.shape)}); "
                           "expected target of shape (N, *d) for input (N, C, *d)")
    n_cls = input.shape[1]
    bad = (t != ignore_index) & ((t < 0) | (t >= n_cls))
    if bad.any():
        raise IndexError(f"{name}: Target {t[bad][0]} is out of bounds for {n_cls} classes")
    return input, t.astype(np.int64, copy=False)


# ----------------------------------------------------------------- regression
def _pointwise(name: str, loss: Tensor, input: Tensor, weight: Any, reduction: str,  # noqa: A002
               mean_by_weight: bool) -> Tensor:
    """Apply PyTorch's optional elementwise ``weight`` (same shape as the input) and reduce."""
    if weight is None:
        return _reduce(loss, reduction)
    w = _tensor(weight)
    if w.shape != input.shape:
        raise ValueError(f"{name}: Weights and input must have the same size: weight {tuple(w.shape)}, input "
                         f"{tuple(input.shape)}")
    loss = loss * w
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / w.sum()
    return _reduce(loss, reduction)


def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,  # noqa: A002
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean squared error: l_i = w_i (x_i - y_i)^2; with ``weight``, 'mean' is sum(l) / sum(w) (as PyTorch).

    Args:
        input, target: broadcastable tensors (a different shape warns, as in PyTorch).
        reduction: 'none' | 'mean' | 'sum'.
        weight: optional elementwise weights of the input's shape.

    Shape: input (*), target (*), output scalar or (*) for 'none'.

    Example: ``F.mse_loss(model(x), y)``.
    """
    r = _reduction("mse_loss", reduction, size_average, reduce)
    input, target = _tensor(input), _tensor(target)
    _check_broadcast("mse_loss", input, target)
    d = input - target
    return _pointwise("mse_loss", d * d, input, weight, r, True)


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,  # noqa: A002
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean absolute error: l_i = w_i |x_i - y_i| (the gradient at x = y is 0); with ``weight``, 'mean' is
    sum(l) / sum(w). Args and Shape as :func:`mse_loss`."""
    r = _reduction("l1_loss", reduction, size_average, reduce)
    input, target = _tensor(input), _tensor(target)
    _check_broadcast("l1_loss", input, target)
    return _pointwise("l1_loss", (input - target).abs(), input, weight, r, True)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,  # noqa: A002
                   reduce: bool | None = None, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1: l_i = 0.5 d_i^2 / beta if |d_i| < beta else |d_i| - 0.5 beta, with d = x - y; beta = 0 is L1.

    Args:
        beta: where the quadratic part turns linear (>= 0).
        reduction: 'none' | 'mean' | 'sum'.

    Shape: input (*), target (*), output scalar or (*) for 'none'.
    """
    r = _reduction("smooth_l1_loss", reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta, got {beta}")
    input, target = _tensor(input), _tensor(target)
    _check_broadcast("smooth_l1_loss", input, target)
    d = input - target
    z = d.abs()
    if beta == 0:
        return _reduce(z, r)
    return _reduce(where(z < beta, (d * d) * (0.5 / beta), z - 0.5 * beta), r)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,  # noqa: A002
               weight: Tensor | None = None) -> Tensor:
    """Huber: l_i = 0.5 d_i^2 if |d_i| < delta else delta (|d_i| - 0.5 delta) (= delta * smooth_l1 with beta=delta).
    With ``weight`` (the input's shape), 'mean' is mean(w l) (as PyTorch, unlike mse_loss / l1_loss).

    Args:
        delta: where the quadratic part turns linear (> 0).

    Shape: input (*), target (*), output scalar or (*) for 'none'.
    """
    r = _reduction("huber_loss", reduction)
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta, got {delta}")
    input, target = _tensor(input), _tensor(target)
    _check_broadcast("huber_loss", input, target)
    d = input - target
    z = d.abs()
    loss = where(z < delta, (d * d) * 0.5, (z - 0.5 * delta) * delta)
    return _pointwise("huber_loss", loss, input, weight, r, False)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False,  # noqa: A002
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target`` under N(input, var): l_i = 0.5 (log v_i + (x_i - y_i)^2 / v_i)
    (+ 0.5 log(2 pi) when ``full``), with v = max(var, eps).

    As PyTorch, the clamp to ``eps`` is not differentiated: the gradient of var is taken at the clamped value.

    Args:
        var: one variance per expectation (heteroscedastic, input's shape), one per sample (the input's shape with
            the last dimension dropped or of size 1), or a float.
        full: add the constant 0.5 log(2 pi).
        eps: floor on the variance, for stability.

    Shape: input (N, *), target (N, *), var (N, *) or (N, *) with one dimension of size 1 or dropped; output scalar
    or (N, *) for 'none'.
    """
    input, target = _tensor(input), _tensor(target)
    if isinstance(var, (float, int)) and not isinstance(var, Tensor):
        if var < 0:
            raise ValueError("gaussian_nll_loss: var has negative entry/entries")
        var = _const(np.full(input.shape, var, dtype=input._data.dtype))
    elif bool((_tensor(var)._data < 0).any()):
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    var_t = _tensor(var)
    if var_t.shape != input.shape:
        if input.shape[:-1] == var_t.shape:
            var_t = var_t.unsqueeze(-1)
        elif not (input.ndim == var_t.ndim and sum(b for a, b in zip(input.shape, var_t.shape) if a != b) == 1):
            raise ValueError(f"gaussian_nll_loss: var is of incorrect size: var {tuple(var_t.shape)}, input "
                             f"{tuple(input.shape)}")
    r = _reduction("gaussian_nll_loss", reduction)
    _check_broadcast("gaussian_nll_loss", input, target, warn=False)
    v = var_t._data
    lift = np.maximum(v, eps) - v
    if lift.any():  # NOTE: clamp without differentiating it: add the lift as a constant (PyTorch clamps in no_grad)
        var_t = var_t + _const(lift.astype(v.dtype, copy=False))
    d = input - target
    loss = (var_t.log() + d * d / var_t) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, r)


# ----------------------------------------------------------------- binary classification
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities: l_i = -w_i (y_i log p_i + (1 - y_i) log(1 - p_i)), each log clamped
    to >= -100 as in PyTorch (so p = 0 or 1 gives a finite loss and gradient).

    Args:
        input: probabilities in [0, 1] (RuntimeError otherwise); prefer :func:`binary_cross_entropy_with_logits`.
        target: values in [0, 1], the input's shape (ValueError otherwise).
        weight: rescaling weight broadcast to the input's shape (receives no gradient, as in PyTorch).

    Shape: input (*), target (*), output scalar or (*) for 'none'.
    """
    r = _reduction("binary_cross_entropy", reduction, size_average, reduce)
    input, target = _tensor(input), _tensor(target)
    if input.shape != target.shape:
        raise ValueError(f"binary_cross_entropy: Using a target size ({tuple(target.shape)}) that is different to the "
                         f"input size ({tuple(input.shape)}) is deprecated. Please ensure they have the same size.")
    p = input._data
    if not ((p >= 0) & (p <= 1)).all():
        raise RuntimeError(f"binary_cross_entropy: all elements of input should be between 0 and 1, got values in "
                           f"[{p.min()}, {p.max()}]")
    input, target = _floats(input, target)
    w = _broadcast_weight("binary_cross_entropy", "weight", weight, input)
    return _reduce(BinaryCrossEntropy.apply(input, target, w), r)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                                     size_average: bool | None = None, reduce: bool | None = None,
                                     reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross-entropy of logits, computed stably:
    l_i = w_i [(1 - y_i) x_i + (1 + (pw - 1) y_i) log(1 + e^-x_i)] = w_i [max(x, 0) - x y + log(1 + e^-|x|)] (pw=1).

    Args:
        input: logits. target: values in [0, 1], the input's shape (ValueError otherwise).
        weight: rescaling weight broadcast to the input's shape.
        pos_weight: weight of the positive term, broadcast along the last (class) dimension: (C,) for input (N, C).

    Shape: input (*), target (*), output scalar or (*) for 'none'.
    """
    r = _reduction("binary_cross_entropy_with_logits", reduction, size_average, reduce)
    input, target = _tensor(input), _tensor(target)
    _same_shape("binary_cross_entropy_with_logits", input, target)
    input, target = _floats(input, target)
    w = _broadcast_weight("binary_cross_entropy_with_logits", "weight", weight, input)
    pw = _broadcast_weight("binary_cross_entropy_with_logits", "pos_weight", pos_weight, input)
    return _reduce(BinaryCrossEntropyWithLogits.apply(input, target, w, pw), r)


# ----------------------------------------------------------------- multi-class classification
def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                  size_average: bool | None = None, ignore_index: int = -100, reduce: bool | None = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of logits against class indices or class probabilities.

    Class indices t: l_n = -sum_c q_c log softmax(x_n)_c with q_c = (1 - eps) w_t [c = t] + (eps / C) w_c, 0 when
    t = ignore_index; 'mean' divides by sum_n w_{t_n} over the samples not ignored (PyTorch's weighted mean). One
    fused primitive. Class probabilities y (the input's shape, floating): y <- (1 - eps) y + eps / C, then
    l_n = -sum_c w_c y_c log softmax(x_n)_c; 'mean' divides by the number of samples; ``ignore_index`` is unused.

    Args:
        input: logits. target: int64 class indices or floating class probabilities.
        weight: (C,) class weights (receive no gradient with class indices, as in PyTorch).
        ignore_index: a target value that contributes neither loss nor gradient.
        label_smoothing: eps in [0, 1].

    Shape: input (C,), (N, C) or (N, C, d1, ...); target (), (N) or (N, d1, ...) for indices, the input's shape for
    probabilities; output scalar, or the target's shape (without C) for 'none'.

    Example: ``F.cross_entropy(logits, labels, label_smoothing=0.1)``.
    """
    r = _reduction("cross_entropy", reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    input, target = _tensor(input), _tensor(target)
    if target.dtype.is_floating_point:
        if target.shape != input.shape:
            raise RuntimeError(f"cross_entropy: class probabilities must have the input's shape: input "
                               f"{tuple(input.shape)}, target {tuple(target.shape)} (class indices must be int64)")
        return _soft_cross_entropy(input, target, weight, r, label_smoothing)
    x, t = _class_target("cross_entropy", input, target, ignore_index)
    w = _class_weight("cross_entropy", weight, x._data.dtype, x.shape[1])
    out = CrossEntropy.apply(x, t, w, ignore_index, float(label_smoothing), r)
    return out.reshape(()) if input.ndim == 1 and r == "none" else out


def _soft_cross_entropy(input: Tensor, target: Tensor, weight: Any, reduction: str, eps: float) -> Tensor:  # noqa: A002
    """Cross-entropy against class probabilities, composed (the target gets a gradient too)."""
    cdim = 1 if input.ndim > 1 else 0
    n_cls = input.shape[cdim]
    input, target = _floats(input, target)
    logp = input.log_softmax(cdim)
    if eps > 0:
        target = target * (1 - eps) + eps / n_cls
    if weight is not None:
        w = _tensor(weight)
        if tuple(w.shape) != (n_cls,):
            raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all {n_cls} classes or no "
                               f"classes but got weight tensor of shape: {list(w.shape)}")
        logp = logp * w._cast(logp._data.dtype).reshape((n_cls,) + (1,) * (input.ndim - cdim - 1))
    return _reduce(-(logp * target).sum(cdim), reduction)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
             size_average: bool | None = None, ignore_index: int = -100, reduce: bool | None = None,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities: l_n = -w_{t_n} x_{n, t_n} (0 where t_n = ignore_index);
    'mean' divides by sum_n w_{t_n} over the samples not ignored, as PyTorch.

    Args:
        input: log-probabilities (e.g. ``log_softmax``). target: int64 class indices in [0, C).
        weight: (C,) class weights. ignore_index: a target value that contributes nothing.

    Shape: input (C,), (N, C) or (N, C, d1, ...); target (), (N) or (N, d1, ...); output scalar or the target's
    shape for 'none'.
    """
    r = _reduction("nll_loss", reduction, size_average, reduce)
    input, target = _tensor(input), _tensor(target)
    x, t = _class_target("nll_loss", input, target, ignore_index)
    dt = x._data.dtype
    w = _class_weight("nll_loss", weight, dt, x.shape[1])
    valid = t != ignore_index
    ts = np.where(valid, t, 0)
    wt = valid.astype(dt) if w is None else w[ts] * valid
    loss = x.gather(1, np.expand_dims(ts, 1)).squeeze(1) * _const(-wt)
    if r == "none":
        return loss.reshape(()) if input.ndim == 1 else loss
    if r == "sum":
        return loss.sum()
    return _weighted_mean(loss, wt.sum(dtype=dt))


def _weighted_mean(loss: Tensor, norm: np.ndarray) -> Tensor:
    """sum(loss) / norm; every target ignored (norm 0) gives nan with a zero gradient, as PyTorch."""
    if norm == 0:
        return loss.sum() * 0 + float("nan")
    return loss.sum() / _const(norm)


def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,  # noqa: A002
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence, input in log space: l_i = y_i (log y_i - x_i) (0 where y_i = 0), or
    e^{y_i} (y_i - x_i) when ``log_target``.

    Args:
        reduction: 'none' | 'batchmean' (sum / N: the true KL divergence) | 'sum' | 'mean' (sum / numel; warns, as
            PyTorch).
        log_target: the target is given as log-probabilities.

    Shape: input (*), target broadcastable to it; output scalar or (*) for 'none'.
    """
    r = _reduction("kl_div", reduction, size_average, reduce, ("none", "batchmean", "sum", "mean"))
    if r == "mean" and size_average is None and reduce is None:
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    input, target = _tensor(input), _tensor(target)
    _check_broadcast("kl_div", input, target, warn=False)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # NOTE: y log y with log taken of 1 where y = 0: the value is 0 there and no 0 * log 0 = nan reaches backward
        safe = where(target > 0, target, 1.0) if target.dtype.is_floating_point else target
        loss = target * safe.log() - target * input
    if r == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, r)


# ----------------------------------------------------------------- focal and asymmetric losses
def sigmoid_focal_loss(input: Tensor, target: Tensor, alpha: float | None = 0.25, gamma: float = 2.0,  # noqa: A002
                       reduction: str = "none") -> Tensor:
    """Binary focal loss on logits (Lin et al. 2017, "Focal Loss for Dense Object Detection"):
    FL = -alpha_t (1 - p_t)^gamma log(p_t), p_t = p y + (1 - p)(1 - y), alpha_t = alpha y + (1 - alpha)(1 - y),
    p = sigmoid(x); -log(p_t) is the stable binary cross-entropy with logits.

    Signature and defaults of ``torchvision.ops.sigmoid_focal_loss`` (reduction 'none'). gamma = 0 with alpha None
    (or negative, torchvision's spelling) is binary cross-entropy with logits.

    Args:
        input: logits. target: binary labels (floats in [0, 1]) of the input's shape.
        alpha: weight of the positive class in [0, 1], or None / negative for no weighting.
        gamma: focusing parameter >= 0 (down-weights easy examples).

    Shape: input (*), target (*), output scalar or (*) for 'none'.
    """
    r = _reduction("sigmoid_focal_loss", reduction)
    input, target = _tensor(input), _tensor(target)
    _same_shape("sigmoid_focal_loss", input, target)
    loss = binary_cross_entropy_with_logits(input, target, reduction="none")
    input, target = _floats(input, target)
    if gamma:
        p = input.sigmoid()
        p_t = p * target + (1 - p) * (1 - target)
        loss = loss * (1 - p_t) ** gamma
    if alpha is not None and alpha >= 0:
        loss = loss * (target * alpha + (1 - target) * (1 - alpha))
    return _reduce(loss, r)


def focal_loss(input: Tensor, target: Tensor, alpha: float | Sequence[float] | Tensor | None = None,  # noqa: A002
               gamma: float = 2.0, reduction: str = "mean", ignore_index: int = -100) -> Tensor:
    """Multi-class focal loss (Lin et al. 2017) on logits: FL_n = -alpha_{t_n} (1 - p_{t_n})^gamma log p_{t_n} with
    p = softmax(x_n); 0 where t_n = ignore_index.

    gamma = 0 with alpha None is :func:`cross_entropy`. 'mean' divides by the number of samples not ignored (the
    paper normalises by the number of samples, so a per-class alpha does not enter the divisor, unlike a
    cross-entropy ``weight``).

    Args:
        input: logits. target: int64 class indices.
        alpha: None, one float for every class, or (C,) per-class weights.
        gamma: focusing parameter >= 0.
        ignore_index: a target value that contributes neither loss nor gradient.

    Shape: input (C,), (N, C) or (N, C, d1, ...); target (), (N) or (N, d1, ...); output scalar or the target's
    shape for 'none'.
    """
    r = _reduction("focal_loss", reduction)
    input, target = _tensor(input), _tensor(target)
    x, t = _class_target("focal_loss", input, target, ignore_index)
    dt = x._data.dtype
    valid = t != ignore_index
    ts = np.where(valid, t, 0)
    logpt = x.log_softmax(1).gather(1, np.expand_dims(ts, 1)).squeeze(1)
    scale = valid.astype(dt)
    if alpha is not None:
        a = np.asarray(alpha._data if isinstance(alpha, Tensor) else alpha, dtype=dt)
        if a.ndim and a.shape != (x.shape[1],):
            raise ValueError(f"focal_loss: alpha must be a float or have one value per class ({x.shape[1]}), got "
                             f"shape {a.shape}")
        scale = scale * (a[ts] if a.ndim else a)
    loss = logpt * _const(-scale)
    if gamma:
        loss = loss * (1 - logpt.exp()) ** gamma
    if input.ndim == 1:
        loss = loss.reshape(())
    return _weighted_mean(loss, valid.sum(dtype=dt)) if r == "mean" else _reduce(loss, r)


def asymmetric_loss(input: Tensor, target: Tensor, gamma_neg: float = 4.0, gamma_pos: float = 0.0,  # noqa: A002
                    clip: float = 0.05, eps: float = 1e-8, reduction: str = "mean") -> Tensor:
    """Asymmetric loss for multi-label classification (Ridnik et al. 2021) on logits, with p = sigmoid(x):
    l = -y L+ - (1 - y) L-,  L+ = (1 - p)^gamma_pos log(p),  L- = p_m^gamma_neg log(1 - p_m),  p_m = max(p - clip, 0).

    The logs are of max(., eps) as in the authors' code; the focusing weights are differentiated (the paper's
    gradient analysis). The authors' code returns the sum: pass ``reduction='sum'`` to match it.

    Args:
        input: logits. target: multi-label binary targets of the input's shape.
        gamma_neg, gamma_pos: focusing parameters of the negative and positive terms.
        clip: probability margin m that discards easy negatives (0 for none). eps: floor inside the logs.

    Shape: input (N, C), target (N, C), output scalar or (N, C) for 'none'.
    """
    r = _reduction("asymmetric_loss", reduction)
    input, target = _tensor(input), _tensor(target)
    _same_shape("asymmetric_loss", input, target)
    input, target = _floats(input, target)
    p = input.sigmoid()
    pos = p.clamp(min=eps).log()
    if gamma_pos:
        pos = pos * (1 - p) ** gamma_pos
    p_m = (p - clip).clamp(min=0) if clip and clip > 0 else p
    neg = (1 - p_m).clamp(min=eps).log()
    if gamma_neg:
        neg = neg * p_m ** gamma_neg
    return _reduce(-(target * pos + (1 - target) * neg), r)


# ----------------------------------------------------------------- penalties
def _param_list(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    ps = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    if not ps:
        raise ValueError("penalty: got an empty list of parameters")
    return ps


def l1_penalty(parameters: Tensor | Iterable[Tensor]) -> Tensor:
    """L1 penalty sum_w |w| over every element of every tensor (the lasso term; multiply by lambda yourself).

    Args:
        parameters: a tensor or an iterable of tensors, e.g. ``model.parameters()``.

    Shape: output scalar. Example: ``loss = F.cross_entropy(out, y) + 1e-4 * F.l1_penalty(model.parameters())``.
    """
    ps = _param_list(parameters)
    total = ps[0].abs().sum()
    for p in ps[1:]:
        total = total + p.abs().sum()
    return total


def l2_penalty(parameters: Tensor | Iterable[Tensor]) -> Tensor:
    """L2 penalty sum_w w^2 over every element of every tensor, WITHOUT the factor 1/2: its gradient is 2 w.
    ``lambda / 2 * l2_penalty(ps)`` has gradient lambda w, the same as SGD's ``weight_decay=lambda``.

    Args:
        parameters: a tensor or an iterable of tensors, e.g. ``model.parameters()``.

    Shape: output scalar.
    """
    ps = _param_list(parameters)
    total = (ps[0] * ps[0]).sum()
    for p in ps[1:]:
        total = total + (p * p).sum()
    return total
