"""Activation layers: thin modules over :mod:`chainrule.nn.functional.activation`, with PyTorch's names, defaults
and ``repr``. Every one acts elementwise (softmax along ``dim``): input :math:`(*)`, output the same shape."""

from __future__ import annotations

from typing import Any

from .. import dtypes
from ..backend import check_device
from ..tensor import Tensor
from ..tensor.creation import full
from .functional import activation as F
from .module import Module
from .parameter import Parameter

__all__ = ["Sigmoid", "Tanh", "ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "SiLU", "Softplus",
           "Hardtanh", "Softmax", "LogSoftmax"]


class _Inplace(Module):
    """An activation whose only setting is ``inplace``, shown in the repr only when set (as PyTorch)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    r""":math:`\sigma(x) = 1 / (1 + e^{-x})`; see :func:`~chainrule.nn.functional.sigmoid`.

    Shape: input :math:`(*)`, output the same.

    Example::

        >>> nn.Sigmoid()(chainrule.zeros(2))
        tensor([0.5000, 0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.sigmoid(input)


class Tanh(Module):
    r""":math:`\tanh(x)`; see :func:`~chainrule.nn.functional.tanh`. Shape: input :math:`(*)`, output the same."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.tanh(input)


class ReLU(_Inplace):
    r""":math:`\max(0, x)`; see :func:`~chainrule.nn.functional.relu`.

    Args:
        inplace: overwrite the input.

    Shape: input :math:`(*)`, output the same.
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.relu(input, self.inplace)


class Hardtanh(Module):
    r""":math:`\min(\max(x, \text{min\_val}), \text{max\_val})`; see :func:`~chainrule.nn.functional.hardtanh`.

    Args:
        min_val, max_val: the bounds of the linear region.
        inplace: overwrite the input.

    Shape: input :math:`(*)`, output the same.
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if max_val <= min_val:
            raise ValueError(f"Hardtanh: max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class ReLU6(Hardtanh):
    r""":math:`\min(\max(0, x), 6)`; see :func:`~chainrule.nn.functional.relu6`.

    Args:
        inplace: overwrite the input.

    Shape: input :math:`(*)`, output the same.
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    r""":math:`x` for :math:`x > 0`, else :math:`\text{negative\_slope} \cdot x`.

    Args:
        negative_slope: the slope for negative inputs.
        inplace: overwrite the input.

    Shape: input :math:`(*)`, output the same.

    Example::

        >>> nn.LeakyReLU(0.1)(chainrule.tensor([-2.0, 3.0]))
        tensor([-0.2000,  3.0000])
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    r""":math:`\max(0, x) + a \min(0, x)` with a learnable slope :math:`a`, shared or one per channel (dim 1).

    Args:
        num_parameters: 1, or the number of channels :math:`C`.
        init: the initial slope.

    Shape: input :math:`(N, C, *)` (any shape when ``num_parameters=1``), output the same.

    Attributes:
        weight: the slopes, shape ``(num_parameters,)``.
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None, dtype: Any = None) -> None:
        check_device(device, "PReLU")
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(full((num_parameters,), init, dtype=dtype or dtypes.get_default_dtype()))

    def reset_parameters(self) -> None:
        self.weight._data[...] = self.init

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    r""":math:`x` for :math:`x > 0`, else :math:`\alpha (e^x - 1)`; see :func:`~chainrule.nn.functional.elu`.

    Args:
        alpha: the negative saturation value.
        inplace: overwrite the input.

    Shape: input :math:`(*)`, output the same.
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class SELU(_Inplace):
    r""":math:`\lambda x` for :math:`x > 0`, else :math:`\lambda \alpha (e^x - 1)`, the self-normalising constants;
    see :func:`~chainrule.nn.functional.selu`.

    Args:
        inplace: overwrite the input.

    Shape: input :math:`(*)`, output the same.
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.selu(input, self.inplace)


class GELU(Module):
    r""":math:`x \Phi(x)`, or its tanh approximation; see :func:`~chainrule.nn.functional.gelu`.

    Args:
        approximate: ``'none'`` or ``'tanh'``.

    Shape: input :math:`(*)`, output the same.
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(_Inplace):
    r""":math:`x \sigma(x)`; see :func:`~chainrule.nn.functional.silu`.

    Args:
        inplace: overwrite the input.

    Shape: input :math:`(*)`, output the same.
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.silu(input, self.inplace)


class Softplus(Module):
    r""":math:`\frac{1}{\beta} \log(1 + e^{\beta x})`, linear where :math:`\beta x > \text{threshold}`.

    Args:
        beta: the sharpness.
        threshold: above it the function is linear.

    Shape: input :math:`(*)`, output the same.
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    r""":math:`e^{x_i} / \sum_j e^{x_j}` along ``dim``: every slice along ``dim`` becomes a distribution.

    Args:
        dim: the dimension that sums to 1.

    Shape: input :math:`(*)`, output the same.

    Example::

        >>> nn.Softmax(dim=1)(chainrule.zeros(1, 4))
        tensor([[0.2500, 0.2500, 0.2500, 0.2500]])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    r""":math:`x_i - \log \sum_j e^{x_j}` along ``dim``.

    Args:
        dim: the dimension to normalise over.

    Shape: input :math:`(*)`, output the same.
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.log_softmax(input, self.dim, _stacklevel=5)
