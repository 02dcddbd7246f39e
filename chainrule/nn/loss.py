"""Loss modules: PyTorch's constructor signatures, class weights as buffers (so ``state_dict`` keys match PyTorch's),
each ``forward`` one call into :mod:`chainrule.nn.functional.loss`.

Example::

    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    loss = criterion(model(x), y)
    loss.backward()
"""

from __future__ import annotations

from typing import Any, Sequence

from ..tensor import Tensor
from ..tensor.creation import as_tensor
from .functional import loss as F
from .module import Module

__all__ = ["MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss",
           "NLLLoss", "GaussianNLLLoss", "KLDivLoss", "FocalLoss", "AsymmetricLoss"]


class _Loss(Module):
    """Holds ``reduction`` (from the legacy ``size_average`` / ``reduce`` when given, as PyTorch) and shows the
    settings that differ from their defaults in ``repr``."""

    _defaults: dict[str, Any] = {"reduction": "mean"}
    _reductions: tuple[str, ...] = ("none", "mean", "sum")

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = F._reduction(type(self).__name__, reduction, size_average, reduce, self._reductions)

    def extra_repr(self) -> str:
        # NOTE: defaults are left out, so that ``repr(nn.CrossEntropyLoss())`` reads as in PyTorch
        return ", ".join(f"{k}={getattr(self, k)!r}" for k, v in self._defaults.items() if getattr(self, k) != v)


class _WeightedLoss(_Loss):
    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", None if weight is None else as_tensor(weight))


class MSELoss(_Loss):
    """Mean squared error (x - y)^2, reduced. See :func:`chainrule.nn.functional.mse_loss`.

    Shape: input (*), target (*), output scalar or (*) for 'none'.
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error |x - y|, reduced. See :func:`chainrule.nn.functional.l1_loss`."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta. See :func:`chainrule.nn.functional.smooth_l1_loss`."""

    _defaults = {"reduction": "mean", "beta": 1.0}

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta). See :func:`chainrule.nn.functional.huber_loss`."""

    _defaults = {"reduction": "mean", "delta": 1.0}

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities -w (y log p + (1 - y) log(1 - p)).
    See :func:`chainrule.nn.functional.binary_cross_entropy`."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid and binary cross-entropy in one stable expression; ``pos_weight`` (C,) weighs the positives.
    See :func:`chainrule.nn.functional.binary_cross_entropy_with_logits`."""

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", pos_weight: Tensor | None = None) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", None if weight is None else as_tensor(weight))
        self.register_buffer("pos_weight", None if pos_weight is None else as_tensor(pos_weight))

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy of logits against class indices or class probabilities, with class weights,
    ``ignore_index`` and label smoothing. See :func:`chainrule.nn.functional.cross_entropy`.

    Shape: input (N, C) or (N, C, d1, ...); target (N) / (N, d1, ...) indices or the input's shape probabilities.
    """

    _defaults = {"ignore_index": -100, "reduction": "mean", "label_smoothing": 0.0}

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None, ignore_index: int = -100,
                 reduce: bool | None = None, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood -w_t x_t of log-probabilities. See :func:`chainrule.nn.functional.nll_loss`."""

    _defaults = {"ignore_index": -100, "reduction": "mean"}

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None, ignore_index: int = -100,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood 0.5 (log v + (x - y)^2 / v); ``forward(input, target, var)``.
    See :func:`chainrule.nn.functional.gaussian_nll_loss`."""

    _defaults = {"full": False, "eps": 1e-6, "reduction": "mean"}

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.full = full
        self.eps = eps

    def forward(self, input: Tensor, target: Tensor, var: Tensor | float) -> Tensor:  # noqa: A002
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps, reduction=self.reduction)


class KLDivLoss(_Loss):
    """KL divergence y (log y - x) with the input in log space; use ``reduction='batchmean'`` for the true KL.
    See :func:`chainrule.nn.functional.kl_div`."""

    _defaults = {"reduction": "mean", "log_target": False}
    _reductions = ("none", "batchmean", "sum", "mean")

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class FocalLoss(_Loss):
    """Focal loss -alpha_t (1 - p_t)^gamma log p_t (Lin et al. 2017): softmax over classes with class indices, or
    with ``use_sigmoid=True`` the binary / multi-label form on logits with float targets of the input's shape.

    Args:
        alpha: None, a float (the positive class's weight in the sigmoid form; every class's in the softmax form) or,
            softmax form only, (C,) per-class weights (a buffer, saved in ``state_dict``).
        gamma: focusing parameter >= 0; gamma = 0 and alpha = None give cross-entropy.
        ignore_index: softmax form: a target value that contributes nothing.

    See :func:`chainrule.nn.functional.focal_loss` and :func:`chainrule.nn.functional.sigmoid_focal_loss`.
    """

    _defaults = {"gamma": 2.0, "reduction": "mean", "ignore_index": -100, "use_sigmoid": False}

    def __init__(self, alpha: float | Sequence[float] | Tensor | None = None, gamma: float = 2.0,
                 reduction: str = "mean", ignore_index: int = -100, use_sigmoid: bool = False) -> None:
        super().__init__(reduction=reduction)
        if gamma < 0:
            raise ValueError(f"FocalLoss: gamma must be >= 0, got {gamma}")
        if alpha is None or isinstance(alpha, (int, float)):
            self.alpha = alpha
        else:
            if use_sigmoid:
                raise ValueError("FocalLoss: per-class alpha needs the softmax form (use_sigmoid=False)")
            self.register_buffer("alpha", as_tensor(alpha))
        self.gamma, self.ignore_index, self.use_sigmoid = gamma, ignore_index, use_sigmoid

    def extra_repr(self) -> str:
        alpha = "" if self.alpha is None or isinstance(self.alpha, Tensor) else f"alpha={self.alpha!r}"
        return ", ".join(s for s in (alpha, super().extra_repr()) if s)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        if self.use_sigmoid:
            return F.sigmoid_focal_loss(input, target, alpha=self.alpha, gamma=self.gamma, reduction=self.reduction)
        return F.focal_loss(input, target, alpha=self.alpha, gamma=self.gamma, reduction=self.reduction,
                            ignore_index=self.ignore_index)


class AsymmetricLoss(_Loss):
    """Asymmetric loss for multi-label classification (Ridnik et al. 2021): -y (1 - p)^gamma_pos log p
    - (1 - y) p_m^gamma_neg log(1 - p_m), p_m = max(p - clip, 0), p = sigmoid(x). The authors' defaults.

    See :func:`chainrule.nn.functional.asymmetric_loss`. Shape: input (N, C) logits, target (N, C) in {0, 1}.
    """

    _defaults = {"gamma_neg": 4.0, "gamma_pos": 0.0, "clip": 0.05, "eps": 1e-8, "reduction": "mean"}

    def __init__(self, gamma_neg: float = 4.0, gamma_pos: float = 0.0, clip: float = 0.05, eps: float = 1e-8,
                 reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        if gamma_neg < 0 or gamma_pos < 0 or clip < 0:
            raise ValueError(f"AsymmetricLoss: gamma_neg, gamma_pos and clip must be >= 0, got {gamma_neg}, "
                             f"{gamma_pos}, {clip}")
        self.gamma_neg, self.gamma_pos, self.clip, self.eps = gamma_neg, gamma_pos, clip, eps

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.asymmetric_loss(input, target, gamma_neg=self.gamma_neg, gamma_pos=self.gamma_pos, clip=self.clip,
                                 eps=self.eps, reduction=self.reduction)
