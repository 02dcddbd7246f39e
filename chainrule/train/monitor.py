"""Callbacks that watch a logged value: ``EarlyStopping`` and ``ModelCheckpoint``."""

from __future__ import annotations

import math
import os
import tempfile

import numpy as np

from ..serialization import _format, _safetensors
from .base import Callback, Logs
from .checkpoint import load_state_dict, save_checkpoint, save_state_dict

__all__ = ["EarlyStopping", "ModelCheckpoint"]

_MAX_WORDS = ("acc", "f1", "precision", "recall", "auc")


class _Monitor:
    """The best value so far of one logged quantity, and whether a new value improves on it by ``min_delta``."""

    def __init__(self, owner: str, monitor: str, mode: str, min_delta: float) -> None:
        if mode not in ("min", "max", "auto"):
            raise ValueError(f"{owner}: mode must be 'min', 'max' or 'auto', got {mode!r}")
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"{owner}: monitor must be the name of a logged value, got {monitor!r}")
        if mode == "auto":  # as Keras: accuracy-like names are maximised, everything else minimised
            mode = "max" if any(w in monitor for w in _MAX_WORDS) else "min"
        self.owner, self.monitor, self.mode, self.min_delta = owner, monitor, mode, abs(float(min_delta))
        self.reset()

    def reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf

    def improves(self, current: float, reference: float | None = None) -> bool:
        ref = self.best if reference is None else reference
        if self.mode == "min":
            return current < ref - self.min_delta
        return current > ref + self.min_delta

    def check_keys(self, keys: list[str] | None) -> None:
        if keys and self.monitor not in keys:
            raise ValueError(f"{self.owner}: monitor {self.monitor!r} is not among the logged values {keys}")

    def value(self, logs: Logs | None) -> float:
        logs = logs or {}
        if self.monitor not in logs:
            raise ValueError(f"{self.owner}: monitor {self.monitor!r} is not among the logged values {sorted(logs)}")
        return float(logs[self.monitor])


class EarlyStopping(Callback):
    """Stop training when a monitored value has not improved for ``patience`` epochs.

    An epoch improves when the value is below ``best - min_delta`` (``mode='min'``) or above ``best + min_delta``
    (``'max'``; ``'auto'`` picks max for names containing acc, f1, precision, recall or auc). After each epoch
    without improvement a counter grows; training stops at the end of the epoch where it reaches ``patience``.

    Args:
        monitor: the epoch-log key to watch. Default: ``'val_loss'``.
        min_delta: the least change that counts as an improvement. Default: 0.
        patience: epochs without improvement before stopping. Default: 0.
        mode: ``'min'``, ``'max'`` or ``'auto'``. Default: ``'auto'``.
        restore_best_weights: at the end of training, load the weights of the best epoch. Default: False.
        baseline: training stops unless the value beats this within ``patience`` epochs (improvements that do not
            beat it still count as epochs without improvement).
        start_from_epoch: epochs of warm-up before watching. Default: 0.

    Attributes:
        best, best_epoch (0-based), stopped_epoch (0-based, None when training ran to the end), wait.
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0, mode: str = "auto",
                 restore_best_weights: bool = False, baseline: float | None = None, start_from_epoch: int = 0) -> None:
        super().__init__()
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be a non-negative integer, got {patience!r}")
        self._mon = _Monitor("EarlyStopping", monitor, mode, min_delta)
        self.monitor, self.mode, self.patience = monitor, self._mon.mode, patience
        self.restore_best_weights, self.baseline = restore_best_weights, baseline
        self.start_from_epoch = start_from_epoch
        self._reset()

    def _reset(self) -> None:
        self._mon.reset()
        self.wait = 0
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.best_weights: dict[str, np.ndarray] | None = None

    @property
    def best(self) -> float:
        return self._mon.best

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._mon.check_keys(self.params.get("metrics"))
        self._reset()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if epoch < self.start_from_epoch:
            return
        current = self._mon.value(logs)
        self.wait += 1
        if self._mon.improves(current):
            self._mon.best, self.best_epoch = current, epoch
            if self.restore_best_weights and self.model is not None:
                self.best_weights = {k: np.array(v.numpy(), copy=True) for k, v in self.model.state_dict().items()}
            if self.baseline is None or self._mon.improves(current, self.baseline):
                self.wait = 0
                return
        # NOTE: unlike Keras, an improvement that still misses the baseline counts towards patience, so training
        # does stop when the value never beats the baseline
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.stop_training = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.restore_best_weights and self.best_weights is not None and self.model is not None:
            self.model.load_state_dict(self.best_weights)


class ModelCheckpoint(Callback):
    """Save checkpoints during training, atomically (a temporary file, then ``os.replace``) and without pickle.

    With ``save_best_only`` the file ``best.<format>`` is rewritten whenever the monitored value improves; otherwise
    every epoch writes ``filename.format(epoch=epoch + 1, **logs)``. With ``save_last``, ``last.<format>`` holds the
    latest epoch. A checkpoint is a full training state (:func:`save_checkpoint`: weights, optimizer, scheduler,
    epoch, RNG — resume with ``load_checkpoint`` then ``fit(..., initial_epoch=ckpt['epoch'])``) unless
    ``save_weights_only``.

    Args:
        dirpath: the directory (created if missing; must be writable).
        filename: per-epoch file name template, without suffix. Default: ``'epoch{epoch:03d}'``.
        monitor: the epoch-log key deciding the best checkpoint. Default: ``'val_loss'``.
        mode: ``'min'``, ``'max'`` or ``'auto'``. Default: ``'auto'``.
        save_best_only: keep only the best checkpoint (``best.<format>``). Default: False.
        save_last: also keep ``last.<format>``. Default: True.
        save_weights_only: save the model's state_dict only. Default: False.
        format: ``'npz'`` or ``'safetensors'`` (needs the ``safetensors`` extra). Default: ``'npz'``.
    """

    def __init__(self, dirpath: str | os.PathLike[str], filename: str = "epoch{epoch:03d}", monitor: str = "val_loss",
                 mode: str = "auto", save_best_only: bool = False, save_last: bool = True,
                 save_weights_only: bool = False, format: str = "npz", min_delta: float = 0.0) -> None:
        super().__init__()
        self.format = _format("", format)
        if self.format == "safetensors":
            _safetensors()
        self._mon = _Monitor("ModelCheckpoint", monitor, mode, min_delta)
        self.monitor, self.mode = monitor, self._mon.mode
        self.dirpath = os.fspath(dirpath)
        try:
            os.makedirs(self.dirpath, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.dirpath):
                pass
        except OSError as e:
            raise ValueError(f"ModelCheckpoint: dirpath {self.dirpath!r} is not a writable directory ({e})") from e
        self.filename, self.save_best_only, self.save_last = filename, save_best_only, save_last
        self.save_weights_only = save_weights_only
        self.best_model_path: str | None = None
        self.last_model_path: str | None = None
        self.best_epoch: int | None = None

    @property
    def best_score(self) -> float:
        return self._mon.best

    def _path(self, name: str) -> str:
        return os.path.join(self.dirpath, f"{name}.{self.format}")

    def on_train_begin(self, logs: Logs | None = None) -> None:
        if self.save_best_only:
            self._mon.check_keys(self.params.get("metrics"))

    def _save(self, path: str, epoch: int) -> None:
        assert self.model is not None, "ModelCheckpoint: no model (use it through fit)"
        if self.save_weights_only:
            save_state_dict(self.model.state_dict(), path, self.format)
        else:
            save_checkpoint(path, self.model, self.optimizer, self.scheduler, epoch=epoch + 1, format=self.format)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        if self.save_best_only:
            current = self._mon.value(logs)
            if self._mon.improves(current):
                self._mon.best, self.best_epoch = current, epoch
                self.best_model_path = self._path("best")
                self._save(self.best_model_path, epoch)
        else:
            path = self._path(self.filename.format(epoch=epoch + 1, **logs))
            self._save(path, epoch)
        if self.save_last:
            self.last_model_path = self._path("last")
            self._save(self.last_model_path, epoch)

    def load_best_weights(self) -> None:
        """Load the best checkpoint's weights into the model."""
        if self.best_model_path is None or self.model is None:
            raise RuntimeError("ModelCheckpoint: no best checkpoint has been saved")
        self.model.load_state_dict(load_state_dict(self.best_model_path))
