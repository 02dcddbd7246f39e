"""Building blocks and input checks shared by the zoo's CNN families, in one place:

- ``BasicConv2d`` and ``conv_bn_act``: convolution -> batch norm -> activation units (GoogLeNet / Inception, and the
  mobile CNNs in torchvision's ``Conv2dNormActivation`` layout); ``init_cnn_``: torchvision's init of those CNNs.
- ``guard_input_size``: forward pre-hooks on every convolution and pooling layer, so that an image too small for a
  network fails naming the first layer whose output would be empty (``features.12``), instead of a shape error deep
  inside an op. Each layer's output size is computed the way PyTorch does,

  .. math:: H_{out} = \\lfloor (H + 2p - d(k - 1) - 1) / s \\rfloor + 1

  (rounded up with ``ceil_mode``, minus the last window when it would start in the right padding).
- ``check_image_input``: the same question answered up front from a list of strided layers (mobile CNNs, vision
  Transformers), together with the ``(N, C, H, W)`` / channel check.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from .. import nn
from ..nn import AvgPool2d, Conv2d, MaxPool2d, Module
from ..tensor import Tensor

__all__ = ["BasicConv2d", "conv_bn_act", "init_cnn_", "guard_input_size", "out_size", "check_image_input",
           "Reduction"]

# (layer name, kernel, stride, padding): the spatial reductions a model applies, in order
Reduction = tuple[str, int, int, int]


class BasicConv2d(nn.Module):
    r"""Convolution without bias, BatchNorm2d (eps 0.001), ReLU: torchvision's GoogLeNet / Inception unit,

    .. math:: y = \mathrm{ReLU}(\mathrm{BN}(W * x))

    Args:
        in_channels, out_channels: channels. kernel_size, stride, padding: of the convolution (ints or (h, w) pairs,
            e.g. Inception v3's factorised ``(1, 7)`` kernels with ``(0, 3)`` padding).

    Shape: ``(N, in_channels, H, W)`` -> ``(N, out_channels, H_out, W_out)``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int], stride: int = 1,
                 padding: int | tuple[int, int] = 0) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)
        self.relu = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        return self.relu(self.bn(self.conv(x)))


def conv_bn_act(in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1, groups: int = 1,
                activation: Callable[[], nn.Module] | None = nn.ReLU, bn_momentum: float = 0.1) -> nn.Sequential:
    """``Conv2d`` (no bias, 'same'-style padding ``k // 2``) -> ``BatchNorm2d`` -> activation, as one Sequential
    (torchvision's ``Conv2dNormActivation``: keys ``0.weight``, ``1.weight``, ...)."""
    layers: list[nn.Module] = [nn.Conv2d(in_channels, out_channels, kernel_size, stride, (kernel_size - 1) // 2,
                                         groups=groups, bias=False),
                               nn.BatchNorm2d(out_channels, momentum=bn_momentum)]
    if activation is not None:
        layers.append(activation())
    return nn.Sequential(*layers)


def init_cnn_(model: nn.Module, linear_std: float | None = 0.01) -> None:
    """torchvision's initialisation of its mobile CNNs: Kaiming-normal (fan-out) convolutions, zero biases, unit/zero
    batch norm, and N(0, ``linear_std``) linear weights (``None`` keeps the Linear default)."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear) and linear_std is not None:
            nn.init.normal_(m.weight, 0.0, linear_std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def _at(v: Any, axis: int) -> int:
    return int(v[axis]) if isinstance(v, (tuple, list)) else int(v)


def out_size(layer: Module, n: int, axis: int = 0) -> int:
    """The length along spatial ``axis`` (0: H, 1: W) of ``layer``'s output for an input of length ``n``; <= 0 when
    the output would be empty (the kernel does not fit in the padded input)."""
    pad = getattr(layer, "padding", 0)
    if isinstance(pad, str):  # 'same' keeps the size; 'valid' is no padding
        if pad == "same":
            return n
        pad = 0
    k, s, p = _at(layer.kernel_size, axis), _at(layer.stride, axis), _at(pad, axis)
    d = _at(getattr(layer, "dilation", 1), axis)
    span = n + 2 * p - d * (k - 1) - 1
    if span < 0:
        return 0
    if not getattr(layer, "ceil_mode", False):
        return span // s + 1
    out = -(-span // s) + 1
    # NOTE: PyTorch drops the last window when it would start inside the right padding.
    return out - 1 if (out - 1) * s >= n + p else out


class _SizeGuard:
    """A forward pre-hook: raise if ``layer`` would produce an empty output (a callable object, not a closure, so
    models stay deep-copyable and readable in ``repr``)."""

    def __init__(self, model: str, path: str, min_size: int) -> None:
        self.model, self.path, self.min_size = model, path, min_size

    def __call__(self, layer: Module, args: tuple[Any, ...]) -> None:
        shape = tuple(args[0].shape)
        if len(shape) < 3:
            return  # the layer's own rank check reports this
        h, w = shape[-2], shape[-1]
        oh, ow = out_size(layer, h, 0), out_size(layer, w, 1)
        if oh <= 0 or ow <= 0:
            raise RuntimeError(f"{self.model}: input too small: layer '{self.path}' ({type(layer).__name__}) gets a "
                               f"{h}x{w} feature map and its output would be empty ({max(oh, 0)}x{max(ow, 0)}); "
                               f"the smallest input this model takes is {self.min_size}x{self.min_size}")


def guard_input_size(model: Module, name: str, min_size: int, prefix: str = "") -> None:
    """Register the size guard on every Conv2d / MaxPool2d / AvgPool2d inside ``model`` (``name`` and ``min_size``
    go into the message; ``prefix`` is ``model``'s own path when it is a submodule, so the message names the layer by
    its full path). Hooks run in registration order, so a guard registered first on a submodule speaks for it."""
    for path, layer in model.named_modules(prefix=prefix):
        if isinstance(layer, (Conv2d, MaxPool2d, AvgPool2d)):
            layer.register_forward_pre_hook(_SizeGuard(name, path, min_size))


def check_image_input(model: str, x: Tensor, in_channels: int, reductions: Sequence[Reduction] = ()) -> None:
    """Raise a message naming ``model`` (and the layer) unless ``x`` is ``(N, in_channels, H, W)`` and large enough.

    .. math:: s_{out} = \\lfloor (s_{in} + 2p - k) / s \\rfloor + 1 \\ge 1 \\quad \\text{at every reduction}

    Args:
        model: the model's name, for the message. x: the input. in_channels: the channels the model expects.
        reductions: ``(layer name, kernel, stride, padding)`` of each strided layer in order; the first one whose
            (padded) input is smaller than its kernel is named in the error.
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"{model}: expected a Tensor input, got {type(x).__name__}")
    shape = tuple(x.shape)
    if len(shape) != 4 or shape[1] != in_channels:
        raise RuntimeError(f"{model}: expected input of shape (N, {in_channels}, H, W), got {shape}")
    size = list(shape[2:])
    for name, k, s, p in reductions:
        if min(size) + 2 * p < k:
            raise RuntimeError(f"{model}: input of spatial size {shape[2]}x{shape[3]} is too small: layer {name} "
                               f"(kernel {k}, stride {s}, padding {p}) gets a {size[0]}x{size[1]} feature map")
        size = [(d + 2 * p - k) // s + 1 for d in size]


def _reductions(model: nn.Module) -> list[Reduction]:
    """The strided convolutions of ``model`` (named by their path), for ``check_image_input``."""
    out: list[Reduction] = []
    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d) and max(m.stride) > 1:
            out.append((name, m.kernel_size[0], m.stride[0], int(m.padding[0])))  # type: ignore[arg-type]
    return out
