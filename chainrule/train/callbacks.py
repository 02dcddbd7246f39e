"""Callbacks of :func:`chainrule.train.fit`: hooks called at the start and end of training, epochs and batches.

``fit`` calls, in order: ``on_train_begin``; per epoch ``on_epoch_begin``, per batch ``on_batch_begin``,
``on_before_optimizer_step`` (after ``backward``, before ``optimizer.step()``: gradient clipping),
``on_batch_end``; then ``on_epoch_end`` with the epoch's logs; finally ``on_train_end``. A callback stops training
by setting ``self.stop_training = True`` (checked after every batch and epoch).

Batch logs: ``batch``, ``size`` (samples), and the running epoch averages of ``loss`` and each metric. Epoch logs:
``loss`` and the metrics over the training epoch, ``val_loss`` and ``val_<metric>`` when validating, and ``lr``
(the first parameter group's rate during the epoch).
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
import time
from typing import IO, Any

from ..nn.utils import clip_grad_norm_, clip_grad_value_
from ..optim.lr_scheduler import ReduceLROnPlateau
from .base import Callback, CallbackList, Logs
from .monitor import EarlyStopping, ModelCheckpoint

__all__ = ["Callback", "CallbackList", "History", "CSVLogger", "ProgressBar", "LRSchedulerCallback",
           "GradientClipping", "EarlyStopping", "ModelCheckpoint"]

# ------------------------------------------------------------------ history and logging
class History(Callback):
    """Per-epoch logs: ``history['val_loss'][i]`` is the value after epoch ``epoch[i]`` (0-based).

    ``fit`` returns it. Entries accumulate across ``fit`` calls given the same History (a resumed run continues it).
    ``save(path)`` writes CSV or JSON by suffix; ``History.load(path)`` reads either back.
    """

    def __init__(self) -> None:
        super().__init__()
        self.epoch: list[int] = []
        self.history: dict[str, list[float]] = {}

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        n = len(self.epoch)
        self.epoch.append(int(epoch))
        for key, value in logs.items():
            # a key that appears late is padded with nan for the epochs before it
            self.history.setdefault(key, [math.nan] * n).append(float(value))
        for values in self.history.values():
            if len(values) < n + 1:
                values.append(math.nan)

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __len__(self) -> int:
        return len(self.epoch)

    def to_json(self, path: str | os.PathLike[str]) -> None:
        with open(path, "w") as f:
            json.dump({"epoch": self.epoch, "history": self.history}, f, indent=1)

    def to_csv(self, path: str | os.PathLike[str]) -> None:
        keys = list(self.history)
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["epoch", *keys])
            for i, e in enumerate(self.epoch):
                w.writerow([e, *(repr(self.history[k][i]) for k in keys)])

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write to ``path``: ``.json`` as JSON, anything else as CSV."""
        (self.to_json if os.fspath(path).endswith(".json") else self.to_csv)(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> History:
        """Read a History written by :meth:`save` (CSV or JSON)."""
        h = cls()
        if os.fspath(path).endswith(".json"):
            with open(path) as f:
                data = json.load(f)
            h.epoch = [int(e) for e in data["epoch"]]
            h.history = {k: [float(v) for v in vs] for k, vs in data["history"].items()}
            return h
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        if not rows or rows[0][:1] != ["epoch"]:
            raise ValueError(f"History.load: {path} is not a history CSV (expected a header starting with 'epoch')")
        keys = rows[0][1:]
        h.history = {k: [] for k in keys}
        for row in rows[1:]:
            h.epoch.append(int(row[0]))
            for k, v in zip(keys, row[1:]):
                h.history[k].append(float(v) if v != "" else math.nan)
        return h


class CSVLogger(Callback):
    """Append one row per epoch to a CSV file (header ``epoch`` then the log keys), flushed after each epoch.

    Args:
        filename: the CSV file.
        separator: the field delimiter. Default: ``','``.
        append: continue an existing file (a resumed run) instead of overwriting it. Default: False.
    """

    def __init__(self, filename: str | os.PathLike[str], separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename, self.separator, self.append = os.fspath(filename), separator, append
        self._file: IO[str] | None = None
        self._keys: list[str] | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        exists = self.append and os.path.isfile(self.filename) and os.path.getsize(self.filename) > 0
        self._keys = None
        if exists:
            with open(self.filename, newline="") as f:
                header = next(csv.reader(f, delimiter=self.separator), None)
            self._keys = header[1:] if header else None
        self._file = open(self.filename, "a" if exists else "w", newline="")

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        assert self._file is not None, "CSVLogger: on_epoch_end before on_train_begin"
        logs = logs or {}
        w = csv.writer(self._file, delimiter=self.separator)
        if self._keys is None:
            self._keys = list(logs)
            w.writerow(["epoch", *self._keys])
        w.writerow([epoch, *(repr(float(logs[k])) if k in logs else "" for k in self._keys)])
        self._file.flush()

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class ProgressBar(Callback):
    """A tqdm bar per epoch: ``Epoch 3/10``, batches done, running loss and metrics, samples/s; the validation
    values are added when the epoch ends.

    Args:
        file: where to write (default: stderr).
        leave: keep each epoch's finished bar on screen. Default: True.
    """

    def __init__(self, file: IO[str] | None = None, leave: bool = True) -> None:
        super().__init__()
        self.file, self.leave = file, leave
        self._bar: Any = None

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=self.params.get("steps"), desc=f"Epoch {epoch + 1}/{self.params.get('epochs', '?')}",
                         unit="batch", file=self.file if self.file is not None else sys.stderr, leave=self.leave,
                         dynamic_ncols=True)
        self._start, self._samples = time.perf_counter(), 0

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        self._samples += int(logs.get("size", 0))
        rate = self._samples / max(time.perf_counter() - self._start, 1e-9)
        shown = {k: f"{v:.4g}" for k, v in logs.items() if k not in ("batch", "size")}
        shown["samples/s"] = f"{rate:.0f}"
        if self._bar is not None:
            self._bar.set_postfix(shown, refresh=False)
            self._bar.update(1)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self._bar is None:
            return
        rate = self._samples / max(time.perf_counter() - self._start, 1e-9)
        shown = {k: f"{v:.4g}" for k, v in (logs or {}).items()}
        shown["samples/s"] = f"{rate:.0f}"
        self._bar.set_postfix(shown, refresh=True)
        self._bar.close()
        self._bar = None


# ------------------------------------------------------------------ optimisation helpers
class LRSchedulerCallback(Callback):
    """Step an LR scheduler after every epoch (``interval='epoch'``) or batch (``'batch'``).

    ``ReduceLROnPlateau`` is stepped with the monitored value of the logs (``monitor``, default ``'val_loss'``).
    """

    def __init__(self, scheduler: Any, interval: str = "epoch", monitor: str = "val_loss") -> None:
        super().__init__()
        if interval not in ("epoch", "batch"):
            raise ValueError(f"LRSchedulerCallback: interval must be 'epoch' or 'batch', got {interval!r}")
        if not hasattr(scheduler, "step"):
            raise TypeError(f"LRSchedulerCallback: expected an LR scheduler, got {type(scheduler).__name__}")
        self.lr_scheduler, self.interval, self.monitor = scheduler, interval, monitor

    def on_train_begin(self, logs: Logs | None = None) -> None:
        keys = self.params.get("metrics")
        if (isinstance(self.lr_scheduler, ReduceLROnPlateau) and self.interval == "epoch" and keys
                and self.monitor not in keys):
            raise ValueError(f"LRSchedulerCallback: monitor {self.monitor!r} is not among the logged values {keys}")

    def _step(self, logs: Logs | None) -> None:
        if isinstance(self.lr_scheduler, ReduceLROnPlateau):
            logs = logs or {}
            if self.monitor not in logs:
                raise ValueError(f"LRSchedulerCallback: monitor {self.monitor!r} is not among the logged values "
                                 f"{sorted(logs)}")
            self.lr_scheduler.step(logs[self.monitor])
        else:
            self.lr_scheduler.step()

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self.interval == "batch":
            self._step(logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.interval == "epoch":
            self._step(logs)


class GradientClipping(Callback):
    """Clip gradients between ``backward`` and ``optimizer.step()``: each element to ``[-clip_value, clip_value]``,
    then the total ``norm_type``-norm to ``max_norm`` (:func:`chainrule.nn.utils.clip_grad_norm_`). The norm before
    clipping is added to the batch logs as ``grad_norm``."""

    def __init__(self, max_norm: float | None = None, norm_type: float = 2.0, clip_value: float | None = None) -> None:
        super().__init__()
        if max_norm is None and clip_value is None:
            raise ValueError("GradientClipping: give max_norm, clip_value or both")
        for name, v in (("max_norm", max_norm), ("clip_value", clip_value)):
            if v is not None and not (isinstance(v, (int, float)) and v > 0):
                raise ValueError(f"GradientClipping: {name} must be a positive number, got {v!r}")
        self.max_norm, self.norm_type, self.clip_value = max_norm, norm_type, clip_value

    def on_before_optimizer_step(self, batch: int, logs: Logs | None = None) -> None:
        assert self.model is not None
        params = [p for p in self.model.parameters() if p.grad is not None]
        if self.clip_value is not None:
            clip_grad_value_(params, self.clip_value)
        if self.max_norm is not None:
            norm = clip_grad_norm_(params, self.max_norm, self.norm_type)
            if logs is not None:
                logs["grad_norm"] = float(norm.item())
