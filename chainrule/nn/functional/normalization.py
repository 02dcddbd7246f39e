"""Normalisation functions, as ``torch.nn.functional``: batch norm and layer norm (fused primitives)."""

from __future__ import annotations

import math
from typing import Sequence

from ...ops import normalization as N
from ...tensor import Tensor

__all__ = ["batch_norm", "layer_norm"]


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
