"""Datasets by name: ``get_dataset('mnist1d', 'train')``, ``list_datasets()``."""

from __future__ import annotations

import difflib
from typing import Any, Callable

import numpy as np

from ..utils.data import Dataset
from .digits import Digits
from .mnist import MNIST, FashionMNIST
from .mnist1d import MNIST1D
from .shapes import ShapesDetection, ShapesSegmentation
from .synthetic import SyntheticDataset, make_blobs, make_moons, make_spirals, make_xor
from .text import WorldEnglishBible

__all__ = ["get_dataset", "list_datasets"]

_SPLITS = ("train", "test")


def _files_dataset(cls: type) -> Callable[..., Dataset[Any]]:
    def build(split: str, **kw: Any) -> Dataset[Any]:
        return cls(train=split == "train", **kw)
    return build


def _synthetic(maker: Callable[..., Any], default_n: int) -> Callable[..., Dataset[Any]]:
    def build(split: str, seed: int = 0, n: int = default_n, **kw: Any) -> Dataset[Any]:
        # NOTE: one draw of 2n points split in halves, so that train and test come from the same distribution (a
        # maker that draws random blob centres would otherwise give the test split other centres than the train's)
        kw.setdefault("generator", np.random.default_rng(int(seed)))
        X, y = maker(n=2 * n, shuffle=True, **kw)[:2]
        part = slice(0, n) if split == "train" else slice(n, 2 * n)
        return SyntheticDataset(X[part], y[part])
    return build


_REGISTRY: dict[str, Callable[..., Dataset[Any]]] = {
    "mnist1d": _files_dataset(MNIST1D),
    "fashion_mnist": _files_dataset(FashionMNIST),
    "mnist": _files_dataset(MNIST),
    "digits": _files_dataset(Digits),
    "world_english_bible": _files_dataset(WorldEnglishBible),  # 'test' is the held-out validation text
    "spirals": _synthetic(make_spirals, 300),
    "moons": _synthetic(make_moons, 200),
    "xor": _synthetic(make_xor, 200),
    "blobs": _synthetic(make_blobs, 300),
    # shapes on noise: n, size, seed and the maker's arguments; train and test are two streams of one seed
    "shapes_segmentation": _files_dataset(ShapesSegmentation),
    "shapes_detection": _files_dataset(ShapesDetection),
}


def list_datasets() -> list[str]:
    """The names :func:`get_dataset` accepts, sorted."""
    return sorted(_REGISTRY)


def get_dataset(name: str, split: str = "train", **kwargs: Any) -> Dataset[Any]:
    """The ``split`` ('train' or 'test') of dataset ``name``; ``kwargs`` go to its class or maker.

    Synthetic sets take the maker's arguments plus ``seed`` (default 0) and ``n`` (points per split); their train and
    test splits are the two halves of one shuffled draw of ``2 n`` points.

    Raises:
        ValueError: an unknown name (with the closest known names) or split.
    """
    key = name.lower().replace("-", "_")
    if key not in _REGISTRY:
        close = difflib.get_close_matches(key, list(_REGISTRY), n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"get_dataset: unknown dataset {name!r}{hint} (known: {', '.join(list_datasets())})")
    if split not in _SPLITS:
        raise ValueError(f"get_dataset: split must be 'train' or 'test', got {split!r}")
    return _REGISTRY[key](split, **kwargs)
