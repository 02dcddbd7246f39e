"""Normalisation layers: BatchNorm1d/2d (on a shared ``_BatchNorm`` base that owns the parameters, the running
statistics and their update, so each only says which input shapes it takes), InstanceNorm2d (the same state),
LayerNorm, GroupNorm and LocalResponseNorm."""

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

__all__ = ["BatchNorm1d", "BatchNorm2d", "InstanceNorm2d", "LayerNorm", "GroupNorm", "LocalResponseNorm"]


def _register_affine(m: Module, shape: tuple[int, ...], affine: bool, bias: bool, dt: Any) -> None:
    """The learnable per-element scale ``weight`` (ones) and shift ``bias`` (zeros) of a normalisation layer, or
    None entries in their place, as PyTorch registers them."""
    m.register_parameter("weight", Parameter(ones(*shape, dtype=dt)) if affine else None)
    m.register_parameter("bias", Parameter(zeros(*shape, dtype=dt)) if affine and bias else None)


def _reset_affine(m: Module) -> None:
    """The affine transform back to the identity: weight 1, bias 0."""
    if m.weight is not None:
        m.weight._data[...] = 1
    if m.bias is not None:
        m.bias._data[...] = 0


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
        _register_affine(self, (num_features,), affine, bias, dt)
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
        _reset_affine(self)

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


class BatchNorm2d(_BatchNorm):
    r"""Batch normalisation over a 4-D input (Ioffe & Szegedy, 2015), per channel over the batch and the spatial
    positions:

    .. math:: y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta

    Args, running statistics and buffers as :class:`BatchNorm1d`.

    Shape:
        - Input: :math:`(N, C, H, W)`
        - Output: the same shape.

    Example::

        >>> m = nn.BatchNorm2d(16)
        >>> y = m(chainrule.randn(8, 16, 5, 5))
    """

    _expected = {4: "(N, {C}, H, W)"}


class InstanceNorm2d(_BatchNorm):
    r"""Instance normalisation (Ulyanov et al., 2016): each channel of each sample normalised over its spatial
    positions (:func:`~chainrule.nn.functional.instance_norm`):

    .. math:: y = \frac{x - \mathrm{E}_{hw}[x]}{\sqrt{\mathrm{Var}_{hw}[x] + \epsilon}} \gamma + \beta

    Args:
        num_features: :math:`C`.
        eps: added to the variance before the square root.
        momentum: the weight of each new batch in the running estimates (None: 0, as PyTorch).
        affine: learn per-channel :math:`\gamma, \beta` (default False, as PyTorch).
        track_running_stats: keep running estimates and normalise with them in evaluation (default False).
        bias: learn :math:`\beta` (with ``affine``).

    Shape:
        - Input: :math:`(N, C, H, W)` or :math:`(C, H, W)`
        - Output: the same shape.

    Example::

        >>> m = nn.InstanceNorm2d(3, affine=True)
        >>> y = m(chainrule.randn(2, 3, 8, 8))
    """

    _expected = {3: "({C}, H, W)", 4: "(N, {C}, H, W)"}

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = False,
                 track_running_stats: bool = False, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        shape = tuple(input.shape)
        if len(shape) not in self._expected:
            raise ValueError(f"InstanceNorm2d: expected 3D (C, H, W) or 4D (N, C, H, W) input, got {len(shape)}D "
                             f"input of shape {shape}")
        x = input.unsqueeze(0) if len(shape) == 3 else input
        if x.shape[1] != self.num_features:
            raise RuntimeError(f"InstanceNorm2d({self.num_features}): expected input of shape "
                               f"{self._expected[len(shape)].format(C=self.num_features)}, got {shape}")
        use_input_stats = self.training or not self.track_running_stats
        y = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias, use_input_stats,
                            0.0 if self.momentum is None else self.momentum, self.eps)
        return y.squeeze(0) if len(shape) == 3 else y


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
        _register_affine(self, tuple(self.normalized_shape), elementwise_affine, bias, dt)

    def reset_parameters(self) -> None:
        """Weight 1, bias 0."""
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        ns, shape = self.normalized_shape, tuple(input.shape)
        if shape[len(shape) - len(ns):] != ns or len(shape) < len(ns):
            raise RuntimeError(f"LayerNorm({ns}): expected input of shape (*, {', '.join(map(str, ns))}), got {shape}")
        return F.layer_norm(input, ns, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    r"""Group normalisation (Wu & He, 2018): the channels split into ``num_groups`` groups, each sample's group
    normalised over its channels and positions (:func:`~chainrule.nn.functional.group_norm`):

    .. math:: y = \frac{x - \mathrm{E}_g[x]}{\sqrt{\mathrm{Var}_g[x] + \epsilon}} \gamma_c + \beta_c

    Args:
        num_groups: :math:`G`, dividing ``num_channels``.
        num_channels: :math:`C`.
        eps: added to the variance before the square root.
        affine: learn per-channel :math:`\gamma` (``weight``, ones) and :math:`\beta` (``bias``, zeros).
        bias: learn :math:`\beta` (with ``affine``).

    Shape:
        - Input: :math:`(N, C, *)`
        - Output: the same shape.

    Example::

        >>> m = nn.GroupNorm(2, 6)
        >>> y = m(chainrule.randn(4, 6, 5, 5))
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device: Any = None, dtype: Any = None, *, bias: bool = True) -> None:
        check_device(device, "GroupNorm")
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels must be divisible by num_groups, got num_groups={num_groups} "
                             f"and num_channels={num_channels}")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        dt = dtype or dtypes.get_default_dtype()
        _register_affine(self, (num_channels,), affine, bias, dt)

    def reset_parameters(self) -> None:
        """Weight 1, bias 0."""
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        shape = tuple(input.shape)
        if len(shape) < 2 or shape[1] != self.num_channels:
            raise RuntimeError(f"GroupNorm({self.num_groups}, {self.num_channels}): expected input of shape "
                               f"(N, {self.num_channels}, *), got {shape}")
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class LocalResponseNorm(Module):
    r"""Local response normalisation across channels (AlexNet), PyTorch's formula
    (:func:`~chainrule.nn.functional.local_response_norm`):

    .. math:: b_c = a_c \Big/ \Big(k + \frac{\alpha}{n} \sum_{c'} a_{c'}^2\Big)^{\beta}

    over the ``size`` channels :math:`c - \lfloor n/2 \rfloor \ldots c + \lfloor (n-1)/2 \rfloor`.

    Args:
        size: :math:`n`, the number of neighbouring channels.
        alpha, beta, k: the constants (AlexNet: ``size=5, alpha=1e-4, beta=0.75, k=2``).

    Shape:
        - Input: :math:`(N, C, *)`
        - Output: the same shape.

    Example::

        >>> m = nn.LocalResponseNorm(5, k=2.0)
        >>> y = m(chainrule.randn(2, 16, 8, 8))
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
