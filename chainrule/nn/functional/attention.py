"""Attention, as ``torch.nn.functional.scaled_dot_product_attention`` and ``multi_head_attention_forward``.

Two mask conventions meet here, both PyTorch's: in ``scaled_dot_product_attention`` a boolean mask says which
positions *take part* (True = attend), in multi-head attention a boolean mask says which are *masked out*
(True = not allowed). Float masks are added to the scores in both.
"""

from __future__ import annotations

import math

import numpy as np

from ...ops import attention as A
from ...random import np_generator
from ...tensor import Tensor
from ...tensor.functions import cat, pad
from .dropout import _check_p, dropout
from .linear import linear

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward", "MHAShapeError"]


class MHAShapeError(ValueError, AssertionError):
    """A bad shape given to multi-head attention.

    NOTE: PyTorch raises ``AssertionError`` for these (its checks are ``assert`` statements); chainrule raises an
    error that is both a ``ValueError`` (the project's rule for bad input) and an ``AssertionError`` (so code written
    against PyTorch that catches it keeps working), and is never stripped by ``python -O``.
    """


def _dropout_keep(shape: tuple[int, ...], p: float, dtype: np.dtype) -> np.ndarray:
    """A dropout mask of ``shape``: 0 with probability ``p``, else ``1 / (1 - p)`` (inverted dropout)."""
    if p >= 1.0:
        return np.zeros(shape, dtype=dtype)
    keep = (np_generator(None).random(shape, dtype=np.float32) >= p).astype(dtype)
    keep *= 1.0 / (1.0 - p)
    return keep


def _attend(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | np.ndarray | None, dropout_p: float,
            scale: float) -> Tensor:
    """The fused primitive on checked operands, with the dropout mask drawn for the broadcast score shape."""
    keep = None
    if dropout_p > 0.0:
        shape = np.broadcast_shapes(q.shape[:-1] + (k.shape[-2],), k.shape[:-2] + (1, 1))
        if mask is not None:
            shape = np.broadcast_shapes(shape, tuple(mask.shape))
        keep = _dropout_keep(shape, dropout_p, q._data.dtype)
    return A.ScaledDotProductAttention.apply(q, k, v, mask, scale=scale, keep=keep)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    r"""Attention of every query over the keys, weighting the values (Vaswani et al., 2017):

    .. math:: \text{Attention}(Q, K, V) = \text{softmax}\left(Q K^T \cdot \text{scale} + M\right) V,
        \quad \text{scale} = 1 / \sqrt{E} \text{ by default}

    One fused graph node. The softmax is shifted by its row maximum (no overflow), and a row that every mask
    entry excludes gives zeros, as PyTorch.

    Args:
        query, key, value: :math:`Q, K, V`.
        attn_mask: a boolean mask (True = the position *takes part*) or a float mask added to the scores
            (of the query's dtype; it may require grad); broadcastable to :math:`(*, L, S)`.
        dropout_p: the probability of dropping an attention weight (applied whenever it is > 0, as PyTorch).
        is_causal: attend only to keys at or before each query's position (the top-left aligned lower triangle);
            cannot be combined with ``attn_mask``.
        scale: the factor on :math:`Q K^T` (default :math:`1 / \sqrt{E}`).
        enable_gqa: grouped-query attention is not supported (must be False).

    Shape:
        - query: :math:`(*, L, E)`, key: :math:`(*, S, E)`, value: :math:`(*, S, E_v)`; the batch axes :math:`*`
          broadcast.
        - output: :math:`(*, L, E_v)`.

    Example::

        >>> q, k, v = chainrule.randn(2, 4, 5, 8), chainrule.randn(2, 4, 6, 8), chainrule.randn(2, 4, 6, 3)
        >>> F.scaled_dot_product_attention(q, k, v).shape
        chainrule.Size([2, 4, 5, 3])
    """
    name = "scaled_dot_product_attention"
    if enable_gqa:
        raise NotImplementedError(f"{name}: enable_gqa=True (grouped-query attention) is not supported")
    for arg, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: expected {arg} to be a Tensor, got {type(t).__name__}")
        if t.dim() < 2:
            raise RuntimeError(f"{name}: expected {arg} of shape (*, L, E) with at least 2 dimensions, got "
                               f"{tuple(t.shape)}")
    qs, ks, vs = tuple(query.shape), tuple(key.shape), tuple(value.shape)
    if ks[-1] != qs[-1] or vs[-2] != ks[-2]:
        raise RuntimeError(f"{name}: expected query (*, L, E), key (*, S, E) and value (*, S, Ev), got query {qs}, "
                           f"key {ks} and value {vs}")
    if not (query.dtype == key.dtype == value.dtype) or not query.is_floating_point():
        raise RuntimeError(f"{name}: expected query, key and value of the same floating dtype, got {query.dtype}, "
                           f"{key.dtype} and {value.dtype}")
    try:
        batch = np.broadcast_shapes(qs[:-2], ks[:-2], vs[:-2])
    except ValueError:
        raise RuntimeError(f"{name}: the batch dimensions of query {qs}, key {ks} and value {vs} do not "
                           "broadcast") from None
    _check_p(dropout_p)
    L, S = qs[-2], ks[-2]
    dt = query._data.dtype
    mask: Tensor | np.ndarray | None = None
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError(f"{name}: explicit attn_mask should not be set when is_causal=True")
        mask = np.triu(np.full((L, S), -np.inf, dtype=dt), 1)
    elif attn_mask is not None:
        if not isinstance(attn_mask, Tensor):
            raise TypeError(f"{name}: expected attn_mask to be a Tensor, got {type(attn_mask).__name__}")
        ms = tuple(attn_mask.shape)
        try:
            np.broadcast_shapes(ms, batch + (L, S))
        except ValueError:
            raise RuntimeError(f"{name}: attn_mask of shape {ms} does not broadcast to the attention scores of shape "
                               f"{batch + (L, S)}") from None
        if attn_mask.dtype.name == "bool":
            mask = np.where(attn_mask._data, dt.type(0), dt.type(-np.inf))
        elif attn_mask._data.dtype == dt:
            mask = attn_mask
        else:
            raise RuntimeError(f"{name}: expected attn_mask of dtype bool or {query.dtype} (the query's), got "
                               f"{attn_mask.dtype}")
    scale = 1.0 / math.sqrt(qs[-1]) if scale is None else float(scale)
    return _attend(query, key, value, mask, dropout_p, scale)


# ----------------------------------------------------------------- multi-head attention
def _canonical_mask(mask: Tensor | None, what: str, dt: np.dtype) -> Tensor | np.ndarray | None:
    """MHA's masks as additive float masks: a boolean True (masked out) becomes ``-inf``, a float mask is kept."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        raise TypeError(f"multi_head_attention: expected {what} to be a Tensor, got {type(mask).__name__}")
    if mask.dtype.name == "bool":
        return np.where(mask._data, dt.type(-np.inf), dt.type(0))
    if mask._data.dtype != dt:
        raise MHAShapeError(f"multi_head_attention: only bool and floating types of {what} are supported, and a "
                            f"float {what} must have the query's dtype {dt.name}; got {mask.dtype}")
    return mask


def _pad_keys(mask: Tensor | np.ndarray, extra: int) -> Tensor | np.ndarray:
    """An additive mask with ``extra`` more key columns of 0 (allowed): the ``bias_k`` and zero-attention keys."""
    if not extra:
        return mask
    if isinstance(mask, Tensor):
        return pad(mask, (0, extra))
    return np.pad(mask, [(0, 0)] * (mask.ndim - 1) + [(0, extra)])


def _merge_masks(attn_mask: Tensor | None, key_padding_mask: Tensor | None, n: int, h: int, tgt_len: int, src_len: int,
                 dt: np.dtype, extra: int = 0) -> Tensor | np.ndarray | None:
    """One additive mask broadcastable to the scores ``(N, H, L, S + extra)``, from MHA's ``attn_mask`` and
    ``key_padding_mask`` (both already checked to be 2-D/3-D and ``(N, S)``); the ``extra`` keys appended after the
    ``S`` given ones (``bias_k``, zero attention) are never masked, as PyTorch pads both masks with zeros/False."""
    L, S = tgt_len, src_len  # noqa: N806 - the papers' names
    am = _canonical_mask(attn_mask, "attn_mask", dt)
    kpm = _canonical_mask(key_padding_mask, "key_padding_mask", dt)
    if am is not None:
        ms = tuple(am.shape)
        if len(ms) == 2 and ms != (L, S):
            raise RuntimeError(f"multi_head_attention: the shape of the 2D attn_mask is {ms}, but should be {(L, S)}")
        if len(ms) == 3:
            if ms != (n * h, L, S):
                raise RuntimeError(f"multi_head_attention: the shape of the 3D attn_mask is {ms}, but should be "
                                   f"{(n * h, L, S)} (batch * num_heads, L, S)")
            am = am.reshape((n, h, L, S))
        elif len(ms) != 2:
            raise RuntimeError(f"multi_head_attention: attn_mask's dimension {len(ms)} is not supported (expected a "
                               f"2D (L, S) or 3D (N * num_heads, L, S) mask), got shape {ms}")
    am, S = (_pad_keys(am, extra) if am is not None else None), S + extra
    if kpm is not None:
        kpm = _pad_keys(kpm, extra).reshape((n, 1, 1, S))
        if am is None:
            return kpm
        if isinstance(am, Tensor) or isinstance(kpm, Tensor):
            return (am if isinstance(am, Tensor) else Tensor._make(am, None, False)) + kpm
        return am + kpm
    return am


def _split_heads(x: Tensor, h: int, batch_first: bool) -> Tensor:
    """(N, L, E) or (L, N, E) -> (N, H, L, E / H)."""
    a, b, e = x.shape
    x = x.reshape(a, b, h, e // h)
    return x.permute(0, 2, 1, 3) if batch_first else x.permute(1, 2, 0, 3)


def _extra_keys(k: Tensor, v: Tensor, bias_k: Tensor | None, bias_v: Tensor | None, add_zero_attn: bool,
                e: int) -> tuple[Tensor, Tensor, int]:
    """Append PyTorch's extra key/value positions to the heads ``(N, H, S, E / H)``: first the learned ``bias_k`` /
    ``bias_v`` (``add_bias_kv``; each :math:`E` vector split across the heads as the projections are), then a zero
    key and value (``add_zero_attn``). Returns the new ``k``, ``v`` and how many positions were added."""
    n, h, _, d = k.shape
    extra = 0
    if bias_k is not None and bias_v is not None:
        for what, b in (("bias_k", bias_k), ("bias_v", bias_v)):
            if b.numel() != e:
                raise MHAShapeError(f"multi_head_attention: expected {what} of shape (1, 1, {e}), got "
                                    f"{tuple(b.shape)}")
        k = cat([k, bias_k.reshape(1, h, 1, d).expand(n, h, 1, d)], dim=2)
        v = cat([v, bias_v.reshape(1, h, 1, d).expand(n, h, 1, d)], dim=2)
        extra += 1
    if add_zero_attn:
        zeros = Tensor._make(np.zeros((n, h, 1, d), dtype=k._data.dtype), None, False)
        k, v = cat([k, zeros], dim=2), cat([v, zeros], dim=2)
        extra += 1
    return k, v, extra


def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
                                 in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
                                 bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float,
                                 out_proj_weight: Tensor, out_proj_bias: Tensor | None, training: bool = True,
                                 key_padding_mask: Tensor | None = None, need_weights: bool = True,
                                 attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
                                 q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
                                 v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
                                 static_v: Tensor | None = None, average_attn_weights: bool = True,
                                 is_causal: bool = False, batch_first: bool = False) -> tuple[Tensor, Tensor | None]:
    r"""Multi-head attention (Vaswani et al., 2017), as PyTorch's functional form (sequence-first by default):

    .. math:: \text{MultiHead}(Q, K, V) = \text{Concat}(\text{head}_1, \dots, \text{head}_h) W^O, \quad
        \text{head}_i = \text{softmax}\left(\frac{Q W_i^Q (K W_i^K)^T}{\sqrt{d_k}} + M\right) V W_i^V

    Masks follow ``nn.MultiheadAttention``: a boolean True means *not allowed* (``-inf``), a float mask is added.

    Args:
        query, key, value: the inputs; ``key`` and ``value`` have the same length :math:`S`.
        embed_dim_to_check: :math:`E`, which the query's last dimension must equal.
        num_heads: :math:`h`.
        in_proj_weight, in_proj_bias: the packed :math:`(3E, E)` projection and its :math:`(3E)` bias.
        bias_k, bias_v: :math:`(1, 1, E)` learned key and value appended as one more source position
            (``add_bias_kv``); both or neither.
        add_zero_attn: append one more source position whose key and value are zeros (after ``bias_k``).
        static_k, static_v: not supported (must be None).
        dropout_p: dropout on the attention weights (only when ``training``).
        out_proj_weight, out_proj_bias: :math:`W^O` :math:`(E, E)` and its bias.
        key_padding_mask: :math:`(N, S)` (or :math:`(S)` unbatched): keys to ignore.
        need_weights: also return the attention weights (computed unfused then).
        attn_mask: :math:`(L, S)` or :math:`(N \cdot h, L, S)`.
        use_separate_proj_weight: use ``q/k/v_proj_weight`` (when key/value sizes differ from :math:`E`).
        average_attn_weights: average the returned weights over the heads.
        is_causal: a hint that ``attn_mask`` is the causal mask (which must then be given).
        batch_first: chainrule's addition: inputs are :math:`(N, L, E)` instead of :math:`(L, N, E)`.

    Shape:
        - query: :math:`(L, N, E)` (or :math:`(L, E)` unbatched), key/value: :math:`(S, N, E_{k/v})`.
        - output: :math:`(L, N, E)`; weights :math:`(N, L, S')` averaged, else :math:`(N, h, L, S')`, where
          :math:`S' = S` plus one for ``bias_k`` and one for ``add_zero_attn``.
    """
    name = "multi_head_attention"
    if static_k is not None or static_v is not None:
        raise NotImplementedError(f"{name}: static_k/static_v are not supported by chainrule")
    if (bias_k is None) != (bias_v is None):
        raise MHAShapeError(f"{name}: bias_k and bias_v must be given together, got bias_k "
                            f"{'None' if bias_k is None else tuple(bias_k.shape)} and bias_v "
                            f"{'None' if bias_v is None else tuple(bias_v.shape)}")
    qs, ks, vs = tuple(query.shape), tuple(key.shape), tuple(value.shape)
    batched = len(qs) == 3
    if len(qs) not in (2, 3) or len(ks) != len(qs) or len(vs) != len(qs):
        raise MHAShapeError(f"{name}: expected query, key and value all 3-D (batched) or all 2-D (unbatched), got "
                            f"query {qs}, key {ks} and value {vs}")
    if key_padding_mask is not None and key_padding_mask.dim() != len(qs) - 1:
        raise MHAShapeError(f"{name}: expected key_padding_mask of {len(qs) - 1} dimensions for {len(qs)}-D query, "
                            f"got shape {tuple(key_padding_mask.shape)}")
    if not batched:  # one sample: a batch of one, in batch-first layout
        q1 = query.unsqueeze(0)
        k1 = q1 if key is query else key.unsqueeze(0)
        value = k1 if value is key else q1 if value is query else value.unsqueeze(0)
        query, key = q1, k1  # self-attention stays recognisable (one fused projection)
        key_padding_mask = key_padding_mask.unsqueeze(0) if key_padding_mask is not None else None
        batch_first = True
    bax, sax = (0, 1) if batch_first else (1, 0)
    n, L, e = query.shape[bax], query.shape[sax], query.shape[2]
    S = key.shape[sax]
    if e != embed_dim_to_check:
        raise MHAShapeError(f"{name}: was expecting embedding dimension of {embed_dim_to_check}, but got query of "
                            f"shape {qs}")
    if not use_separate_proj_weight and ks != vs:
        raise MHAShapeError(f"{name}: key shape {ks} does not match value shape {vs}")
    if key.shape[:2] != value.shape[:2] or key.shape[bax] != n:
        raise MHAShapeError(f"{name}: key {ks} and value {vs} must have the same batch and length, and the batch of "
                            f"query {qs}")
    if key_padding_mask is not None and tuple(key_padding_mask.shape) != (n, S):
        raise MHAShapeError(f"{name}: expected key_padding_mask of shape {(n, S) if batched else (S,)} (batch, "
                            f"source length), got {tuple(key_padding_mask.shape)}")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    h = num_heads
    bq = bk = bv = None
    if in_proj_bias is not None:
        bq, bk, bv = in_proj_bias[:e], in_proj_bias[e:2 * e], in_proj_bias[2 * e:]
    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise ValueError(f"{name}: in_proj_weight is required unless use_separate_proj_weight=True")
        if query is key and key is value:  # self-attention: one GEMM for the three projections
            a, b = query.shape[:2]
            qkv = linear(query, in_proj_weight, in_proj_bias).reshape(a, b, 3, h, e // h)
            qkv = qkv.permute(2, 0, 3, 1, 4) if batch_first else qkv.permute(2, 1, 3, 0, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
        else:
            q = _split_heads(linear(query, in_proj_weight[:e], bq), h, batch_first)
            k = _split_heads(linear(key, in_proj_weight[e:2 * e], bk), h, batch_first)
            v = _split_heads(linear(value, in_proj_weight[2 * e:], bv), h, batch_first)
    else:
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise ValueError(f"{name}: use_separate_proj_weight=True needs q_proj_weight, k_proj_weight and "
                             "v_proj_weight")
        for w, t, what in ((k_proj_weight, key, "key"), (v_proj_weight, value, "value")):
            if t.shape[-1] != w.shape[1]:
                raise MHAShapeError(f"{name}: expected {what} with last dimension {w.shape[1]}, got shape "
                                    f"{tuple(t.shape)}")
        q = _split_heads(linear(query, q_proj_weight, bq), h, batch_first)
        k = _split_heads(linear(key, k_proj_weight, bk), h, batch_first)
        v = _split_heads(linear(value, v_proj_weight, bv), h, batch_first)
    k, v, extra = _extra_keys(k, v, bias_k, bias_v, add_zero_attn, e)
    mask = _merge_masks(attn_mask, key_padding_mask, n, h, L, S, query._data.dtype, extra)
    p = dropout_p if training else 0.0
    scale = 1.0 / math.sqrt(e // h)
    weights = None
    if need_weights:
        # the weights are an output here, so the attention is composed (each step differentiable) instead of fused
        s = (q @ k.transpose(-2, -1)) * scale
        if mask is not None:
            s = s + mask
        weights = s.softmax(-1)
        if p > 0.0:
            weights = dropout(weights, p)
        out = weights @ v
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            weights = weights.squeeze(0)
    else:
        out = _attend(q, k, v, mask, p, scale)
    out = out.permute(0, 2, 1, 3) if batch_first else out.permute(2, 0, 1, 3)
    out = linear(out.reshape(out.shape[0], out.shape[1], e), out_proj_weight, out_proj_bias)
    return (out if batched else out.squeeze(0)), weights
