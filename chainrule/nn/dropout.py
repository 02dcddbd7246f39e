"""The Dropout layers: :func:`chainrule.nn.functional.dropout` (elements) and ``dropout2d`` (whole channels) in
training mode, the identity in evaluation."""

from __future__ import annotations

from ..tensor import Tensor
from .functional.dropout import _check_p, dropout, dropout2d
from .module import Module

__all__ = ["Dropout", "Dropout2d"]


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


class Dropout2d(Dropout):
    r"""During training, zero each whole channel :math:`x[n, c]` with probability ``p`` and scale the others by
    :math:`1/(1-p)` (:func:`~chainrule.nn.functional.dropout2d`); in evaluation pass the input through unchanged.

    Args:
        p: the probability of zeroing a channel, in [0, 1].
        inplace: overwrite the input.

    Shape: input :math:`(N, C, H, W)` (or :math:`(N, C, L)`, as PyTorch), output the same.

    Example::

        >>> m = nn.Dropout2d(p=0.2)
        >>> y = m(chainrule.randn(20, 16, 32, 32))
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return dropout2d(input, self.p, self.training, self.inplace)
