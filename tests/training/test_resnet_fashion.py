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
    """Shuffled ``(x, y)`` batches of NumPy arrays, drawn anew at every pass from a seeded generator."""

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, seed: int = 0) -> None:
        self.x, self.y, self.batch_size = x, y, batch_size
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.x) // self.batch_size  # NOTE: drop_last, so BatchNorm never sees a tiny batch

    def __iter__(self) -> Iterator[tuple[cr.Tensor, cr.Tensor]]:
        perm = self.rng.permutation(len(self.x))
        for i in range(len(self)):
            b = perm[i * self.batch_size:(i + 1) * self.batch_size]
            yield cr.from_numpy(self.x[b]), cr.from_numpy(self.y[b])


def _accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    right = 0
    with cr.no_grad():
        for i in range(0, len(x), 1000):
            right += int((model(cr.from_numpy(x[i:i + 1000])).numpy().argmax(1) == y[i:i + 1000]).sum())
    return right / len(x)


def _fit(model: nn.Module, x: np.ndarray, y: np.ndarray, epochs: int, lr: float, batch_size: int) -> dict[str, Any]:
    """SGD with Nesterov momentum 0.9 and weight decay 5e-4 on the convolution and fc weights (none on BatchNorm's
    affine parameters and the biases), a one-cycle learning rate stepped every batch, label smoothing 0.1."""
    params = list(model.parameters())
    groups = [{"params": [p for p in params if p.ndim > 1], "weight_decay": 5e-4},
              {"params": [p for p in params if p.ndim <= 1], "weight_decay": 0.0}]
    opt = optim.SGD(groups, lr=lr, momentum=0.9, nesterov=True)
    batches = _Batches(x, y, batch_size)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * len(batches))
    c0, w0 = _cpu(), time.perf_counter()
    tr.fit(model, nn.CrossEntropyLoss(label_smoothing=0.1), opt, batches, epochs=epochs,
           callbacks=[tr.LRSchedulerCallback(sched, interval="batch")], metrics=(), verbose=False)
    return {"cpu_per_epoch": (_cpu() - c0) / epochs, "wall_per_epoch": (time.perf_counter() - w0) / epochs}


# NOTE: issue 7 asks for >= 93 %; within this test's CPU budget (<= 300 s at one BLAS thread) it is NOT met. On the
# 50,000 / 10,000 validation split this ResNet-10 reached 91.3 % in 5 epochs with random crops (padding 2) and flips,
# 92.2 % in 8 epochs without augmentation (the better use of a short budget, so the test has none) and 92.7 % in 15
# epochs with crops and flips. That 15-epoch recipe, trained on all 60,000 images, scores 93.08 % on the test set in
# about 660 s CPU (44 s per epoch): the budget 93 % needs with this model, more than twice this test's.
# At 6 epochs without augmentation it scores 92.61 % (seed 0); the bound leaves 0.6 % for BLAS and platform
# differences.
@pytest.mark.slow
def test_resnet_cifar_on_fashion_mnist() -> None:
    # NOTE: CPU budget (1 BLAS thread, loaded machine): 37-41 s per epoch of 60,000 images, 230-254 s for the whole
    # test (6 epochs, data loading and the test pass included), measured twice.
    train, test = datasets.get_dataset("fashion_mnist", "train"), datasets.get_dataset("fashion_mnist", "test")
    assert isinstance(train, datasets.ArrayDataset) and isinstance(test, datasets.ArrayDataset)
    (x, y), (xt, yt) = train.arrays(), test.arrays()
    cr.manual_seed(0)
    model = models.create_model("resnet_cifar", in_channels=1, **SMALL)
    epochs = 6
    timing = _fit(model, x, y, epochs=epochs, lr=0.1, batch_size=128)
    acc = _accuracy(model, xt, yt)
    print(f"\nresnet_cifar (ResNet-10, 16-128 planes) on Fashion-MNIST: test accuracy {acc:.2%} after {epochs} "
          f"epochs, {timing['cpu_per_epoch']:.1f} s CPU / {timing['wall_per_epoch']:.1f} s wall per epoch")
    assert acc >= 0.92
