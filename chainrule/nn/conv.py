"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose1d``, ``ConvTranspose2d`` on one ``_ConvNd`` base that
owns the hyperparameters, the parameters (PyTorch's names and shapes, so state_dicts match) and their initialisation;
the math is in ``nn.functional.conv``."""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..backend import check_device
from ..tensor import Tensor
from ..tensor.creation import empty
from . import init
from .functional import conv as F
from .module import Module
from .parameter import Parameter

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]

IntOrSeq = int | Sequence[int]
_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(value: IntOrSeq, n: int) -> tuple[int, ...]:
    return (int(value),) * n if isinstance(value, int) else tuple(int(v) for v in value)


class _ConvNd(Module):
    """State shared by the (transposed) convolutions; subclasses set ``_nsp`` (spatial dims) and ``_transposed``."""

    _nsp = 2
    _transposed = False
    __constants__ = ["stride", "padding", "dilation", "groups", "padding_mode", "output_padding", "in_channels",
                     "out_channels", "kernel_size"]

    weight: Parameter
    bias: Parameter | None

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrSeq, stride: IntOrSeq = 1,
                 padding: str | IntOrSeq = 0, dilation: IntOrSeq = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None,
                 output_padding: IntOrSeq = 0) -> None:
        name, n = type(self).__name__, self._nsp
        check_device(device, name)
        super().__init__()
        if groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got groups={groups}")
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels must be divisible by groups, got in_channels={in_channels}, "
                             f"groups={groups}")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels must be divisible by groups, got out_channels={out_channels}, "
                             f"groups={groups}")
        self.kernel_size, self.stride = _ntuple(kernel_size, n), _ntuple(stride, n)
        self.dilation, self.output_padding = _ntuple(dilation, n), _ntuple(output_padding, n)
        if any(v <= 0 for v in self.stride):
            raise ValueError(f"{name}: stride must be positive, got stride={self.stride}")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided convolutions, got "
                                 f"stride={self.stride}")
            if self._transposed:
                raise ValueError(f"{name}: padding must be an int or a tuple, got {padding!r}")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}")
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {name}, got {padding_mode!r}')
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.padding: str | tuple[int, ...] = padding if isinstance(padding, str) else _ntuple(padding, n)
        self.padding_mode, self.transposed = padding_mode, self._transposed
        # F.pad-style (left, right, top, bottom) amounts for the non-zero padding modes; 'same' may be asymmetric
        if padding == "same":
            tot = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
            self._reversed_padding_repeated_twice = tuple(v for t in reversed(tot) for v in (t // 2, t - t // 2))
        else:
            pads = self.padding if isinstance(self.padding, tuple) else (0,) * n  # 'valid': none
            self._reversed_padding_repeated_twice = tuple(p for p in reversed(pads) for _ in range(2))
        shape = (in_channels, out_channels // groups) if self._transposed else (out_channels, in_channels // groups)
        self.weight = Parameter(empty(shape + self.kernel_size, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Initialise as PyTorch: ``kaiming_uniform_(weight, a=sqrt(5))``, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        with ``fan_in = weight.shape[1] * prod(kernel_size)``, and the bias from the same interval."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _check_input(self, input: Tensor) -> None:  # noqa: A002
        """Rank and channels, in a message naming the layer (the functional op checks the rest)."""
        if not isinstance(input, Tensor):
            raise TypeError(f"{self._get_name()}: expected a Tensor input, got {type(input).__name__}")
        shape, n = tuple(input.shape), self._nsp
        if len(shape) not in (n + 1, n + 2) or shape[-n - 1] != self.in_channels:
            sp = "H, W" if n == 2 else "L"
            raise RuntimeError(f"{self._get_name()}({self.extra_repr()}): expected input of shape (N, "
                               f"{self.in_channels}, {sp}) or ({self.in_channels}, {sp}), got {shape}")

    def extra_repr(self) -> str:
        n = self._nsp
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    """``forward`` of Conv1d/Conv2d: pad by the padding mode if not zeros, then one fused convolution."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrSeq, stride: IntOrSeq = 1,
                 padding: str | IntOrSeq = 0, dilation: IntOrSeq = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        self._check_input(input)
        conv = F.conv2d if self._nsp == 2 else F.conv1d
        if self.padding_mode != "zeros":
            padded = F.conv_pad(input, self._reversed_padding_repeated_twice, self.padding_mode)
            return conv(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return conv(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv1d(_Conv):
    r"""1-D convolution (cross-correlation) over a signal of ``in_channels`` channels, as ``torch.nn.Conv1d``.

    .. math:: y[n, o, l] = b[o] + \sum_{c, i} W[o, c, i]\, x_{pad}[n, g(o) \cdot C_{in}/G + c, s\,l + d\,i]

    Args:
        in_channels, out_channels: channels of the input and the output.
        kernel_size: the filter length. stride: step between windows. dilation: spacing between taps (atrous).
        padding: an int, a 1-tuple, ``'valid'`` or ``'same'`` (stride 1 only).
        groups: independent channel blocks (``groups == in_channels``: depthwise). bias: learn an additive bias.
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.

    Shape:
        - Input: :math:`(N, C_{in}, L)` or :math:`(C_{in}, L)`
        - Output: :math:`(N, C_{out}, L_{out})`, :math:`L_{out} = \lfloor (L + 2p - d(k - 1) - 1) / s \rfloor + 1`

    Attributes:
        weight: :math:`(C_{out}, C_{in}/G, k)`, from :math:`\mathcal{U}(-\sqrt{u}, \sqrt{u})`,
            :math:`u = G / (C_{in} k)`. bias: :math:`(C_{out})`, from the same interval.

    Example::

        >>> nn.Conv1d(16, 33, 3, stride=2)(chainrule.randn(20, 16, 50)).shape
        chainrule.Size([20, 33, 24])
    """

    _nsp = 1


class Conv2d(_Conv):
    r"""2-D convolution (cross-correlation) over an image of ``in_channels`` channels, as ``torch.nn.Conv2d``.

    .. math:: y[n, o, p, q] = b[o] + \sum_{c, i, j} W[o, c, i, j]\, x_{pad}[n, g(o) \cdot C_{in}/G + c,
              s_h p + d_h i, s_w q + d_w j]

    Args:
        in_channels, out_channels: channels of the input and the output.
        kernel_size: int or (kh, kw). stride: step between windows. dilation: spacing between taps (atrous).
        padding: an int, an (h, w) tuple, ``'valid'`` or ``'same'`` (stride 1 only).
        groups: independent channel blocks (``groups == in_channels``: depthwise). bias: learn an additive bias.
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.

    Shape:
        - Input: :math:`(N, C_{in}, H, W)` or :math:`(C_{in}, H, W)`
        - Output: :math:`(N, C_{out}, H_{out}, W_{out})`,
          :math:`H_{out} = \lfloor (H + 2p - d(k - 1) - 1) / s \rfloor + 1` (the same for W)

    Attributes:
        weight: :math:`(C_{out}, C_{in}/G, k_h, k_w)`, from :math:`\mathcal{U}(-\sqrt{u}, \sqrt{u})`,
            :math:`u = G / (C_{in} k_h k_w)` (``kaiming_uniform_`` with :math:`a = \sqrt{5}`).
            bias: :math:`(C_{out})`, from the same interval.

    Example::

        >>> nn.Conv2d(1, 32, 3, padding=1)(chainrule.randn(64, 1, 28, 28)).shape
        chainrule.Size([64, 32, 28, 28])
    """

    _nsp = 2


class _ConvTranspose(_ConvNd):
    """``forward`` of ConvTranspose1d/2d, with PyTorch's optional ``output_size``."""

    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrSeq, stride: IntOrSeq = 1,
                 padding: IntOrSeq = 0, output_padding: IntOrSeq = 0, groups: int = 1, bias: bool = True,
                 dilation: IntOrSeq = 1, padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype, output_padding=output_padding)

    def _output_padding(self, input: Tensor, output_size: Sequence[int] | None) -> tuple[int, ...]:  # noqa: A002
        """The output_padding that yields ``output_size`` (with or without the batch/channel dims), as PyTorch."""
        if output_size is None:
            return tuple(self.output_padding)
        n = self._nsp
        size = [int(v) for v in output_size]
        lead = input.ndim - n
        if len(size) == lead + n:
            size = size[lead:]
        if len(size) != n:
            raise ValueError(f"{self._get_name()}: for {input.ndim}D input, output_size must have {n} or {lead + n} "
                             f"elements (got {len(output_size)})")
        pads = self.padding if isinstance(self.padding, tuple) else (0,) * n
        spatial = tuple(input.shape[-n:])
        lo = [(x - 1) * s - 2 * p + d * (k - 1) + 1
              for x, s, p, d, k in zip(spatial, self.stride, pads, self.dilation, self.kernel_size)]
        hi = [m + s - 1 for m, s in zip(lo, self.stride)]
        if any(not a <= v <= b for v, a, b in zip(size, lo, hi)):
            raise ValueError(f"{self._get_name()}: requested an output size of {size}, but valid sizes range from "
                             f"{lo} to {hi} (for an input of {list(spatial)})")
        return tuple(v - a for v, a in zip(size, lo))

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None) -> Tensor:  # noqa: A002
        self._check_input(input)
        op = self._output_padding(input, output_size)
        conv = F.conv_transpose2d if self._nsp == 2 else F.conv_transpose1d
        pads = self.padding if isinstance(self.padding, tuple) else 0
        return conv(input, self.weight, self.bias, self.stride, pads, op, self.groups, self.dilation)


class ConvTranspose1d(_ConvTranspose):
    r"""1-D transposed convolution ("deconvolution"), as ``torch.nn.ConvTranspose1d``: the gradient of a Conv1d
    w.r.t. its input, used as a layer.

    Args:
        in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias: as Conv1d (``padding``
            crops the output). output_padding: extra length at the end (< stride or dilation).

    Shape:
        - Input: :math:`(N, C_{in}, L)` or :math:`(C_{in}, L)`
        - Output: :math:`(N, C_{out}, L_{out})`, :math:`L_{out} = (L - 1) s - 2p + d(k - 1) + op + 1`

    Attributes:
        weight: :math:`(C_{in}, C_{out}/G, k)`; bias: :math:`(C_{out})`; both from
            :math:`\mathcal{U}(-\sqrt{u}, \sqrt{u})`, :math:`u = G / (C_{out} k)`.

    Example::

        >>> nn.ConvTranspose1d(4, 2, 2, stride=2)(chainrule.randn(3, 4, 5)).shape
        chainrule.Size([3, 2, 10])
    """

    _nsp = 1


class ConvTranspose2d(_ConvTranspose):
    r"""2-D transposed convolution ("deconvolution", the learned upsampling of FCN/U-Net), as
    ``torch.nn.ConvTranspose2d``: the gradient of a Conv2d w.r.t. its input, used as a layer.

    .. math:: H_{out} = (H - 1) s - 2p + d(k - 1) + op + 1

    Args:
        in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias: as Conv2d (``padding``
            crops the output). output_padding: extra rows/columns at the bottom/right (< stride or dilation).
        ``forward(input, output_size=None)``: ``output_size`` picks the output_padding that gives that size.

    Shape:
        - Input: :math:`(N, C_{in}, H, W)` or :math:`(C_{in}, H, W)`
        - Output: :math:`(N, C_{out}, H_{out}, W_{out})`

    Attributes:
        weight: :math:`(C_{in}, C_{out}/G, k_h, k_w)`; bias: :math:`(C_{out})`; both from
            :math:`\mathcal{U}(-\sqrt{u}, \sqrt{u})`, :math:`u = G / (C_{out} k_h k_w)`.

    Example::

        >>> nn.ConvTranspose2d(16, 8, 2, stride=2)(chainrule.randn(1, 16, 7, 7)).shape
        chainrule.Size([1, 8, 14, 14])
    """

    _nsp = 2
