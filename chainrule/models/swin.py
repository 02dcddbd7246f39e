"""Swin Transformer (Liu et al. 2021: self-attention inside shifted local windows, with a learnt relative position
bias, and patch merging between stages), in torchvision's ``swin_t`` layout (v1)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .. import nn
from ..backend import xp
from ..nn import functional as F
from ..tensor import Tensor
from ..tensor.creation import as_tensor, zeros
from ..tensor.functions import cat, pad
from ._registry import register_model
from ._utils import _reductions, check_image_input
from .convnext import Permute, StochasticDepth

__all__ = ["SwinTransformer", "SwinTransformerBlock", "ShiftedWindowAttention", "PatchMerging", "roll", "swin_t"]


def roll(x: Tensor, shifts: Sequence[int], dims: Sequence[int]) -> Tensor:
    """``torch.roll``: shift ``x`` cyclically by ``shifts[i]`` along ``dims[i]`` (element ``j`` moves to
    ``(j + shift) mod n``), as two slices concatenated in swapped order."""
    for shift, dim in zip(shifts, dims):
        n = x.shape[dim]
        r = shift % n if n else 0
        if r:
            x = cat([x.narrow(dim, n - r, r), x.narrow(dim, 0, n - r)], dim=dim)
    return x


def relative_position_index(window_size: Sequence[int]) -> np.ndarray:
    r"""For every pair of tokens ``(i, j)`` in a window, the row of the bias table that holds their relative offset:
    :math:`(\Delta_h + w_h - 1)(2 w_w - 1) + (\Delta_w + w_w - 1)`, flattened to length :math:`(w_h w_w)^2`."""
    wh, ww = window_size
    coords = np.stack(np.meshgrid(np.arange(wh), np.arange(ww), indexing="ij")).reshape(2, -1)  # (2, N)
    rel = (coords[:, :, None] - coords[:, None, :]).transpose(1, 2, 0)  # (N, N, 2): offset of token i from j
    return ((rel[..., 0] + wh - 1) * (2 * ww - 1) + rel[..., 1] + ww - 1).reshape(-1).astype(np.int64)


def shift_attention_mask(padded: Sequence[int], window: Sequence[int], shift: Sequence[int]) -> np.ndarray:
    """The additive mask of shifted windows, ``(num_windows, N, N)``: -100 between tokens that came from different
    regions of the un-shifted map (they only share a window because of the cyclic roll), 0 elsewhere."""
    ph, pw = padded
    region = np.zeros((ph, pw))
    count = 0
    for h in ((0, -window[0]), (-window[0], -shift[0]), (-shift[0], None)):
        for w in ((0, -window[1]), (-window[1], -shift[1]), (-shift[1], None)):
            region[h[0]:h[1], w[0]:w[1]] = count
            count += 1
    region = region.reshape(ph // window[0], window[0], pw // window[1], window[1]).transpose(0, 2, 1, 3)
    region = region.reshape(-1, window[0] * window[1])
    return np.where(region[:, None, :] != region[:, :, None], -100.0, 0.0)


class ShiftedWindowAttention(nn.Module):
    r"""Multi-head self-attention within (shifted) ``window_size`` windows of a channels-last map, with a learnt
    relative position bias :math:`B` (one table row per relative offset, per head):

    .. math:: \mathrm{Attention}(Q, K, V) = \mathrm{softmax}(Q K^T / \sqrt{d} + B + M) V

    where :math:`M` masks token pairs that a cyclic shift brought together. The map is zero-padded on the bottom and
    right to a multiple of the window; a window covering the whole (padded) map is not shifted.

    Args:
        dim: channels. window_size: ``(h, w)``. shift_size: ``(h, w)`` cyclic shift (0 or window // 2).
        num_heads: heads (divide ``dim``). qkv_bias, proj_bias: biases of the projections.
        attention_dropout, dropout: on the attention weights and on the output.

    Shape: input and output ``(N, H, W, dim)``.
    """

    def __init__(self, dim: int, window_size: Sequence[int], shift_size: Sequence[int], num_heads: int,
                 qkv_bias: bool = True, proj_bias: bool = True, attention_dropout: float = 0.0,
                 dropout: float = 0.0) -> None:
        super().__init__()
        if len(window_size) != 2 or len(shift_size) != 2:
            raise ValueError(f"ShiftedWindowAttention: window_size and shift_size must have two elements, got "
                             f"{list(window_size)}, {list(shift_size)}")
        if dim % num_heads:
            raise ValueError(f"ShiftedWindowAttention: dim={dim} is not divisible by num_heads={num_heads}")
        self.window_size, self.shift_size, self.num_heads = list(window_size), list(shift_size), num_heads
        self.attention_dropout, self.dropout = attention_dropout, dropout
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim, bias=proj_bias)
        wh, ww = self.window_size
        self.relative_position_bias_table = nn.Parameter(zeros((2 * wh - 1) * (2 * ww - 1), num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
        self.register_buffer("relative_position_index", as_tensor(xp.asarray(relative_position_index(window_size))))

    def relative_position_bias(self) -> Tensor:
        """The bias :math:`B` gathered from the table: ``(1, heads, N, N)`` for ``N = wh * ww`` tokens."""
        n = self.window_size[0] * self.window_size[1]
        bias = self.relative_position_bias_table[self.relative_position_index.numpy()]
        return bias.reshape(n, n, self.num_heads).permute(2, 0, 1).unsqueeze(0)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[-1] != self.qkv.in_features:
            raise RuntimeError(f"ShiftedWindowAttention: expected input of shape (N, H, W, {self.qkv.in_features}), "
                               f"got {tuple(x.shape)}")
        b, h, w, c = x.shape
        (wh, ww), heads = self.window_size, self.num_heads
        pad_b, pad_r = (wh - h % wh) % wh, (ww - w % ww) % ww
        x = pad(x, (0, 0, 0, pad_r, 0, pad_b))
        ph, pw = h + pad_b, w + pad_r
        # NOTE: a window as large as the (padded) map sees all of it; a shift would only add masked pairs
        shift = [0 if wh >= ph else self.shift_size[0], 0 if ww >= pw else self.shift_size[1]]
        if sum(shift) > 0:
            x = roll(x, (-shift[0], -shift[1]), (1, 2))
        nw, n = (ph // wh) * (pw // ww), wh * ww
        x = x.reshape(b, ph // wh, wh, pw // ww, ww, c).permute(0, 1, 3, 2, 4, 5).reshape(b * nw, n, c)
        qkv = self.qkv(x).reshape(b * nw, n, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q * (c // heads) ** -0.5) @ k.transpose(-2, -1) + self.relative_position_bias()
        if sum(shift) > 0:
            mask = as_tensor(xp.asarray(shift_attention_mask((ph, pw), (wh, ww), shift)), dtype=x.dtype)
            attn = (attn.reshape(b, nw, heads, n, n) + mask.unsqueeze(1).unsqueeze(0)).reshape(-1, heads, n, n)
        attn = F.dropout(F.softmax(attn, dim=-1), self.attention_dropout, self.training)
        x = (attn @ v).transpose(1, 2).reshape(b * nw, n, c)
        x = F.dropout(self.proj(x), self.dropout, self.training)
        x = x.reshape(b, ph // wh, pw // ww, wh, ww, c).permute(0, 1, 3, 2, 4, 5).reshape(b, ph, pw, c)
        if sum(shift) > 0:
            x = roll(x, shift, (1, 2))
        return x[:, :h, :w, :]


class SwinTransformerBlock(nn.Module):
    r"""Pre-norm Transformer block with window attention:
    :math:`x' = x + \mathrm{DropPath}(\mathrm{WA}(\mathrm{LN}(x)))`,
    :math:`y = x' + \mathrm{DropPath}(\mathrm{MLP}(\mathrm{LN}(x')))` with a GELU MLP of ratio ``mlp_ratio``.

    Shape: input and output ``(N, H, W, dim)``.
    """

    def __init__(self, dim: int, num_heads: int, window_size: Sequence[int], shift_size: Sequence[int],
                 mlp_ratio: float = 4.0, dropout: float = 0.0, attention_dropout: float = 0.0,
                 stochastic_depth_prob: float = 0.0) -> None:
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.norm1 = nn.LayerNorm(dim)
        self.attn = ShiftedWindowAttention(dim, window_size, shift_size, num_heads,
                                           attention_dropout=attention_dropout, dropout=dropout)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, dim),
                                 nn.Dropout(dropout))

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.stochastic_depth(self.attn(self.norm1(x)))
        return x + self.stochastic_depth(self.mlp(self.norm2(x)))


class PatchMerging(nn.Module):
    r"""Halve the resolution and double the channels: concatenate each 2x2 neighbourhood's four tokens (odd sizes are
    zero-padded), LayerNorm over the 4C features, then a bias-free Linear 4C -> 2C.

    Shape: input ``(N, H, W, C)``; output ``(N, ceil(H/2), ceil(W/2), 2C)``.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(4 * dim)

    def forward(self, x: Tensor) -> Tensor:
        h, w = x.shape[-3], x.shape[-2]
        x = pad(x, (0, 0, 0, w % 2, 0, h % 2))
        x = cat([x[..., 0::2, 0::2, :], x[..., 1::2, 0::2, :], x[..., 0::2, 1::2, :], x[..., 1::2, 1::2, :]], dim=-1)
        return self.reduction(self.norm(x))


class SwinTransformer(nn.Module):
    r"""Swin Transformer: ``patch_size`` patch embedding (conv + LayerNorm, channels last), stages of Swin blocks
    (alternately unshifted and shifted by half a window) with PatchMerging between them, a final LayerNorm, global
    average pooling and a linear head. ``swin_t`` has 28,288,354 parameters (relative position bias tables included).

    Args:
        patch_size: patch side. embed_dim: channels of the first stage (doubled at each merge). depths: blocks per
        stage. num_heads: heads per stage. window_size: window side. mlp_ratio: MLP width / dim. dropout,
        attention_dropout: dropout rates. stochastic_depth_prob: the largest drop-path probability (linear in the
        block index). num_classes: outputs. in_channels: image channels.

    Shape: input ``(N, in_channels, H, W)`` with ``H, W >= patch_size``; output ``(N, num_classes)``.
    """

    def __init__(self, patch_size: int = 4, embed_dim: int = 96, depths: Sequence[int] = (2, 2, 6, 2),
                 num_heads: Sequence[int] = (3, 6, 12, 24), window_size: int = 7, mlp_ratio: float = 4.0,
                 dropout: float = 0.0, attention_dropout: float = 0.0, stochastic_depth_prob: float = 0.1,
                 num_classes: int = 1000, in_channels: int = 3) -> None:
        super().__init__()
        if len(depths) != len(num_heads) or not depths:
            raise ValueError(f"SwinTransformer: depths and num_heads must be non-empty and of one length, got "
                             f"{list(depths)}, {list(num_heads)}")
        self.in_channels = in_channels
        layers: list[nn.Module] = [nn.Sequential(nn.Conv2d(in_channels, embed_dim, patch_size, stride=patch_size),
                                                 Permute([0, 2, 3, 1]), nn.LayerNorm(embed_dim))]
        total, block_id = sum(depths), 0
        for i, (depth, heads) in enumerate(zip(depths, num_heads)):
            dim = embed_dim * 2 ** i
            stage = []
            for j in range(depth):
                sd = stochastic_depth_prob * block_id / max(total - 1.0, 1.0)
                shift = [0, 0] if j % 2 == 0 else [window_size // 2] * 2
                stage.append(SwinTransformerBlock(dim, heads, [window_size] * 2, shift, mlp_ratio, dropout,
                                                  attention_dropout, sd))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            if i + 1 < len(depths):
                layers.append(PatchMerging(dim))
        self.features = nn.Sequential(*layers)
        num_features = embed_dim * 2 ** (len(depths) - 1)
        self.norm = nn.LayerNorm(num_features)
        self.permute = Permute([0, 3, 1, 2])
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.head = nn.Linear(num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        self._reductions = _reductions(self)

    def forward(self, x: Tensor) -> Tensor:
        check_image_input("SwinTransformer", x, self.in_channels, self._reductions)
        x = self.permute(self.norm(self.features(x)))
        return self.head(self.flatten(self.avgpool(x)))


@register_model
def swin_t(num_classes: int = 1000, in_channels: int = 3, window_size: int = 7,
           stochastic_depth_prob: float = 0.2) -> SwinTransformer:
    """Swin-T in torchvision's layout (patch 4, dim 96, depths 2-2-6-2, heads 3-6-12-24, window 7): 28,288,354
    parameters with 1000 classes."""
    return SwinTransformer(4, 96, (2, 2, 6, 2), (3, 6, 12, 24), window_size, 4.0, 0.0, 0.0, stochastic_depth_prob,
                           num_classes, in_channels)
