"""PNG plots of training: loss and metric curves (train and validation, the early-stopping epoch marked) and the
confusion matrix. Needs matplotlib (``pip install "chainrule[plot]"``); drawn with the Agg canvas directly, so the
user's pyplot backend and state are left alone.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from .callbacks import History

__all__ = ["plot_history", "plot_confusion_matrix"]

_HINT = 'plotting needs matplotlib: pip install "chainrule[plot]"'


def _figure(width: float, height: float) -> tuple[Any, Any]:
    """A matplotlib Figure with an Agg canvas, without touching pyplot's global state."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError(_HINT) from e
    fig = Figure(figsize=(width, height), dpi=100)
    return fig, FigureCanvasAgg(fig)


def plot_history(history: History | dict[str, Sequence[float]], path: str | os.PathLike[str],
                 metrics: Sequence[str] | None = None, stop_epoch: int | None = None,
                 best_epoch: int | None = None, title: str | None = None) -> str:
    """Plot training and validation curves, one panel per quantity, to a PNG file.

    Args:
        history: a :class:`History` or a dict ``{'loss': [...], 'val_loss': [...], ...}``.
        path: the PNG file.
        metrics: the quantities to draw (each with its ``val_`` counterpart when logged); default: every logged
            training quantity except ``lr``.
        stop_epoch: the 0-based epoch where early stopping ended training (``EarlyStopping.stopped_epoch``),
            marked with a dashed line.
        best_epoch: the 0-based best epoch (``EarlyStopping.best_epoch``), marked with a dotted line.

    Returns:
        the path written.
    """
    data = history.history if isinstance(history, History) else dict(history)
    epochs = history.epoch if isinstance(history, History) and history.epoch else None
    if metrics is None:
        metrics = [k for k in data if not k.startswith("val_") and k != "lr"]
    missing = [m for m in metrics if m not in data]
    if not metrics or missing:
        raise ValueError(f"plot_history: nothing to plot for {missing or metrics}; logged values: {sorted(data)}")
    fig, canvas = _figure(5.0 * len(metrics), 4.0)
    for i, name in enumerate(metrics):
        ax = fig.add_subplot(1, len(metrics), i + 1)
        x = np.asarray(epochs if epochs is not None else range(len(data[name]))) + 1
        ax.plot(x, data[name], marker="o", label=f"train {name}")
        if f"val_{name}" in data:
            ax.plot(x, data[f"val_{name}"], marker="s", label=f"validation {name}")
        if stop_epoch is not None:
            ax.axvline(stop_epoch + 1, color="red", linestyle="--", label=f"early stop (epoch {stop_epoch + 1})")
        if best_epoch is not None:
            ax.axvline(best_epoch + 1, color="green", linestyle=":", label=f"best (epoch {best_epoch + 1})")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(True, alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    canvas.print_png(os.fspath(path))
    return os.fspath(path)


def plot_confusion_matrix(cm: Any, path: str | os.PathLike[str], class_names: Sequence[str] | None = None,
                          normalize: bool = False, title: str | None = None) -> str:
    """Draw a confusion matrix (rows true class, columns predicted) with its counts to a PNG file.

    Args:
        cm: a (C, C) array, e.g. from :func:`chainrule.train.metrics.confusion_matrix`.
        class_names: C tick labels (default 0..C-1).
        normalize: show each row as fractions of its true class.

    Returns:
        the path written.
    """
    m = np.asarray(cm.detach().numpy() if hasattr(cm, "detach") else cm)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"plot_confusion_matrix: expected a square (C, C) matrix, got shape {m.shape}")
    c = m.shape[0]
    names = list(class_names) if class_names is not None else [str(i) for i in range(c)]
    if len(names) != c:
        raise ValueError(f"plot_confusion_matrix: {len(names)} class names for {c} classes")
    if normalize:
        rows = m.sum(axis=1, keepdims=True)
        m = np.divide(m, rows, out=np.zeros(m.shape, dtype=np.float64), where=rows > 0)
    fig, canvas = _figure(1.0 + 0.6 * c, 1.0 + 0.5 * c)
    ax = fig.add_subplot(1, 1, 1)
    im = ax.imshow(m, cmap="Blues")
    fig.colorbar(im, ax=ax)
    ax.set_xticks(range(c), labels=names)
    ax.set_yticks(range(c), labels=names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if c <= 30:  # the numbers stay readable up to about this size
        threshold = m.max() / 2 if m.size else 0
        for (i, j), v in np.ndenumerate(m):
            ax.text(j, i, f"{v:.2f}" if normalize else f"{int(v)}", ha="center", va="center",
                    color="white" if v > threshold else "black", fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    canvas.print_png(os.fspath(path))
    return os.fspath(path)
