"""``chainrule.save`` / ``chainrule.load`` (PyTorch's ``save`` / ``load``) without pickle, and the file format they
share with the training checkpoints (:mod:`chainrule.train.checkpoint`).

A file is a flat mapping of names to arrays, in ``.npz`` or safetensors. Nested values (a state_dict, an optimizer's
``{'state': {0: {...}}, 'param_groups': [...]}``, lists, tuples, numbers, strings) are split into their arrays,
stored as entries ``<prefix>/<n>``, and a JSON description of the rest, stored as the uint8 entry ``__meta__``. The
meta also lists every entry's shape and dtype, which loading checks. Writes to a path are atomic: a temporary file in
the same directory, then ``os.replace``. Loading never executes code: ``np.load(..., allow_pickle=False)``.
"""

from __future__ import annotations

import json
import os
from typing import IO, Any

import numpy as np

from .backend import check_device
from .tensor import Tensor
from .tensor.creation import from_numpy
from .utils.io import atomic_write

File = str | os.PathLike[str] | IO[bytes]

__all__ = ["save", "load", "write_arrays", "read_arrays"]

_META = "__meta__"
_FORMATS = ("npz", "safetensors")
_SAFETENSORS_HINT = 'the safetensors format needs the safetensors package: pip install "chainrule[safetensors]"'


def _is_path(f: Any) -> bool:
    return isinstance(f, (str, os.PathLike))


def _format(f: File, format: str | None) -> str:
    if format is None:
        return "safetensors" if _is_path(f) and os.fspath(f).endswith(".safetensors") else "npz"  # type: ignore[arg-type]
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
        if isinstance(obj, Tensor) and obj.requires_grad:
            return {"__array__": key, "tensor": True, "requires_grad": True}
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
    hint = "; save its state_dict() instead" if hasattr(obj, "state_dict") else ""
    raise TypeError(f"cannot save a value of type {type(obj).__name__} (under {prefix!r}) without pickle: tensors, "
                    f"arrays, numbers, strings, None and lists, tuples and dicts of them can be saved{hint}")


def _decode(obj: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(obj, list):
        return [_decode(v, arrays) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__array__" in obj:
        arr = arrays[obj["__array__"]]
        if not obj["tensor"]:
            return arr
        t = from_numpy(np.array(arr, copy=True))
        return t.requires_grad_(True) if obj.get("requires_grad") else t
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


def write_arrays(file: File, arrays: dict[str, np.ndarray], meta: dict[str, Any] | None = None,
                 format: str | None = None) -> None:
    """Write named arrays and a JSON-able ``meta`` dict to ``file`` (``.npz`` or safetensors): a path, written
    atomically, or a binary file object open for writing."""
    fmt = _format(file, format)
    if fmt == "safetensors":
        _safetensors()  # fail before touching the file system
    if _META in arrays:
        raise ValueError(f"write_arrays: {_META!r} is a reserved entry name")
    out = {k: _contiguous(v) for k, v in arrays.items()}
    full = dict(meta or {})
    full["arrays"] = {k: [list(v.shape), v.dtype.str] for k, v in out.items()}
    out[_META] = np.frombuffer(json.dumps(full).encode(), dtype=np.uint8)
    writer = _write_safetensors if fmt == "safetensors" else _write_npz
    if _is_path(file):
        atomic_write(file, lambda f: writer(f, out))  # type: ignore[arg-type]
    else:
        writer(file, out)  # type: ignore[arg-type]


def read_arrays(file: File) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays and meta dict of a file written by :func:`write_arrays` (a path or a binary file object open for
    reading), checked against the meta's list of entries.

    Raises:
        FileNotFoundError: no such file.
        RuntimeError: the file is corrupted, truncated or not a chainrule file (the message names it).
    """
    if not _is_path(file):
        return _read(file, getattr(file, "name", type(file).__name__))  # type: ignore[arg-type]
    path = os.fspath(file)  # type: ignore[arg-type]
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint file not found: {path}")
    # NOTE: opened here so that a truncated archive, on which np.load raises, does not leak the handle
    with open(path, "rb") as f:
        return _read(f, path)


def _read(f: IO[bytes], name: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    start = f.tell()
    head = f.read(9)
    f.seek(start)
    try:
        if head.startswith(b"PK"):
            with np.load(f, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        elif len(head) == 9 and head[8:9] == b"{":  # safetensors: u64 header length, then the JSON header
            arrays = _safetensors().load(f.read())
        else:
            raise ValueError("neither an npz archive nor a safetensors file")
        meta = json.loads(bytes(arrays.pop(_META)).decode())
    except ImportError:
        raise
    except Exception as e:
        raise RuntimeError(f"cannot read checkpoint {name}: the file is corrupted, truncated or not a chainrule "
                           f"checkpoint ({type(e).__name__}: {e})") from e
    expected = meta.get("arrays", {})
    if set(expected) != set(arrays):
        raise RuntimeError(f"checkpoint {name} is inconsistent: entries missing {sorted(set(expected) - set(arrays))}, "
                           f"unexpected {sorted(set(arrays) - set(expected))}")
    for k, (shape, dtype) in expected.items():
        if list(arrays[k].shape) != shape or arrays[k].dtype.str != dtype:
            raise RuntimeError(f"checkpoint {name} is inconsistent: entry {k!r} has shape {tuple(arrays[k].shape)} "
                               f"and dtype {arrays[k].dtype}, the file's index says {tuple(shape)} and {dtype}")
    return arrays, meta


# ------------------------------------------------------------------ save / load, as PyTorch's
def save(obj: Any, f: File, format: str | None = None) -> None:
    """Save ``obj`` to ``f`` (a path, written atomically, or a binary file object), as ``torch.save`` -- without
    pickle: ``obj`` is a tensor, an array, a number, a string, None, or lists, tuples and dicts of them (a model's or
    an optimizer's ``state_dict()``). Tensors keep their dtype, shape and ``requires_grad``.

    Args:
        obj: what to save; anything else (a Module, say) raises a TypeError that names its type.
        f: the file. A path ending in ``.safetensors`` selects that format (the ``safetensors`` extra), else ``.npz``.
        format: ``'npz'`` or ``'safetensors'``; None infers it from the path.

    Example:
        >>> chainrule.save(model.state_dict(), "model.npz")
        >>> model.load_state_dict(chainrule.load("model.npz"))
    """
    arrays: dict[str, np.ndarray] = {}
    meta = {"format": "chainrule.object", "version": 1, "object": _encode(obj, arrays, "object")}
    write_arrays(f, arrays, meta, format)


def load(f: File, map_location: Any = None, *, weights_only: bool = True, mmap: bool | None = None) -> Any:
    """The object :func:`save` wrote to ``f`` (or the weights of a ``save_state_dict`` file, as a state_dict of
    tensors), as PyTorch's ``load``. Loading never executes code: every file is arrays plus JSON.

    Args:
        f: a path or a binary file object.
        map_location: None or the CPU (the only device); another device raises.
        weights_only: accepted for torch's signature; chainrule's files hold nothing but data either way.
        mmap: accepted for torch's signature; the arrays are always read into memory.

    Raises:
        FileNotFoundError, RuntimeError (a corrupted, truncated or foreign file), ValueError (a training checkpoint:
        use ``chainrule.train.load_checkpoint``).
    """
    check_device(map_location, "load")
    arrays, meta = read_arrays(f)
    kind = meta.get("format")
    if kind == "chainrule.object":
        return _decode(meta["object"], arrays)
    if kind == "chainrule.state_dict":
        return {k[len("model/"):]: from_numpy(np.array(v, copy=True)) for k, v in arrays.items()
                if k.startswith("model/")}
    raise ValueError(f"load: the file holds a {kind!r}, not an object saved by chainrule.save; for a training "
                     "checkpoint use chainrule.train.load_checkpoint")
