"""Helpers for recurrent networks, with PyTorch's ``torch.nn.utils.rnn`` names: batches of variable-length sequences
padded (:func:`pad_sequence`, :func:`unpad_sequence`) or packed (:class:`PackedSequence`,
:func:`pack_padded_sequence`, :func:`pad_packed_sequence`, :func:`pack_sequence`, :func:`unpack_sequence`), and
:func:`detach_state` for truncated backpropagation through time.

Every function is differentiable: packing and padding are one gather each (an index computed in NumPy, then one
indexing op), so gradients flow from the packed data back to the padded input and the other way.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np

from ...tensor import Tensor
from ...tensor.creation import as_tensor
from ...tensor.functions import cat
from .packed import (
    PackedSequence,
    batch_sizes_of,
    gather_padded,
    invert_permutation,
    lengths_of,
    packed_positions,
    padded_index,
)

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence", "detach_state"]

Lengths = Tensor | Sequence[int] | np.ndarray


def _lengths(lengths: Any, op: str) -> np.ndarray:
    """``lengths`` (a list, array or tensor of ints) as a 1-D int64 array."""
    arr = lengths._data if isinstance(lengths, Tensor) else np.asarray(lengths)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{op}: 'lengths' must hold integers, got {arr.dtype} ({lengths!r})")
    if arr.ndim != 1:
        raise RuntimeError(f"{op}: 'lengths' argument should be a 1D CPU int64 tensor, but got {arr.ndim}D "
                           f"(shape {arr.shape})")
    return arr.astype(np.int64)


def _tensor(x: Any, op: str, what: str = "input") -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected {what} to be a Tensor, got {type(x).__name__}")
    return x


def pack_padded_sequence(input: Tensor, lengths: Lengths, batch_first: bool = False,  # noqa: A002 - PyTorch's name
                         enforce_sorted: bool = True) -> PackedSequence:
    r"""Pack a padded batch of variable-length sequences: keep, step by step, only the steps that exist.

    With the sequences sorted by decreasing length :math:`L_{(0)} \ge L_{(1)} \ge \dots`, the packed data is
    :math:`[x_{0,(0)}, \dots, x_{0,(B-1)}, x_{1,(0)}, \dots]`: at step :math:`t` the sequences with
    :math:`L > t`, whose number is ``batch_sizes[t]``. Differentiable: the gradient of the data goes back to
    ``input`` (zero at the padding).

    Args:
        input: the padded batch, :math:`(T, B, *)`, or :math:`(B, T, *)` with ``batch_first``.
        lengths: the length of each sequence (a list or a 1-D integer tensor), each in :math:`[1, T]`.
        batch_first: ``input`` is batch-major. Default: False.
        enforce_sorted: require ``lengths`` sorted in decreasing order (then ``sorted_indices`` is None); if
            False the batch is sorted here (stably) and ``sorted_indices`` records the permutation. Default: True.

    Shape: data :math:`(\sum_i L_i, *)`; batch_sizes :math:`(\max_i L_i)`.

    Example::

        >>> x = chainrule.randn(5, 3, 8)                     # (T, B, features)
        >>> p = nn.utils.rnn.pack_padded_sequence(x, [5, 2, 3], enforce_sorted=False)
        >>> p.data.shape, p.batch_sizes
        (chainrule.Size([10, 8]), tensor([3, 3, 2, 1, 1]))
    """
    op = "pack_padded_sequence"
    _tensor(input, op)
    lens = _lengths(lengths, op)
    if input.ndim < 2:
        raise IndexError(f"{op}: expected input of at least 2 dimensions (T, B, *), got shape {tuple(input.shape)}")
    if input.numel() == 0:
        raise RuntimeError(f"{op}: Cannot pack empty tensors (input of shape {tuple(input.shape)})")
    t_dim, b_dim = (1, 0) if batch_first else (0, 1)
    t, b = input.shape[t_dim], input.shape[b_dim]
    if lens.size != b:
        raise RuntimeError(f"{op}: Expected `len(lengths)` to be equal to batch_size, but got {lens.size} "
                           f"(batch_size={b}, input of shape {tuple(input.shape)}, batch_first={batch_first})")
    if lens.min() <= 0:
        raise RuntimeError(f"{op}: Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           f"that is <= 0: lengths={lens.tolist()}")
    sorted_indices = None
    if enforce_sorted:
        if np.any(lens[1:] > lens[:-1]):
            raise RuntimeError(f"{op}: `lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                               f"True, got lengths={lens.tolist()}. You can pass `enforce_sorted=False` to "
                               "pack_padded_sequence and/or pack_sequence to sidestep this requirement if you do not "
                               "need ONNX exportability.")
        order = np.arange(b)
    else:
        order = np.argsort(-lens, kind="stable")  # NOTE: stable, as torch.sort on CPU: ties keep the batch order
        sorted_indices = as_tensor(order.astype(np.int64))
    if lens.max() > t:
        raise RuntimeError(f"{op}: lengths={lens.tolist()} exceed the {t} time steps of the input of shape "
                           f"{tuple(input.shape)} (batch_first={batch_first})")
    batch_sizes = batch_sizes_of(lens[order])
    steps, rows = packed_positions(batch_sizes)
    rows = order[rows]
    data = input[(rows, steps) if batch_first else (steps, rows)]
    return PackedSequence(data, as_tensor(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    r"""Unpack a :class:`PackedSequence` into a padded batch: the inverse of :func:`pack_padded_sequence`.

    :math:`\text{out}_{t, i} = x_{t, i}` for :math:`t < L_i` and ``padding_value`` after, the sequences back in
    their original batch order. Differentiable: the gradient of ``out`` goes back to ``sequence.data``.

    Args:
        sequence: the packed batch.
        batch_first: return :math:`(B, T, *)` instead of :math:`(T, B, *)`. Default: False.
        padding_value: the value of the padding. Default: 0.
        total_length: pad to this many steps (at least the longest length), e.g. to restore a fixed input
            length; default: the longest length.

    Returns:
        ``(padded, lengths)``: the padded batch and the int64 length of each sequence, in the original order.

    Example::

        >>> p = nn.utils.rnn.pack_sequence([chainrule.ones(3), chainrule.ones(1)])
        >>> padded, lengths = nn.utils.rnn.pad_packed_sequence(p, batch_first=True)   # (2, 3), tensor([3, 1])
    """
    op = "pad_packed_sequence"
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"{op}: expected a PackedSequence, got {type(sequence).__name__}")
    bs = sequence.batch_sizes._data
    t = int(bs.size)
    if total_length is not None:
        if total_length < t:
            raise ValueError(f"{op}: Expected total_length to be at least the length of the longest sequence in "
                             f"input, but got total_length={total_length} and max sequence length being {t}")
        t = int(total_length)
    idx, lens = padded_index(bs, t), lengths_of(bs)
    if sequence.unsorted_indices is not None:
        order = sequence.unsorted_indices._data
        idx, lens = idx[:, order], lens[order]
    out = gather_padded(sequence.data, idx.T if batch_first else idx, padding_value)
    return out, as_tensor(lens)


def pad_sequence(sequences: Tensor | Iterable[Tensor], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    r"""Stack variable-length sequences into one padded tensor.

    :math:`\text{out}_{i, t} = s_{i, t}` for :math:`t < L_i` and ``padding_value`` for
    :math:`L_i \le t < \max_j L_j` (``padding_side='left'`` puts the padding first). Differentiable.

    Args:
        sequences: tensors :math:`(L_i, *)` with the same trailing dimensions (a tensor counts as its rows).
        batch_first: return :math:`(B, T, *)` instead of :math:`(T, B, *)`. Default: False.
        padding_value: the value of the padding. Default: 0.
        padding_side: ``'right'`` or ``'left'``. Default: ``'right'``.

    Shape: :math:`(T, B, *)` or :math:`(B, T, *)` with :math:`T = \max_i L_i`.

    Example::

        >>> nn.utils.rnn.pad_sequence([chainrule.ones(3), chainrule.ones(1)], batch_first=True)
        tensor([[1., 1., 1.],
                [1., 0., 0.]])
    """
    op = "pad_sequence"
    seqs = list(sequences.unbind(0)) if isinstance(sequences, Tensor) else list(sequences)
    if not seqs:
        raise RuntimeError(f"{op}: received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"{op}: Expected padding_side to be one of left or right, but got {padding_side}.")
    for i, s in enumerate(seqs):
        _tensor(s, op, f"sequences[{i}]")
        if s.ndim == 0 or tuple(s.shape[1:]) != tuple(seqs[0].shape[1:]):
            raise RuntimeError(f"{op}: every sequence must be (L, *) with the same trailing dimensions, got shapes "
                               f"{[tuple(q.shape) for q in seqs]}")
    lens = np.array([s.shape[0] for s in seqs], dtype=np.int64)
    t, starts = int(lens.max()), np.cumsum(lens) - lens
    steps = np.arange(t)[None, :]
    if padding_side == "left":
        steps = steps - (t - lens)[:, None]
    idx = np.where((steps >= 0) & (steps < lens[:, None]), starts[:, None] + steps, lens.sum())  # (B, T)
    return gather_padded(cat(seqs, 0), idx if batch_first else idx.T, padding_value)


def unpad_sequence(padded_sequences: Tensor, lengths: Lengths, batch_first: bool = False) -> list[Tensor]:
    r"""Split a padded batch into its sequences: the inverse of :func:`pad_sequence` (right padding).

    Args:
        padded_sequences: :math:`(T, B, *)`, or :math:`(B, T, *)` with ``batch_first``.
        lengths: the length of each sequence.
        batch_first: the batch is the first dimension. Default: False.

    Returns: a list of :math:`B` tensors :math:`(L_i, *)` (views of the input: the gradient flows back).

    Example::

        >>> x = nn.utils.rnn.pad_sequence([chainrule.ones(3), chainrule.ones(1)])
        >>> [s.shape for s in nn.utils.rnn.unpad_sequence(x, chainrule.tensor([3, 1]))]
        [chainrule.Size([3]), chainrule.Size([1])]
    """
    op = "unpad_sequence"
    x = _tensor(padded_sequences, op, "padded_sequences")
    lens = _lengths(lengths, op)
    if x.ndim < 2:
        raise RuntimeError(f"{op}: expected padded_sequences of at least 2 dimensions, got shape {tuple(x.shape)}")
    x = x if batch_first else x.transpose(0, 1)
    if lens.size != x.shape[0] or (lens.size and (lens.min() < 0 or lens.max() > x.shape[1])):
        raise RuntimeError(f"{op}: expected {x.shape[0]} lengths in [0, {x.shape[1]}] for padded_sequences of shape "
                           f"{tuple(padded_sequences.shape)} (batch_first={batch_first}), got {lens.tolist()}")
    return [x[i, :int(n)] for i, n in enumerate(lens)]


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    r"""Pack a list of variable-length sequences: ``pack_padded_sequence(pad_sequence(sequences), lengths)``.

    Args:
        sequences: tensors :math:`(L_i, *)`, by decreasing length if ``enforce_sorted``.
        enforce_sorted: require the sequences sorted by decreasing length. Default: True.

    Example::

        >>> p = nn.utils.rnn.pack_sequence([chainrule.tensor([1, 2, 3]), chainrule.tensor([4, 5])])
        >>> p.data, p.batch_sizes
        (tensor([1, 4, 2, 5, 3]), tensor([2, 2, 1]))
    """
    seqs = list(sequences)
    padded = pad_sequence(seqs)
    return pack_padded_sequence(padded, [s.shape[0] for s in seqs], enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    r"""Unpack a :class:`PackedSequence` into its list of sequences :math:`(L_i, *)`, in the original order: the
    inverse of :func:`pack_sequence`.

    Example::

        >>> p = nn.utils.rnn.pack_sequence([chainrule.ones(3), chainrule.ones(1)])
        >>> [s.shape for s in nn.utils.rnn.unpack_sequence(p)]
        [chainrule.Size([3]), chainrule.Size([1])]
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


def detach_state(state: Any) -> Any:
    r"""Cut the graph behind a recurrent state: return ``state`` detached, keeping its structure.

    Truncated backpropagation through time (TBPTT) trains on a long sequence chunk by chunk: the hidden state is
    carried from one chunk to the next (so the model still sees the whole past in the forward pass), but it is
    detached, so each backward pass runs back through at most ``k`` steps, the chunk length, and the graph of earlier
    chunks is freed. The gradient is then that of :math:`\sum_{t \in \text{chunk}} L_t` with the incoming state
    treated as a constant.

    Args:
        state: a Tensor, None, or a (nested) tuple or list of them, e.g. an LSTM's ``(h, c)``.

    Returns:
        The same structure with every Tensor detached (sharing its data; the result does not require grad).

    Example::

        >>> lstm, head = nn.LSTM(8, 32, batch_first=True), nn.Linear(32, 8)
        >>> opt = chainrule.optim.Adam([*lstm.parameters(), *head.parameters()])
        >>> seq = chainrule.randn(4, 1000, 8)          # (batch, time, features)
        >>> state, k = None, 50                        # k: the truncation length
        >>> for s in range(0, seq.shape[1] - 1, k):
        ...     x, y = seq[:, s:s + k], seq[:, s + 1:s + k + 1]
        ...     x = x[:, :y.shape[1]]
        ...     out, state = lstm(x, state)
        ...     loss = nn.functional.mse_loss(head(out), y)
        ...     opt.zero_grad()
        ...     loss.backward()                        # back through the last k steps only
        ...     opt.step()
        ...     state = nn.utils.rnn.detach_state(state)
    """
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.detach()
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(s) for s in state)
    raise TypeError(f"detach_state: expected a Tensor or a tuple/list of Tensors, got {type(state).__name__}")
