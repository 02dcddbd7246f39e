"""Input-size guard for the zoo's CNNs: an image too small for a network fails with an error that names the first
layer whose output would be empty (``features.12``), instead of a shape error deep inside an op.

Each convolution and pooling layer gets a forward pre-hook that computes its output size the way PyTorch does,

.. math:: H_{out} = \\lfloor (H + 2p - d(k - 1) - 1) / s \\rfloor + 1

(rounded up with ``ceil_mode``, minus the last window when it would start in the right padding).
"""

from __future__ import annotations

from typing import Any

from ..nn import AvgPool2d, Conv2d, MaxPool2d, Module

__all__ = ["guard_input_size", "out_size"]


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


def guard_input_size(model: Module, name: str, min_size: int) -> None:
    """Register the size guard on every Conv2d / MaxPool2d / AvgPool2d inside ``model`` (``name`` and ``min_size``
    go into the message)."""
    for path, layer in model.named_modules():
        if isinstance(layer, (Conv2d, MaxPool2d, AvgPool2d)):
            layer.register_forward_pre_hook(_SizeGuard(name, path, min_size))
