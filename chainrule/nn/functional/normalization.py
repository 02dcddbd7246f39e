"""Normalisation functions, as ``torch.nn.functional``: batch norm and layer norm (fused primitives); group norm
and instance norm built on them; local response norm composed on ``Tensor``."""

from __future__ import annotations

import math
from typing import Sequence

from ...ops import normalization as N
from ...tensor import Tensor
from ...tensor.functions import pad

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "local_response_norm"]


def _check_channels(name: str, t: Tensor | None, c: int) -> None:
    if t is not None and t.numel() != c:
        raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,  # noqa: A002
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    r"""Normalise every channel (dim 1) over the batch and any further dimensions, then scale and shift:

    .. math:: y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta

    In training the statistics are the batch's (mean and biased variance), and the running statistics, when given,
    are updated in place: :math:`\hat r \leftarrow (1 - \text{momentum})\, \hat r + \text{momentum}\, r_{batch}`,
    with the *unbiased* batch variance for ``running_var``. In evaluation the running statistics normalise.
    (``momentum=None``, the cumulative average, is a setting of :class:`~chainrule.nn.BatchNorm1d`, which knows how
    many batches it has seen; here ``momentum`` is a number, as in PyTorch.)

    Args:
        input: :math:`(N, C, *)`.
        running_mean, running_var: :math:`(C,)` buffers, or None to always use the batch statistics (training).
        weight, bias: :math:`\gamma, \beta` of shape :math:`(C,)`, or None.
        training: use (and track) the batch statistics.
        momentum: the weight of the new batch in the running averages.
        eps: added to the variance before the square root.

    Shape: output as input.

    Example::

        >>> x = chainrule.randn(32, 4)
        >>> F.batch_norm(x, None, None, training=True).mean(0)   # ~0 per channel
    """
    if input.dim() < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, *), got {tuple(input.shape)}")
    if momentum is None:
        raise TypeError("batch_norm(): momentum must be a float; the cumulative average (momentum=None) is computed by "
                        "the BatchNorm modules, which pass 1 / num_batches_tracked")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        _check_channels(name, t, c)
    if training:
        size = input.shape
        if size[0] * math.prod(size[2:]) == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")
    elif running_mean is None or running_var is None:
        raise RuntimeError("batch_norm: running_mean and running_var must be defined in evaluation mode "
                           "(training=False)")
    input._require_float("batch_norm")
    return N.BatchNorm.apply(input, weight, bias, running_mean, running_var, training=training,
                             momentum=float(momentum), eps=float(eps))


def layer_norm(input: Tensor, normalized_shape: int | Sequence[int], weight: Tensor | None = None,  # noqa: A002
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    r"""Normalise over the last ``len(normalized_shape)`` dimensions of every sample, then scale and shift
    elementwise:

    .. math:: y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \odot \gamma + \beta

    with the mean and biased variance over those dimensions.

    Args:
        input: :math:`(*, \text{normalized\_shape})`.
        normalized_shape: the trailing shape to normalise over (an int for the last dimension).
        weight, bias: :math:`\gamma, \beta` of shape ``normalized_shape``, or None.
        eps: added to the variance before the square root.

    Shape: output as input.

    Example::

        >>> x = chainrule.randn(2, 5, 8)
        >>> F.layer_norm(x, (8,)).std(-1, unbiased=False)   # ~1 everywhere
    """
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(int(n) for n in normalized_shape)
    k = len(ns)
    if k == 0 or input.dim() < k or tuple(input.shape[input.dim() - k:]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*, "
                           f"{', '.join(map(str, ns))}], but got input of size{list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != ns:
            raise RuntimeError(f"layer_norm: expected {name} of shape {ns}, got {tuple(t.shape)}")
    input._require_float("layer_norm")
    return N.LayerNorm.apply(input, weight, bias, ndim=k, eps=float(eps))


def _affine(y: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    """``y * weight + bias`` with per-channel (dim 1) vectors."""
    bshape = (1, y.shape[1]) + (1,) * (y.dim() - 2)
    if weight is not None:
        y = y * weight.reshape(bshape)
    if bias is not None:
        y = y + bias.reshape(bshape)
    return y


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,  # noqa: A002
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    r"""Group normalisation (Wu & He, 2018): split the channels into ``num_groups`` groups and normalise each
    sample's group over its channels and spatial positions, then scale and shift per channel:

    .. math:: y = \frac{x - \mathrm{E}_g[x]}{\sqrt{\mathrm{Var}_g[x] + \epsilon}} \gamma_c + \beta_c

    (biased variance; independent of the batch). Built on the fused layer-norm primitive over ``(N, G, C/G * ...)``.

    Args:
        input: :math:`(N, C, *)`.
        num_groups: :math:`G`, dividing :math:`C`.
        weight, bias: :math:`\gamma, \beta` of shape :math:`(C,)`, or None.
        eps: added to the variance before the square root.

    Shape: output as input.
    """
    shape = tuple(input.shape)
    if len(shape) < 2:
        raise RuntimeError(f"group_norm: expected input of shape (N, C, *), got {shape}")
    n, c = shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"group_norm: expected the number of channels of input of shape {shape} to be divisible "
                           f"by num_groups, got num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        _check_channels(name, t, c)
    input._require_float("group_norm")
    if input.numel() == 0:
        return _affine(input * 1.0, weight, bias)
    y = N.LayerNorm.apply(input.reshape(n, num_groups, -1), None, None, ndim=1, eps=float(eps))
    return _affine(y.reshape(shape), weight, bias)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,  # noqa: A002
                  running_var: Tensor | None = None, weight: Tensor | None = None, bias: Tensor | None = None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    r"""Instance normalisation (Ulyanov et al., 2016): every channel of every sample normalised over its spatial
    positions, then scaled and shifted per channel:

    .. math:: y = \frac{x - \mathrm{E}_{hw}[x]}{\sqrt{\mathrm{Var}_{hw}[x] + \epsilon}} \gamma_c + \beta_c

    As PyTorch, this is batch norm on the input viewed as :math:`(1, N C, *)`; the running statistics, when given,
    are updated with the per-instance statistics averaged over the batch (unbiased variance), and with
    ``use_input_stats=False`` they normalise instead.

    Args:
        input: :math:`(N, C, *)`.
        running_mean, running_var: :math:`(C,)` buffers, or None.
        weight, bias: :math:`\gamma, \beta` of shape :math:`(C,)`, or None.
        use_input_stats: normalise with each instance's statistics (True) or with the running ones.
        momentum: the weight of the new statistics in the running averages.
        eps: added to the variance before the square root.

    Shape: output as input.
    """
    shape = tuple(input.shape)
    if len(shape) < 3:
        raise ValueError(f"instance_norm: expected input of shape (N, C, *) with a spatial dimension, got {shape}")
    n, c = shape[:2]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        _check_channels(name, t, c)
    if use_input_stats and math.prod(shape[2:]) <= 1:
        raise ValueError(f"instance_norm: expected more than 1 spatial element when training, got input of shape "
                         f"{shape}")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("instance_norm: running_mean and running_var must be defined when use_input_stats=False")
    input._require_float("instance_norm")
    # NOTE: per-instance running statistics: the (C,) buffers are repeated N times, updated by the primitive, then
    # averaged back over the batch
    rm = running_mean._data.reshape(1, c).repeat(n, 0).reshape(n * c) if running_mean is not None else None
    rv = running_var._data.reshape(1, c).repeat(n, 0).reshape(n * c) if running_var is not None else None
    y = N.BatchNorm.apply(input.reshape((1, n * c) + shape[2:]), None, None, rm, rv, training=bool(use_input_stats),
                          momentum=float(momentum), eps=float(eps))
    if use_input_stats:
        if running_mean is not None and rm is not None:
            running_mean._data[...] = rm.reshape(n, c).mean(axis=0)
        if running_var is not None and rv is not None:
            running_var._data[...] = rv.reshape(n, c).mean(axis=0)
    return _affine(y.reshape(shape), weight, bias)


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,  # noqa: A002
                        k: float = 1.0) -> Tensor:
    r"""Local response normalisation across channels (Krizhevsky et al., 2012), with PyTorch's formula:

    .. math:: b_c = a_c \Big/ \Big(k + \frac{\alpha}{n} \sum_{c' = c - \lfloor n/2 \rfloor}^{c + \lfloor (n-1)/2
        \rfloor} a_{c'}^2\Big)^{\beta}

    (the sum runs over the channels that exist, but it is always divided by :math:`n` = ``size``). Composed on
    ``Tensor``: the window sum is ``size`` shifted slices of the zero-padded squares.

    Args:
        input: :math:`(N, C, *)` with at least one spatial dimension.
        size: :math:`n`, the number of neighbouring channels.
        alpha, beta, k: the constants of the formula.

    Shape: output as input.
    """
    shape = tuple(input.shape)
    if len(shape) < 3:
        raise ValueError(f"local_response_norm: expected 3D or higher dimensionality input (N, C, *), got {shape}")
    if size <= 0:
        raise ValueError(f"local_response_norm: size must be positive, got {size}")
    input._require_float("local_response_norm")
    if input.numel() == 0:
        return input
    c = shape[1]
    sq = pad(input * input, [0, 0] * (len(shape) - 2) + [size // 2, (size - 1) // 2])
    acc = sq[:, 0:c]
    for j in range(1, size):  # a loop over the window, not the elements
        acc = acc + sq[:, j:j + c]
    div = (acc * (float(alpha) / size) + float(k)) ** float(beta)
    return input / div
