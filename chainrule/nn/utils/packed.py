"""The packed layout of a batch of variable-length sequences: :class:`PackedSequence` (PyTorch's), the index
arithmetic between it and the padded layout, and :func:`packed_recurrent`, a stack of recurrent layers run on it.

The packed ``data`` holds the steps of all sequences time-major, the sequences sorted by decreasing length: first
step 0 of every sequence, then step 1 of those with at least 2 steps, ... ``batch_sizes[t]`` is the number of
sequences with more than ``t`` steps, so the rows of step ``t`` are the first ``batch_sizes[t]`` sequences.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import numpy as np

from ...tensor import Tensor
from ...tensor.creation import as_tensor, full
from ...tensor.functions import cat
from ..functional.recurrent import recurrent

__all__ = ["PackedSequence", "invert_permutation", "packed_recurrent"]


class _PackedSequenceFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedSequenceFields):
    r"""A batch of variable-length sequences in the packed layout, as returned by
    :func:`~chainrule.nn.utils.rnn.pack_padded_sequence` and accepted by :class:`~chainrule.nn.RNN`,
    :class:`~chainrule.nn.LSTM` and :class:`~chainrule.nn.GRU`. A named tuple of:

    Args:
        data: :math:`(N, *)`, the steps of all sequences, time-major, sequences sorted by decreasing length;
            :math:`N = \sum_i L_i`.
        batch_sizes: int64 :math:`(T_{max})`, the number of sequences at each time step.
        sorted_indices: int64 :math:`(B)`, the original batch index of each sorted sequence, or None if the batch
            was already sorted.
        unsorted_indices: int64 :math:`(B)`, its inverse permutation (computed from ``sorted_indices`` when
            omitted), or None.

    Do not build one by hand; use :func:`~chainrule.nn.utils.rnn.pack_padded_sequence` or
    :func:`~chainrule.nn.utils.rnn.pack_sequence`.

    Example::

        >>> p = nn.utils.rnn.pack_sequence([chainrule.ones(3, 2), chainrule.ones(1, 2)])
        >>> p.batch_sizes
        tensor([2, 1, 1])
    """

    __slots__ = ()

    def __new__(cls, data: Any, batch_sizes: Any = None, sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> PackedSequence:
        if batch_sizes is None:  # PyTorch's legacy form PackedSequence((data, batch_sizes))
            if not isinstance(data, (tuple, list)) or len(data) != 2:
                raise TypeError(f"PackedSequence: expected data and batch_sizes, got {type(data).__name__}")
            data, batch_sizes = data
        if not isinstance(data, Tensor):
            raise TypeError(f"PackedSequence: expected data to be a Tensor, got {type(data).__name__}")
        batch_sizes = as_tensor(batch_sizes._data if isinstance(batch_sizes, Tensor) else np.asarray(batch_sizes),
                                dtype="int64")
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    @property
    def is_cuda(self) -> bool:
        """Whether ``data`` lives on a GPU."""
        return bool(self.data.is_cuda)


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation of :math:`0..B-1`: ``out[permutation[i]] = i`` (None stays None)."""
    if permutation is None:
        return None
    p = permutation._data if isinstance(permutation, Tensor) else np.asarray(permutation)
    out = np.empty_like(p, dtype=np.int64)
    out[p] = np.arange(p.size, dtype=np.int64)
    return as_tensor(out)


def batch_sizes_of(lengths: np.ndarray) -> np.ndarray:
    """``batch_sizes[t]`` = the number of sequences longer than ``t``, for ``t < max(lengths)``."""
    return (lengths[None, :] > np.arange(int(lengths.max()))[:, None]).sum(axis=1).astype(np.int64)


def lengths_of(batch_sizes: np.ndarray) -> np.ndarray:
    """The length of each sorted sequence: the number of steps whose batch holds it."""
    return (batch_sizes[None, :] > np.arange(int(batch_sizes[0]))[:, None]).sum(axis=1).astype(np.int64)


def packed_positions(batch_sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (step, sorted row) of every row of the packed data, in its order."""
    steps = np.repeat(np.arange(batch_sizes.size), batch_sizes)
    starts = np.cumsum(batch_sizes) - batch_sizes
    return steps, np.arange(steps.size) - np.repeat(starts, batch_sizes)


def padded_index(batch_sizes: np.ndarray, total_length: int) -> np.ndarray:
    """A (total_length, B) index of each padded position into the packed data; N (one past its end) for padding."""
    steps, rows = packed_positions(batch_sizes)
    idx = np.full((total_length, int(batch_sizes[0])), steps.size, dtype=np.int64)
    idx[steps, rows] = np.arange(steps.size)
    return idx


def gather_padded(data: Tensor, index: np.ndarray, padding_value: float) -> Tensor:
    """``data`` rows laid out by ``index`` (from :func:`padded_index`), the position N filled with
    ``padding_value``: one row of padding appended, then one gather (its gradient goes back to ``data``)."""
    pad = full((1, *data.shape[1:]), padding_value, dtype=data.dtype)
    return cat([data, pad], 0)[index]


def packed_recurrent(mode: str, input: PackedSequence, hx: Tensor | None, cx: Tensor | None,  # noqa: A002
                     weights: Sequence[tuple[Tensor, Tensor, Tensor | None, Tensor | None]], num_layers: int,
                     bidirectional: bool = False, dropout: float = 0.0, training: bool = False
                     ) -> tuple[Tensor, Tensor, Tensor | None]:
    r"""Run a stack of recurrent layers (as :func:`chainrule.nn.functional.recurrent`) over packed sequences.

    The packed data is laid out padded, time-major and sorted, :math:`(T_{max}, B, H_{in})`; each layer and direction
    is one fused primitive that at step :math:`t` updates only the ``batch_sizes[t]`` sequences still running and
    keeps the state of the others (:mod:`chainrule.ops.rnn`). The forward direction thus ends every sequence at its
    own last step, and the reverse direction starts every sequence at its own last step from ``h_0``, exactly as
    running each sequence alone.

    Args: as :func:`chainrule.nn.functional.recurrent`, with ``hx`` and ``cx`` in the original batch order.

    Shape:
        - input: a :class:`PackedSequence` with data :math:`(N, H_{in})`.
        - hx, cx: :math:`(D L, B, H)`.
        - output: the packed data of the last layer's hidden states :math:`(N, D H)` (same ``batch_sizes`` and
          indices as the input), then ``h_n`` and ``c_n`` (None but for the LSTM), :math:`(D L, B, H)` in the original
          batch order, taken at each sequence's last step.
    """
    bs = input.batch_sizes._data
    t = int(bs.size)
    ks = tuple(int(k) for k in bs)
    if input.sorted_indices is not None:  # the states follow the batch into sorted order
        hx = hx.index_select(1, input.sorted_indices) if hx is not None else None
        cx = cx.index_select(1, input.sorted_indices) if cx is not None else None
    x = gather_padded(input.data, padded_index(bs, t), 0.0)
    x, h, c = recurrent(mode, x, hx, cx, weights, num_layers, bidirectional, dropout, training, batch_sizes=ks)
    if input.unsorted_indices is not None:  # back to the original batch order
        h = h.index_select(1, input.unsorted_indices)
        c = c.index_select(1, input.unsorted_indices) if c is not None else None
    return x[packed_positions(bs)], h, c
