"""Synthetic 2-D classification sets: spirals, moons, XOR and Gaussian blobs, as float32 X and int64 y.

Every maker takes ``n`` (total samples, split as evenly as possible over the classes), a noise level and a
``generator`` (a ``chainrule.Generator``, a ``numpy.random.Generator``, an int seed, or None for chainrule's global
stream), and returns ``(X, y)`` NumPy arrays, shuffled unless ``shuffle=False``. :class:`SyntheticDataset` wraps them
as a ``TensorDataset`` that also keeps ``.data`` and ``.targets``.
"""

from __future__ import annotations

from typing import Any, Sequence, Union

import numpy as np

from ..random import Generator, np_generator
from ..tensor.creation import from_numpy
from ..utils.data import TensorDataset

__all__ = ["make_spirals", "make_moons", "make_xor", "make_blobs", "SyntheticDataset"]

GeneratorLike = Union[Generator, np.random.Generator, int, None]


def _rng(generator: GeneratorLike) -> np.random.Generator:
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    if generator is None or isinstance(generator, Generator):
        return np_generator(generator)
    raise TypeError(f"expected a chainrule.Generator, numpy Generator, int seed or None, got {type(generator)}")


def _counts(n: int, k: int, where: str) -> np.ndarray:
    if n < k or k < 1:
        raise ValueError(f"{where}: need n >= classes >= 1, got n={n}, classes={k}")
    return np.full(k, n // k) + (np.arange(k) < n % k)


def _finish(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, shuffle: bool) -> tuple[np.ndarray, np.ndarray]:
    if shuffle:
        p = rng.permutation(len(y))
        x, y = x[p], y[p]
    return np.ascontiguousarray(x, dtype=np.float32), y.astype(np.int64)


def _check_noise(noise: float, where: str) -> None:
    if noise < 0:
        raise ValueError(f"{where}: noise must be >= 0, got {noise}")


def make_spirals(n: int = 300, classes: int = 3, noise: float = 0.2, generator: GeneratorLike = None,
                 turns: float = 1.0, shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class.

    Point ``j`` of class ``k`` sits at radius ``r_j = j / (n_k - 1)`` and angle
    ``θ = 2πk / classes + 2π · turns · r_j + noise · ε`` with ``ε ~ N(0, 1)``: ``x = r (cos θ, sin θ)``.

    Args:
        n: total number of points.
        classes: number of arms.
        noise: standard deviation of the angular noise (radians).
        generator: source of randomness.
        turns: how many full turns each arm makes.
        shuffle: shuffle the rows (else grouped by class).

    Shape:
        X: (n, 2) float32, y: (n,) int64 in [0, classes).
    """
    _check_noise(noise, "make_spirals")
    rng = _rng(generator)
    counts = _counts(n, classes, "make_spirals")
    y = np.repeat(np.arange(classes), counts)
    # the position within its arm, 0..1, of every point, without a Python loop over points
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    r = (np.arange(n) - starts) / np.maximum(np.repeat(counts, counts) - 1, 1)
    theta = 2 * np.pi * y / classes + 2 * np.pi * turns * r + noise * rng.standard_normal(n)
    X = r[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=1)
    return _finish(X, y, rng, shuffle)


def make_moons(n: int = 200, noise: float = 0.1, generator: GeneratorLike = None,
               shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's ``make_moons`` layout).

    Class 0: ``(cos t, sin t)``, class 1: ``(1 − cos t, 0.5 − sin t)``, ``t`` evenly spaced on ``[0, π]``; then
    Gaussian noise of standard deviation ``noise`` on both coordinates.

    Shape:
        X: (n, 2) float32, y: (n,) int64 in {0, 1}; class 1 gets the extra point when n is odd.
    """
    _check_noise(noise, "make_moons")
    rng = _rng(generator)
    _counts(n, 2, "make_moons")
    n0, n1 = n // 2, n - n // 2  # scikit-learn's split: the inner moon gets the odd point
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n1)
    X = np.concatenate([np.stack([np.cos(t0), np.sin(t0)], 1), np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], 1)])
    y = np.repeat([0, 1], [n0, n1])
    X = X + noise * rng.standard_normal(X.shape)
    return _finish(X, y, rng, shuffle)


def make_xor(n: int = 200, noise: float = 0.1, generator: GeneratorLike = None,
             shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem: Gaussian clouds around the four corners ``(±1, ±1)``, labelled by XOR of the signs.

    Corner ``(a, b)`` with ``a, b ∈ {0, 1}`` sits at ``(2a − 1, 2b − 1)`` and has label ``a XOR b``; each point
    gets Gaussian noise of standard deviation ``noise``. No line separates the classes; the feature ``x₀·x₁`` does.

    Shape:
        X: (n, 2) float32, y: (n,) int64 in {0, 1}; the four corners as evenly filled as ``n`` allows.
    """
    _check_noise(noise, "make_xor")
    rng = _rng(generator)
    counts = _counts(n, 4, "make_xor")
    corner = np.repeat(np.arange(4), counts)
    a, b = corner // 2, corner % 2
    X = np.stack([2 * a - 1, 2 * b - 1], axis=1) + noise * rng.standard_normal((n, 2))
    return _finish(X, a ^ b, rng, shuffle)


def make_blobs(n: int = 300, centers: int | Sequence[Sequence[float]] | np.ndarray = 3, std: float = 1.0,
               n_features: int = 2, generator: GeneratorLike = None, center_box: tuple[float, float] = (-10.0, 10.0),
               shuffle: bool = True, return_centers: bool = False) -> Any:
    """Isotropic Gaussian blobs: class ``k`` is ``N(c_k, std² I)``.

    Args:
        n: total number of points, split evenly over the blobs.
        centers: the number of blobs (centres drawn uniformly from ``center_box``) or a (k, n_features) array.
        std: the standard deviation of every blob.
        n_features: the dimension when ``centers`` is a number.
        generator: source of randomness.
        center_box: the bounds of randomly drawn centres.
        shuffle: shuffle the rows.
        return_centers: also return the (k, d) float32 centres.

    Shape:
        X: (n, d) float32, y: (n,) int64 in [0, k); with ``return_centers``, ``(X, y, centers)``.
    """
    if std < 0:
        raise ValueError(f"make_blobs: std must be >= 0, got {std}")
    rng = _rng(generator)
    if isinstance(centers, (int, np.integer)):
        c = rng.uniform(center_box[0], center_box[1], size=(int(centers), n_features))
    else:
        c = np.asarray(centers, dtype=np.float64)
        if c.ndim != 2 or len(c) == 0:
            raise ValueError(f"make_blobs: centers must be an int or a (k, d) array, got shape {c.shape}")
    counts = _counts(n, len(c), "make_blobs")
    y = np.repeat(np.arange(len(c)), counts)
    X = c[y] + std * rng.standard_normal((n, c.shape[1]))
    X, y = _finish(X, y, rng, shuffle)
    return (X, y, c.astype(np.float32)) if return_centers else (X, y)


class SyntheticDataset(TensorDataset):
    """A ``TensorDataset`` of ``(X, y)`` that also keeps the arrays as ``.data`` (float32) and ``.targets`` (int64).

    ``ds[i]`` is ``(tensor X[i], tensor y[i])``.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        x, y = np.asarray(x), np.asarray(y)
        if x.ndim < 1 or y.ndim != 1 or len(x) != len(y):
            raise ValueError(f"SyntheticDataset: expected X (N, ...) and y (N,), got {x.shape} and {y.shape}")
        self.data, self.targets = x, y
        super().__init__(from_numpy(x), from_numpy(y))

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in range(int(self.targets.max()) + 1)] if len(self.targets) else []
