"""Convolutional workloads: W2 of DESIGN.md as training and inference steps, and its conv layers on their own.

W2: conv 1->32 3x3 pad 1, ReLU, max-pool 2; conv 32->64 3x3 pad 1, ReLU, max-pool 2; linear 3136->128, ReLU;
linear 128->10; cross-entropy, Adam, batch 64, float32.

Both frameworks start from the same weights (drawn as PyTorch's defaults for Conv2d and Linear: U(-1/sqrt(fan_in),
1/sqrt(fan_in))) and see the same batches, so the agreement check compares the loss and the weight gradient of the
first Linear (it depends on every activation before it) of the first step. The layer cases time one ``conv2d``
forward and backward (input, weight and bias gradients) at the shapes W2 and a ResNet-style stage use.

NOTE: the convolutions' gradients are not compared inside W2: a max-pool routes each gradient to one arg-max, and a
last-bit difference in a convolution's output (chainrule and torch sum the 288 products in different orders) moves
some of them to a near-tied neighbour -- a ~0.2 % change of the first conv's weight gradient, measured, that is not
an error. The ``conv_*`` cases and the parity tests check the convolution's gradients without pooling.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from ..registry import Inputs, Step, case
from ._train import train_step

F32 = np.float32
W2_BATCH = 64
N_BATCHES = 4
W2_CONVS = ((1, 32), (32, 64))  # (in, out) channels, 3x3, padding 1
W2_LINEARS = ((64 * 7 * 7, 128), (128, 10))


def _uniform(rng: np.random.Generator, fan_in: int, shape: tuple[int, ...]) -> np.ndarray:
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, shape).astype(F32)


def _cnn_inputs(rng: np.random.Generator) -> Inputs:
    """W2's weights and a few batches of 28x28 one-channel images with labels."""
    x: Inputs = {}
    for i, (c_in, c_out) in enumerate(W2_CONVS):
        x[f"conv{i}.w"] = _uniform(rng, c_in * 9, (c_out, c_in, 3, 3))
        x[f"conv{i}.b"] = _uniform(rng, c_in * 9, (c_out,))
    for i, (n_in, n_out) in enumerate(W2_LINEARS):
        x[f"fc{i}.w"] = _uniform(rng, n_in, (n_out, n_in))
        x[f"fc{i}.b"] = _uniform(rng, n_in, (n_out,))
    x["data"] = rng.standard_normal((N_BATCHES, W2_BATCH, 1, 28, 28), dtype=F32)
    x["labels"] = rng.integers(0, 10, (N_BATCHES, W2_BATCH)).astype(np.int64)
    return x


def _load(lib: ModuleType, layer: Any, w: np.ndarray, b: np.ndarray) -> Any:
    with lib.no_grad():
        layer.weight.copy_(lib.tensor(w))
        layer.bias.copy_(lib.tensor(b))
    return layer


def _cnn(lib: ModuleType, x: Inputs) -> Any:
    nn = lib.nn
    layers: list[Any] = []
    for i, (c_in, c_out) in enumerate(W2_CONVS):
        layers += [_load(lib, nn.Conv2d(c_in, c_out, 3, padding=1), x[f"conv{i}.w"], x[f"conv{i}.b"]),
                   nn.ReLU(), nn.MaxPool2d(2)]
    layers.append(nn.Flatten())
    for i, (n_in, n_out) in enumerate(W2_LINEARS):
        layers += [_load(lib, nn.Linear(n_in, n_out), x[f"fc{i}.w"], x[f"fc{i}.b"]), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


@case("w2_cnn_train", _cnn_inputs, "W2: CNN conv32-pool-conv64-pool-fc128-fc10 training step (fwd, CE, bwd, Adam), "
      "batch 64", unit="samples/s", items=W2_BATCH)
def w2_cnn_train(lib: ModuleType, x: Inputs) -> Step:
    model = _cnn(lib, x)
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    return train_step(lib, model, opt, x, model[7].weight)


@case("w2_cnn_infer", _cnn_inputs, "W2 inference: the CNN's forward under no_grad, batch 64",
      unit="samples/s", items=W2_BATCH)
def w2_cnn_infer(lib: ModuleType, x: Inputs) -> Step:
    model = _cnn(lib, x).eval()
    data = lib.tensor(x["data"][0])

    def step() -> tuple[Any, ...]:
        with lib.no_grad():
            return (model(data),)

    return step


# --- single conv layers: forward + backward ------------------------------------------------------------------------


def _conv_inputs(size: int, c_in: int, c_out: int) -> Any:
    def make(rng: np.random.Generator) -> Inputs:
        return {"x": rng.standard_normal((W2_BATCH, c_in, size, size), dtype=F32),
                "w": _uniform(rng, c_in * 9, (c_out, c_in, 3, 3)), "b": _uniform(rng, c_in * 9, (c_out,)),
                "g": rng.standard_normal((W2_BATCH, c_out, size, size), dtype=F32)}

    return make


def _conv_case(lib: ModuleType, x: Inputs) -> Step:
    """``y = conv2d(x, w, b, padding=1)``, then ``y.backward(g)``: gradients for the input, weight and bias."""
    a, w, b = (lib.tensor(x[k], requires_grad=True) for k in ("x", "w", "b"))
    g = lib.tensor(x["g"])
    conv2d = lib.nn.functional.conv2d

    def step() -> tuple[Any, ...]:
        a.grad = w.grad = b.grad = None
        y = conv2d(a, w, b, padding=1)
        y.backward(g)
        return y, a.grad, w.grad, b.grad

    return step


CONV_LAYERS = {"conv_28_1_32": (28, 1, 32), "conv_14_32_64": (14, 32, 64), "conv_56_64_64": (56, 64, 64),
               "conv_14_16_16": (14, 16, 16)}
for _name, (_size, _cin, _cout) in CONV_LAYERS.items():
    _doc = f"conv2d {_cin}->{_cout} 3x3 pad 1 on {_size}x{_size}, batch 64: forward + backward (x, w, b grads)"
    case(_name, _conv_inputs(_size, _cin, _cout), _doc)(_conv_case)


# --- the small ResNet of issue 7's Fashion-MNIST proof ------------------------------------------------------------
RESNET_BATCH = 128
RESNET_WIDTHS = (16, 32, 64, 128)  # one basic block per stage; the 3x3 stem at stride 2: stages at 14, 7, 4, 2 pixels


def _resnet_convs() -> list[tuple[str, int, int, int]]:
    """``(name, in, out, kernel)`` of every convolution of the ResNet-10, in order."""
    convs, c_in = [("stem", 1, RESNET_WIDTHS[0], 3)], RESNET_WIDTHS[0]
    for i, c_out in enumerate(RESNET_WIDTHS):
        convs += [(f"b{i}.conv1", c_in, c_out, 3), (f"b{i}.conv2", c_out, c_out, 3)]
        if c_in != c_out:
            convs.append((f"b{i}.down", c_in, c_out, 1))
        c_in = c_out
    return convs


def _resnet_inputs(rng: np.random.Generator) -> Inputs:
    """The ResNet-10's conv and fc weights and a few batches of 28x28 one-channel images with labels."""
    x: Inputs = {f"{name}.w": _uniform(rng, c_in * k * k, (c_out, c_in, k, k))
                 for name, c_in, c_out, k in _resnet_convs()}
    x["fc.w"] = _uniform(rng, RESNET_WIDTHS[-1], (10, RESNET_WIDTHS[-1]))
    x["fc.b"] = _uniform(rng, RESNET_WIDTHS[-1], (10,))
    x["data"] = rng.standard_normal((N_BATCHES, RESNET_BATCH, 1, 28, 28), dtype=F32)
    x["labels"] = rng.integers(0, 10, (N_BATCHES, RESNET_BATCH)).astype(np.int64)
    return x


def _resnet(lib: ModuleType, x: Inputs) -> Any:
    """ResNet-10 as ``models.resnet_cifar(in_channels=1, layers=(1, 1, 1, 1), widths=(16, 32, 64, 128),
    stem_stride=2)``, written with the layers both frameworks share."""
    nn = lib.nn

    def conv(name: str, c_in: int, c_out: int, k: int, stride: int) -> Any:
        layer = nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2, bias=False)
        with lib.no_grad():
            layer.weight.copy_(lib.tensor(x[f"{name}.w"]))
        return layer

    class Block(nn.Module):  # type: ignore[name-defined,misc]  # nn is the module of either framework
        def __init__(self, i: int, c_in: int, c_out: int, stride: int) -> None:
            super().__init__()
            self.conv1, self.bn1 = conv(f"b{i}.conv1", c_in, c_out, 3, stride), nn.BatchNorm2d(c_out)
            self.conv2, self.bn2 = conv(f"b{i}.conv2", c_out, c_out, 3, 1), nn.BatchNorm2d(c_out)
            self.down = None if c_in == c_out else nn.Sequential(conv(f"b{i}.down", c_in, c_out, 1, stride),
                                                                 nn.BatchNorm2d(c_out))
            self.relu = nn.ReLU()

        def forward(self, a: Any) -> Any:
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(a)))))
            return self.relu(out + (a if self.down is None else self.down(a)))

    layers = [conv("stem", 1, RESNET_WIDTHS[0], 3, 2), nn.BatchNorm2d(RESNET_WIDTHS[0]), nn.ReLU()]
    c_in = RESNET_WIDTHS[0]
    for i, c_out in enumerate(RESNET_WIDTHS):
        layers.append(Block(i, c_in, c_out, 1 if i == 0 else 2))
        c_in = c_out
    fc = _load(lib, nn.Linear(c_in, 10), x["fc.w"], x["fc.b"])
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), fc)


@case("resnet10_train", _resnet_inputs, "ResNet-10 (planes 16-128, stride-2 stem, BatchNorm) on 28x28 grey images: "
      "training step (fwd, CE, bwd, SGD Nesterov), batch 128", unit="samples/s", items=RESNET_BATCH)
def resnet10_train(lib: ModuleType, x: Inputs) -> Step:
    model = _resnet(lib, x)
    opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    return train_step(lib, model, opt, x, model[-1].weight)
