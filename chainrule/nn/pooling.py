"""Pooling layers: max, average, adaptive, global average and stochastic pooling. Each holds its hyperparameters and
calls :mod:`chainrule.nn.functional.pooling`."""

from __future__ import annotations

from typing import Any

from ..random import Generator
from ..tensor import Tensor
from .functional import pooling as F
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
           "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "GlobalAvgPool2d", "StochasticPool2d"]


class _MaxPoolNd(Module):
    _fn: Any

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                              self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    r"""1-D max pooling, :func:`~chainrule.nn.functional.max_pool1d`:
    :math:`y[n, c, l] = \max_k x[n, c, s l - p + d k]`.

    Args: as :class:`MaxPool2d`. Shape: input :math:`(N, C, L)` or :math:`(C, L)`; output
    :math:`L_{out} = \lfloor (L + 2p - d(k - 1) - 1) / s \rfloor + 1`.
    """

    _fn = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    r"""2-D max pooling, :func:`~chainrule.nn.functional.max_pool2d`:

    .. math:: y[n, c, i, j] = \max_{a, b} x[n, c, s_h i - p_h + d_h a, s_w j - p_w + d_w b]

    Args:
        kernel_size: window size (int or pair).
        stride: window step (default ``kernel_size``).
        padding: implicit ``-inf`` padding on both sides, at most half the effective kernel size.
        dilation: spacing between window elements.
        return_indices: also return the flat arg-max indices (for ``MaxUnpool2d``).
        ceil_mode: round the output size up instead of down.

    Shape:
        - Input: :math:`(N, C, H, W)` or :math:`(C, H, W)`
        - Output: :math:`(N, C, H_{out}, W_{out})`, :math:`H_{out} = \lfloor (H + 2 p_h - d_h (k_h - 1) - 1) / s_h
          \rfloor + 1`.

    Example::

        >>> m = nn.MaxPool2d(3, stride=2)
        >>> y = m(chainrule.randn(20, 16, 50, 32))
    """

    _fn = staticmethod(F.max_pool2d)


class _AvgPoolNd(Module):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.ceil_mode, self.count_include_pad = padding, ceil_mode, count_include_pad

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    r"""1-D average pooling, :func:`~chainrule.nn.functional.avg_pool1d`:
    :math:`y[n, c, l] = \frac{1}{k} \sum_m x[n, c, s l - p + m]`.

    Args: as :class:`AvgPool2d` (no ``divisor_override``). Shape: input :math:`(N, C, L)` or :math:`(C, L)`.
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        def single(v: Any) -> tuple[int, ...]:  # stored as 1-tuples, as PyTorch (it shows in the repr)
            return tuple(v) if isinstance(v, (list, tuple)) else (v,)

        super().__init__(single(kernel_size), single(stride if stride is not None else kernel_size), single(padding),
                         ceil_mode, count_include_pad)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)


class AvgPool2d(_AvgPoolNd):
    r"""2-D average pooling, :func:`~chainrule.nn.functional.avg_pool2d`:

    .. math:: y[n, c, i, j] = \frac{1}{D} \sum_{a, b} x[n, c, s_h i - p_h + a, s_w j - p_w + b]

    Args:
        kernel_size, stride, padding, ceil_mode: as :class:`MaxPool2d` (zero padding, at most half the kernel).
        count_include_pad: the divisor :math:`D` counts the zero padding.
        divisor_override: a fixed divisor instead.

    Shape:
        - Input: :math:`(N, C, H, W)` or :math:`(C, H, W)`
        - Output: :math:`(N, C, H_{out}, W_{out})`, :math:`H_{out} = \lfloor (H + 2 p_h - k_h) / s_h \rfloor + 1`.

    Example::

        >>> m = nn.AvgPool2d(2)
        >>> y = m(chainrule.randn(1, 3, 8, 8))
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                            self.divisor_override)


class _AdaptivePool(Module):
    _fn: Any

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        if self.return_indices:
            return type(self)._fn(input, self.output_size, True)
        return type(self)._fn(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    r"""1-D adaptive average pooling to a fixed length: output :math:`i` averages the input over
    :math:`[\lfloor i L / L_{out} \rfloor, \lceil (i + 1) L / L_{out} \rceil)`.

    Args: ``output_size`` (int). Shape: :math:`(N, C, L) \to (N, C, L_{out})`.
    """

    _fn = staticmethod(F.adaptive_avg_pool1d)

    def __init__(self, output_size: Any) -> None:
        super().__init__(output_size)


class AdaptiveAvgPool2d(_AdaptivePool):
    r"""2-D adaptive average pooling to a fixed ``output_size`` whatever the input size (the bins of
    :class:`AdaptiveAvgPool1d` along H and W); ``AdaptiveAvgPool2d(1)`` is global average pooling.

    Args: ``output_size``: int, pair, or pair with None to keep that input size.
    Shape: :math:`(N, C, H, W) \to (N, C, H_{out}, W_{out})`.

    Example::

        >>> nn.AdaptiveAvgPool2d((5, 7))(chainrule.randn(1, 64, 8, 9)).shape
        chainrule.Size([1, 64, 5, 7])
    """

    _fn = staticmethod(F.adaptive_avg_pool2d)

    def __init__(self, output_size: Any) -> None:
        super().__init__(output_size)


class AdaptiveMaxPool1d(_AdaptivePool):
    """1-D adaptive max pooling: the maximum over the bins of :class:`AdaptiveAvgPool1d`.

    Args: ``output_size`` (int), ``return_indices``. Shape: :math:`(N, C, L) \\to (N, C, L_{out})`.
    """

    _fn = staticmethod(F.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptivePool):
    r"""2-D adaptive max pooling: the maximum over the bins of :class:`AdaptiveAvgPool2d`.

    Args: ``output_size`` (int, pair, None keeps a size), ``return_indices`` (also return the flat arg-max).
    Shape: :math:`(N, C, H, W) \to (N, C, H_{out}, W_{out})`.
    """

    _fn = staticmethod(F.adaptive_max_pool2d)


class GlobalAvgPool2d(Module):
    r"""Global average pooling (Lin et al., 2014, "Network in Network") straight to a vector:
    :math:`y[n, c] = \frac{1}{HW} \sum_{h, w} x[n, c, h, w]`.

    Not in PyTorch: the same as ``nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())``, which is what a
    PyTorch model writes; it is here because classification heads (GoogLeNet, ResNet, ...) use it everywhere.

    Shape: input :math:`(N, C, H, W)`, output :math:`(N, C)`.

    Example::

        >>> nn.GlobalAvgPool2d()(chainrule.randn(8, 512, 7, 7)).shape
        chainrule.Size([8, 512])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if input.dim() != 4:
            raise RuntimeError(f"GlobalAvgPool2d: expected input of shape (N, C, H, W), got {tuple(input.shape)}")
        return F.adaptive_avg_pool2d(input, 1).flatten(1)


class StochasticPool2d(Module):
    r"""Stochastic pooling (Zeiler & Fergus, 2013), :func:`~chainrule.nn.functional.stochastic_pool2d`: in
    training each window outputs one of its (rectified) activations drawn with probability
    :math:`p_i = a_i / \sum_j a_j`; in evaluation the expectation :math:`\sum_i p_i a_i`. Not in PyTorch.

    Args:
        kernel_size: window size (int or pair).
        stride: window step (default ``kernel_size``).
        generator: the random stream of the draws (the default generator when None).

    Shape: input :math:`(N, C, H, W)` or :math:`(C, H, W)`; output
    :math:`(N, C, \lfloor (H - k_h) / s_h \rfloor + 1, \lfloor (W - k_w) / s_w \rfloor + 1)`.

    Example::

        >>> m = nn.StochasticPool2d(2)
        >>> y = m(chainrule.rand(4, 8, 6, 6))
    """

    def __init__(self, kernel_size: Any, stride: Any = None, generator: Generator | None = None) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.generator = generator

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.stochastic_pool2d(input, self.kernel_size, self.stride, self.training, self.generator)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"
