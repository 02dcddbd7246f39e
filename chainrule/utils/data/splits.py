"""Splits and resampling: train/validation/test splits, k-fold cross-validation (scikit-learn's index contract) and
bootstrap samples.

``KFold(...).split(X, y)`` yields ``(train_idx, test_idx)`` NumPy index arrays, both sorted, as scikit-learn does;
``cross_validate`` trains one model per fold through a user callback and reports the mean and spread of the scores.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence, Union

import numpy as np

from ...random import Generator, np_generator
from ...tensor import Tensor
from .dataset import Dataset, Subset, _split_lengths

__all__ = ["train_val_test_split", "KFold", "StratifiedKFold", "CVResult", "cross_validate", "bootstrap_indices"]

RandomState = Union[int, Generator, np.random.Generator, None]


def _rng(random_state: RandomState) -> np.random.Generator:
    """A NumPy generator from a seed, a chainrule Generator, a NumPy Generator, or None (the default generator)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, Generator):
        return np_generator(random_state)
    return np.random.default_rng(int(random_state))


def _num_samples(x: Any) -> int:
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return int(x)
    if isinstance(x, (Tensor, np.ndarray)):
        return int(x.shape[0])
    return len(x)


def _labels(y: Any) -> np.ndarray:
    return np.asarray(y._data if isinstance(y, Tensor) else y).reshape(-1)


def train_val_test_split(dataset_or_n: Dataset[Any] | int, fractions: Sequence[float] = (0.8, 0.1, 0.1),
                         generator: Generator | None = None) -> tuple[Any, ...]:
    """Shuffle and cut into splits of the given fractions (any number of splits, usually train/val/test).

    Each split gets ``floor(n * f)`` samples and the remainder is dealt one each from the first split on, as in
    :func:`random_split`.

    Args:
        dataset_or_n: a map-style dataset (returns one :class:`Subset` per split) or a sample count (returns one
            int64 index array per split, in the drawn order).
        fractions: non-negative fractions that sum to 1.
        generator: the random stream (the default generator when None).
    """
    fr = [float(f) for f in fractions]
    if len(fr) < 2 or any(not 0 <= f <= 1 for f in fr) or not math.isclose(sum(fr), 1.0):
        raise ValueError(f"train_val_test_split: fractions must be at least two values in [0, 1] summing to 1, got "
                         f"{list(fractions)} (sum {sum(fr)})")
    n = _num_samples(dataset_or_n)
    counts = _split_lengths(n, fr)
    perm = np_generator(generator).permutation(n)
    bounds = np.cumsum([0] + counts)
    parts = [perm[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    if isinstance(dataset_or_n, (int, np.integer)):
        return tuple(parts)
    return tuple(Subset(dataset_or_n, p.tolist()) for p in parts)


class KFold:
    """K-fold cross-validation: ``n`` samples cut into ``n_splits`` consecutive folds (shuffled first if asked);
    each fold is the test set once and the rest is the training set.

    The first ``n % n_splits`` folds have ``n // n_splits + 1`` samples, the others ``n // n_splits``.

    Args:
        n_splits: number of folds, at least 2.
        shuffle: shuffle the samples before cutting the folds.
        random_state: seed, chainrule/NumPy ``Generator`` or None (the default generator); only with shuffle.
    """

    def __init__(self, n_splits: int = 5, *, shuffle: bool = False, random_state: RandomState = None) -> None:
        if isinstance(n_splits, bool) or not isinstance(n_splits, (int, np.integer)) or n_splits < 2:
            raise ValueError(f"{type(self).__name__}: k-fold cross-validation requires at least one train/test "
                             f"split by setting n_splits=2 or more, got n_splits={n_splits!r}")
        if not isinstance(shuffle, bool):
            raise TypeError(f"{type(self).__name__}: shuffle must be True or False; got {shuffle!r}")
        if not shuffle and random_state is not None:
            raise ValueError(f"{type(self).__name__}: setting a random_state has no effect since shuffle is False; "
                             "leave random_state to None or set shuffle=True")
        self.n_splits = int(n_splits)
        self.shuffle = shuffle
        self.random_state = random_state

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:  # noqa: N803 - sklearn's name
        return self.n_splits

    def _test_folds(self, n: int, y: Any) -> np.ndarray:
        """The fold number of each sample."""
        order = _rng(self.random_state).permutation(n) if self.shuffle else np.arange(n)
        sizes = np.full(self.n_splits, n // self.n_splits)
        sizes[: n % self.n_splits] += 1
        folds = np.empty(n, dtype=np.int64)
        folds[order] = np.repeat(np.arange(self.n_splits), sizes)
        return folds

    def split(self, X: Any, y: Any = None, groups: Any = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:  # noqa: N803
        """Yield ``(train_idx, test_idx)`` per fold: sorted int64 index arrays that partition ``range(len(X))``.

        ``X`` may be an array, a tensor, a dataset or a sample count.
        """
        n = _num_samples(X)
        if self.n_splits > n:
            raise ValueError(f"{type(self).__name__}: cannot have number of splits n_splits={self.n_splits} greater "
                             f"than the number of samples: n_samples={n}")
        folds = self._test_folds(n, y)
        for k in range(self.n_splits):
            yield np.flatnonzero(folds != k), np.flatnonzero(folds == k)


class StratifiedKFold(KFold):
    """K-fold cross-validation that keeps each class's share in every fold (``split(X, y)`` needs the labels).

    The samples sorted by class are dealt to the folds in turn, so fold sizes differ by at most one and each class
    spreads as evenly as its count allows; within a class, consecutive samples (shuffled first if asked) share a
    fold, as in scikit-learn.
    """

    def _test_folds(self, n: int, y: Any) -> np.ndarray:
        if y is None:
            raise ValueError("StratifiedKFold.split: the labels y are required")
        labels = _labels(y)
        if labels.shape[0] != n:
            raise ValueError(f"StratifiedKFold.split: X has {n} samples but y has {labels.shape[0]}")
        _, first, encoded = np.unique(labels, return_index=True, return_inverse=True)
        # classes numbered by first appearance, as scikit-learn does
        rank = np.argsort(np.argsort(first))
        encoded = rank[encoded.reshape(-1)]
        counts = np.bincount(encoded)
        if np.all(self.n_splits > counts):
            raise ValueError(f"StratifiedKFold: n_splits={self.n_splits} cannot be greater than the number of "
                             f"members in each class (largest class has {counts.max()})")
        if self.n_splits > counts.min():
            warnings.warn(f"StratifiedKFold: the least populated class in y has only {counts.min()} members, which "
                          f"is less than n_splits={self.n_splits}", UserWarning, stacklevel=3)
        by_class = np.sort(encoded)
        # allocation[f, c]: how many samples of class c fold f receives when the class-sorted samples are dealt
        allocation = np.stack([np.bincount(by_class[f::self.n_splits], minlength=counts.size)
                               for f in range(self.n_splits)])
        rng = _rng(self.random_state) if self.shuffle else None
        folds = np.empty(n, dtype=np.int64)
        for c in range(counts.size):
            fold_of = np.repeat(np.arange(self.n_splits), allocation[:, c])
            if rng is not None:
                rng.shuffle(fold_of)
            folds[encoded == c] = fold_of
        return folds


@dataclass
class CVResult:
    """Scores of a cross-validation: one per fold, their mean and (population, ddof=0) standard deviation."""

    scores: list[float]
    mean: float
    std: float

    def __str__(self) -> str:
        return f"{self.mean:.4f} ± {self.std:.4f} over {len(self.scores)} folds"


def cross_validate(make_model_and_fit: Callable[[Subset[Any], Subset[Any]], float], dataset: Dataset[Any],
                   k: int = 5, *, shuffle: bool = True, stratify: Any = None,
                   generator: Generator | None = None) -> CVResult:
    """Train ``k`` models, each validated on one fold and trained on the others; report mean ± std of the scores.

    .. math:: \\bar s = \\frac{1}{k} \\sum_i s_i, \\quad \\sigma = \\sqrt{\\frac{1}{k} \\sum_i (s_i - \\bar s)^2}

    Args:
        make_model_and_fit: ``f(train_subset, val_subset) -> score``: builds a fresh model, trains it on the first
            subset and returns its score (e.g. accuracy) on the second.
        dataset: a map-style dataset.
        k: number of folds, at least 2.
        shuffle: shuffle before cutting the folds.
        stratify: labels, one per sample: use :class:`StratifiedKFold` to keep class proportions.
        generator: the random stream of the shuffle (the default generator when None).
    """
    splitter_cls = StratifiedKFold if stratify is not None else KFold
    splitter = splitter_cls(k, shuffle=shuffle, random_state=generator if shuffle else None)
    scores = []
    for train_idx, test_idx in splitter.split(len(dataset), stratify):  # type: ignore[arg-type]
        score = make_model_and_fit(Subset(dataset, train_idx.tolist()), Subset(dataset, test_idx.tolist()))
        scores.append(float(score))
    arr = np.asarray(scores, dtype=np.float64)
    return CVResult(scores, float(arr.mean()), float(arr.std()))


def bootstrap_indices(n: int, generator: Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A bootstrap sample: ``n`` indices drawn from ``range(n)`` with replacement, and the out-of-bag indices.

    Each index is left out with probability (1 - 1/n)^n -> 1/e ≈ 36.8 %, so the out-of-bag samples are a free
    validation set for the model trained on the bootstrap sample.

    Args:
        n: number of samples, positive.
        generator: the random stream (the default generator when None).

    Returns:
        (sample, oob): int64 arrays; ``sample`` has length ``n`` (with repeats), ``oob`` the sorted indices absent
        from it.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise ValueError(f"bootstrap_indices: n must be a positive integer, got n={n!r}")
    sample = np_generator(generator).integers(0, n, size=int(n), dtype=np.int64)
    drawn = np.zeros(int(n), dtype=bool)
    drawn[sample] = True
    return sample, np.flatnonzero(~drawn)
