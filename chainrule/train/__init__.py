"""``chainrule.train``: ``fit``/``evaluate``/``predict`` with callbacks, metrics, checkpoints and plots.

Layer rule: ``train`` imports ``nn``, ``optim``, ``utils`` (and below), never ``models``.
"""

from . import metrics
from .base import Callback, CallbackList
from .callbacks import (
    CSVLogger,
    EarlyStopping,
    GradientClipping,
    History,
    LRSchedulerCallback,
    ModelCheckpoint,
    ProgressBar,
)
from .checkpoint import load_checkpoint, load_state_dict, save_checkpoint, save_state_dict
from .loop import evaluate, fit, predict
from .metrics import (
    accuracy,
    confusion_matrix,
    f1_score,
    mae,
    mse,
    precision,
    recall,
    top_k_accuracy,
)
from .plots import plot_confusion_matrix, plot_history

__all__ = [
    "fit", "evaluate", "predict",
    "Callback", "CallbackList", "History", "CSVLogger", "ProgressBar", "EarlyStopping", "ModelCheckpoint",
    "LRSchedulerCallback", "GradientClipping",
    "save_checkpoint", "load_checkpoint", "save_state_dict", "load_state_dict",
    "metrics", "accuracy", "top_k_accuracy", "confusion_matrix", "precision", "recall", "f1_score", "mse", "mae",
    "plot_history", "plot_confusion_matrix",
]
