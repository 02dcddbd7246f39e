"""Dropout, as ``torch.nn.functional.dropout`` and ``dropout2d``: inverted dropout with masks from chainrule's
default generator."""

from __future__ import annotations

import numpy as np

from ...ops.elementwise import Mul
from ...random import np_generator
from ...tensor import Tensor

__all__ = ["dropout", "dropout2d"]


def _check_p(p: float) -> None:
    if not 0.0 <= p <= 1.0:  # NOTE: written so that nan fails too
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    r"""Zero each element with probability ``p`` and scale the rest by :math:`1 / (1 - p)` (inverted dropout), so
    that the expected value is unchanged and evaluation needs no rescaling:

    .. math:: y = x \odot m / (1 - p), \quad m_i \sim \text{Bernoulli}(1 - p)

    In evaluation (``training=False``) and for ``p = 0`` it returns ``input`` itself; ``p = 1`` gives zeros.
    The mask is drawn from the default generator, so ``chainrule.manual_seed`` makes it reproducible.

    Args:
        input: any shape :math:`(*)`.
        p: the probability of zeroing an element, in [0, 1].
        training: apply dropout (True) or return the input (False).
        inplace: overwrite ``input`` and return it.

    Shape: output as input.

    Example::

        >>> y = F.dropout(chainrule.ones(4), p=0.5)   # each element 0 or 2
    """
    _check_p(p)
    if not training or p == 0.0 or input.numel() == 0:
        return input
    input._require_float("dropout")
    dt = input._data.dtype
    if p == 1.0:
        noise = np.zeros((), dtype=dt)
    else:
        # NOTE: float32 uniforms are drawn whatever the input type: half the cost of float64, and 2^-24 resolution is
        # ample for a keep probability
        keep = np_generator(None).random(input._data.shape, dtype=np.float32) >= p
        noise = keep.astype(dt)
        noise *= 1.0 / (1.0 - p)  # a Python float: stays in the input's dtype
    if inplace:
        return input._inplace("dropout_", lambda t: Mul.apply(t, noise))
    return Mul.apply(input, noise)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    r"""Channel dropout (Tompson et al., 2015): zero each whole channel :math:`x[n, c]` with probability ``p`` and
    scale the kept ones by :math:`1 / (1 - p)`:

    .. math:: y[n, c] = x[n, c] \, m_{nc} / (1 - p), \quad m_{nc} \sim \text{Bernoulli}(1 - p)

    Neighbouring pixels of a feature map are strongly correlated, so element-wise dropout barely regularises
    convolutions; dropping whole maps does. As PyTorch, a 3-D input is taken as :math:`(N, C, L)` (one mask per
    sample and channel), not as an unbatched image. In evaluation it returns ``input`` itself.

    Args:
        input: :math:`(N, C, H, W)` or :math:`(N, C, L)`.
        p: the probability of zeroing a channel, in [0, 1].
        training: apply dropout (True) or return the input (False).
        inplace: overwrite ``input`` and return it.

    Shape: output as input.
    """
    _check_p(p)
    if input.dim() < 2:
        raise RuntimeError(f"dropout2d: expected input of shape (N, C, H, W) or (N, C, L), got {tuple(input.shape)}")
    if not training or p == 0.0 or input.numel() == 0:
        return input
    input._require_float("dropout2d")
    dt = input._data.dtype
    mask_shape = input._data.shape[:2] + (1,) * (input.dim() - 2)
    if p == 1.0:
        noise = np.zeros(mask_shape, dtype=dt)
    else:
        noise = (np_generator(None).random(mask_shape, dtype=np.float32) >= p).astype(dt)
        noise *= 1.0 / (1.0 - p)
    if inplace:
        return input._inplace("dropout2d_", lambda t: Mul.apply(t, noise))
    return Mul.apply(input, noise)
