"""``fit``, ``evaluate`` and ``predict``: a Keras-like training loop over any iterable of ``(input, target)`` batches.

A plain PyTorch loop works with chainrule as it is; these are for those who want the loop written once, with
callbacks (progress bar, history, early stopping, checkpoints, LR schedules, gradient clipping) and metrics.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np

from ..autograd import no_grad
from ..nn import Module
from ..optim import Optimizer
from ..tensor import Tensor
from ..tensor.creation import from_numpy
from ..tensor.functions import cat
from .base import Callback, CallbackList, Logs
from .callbacks import GradientClipping, History, LRSchedulerCallback, ProgressBar
from .metrics import Metric, MetricLike, get_metric

__all__ = ["fit", "evaluate", "predict"]


def _to(x: Any, device: Any) -> Any:
    if isinstance(x, np.ndarray):
        x = from_numpy(x)
    if isinstance(x, (tuple, list)):
        return type(x)(_to(v, device) for v in x)
    return x.to(device) if device is not None and isinstance(x, Tensor) else x


def _unpack(batch: Any, where: str, device: Any) -> tuple[Any, Any]:
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        got = type(batch).__name__
        if isinstance(batch, (tuple, list)):
            got += f" of length {len(batch)}"
        raise TypeError(f"{where}: expected each batch to be a pair (input, target), got {got}")
    return _to(batch[0], device), _to(batch[1], device)


def _forward(model: Module, x: Any) -> Any:
    return model(*x) if isinstance(x, (tuple, list)) else model(x)


def _num_samples(x: Any, y: Any) -> int:
    for t in (y, x[0] if isinstance(x, (tuple, list)) else x):
        shape: Any = getattr(t, "shape", ())
        if len(shape):
            return int(shape[0])
    return 1


def _metrics(metrics: Sequence[MetricLike] | None) -> list[Metric]:
    if metrics is None or isinstance(metrics, (str, Metric)) or callable(metrics):
        metrics = [] if metrics is None else [metrics]  # type: ignore[list-item]
    out = [get_metric(m) for m in metrics]
    names = [m.name for m in out]
    if len(set(names)) != len(names) or "loss" in names:
        raise ValueError(f"metrics: names must be unique and not 'loss', got {names}")
    return out


class _Running:
    """The per-sample average of the loss and the metrics over the batches seen so far."""

    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics
        for m in metrics:
            m.reset()
        self.loss_sum, self.count = 0.0, 0

    def update(self, loss: float | None, n: int, output: Any, target: Any) -> None:
        # NOTE: loss_fn returns the batch mean; weighting it by the batch size makes the epoch value the mean over
        # samples, also when the last batch is smaller
        if loss is not None:
            self.loss_sum += loss * n
        self.count += n
        for m in self.metrics:
            m.update(output, target)

    def logs(self, with_loss: bool) -> Logs:
        out: Logs = {"loss": self.loss_sum / self.count} if with_loss and self.count else {}
        out.update({m.name: m.compute() for m in self.metrics})
        return out


def _check_epochs(epochs: Any, initial_epoch: Any) -> None:
    for name, v in (("epochs", epochs), ("initial_epoch", initial_epoch)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"fit: {name} must be an int, got {type(v).__name__}")
    if epochs < 1:
        raise ValueError(f"fit: epochs must be >= 1, got {epochs}")
    if not 0 <= initial_epoch < epochs:
        raise ValueError(f"fit: initial_epoch must be in [0, epochs={epochs}), got {initial_epoch}")


def fit(model: Module, loss_fn: Any, optimizer: Optimizer, train_loader: Iterable[Any], val_loader: Any = None,
        epochs: int = 1, callbacks: Sequence[Callback] = (), metrics: Sequence[MetricLike] | None = ("accuracy",),
        scheduler: Any = None, grad_clip: float | None = None, device: Any = None, verbose: bool = True,
        initial_epoch: int = 0) -> History:
    """Train ``model`` for ``epochs`` epochs and return the per-epoch :class:`History`.

    Each batch: ``out = model(x)``, ``loss = loss_fn(out, y)``, ``optimizer.zero_grad()``, ``loss.backward()``,
    clipping, ``optimizer.step()``. The epoch's ``loss`` and metrics are per-sample means over its batches; after
    each epoch ``val_loader`` (if given) is evaluated in eval mode without gradients into ``val_loss`` / ``val_<m>``.

    Args:
        model: the module; ``model.train()`` is set at every epoch.
        loss_fn: ``loss_fn(output, target)`` returning the batch-mean loss (e.g. ``nn.CrossEntropyLoss()``).
        optimizer: the optimizer of ``model``'s parameters.
        train_loader: an iterable of ``(input, target)`` batches (a ``DataLoader``, a list of pairs); an input may be
            a tuple of tensors, passed as ``model(*input)``.
        val_loader: batches for validation after each epoch.
        epochs: the index of the last epoch (with ``initial_epoch``, as Keras): ``epochs - initial_epoch`` are run.
        callbacks: :class:`Callback` instances, called in order (a History among them is used and returned).
        metrics: names (``'accuracy'``, ``'top5_accuracy'``, ``'f1'``, ``'mse'``, ...), ``Metric`` objects or
            functions ``fn(output, target) -> float``.
        scheduler: an LR scheduler stepped after every epoch (``ReduceLROnPlateau`` with ``val_loss``, else
            ``loss``); for other intervals pass an :class:`LRSchedulerCallback` instead.
        grad_clip: clip the total L2 norm of the gradients to this value (:class:`GradientClipping` for more).
        device: move the model and each batch there.
        verbose: show a tqdm progress bar.
        initial_epoch: the epoch to start from (the ``epoch`` of a loaded checkpoint, to resume).

    Returns:
        the History (``history['loss']``, ``history['val_accuracy']``, ...).
    """
    _check_epochs(epochs, initial_epoch)
    if not isinstance(model, Module):
        raise TypeError(f"fit: model must be a Module, got {type(model).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"fit: optimizer must be an Optimizer, got {type(optimizer).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"fit: loss_fn must be callable, got {type(loss_fn).__name__}")
    if isinstance(callbacks, Callback):
        callbacks = [callbacks]
    train_metrics, val_metrics = _metrics(metrics), _metrics(metrics)
    history = next((c for c in callbacks if isinstance(c, History)), None) or History()
    internal: list[Callback] = [history]
    if scheduler is not None:
        internal.append(LRSchedulerCallback(scheduler, monitor="val_loss" if val_loader is not None else "loss"))
    if grad_clip is not None:
        internal.append(GradientClipping(max_norm=grad_clip))
    user = [c for c in callbacks if c is not history]
    if verbose and not any(isinstance(c, ProgressBar) for c in user):
        user.append(ProgressBar())
    cbs = CallbackList(internal + user)
    if scheduler is None:
        scheduler = next((c.lr_scheduler for c in cbs.callbacks if isinstance(c, LRSchedulerCallback)), None)
    names = ["loss", *(m.name for m in train_metrics)]
    keys = names + ([f"val_{k}" for k in names] if val_loader is not None else []) + ["lr"]
    params = {"epochs": epochs, "initial_epoch": initial_epoch, "metrics": keys,
              "steps": len(train_loader) if hasattr(train_loader, "__len__") else None}  # type: ignore[arg-type]
    for cb in cbs.callbacks:
        cb.set_context(model, optimizer, scheduler, params)
    if device is not None:
        model.to(device)

    cbs("on_train_begin", {})
    for epoch in range(initial_epoch, epochs):
        logs: Logs = {}
        cbs("on_epoch_begin", epoch, logs)
        lr = float(optimizer.param_groups[0]["lr"])
        model.train()
        running = _Running(train_metrics)
        for i, batch in enumerate(train_loader):
            x, y = _unpack(batch, "fit", device)
            blogs: Logs = {"batch": i, "size": _num_samples(x, y)}
            cbs("on_batch_begin", i, blogs)
            out = _forward(model, x)
            loss = loss_fn(out, y)
            optimizer.zero_grad()
            loss.backward()
            cbs("on_before_optimizer_step", i, blogs)
            optimizer.step()
            with no_grad():
                running.update(float(loss.item()), blogs["size"], out.detach(), y)
            blogs.update(running.logs(with_loss=True))
            cbs("on_batch_end", i, blogs)
            if cbs.stop_training:
                break
        if running.count == 0:
            raise ValueError("fit: train_loader yielded no batches")
        logs.update(running.logs(with_loss=True))
        if val_loader is not None:
            val = evaluate(model, val_loader, loss_fn, val_metrics, device=device)
            logs.update({f"val_{k}": v for k, v in val.items()})
        logs["lr"] = lr
        cbs("on_epoch_end", epoch, logs)
        if cbs.stop_training:
            break
    cbs("on_train_end", {})
    return history


def evaluate(model: Module, loader: Iterable[Any], loss_fn: Any = None,
             metrics: Sequence[MetricLike] | None = ("accuracy",), device: Any = None) -> dict[str, float]:
    """The per-sample mean loss (when ``loss_fn`` is given) and metrics of ``model`` over ``loader``.

    Runs in eval mode (restored afterwards) without building a graph. Batches of unequal size count in proportion to
    their size: :math:`\\text{loss} = \\sum_b n_b \\ell_b / \\sum_b n_b`.

    Returns:
        ``{'loss': ..., 'accuracy': ...}``.
    """
    if not isinstance(model, Module):
        raise TypeError(f"evaluate: model must be a Module, got {type(model).__name__}")
    running = _Running(_metrics(metrics))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            for batch in loader:
                x, y = _unpack(batch, "evaluate", device)
                out = _forward(model, x)
                loss = float(loss_fn(out, y).item()) if loss_fn is not None else None
                running.update(loss, _num_samples(x, y), out, y)
    finally:
        model.train(was_training)
    if running.count == 0:
        raise ValueError("evaluate: loader yielded no batches")
    return running.logs(with_loss=loss_fn is not None)


def predict(model: Module, data: Any, batch_size: int | None = None, device: Any = None) -> Tensor:
    """The model's outputs for every input, concatenated along the first dimension, in eval mode and without grad.

    Args:
        data: a Tensor (or array) of inputs, or an iterable of batches: tensors of inputs or ``(input, target)``
            pairs (the target is ignored).
        batch_size: split a Tensor input into batches of this size (default: one batch).

    Shape:
        input (N, *) → output (N, *out).
    """
    if not isinstance(model, Module):
        raise TypeError(f"predict: model must be a Module, got {type(model).__name__}")
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"predict: batch_size must be a positive int, got {batch_size!r}")
    if isinstance(data, (Tensor, np.ndarray)):
        x = _to(data, device)
        step = batch_size or max(int(x.shape[0]), 1)
        batches: Iterable[Any] = (x[i:i + step] for i in range(0, int(x.shape[0]), step))
    else:
        batches = data
    outs = []
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            for batch in batches:
                if isinstance(batch, (tuple, list)):
                    batch = batch[0]
                outs.append(_forward(model, _to(batch, device)))
    finally:
        model.train(was_training)
    if not outs:
        raise ValueError("predict: no input batches")
    return outs[0] if len(outs) == 1 else cat(outs, 0)
