"""Functional forms of the affine layer and the embedding lookup: ``F.linear`` and ``F.embedding``."""

from __future__ import annotations

import numpy as np

from ...autograd.grad_mode import no_grad
from ...ops.nn import Embedding as _Embedding
from ...ops.nn import Linear as _Linear
from ...tensor import Tensor

__all__ = ["linear", "embedding"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002 - PyTorch's name
    r"""Apply an affine map to the last dimension: :math:`y = x W^T + b`.

    One fused graph node (a single matrix product in forward, two in backward), whatever the number of batch
    dimensions.

    Args:
        input: the input :math:`x`.
        weight: the weight :math:`W`.
        bias: the bias :math:`b`, or None for no bias.

    Shape:
        - input: :math:`(*, H_{in})`, any number of leading dimensions (none for a single vector)
        - weight: :math:`(H_{out}, H_{in})`
        - bias: :math:`(H_{out})`
        - output: :math:`(*, H_{out})`

    Example::

        >>> x, w, b = chainrule.randn(8, 3), chainrule.randn(5, 3), chainrule.randn(5)
        >>> F.linear(x, w, b).shape
        chainrule.Size([8, 5])
    """
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"linear(): expected input and weight to be Tensors, got {type(input).__name__} and "
                        f"{type(weight).__name__}")
    x, w = input._data, weight._data
    if w.ndim != 2 or x.ndim == 0 or x.shape[-1] != w.shape[1]:
        raise RuntimeError(f"linear(): input of shape {tuple(x.shape)} and weight of shape {tuple(w.shape)} cannot be "
                           "multiplied (expected input of shape (*, in_features) and weight of shape (out_features, "
                           "in_features))")
    if x.dtype != w.dtype:
        raise RuntimeError(f"linear(): expected input and weight to have the same dtype, got input {input.dtype} and "
                           f"weight {weight.dtype}")
    if bias is None:
        return _Linear.apply(input, weight)
    b = bias._data
    if b.ndim > 1 or b.size not in (1, w.shape[0]):
        raise RuntimeError(f"linear(): bias of shape {tuple(b.shape)} does not match weight of shape "
                           f"{tuple(w.shape)} (expected ({w.shape[0]},))")
    if b.dtype != x.dtype:
        raise RuntimeError(f"linear(): expected bias to have the same dtype as input, got bias {bias.dtype} and input "
                           f"{input.dtype}")
    return _Linear.apply(input, weight, bias)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,  # noqa: A002 - PyTorch's name
              max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
              sparse: bool = False) -> Tensor:
    r"""Look up rows of an embedding table: :math:`y[\dots, :] = W[\text{input}[\dots], :]`.

    The gradient of :math:`W` sums the output gradients of every occurrence of an index (repeated indices
    accumulate); the row ``padding_idx`` receives no gradient.

    Args:
        input: integer indices into the rows of ``weight``.
        weight: the table :math:`W`, one row per index.
        padding_idx: a row that gets no gradient (it is not zeroed here: ``nn.Embedding`` zeroes it at
            initialisation). Negative values count from the end.
        max_norm: if given, every row looked up whose ``norm_type``-norm exceeds ``max_norm`` is first rescaled in
            place to norm ``max_norm`` (this modifies ``weight``).
        norm_type: the p of the p-norm for ``max_norm``.
        scale_grad_by_freq: divide each row's gradient by the number of times its index occurs in ``input``.
        sparse: sparse gradients are not supported (must be False).

    Shape:
        - input: :math:`(*)`, int64 or int32
        - weight: :math:`(\text{num\_embeddings}, \text{embedding\_dim})`
        - output: :math:`(*, \text{embedding\_dim})`

    Example::

        >>> w = chainrule.randn(10, 3)
        >>> F.embedding(chainrule.tensor([[1, 2], [4, 1]]), w).shape
        chainrule.Size([2, 2, 3])
    """
    if sparse:
        raise NotImplementedError("embedding(): sparse gradients (sparse=True) are not supported by chainrule; use "
                                  "sparse=False")
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"embedding(): expected input and weight to be Tensors, got {type(input).__name__} and "
                        f"{type(weight).__name__}")
    idx, w = input._data, weight._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"embedding(): expected input (the indices) of an integer dtype (int64 or int32), got "
                           f"{input.dtype}")
    if w.ndim != 2:
        raise RuntimeError(f"embedding(): expected weight of shape (num_embeddings, embedding_dim), got shape "
                           f"{tuple(w.shape)}")
    n = w.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise ValueError(f"embedding(): padding_idx must be within num_embeddings ({n}), got {padding_idx}")
        padding_idx = padding_idx + n if padding_idx < 0 else padding_idx
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= n:
            bad = lo if lo < 0 else hi
            raise IndexError(f"embedding(): index {bad} is out of range for a weight of {n} rows (valid indices are "
                             f"0..{n - 1})")
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    return _Embedding.apply(weight, idx, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)


def _renorm_rows(weight: Tensor, idx: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Rescale in place every row of ``weight`` indexed by ``idx`` whose p-norm exceeds ``max_norm``, as PyTorch's
    ``embedding_renorm_`` (the 1e-7 keeps the scaled norm just below ``max_norm``)."""
    with no_grad():
        w = weight._data
        rows = np.unique(idx)
        norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
        over = norms > max_norm
        if over.any():
            scale = (max_norm / (norms[over] + 1e-7)).astype(w.dtype)
            w[rows[over]] *= scale[:, None]
