"""Sequence workloads from DESIGN.md, timed as training steps in samples/s.

W3: an LSTM reads a 28x28 image row by row (28 steps of 28 features), hidden 128, a linear layer on the last step's
    output; cross-entropy; Adam; batch 64.
W4: a Transformer encoder on 16 patches of 7x7 projected to d=64, plus learned positions; 2 pre-norm layers of 4
    heads, FFN 128, GELU, dropout 0; a final LayerNorm; mean-pool over the patches; linear; cross-entropy; AdamW;
    batch 64.

Both frameworks build the model from the same PyTorch-API code, load the same initial weights by parameter name and
see the same batches; the agreement check compares the loss and a gradient of the first step.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from ..registry import Inputs, Step, case
from ._train import train_step

F32 = np.float32
BATCH = 64
N_BATCHES = 4
CLASSES = 10
W3_HIDDEN = 128
W4_D, W4_HEADS, W4_FF, W4_LAYERS, W4_PATCH = 64, 4, 128, 2, 7
W4_TOKENS = (28 // W4_PATCH) ** 2


def _uniform(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's default for Linear and LSTM weights."""
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, shape).astype(F32)


def _batches(rng: np.random.Generator, x: Inputs) -> Inputs:
    x["data"] = rng.standard_normal((N_BATCHES, BATCH, 1, 28, 28), dtype=F32)
    x["labels"] = rng.integers(0, CLASSES, (N_BATCHES, BATCH)).astype(np.int64)
    return x


def _load(lib: ModuleType, model: Any, x: Inputs) -> None:
    """Copy ``x[name]`` into every parameter of ``model``: both frameworks start from the same weights."""
    params = dict(model.named_parameters())
    missing = sorted(set(params) - set(x))
    if missing:
        raise KeyError(f"no initial values for parameters {missing}")
    with lib.no_grad():
        for name, p in params.items():
            p.copy_(lib.tensor(x[name]))


# --- W3: LSTM over image rows ---------------------------------------------------------------------------------------


def _w3_inputs(rng: np.random.Generator) -> Inputs:
    h = W3_HIDDEN
    x: Inputs = {
        "lstm.weight_ih_l0": _uniform(rng, (4 * h, 28), h),
        "lstm.weight_hh_l0": _uniform(rng, (4 * h, h), h),
        "lstm.bias_ih_l0": _uniform(rng, (4 * h,), h),
        "lstm.bias_hh_l0": _uniform(rng, (4 * h,), h),
        "head.weight": _uniform(rng, (CLASSES, h), h),
        "head.bias": _uniform(rng, (CLASSES,), h),
    }
    return _batches(rng, x)


def _w3_model(lib: ModuleType) -> Any:
    class RowLSTM(lib.nn.Module):  # type: ignore[name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.lstm = lib.nn.LSTM(28, W3_HIDDEN, batch_first=True)
            self.head = lib.nn.Linear(W3_HIDDEN, CLASSES)

        def forward(self, img: Any) -> Any:
            out, _ = self.lstm(img.reshape(img.shape[0], 28, 28))  # rows are the time steps
            return self.head(out[:, -1])

    return RowLSTM()


@case("w3_lstm_train", _w3_inputs, "W3: LSTM 28 steps x 28 features, hidden 128, linear on the last step; Adam; "
      "batch 64", unit="samples/s", items=BATCH)
def w3_lstm_train(lib: ModuleType, x: Inputs) -> Step:
    model = _w3_model(lib)
    _load(lib, model, x)
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    return train_step(lib, model, opt, x, model.lstm.weight_hh_l0)


# --- W4: Transformer encoder on patches -----------------------------------------------------------------------------


def _w4_inputs(rng: np.random.Generator) -> Inputs:
    d, ff, p2 = W4_D, W4_FF, W4_PATCH * W4_PATCH
    x: Inputs = {
        "embed.weight": _uniform(rng, (d, p2), p2),
        "embed.bias": _uniform(rng, (d,), p2),
        "pos": (0.02 * rng.standard_normal((1, W4_TOKENS, d))).astype(F32),
        "norm.weight": np.ones(d, F32),
        "norm.bias": np.zeros(d, F32),
        "head.weight": _uniform(rng, (CLASSES, d), d),
        "head.bias": _uniform(rng, (CLASSES,), d),
    }
    for i in range(W4_LAYERS):
        pre = f"encoder.layers.{i}."
        x[pre + "self_attn.in_proj_weight"] = _uniform(rng, (3 * d, d), d)
        x[pre + "self_attn.in_proj_bias"] = np.zeros(3 * d, F32)
        x[pre + "self_attn.out_proj.weight"] = _uniform(rng, (d, d), d)
        x[pre + "self_attn.out_proj.bias"] = np.zeros(d, F32)
        x[pre + "linear1.weight"] = _uniform(rng, (ff, d), d)
        x[pre + "linear1.bias"] = _uniform(rng, (ff,), d)
        x[pre + "linear2.weight"] = _uniform(rng, (d, ff), ff)
        x[pre + "linear2.bias"] = _uniform(rng, (d,), ff)
        for n in ("norm1", "norm2"):  # perturbed from (1, 0) so that their gradients matter in the check
            x[pre + n + ".weight"] = (1.0 + 0.1 * rng.standard_normal(d)).astype(F32)
            x[pre + n + ".bias"] = (0.1 * rng.standard_normal(d)).astype(F32)
    return _batches(rng, x)


def _w4_model(lib: ModuleType) -> Any:
    nn = lib.nn

    class PatchEncoder(nn.Module):  # type: ignore[name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Linear(W4_PATCH * W4_PATCH, W4_D)
            self.pos = nn.Parameter(lib.zeros(1, W4_TOKENS, W4_D))
            layer = nn.TransformerEncoderLayer(W4_D, W4_HEADS, dim_feedforward=W4_FF, dropout=0.0,
                                               activation="gelu", batch_first=True, norm_first=True)
            self.encoder = nn.TransformerEncoder(layer, W4_LAYERS, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(W4_D)
            self.head = nn.Linear(W4_D, CLASSES)

        def forward(self, img: Any) -> Any:
            n, k, p = img.shape[0], 28 // W4_PATCH, W4_PATCH
            # (N, 1, 28, 28) -> (N, 16, 49): patch (i, j) is rows 7i..7i+6, columns 7j..7j+6
            patches = img.reshape(n, k, p, k, p).permute(0, 1, 3, 2, 4).reshape(n, k * k, p * p)
            h = self.encoder(self.embed(patches) + self.pos)
            return self.head(self.norm(h).mean(1))

    return PatchEncoder()


@case("w4_transformer_train", _w4_inputs, "W4: Transformer encoder, 16 patches of 7x7 -> d 64 + learned positions, "
      "2 pre-norm layers, 4 heads, FFN 128, GELU, mean-pool, linear; AdamW; batch 64", unit="samples/s", items=BATCH)
def w4_transformer_train(lib: ModuleType, x: Inputs) -> Step:
    model = _w4_model(lib)
    _load(lib, model, x)
    opt = lib.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    return train_step(lib, model, opt, x, model.encoder.layers[0].linear1.weight)
