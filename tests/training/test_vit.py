"""Proof that the Vision Transformer learns: vit_tiny on Fashion-MNIST, fixed seed, CPU-sized (about 50 s CPU)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import models
from chainrule.datasets import FashionMNIST

MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST's pixel statistics


def _arrays(train: bool) -> tuple[np.ndarray, np.ndarray]:
    ds = FashionMNIST(train=train, download=False)
    x = (np.asarray(ds.data, dtype=np.float32) / 255.0 - MEAN) / STD
    return x.reshape(-1, 1, 28, 28), np.asarray(ds.targets, dtype=np.int64)


@pytest.mark.slow
def test_vit_tiny_fashion_mnist_reaches_85_percent() -> None:
    """3 epochs of the 60,000 training images, batch 128, AdamW with 100 warm-up steps and a cosine decay."""
    xtr, ytr = _arrays(train=True)
    xte, yte = _arrays(train=False)
    cr.manual_seed(0)
    model = models.create_model("vit_tiny")
    lr, batch, epochs = 3e-3, 128, 3
    opt = cr.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    rng = np.random.default_rng(0)
    per_epoch = len(xtr) // batch
    total, step = epochs * per_epoch, 0
    losses = []
    for _ in range(epochs):
        perm = rng.permutation(len(xtr))
        for i in range(per_epoch):
            idx = perm[i * batch:(i + 1) * batch]
            opt.param_groups[0]["lr"] = lr * min(1.0, (step + 1) / 100) * 0.5 * (1 + math.cos(math.pi * step / total))
            step += 1
            opt.zero_grad()
            loss = F.cross_entropy(model(cr.tensor(xtr[idx])), cr.tensor(ytr[idx]))
            loss.backward()
            opt.step()
            losses.append(loss.item())
    model.eval()
    with cr.no_grad():
        pred = np.concatenate([model(cr.tensor(xte[i:i + 1000])).argmax(1).numpy() for i in range(0, len(xte), 1000)])
    acc = float((pred == yte).mean())
    assert np.mean(losses[-50:]) < 0.5 * np.mean(losses[:50])
    assert acc >= 0.85, f"vit_tiny reached {acc:.2%} test accuracy on Fashion-MNIST"
