"""Positional encodings: attention is blind to order, so the position of each token is added to its embedding.

PyTorch has no layers for these; the sinusoidal one follows Vaswani et al. (2017), the learned one is an embedding
table indexed by position (BERT, GPT, ViT).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes
from ..backend import xp
from ..tensor import Tensor
from ..tensor.creation import empty
from . import init
from .dropout import Dropout
from .module import Module
from .parameter import Parameter

__all__ = ["SinusoidalPositionalEncoding", "LearnedPositionalEmbedding"]


def _check_input(layer: Module, x: Tensor, d_model: int, max_len: int, batch_first: bool, offset: int = 0) -> int:
    """The sequence length of ``x``, after checking its shape against the layer."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{layer._get_name()}: expected a Tensor, got {type(x).__name__}")
    layout = "(N, L, E)" if batch_first else "(L, N, E)"
    if x.dim() not in (2, 3) or x.shape[-1] != d_model:
        raise ValueError(f"{layer._get_name()}(d_model={d_model}): expected input of shape {layout} or (L, E) with "
                         f"E={d_model}, got {tuple(x.shape)}")
    length = x.shape[1] if (x.dim() == 3 and batch_first) else x.shape[0]
    if offset < 0 or offset + length > max_len:
        raise ValueError(f"{layer._get_name()}(max_len={max_len}): positions {offset}..{offset + length - 1} of an "
                         f"input of shape {tuple(x.shape)} exceed max_len={max_len}")
    return length


def _positions(table: Tensor, start: int, length: int, ndim: int, batch_first: bool) -> Tensor:
    """Rows ``start:start+length`` of ``table``, shaped to broadcast against the input: (L, E), (L, 1, E) or
    (1, L, E)."""
    rows = table[start:start + length]
    if ndim == 3:
        rows = rows.unsqueeze(0) if batch_first else rows.unsqueeze(1)
    return rows


class SinusoidalPositionalEncoding(Module):
    r"""Add the fixed sinusoidal encoding of each position to the input, then apply dropout (Vaswani et al., 2017):

    .. math:: PE_{(pos, 2i)} = \sin\left(pos / 10000^{2i / d}\right), \quad
        PE_{(pos, 2i+1)} = \cos\left(pos / 10000^{2i / d}\right), \quad y = \text{dropout}(x + PE)

    Each pair of dimensions is a sine and cosine of one wavelength, the wavelengths forming a geometric progression
    from :math:`2\pi` to :math:`10000 \cdot 2\pi`, so :math:`PE_{pos + k}` is a linear function of :math:`PE_{pos}`.

    Args:
        d_model: :math:`d`, the embedding width.
        max_len: the longest sequence (rows of the table, buffer ``pe`` of shape ``(max_len, d_model)``, not saved
            in the ``state_dict``: it is a function of the hyperparameters).
        dropout: dropout on the sum, in training.
        batch_first: inputs are :math:`(N, L, d)` instead of :math:`(L, N, d)`.
        dtype: the table's dtype (the default dtype when None); the sum has the input's dtype.

    Shape:
        - Input: :math:`(L, N, d)` (batch_first: :math:`(N, L, d)`; unbatched :math:`(L, d)`), :math:`L \le`
          ``max_len``.
        - Output: the same.

    Example::

        >>> pe = nn.SinusoidalPositionalEncoding(16, max_len=100, dropout=0.0)
        >>> pe(chainrule.zeros(10, 2, 16))[3, 0, :2]    # sin(3), cos(3)
        tensor([0.1411, -0.9900])
    """

    def __init__(self, d_model: int, max_len: int = 5000, dropout: float = 0.1, batch_first: bool = False,
                 dtype: Any = None) -> None:
        super().__init__()
        if d_model <= 0 or max_len <= 0:
            raise ValueError(f"SinusoidalPositionalEncoding: d_model and max_len must be positive, got d_model="
                             f"{d_model} and max_len={max_len}")
        self.d_model, self.max_len, self.batch_first = d_model, max_len, batch_first
        self.dropout = Dropout(dropout)
        dt = dtypes.get_default_dtype().np if dtype is None else dtypes.to_numpy_dtype(dtype)
        # NOTE: computed in float64 and rounded once, so a float32 table is the correctly rounded formula
        pos = np.arange(max_len, dtype=np.float64)[:, None]
        freq = np.exp(np.arange(0, d_model, 2, dtype=np.float64) * (-np.log(10000.0) / d_model))
        pe = np.zeros((max_len, d_model), dtype=np.float64)
        pe[:, 0::2] = np.sin(pos * freq)
        pe[:, 1::2] = np.cos(pos * freq[: d_model // 2])  # an odd d_model has one more sine than cosine
        self.register_buffer("pe", Tensor._make(xp.asarray(pe.astype(dt)), None, False), persistent=False)

    def forward(self, input: Tensor, offset: int = 0) -> Tensor:  # noqa: A002 - PyTorch's name
        """``dropout(input + PE[offset : offset + L])``; ``offset`` shifts the positions (incremental decoding)."""
        length = _check_input(self, input, self.d_model, self.max_len, self.batch_first, offset)
        pe = self.pe if self.pe.dtype == input.dtype else self.pe.to(input.dtype)
        return self.dropout(input + _positions(pe, offset, length, input.dim(), self.batch_first))

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, max_len={self.max_len}, batch_first={self.batch_first}"


class LearnedPositionalEmbedding(Module):
    r"""Add a learned vector per position to the input: an embedding table indexed by position.

    .. math:: y_{pos} = x_{pos} + W_{pos}

    Args:
        max_len: the number of positions (rows of ``weight``).
        d_model: the embedding width.
        batch_first: inputs are :math:`(N, L, d)` instead of :math:`(L, N, d)`.
        dtype: the parameter's dtype (the default dtype when None).

    Shape:
        - Input: :math:`(L, N, d)` (batch_first: :math:`(N, L, d)`; unbatched :math:`(L, d)`), :math:`L \le`
          ``max_len``.
        - Output: the same.

    Attributes:
        weight: the table of shape ``(max_len, d_model)``, from :math:`\mathcal{N}(0, 1)` as :class:`Embedding`.

    Example::

        >>> pos = nn.LearnedPositionalEmbedding(16, 8, batch_first=True)
        >>> pos(chainrule.randn(4, 16, 8)).shape
        chainrule.Size([4, 16, 8])
    """

    def __init__(self, max_len: int, d_model: int, batch_first: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if d_model <= 0 or max_len <= 0:
            raise ValueError(f"LearnedPositionalEmbedding: max_len and d_model must be positive, got max_len="
                             f"{max_len} and d_model={d_model}")
        self.max_len, self.d_model, self.batch_first = max_len, d_model, batch_first
        self.weight = Parameter(empty((max_len, d_model), dtype=dtype, device=device))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw the table from N(0, 1), as :class:`Embedding`."""
        init.normal_(self.weight)

    def forward(self, input: Tensor, offset: int = 0) -> Tensor:  # noqa: A002 - PyTorch's name
        """``input + weight[offset : offset + L]``; ``offset`` shifts the positions (incremental decoding)."""
        length = _check_input(self, input, self.d_model, self.max_len, self.batch_first, offset)
        return input + _positions(self.weight, offset, length, input.dim(), self.batch_first)

    def extra_repr(self) -> str:
        return f"{self.max_len}, {self.d_model}, batch_first={self.batch_first}"
