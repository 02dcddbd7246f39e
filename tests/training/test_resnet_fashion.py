"""Issue 7's ResNet proof: a CIFAR-style ResNet (3x3 stem, 28x28 grey input) trained on Fashion-MNIST with fixed seeds,
in a CPU budget that fits CI; and the parity of the channels-last BatchNorm path its convolutions feed.

The recipe was picked on a validation split of the training set (50,000 / 10,000, split by a seed-0 permutation),
then trained once on all 60,000 training images and scored on the 10,000 test images (seed 0, no tuning on the
test set). The number of epochs is set by the CPU budget.
"""

from __future__ import annotations

import resource
import time
from typing import Any, Iterator

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import datasets, models, nn, optim
from chainrule import train as tr
from chainrule.optim import lr_scheduler
from tests.helpers import assert_close


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# ------------------------------------------------------------------------------------------------ channels-last BN
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("training", [True, False])
def test_batchnorm2d_after_conv_matches_torch(dtype: str, training: bool) -> None:
    # NOTE: a convolution's output is channels-last in memory, and BatchNorm works on its (N*H*W, C) view; the
    # parity tables of tests/parity/test_norm2d.py feed contiguous NCHW arrays, so this path is checked here.
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 3, 6, 5)).astype(dtype)
    w = rng.standard_normal((8, 3, 3, 3)).astype(dtype)
    g = rng.standard_normal((4, 8, 3, 3)).astype(dtype)
    conv, bn = nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False, dtype=getattr(cr, dtype)), \
        nn.BatchNorm2d(8, dtype=getattr(cr, dtype))
    tconv, tbn = torch.nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False, dtype=getattr(torch, dtype)), \
        torch.nn.BatchNorm2d(8, dtype=getattr(torch, dtype))
    with torch.no_grad():
        tconv.weight.copy_(torch.from_numpy(w))
        tbn.weight.copy_(torch.from_numpy(rng.standard_normal(8).astype(dtype)))
        tbn.bias.copy_(torch.from_numpy(rng.standard_normal(8).astype(dtype)))
        getattr(tbn, "running_mean").copy_(torch.from_numpy(rng.standard_normal(8).astype(dtype)))
        getattr(tbn, "running_var").copy_(torch.from_numpy(rng.uniform(0.5, 2.0, 8).astype(dtype)))
    conv.load_state_dict({"weight": w.copy()})
    bn.load_state_dict({k: v.detach().numpy().copy() for k, v in tbn.state_dict().items()})
    bn.train(training)
    tbn.train(training)
    x, tx = cr.tensor(a.copy(), requires_grad=True), torch.tensor(a.copy(), requires_grad=True)
    y, ty = bn(conv(x)), tbn(tconv(tx))
    assert_close(y, ty)
    y.backward(cr.tensor(g.copy()))
    ty.backward(torch.from_numpy(g.copy()))
    assert_close(x.grad, tx.grad, "grad")
    assert_close(bn.weight.grad, tbn.weight.grad, "grad")
    assert_close(bn.bias.grad, tbn.bias.grad, "grad")
    assert_close(bn.running_mean, tbn.running_mean)
    assert_close(bn.running_var, tbn.running_var)
    assert y.dtype == getattr(cr, dtype) and x.grad is not None and x.grad.dtype == getattr(cr, dtype)


# ------------------------------------------------------------------------------------------------ the small ResNet
# ResNet-10 (one basic block per stage), planes 16-32-64-128, the 3x3 stem at stride 2: the stages run at 14, 7, 4
# and 2 pixels. 308,538 parameters.
SMALL = {"layers": (1, 1, 1, 1), "widths": (16, 32, 64, 128), "stem_stride": 2}


def test_small_resnet_cifar_shape_and_count() -> None:
    model = models.create_model("resnet_cifar", in_channels=1, **SMALL)
    def block(i: int, o: int) -> int:  # two 3x3 convs + two BNs, and a 1x1 projection + BN when the width changes
        return 9 * i * o + 9 * o * o + 4 * o + (i * o + 2 * o if i != o else 0)

    want = 9 * 16 + 2 * 16 + block(16, 16) + block(16, 32) + block(32, 64) + block(64, 128) + 128 * 10 + 10
    assert sum(p.numel() for p in model.parameters()) == want == 308_538
    assert tuple(model(cr.randn(2, 1, 28, 28)).shape) == (2, 10)
    assert tuple(model.conv1(cr.randn(2, 1, 28, 28)).shape) == (2, 16, 14, 14)  # the stride-2 stem
    with pytest.raises(ValueError, match="stem_stride"):
        models.create_model("resnet_cifar", stem_stride=3)
    with pytest.raises(ValueError, match="widths"):
        models.create_model("resnet_cifar", widths=(16, 32, 64))


class _Batches:
    """Shuffled ``(x, y)`` batches of NumPy arrays, drawn anew at every pass from a seeded generator; with ``flip``,
    each image is mirrored left-right with probability 1/2 (a garment's mirror image is the same garment)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, flip: bool = False, seed: int = 0) -> None:
        self.x, self.y, self.batch_size, self.flip = x, y, batch_size, flip
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.x) // self.batch_size  # NOTE: drop_last, so BatchNorm never sees a tiny batch

    def __iter__(self) -> Iterator[tuple[cr.Tensor, cr.Tensor]]:
        perm = self.rng.permutation(len(self.x))
        for i in range(len(self)):
            b = perm[i * self.batch_size:(i + 1) * self.batch_size]
            xb = self.x[b]  # a fresh copy (fancy indexing), safe to flip in place
            if self.flip:
                m = self.rng.random(len(b)) < 0.5
                xb[m] = xb[m][..., ::-1]
            yield cr.from_numpy(xb), cr.from_numpy(self.y[b])


def _accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray, flip_tta: bool = False) -> float:
    """Top-1 accuracy; with ``flip_tta`` the class probabilities are averaged over each image and its mirror image
    (test-time augmentation with the flip the model was trained with)."""
    model.eval()
    right = 0
    with cr.no_grad():
        for i in range(0, len(x), 1000):
            xb = x[i:i + 1000]
            p = cr.softmax(model(cr.from_numpy(xb)), 1).numpy()
            if flip_tta:
                p += cr.softmax(model(cr.from_numpy(np.ascontiguousarray(xb[..., ::-1]))), 1).numpy()
            right += int((p.argmax(1) == y[i:i + 1000]).sum())
    return right / len(x)


def _fit(model: nn.Module, x: np.ndarray, y: np.ndarray, epochs: int, lr: float, batch_size: int,
         flip: bool = False) -> dict[str, Any]:
    """SGD with Nesterov momentum 0.9 and weight decay 5e-4 on the convolution and fc weights (none on BatchNorm's
    affine parameters and the biases), a one-cycle learning rate stepped every batch, label smoothing 0.1; random
    left-right flips of the training images with ``flip``."""
    params = list(model.parameters())
    groups = [{"params": [p for p in params if p.ndim > 1], "weight_decay": 5e-4},
              {"params": [p for p in params if p.ndim <= 1], "weight_decay": 0.0}]
    opt = optim.SGD(groups, lr=lr, momentum=0.9, nesterov=True)
    batches = _Batches(x, y, batch_size, flip=flip)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * len(batches))
    c0, w0 = _cpu(), time.perf_counter()
    tr.fit(model, nn.CrossEntropyLoss(label_smoothing=0.1), opt, batches, epochs=epochs,
           callbacks=[tr.LRSchedulerCallback(sched, interval="batch")], metrics=(), verbose=False)
    return {"cpu_per_epoch": (_cpu() - c0) / epochs, "wall_per_epoch": (time.perf_counter() - w0) / epochs}


# NOTE: the recipe was picked on the 50,000 / 10,000 validation split (seed 0, accuracy without / with the flip
# test-time augmentation): without augmentation 92.3 % in 6 epochs (the flip TTA then HURTS: 91.2 %); with random
# flips 92.3 / 92.8 % in 6 epochs and 92.4 / 93.0 % in 8 (93.1 % at seed 1); random 1-pixel shifts, lr 0.2,
# weight decay 2.5e-4 or 1e-3, no label smoothing and batch 256 were no better; planes 24-192 reached 92.9 % in 6
# epochs at 1.7x the cost. 15 epochs with crops and flips gave 92.7 % without TTA. The chosen recipe, trained once
# on all 60,000 images, scores 93.33 % on the test set (92.88 % without the TTA).
@pytest.mark.slow(cpu_seconds=315)
def test_resnet_cifar_on_fashion_mnist() -> None:
    # NOTE: time budget: 8 epochs at 37-40 s CPU each (1 BLAS thread, 60,000 images of 28x28), about 330 s CPU for
    # the whole test (data loading and the two test passes included).
    train, test = datasets.get_dataset("fashion_mnist", "train"), datasets.get_dataset("fashion_mnist", "test")
    assert isinstance(train, datasets.ArrayDataset) and isinstance(test, datasets.ArrayDataset)
    (x, y), (xt, yt) = train.arrays(), test.arrays()
    cr.manual_seed(0)
    model = models.create_model("resnet_cifar", in_channels=1, **SMALL)
    epochs = 8
    timing = _fit(model, x, y, epochs=epochs, lr=0.1, batch_size=128, flip=True)
    plain, acc = _accuracy(model, xt, yt), _accuracy(model, xt, yt, flip_tta=True)
    print(f"\nresnet_cifar (ResNet-10, 16-128 planes) on Fashion-MNIST: test accuracy {acc:.2%} with the flip "
          f"TTA ({plain:.2%} without) after {epochs} epochs, {timing['cpu_per_epoch']:.1f} s CPU / "
          f"{timing['wall_per_epoch']:.1f} s wall per epoch")
    assert acc >= 0.93 and plain >= 0.92
