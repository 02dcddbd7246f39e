"""Batch assembly as in ``torch.utils.data``: ``default_collate`` stacks samples, ``default_convert`` converts one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ...tensor import Tensor
from ...tensor.creation import as_tensor, tensor
from ...tensor.functions import stack

__all__ = ["default_collate", "default_convert"]

_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
_STRINGY = "SaUO"  # NumPy dtype kinds that hold strings or objects: never converted to tensors


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def default_collate(batch: Sequence[Any]) -> Any:
    """Merge a list of samples into a batch, recursively, with PyTorch's rules.

    Tensors and NumPy arrays are stacked along a new dimension 0; Python floats become a float64 tensor, ints an
    int64 tensor (bools a bool tensor), NumPy scalars keep their dtype; strings stay a list; dicts are collated per
    key; tuples and lists are transposed (a list of per-field batches; a namedtuple stays a namedtuple).

    Example: ``default_collate([(x0, 0), (x1, 1)]) == [stack([x0, x1]), tensor([0, 1])]``.
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(list(batch), 0)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in _STRINGY:
            raise TypeError(_ERR.format(elem.dtype))
        return as_tensor(np.stack(batch, 0))
    if isinstance(elem, np.generic):
        if elem.dtype.kind in _STRINGY:
            raise TypeError(_ERR.format(elem.dtype))
        return as_tensor(np.array(batch, dtype=elem.dtype))
    if isinstance(elem, float):
        return tensor(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, bool):
        return tensor(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return tensor(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(collated)  # type: ignore[call-arg]
        except TypeError:  # a Mapping type that cannot be built from a dict
            return collated
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of equal size, got sizes "
                               f"{[len(e) for e in batch]}")
        transposed = [default_collate(s) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return transposed  # NOTE: PyTorch returns tuples of fields as a list (backwards compatibility)
        try:
            return type(elem)(transposed)  # type: ignore[call-arg]
        except TypeError:
            return transposed
    raise TypeError(_ERR.format(type(elem)))


def default_convert(data: Any) -> Any:
    """Convert one sample without batching: NumPy arrays and scalars become tensors, containers recursively."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)):
        return data if data.dtype.kind in _STRINGY else as_tensor(data)
    if isinstance(data, Mapping):
        converted = {k: default_convert(v) for k, v in data.items()}
        try:
            return type(data)(converted)  # type: ignore[call-arg]
        except TypeError:
            return converted
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])  # type: ignore[call-arg]
        except TypeError:
            return [default_convert(d) for d in data]
    return data
