"""The first models of the curriculum: the perceptron, linear / logistic / softmax regression and the MLP.

All are one builder, :class:`MLP`, with different depths and output activations: a perceptron is a single linear
unit thresholded at zero (trained with the perceptron rule or a surrogate loss), logistic regression is one linear
layer whose logit goes to a sigmoid (inside ``BCEWithLogitsLoss``), softmax regression one linear layer to ``C``
logits (inside ``CrossEntropyLoss``).
"""

from __future__ import annotations

from typing import Sequence

from .. import nn
from ..autograd import no_grad
from ..tensor import Tensor
from ._registry import register_model

__all__ = ["MLP", "Perceptron", "mlp", "perceptron", "linear_regression", "logistic_regression",
           "softmax_regression"]

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU, "elu": nn.ELU,
                "leaky_relu": nn.LeakyReLU, "silu": nn.SiLU}


class MLP(nn.Module):
    """A multilayer perceptron: ``Flatten``, then ``Linear -> activation (-> Dropout)`` per hidden layer, then a
    ``Linear`` to ``num_classes`` outputs (no activation: the loss applies softmax / sigmoid).

    Args:
        in_features: size of the flattened input.
        num_classes: number of outputs.
        hidden: sizes of the hidden layers (empty: a linear model).
        activation: one of ``relu``, ``tanh``, ``sigmoid``, ``gelu``, ``elu``, ``leaky_relu``, ``silu``.
        dropout: dropout probability after each hidden activation (0: none).

    Shape: input ``(N, *)`` with ``prod(*) == in_features``; output ``(N, num_classes)``.
    """

    def __init__(self, in_features: int, num_classes: int, hidden: Sequence[int] = (100, 100),
                 activation: str = "relu", dropout: float = 0.0) -> None:
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(f"MLP: unknown activation {activation!r}; choose from {', '.join(_ACTIVATIONS)}")
        if in_features < 1 or num_classes < 1 or any(h < 1 for h in hidden):
            raise ValueError(f"MLP: layer sizes must be positive, got in_features={in_features}, "
                             f"hidden={list(hidden)}, num_classes={num_classes}")
        layers: list[nn.Module] = [nn.Flatten()]
        width = in_features
        for h in hidden:
            layers += [nn.Linear(width, h), _ACTIVATIONS[activation]()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = h
        layers.append(nn.Linear(width, num_classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)


class Perceptron(nn.Module):
    """Rosenblatt's perceptron: ``y = step(w . x + b)`` with ``step(z) = 1 if z > 0 else 0``.

    ``forward`` returns the pre-activation ``w . x + b`` (so that a surrogate loss can train it by gradient descent);
    :meth:`predict` thresholds it, and :meth:`perceptron_update` applies the classic rule
    ``w <- w + lr (t - y) x``, ``b <- b + lr (t - y)`` for one sample or a batch.

    Shape: input ``(N, in_features)``; output ``(N,)``.
    """

    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x).squeeze(-1)

    def predict(self, x: Tensor) -> Tensor:
        """The thresholded output, 0 or 1, as int64."""
        return (self.forward(x) > 0).long()

    def perceptron_update(self, x: Tensor, target: Tensor, lr: float = 1.0) -> int:
        """One pass of the perceptron rule over the rows of ``x``; returns the number of mistakes it corrected."""
        w, b = self.linear.weight, self.linear.bias
        assert b is not None  # built with bias=True
        mistakes = 0
        with no_grad():
            for xi, ti in zip(x, target):
                err = float(ti) - float(self.predict(xi.unsqueeze(0))[0])
                if err:
                    mistakes += 1
                    w.add_(xi.unsqueeze(0), alpha=lr * err)
                    b.add_(lr * err)
        return mistakes


@register_model
def perceptron(in_features: int = 2) -> Perceptron:
    """A single linear threshold unit (AND and OR are learnable; XOR is not)."""
    return Perceptron(in_features)


@register_model
def linear_regression(in_features: int = 1, out_features: int = 1) -> MLP:
    """``y = W x + b``, trained with ``MSELoss``."""
    return MLP(in_features, out_features, hidden=())


@register_model
def logistic_regression(in_features: int = 40, num_classes: int = 10) -> MLP:
    """One linear layer to class logits: binary (``num_classes=1`` with ``BCEWithLogitsLoss``) or multinomial."""
    return MLP(in_features, num_classes, hidden=())


@register_model
def softmax_regression(in_features: int = 40, num_classes: int = 10) -> MLP:
    """Multinomial logistic regression: one linear layer to ``num_classes`` logits, trained with cross-entropy."""
    return MLP(in_features, num_classes, hidden=())


@register_model
def mlp(in_features: int = 40, num_classes: int = 10, hidden: Sequence[int] = (100, 100), activation: str = "relu",
        dropout: float = 0.0) -> MLP:
    """A multilayer perceptron; the default sizes are the MNIST-1D paper's (two hidden layers of 100 ReLU units)."""
    return MLP(in_features, num_classes, hidden, activation, dropout)
