"""``Linear``: the fully connected (affine) layer."""

from __future__ import annotations

import math
from typing import Any

from ..tensor import Tensor
from ..tensor.creation import empty
from . import init
from .functional.linear import linear
from .module import Module
from .parameter import Parameter

__all__ = ["Linear"]


class Linear(Module):
    r"""Apply an affine map to the last dimension of the input: :math:`y = x W^T + b`.

    Args:
        in_features: size of each input sample (:math:`H_{in}`).
        out_features: size of each output sample (:math:`H_{out}`).
        bias: if False, the layer learns no additive bias. Default: True.
        device: only the CPU is supported.
        dtype: the parameters' dtype (the default dtype when None).

    Shape:
        - Input: :math:`(*, H_{in})`, where :math:`*` is any number of dimensions, including none.
        - Output: :math:`(*, H_{out})`, the input's leading dimensions followed by :math:`H_{out}`.

    Attributes:
        weight: the learnable weight of shape :math:`(H_{out}, H_{in})`, initialised as PyTorch does from
            :math:`\mathcal{U}(-\sqrt{k}, \sqrt{k})` with :math:`k = 1 / H_{in}` (``kaiming_uniform_`` with
            :math:`a = \sqrt{5}`).
        bias: the learnable bias of shape :math:`(H_{out})`, from :math:`\mathcal{U}(-\sqrt{k}, \sqrt{k})`.

    Example::

        >>> m = nn.Linear(20, 30)
        >>> m(chainrule.randn(128, 20)).shape
        chainrule.Size([128, 30])
    """

    in_features: int
    out_features: int
    weight: Parameter
    bias: Parameter | None

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if in_features < 0 or out_features < 0:
            raise ValueError(f"Linear: in_features and out_features must be non-negative, got in_features="
                             f"{in_features}, out_features={out_features}")
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in_features), dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Initialise as PyTorch: ``kaiming_uniform_(weight, a=sqrt(5))``, i.e. U(-1/sqrt(in), 1/sqrt(in)), and the
        bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        if isinstance(input, Tensor) and input._data.shape[-1:] != (self.in_features,):
            raise RuntimeError(f"{self._get_name()}({self.extra_repr()}): expected input with last dimension "
                               f"{self.in_features}, got shape {tuple(input._data.shape)}")
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
