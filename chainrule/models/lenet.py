"""Small convolutional networks: LeNet-5 (LeCun et al. 1998), the MNIST-1D paper's 1-D CNN and benchmark W2's CNN."""

from __future__ import annotations

from .. import nn
from ..tensor import Tensor
from ._registry import register_model

__all__ = ["LeNet5", "ConvNet1d", "SimpleCNN", "lenet5", "mnist1d_cnn", "simple_cnn"]

_ACT = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}


class LeNet5(nn.Module):
    """LeNet-5 in its common form: C1 conv 5x5 -> 6, S2 pool 2, C3 conv 5x5 -> 16 (dense connections), S4 pool 2,
    C5 linear 400 -> 120, F6 120 -> 84, output 84 -> classes. 61,706 parameters for 10 classes.

    Args:
        num_classes: outputs.
        in_channels: image channels.
        input_size: 32 (the paper) or 28 (MNIST-sized images: C1 pads by 2 so the feature maps are the paper's).
        activation: ``tanh`` (the paper's squashing function), ``relu`` or ``sigmoid``.
        pool: ``avg`` (the paper's subsampling) or ``max``.

    Shape: input ``(N, in_channels, input_size, input_size)``; output ``(N, num_classes)``.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, input_size: int = 32, activation: str = "tanh",
                 pool: str = "avg") -> None:
        super().__init__()
        if input_size not in (28, 32):
            raise ValueError(f"LeNet5: input_size must be 28 or 32, got {input_size}")
        if activation not in _ACT or pool not in ("avg", "max"):
            raise ValueError(f"LeNet5: activation must be one of {list(_ACT)} and pool 'avg' or 'max', got "
                             f"{activation!r}, {pool!r}")
        act, pool_cls = _ACT[activation], nn.AvgPool2d if pool == "avg" else nn.MaxPool2d
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=2 if input_size == 28 else 0), act(), pool_cls(2),
            nn.Conv2d(6, 16, 5), act(), pool_cls(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), act(), nn.Linear(120, 84), act(), nn.Linear(84, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


class ConvNet1d(nn.Module):
    """The MNIST-1D paper's CNN: three 1-D convolutions (kernel 5, 3, 3; stride 2; padding 1; ReLU) of ``channels``
    channels on a length-40 signal (40 -> 19 -> 10 -> 5), then one linear layer from ``channels * 5`` to the classes.

    Shape: input ``(N, 40)`` or ``(N, 1, 40)``; output ``(N, num_classes)``.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, channels: int = 25, length: int = 40) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.features = nn.Sequential(
            nn.Conv1d(in_channels, channels, 5, stride=2, padding=1), nn.ReLU(),
            nn.Conv1d(channels, channels, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv1d(channels, channels, 3, stride=2, padding=1), nn.ReLU(),
        )
        out_len = length
        for k in (5, 3, 3):
            out_len = (out_len + 2 - k) // 2 + 1
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(channels * out_len, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 2 and self.in_channels == 1:
            x = x.unsqueeze(1)
        return self.classifier(self.features(x))


class SimpleCNN(nn.Module):
    """Benchmark W2's CNN for 28x28 images: conv 3x3 -> 32 (pad 1), ReLU, max-pool 2; conv 3x3 -> 64 (pad 1), ReLU,
    max-pool 2; linear 3136 -> 128, ReLU; linear 128 -> classes.

    Shape: input ``(N, in_channels, 28, 28)``; output ``(N, num_classes)``.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(),
                                        nn.Linear(128, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


@register_model
def lenet5(num_classes: int = 10, in_channels: int = 1, input_size: int = 32, activation: str = "tanh",
           pool: str = "avg") -> LeNet5:
    """LeNet-5, common form (dense C3): 61,706 parameters with 10 classes."""
    return LeNet5(num_classes, in_channels, input_size, activation, pool)


@register_model
def mnist1d_cnn(num_classes: int = 10, in_channels: int = 1, channels: int = 25) -> ConvNet1d:
    """The MNIST-1D paper's CNN (the paper reports 94 % on MNIST-1D; its protocol gives 92-95 % by seed)."""
    return ConvNet1d(num_classes, in_channels, channels)


@register_model
def simple_cnn(num_classes: int = 10, in_channels: int = 1) -> SimpleCNN:
    """Benchmark W2's two-convolution CNN for 28x28 images."""
    return SimpleCNN(num_classes, in_channels)
