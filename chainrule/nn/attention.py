"""``MultiheadAttention``: attention from several learned projections at once, with PyTorch's parameter layout."""

from __future__ import annotations

from typing import Any

from ..backend import check_device
from ..tensor import Tensor
from ..tensor.creation import empty
from . import init
from .functional.attention import MHAShapeError, multi_head_attention_forward
from .linear import Linear
from .module import Module
from .parameter import Parameter

__all__ = ["MultiheadAttention"]


class MultiheadAttention(Module):
    r"""Multi-head attention (Vaswani et al., 2017):

    .. math:: \text{MultiHead}(Q, K, V) = \text{Concat}(\text{head}_1, \dots, \text{head}_h) W^O, \quad
        \text{head}_i = \text{softmax}\left(\frac{Q W_i^Q (K W_i^K)^T}{\sqrt{E / h}} + M\right) V W_i^V

    The parameters have PyTorch's names and shapes, so a PyTorch ``state_dict`` loads as is: ``in_proj_weight``
    :math:`(3E, E)` (the query, key and value projections stacked) or, when ``kdim``/``vdim`` differ from
    :math:`E`, ``q_proj_weight`` :math:`(E, E)`, ``k_proj_weight`` :math:`(E, k_{dim})`, ``v_proj_weight``
    :math:`(E, v_{dim})`; ``in_proj_bias`` :math:`(3E)`; ``bias_k``, ``bias_v`` :math:`(1, 1, E)`; ``out_proj``
    (a :class:`Linear` :math:`E \to E`).

    Args:
        embed_dim: :math:`E`, the model dimension (split across the heads).
        num_heads: :math:`h`; ``embed_dim`` must be divisible by it.
        dropout: dropout on the attention weights, in training.
        bias: learn ``in_proj_bias`` and ``out_proj.bias``.
        add_bias_kv: learn ``bias_k`` and ``bias_v`` :math:`(1, 1, E)`, a key and a value appended to the projected
            keys and values as one more source position (the masks let every query attend to it).
        add_zero_attn: append one more source position whose key and value are zeros (after ``bias_k``).
        kdim, vdim: the feature sizes of key and value (default :math:`E`).
        batch_first: inputs and output are :math:`(N, L, E)` instead of :math:`(L, N, E)`.

    Shape:
        - query: :math:`(L, N, E)` (batch_first: :math:`(N, L, E)`; unbatched: :math:`(L, E)`).
        - key, value: :math:`(S, N, k_{dim})`, :math:`(S, N, v_{dim})` in the same layout.
        - attn_output: as query; attn_weights: :math:`(N, L, S)`, or :math:`(N, h, L, S)` with
          ``average_attn_weights=False`` (no :math:`N` unbatched); :math:`S` is one longer with ``add_bias_kv`` and
          one longer again with ``add_zero_attn``.

    Example::

        >>> mha = nn.MultiheadAttention(16, 4, batch_first=True)
        >>> x = chainrule.randn(2, 5, 16)
        >>> out, w = mha(x, x, x)
        >>> out.shape, w.shape
        (chainrule.Size([2, 5, 16]), chainrule.Size([2, 5, 5]))
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device: Any = None, dtype: Any = None) -> None:
        check_device(device, "MultiheadAttention")
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"MultiheadAttention: embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise MHAShapeError(f"MultiheadAttention: embed_dim must be divisible by num_heads, got embed_dim="
                                f"{embed_dim} and num_heads={num_heads}")
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(empty((embed_dim, embed_dim), dtype=dtype))
            self.k_proj_weight = Parameter(empty((embed_dim, self.kdim), dtype=dtype))
            self.v_proj_weight = Parameter(empty((embed_dim, self.vdim), dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(empty((3 * embed_dim, embed_dim), dtype=dtype))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self.bias_k: Parameter | None
        self.bias_v: Parameter | None
        if add_bias_kv:
            self.bias_k = Parameter(empty((1, 1, embed_dim), dtype=dtype))
            self.bias_v = Parameter(empty((1, 1, embed_dim), dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """As PyTorch: Xavier-uniform projections (each of q/k/v when separate), zero biases, Xavier-normal
        ``bias_k``/``bias_v``; ``out_proj.weight`` keeps :class:`Linear`'s initialisation."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            if self.out_proj.bias is not None:
                init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None and self.bias_v is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None = None,
                need_weights: bool = True, attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        """Attend from ``query`` over ``key``/``value``; returns ``(attn_output, attn_weights or None)``.

        ``key_padding_mask`` :math:`(N, S)` marks keys to ignore and ``attn_mask`` :math:`(L, S)` or
        :math:`(N h, L, S)` positions not allowed (boolean True = masked out; float masks are added to the scores).
        ``is_causal`` is a hint that ``attn_mask`` is the causal mask, which must then be given.
        """
        for what, t in (("query", query), ("key", key), ("value", value)):
            if not isinstance(t, Tensor):
                raise TypeError(f"{self._get_name()}: expected {what} to be a Tensor, got {type(t).__name__}")
        if query.dim() in (2, 3) and query.shape[-1] != self.embed_dim:
            raise MHAShapeError(f"{self._get_name()}(embed_dim={self.embed_dim}): was expecting embedding "
                                f"dimension of {self.embed_dim}, but got query of shape {tuple(query.shape)}")
        return multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias, self.bias_k,
            self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=not self._qkv_same_embed_dim, q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal, batch_first=self.batch_first)

    def extra_repr(self) -> str:
        return ""  # PyTorch prints only the out_proj child
