"""Training checkpoints in ``.npz`` or safetensors — never pickle: model weights, optimizer and scheduler state,
the epoch and the random-number state, so that a resumed run continues bit for bit as if never interrupted.

A file is a flat mapping of names to arrays. Nested state (the optimizer's ``{'state': {0: {...}}, 'param_groups':
[...]}``, a scheduler's attributes, RNG states) is split into its arrays, stored as entries ``optimizer/0``, ... and a
JSON description of the rest, stored as the uint8 entry ``__meta__``. The meta also lists every entry's shape and
dtype, which loading checks. Writes are atomic: a temporary file in the same directory, then ``os.replace``.
"""

from __future__ import annotations

import json
import os
from typing import IO, Any

import numpy as np

from .. import random as cr_random
from ..nn import Module
from ..optim import Optimizer
from ..tensor import Tensor
from ..tensor.creation import from_numpy
from ..utils.io import atomic_write

__all__ = ["save_checkpoint", "load_checkpoint", "save_state_dict", "load_state_dict", "write_arrays", "read_arrays"]

_META = "__meta__"
_FORMATS = ("npz", "safetensors")
_SAFETENSORS_HINT = 'the safetensors format needs the safetensors package: pip install "chainrule[safetensors]"'


def _format(path: str | os.PathLike[str], format: str | None) -> str:
    if format is None:
        return "safetensors" if os.fspath(path).endswith(".safetensors") else "npz"
    if format not in _FORMATS:
        raise ValueError(f"checkpoint format must be one of {_FORMATS}, got {format!r}")
    return format


def _safetensors() -> Any:
    try:
        import safetensors.numpy as st
    except ImportError as e:
        raise ImportError(_SAFETENSORS_HINT) from e
    return st


# ------------------------------------------------------------------ nested state <-> JSON + arrays
def _contiguous(a: Any) -> np.ndarray:
    """``a`` as a C-contiguous array of the same shape. NOTE: not ``np.ascontiguousarray``, which turns a 0-d array
    (BatchNorm's ``num_batches_tracked``) into shape (1,)."""
    return np.asarray(a, order="C")


def _encode(obj: Any, arrays: dict[str, np.ndarray], prefix: str) -> Any:
    """A JSON-able copy of ``obj`` whose arrays are moved into ``arrays`` under ``prefix/<n>``."""
    if isinstance(obj, (Tensor, np.ndarray)):
        key = f"{prefix}/{len(arrays)}"  # unique: the dict only grows
        arrays[key] = _contiguous(obj.detach().numpy() if isinstance(obj, Tensor) else obj)
        return {"__array__": key, "tensor": isinstance(obj, Tensor)}
    if isinstance(obj, np.generic):
        return {"__scalar__": obj.item(), "dtype": obj.dtype.str}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, arrays, prefix) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v, arrays, prefix) for v in obj]
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: _encode(v, arrays, prefix) for k, v in obj.items()}
        return {"__dict__": [[_encode(k, arrays, prefix), _encode(v, arrays, prefix)] for k, v in obj.items()]}
    raise TypeError(f"checkpoint: cannot store a value of type {type(obj).__name__} under {prefix!r} without pickle")


def _decode(obj: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(obj, list):
        return [_decode(v, arrays) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__array__" in obj:
        arr = arrays[obj["__array__"]]
        return from_numpy(np.array(arr, copy=True)) if obj["tensor"] else arr
    if "__scalar__" in obj:
        return np.dtype(obj["dtype"]).type(obj["__scalar__"])
    if "__tuple__" in obj:
        return tuple(_decode(v, arrays) for v in obj["__tuple__"])
    if "__dict__" in obj:
        return {_decode(k, arrays): _decode(v, arrays) for k, v in obj["__dict__"]}
    return {k: _decode(v, arrays) for k, v in obj.items()}


# ------------------------------------------------------------------ files
def _write_npz(f: IO[bytes], arrays: dict[str, np.ndarray]) -> None:
    np.savez(f, allow_pickle=False, **arrays)  # type: ignore[arg-type]


def _write_safetensors(f: IO[bytes], arrays: dict[str, np.ndarray]) -> None:
    f.write(_safetensors().save(arrays))


def write_arrays(path: str | os.PathLike[str], arrays: dict[str, np.ndarray], meta: dict[str, Any] | None = None,
                 format: str | None = None) -> None:
    """Atomically write named arrays and a JSON-able ``meta`` dict to ``path`` (``.npz`` or safetensors)."""
    path = os.fspath(path)
    fmt = _format(path, format)
    if fmt == "safetensors":
        _safetensors()  # fail before touching the file system
    if _META in arrays:
        raise ValueError(f"write_arrays: {_META!r} is a reserved entry name")
    out = {k: _contiguous(v) for k, v in arrays.items()}
    full = dict(meta or {})
    full["arrays"] = {k: [list(v.shape), v.dtype.str] for k, v in out.items()}
    out[_META] = np.frombuffer(json.dumps(full).encode(), dtype=np.uint8)
    writer = _write_safetensors if fmt == "safetensors" else _write_npz
    atomic_write(path, lambda f: writer(f, out))


def read_arrays(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays and meta dict of a file written by :func:`write_arrays`, checked against the meta's list of entries.

    Raises:
        FileNotFoundError: no such file.
        RuntimeError: the file is corrupted, truncated or not a chainrule checkpoint (the message names it).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint file not found: {path}")
    with open(path, "rb") as f:
        head = f.read(9)
    try:
        if head.startswith(b"PK"):
            # NOTE: opened here so that a truncated archive, on which np.load raises, does not leak the handle
            with open(path, "rb") as f, np.load(f, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        elif len(head) == 9 and head[8:9] == b"{":  # safetensors: u64 header length, then the JSON header
            st = _safetensors()
            with open(path, "rb") as f:
                arrays = st.load(f.read())
        else:
            raise ValueError("neither an npz archive nor a safetensors file")
        meta = json.loads(bytes(arrays.pop(_META)).decode())
    except ImportError:
        raise
    except Exception as e:
        raise RuntimeError(f"cannot read checkpoint {path}: the file is corrupted, truncated or not a chainrule "
                           f"checkpoint ({type(e).__name__}: {e})") from e
    expected = meta.get("arrays", {})
    if set(expected) != set(arrays):
        raise RuntimeError(f"checkpoint {path} is inconsistent: entries missing {sorted(set(expected) - set(arrays))}, "
                           f"unexpected {sorted(set(arrays) - set(expected))}")
    for k, (shape, dtype) in expected.items():
        if list(arrays[k].shape) != shape or arrays[k].dtype.str != dtype:
            raise RuntimeError(f"checkpoint {path} is inconsistent: entry {k!r} has shape {tuple(arrays[k].shape)} "
                               f"and dtype {arrays[k].dtype}, the file's index says {tuple(shape)} and {dtype}")
    return arrays, meta


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
