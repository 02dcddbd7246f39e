"""Language models over token ids: a recurrent char LM, a decoder-only GPT and an encoder-only BERT with its
masked-language-model objective.

>>> from chainrule import models
>>> gpt = models.create_model("gpt_nano", vocab_size=65, block_size=32)
>>> out = gpt.generate(chainrule.zeros((1, 1), dtype=chainrule.int64), max_new_tokens=20, top_k=10)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import nn
from .. import random as _random
from ..autograd import no_grad
from ..tensor import Tensor
from ..tensor.creation import from_numpy
from ._registry import register_model

__all__ = ["CharRNN", "GPT", "BERT", "mask_tokens", "sample_next_token", "char_rnn", "gpt_nano", "bert_tiny"]

GeneratorLike = Any  # a chainrule.Generator, a numpy Generator, or None for chainrule's default generator


def _rng(generator: GeneratorLike) -> np.random.Generator:
    if generator is None:
        return _random.default_generator.np
    if isinstance(generator, _random.Generator):
        return generator.np
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"expected a chainrule.Generator, a numpy Generator or None, got {type(generator).__name__}")


def _ids(idx: Any, where: str, vocab_size: int) -> np.ndarray:
    """The raw int64 (N, T) array of a batch of token ids, validated."""
    arr = np.asarray(idx._data if isinstance(idx, Tensor) else idx)
    if arr.ndim != 2 or arr.dtype.kind not in "iu":
        raise ValueError(f"{where}: expected integer token ids of shape (N, T), got an array of shape {arr.shape} "
                         f"and dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= vocab_size):
        raise ValueError(f"{where}: token ids must be in [0, {vocab_size - 1}], got [{arr.min()}, {arr.max()}]")
    return arr.astype(np.int64, copy=False)


def sample_next_token(logits: Any, temperature: float = 1.0, top_k: int | None = None,
                      generator: GeneratorLike = None) -> np.ndarray:
    r"""Draw one token per row from :math:`\text{softmax}(z / \tau)`, restricted to the ``top_k`` largest logits.

    ``temperature=0`` is the limit :math:`\tau \to 0`: the argmax (greedy decoding).

    Args:
        logits: :math:`(N, V)` scores (a Tensor or an array).
        temperature: :math:`\tau \ge 0`; below 1 sharpens the distribution, above 1 flattens it.
        top_k: keep only the ``top_k`` most likely tokens (ties at the k-th value are kept); None keeps all.
        generator: the random stream (chainrule's default generator when None).

    Shape: returns :math:`(N,)` int64 token ids.
    """
    z = np.asarray(logits._data if isinstance(logits, Tensor) else logits, dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(f"sample_next_token: expected logits of shape (N, V), got {z.shape}")
    if temperature < 0 or not math.isfinite(temperature):
        raise ValueError(f"sample_next_token: temperature must be a finite number >= 0, got {temperature}")
    if top_k is not None and not 1 <= top_k:
        raise ValueError(f"sample_next_token: top_k must be a positive integer or None, got {top_k}")
    if temperature == 0:
        return z.argmax(axis=-1).astype(np.int64)
    z = z / temperature
    if top_k is not None and top_k < z.shape[-1]:
        kth = np.partition(z, -top_k, axis=-1)[:, -top_k, None]
        z = np.where(z < kth, -np.inf, z)
    # NOTE: shifted by the row max before exp so that a small temperature cannot overflow
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    cdf = np.cumsum(p, axis=-1)
    u = _rng(generator).random((z.shape[0], 1)) * cdf[:, -1:]
    # inverse-CDF sampling, vectorised over the rows; the min guards against u landing exactly on the total
    return np.minimum((cdf <= u).sum(axis=-1), z.shape[-1] - 1).astype(np.int64)


class _Generator(nn.Module):
    """Autoregressive sampling shared by the causal language models: ``_next_logits`` gives the last position's
    logits for a context (and may carry a state between steps)."""

    vocab_size: int

    def _next_logits(self, idx: np.ndarray, state: Any) -> tuple[Tensor, Any]:
        raise NotImplementedError

    def generate(self, idx: Any, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
                 generator: GeneratorLike = None) -> Tensor:
        """Extend each row of ``idx`` by ``max_new_tokens`` sampled tokens (see :func:`sample_next_token`).

        Runs in eval mode without gradients and restores the previous mode.

        Shape: ``idx`` :math:`(N, T)` int64 → :math:`(N, T + \\text{max\\_new\\_tokens})` int64.
        """
        ids = _ids(idx, f"{self._get_name()}.generate", self.vocab_size)
        if ids.shape[1] == 0:
            raise ValueError(f"{self._get_name()}.generate: expected at least one context token, got shape "
                             f"{ids.shape}")
        if max_new_tokens < 0:
            raise ValueError(f"{self._get_name()}.generate: max_new_tokens must be >= 0, got {max_new_tokens}")
        was_training = self.training
        self.eval()
        out, state, new = ids, None, ids
        try:
            with no_grad():
                for _ in range(max_new_tokens):
                    logits, state = self._next_logits(new if state is not None else out, state)
                    nxt = sample_next_token(logits, temperature, top_k, generator)[:, None]
                    out = np.concatenate([out, nxt], axis=1)
                    new = nxt
        finally:
            self.train(was_training)
        return from_numpy(out)


class CharRNN(_Generator):
    r"""A many-to-many recurrent language model: embedding, an LSTM/GRU/RNN, and a linear layer to logits at
    every step, :math:`p(x_{t+1} \mid x_{\le t}) = \text{softmax}(W h_t + b)`.

    Args:
        vocab_size: the number of tokens :math:`V`.
        embed_dim: the embedding width.
        hidden_size: the recurrent state width.
        num_layers: stacked recurrent layers.
        cell: ``'lstm'``, ``'gru'`` or ``'rnn'``.
        dropout: dropout between recurrent layers.

    Shape: ``idx`` :math:`(N, T)` int64 → logits :math:`(N, T, V)`.
    """

    def __init__(self, vocab_size: int, embed_dim: int = 32, hidden_size: int = 128, num_layers: int = 1,
                 cell: str = "lstm", dropout: float = 0.0) -> None:
        super().__init__()
        cells = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
        if cell not in cells:
            raise ValueError(f"CharRNN: cell must be one of {', '.join(cells)}, got {cell!r}")
        self.vocab_size, self.cell = vocab_size, cell
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.rnn = cells[cell](embed_dim, hidden_size, num_layers, batch_first=True, dropout=dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def step(self, idx: Tensor, hx: Any = None) -> tuple[Tensor, Any]:
        """Logits of every step and the final recurrent state (to continue from)."""
        out, hx = self.rnn(self.embedding(idx), hx)
        return self.head(out), hx

    def forward(self, idx: Tensor) -> Tensor:
        _ids(idx, "CharRNN", self.vocab_size)
        return self.step(idx)[0]

    def _next_logits(self, idx: np.ndarray, state: Any) -> tuple[Tensor, Any]:
        logits, hx = self.step(from_numpy(idx), state)  # the state carries the context: only new tokens are fed
        return logits[:, -1], hx


def _init_normal(model: nn.Module, std: float, residual_std: float) -> None:
    """GPT/BERT initialisation: weights from N(0, std), biases zero, layer norms (1, 0); the projections that write
    into the residual stream (``out_proj``, ``linear2``) from N(0, residual_std)."""
    for name, p in model.named_parameters():
        if p.dim() == 1:
            if "norm" not in name:
                nn.init.zeros_(p)
        elif name.endswith(("out_proj.weight", "linear2.weight")):
            nn.init.normal_(p, 0.0, residual_std)
        else:
            nn.init.normal_(p, 0.0, std)


class _Embeddings(nn.Module):
    """Token plus learned position embeddings, with a layer norm (BERT) or without (GPT), then dropout."""

    def __init__(self, vocab_size: int, block_size: int, d_model: int, dropout: float, norm: bool) -> None:
        super().__init__()
        self.tok = nn.Embedding(vocab_size, d_model)
        self.pos = nn.LearnedPositionalEmbedding(block_size, d_model, batch_first=True)
        self.norm = nn.LayerNorm(d_model) if norm else None
        self.drop = nn.Dropout(dropout)

    def forward(self, idx: Tensor) -> Tensor:
        x = self.pos(self.tok(idx))
        return self.drop(self.norm(x) if self.norm is not None else x)


class _Encoder(nn.Module):
    """The shared body: embeddings and a stack of Transformer encoder layers (GELU, batch first)."""

    def __init__(self, vocab_size: int, block_size: int, n_layer: int, n_head: int, n_embd: int, dropout: float,
                 norm_first: bool) -> None:
        super().__init__()
        if min(vocab_size, block_size, n_layer, n_head, n_embd) < 1 or n_embd % n_head:
            raise ValueError(f"{self._get_name()}: sizes must be positive and n_embd divisible by n_head, got "
                             f"vocab_size={vocab_size}, block_size={block_size}, n_layer={n_layer}, "
                             f"n_head={n_head}, n_embd={n_embd}")
        self.vocab_size, self.block_size, self.n_embd = vocab_size, block_size, n_embd
        self.embeddings = _Embeddings(vocab_size, block_size, n_embd, dropout, norm=not norm_first)
        layer = nn.TransformerEncoderLayer(n_embd, n_head, 4 * n_embd, dropout, activation="gelu",
                                           batch_first=True, norm_first=norm_first)
        self.encoder = nn.TransformerEncoder(layer, n_layer, norm=nn.LayerNorm(n_embd) if norm_first else None)

    def _check(self, idx: Any) -> np.ndarray:
        ids = _ids(idx, self._get_name(), self.vocab_size)
        if ids.shape[1] > self.block_size:
            raise ValueError(f"{self._get_name()}: sequence length {ids.shape[1]} exceeds block_size "
                             f"{self.block_size} (input of shape {ids.shape})")
        return ids


class GPT(_Encoder, _Generator):
    r"""A decoder-only Transformer (GPT-2's layout): token + learned position embeddings, pre-norm blocks of causal
    self-attention and a GELU MLP, a final layer norm, and an LM head whose weight is the token embedding (tied).

    .. math:: h_0 = E[x] + P, \quad h_l = h_{l-1} + \text{MLP}(\text{LN}(h'_{l})), \;
        h'_l = h_{l-1} + \text{CausalSA}(\text{LN}(h_{l-1})), \quad \text{logits} = \text{LN}(h_L) E^T

    Args:
        vocab_size: :math:`V`.
        block_size: the longest context :math:`T_{max}`.
        n_layer, n_head, n_embd: depth, heads and width :math:`d` (the MLP is :math:`4d` wide).
        dropout: on the embeddings, attention weights and residual branches.

    Shape: ``idx`` :math:`(N, T)` int64, :math:`T \le T_{max}` → logits :math:`(N, T, V)`.
    """

    def __init__(self, vocab_size: int, block_size: int, n_layer: int = 3, n_head: int = 3, n_embd: int = 48,
                 dropout: float = 0.0) -> None:
        super().__init__(vocab_size, block_size, n_layer, n_head, n_embd, dropout, norm_first=True)
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        _init_normal(self, 0.02, 0.02 / math.sqrt(2 * n_layer))
        self.lm_head.weight = self.embeddings.tok.weight  # tied: one Parameter, its gradient summed from both uses
        self._masks: dict[int, Tensor] = {}

    def _causal_mask(self, t: int) -> Tensor:
        if t not in self._masks:  # boolean, True above the diagonal = position j > i is hidden from position i
            self._masks[t] = from_numpy(np.triu(np.ones((t, t), dtype=bool), 1))
        return self._masks[t]

    def forward(self, idx: Tensor) -> Tensor:
        self._check(idx)
        return self.forward_embedded(self.embeddings(idx))

    def forward_embedded(self, x: Tensor) -> Tensor:
        """The logits from already embedded inputs :math:`(N, T, d)` (token + position embeddings): the causal
        blocks, the final norm and the tied head (differentiable with respect to ``x``, unlike the token ids)."""
        h = self.encoder(x, mask=self._causal_mask(x.shape[1]), is_causal=True)
        return self.lm_head(h)

    def _next_logits(self, idx: np.ndarray, state: Any) -> tuple[Tensor, Any]:
        return self(from_numpy(idx[:, -self.block_size:]))[:, -1], None  # the context is cropped to block_size


class BERT(_Encoder):
    r"""An encoder-only Transformer with a masked-language-model head (BERT): token + learned position embeddings
    with a layer norm, post-norm bidirectional self-attention blocks, then :math:`\text{logits} =
    \text{LN}(\text{GELU}(W h + b)) E^T + b_{dec}` with the decoder weight tied to the token embedding.

    Args:
        vocab_size: :math:`V`, including the special tokens (``[MASK]``, padding).
        block_size: the longest sequence.
        n_layer, n_head, n_embd: depth, heads and width :math:`d` (the MLP is :math:`4d` wide).
        dropout: on the embeddings, attention weights and residual branches.

    Shape: ``idx`` :math:`(N, T)` int64 (and ``key_padding_mask`` :math:`(N, T)` bool, True = padding) → logits
    :math:`(N, T, V)`.
    """

    def __init__(self, vocab_size: int, block_size: int, n_layer: int = 2, n_head: int = 2, n_embd: int = 128,
                 dropout: float = 0.1) -> None:
        super().__init__(vocab_size, block_size, n_layer, n_head, n_embd, dropout, norm_first=False)
        self.mlm_transform = nn.Linear(n_embd, n_embd)
        self.mlm_act = nn.GELU()
        self.mlm_norm = nn.LayerNorm(n_embd)
        self.mlm_decoder = nn.Linear(n_embd, vocab_size)
        _init_normal(self, 0.02, 0.02)
        self.mlm_decoder.weight = self.embeddings.tok.weight  # tied to the input embedding

    def forward(self, idx: Tensor, key_padding_mask: Tensor | None = None) -> Tensor:
        self._check(idx)
        h = self.encoder(self.embeddings(idx), src_key_padding_mask=key_padding_mask)
        return self.mlm_decoder(self.mlm_norm(self.mlm_act(self.mlm_transform(h))))


def mask_tokens(ids: Any, mask_prob: float = 0.15, *, mask_token_id: int, vocab_size: int,
                special_token_ids: Any = (), ignore_index: int = -100,
                generator: GeneratorLike = None) -> tuple[Tensor, Tensor]:
    """BERT's masking: each non-special position is chosen with probability ``mask_prob``; a chosen token becomes
    ``mask_token_id`` 80% of the time, a uniform random token in ``[0, vocab_size)`` 10%, and stays itself 10%.

    Args:
        ids: token ids, any shape (a Tensor or an array).
        mask_prob: the share of positions to predict.
        mask_token_id: the id of ``[MASK]``.
        vocab_size: random replacements are drawn from ``[0, vocab_size)`` (pass the count of ordinary tokens to
            keep special tokens out).
        special_token_ids: ids never chosen (padding, ``[CLS]``, ...).
        ignore_index: the label of positions not chosen (``cross_entropy``'s default -100).
        generator: the random stream (chainrule's default generator when None).

    Returns:
        ``(inputs, labels)``, int64 tensors of the shape of ``ids``: the corrupted inputs, and the original token
        at chosen positions, ``ignore_index`` elsewhere.
    """
    arr = np.asarray(ids._data if isinstance(ids, Tensor) else ids)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"mask_tokens: expected integer token ids, got dtype {arr.dtype}")
    if not 0.0 <= mask_prob <= 1.0:
        raise ValueError(f"mask_tokens: mask_prob must be in [0, 1], got {mask_prob}")
    if vocab_size < 1:
        raise ValueError(f"mask_tokens: vocab_size must be positive, got {vocab_size}")
    arr = arr.astype(np.int64)
    rng = _rng(generator)
    chosen = (rng.random(arr.shape) < mask_prob) & ~np.isin(arr, np.asarray(special_token_ids, dtype=np.int64))
    labels = np.where(chosen, arr, np.int64(ignore_index))
    r = rng.random(arr.shape)
    inputs = np.where(chosen & (r < 0.8), np.int64(mask_token_id), arr)
    randomised = chosen & (r >= 0.8) & (r < 0.9)
    inputs = np.where(randomised, rng.integers(0, vocab_size, size=arr.shape), inputs)
    return from_numpy(inputs), from_numpy(labels)


@register_model
def char_rnn(vocab_size: int = 128, embed_dim: int = 32, hidden_size: int = 128, num_layers: int = 1,
             cell: str = "lstm", dropout: float = 0.0) -> CharRNN:
    """A one-layer LSTM character language model (``cell='gru'`` for a GRU)."""
    return CharRNN(vocab_size, embed_dim, hidden_size, num_layers, cell, dropout)


@register_model
def gpt_nano(vocab_size: int = 128, block_size: int = 64, n_layer: int = 3, n_head: int = 3, n_embd: int = 48,
             dropout: float = 0.0) -> GPT:
    """minGPT's 'gpt-nano' size: 3 layers, 3 heads, width 48."""
    return GPT(vocab_size, block_size, n_layer, n_head, n_embd, dropout)


@register_model
def bert_tiny(vocab_size: int = 128, block_size: int = 512, n_layer: int = 2, n_head: int = 2, n_embd: int = 128,
              dropout: float = 0.1) -> BERT:
    """BERT-Tiny's size (Turc et al., 2019): 2 layers, 2 heads, width 128, MLP 512."""
    return BERT(vocab_size, block_size, n_layer, n_head, n_embd, dropout)
