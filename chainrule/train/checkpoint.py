"""Training checkpoints in ``.npz`` or safetensors — never pickle: model weights, optimizer and scheduler state,
the epoch and the random-number state, so that a resumed run continues bit for bit as if never interrupted.

The file format is :mod:`chainrule.serialization`'s: the model's weights are entries ``model/<name>``; nested state
(the optimizer's, a scheduler's attributes, RNG states) is split into entries ``optimizer/0``, ... and the JSON meta.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .. import random as cr_random
from ..nn import Module
from ..optim import Optimizer
from ..serialization import _decode, _encode, read_arrays, write_arrays
from ..tensor import Tensor

__all__ = ["save_checkpoint", "load_checkpoint", "save_state_dict", "load_state_dict", "write_arrays", "read_arrays"]


# ------------------------------------------------------------------ weights only
def save_state_dict(state_dict: dict[str, Any], path: str | os.PathLike[str], format: str | None = None) -> None:
    """Save a model's ``state_dict()`` (names to tensors or arrays) to ``path`` atomically, without pickle."""
    arrays = {"model/" + k: (v.detach().numpy() if isinstance(v, Tensor) else np.asarray(v))
              for k, v in state_dict.items()}
    write_arrays(path, arrays, {"format": "chainrule.state_dict", "version": 1}, format)


def load_state_dict(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """The ``state_dict`` saved by :func:`save_state_dict` or :func:`save_checkpoint`: names to NumPy arrays
    (``model.load_state_dict(load_state_dict(path))``)."""
    arrays, _ = read_arrays(path)
    return {k[len("model/"):]: v for k, v in arrays.items() if k.startswith("model/")}


# ------------------------------------------------------------------ full training state
def _rng_state() -> dict[str, Any]:
    return {"chainrule": cr_random.get_rng_state(), "numpy": np.random.get_state(legacy=False)}


def _set_rng_state(state: dict[str, Any]) -> None:
    cr_random.set_rng_state(state["chainrule"])
    np.random.set_state(state["numpy"])


def save_checkpoint(path: str | os.PathLike[str], model: Module, optimizer: Optimizer | None = None,
                    scheduler: Any = None, epoch: int | None = None, extra: dict[str, Any] | None = None,
                    format: str | None = None, save_rng: bool = True) -> None:
    """Save everything needed to resume training, atomically and without pickle.

    Args:
        path: the file; ``.safetensors`` selects that format (needs the ``safetensors`` extra), else ``.npz``.
        model: its ``state_dict()`` is saved under ``model/<name>``.
        optimizer: its ``state_dict()`` (state arrays and the JSON-able parameter groups).
        scheduler: an LR scheduler; its ``state_dict()`` must hold JSON-able values and arrays.
        epoch: the number of completed epochs (``fit(..., initial_epoch=epoch)`` resumes after it).
        extra: any further JSON-able values and arrays.
        format: ``'npz'`` or ``'safetensors'``; None infers it from the suffix.
        save_rng: also save chainrule's default generator and NumPy's global random state.
    """
    if not isinstance(model, Module):
        raise TypeError(f"save_checkpoint: model must be a Module, got {type(model).__name__}")
    arrays: dict[str, np.ndarray] = {"model/" + k: v.numpy() for k, v in model.state_dict().items()}
    meta: dict[str, Any] = {"format": "chainrule.checkpoint", "version": 1, "epoch": epoch}
    for name, state in (("optimizer", optimizer.state_dict() if optimizer is not None else None),
                        ("scheduler", scheduler.state_dict() if scheduler is not None else None),
                        ("rng", _rng_state() if save_rng else None), ("extra", extra)):
        meta[name] = None if state is None else _encode(state, arrays, name)
    write_arrays(path, arrays, meta, format)


def load_checkpoint(path: str | os.PathLike[str], model: Module | None = None, optimizer: Optimizer | None = None,
                    scheduler: Any = None, restore_rng: bool = True, strict: bool = True) -> dict[str, Any]:
    """Restore what :func:`save_checkpoint` saved into the given objects; returns ``{'epoch', 'extra',
    'state_dict', 'optimizer', 'scheduler'}`` (the decoded state).

    Raises:
        RuntimeError: a corrupted or truncated file, or weights that do not match the model's keys or shapes (the
            message names the file).
        ValueError: an optimizer or scheduler is given but the file holds no state for it.
    """
    path = os.fspath(path)
    arrays, meta = read_arrays(path)
    state_dict = {k[len("model/"):]: v for k, v in arrays.items() if k.startswith("model/")}
    decoded = {name: _decode(meta.get(name), arrays) for name in ("optimizer", "scheduler", "rng", "extra")}
    if model is not None:
        try:
            model.load_state_dict(state_dict, strict=strict)
        except RuntimeError as e:
            raise RuntimeError(f"load_checkpoint({path}): {e}") from e
    for name, obj in (("optimizer", optimizer), ("scheduler", scheduler)):
        if obj is not None:
            if decoded[name] is None:
                raise ValueError(f"load_checkpoint: {path} holds no {name} state")
            obj.load_state_dict(decoded[name])
    if restore_rng and decoded["rng"] is not None:
        _set_rng_state(decoded["rng"])
    return {"epoch": meta.get("epoch"), "extra": decoded["extra"], "state_dict": state_dict,
            "optimizer": decoded["optimizer"], "scheduler": decoded["scheduler"]}
