"""``Embedding``: a learnable lookup table from integer indices to vectors."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from ..tensor.creation import empty
from . import init
from .functional.linear import embedding
from .module import Module
from .parameter import Parameter

__all__ = ["Embedding"]


class Embedding(Module):
    r"""A table of ``num_embeddings`` vectors of size ``embedding_dim``, looked up by index:
    :math:`y[\dots, :] = W[\text{input}[\dots], :]`.

    Args:
        num_embeddings: the size of the dictionary (number of rows).
        embedding_dim: the size of each vector.
        padding_idx: a row that is initialised to zeros and never receives a gradient (e.g. the padding token), so it
            stays fixed during training. Negative values count from the end.
        max_norm: rows looked up whose norm exceeds ``max_norm`` are rescaled to it, in place, before the lookup.
        norm_type: the p of the p-norm for ``max_norm``. Default: 2.
        scale_grad_by_freq: divide gradients by the frequency of each index in the mini-batch. Default: False.
        sparse: sparse gradients are not supported (must be False).
        _weight: an initial table of shape ``(num_embeddings, embedding_dim)`` used as the weight (shared memory).
        _freeze: make the weight not require grad.

    Shape:
        - Input: :math:`(*)`, integer indices (int64 or int32) in ``[0, num_embeddings)``.
        - Output: :math:`(*, H)`, where :math:`H` is ``embedding_dim``.

    Attributes:
        weight: the learnable table of shape ``(num_embeddings, embedding_dim)``, initialised from
            :math:`\mathcal{N}(0, 1)` with the ``padding_idx`` row zeroed.

    Example::

        >>> emb = nn.Embedding(10, 3, padding_idx=0)
        >>> emb(chainrule.tensor([[0, 2, 4], [4, 3, 9]])).shape
        chainrule.Size([2, 3, 3])
    """

    num_embeddings: int
    embedding_dim: int
    padding_idx: int | None
    weight: Parameter

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight: Tensor | None = None, _freeze: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if sparse:
            raise NotImplementedError("Embedding: sparse gradients (sparse=True) are not supported by chainrule; use "
                                      "sparse=False")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx must be within num_embeddings ({num_embeddings}), got "
                                 f"{padding_idx}")
            if padding_idx < 0:
                padding_idx += num_embeddings
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            self.weight = Parameter(empty((num_embeddings, embedding_dim), dtype=dtype, device=device),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: shape of _weight {tuple(_weight.shape)} does not match (num_embeddings, "
                                 f"embedding_dim) = ({num_embeddings}, {embedding_dim})")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        """Draw the table from N(0, 1) and zero the ``padding_idx`` row."""
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self) -> None:
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True, padding_idx: int | None = None,
                        max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """An Embedding whose table is ``embeddings`` (shared memory, shape ``(num_embeddings, embedding_dim)``);
        with ``freeze`` (the default) the table is not trained.

        Example::

            >>> emb = nn.Embedding.from_pretrained(chainrule.tensor([[1.0, 2.3, 3.0], [4.0, 5.1, 6.3]]))
            >>> emb(chainrule.tensor([1]))
            tensor([[4.0000, 5.1000, 6.3000]])
        """
        if embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings are expected to be 2-dimensional, got shape "
                             f"{tuple(embeddings.shape)}")
        rows, cols = embeddings.shape
        return cls(num_embeddings=rows, embedding_dim=cols, _weight=embeddings, _freeze=freeze,
                   padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)
