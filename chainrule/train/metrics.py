"""Classification and regression metrics on model outputs: accuracy, top-k, confusion matrix, precision/recall/F1,
MSE, MAE — as plain functions, and as running ``Metric`` objects that ``fit``/``evaluate`` update batch by batch.

Classification functions take ``output`` of shape (N, C) (scores, logits or probabilities: the prediction is the
arg-max) or (N,) class indices (an integer array), and ``target`` of shape (N,) class indices or (N, C) one-hot /
soft labels (the arg-max is the class). A single-column float output (N,) or (N, 1) is a binary score: the
prediction is ``output > threshold``.
"""

from __future__ import annotations

from typing import Any, Callable, Union

from ..backend import xp
from ..tensor import Tensor

__all__ = ["accuracy", "top_k_accuracy", "confusion_matrix", "precision", "recall", "f1_score", "mse", "mae",
           "Metric", "MeanMetric", "ConfusionMetric", "get_metric", "METRICS"]


def _array(x: Any) -> Any:
    return x.detach()._data if isinstance(x, Tensor) else xp.asarray(x)


def _labels(output: Any, threshold: float = 0.5) -> Any:
    """Predicted class indices from scores (N, C), binary scores (N,) / (N, 1), or integer labels (N,)."""
    a = _array(output)
    if a.ndim == 2 and a.shape[1] > 1:
        return a.argmax(axis=1)
    if a.ndim == 2:
        a = a[:, 0]
    if a.ndim != 1:
        raise ValueError(f"metrics: expected output of shape (N, C), (N, 1) or (N,), got {tuple(a.shape)}")
    if a.dtype.kind == "f":
        return (a > threshold).astype(xp.int64)
    return a.astype(xp.int64, copy=False)


def _targets(target: Any) -> Any:
    t = _array(target)
    if t.ndim == 2 and t.shape[1] > 1:
        return t.argmax(axis=1)  # one-hot or soft labels
    if t.ndim == 2:
        t = t[:, 0]
    if t.ndim != 1:
        raise ValueError(f"metrics: expected target of shape (N,) or (N, C), got {tuple(t.shape)}")
    return t.astype(xp.int64, copy=False)


def _pair(output: Any, target: Any, threshold: float = 0.5) -> tuple[Any, Any]:
    pred, true = _labels(output, threshold), _targets(target)
    if pred.shape[0] != true.shape[0]:
        raise ValueError(f"metrics: output has {pred.shape[0]} samples but target has {true.shape[0]}")
    return pred, true


def accuracy(output: Any, target: Any, threshold: float = 0.5) -> float:
    """The fraction of samples whose predicted class equals the target: :math:`\\frac1N\\sum_i [\\hat y_i = y_i]`.

    Args:
        output: scores (N, C), binary scores (N,) / (N, 1) compared with ``threshold``, or class indices (N,).
        target: class indices (N,) or one-hot / soft labels (N, C).
        threshold: the decision threshold of a single-column float output (0.5 for probabilities; use 0 for logits).
    """
    pred, true = _pair(output, target, threshold)
    return float((pred == true).mean()) if true.size else float("nan")


def top_k_accuracy(output: Any, target: Any, k: int = 5) -> float:
    """The fraction of samples whose target is among the ``k`` highest scores.

    Shape:
        output (N, C) scores; target (N,) class indices or (N, C) one-hot.
    """
    scores, true = _array(output), _targets(target)
    if scores.ndim != 2:
        raise ValueError(f"top_k_accuracy: expected output of shape (N, C), got {tuple(scores.shape)}")
    if not 1 <= k <= scores.shape[1]:
        raise ValueError(f"top_k_accuracy: k must be in [1, {scores.shape[1]}], got {k}")
    # NOTE: counts the classes scoring strictly higher than the target; the target is in the top k when fewer than k
    # do (ties are resolved in the target's favour, as argpartition cannot do consistently)
    own = xp.take_along_axis(scores, true[:, None], axis=1)
    higher = (scores > own).sum(axis=1)
    return float((higher < k).mean()) if true.size else float("nan")


def confusion_matrix(output: Any, target: Any, num_classes: int | None = None, threshold: float = 0.5) -> Any:
    """Counts ``M[i, j]`` of samples of true class ``i`` predicted as class ``j`` (rows true, columns predicted).

    Args:
        num_classes: C; inferred from the output's columns, else from the largest label.
    Shape:
        returns (C, C) int64.
    """
    pred, true = _pair(output, target, threshold)
    if num_classes is None:
        a = _array(output)
        if a.ndim == 2 and a.shape[1] > 1:
            num_classes = int(a.shape[1])
        else:  # labels or binary scores: at least the two classes of a binary problem
            num_classes = max(int(pred.max(initial=0)), int(true.max(initial=0)), 1) + 1
    c = int(num_classes)
    bad = (true < 0) | (true >= c) | (pred < 0) | (pred >= c)
    if bad.any():
        raise ValueError(f"confusion_matrix: labels must be in [0, {c}), got target range [{true.min()}, "
                         f"{true.max()}] and prediction range [{pred.min()}, {pred.max()}]")
    return xp.bincount(true * c + pred, minlength=c * c).reshape(c, c)


def _per_class(cm: Any, axis: int, average: str | None) -> Any:
    """Diagonal over the row (recall) or column (precision) sums; 0 where a class has no samples (as scikit-learn)."""
    tp = xp.diag(cm).astype(xp.float64)
    total = cm.sum(axis=axis).astype(xp.float64)
    score = xp.divide(tp, total, out=xp.zeros_like(tp), where=total > 0)
    return _average(score, average)


def _average(score: Any, average: str | None) -> Any:
    if average is None:
        return score
    if average == "macro":
        return float(score.mean())
    raise ValueError(f"metrics: average must be 'macro' or None, got {average!r}")


def precision(output: Any, target: Any, num_classes: int | None = None, average: str | None = "macro") -> Any:
    """Per-class precision :math:`TP_c / (TP_c + FP_c)`, or its unweighted mean over classes (``average='macro'``).

    Returns a float for ``'macro'``, a (C,) float64 array for ``average=None``.
    """
    return _per_class(confusion_matrix(output, target, num_classes), 0, average)


def recall(output: Any, target: Any, num_classes: int | None = None, average: str | None = "macro") -> Any:
    """Per-class recall :math:`TP_c / (TP_c + FN_c)`, or its macro average."""
    return _per_class(confusion_matrix(output, target, num_classes), 1, average)


def _f1_from_cm(cm: Any, average: str | None) -> Any:
    p, r = _per_class(cm, 0, None), _per_class(cm, 1, None)
    s = p + r
    return _average(xp.divide(2 * p * r, s, out=xp.zeros_like(s), where=s > 0), average)


def f1_score(output: Any, target: Any, num_classes: int | None = None, average: str | None = "macro") -> Any:
    """Per-class F1 :math:`2PR/(P+R)` (0 when P + R = 0), or its macro average (the mean of the per-class F1)."""
    return _f1_from_cm(confusion_matrix(output, target, num_classes), average)


def _regression_pair(output: Any, target: Any, name: str) -> tuple[Any, Any]:
    a, b = _array(output), _array(target)
    if a.shape != b.shape:
        raise ValueError(f"{name}: output shape {tuple(a.shape)} differs from target shape {tuple(b.shape)}")
    return a, b


def mse(output: Any, target: Any) -> float:
    """Mean squared error over all elements: :math:`\\frac1n\\sum (\\hat y - y)^2`."""
    a, b = _regression_pair(output, target, "mse")
    return float(xp.mean(xp.square(a - b)))


def mae(output: Any, target: Any) -> float:
    """Mean absolute error over all elements: :math:`\\frac1n\\sum |\\hat y - y|`."""
    a, b = _regression_pair(output, target, "mae")
    return float(xp.mean(xp.abs(a - b)))


# ------------------------------------------------------------------ running metrics
class Metric:
    """A metric accumulated over batches: ``reset()``, ``update(output, target)`` per batch, ``compute()``."""

    name: str = "metric"

    def reset(self) -> None:
        raise NotImplementedError

    def update(self, output: Any, target: Any) -> None:
        raise NotImplementedError

    def compute(self) -> float:
        raise NotImplementedError


class MeanMetric(Metric):
    """A per-batch function averaged per sample: batches of unequal size count in proportion to their size."""

    def __init__(self, name: str, fn: Callable[[Any, Any], float]) -> None:
        self.name, self.fn = name, fn
        self.reset()

    def reset(self) -> None:
        self.total, self.count = 0.0, 0

    def update(self, output: Any, target: Any) -> None:
        n = int(_array(output).shape[0]) if _array(output).ndim else 1
        self.total += float(self.fn(output, target)) * n
        self.count += n

    def compute(self) -> float:
        return self.total / self.count if self.count else float("nan")


class ConfusionMetric(Metric):
    """Precision, recall or F1 (macro) from a confusion matrix summed over batches, so the result is exact."""

    _FNS = {"precision": lambda cm: _per_class(cm, 0, "macro"), "recall": lambda cm: _per_class(cm, 1, "macro"),
            "f1": lambda cm: _f1_from_cm(cm, "macro")}

    def __init__(self, name: str, kind: str, num_classes: int | None = None) -> None:
        self.name, self.kind, self.num_classes = name, kind, num_classes
        self.reset()

    def reset(self) -> None:
        self.cm: Any = None

    def update(self, output: Any, target: Any) -> None:
        cm = confusion_matrix(output, target, self.num_classes)
        if self.cm is not None and self.cm.shape != cm.shape:  # a batch without the largest label
            c = max(self.cm.shape[0], cm.shape[0])
            grow = xp.zeros((c, c), dtype=xp.int64)
            grow[: self.cm.shape[0], : self.cm.shape[0]] += self.cm
            grow[: cm.shape[0], : cm.shape[0]] += cm
            self.cm = grow
        else:
            self.cm = cm if self.cm is None else self.cm + cm

    def compute(self) -> float:
        return float(self._FNS[self.kind](self.cm)) if self.cm is not None else float("nan")


METRICS: dict[str, Callable[[], Metric]] = {
    "accuracy": lambda: MeanMetric("accuracy", accuracy),
    "acc": lambda: MeanMetric("acc", accuracy),
    "top5_accuracy": lambda: MeanMetric("top5_accuracy", lambda o, t: top_k_accuracy(o, t, 5)),
    "mse": lambda: MeanMetric("mse", mse),
    "mae": lambda: MeanMetric("mae", mae),
    "precision": lambda: ConfusionMetric("precision", "precision"),
    "recall": lambda: ConfusionMetric("recall", "recall"),
    "f1": lambda: ConfusionMetric("f1", "f1"),
}

MetricLike = Union[str, Metric, Callable[[Any, Any], float]]


def get_metric(metric: MetricLike) -> Metric:
    """A fresh running metric from a name in ``METRICS`` (``'top3_accuracy'`` for any k), a ``Metric``, or a function
    ``fn(output, target) -> float`` (averaged per sample, named after the function)."""
    if isinstance(metric, Metric):
        return metric
    if isinstance(metric, str):
        if metric in METRICS:
            return METRICS[metric]()
        if metric.startswith("top") and metric.endswith("_accuracy") and metric[3:-9].isdigit():
            k = int(metric[3:-9])
            return MeanMetric(metric, lambda o, t: top_k_accuracy(o, t, k))
        raise ValueError(f"unknown metric {metric!r}; expected one of {sorted(METRICS)}, 'topK_accuracy', a Metric "
                         "or a function (output, target) -> float")
    if callable(metric):
        return MeanMetric(getattr(metric, "__name__", "metric"), metric)
    raise TypeError(f"metric must be a name, a Metric or a callable, got {type(metric).__name__}")
