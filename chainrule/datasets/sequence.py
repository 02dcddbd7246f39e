"""Synthetic sequence tasks for recurrent networks: copy / reverse / sort a token sequence, and the adding problem.

Both makers take a ``generator`` (a ``chainrule.Generator``, a ``numpy.random.Generator``, an int seed, or None for
chainrule's global stream) and return NumPy arrays, so a ``TensorDataset`` or a plain loop can use them directly.
"""

from __future__ import annotations

import numpy as np

from .synthetic import GeneratorLike, _rng

__all__ = ["make_sequence_task", "make_adding_problem", "SEQUENCE_TASKS"]

SEQUENCE_TASKS = ("copy", "reverse", "sort")


def make_sequence_task(kind: str = "reverse", n: int = 1000, length: int = 8, vocab: int = 10,
                       generator: GeneratorLike = None) -> tuple[np.ndarray, np.ndarray]:
    """Source sequences of random tokens and their targets: the same tokens copied, reversed or sorted.

    Every source token is drawn independently and uniformly from ``{0, ..., vocab - 1}``; the target of ``x`` is
    ``y_t = x_t`` (``copy``), ``y_t = x_{T-1-t}`` (``reverse``) or ``y = sort(x)`` (``sort``). A sequence-to-sequence
    model adds its own start token (see :class:`chainrule.models.Seq2Seq`), so all ``vocab`` ids are data.

    Args:
        kind: ``'copy'``, ``'reverse'`` or ``'sort'``.
        n: number of sequences.
        length: tokens per sequence, ``T``.
        vocab: number of distinct tokens.
        generator: source of randomness.

    Shape:
        source: (n, T) int64, target: (n, T) int64.
    """
    if kind not in SEQUENCE_TASKS:
        raise ValueError(f"make_sequence_task: kind must be one of {', '.join(SEQUENCE_TASKS)}, got {kind!r}")
    if n < 1 or length < 1 or vocab < 2:
        raise ValueError(f"make_sequence_task: need n >= 1, length >= 1 and vocab >= 2, got n={n}, length={length}, "
                         f"vocab={vocab}")
    src = _rng(generator).integers(0, vocab, size=(n, length), dtype=np.int64)
    if kind == "copy":
        tgt = src.copy()
    elif kind == "reverse":
        tgt = np.ascontiguousarray(src[:, ::-1])
    else:
        tgt = np.sort(src, axis=1)
    return src, tgt


def make_adding_problem(n: int = 1000, length: int = 50,
                        generator: GeneratorLike = None) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem (Hochreiter & Schmidhuber 1997, in the form of Le et al. 2015).

    Each step carries two channels: a value ``v_t ~ U(0, 1)`` and a marker ``m_t ∈ {0, 1}``. Exactly two steps are
    marked, one uniformly in the first half ``[0, T/2)`` and one in the second ``[T/2, T)``; the target is
    ``y = Σ_t m_t v_t``, the sum of the two marked values. Always predicting the mean 1 scores an MSE of
    ``Var(v_1 + v_2) = 2 / 12 ≈ 0.167``; solving the task needs a memory of the first value across ``≥ T/2`` steps.

    Args:
        n: number of sequences.
        length: steps per sequence, ``T >= 2``.
        generator: source of randomness.

    Shape:
        inputs: (n, T, 2) float32 (channel 0 the values, channel 1 the markers), target: (n,) float32.
    """
    if n < 1 or length < 2:
        raise ValueError(f"make_adding_problem: need n >= 1 and length >= 2, got n={n}, length={length}")
    rng = _rng(generator)
    values = rng.random((n, length))
    half = length // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, length, size=n)
    markers = np.zeros((n, length))
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    target = values[rows, first] + values[rows, second]
    x = np.stack([values, markers], axis=-1).astype(np.float32)
    return x, target.astype(np.float32)
