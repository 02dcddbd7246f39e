"""Autoencoders: a network trained to reproduce its input through a narrow code, ``x -> z = f(x) -> x' = g(z)``.

:class:`Autoencoder` is dense (an MLP encoder and a mirrored MLP decoder); :class:`ConvAutoencoder` halves the
image with stride-2 convolutions and doubles it back with transposed convolutions. Both are trained with a
reconstruction loss, e.g. ``F.mse_loss(model(x), x)``.

>>> from chainrule import models
>>> ae = models.create_model("conv_autoencoder")        # 28x28 grey images, code of 64 numbers
>>> ae(chainrule.rand(2, 1, 28, 28)).shape
chainrule.Size([2, 1, 28, 28])
"""

from __future__ import annotations

from typing import Sequence

from .. import nn
from ..tensor import Tensor
from ._registry import register_model

__all__ = ["Autoencoder", "ConvAutoencoder", "autoencoder", "conv_autoencoder"]

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU, "elu": nn.ELU,
                "leaky_relu": nn.LeakyReLU}


def _activation(model: str, name: str) -> type[nn.Module]:
    if name not in _ACTIVATIONS:
        raise ValueError(f"{model}: unknown activation {name!r}; choose from {', '.join(_ACTIVATIONS)}")
    return _ACTIVATIONS[name]


def _check_tensor(model: str, x: Tensor) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{model}: expected a Tensor, got {type(x).__name__}")


class Autoencoder(nn.Module):
    r"""A dense autoencoder: ``encoder`` maps the flattened input to a code, ``decoder`` maps the code back.

    .. math:: z = f_L(\dots f_1(x)), \quad \hat x = \sigma(g_1(\dots g_L(z)))

    with each :math:`f_i, g_i` a ``Linear`` followed by the activation (the code layer is linear, the decoder mirrors
    the encoder's hidden sizes) and :math:`\sigma` the optional output sigmoid (for pixels in [0, 1]).

    Args:
        in_features: size of the flattened input (784 for 28x28 images).
        code_size: width of the code :math:`z`.
        hidden: hidden sizes of the encoder, outermost first; the decoder uses them in reverse.
        activation: hidden activation (``relu``, ``tanh``, ``sigmoid``, ``gelu``, ``elu``, ``leaky_relu``).
        sigmoid_output: end the decoder with a sigmoid.

    Shape:
        - Input: :math:`(N, *)` with :math:`\prod(*) =` ``in_features``.
        - Output: the input's shape; :meth:`encode` gives :math:`(N, \text{code\_size})`.

    Example::

        >>> ae = Autoencoder(784, 32, hidden=(256,))
        >>> ae.encode(chainrule.rand(5, 1, 28, 28)).shape
        chainrule.Size([5, 32])
    """

    def __init__(self, in_features: int = 784, code_size: int = 32, hidden: Sequence[int] = (256, 128),
                 activation: str = "relu", sigmoid_output: bool = True) -> None:
        super().__init__()
        act = _activation("Autoencoder", activation)
        if in_features < 1 or code_size < 1 or any(h < 1 for h in hidden):
            raise ValueError(f"Autoencoder: layer sizes must be positive, got in_features={in_features}, "
                             f"hidden={list(hidden)}, code_size={code_size}")
        self.in_features, self.code_size = in_features, code_size
        sizes = [in_features, *hidden, code_size]
        enc: list[nn.Module] = [nn.Flatten()]
        dec: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            enc += [nn.Linear(a, b)] + ([act()] if i < len(sizes) - 2 else [])  # the code layer stays linear
        back = sizes[::-1]
        for i, (a, b) in enumerate(zip(back[:-1], back[1:])):
            dec += [nn.Linear(a, b)] + ([act()] if i < len(back) - 2 else [])
        if sigmoid_output:
            dec.append(nn.Sigmoid())
        self.encoder = nn.Sequential(*enc)
        self.decoder = nn.Sequential(*dec)

    def encode(self, x: Tensor) -> Tensor:
        """The code :math:`z` of shape ``(N, code_size)``."""
        _check_tensor("Autoencoder", x)
        if x.dim() < 2 or x[0].numel() != self.in_features:
            raise ValueError(f"Autoencoder: expected input of shape (N, *) with {self.in_features} features per "
                             f"sample, got {tuple(x.shape)}")
        return self.encoder(x)

    def decode(self, z: Tensor) -> Tensor:
        """The reconstruction, flat: ``(N, in_features)``."""
        _check_tensor("Autoencoder", z)
        if z.dim() != 2 or z.shape[1] != self.code_size:
            raise ValueError(f"Autoencoder: expected a code of shape (N, {self.code_size}), got {tuple(z.shape)}")
        return self.decoder(z)

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x)).reshape(tuple(x.shape))


class ConvAutoencoder(nn.Module):
    r"""A convolutional autoencoder: stride-2 convolutions down, transposed convolutions back up.

    Encoder: per width :math:`w_i`, ``Conv2d(k=3, stride=2, padding=1) -> ReLU`` (halving the side: 28 -> 14 -> 7),
    then, when ``code_size`` is set, a convolution with a kernel the size of the last feature map that gives a
    ``code_size x 1 x 1`` code. The decoder mirrors it: ``ConvTranspose2d`` back to the feature map, then per width
    ``ConvTranspose2d(k=3, stride=2, padding=1, output_padding=1)`` doubling the side,

    .. math:: H_{out} = 2 (H - 1) - 2 + 3 + 1 = 2H,

    with ReLU between and an optional sigmoid at the end.

    Args:
        in_channels: image channels.
        image_size: side of the square input; must be divisible by :math:`2^{\text{len(widths)}}`.
        widths: channels after each stride-2 convolution.
        code_size: channels of the 1x1 code (None: the code is the last feature map).
        sigmoid_output: end with a sigmoid (pixels in [0, 1]).

    Shape:
        - Input: :math:`(N, C, S, S)` with :math:`C =` ``in_channels``, :math:`S =` ``image_size``.
        - Output: the same; :meth:`encode` gives :math:`(N, \text{code\_size}, 1, 1)` (or the last feature map).
    """

    def __init__(self, in_channels: int = 1, image_size: int = 28, widths: Sequence[int] = (16, 32),
                 code_size: int | None = 64, sigmoid_output: bool = True) -> None:
        super().__init__()
        widths = list(widths)
        if not widths or in_channels < 1 or any(w < 1 for w in widths) or (code_size is not None and code_size < 1):
            raise ValueError(f"ConvAutoencoder: channel counts must be positive, got in_channels={in_channels}, "
                             f"widths={widths}, code_size={code_size}")
        scale = 2 ** len(widths)
        if image_size < scale or image_size % scale:
            raise ValueError(f"ConvAutoencoder: image_size ({image_size}) must be a positive multiple of "
                             f"2**len(widths) = {scale}")
        self.in_channels, self.image_size, self.code_size = in_channels, image_size, code_size
        side = image_size // scale
        chans = [in_channels, *widths]
        enc: list[nn.Module] = []
        for a, b in zip(chans[:-1], chans[1:]):
            enc += [nn.Conv2d(a, b, 3, stride=2, padding=1), nn.ReLU()]
        dec: list[nn.Module] = []
        if code_size is not None:
            enc.append(nn.Conv2d(widths[-1], code_size, side))  # the whole feature map -> one code vector
            dec += [nn.ConvTranspose2d(code_size, widths[-1], side), nn.ReLU()]
        back = chans[::-1]
        for i, (a, b) in enumerate(zip(back[:-1], back[1:])):
            dec.append(nn.ConvTranspose2d(a, b, 3, stride=2, padding=1, output_padding=1))
            if i < len(back) - 2:
                dec.append(nn.ReLU())
        if sigmoid_output:
            dec.append(nn.Sigmoid())
        self.encoder = nn.Sequential(*enc)
        self.decoder = nn.Sequential(*dec)

    def encode(self, x: Tensor) -> Tensor:
        """The code: ``(N, code_size, 1, 1)``, or the last feature map when ``code_size`` is None."""
        _check_tensor("ConvAutoencoder", x)
        c, s = self.in_channels, self.image_size
        if x.dim() != 4 or tuple(x.shape[1:]) != (c, s, s):
            raise ValueError(f"ConvAutoencoder: expected input of shape (N, {c}, {s}, {s}), got {tuple(x.shape)}")
        return self.encoder(x)

    def decode(self, z: Tensor) -> Tensor:
        """The reconstructed images, ``(N, in_channels, image_size, image_size)``."""
        _check_tensor("ConvAutoencoder", z)
        return self.decoder(z)

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))


@register_model
def autoencoder(in_features: int = 784, code_size: int = 32, hidden: Sequence[int] = (256, 128),
                activation: str = "relu", sigmoid_output: bool = True) -> Autoencoder:
    """A dense autoencoder for flattened 28x28 images: 784-256-128-32-128-256-784."""
    return Autoencoder(in_features, code_size, hidden, activation, sigmoid_output)


@register_model
def conv_autoencoder(in_channels: int = 1, image_size: int = 28, widths: Sequence[int] = (16, 32),
                     code_size: int | None = 64, sigmoid_output: bool = True) -> ConvAutoencoder:
    """A convolutional autoencoder for 28x28 grey images: 28 -> 14 -> 7 -> a code of 64, and back."""
    return ConvAutoencoder(in_channels, image_size, widths, code_size, sigmoid_output)
