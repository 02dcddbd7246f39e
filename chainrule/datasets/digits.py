"""scikit-learn's bundled 8×8 handwritten digits (UCI optical digits test set): 1,797 images, no download."""

from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np

from ._base import ArrayDataset

__all__ = ["Digits"]


def _load_digits() -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise ImportError('Digits needs scikit-learn: pip install "chainrule[digits]"') from e
    d = load_digits()
    return np.asarray(d.images), np.asarray(d.target)


class Digits(ArrayDataset):
    """The 8×8 digits bundled with scikit-learn, split once into train and test by a seeded permutation.

    Pixels are counts 0..16 (of a 4×4 block of the original 32×32 bitmap); ``data`` keeps them as uint8.

    Args:
        root: unused (the data ships with scikit-learn); accepted for a uniform signature.
        train: the training split (True) or the test split.
        transform: applied to each uint8 (8, 8) image; default: float32 tensor ``x / 16`` of shape (1, 8, 8).
        target_transform: applied to each ``int`` label.
        test_fraction: the share of the 1,797 images held out for the test split.
        split_seed: the seed of the permutation that splits them (the same seed gives the same split).

    Shape:
        ``data``: (N, 8, 8) uint8; ``targets``: (N,) int64; N = 1438 / 359 with the defaults.
    """

    classes = [str(i) for i in range(10)]

    def __init__(self, root: str | os.PathLike[str] | None = None, train: bool = True,
                 transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None, test_fraction: float = 0.2,
                 split_seed: int = 0) -> None:
        if not 0.0 < test_fraction < 1.0:
            raise ValueError(f"Digits: test_fraction must be in (0, 1), got {test_fraction}")
        images, target = _load_digits()
        order = np.random.default_rng(split_seed).permutation(len(images))
        n_test = int(round(test_fraction * len(images)))
        idx = np.sort(order[n_test:] if train else order[:n_test])
        self.root, self.train = root, train
        super().__init__(images[idx].astype(np.uint8), target[idx].astype(np.int64), transform, target_transform,
                         scale=16.0, add_channel=True)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"
