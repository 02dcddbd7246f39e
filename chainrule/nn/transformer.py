"""The Transformer (Vaswani et al., 2017) with PyTorch's modules, parameter names and masks: encoder and decoder
layers, their stacks, and the full encoder-decoder model."""

from __future__ import annotations

import copy
from typing import Any, Callable

import numpy as np

from .. import dtypes
from ..tensor import Tensor
from . import init
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .functional.activation import gelu, relu
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

__all__ = ["TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder", "TransformerDecoder",
           "Transformer"]

Activation = str | Callable[[Tensor], Tensor]


def _activation(activation: Activation) -> Callable[[Tensor], Tensor]:
    if isinstance(activation, str):
        if activation == "relu":
            return relu
        if activation == "gelu":
            return gelu
        raise RuntimeError(f"activation should be relu/gelu, not {activation}")
    if not callable(activation):
        raise TypeError(f"activation should be 'relu', 'gelu' or a callable, got {type(activation).__name__}")
    return activation


def _check_width(layer: Module, x: Tensor, d_model: int, what: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{layer._get_name()}: expected {what} to be a Tensor, got {type(x).__name__}")
    if x.dim() not in (2, 3) or x.shape[-1] != d_model:
        raise RuntimeError(f"{layer._get_name()}(d_model={d_model}): expected {what} of shape (L, N, {d_model}), "
                           f"(N, L, {d_model}) or (L, {d_model}), got {tuple(x.shape)}")


class _FeedForwardBlock(Module):
    """The parts every Transformer layer shares: the position-wise feed-forward network ``linear2(dropout(act(
    linear1(x))))`` and the pre/post-norm residual wiring. Subclasses add attention and norms (PyTorch's order of
    registration, so ``state_dict`` keys and ``named_parameters`` come out in PyTorch's order)."""

    norm_first: bool

    def _init_ff(self, d_model: int, dim_feedforward: int, dropout: float, activation: Activation,
                 bias: bool, dtype: Any) -> None:
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)

    def _set_activation(self, activation: Activation) -> None:
        self.activation = _activation(activation)  # a Module given here becomes a child, as in PyTorch

    def _ff_block(self, x: Tensor, out_dropout: Dropout) -> Tensor:
        return out_dropout(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    @staticmethod
    def _residual(x: Tensor, block: Callable[[Tensor], Tensor], norm: LayerNorm, norm_first: bool) -> Tensor:
        """Pre-norm ``x + block(norm(x))`` or post-norm ``norm(x + block(x))``."""
        return x + block(norm(x)) if norm_first else norm(x + block(x))


class TransformerEncoderLayer(_FeedForwardBlock):
    r"""One encoder layer: self-attention and a feed-forward network, each in a residual branch with layer norm.

    .. math:: x \leftarrow \text{LN}(x + \text{SA}(x)), \quad x \leftarrow \text{LN}(x + \text{FF}(x))

    (with ``norm_first``: :math:`x \leftarrow x + \text{SA}(\text{LN}(x))`, :math:`x \leftarrow x +
    \text{FF}(\text{LN}(x))`), :math:`\text{FF}(x) = W_2\, \text{dropout}(\text{act}(W_1 x + b_1)) + b_2`.

    Args:
        d_model: the model width :math:`E`.
        nhead: the number of attention heads.
        dim_feedforward: the hidden width of the feed-forward network.
        dropout: dropout on the attention weights and on every residual branch.
        activation: ``'relu'``, ``'gelu'`` or a callable (a function or a module).
        layer_norm_eps: the layer norms' epsilon.
        batch_first: inputs are :math:`(N, L, E)` instead of :math:`(L, N, E)`.
        norm_first: pre-norm (layer norm before each sub-block) instead of post-norm.
        bias: learn the biases of the linear layers and layer norms.

    Shape:
        - src: :math:`(L, N, E)` (batch_first: :math:`(N, L, E)`; unbatched: :math:`(L, E)`); output the same.

    Example::

        >>> layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, batch_first=True)
        >>> layer(chainrule.randn(2, 10, 16)).shape
        chainrule.Size([2, 10, 16])
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: Activation = relu, layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            device=device, dtype=dtype)
        self._init_ff(d_model, dim_feedforward, dropout, activation, bias, dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self._set_activation(activation)

    def forward(self, src: Tensor, src_mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                is_causal: bool = False) -> Tensor:
        """``src_mask`` :math:`(L, L)` or :math:`(N h, L, L)` and ``src_key_padding_mask`` :math:`(N, L)` as in
        :class:`MultiheadAttention` (boolean True = masked out)."""
        _check_width(self, src, self.self_attn.embed_dim, "src")
        x = self._residual(src, lambda t: self._sa_block(t, src_mask, src_key_padding_mask, is_causal), self.norm1,
                           self.norm_first)
        return self._residual(x, lambda t: self._ff_block(t, self.dropout2), self.norm2, self.norm_first)

    def _sa_block(self, x: Tensor, attn_mask: Tensor | None, key_padding_mask: Tensor | None,
                  is_causal: bool) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=is_causal)[0]
        return self.dropout1(x)


class TransformerDecoderLayer(_FeedForwardBlock):
    r"""One decoder layer: masked self-attention, attention over the encoder's output (``memory``) and a
    feed-forward network, each in a residual branch with layer norm (post-norm, or pre-norm with ``norm_first``):

    .. math:: x \leftarrow \text{LN}(x + \text{SA}(x)), \quad x \leftarrow \text{LN}(x + \text{MHA}(x, m, m)),
        \quad x \leftarrow \text{LN}(x + \text{FF}(x))

    Args: as :class:`TransformerEncoderLayer`.

    Shape:
        - tgt: :math:`(T, N, E)` (batch_first: :math:`(N, T, E)`; unbatched :math:`(T, E)`); output the same.
        - memory: :math:`(S, N, E)` in the same layout.

    Example::

        >>> layer = nn.TransformerDecoderLayer(d_model=16, nhead=4)
        >>> layer(chainrule.randn(7, 2, 16), chainrule.randn(10, 2, 16)).shape
        chainrule.Size([7, 2, 16])
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: Activation = relu, layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first, bias=bias,
                                            device=device, dtype=dtype)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first,
                                                 bias=bias, device=device, dtype=dtype)
        self._init_ff(d_model, dim_feedforward, dropout, activation, bias, dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self._set_activation(activation)

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False) -> Tensor:
        """Masks as :class:`MultiheadAttention`: ``tgt_mask`` :math:`(T, T)`, ``memory_mask`` :math:`(T, S)`,
        ``*_key_padding_mask`` :math:`(N, T)` and :math:`(N, S)`."""
        e = self.self_attn.embed_dim
        _check_width(self, tgt, e, "tgt")
        _check_width(self, memory, e, "memory")
        x = self._residual(tgt, lambda t: self._sa_block(t, tgt_mask, tgt_key_padding_mask, tgt_is_causal),
                           self.norm1, self.norm_first)
        x = self._residual(x, lambda t: self._mha_block(t, memory, memory_mask, memory_key_padding_mask,
                                                        memory_is_causal), self.norm2, self.norm_first)
        return self._residual(x, lambda t: self._ff_block(t, self.dropout3), self.norm3, self.norm_first)

    def _sa_block(self, x: Tensor, attn_mask: Tensor | None, key_padding_mask: Tensor | None,
                  is_causal: bool) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, is_causal=is_causal,
                           need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x: Tensor, mem: Tensor, attn_mask: Tensor | None, key_padding_mask: Tensor | None,
                   is_causal: bool) -> Tensor:
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                is_causal=is_causal, need_weights=False)[0]
        return self.dropout2(x)


def _clones(module: Module, n: int) -> ModuleList:
    """``n`` independent deep copies of ``module`` (each with its own parameters)."""
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _is_causal_mask(mask: Tensor | None, is_causal: bool | None) -> bool:
    """PyTorch's reading of ``is_causal=None``: True when ``mask`` is the square subsequent mask."""
    if is_causal is not None:
        return is_causal
    if mask is None or mask.dim() != 2 or mask.shape[0] != mask.shape[1]:
        return False
    m = mask._data
    upper = np.triu(np.ones(m.shape, dtype=bool), 1)
    return bool((m == upper).all()) if m.dtype == bool else bool((np.isneginf(m) == upper).all() and
                                                                 (m[~upper] == 0).all())


class TransformerEncoder(Module):
    r"""A stack of ``num_layers`` copies of ``encoder_layer`` (deep copies: independent parameters, named
    ``layers.0.self_attn.in_proj_weight``, ... as PyTorch), followed by an optional final ``norm``.

    Args:
        encoder_layer: a :class:`TransformerEncoderLayer` to copy.
        num_layers: the number of layers.
        norm: a final layer norm (or any module), or None.
        enable_nested_tensor, mask_check: PyTorch's inference fast-path switches; accepted and ignored.

    Shape: as :class:`TransformerEncoderLayer`.

    Example::

        >>> enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 4), num_layers=2)
        >>> enc(chainrule.randn(10, 2, 16)).shape
        chainrule.Size([10, 2, 16])
    """

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src: Tensor, mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                is_causal: bool | None = None) -> Tensor:
        """Pass ``src`` through every layer with the same masks; ``is_causal=None`` detects a causal ``mask``."""
        causal = _is_causal_mask(mask, is_causal)
        out = src
        for layer in self.layers:
            out = layer(out, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=causal)
        return self.norm(out) if self.norm is not None else out


class TransformerDecoder(Module):
    r"""A stack of ``num_layers`` copies of ``decoder_layer`` (named ``layers.0.self_attn...``, as PyTorch), each
    attending to the same ``memory``, followed by an optional final ``norm``.

    Shape: as :class:`TransformerDecoderLayer`.

    Example::

        >>> dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(16, 4), num_layers=2)
        >>> dec(chainrule.randn(7, 2, 16), chainrule.randn(10, 2, 16)).shape
        chainrule.Size([7, 2, 16])
    """

    def __init__(self, decoder_layer: TransformerDecoderLayer, num_layers: int, norm: Module | None = None) -> None:
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        """Pass ``tgt`` through every layer; ``tgt_is_causal=None`` detects a causal ``tgt_mask``."""
        causal = _is_causal_mask(tgt_mask, tgt_is_causal)
        out = tgt
        for layer in self.layers:
            out = layer(out, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                        tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                        tgt_is_causal=causal, memory_is_causal=memory_is_causal)
        return self.norm(out) if self.norm is not None else out


class Transformer(Module):
    r"""The encoder-decoder Transformer of "Attention Is All You Need" (Vaswani et al., 2017):
    ``decoder(tgt, encoder(src))``, each stack ending in a layer norm.

    Args:
        d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first, bias: as
            :class:`TransformerEncoderLayer`.
        num_encoder_layers, num_decoder_layers: the depth of each stack.
        custom_encoder, custom_decoder: modules to use instead of the default stacks.

    Shape:
        - src: :math:`(S, N, E)`, tgt: :math:`(T, N, E)` (batch_first: :math:`(N, S, E)`, :math:`(N, T, E)`;
          unbatched without :math:`N`); output as tgt.

    Example::

        >>> model = nn.Transformer(d_model=16, nhead=4, num_encoder_layers=2, num_decoder_layers=2)
        >>> model(chainrule.randn(10, 2, 16), chainrule.randn(7, 2, 16)).shape
        chainrule.Size([7, 2, 16])
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6, num_decoder_layers: int = 6,
                 dim_feedforward: int = 2048, dropout: float = 0.1, activation: Activation = relu,
                 custom_encoder: Module | None = None, custom_decoder: Module | None = None,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        kw = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                  layer_norm_eps=layer_norm_eps, batch_first=batch_first, norm_first=norm_first, bias=bias,
                  device=device, dtype=dtype)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(TransformerEncoderLayer(d_model, nhead, **kw), num_encoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(TransformerDecoderLayer(d_model, nhead, **kw), num_decoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def _reset_parameters(self) -> None:
        """As PyTorch: Xavier-uniform for every parameter with more than one dimension."""
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Tensor | None = None, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None, memory_key_padding_mask: Tensor | None = None,
                src_is_causal: bool | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        """Encode ``src`` and decode ``tgt`` against it; masks as the encoder's and decoder's."""
        batched = src.dim() == 3
        bax = 0 if self.batch_first else 1
        if batched and (tgt.dim() != 3 or src.shape[bax] != tgt.shape[bax]):
            raise RuntimeError(f"Transformer: the batch number of src and tgt must be equal, got src "
                               f"{tuple(src.shape)} and tgt {tuple(tgt.shape)} (batch_first={self.batch_first})")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError(f"Transformer: the feature number of src and tgt must be equal to d_model "
                               f"({self.d_model}), got src {tuple(src.shape)} and tgt {tuple(tgt.shape)}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Tensor:
        r"""The causal mask for a sequence of ``sz``: a float :math:`(sz, sz)` matrix with ``-inf`` above the
        diagonal (position :math:`i` may attend to :math:`j \le i`) and 0 elsewhere."""
        dt = dtypes.get_default_dtype().np if dtype is None else dtypes.to_numpy_dtype(dtype)
        m = np.triu(np.full((sz, sz), -np.inf, dtype=dt), 1)
        return Tensor._make(m, None, False)

