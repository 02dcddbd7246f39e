"""Model workloads from DESIGN.md, timed as training (or inference) steps in samples/s.

W1: MLP 784-256-256-10, ReLU, cross-entropy, SGD with momentum 0.9, batch 128, float32.

Both frameworks start from the same weights and see the same batches, so the agreement check compares the loss and a
gradient of the first step. A step cycles through a few fixed batches (data loading is not what is measured).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from ..registry import Inputs, Step, case
from ._train import train_step

F32 = np.float32
W1_SIZES = (784, 256, 256, 10)
W1_BATCH = 128
N_BATCHES = 4


def _mlp_inputs(rng: np.random.Generator) -> Inputs:
    """Weights drawn as PyTorch's Linear default (U(-1/sqrt(fan_in), 1/sqrt(fan_in))) and a few batches."""
    x: Inputs = {}
    for i, (n_in, n_out) in enumerate(zip(W1_SIZES[:-1], W1_SIZES[1:])):
        bound = 1.0 / np.sqrt(n_in)
        x[f"w{i}"] = rng.uniform(-bound, bound, (n_out, n_in)).astype(F32)
        x[f"b{i}"] = rng.uniform(-bound, bound, n_out).astype(F32)
    x["data"] = rng.standard_normal((N_BATCHES, W1_BATCH, W1_SIZES[0]), dtype=F32)
    x["labels"] = rng.integers(0, W1_SIZES[-1], (N_BATCHES, W1_BATCH)).astype(np.int64)
    return x


def _mlp(lib: ModuleType, x: Inputs) -> Any:
    layers: list[Any] = []
    for i, (n_in, n_out) in enumerate(zip(W1_SIZES[:-1], W1_SIZES[1:])):
        lin = lib.nn.Linear(n_in, n_out)
        with lib.no_grad():
            lin.weight.copy_(lib.tensor(x[f"w{i}"]))
            lin.bias.copy_(lib.tensor(x[f"b{i}"]))
        layers += [lin, lib.nn.ReLU()]
    return lib.nn.Sequential(*layers[:-1])


@case("w1_mlp_train", _mlp_inputs, "W1: MLP 784-256-256-10 training step (fwd, CE, bwd, SGD momentum 0.9), batch 128",
      unit="samples/s", items=W1_BATCH)
def w1_mlp_train(lib: ModuleType, x: Inputs) -> Step:
    model = _mlp(lib, x)
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return train_step(lib, model, opt, x, model[0].weight)


@case("w1_mlp_infer", _mlp_inputs, "W1 inference: MLP 784-256-256-10 forward under no_grad, batch 128",
      unit="samples/s", items=W1_BATCH)
def w1_mlp_infer(lib: ModuleType, x: Inputs) -> Step:
    model = _mlp(lib, x).eval()
    data = lib.tensor(x["data"][0])

    def step() -> tuple[Any, ...]:
        with lib.no_grad():
            return (model(data),)

    return step
