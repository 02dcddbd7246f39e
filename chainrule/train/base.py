"""The callback base class and the list that dispatches hooks (see :mod:`chainrule.train.callbacks`)."""

from __future__ import annotations

from typing import Any

from ..nn import Module
from ..optim import Optimizer

__all__ = ["Callback", "CallbackList", "Logs"]

Logs = dict[str, Any]


class Callback:
    """Base class: override any hook. ``fit`` sets ``model``, ``optimizer``, ``scheduler`` and ``params``
    (``epochs``, ``initial_epoch``, ``steps`` per epoch or None, ``metrics``: the keys of the epoch logs)."""

    def __init__(self) -> None:
        self.stop_training = False
        self.model: Module | None = None
        self.optimizer: Optimizer | None = None
        self.scheduler: Any = None
        self.params: dict[str, Any] = {}

    def set_context(self, model: Module, optimizer: Optimizer | None, scheduler: Any, params: dict[str, Any]) -> None:
        self.model, self.optimizer, self.scheduler, self.params = model, optimizer, scheduler, params
        self.stop_training = False

    def on_train_begin(self, logs: Logs | None = None) -> None: ...
    def on_train_end(self, logs: Logs | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None: ...
    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_before_optimizer_step(self, batch: int, logs: Logs | None = None) -> None: ...


class CallbackList:
    """Calls one hook on every callback in order; ``stop_training`` if any callback asked for it."""

    def __init__(self, callbacks: list[Callback]) -> None:
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"fit: callbacks must be Callback instances, got {type(cb).__name__}")
        self.callbacks = callbacks

    def __call__(self, hook: str, *args: Any) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    @property
    def stop_training(self) -> bool:
        return any(cb.stop_training for cb in self.callbacks)
