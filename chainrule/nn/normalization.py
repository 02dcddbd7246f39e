"""Normalisation layers: BatchNorm1d (on a shared ``_BatchNorm`` base that owns the parameters, the running
statistics and their update, so BatchNorm2d only says which input shapes it takes) and LayerNorm."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import dtypes
from ..backend import check_device
from ..tensor import Tensor
from ..tensor.creation import ones, tensor, zeros
from .functional import normalization as F
from .module import Module
from .parameter import Parameter

__all__ = ["BatchNorm1d", "LayerNorm"]


class _BatchNorm(Module):
    """The state and forward of every BatchNorm: channels on dim 1, statistics over all the other dimensions.

    Subclasses set ``_expected`` (the accepted input ranks and how to write their shapes in an error message).
    """

    _expected: dict[int, str] = {}

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        check_device(device, type(self).__name__)
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dt = dtype or dtypes.get_default_dtype()
        if affine:
            self.weight = Parameter(ones(num_features, dtype=dt))
            if bias:
                self.bias = Parameter(zeros(num_features, dtype=dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dt))
            self.register_buffer("running_var", ones(num_features, dtype=dt))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=dtypes.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batch seen."""
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self) -> None:
        """Reset the running statistics, and the affine transform to the identity (weight 1, bias 0)."""
        self.reset_running_stats()
        if self.affine:
            self.weight._data[...] = 1
            if self.bias is not None:
                self.bias._data[...] = 0

    def _check_input_dim(self, input: Tensor) -> None:  # noqa: A002
        shape = tuple(input.shape)
        if len(shape) not in self._expected:
            want = " or ".join(s.format(C=self.num_features) for s in self._expected.values())
            raise ValueError(f"{type(self).__name__}: expected {'D or '.join(map(str, self._expected))}D input of "
                             f"shape {want}, got {len(shape)}D input of shape {shape}")
        if shape[1] != self.num_features:
            raise RuntimeError(f"{type(self).__name__}({self.num_features}): expected input of shape "
                               f"{self._expected[len(shape)].format(C=self.num_features)}, got {shape}")

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._data += 1
            if self.momentum is None:  # the cumulative moving average: each batch weighs the same
                factor = 1.0 / float(self.num_batches_tracked._data)
        # training uses batch statistics; so does evaluation without running statistics
        use_batch = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None, self.running_var if track else None,
                            self.weight, self.bias, use_batch, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    r"""Batch normalisation over a 2-D or 3-D input (Ioffe & Szegedy, 2015):

    .. math:: y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta

    per channel, with the statistics over the batch (and the length). In training the batch statistics normalise
    and the running estimates are updated: :math:`\hat r \leftarrow (1 - \text{momentum}) \hat r + \text{momentum}
    \, r_{batch}` (unbiased variance); in evaluation the running estimates normalise.

    Args:
        num_features: :math:`C`, the number of channels.
        eps: added to the variance before the square root.
        momentum: the weight of each new batch in the running estimates; None for the cumulative average.
        affine: learn :math:`\gamma` (``weight``, ones) and :math:`\beta` (``bias``, zeros).
        track_running_stats: keep running estimates; without them evaluation also uses the batch statistics.
        bias: learn :math:`\beta` (with ``affine``).

    Shape:
        - Input: :math:`(N, C)` or :math:`(N, C, L)`
        - Output: the same shape.

    Buffers: ``running_mean``, ``running_var`` (:math:`(C,)`) and ``num_batches_tracked`` (int64), PyTorch's
    ``state_dict`` keys.

    Example::

        >>> m = nn.BatchNorm1d(100)
        >>> y = m(chainrule.randn(20, 100))
    """

    _expected = {2: "(N, {C})", 3: "(N, {C}, L)"}


class LayerNorm(Module):
    r"""Layer normalisation (Ba et al., 2016): every sample normalised over its last dimensions,

    .. math:: y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \odot \gamma + \beta

    with the mean and biased variance over ``normalized_shape``, the same in training and evaluation.

    Args:
        normalized_shape: the trailing shape to normalise over (an int for the last dimension).
        eps: added to the variance before the square root.
        elementwise_affine: learn :math:`\gamma` (``weight``, ones) and :math:`\beta` (``bias``, zeros) of shape
            ``normalized_shape``.
        bias: learn :math:`\beta` (with ``elementwise_affine``).

    Shape:
        - Input: :math:`(*, \text{normalized\_shape})`
        - Output: the same shape.

    Example::

        >>> m = nn.LayerNorm(64)
        >>> y = m(chainrule.randn(8, 16, 64))
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        check_device(device, "LayerNorm")
        super().__init__()
        ns = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else normalized_shape
        self.normalized_shape = tuple(int(n) for n in ns)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dt = dtype or dtypes.get_default_dtype()
        if elementwise_affine:
            self.weight = Parameter(ones(*self.normalized_shape, dtype=dt))
            if bias:
                self.bias = Parameter(zeros(*self.normalized_shape, dtype=dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """Weight 1, bias 0."""
        if self.weight is not None:
            self.weight._data[...] = 1
        if self.bias is not None:
            self.bias._data[...] = 0

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        ns, shape = self.normalized_shape, tuple(input.shape)
        if shape[len(shape) - len(ns):] != ns or len(shape) < len(ns):
            raise RuntimeError(f"LayerNorm({ns}): expected input of shape (*, {', '.join(map(str, ns))}), got {shape}")
        return F.layer_norm(input, ns, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")
