"""The Dropout layer: :func:`chainrule.nn.functional.dropout` in training mode, the identity in evaluation."""

from __future__ import annotations

from ..tensor import Tensor
from .functional.dropout import _check_p, dropout
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    r"""During training, zero each element with probability ``p`` and scale the others by :math:`1/(1-p)`; in
    evaluation (``model.eval()``) pass the input through unchanged.

    Args:
        p: the probability of zeroing an element, in [0, 1].
        inplace: overwrite the input.

    Shape: input :math:`(*)`, output the same.

    Example::

        >>> m = nn.Dropout(p=0.2)
        >>> y = m(chainrule.randn(20, 16))
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        _check_p(p)
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
