"""The training step shared by the model workloads: cycle through fixed batches, cross-entropy, backward, update."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from ..registry import Inputs, Step


def train_step(lib: ModuleType, model: Any, opt: Any, x: Inputs, watch: Any) -> Step:
    """A step over the batches ``x['data']``/``x['labels']`` in turn: zero_grad, forward, cross-entropy, backward,
    ``opt.step()``. It returns the loss and ``watch.grad`` (a parameter's gradient) for the agreement check."""
    loss_fn = lib.nn.CrossEntropyLoss()
    batches = [(lib.tensor(d), lib.tensor(t)) for d, t in zip(x["data"], x["labels"])]
    it = [0]

    def step() -> tuple[Any, ...]:
        data, target = batches[it[0] % len(batches)]
        it[0] += 1
        opt.zero_grad()
        loss = loss_fn(model(data), target)
        loss.backward()
        opt.step()
        return loss, watch.grad

    return step
