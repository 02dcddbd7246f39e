"""The masked autoencoder (He et al., 2021, "Masked Autoencoders Are Scalable Vision Learners").

An image is cut into patches; a random 75 % of them are hidden; a ViT encoder reads only the visible ones; a light
Transformer decoder gets the encoded patches plus a shared learned *mask token* in every hidden position and
predicts the pixels of the hidden patches. The loss is the mean squared error on the hidden patches only.

>>> from chainrule import models
>>> mae = models.create_model("mae_tiny")               # 28x28 grey images, 16 patches of 7x7, 4 visible
>>> loss, pred, mask = mae(chainrule.rand(2, 1, 28, 28))
>>> pred.shape, mask.shape
(chainrule.Size([2, 16, 49]), chainrule.Size([2, 16]))
"""

from __future__ import annotations

import numpy as np

from .. import nn
from ..dtypes import get_default_dtype
from ..nn import init
from ..random import Generator
from ..tensor import Tensor
from ..tensor.creation import rand, tensor, zeros
from ..tensor.functions import cat
from ._registry import register_model

__all__ = ["MaskedAutoencoder", "sincos_pos_embed_2d", "mae_tiny"]


def sincos_pos_embed_2d(embed_dim: int, grid_size: int, cls_token: bool = True) -> np.ndarray:
    r"""The fixed 2-D sine-cosine position table of MAE: half the channels encode the row, half the column,

    .. math:: \text{PE}(p)_{2i} = \sin(p\, \omega_i),\ \text{PE}(p)_{2i+1 \to d/4 + i} = \cos(p\, \omega_i),
        \quad \omega_i = 10000^{-i / (d/4)}

    (sines then cosines, per axis, as the reference code), one row per patch in row-major order, plus a zero row
    first for the class token when ``cls_token``. Returns float64 of shape ``(grid_size**2 [+ 1], embed_dim)``.
    """
    if embed_dim % 4:
        raise ValueError(f"sincos_pos_embed_2d: embed_dim ({embed_dim}) must be a multiple of 4")
    omega = 1.0 / 10000 ** (np.arange(embed_dim // 4, dtype=np.float64) / (embed_dim / 4))
    cols, rows = np.meshgrid(np.arange(grid_size, dtype=np.float64), np.arange(grid_size, dtype=np.float64))

    def one_axis(pos: np.ndarray) -> np.ndarray:
        out = np.outer(pos.reshape(-1), omega)
        return np.concatenate([np.sin(out), np.cos(out)], axis=1)

    # NOTE: the reference builds meshgrid(w, h) and encodes grid[0] (the column index) first
    table = np.concatenate([one_axis(cols), one_axis(rows)], axis=1)
    return np.concatenate([np.zeros((1, embed_dim)), table]) if cls_token else table


def _encoder(width: int, depth: int, heads: int, mlp: int) -> nn.TransformerEncoder:
    """A stack of pre-norm ViT blocks (LN -> MSA, LN -> MLP with GELU) with a final layer norm."""
    if width <= 0 or heads <= 0 or width % heads:
        raise ValueError(f"MaskedAutoencoder: width ({width}) must be a positive multiple of num_heads ({heads})")
    layer = nn.TransformerEncoderLayer(width, heads, mlp, 0.0, activation="gelu", layer_norm_eps=1e-6,
                                       batch_first=True, norm_first=True)
    return nn.TransformerEncoder(layer, depth, norm=nn.LayerNorm(width, eps=1e-6))


class MaskedAutoencoder(nn.Module):
    r"""MAE: a ViT encoder on the visible patches, a Transformer decoder that fills in the masked ones.

    With :math:`x_i` the flattened patches (:math:`p^2 C` values each), :math:`V` the visible subset (a fraction
    :math:`1 - r` of the :math:`L` patches chosen per sample by ``argsort`` of uniform noise) and :math:`M` the rest,

    .. math:: z = \text{Enc}([c;\ E x_i + P_i]_{i \in V}), \quad
        \hat x = \text{Dec}([W z;\ m_j]_{\text{unshuffled}} + P'), \quad
        \mathcal{L} = \frac{1}{|M|} \sum_{i \in M} \frac{1}{p^2 C} \lVert \hat x_i - t_i \rVert^2

    where :math:`c` is the class token, :math:`m` the learned mask token, :math:`P, P'` fixed 2-D sine-cosine
    position tables, and the target :math:`t_i = x_i` or, with ``norm_pix_loss``, :math:`x_i` normalised by its
    own mean and standard deviation.

    Args:
        image_size: side of the square input; a multiple of ``patch_size``.
        patch_size: side of a patch.
        in_channels: image channels.
        embed_dim, depth, num_heads, mlp_dim: the encoder's width, layers, heads and MLP width.
        decoder_embed_dim, decoder_depth, decoder_num_heads, decoder_mlp_dim: the same for the decoder.
        mask_ratio: the fraction of patches hidden, in [0, 1).
        norm_pix_loss: regress per-patch normalised pixels.
        generator: the random stream for the masks (None: the default one, set by ``chainrule.manual_seed``).

    Shape:
        - Input: :math:`(N, C, S, S)`.
        - Output of ``forward``: ``(loss, pred, mask)``: a scalar, :math:`(N, L, p^2 C)` predicted patches for
          every position, :math:`(N, L)` with 1 on the masked patches and 0 on the visible ones.
    """

    def __init__(self, image_size: int = 28, patch_size: int = 7, in_channels: int = 1, embed_dim: int = 64,
                 depth: int = 4, num_heads: int = 4, mlp_dim: int = 128, decoder_embed_dim: int = 32,
                 decoder_depth: int = 1, decoder_num_heads: int = 4, decoder_mlp_dim: int = 64,
                 mask_ratio: float = 0.75, norm_pix_loss: bool = False, generator: Generator | None = None) -> None:
        super().__init__()
        if patch_size <= 0 or image_size <= 0 or image_size % patch_size:
            raise ValueError(f"MaskedAutoencoder: image_size ({image_size}) must be a positive multiple of "
                             f"patch_size ({patch_size})")
        self._check_ratio(mask_ratio)
        for name, width in (("embed_dim", embed_dim), ("decoder_embed_dim", decoder_embed_dim)):
            if width % 4:
                raise ValueError(f"MaskedAutoencoder: {name} ({width}) must be a multiple of 4 (2-D sin-cos "
                                 "positions)")
        self.image_size, self.patch_size, self.in_channels = image_size, patch_size, in_channels
        self.mask_ratio, self.norm_pix_loss, self.generator = mask_ratio, norm_pix_loss, generator
        grid = image_size // patch_size
        self.num_patches = grid * grid
        # encoder
        self.patch_embed = nn.Conv2d(in_channels, embed_dim, patch_size, stride=patch_size)
        self.cls_token = nn.Parameter(zeros((1, 1, embed_dim)))
        self.register_buffer("pos_embed", tensor(sincos_pos_embed_2d(embed_dim, grid)[None], dtype=get_default_dtype()))
        self.encoder = _encoder(embed_dim, depth, num_heads, mlp_dim)
        # decoder
        self.decoder_embed = nn.Linear(embed_dim, decoder_embed_dim)
        self.mask_token = nn.Parameter(zeros((1, 1, decoder_embed_dim)))
        self.register_buffer("decoder_pos_embed", tensor(sincos_pos_embed_2d(decoder_embed_dim, grid)[None],
                                                            dtype=get_default_dtype()))
        self.decoder = _encoder(decoder_embed_dim, decoder_depth, decoder_num_heads, decoder_mlp_dim)
        self.decoder_pred = nn.Linear(decoder_embed_dim, patch_size * patch_size * in_channels)
        # NOTE: the tokens start small (N(0, 0.02^2), as the reference) so they do not dominate the patch embeddings
        init.normal_(self.cls_token, std=0.02)
        init.normal_(self.mask_token, std=0.02)

    @staticmethod
    def _check_ratio(mask_ratio: float) -> None:
        if not 0.0 <= mask_ratio < 1.0:
            raise ValueError(f"MaskedAutoencoder: mask_ratio must be in [0, 1), got {mask_ratio}")

    # ----------------------------------------------------------------- patches
    def _check_images(self, imgs: Tensor) -> None:
        c, s = self.in_channels, self.image_size
        if not isinstance(imgs, Tensor):
            raise TypeError(f"MaskedAutoencoder: expected a Tensor, got {type(imgs).__name__}")
        if imgs.dim() != 4 or tuple(imgs.shape[1:]) != (c, s, s):
            raise ValueError(f"MaskedAutoencoder: expected input of shape (N, {c}, {s}, {s}), got "
                             f"{tuple(imgs.shape)}")

    def patchify(self, imgs: Tensor) -> Tensor:
        """``(N, C, S, S) -> (N, L, p*p*C)``: patches row by row, each flattened as (row, column, channel)."""
        self._check_images(imgs)
        c, p, g = self.in_channels, self.patch_size, self.image_size // self.patch_size
        x = imgs.reshape(imgs.shape[0], c, g, p, g, p).permute(0, 2, 4, 3, 5, 1)  # n c h p w q -> n h w p q c
        return x.reshape(imgs.shape[0], g * g, p * p * c)

    def unpatchify(self, x: Tensor) -> Tensor:
        """The inverse of :meth:`patchify`: ``(N, L, p*p*C) -> (N, C, S, S)``."""
        p, c, g = self.patch_size, self.in_channels, self.image_size // self.patch_size
        if x.dim() != 3 or tuple(x.shape[1:]) != (g * g, p * p * c):
            raise ValueError(f"MaskedAutoencoder.unpatchify: expected (N, {g * g}, {p * p * c}), got {tuple(x.shape)}")
        x = x.reshape(x.shape[0], g, g, p, p, c).permute(0, 5, 1, 3, 2, 4)  # n h w p q c -> n c h p w q
        return x.reshape(x.shape[0], c, g * p, g * p)

    # ----------------------------------------------------------------- masking
    def random_masking(self, x: Tensor, mask_ratio: float) -> tuple[Tensor, Tensor, Tensor]:
        """Keep a random ``int(L (1 - mask_ratio))`` tokens of each sample (per-sample shuffle by ``argsort`` of
        uniform noise). Returns the kept tokens ``(N, L_keep, D)``, the mask ``(N, L)`` (1 = removed) and
        ``ids_restore`` ``(N, L)`` that undoes the shuffle."""
        self._check_ratio(mask_ratio)
        if x.dim() != 3:
            raise ValueError(f"MaskedAutoencoder.random_masking: expected tokens of shape (N, L, D), got "
                             f"{tuple(x.shape)}")
        n, length, d = x.shape
        keep = int(length * (1 - mask_ratio))
        noise = rand(n, length, generator=self.generator)
        ids_shuffle = noise.argsort(1)  # ascending: the smallest noise is kept
        ids_restore = ids_shuffle.argsort(1)
        ids_keep = ids_shuffle[:, :keep]
        kept = x.gather(1, ids_keep.unsqueeze(-1).expand(-1, -1, d))
        # a patch is masked when its rank in the shuffle is past the kept ones
        mask = (ids_restore >= keep).to(x.dtype)
        return kept, mask, ids_restore

    # ----------------------------------------------------------------- encoder / decoder / loss
    def forward_encoder(self, imgs: Tensor, mask_ratio: float) -> tuple[Tensor, Tensor, Tensor]:
        """Encode the visible patches: ``(N, 1 + L_keep, D)`` (class token first), the mask, ``ids_restore``."""
        self._check_images(imgs)
        x = self.patch_embed(imgs).flatten(2).transpose(1, 2) + self.pos_embed[:, 1:]
        x, mask, ids_restore = self.random_masking(x, mask_ratio)
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(x.shape[0], -1, -1)
        return self.encoder(cat([cls, x], dim=1)), mask, ids_restore

    def forward_decoder(self, latent: Tensor, ids_restore: Tensor) -> Tensor:
        """Predict every patch: ``(N, L, p*p*C)``; mask tokens fill the hidden positions."""
        x = self.decoder_embed(latent)
        n, kept, d = x.shape[0], x.shape[1] - 1, x.shape[2]
        tokens = cat([x[:, 1:], self.mask_token.expand(n, self.num_patches - kept, -1)], dim=1)
        tokens = tokens.gather(1, ids_restore.unsqueeze(-1).expand(-1, -1, d))  # back to image order
        x = self.decoder(cat([x[:, :1], tokens], dim=1) + self.decoder_pos_embed)
        return self.decoder_pred(x)[:, 1:]

    def forward_loss(self, imgs: Tensor, pred: Tensor, mask: Tensor) -> Tensor:
        """The mean over masked patches of the per-patch mean squared error (0 when nothing is masked)."""
        target = self.patchify(imgs).detach()
        if self.norm_pix_loss:
            mean = target.mean(-1, keepdim=True)
            var = target.var(-1, keepdim=True)  # unbiased, as the reference
            target = (target - mean) / (var + 1e-6) ** 0.5
        per_patch = ((pred - target) ** 2).mean(-1)
        # NOTE: with mask_ratio 0 no patch is masked; divide by at least 1 instead of producing NaN
        return (per_patch * mask).sum() / max(float(mask.sum()), 1.0)

    def forward(self, imgs: Tensor, mask_ratio: float | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """``(loss, pred, mask)`` as the reference implementation; ``mask_ratio`` overrides the model's."""
        ratio = self.mask_ratio if mask_ratio is None else mask_ratio
        latent, mask, ids_restore = self.forward_encoder(imgs, ratio)
        pred = self.forward_decoder(latent, ids_restore)
        return self.forward_loss(imgs, pred, mask), pred, mask


@register_model
def mae_tiny(image_size: int = 28, patch_size: int = 7, in_channels: int = 1, embed_dim: int = 64, depth: int = 4,
             num_heads: int = 4, decoder_embed_dim: int = 32, decoder_depth: int = 1, mask_ratio: float = 0.75,
             norm_pix_loss: bool = False) -> MaskedAutoencoder:
    """An MAE for 28x28 grey images: 16 patches of 7x7 (4 visible), encoder width 64 x 4 layers, decoder 32 x 1."""
    return MaskedAutoencoder(image_size, patch_size, in_channels, embed_dim, depth, num_heads, 2 * embed_dim,
                             decoder_embed_dim, decoder_depth, 4, 2 * decoder_embed_dim, mask_ratio, norm_pix_loss)
