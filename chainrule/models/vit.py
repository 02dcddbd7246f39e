"""The Vision Transformer (Dosovitskiy et al., 2021): an image cut into patches is read as a sequence of tokens.

>>> from chainrule import models
>>> vit = models.create_model("vit_tiny")            # 28x28 grey images, 16 patches of 7x7, width 64
>>> vit(chainrule.randn(2, 1, 28, 28)).shape
chainrule.Size([2, 10])
"""

from __future__ import annotations

from .. import nn
from ..nn import init
from ..tensor import Tensor
from ..tensor.creation import zeros
from ..tensor.functions import cat
from ._registry import register_model

__all__ = ["VisionTransformer", "vit_tiny", "vit_b_16"]


class VisionTransformer(nn.Module):
    r"""ViT: patch embedding, a class token, learned positions, a pre-norm Transformer encoder, a linear head.

    .. math:: z_0 = [x_{cls};\ E x_1; \dots; E x_n] + P, \quad z_L = \text{Encoder}(z_0), \quad
        y = W\, \text{LN}(z_L)_0 + b

    with :math:`x_i` the flattened :math:`p \times p` patches, :math:`E` their projection (a convolution of kernel
    = stride = :math:`p`), :math:`P` the learned position table and each encoder layer
    :math:`z \leftarrow z + \text{MSA}(\text{LN}(z))`, :math:`z \leftarrow z + \text{MLP}(\text{LN}(z))`
    (MLP: linear, GELU, linear). Parameter names follow :class:`~chainrule.nn.TransformerEncoderLayer`; the
    parameter count equals torchvision's (86,567,656 for ``vit_b_16`` with 1000 classes).

    Args:
        image_size: the height and width of the input images.
        patch_size: the side of a patch; must divide ``image_size``.
        num_classes: outputs of the head.
        in_channels: image channels.
        embed_dim: the token width :math:`d`.
        depth: the number of encoder layers.
        num_heads: attention heads per layer; must divide ``embed_dim``.
        mlp_dim: the hidden width of each layer's MLP.
        dropout: dropout after the position embedding and inside the encoder layers.
        layer_norm_eps: the layer norms' epsilon (1e-6 as ViT).

    Shape:
        - Input: :math:`(N, C_{in}, H, W)` with :math:`H = W =` ``image_size``.
        - Output: :math:`(N, \text{num\_classes})`.
    """

    def __init__(self, image_size: int = 28, patch_size: int = 7, num_classes: int = 10, in_channels: int = 1,
                 embed_dim: int = 64, depth: int = 2, num_heads: int = 4, mlp_dim: int = 128, dropout: float = 0.0,
                 layer_norm_eps: float = 1e-6) -> None:
        super().__init__()
        if patch_size <= 0 or image_size <= 0 or image_size % patch_size:
            raise ValueError(f"VisionTransformer: image_size ({image_size}) must be a positive multiple of "
                             f"patch_size ({patch_size})")
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(f"VisionTransformer: embed_dim ({embed_dim}) must be a positive multiple of num_heads "
                             f"({num_heads})")
        self.image_size, self.patch_size, self.in_channels = image_size, patch_size, in_channels
        self.num_patches = (image_size // patch_size) ** 2
        self.conv_proj = nn.Conv2d(in_channels, embed_dim, patch_size, stride=patch_size)
        self.class_token = nn.Parameter(zeros((1, 1, embed_dim)))
        self.pos_embedding = nn.LearnedPositionalEmbedding(self.num_patches + 1, embed_dim, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(embed_dim, num_heads, mlp_dim, dropout, activation="gelu",
                                           layer_norm_eps=layer_norm_eps, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth, norm=nn.LayerNorm(embed_dim, eps=layer_norm_eps))
        self.head = nn.Linear(embed_dim, num_classes)
        # NOTE: positions start small (N(0, 0.02^2), as ViT) so that they do not drown the patch embeddings
        init.normal_(self.pos_embedding.weight, std=0.02)

    def forward(self, x: Tensor) -> Tensor:
        s, c = self.image_size, self.in_channels
        if not isinstance(x, Tensor):
            raise TypeError(f"{self._get_name()}: expected a Tensor, got {type(x).__name__}")
        if x.dim() != 4 or tuple(x.shape[1:]) != (c, s, s):
            raise ValueError(f"{self._get_name()}: expected input of shape (N, {c}, {s}, {s}), got {tuple(x.shape)}")
        n = x.shape[0]
        tokens = self.conv_proj(x).flatten(2).transpose(1, 2)  # (N, d, h, w) -> (N, h*w, d), patches row by row
        z = cat([self.class_token.expand(n, -1, -1), tokens], dim=1)
        z = self.encoder(self.dropout(self.pos_embedding(z)))
        return self.head(z[:, 0])


@register_model
def vit_tiny(num_classes: int = 10, in_channels: int = 1, image_size: int = 28, patch_size: int = 7,
             embed_dim: int = 64, depth: int = 2, num_heads: int = 4, mlp_dim: int = 128,
             dropout: float = 0.0) -> VisionTransformer:
    """A ViT for 28x28 grey images: 16 patches of 7x7, width 64, 2 layers of 4 heads, MLP 128 (72,074
    parameters with 10 classes)."""
    return VisionTransformer(image_size, patch_size, num_classes, in_channels, embed_dim, depth, num_heads, mlp_dim,
                             dropout)


@register_model
def vit_b_16(num_classes: int = 1000, in_channels: int = 3, image_size: int = 224, dropout: float = 0.0) -> \
        VisionTransformer:
    """ViT-B/16: 224x224 images, 196 patches of 16x16, width 768, 12 layers of 12 heads, MLP 3072; 86,567,656
    parameters with 1000 classes."""
    return VisionTransformer(image_size, 16, num_classes, in_channels, 768, 12, 12, 3072, dropout)
