"""Activation functions, as ``torch.nn.functional``: elementwise non-linearities and softmax.

sigmoid, tanh and relu are the tensor's own primitives, prelu is composed from ``where``; the rest are fused
primitives in :mod:`chainrule.ops.activation` (one node each, and no overflow in a branch that is thrown away).
Every activation works elementwise, so each takes an input of any shape ``(*)`` and returns that shape.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

from ...ops import activation as A
from ...tensor import Tensor
from ...tensor.functions import where

__all__ = ["sigmoid", "tanh", "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "prelu", "elu", "elu_", "selu",
           "gelu", "silu", "softplus", "hardtanh", "hardtanh_", "softmax", "log_softmax"]

# SELU's constants (Klambauer et al. 2017), to PyTorch's precision
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _fused(input: Tensor, name: str, inplace: bool, fn: Callable[[Tensor], Tensor]) -> Tensor:  # noqa: A002
    """``fn(input)``, or written into ``input`` with ``inplace`` (recorded as an in-place update when on the graph)."""
    input._require_float(name)
    if inplace:
        return input._inplace(name + "_", fn)
    return fn(input)


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    r"""Logistic sigmoid, :math:`\sigma(x) = 1 / (1 + e^{-x})`, stable for large :math:`|x|`.

    Shape: input :math:`(*)`, output the same.
    """
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    r"""Hyperbolic tangent, :math:`\tanh(x) = (e^x - e^{-x}) / (e^x + e^{-x})`.

    Shape: input :math:`(*)`, output the same.
    """
    return input.tanh()


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    r""":math:`\text{ReLU}(x) = \max(0, x)`; the derivative at 0 is 0, as in PyTorch.

    Args:
        input: any shape :math:`(*)`.
        inplace: overwrite ``input`` and return it.

    Example::

        >>> F.relu(chainrule.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """
    return input.relu_() if inplace else input.relu()


def relu_(input: Tensor) -> Tensor:  # noqa: A002
    """In-place :func:`relu`."""
    return relu(input, inplace=True)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    r""":math:`\text{HardTanh}(x) = \min(\max(x, \text{min\_val}), \text{max\_val})`.

    Unlike :meth:`Tensor.clamp`, the derivative is 0 at the bounds themselves (PyTorch's hardtanh).

    Args:
        input: any shape :math:`(*)`.
        min_val, max_val: the bounds of the linear region.
        inplace: overwrite ``input`` and return it.
    """
    if min_val > max_val:
        raise ValueError(f"min_val cannot be greater than max_val, got min_val={min_val}, max_val={max_val}")
    fn = lambda t: A.Hardtanh.apply(t, min_val, max_val)  # noqa: E731
    if inplace:
        return input._inplace("hardtanh_", fn)
    return fn(input)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:  # noqa: A002
    """In-place :func:`hardtanh`."""
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    r""":math:`\text{ReLU6}(x) = \min(\max(0, x), 6)`: :func:`hardtanh` on [0, 6], so the derivative is 0 at 0 and 6.

    Shape: input :math:`(*)`, output the same.
    """
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    r""":math:`\text{LeakyReLU}(x) = x` for :math:`x > 0`, else :math:`\text{negative\_slope} \cdot x`.

    The derivative at 0 is ``negative_slope``, as in PyTorch.

    Args:
        input: any shape :math:`(*)`.
        negative_slope: the slope for negative inputs.
        inplace: overwrite ``input`` and return it.
    """
    return _fused(input, "leaky_relu", inplace, lambda t: A.LeakyRelu.apply(t, slope=negative_slope))


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    """In-place :func:`leaky_relu`."""
    return leaky_relu(input, negative_slope, inplace=True)


def prelu(input: Tensor, weight: Tensor) -> Tensor:  # noqa: A002
    r""":math:`\text{PReLU}(x) = \max(0, x) + a \min(0, x)` with a learnable slope :math:`a` per channel (or one).

    Args:
        input: :math:`(N, C, *)`, or any shape when ``weight`` has one element.
        weight: the slopes, of shape :math:`(1,)` or :math:`(C,)` (channels on dim 1).

    Shape: output as input.
    """
    n = weight.numel()
    if n != 1:
        c = input.shape[1] if input.dim() > 1 else 1
        if c != n:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = {n} "
                               f"and channel size = {c}.")
        w = weight.reshape((n,) + (1,) * (input.dim() - 2))
    else:
        w = weight.reshape(())
    # NOTE: at x == 0 the negative branch is taken, so the input's derivative there is the slope, as PyTorch's
    return where(input > 0, input, w * input)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    r""":math:`\text{ELU}(x) = x` for :math:`x > 0`, else :math:`\alpha (e^x - 1)`.

    Args:
        input: any shape :math:`(*)`.
        alpha: the negative saturation value.
        inplace: overwrite ``input`` and return it.
    """
    return _fused(input, "elu", inplace, lambda t: A.Elu.apply(t, alpha=alpha))


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """In-place :func:`elu`."""
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    r""":math:`\text{SELU}(x) = \lambda x` for :math:`x > 0`, else :math:`\lambda \alpha (e^x - 1)`, with
    :math:`\alpha \approx 1.6733` and :math:`\lambda \approx 1.0507` (self-normalising networks).

    Shape: input :math:`(*)`, output the same.
    """
    return _fused(input, "selu", inplace, lambda t: A.Elu.apply(t, alpha=_SELU_ALPHA, scale=_SELU_SCALE))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    r""":math:`\text{GELU}(x) = x \Phi(x) = \frac{x}{2} (1 + \text{erf}(x / \sqrt 2))`.

    With ``approximate='tanh'``: :math:`\frac{x}{2} (1 + \tanh(\sqrt{2/\pi} (x + 0.044715 x^3)))`.

    Args:
        input: any shape :math:`(*)`.
        approximate: ``'none'`` (the exact form) or ``'tanh'``.
    """
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    return _fused(input, "gelu", False, lambda t: A.Gelu.apply(t, approximate=approximate))


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    r""":math:`\text{SiLU}(x) = x \sigma(x)` (also called swish).

    Shape: input :math:`(*)`, output the same.
    """
    return _fused(input, "silu", inplace, A.Silu.apply)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    r""":math:`\text{Softplus}(x) = \frac{1}{\beta} \log(1 + e^{\beta x})`, and :math:`x` where
    :math:`\beta x > \text{threshold}` (where the two agree to rounding).

    Args:
        input: any shape :math:`(*)`.
        beta: the sharpness.
        threshold: above it the function is linear.
    """
    return _fused(input, "softplus", False, lambda t: A.Softplus.apply(t, beta=beta, threshold=threshold))


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an "
                  "argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    r""":math:`\text{Softmax}(x)_i = e^{x_i} / \sum_j e^{x_j}` along ``dim`` (shifted by the max: no overflow).

    Args:
        input: any shape.
        dim: the dimension whose slices sum to 1.
        dtype: cast the input to this type first (e.g. to compute in float64).

    Shape: output as input.
    """
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    return input.softmax(dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    r""":math:`\text{LogSoftmax}(x)_i = x_i - \log \sum_j e^{x_j}` along ``dim``, stable for any magnitude.

    Args:
        input: any shape.
        dim: the dimension to normalise over.
        dtype: cast the input to this type first.

    Shape: output as input.
    """
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    return input.log_softmax(dim, dtype=dtype)
