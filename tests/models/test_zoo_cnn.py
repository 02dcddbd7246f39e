"""The classic CNNs of the zoo: published parameter counts to the last digit, forward/backward/state_dict on small
inputs, the curriculum's parameter arithmetic, and clear errors for inputs that are too small."""

from __future__ import annotations

import gc
from typing import Callable

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import models
from chainrule.autograd import gradcheck
from chainrule.models.densenet import DenseBlock
from chainrule.models.dpn import DualPathBlock
from chainrule.models.googlenet import Inception
from chainrule.models.resnet import BasicBlock, Bottleneck
from chainrule.models.senet import SEModule
from chainrule.models.vgg import VGG_CONFIGS, make_vgg_features


def _count(m: cr.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def _x(*shape: int, seed: int = 0, dtype: type = np.float32) -> cr.Tensor:
    return cr.tensor(np.random.default_rng(seed).standard_normal(shape).astype(dtype))


# name, published parameter count (1000 classes, 3 channels), side of a small valid input
PUBLISHED = [
    ("alexnet", 61_100_840, 63),
    ("vgg11", 132_863_336, 32),
    ("googlenet", 6_624_904, 32),
    ("resnet18", 11_689_512, 28),
    ("resnet34", 21_797_672, 8),
    ("resnet50", 25_557_032, 8),
    ("resnext50_32x4d", 25_028_904, 8),
    ("se_resnet50", 28_088_024, 8),
    ("densenet121", 7_978_856, 32),
    # timm's dpn68 (listed as 12.61M); the exact figure is derived layer by layer in test_dpn68_count_by_formula
    ("dpn68", 12_611_602, 8),
]


@pytest.mark.parametrize("name,published,size", PUBLISHED, ids=[p[0] for p in PUBLISHED])
def test_published_count_forward_backward_and_state_dict_round_trip(name: str, published: int, size: int) -> None:
    net = models.create_model(name)
    assert _count(net) == published
    x = _x(2, 3, size, size)
    net.train()
    y = net(x)
    assert tuple(y.shape) == (2, 1000) and y.dtype == cr.float32
    (y * _x(2, 1000, seed=1)).sum().backward()
    for pname, p in net.named_parameters():
        assert p.grad is not None, f"{name}: {pname} got no gradient"
        assert p.grad.shape == p.shape and p.grad.dtype == cr.float32
        assert np.isfinite(p.grad.numpy()).all(), pname
    # round trip in eval mode (running statistics, updated by the train-mode forward, travel with the state_dict)
    net.eval()
    x2 = _x(1, 3, size, size, seed=2)
    with cr.no_grad():
        want = net(x2).numpy()
        fresh = models.create_model(name).eval()
        assert not np.allclose(fresh(x2).numpy(), want)
        fresh.load_state_dict(net.state_dict())
        np.testing.assert_array_equal(fresh(x2).numpy(), want)
    del net, fresh
    gc.collect()


def _check_too_small(net: cr.nn.Module, family: str, layer: str, channels: int) -> None:
    """A 28x28 image fails naming ``layer``; the documented minimum works and one pixel less fails."""
    net.eval()
    with pytest.raises(RuntimeError, match=rf"^{family}: input too small: layer '{layer}' .* output would be empty"):
        net(_x(1, channels, 28, 28))
    m = net.min_input_size
    with cr.no_grad():
        assert tuple(net(_x(1, channels, m, m)).shape)[0] == 1
    with pytest.raises(RuntimeError, match=f"smallest input this model takes is {m}x{m}"):
        net(_x(1, channels, m - 1, m))


# NOTE: VGG-16/19 and VGG-16-BN differ from VGG-11 only in their configuration; building one costs ~2 s of CPU (the
# 100M fc6 weights), so they get the count, an eval forward and the size check; the full check of VGG-16-BN (train-mode
# batch norm) is slow.
@pytest.mark.parametrize("name,published,layer", [("vgg16", 138_357_544, "features.30"),
                                                  ("vgg19", 143_667_240, "features.36"),
                                                  ("vgg16_bn", 138_365_992, "features.43")])
def test_vgg_configs(name: str, published: int, layer: str) -> None:
    net = models.create_model(name)
    assert _count(net) == published
    assert sum(isinstance(m, cr.nn.Conv2d) for m in net.features) == {"vgg16": 13, "vgg19": 16, "vgg16_bn": 13}[name]
    assert sum(isinstance(m, cr.nn.BatchNorm2d) for m in net.features) == (13 if name.endswith("_bn") else 0)
    _check_too_small(net, "vgg", layer, 3)


@pytest.mark.slow
def test_vgg16_bn_forward_backward_and_state_dict_round_trip() -> None:
    test_published_count_forward_backward_and_state_dict_round_trip("vgg16_bn", 138_365_992, 32)


@pytest.mark.parametrize("name,published", [
    ("resnet101", 44_549_160), ("resnet152", 60_192_808), ("densenet169", 14_149_480), ("densenet201", 20_013_928),
    ("dpn92", 37_668_392),  # timm lists 37.67M
])
def test_more_published_counts(name: str, published: int) -> None:
    assert _count(models.create_model(name)) == published


@pytest.mark.slow
@pytest.mark.parametrize("name,published", [
    ("vgg11_bn", 132_868_840), ("vgg13", 133_047_848), ("vgg13_bn", 133_053_736), ("vgg19_bn", 143_678_248),
])
def test_more_vgg_counts(name: str, published: int) -> None:
    assert _count(models.create_model(name)) == published


@pytest.mark.slow
def test_resnet18_full_size_forward() -> None:
    net = models.create_model("resnet18").eval()
    with cr.no_grad():
        assert tuple(net(_x(1, 3, 224, 224)).shape) == (1, 1000)


@pytest.mark.parametrize("name", ["resnet18", "dpn68", "resnet_cifar"])
def test_runs_on_28x28_grey_images(name: str) -> None:
    net = models.create_model(name, num_classes=10, in_channels=1)
    n = 1 if name == "resnet_cifar" else 2  # the ImageNet stem leaves 1x1 maps: train-mode BN needs a batch of 2
    y = net(_x(n, 1, 28, 28))
    assert tuple(y.shape) == (n, 10)
    y.sum().backward()
    assert all(p.grad is not None for p in net.parameters())


def test_resnet_cifar_count_by_formula() -> None:
    # ResNet-18 with a 3x3 stem instead of 7x7 (64 filters over 3 channels) and a 10-class fc instead of 1000
    want = 11_689_512 - 64 * 3 * 7 * 7 + 64 * 3 * 3 * 3 - (512 * 1000 + 1000) + (512 * 10 + 10)
    assert want == 11_173_962
    assert _count(models.create_model("resnet_cifar")) == want
    grey = models.create_model("resnet_cifar", in_channels=1)
    assert _count(grey) == want - 64 * 2 * 9
    assert isinstance(grey.maxpool, cr.nn.Identity) and grey.conv1.kernel_size == (3, 3)


@pytest.mark.parametrize("name,family,layer", [
    ("googlenet", "googlenet", "maxpool4"), ("densenet121", "densenet", "features.transition3.pool"),
])
def test_too_small_input_names_the_layer_with_an_empty_output(name: str, family: str, layer: str) -> None:
    net = models.create_model(name, num_classes=10, in_channels=1)
    _check_too_small(net, family, layer, 1)
    assert (name, net.min_input_size) in {("googlenet", 31), ("densenet121", 29)}


def test_in_channels_mismatch_raises_with_the_shapes() -> None:
    net = models.create_model("resnet18", num_classes=10, in_channels=1)
    with pytest.raises(RuntimeError, match=r"expected input of shape \(N, 1, H, W\).*got \(2, 3, 28, 28\)"):
        net(_x(2, 3, 28, 28))


def test_alexnet_per_layer_counts() -> None:
    net = models.create_model("alexnet")
    layers = [m for m in net.modules() if isinstance(m, (cr.nn.Conv2d, cr.nn.Linear))]
    want = [64 * 3 * 11 * 11 + 64, 192 * 64 * 5 * 5 + 192, 384 * 192 * 3 * 3 + 384, 256 * 384 * 3 * 3 + 256,
            256 * 256 * 3 * 3 + 256, 256 * 6 * 6 * 4096 + 4096, 4096 * 4096 + 4096, 4096 * 1000 + 1000]
    assert [_count(m) for m in layers] == want
    assert sum(want) == 61_100_840
    _check_too_small(net, "alexnet", "features.5", 3)  # the second max-pool gets a 2x2 map from a 28x28 image
    assert net.min_input_size == 63


def test_vgg_stacked_3x3_arithmetic() -> None:
    features = make_vgg_features(VGG_CONFIGS["D"])  # VGG-16's trunk
    last = [m for m in features if isinstance(m, cr.nn.Conv2d)][-3:]  # block 5: three 512 -> 512 convs
    c = 512
    assert all(m.in_channels == m.out_channels == c for m in last)
    two, three = sum(m.weight.numel() for m in last[:2]), sum(m.weight.numel() for m in last)
    assert (two, three) == (2 * 9 * c * c, 3 * 9 * c * c)
    assert cr.nn.Conv2d(c, c, 5).weight.numel() == 25 * c * c > two
    assert cr.nn.Conv2d(c, c, 7).weight.numel() == 49 * c * c > three
    # the same receptive field: the gradient of one output of two stacked 3x3 convs covers a 5x5 input window
    x = _x(1, 1, 9, 9).requires_grad_()
    a, b = cr.nn.Conv2d(1, 1, 3, bias=False), cr.nn.Conv2d(1, 1, 3, bias=False)
    b(a(x))[0, 0, 2, 2].backward()
    support = np.argwhere(x.grad.numpy()[0, 0] != 0)
    assert support.min(0).tolist() == [2, 2] and support.max(0).tolist() == [6, 6]


def test_bottleneck_saving() -> None:
    def conv_weights(m: cr.nn.Module) -> int:
        return sum(c.weight.numel() for c in m.modules() if isinstance(c, cr.nn.Conv2d))

    bottleneck, basic = Bottleneck(256, 64), BasicBlock(256, 256)
    assert conv_weights(bottleneck) == 256 * 64 + 9 * 64 * 64 + 64 * 256 == 69_632
    assert conv_weights(basic) == 2 * 9 * 256 * 256 == 1_179_648
    assert tuple(bottleneck(_x(2, 256, 4, 4)).shape) == (2, 256, 4, 4)


def test_resnext_width_and_basicblock_rejects_groups() -> None:
    net = models.create_model("resnext50_32x4d")
    conv2 = net.layer1[0].conv2
    assert (conv2.in_channels, conv2.groups) == (128, 32)  # 32 groups x 4 channels
    with pytest.raises(ValueError, match="BasicBlock: only groups=1"):
        BasicBlock(64, 64, groups=32)


def test_googlenet_paper_5x5_count_by_formula() -> None:
    # (5x5 reduce, 5x5) of inception 3a, 3b, 4a-4e, 5a, 5b: a 5x5 kernel has 25 - 9 = 16 more weights per pair
    table = [(16, 32), (32, 96), (16, 48), (24, 64), (24, 64), (32, 64), (32, 128), (32, 128), (48, 128)]
    want = 6_624_904 + 16 * sum(r * c for r, c in table)
    assert want == 7_005_832
    assert _count(models.create_model("googlenet", paper_5x5=True)) == want


def test_inception_block_concatenates_its_branches() -> None:
    block = Inception(192, 64, 96, 128, 16, 32, 32)
    assert tuple(block(_x(2, 192, 5, 5)).shape) == (2, 64 + 128 + 32 + 32, 5, 5)


def test_se_resnet50_count_by_formula() -> None:
    # one SE module per bottleneck on C = 4 * planes channels: 2 C^2 / 16 weights + C / 16 + C biases
    extra = sum(n * (2 * c * c // 16 + c // 16 + c) for n, c in [(3, 256), (4, 512), (6, 1024), (3, 2048)])
    assert _count(models.create_model("se_resnet50")) - _count(models.create_model("resnet50")) == extra
    assert 25_557_032 + extra == 28_088_024


def test_densenet_block_and_transition_channels() -> None:
    block = DenseBlock(6, 64, bn_size=4, growth_rate=32, drop_rate=0.0)
    assert tuple(block(_x(2, 64, 4, 4)).shape) == (2, 64 + 6 * 32, 4, 4)
    net = models.create_model("densenet121")
    assert net.features.transition1.conv.out_channels == 128 and net.classifier.in_features == 1024


def _dpn_count(k_sec: tuple[int, ...], inc_sec: tuple[int, ...], k_r: int, groups: int, init: int,
               num_classes: int) -> int:
    """DPN-68's count from its description (small: 3x3 stem, bw = 64 * 2**s, r = k_r * bw / 64)."""
    def bn_conv(cin: int, cout: int, k: int, g: int = 1) -> int:
        return 2 * cin + cout * (cin // g) * k * k  # BN (weight, bias) + bias-free conv

    total = 3 * init * 9 + 2 * init  # stem conv + BN
    c = init
    for s in range(4):
        bw, inc = 64 * 2 ** s, inc_sec[s]
        r = k_r * bw // 64
        for i in range(k_sec[s]):
            if i == 0:
                total += bn_conv(c, bw + 2 * inc, 1)  # projection into the two paths
            total += bn_conv(c, r, 1) + bn_conv(r, r, 3, groups) + bn_conv(r, bw + inc, 1)
            c = bw + 3 * inc if i == 0 else c + inc
    return total + 2 * c + c * num_classes + num_classes  # final BN, 1x1-conv classifier


def test_dpn68_count_by_formula() -> None:
    want = _dpn_count((3, 4, 12, 3), (16, 32, 32, 64), 128, 32, 10, 1000)
    assert want == 12_611_602 and round(want / 1e6, 2) == 12.61
    assert _count(models.create_model("dpn68", num_classes=10)) == _dpn_count(
        (3, 4, 12, 3), (16, 32, 32, 64), 128, 32, 10, 10)


def test_dual_path_block_adds_the_residual_and_concatenates_the_dense_path() -> None:
    block = DualPathBlock(64, 32, 32, 48, 8, 4, "proj")
    r, d = block(_x(2, 64, 3, 3))
    assert tuple(r.shape) == (2, 48, 3, 3) and tuple(d.shape) == (2, 2 * 8 + 8, 3, 3)
    r2, d2 = DualPathBlock(48 + 24, 32, 32, 48, 8, 4, "normal")((r, d))
    assert tuple(r2.shape) == (2, 48, 3, 3) and tuple(d2.shape) == (2, 32, 3, 3)
    np.testing.assert_array_equal(d2.detach().numpy()[:, :24], d.detach().numpy())  # the dense path keeps what it had


def test_se_module_matches_torch() -> None:
    se = SEModule(32, 4).double()
    x = np.random.default_rng(3).standard_normal((2, 32, 3, 3))
    fc1, fc2 = torch.nn.Conv2d(32, 8, 1).double(), torch.nn.Conv2d(8, 32, 1).double()
    with torch.no_grad():
        for t, c in ((fc1, se.fc1), (fc2, se.fc2)):
            t.weight.copy_(torch.from_numpy(c.weight.detach().numpy()))
            t.bias.copy_(torch.from_numpy(c.bias.detach().numpy()))
    xt = torch.from_numpy(x).requires_grad_()
    ref = xt * torch.sigmoid(fc2(torch.relu(fc1(xt.mean((2, 3), keepdim=True)))))
    xc = cr.tensor(x, requires_grad=True)
    out = se(xc)
    g = np.random.default_rng(4).standard_normal(x.shape)
    ref.backward(torch.from_numpy(g))
    out.backward(cr.tensor(g))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(se.fc1.weight.grad.numpy(), fc1.weight.grad.numpy(), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("block,shape", [
    (lambda: BasicBlock(4, 4), (2, 4, 3, 3)),
    (lambda: Bottleneck(8, 2, stride=2, downsample=cr.nn.Sequential(cr.nn.Conv2d(8, 8, 1, stride=2, bias=False))),
     (2, 8, 3, 3)),
    (lambda: Inception(4, 2, 2, 3, 2, 2, 2, paper_5x5=True), (2, 4, 3, 3)),
    (lambda: SEModule(8, 4), (2, 8, 2, 2)),
    (lambda: DenseBlock(2, 4, bn_size=2, growth_rate=2, drop_rate=0.0), (2, 4, 2, 2)),
    (lambda: DualPathBlock(6, 4, 4, 4, 2, 2, "down"), (2, 6, 3, 3)),
], ids=["basic", "bottleneck", "inception", "se", "dense", "dual_path"])
def test_blocks_pass_gradcheck_in_float64(block: Callable[[], cr.nn.Module], shape: tuple[int, ...]) -> None:
    m = block().double()
    x = _x(*shape, seed=5, dtype=np.float64).requires_grad_()

    def f(t: cr.Tensor) -> cr.Tensor:
        out = m(t)
        return cr.cat([o.flatten() for o in out]) if isinstance(out, tuple) else out

    assert gradcheck(f, (x,))


@pytest.mark.parametrize("name,keys", [
    ("resnet18", ["conv1.weight", "bn1.running_mean", "layer2.0.downsample.0.weight", "layer2.0.downsample.1.bias",
                  "layer4.1.bn2.running_var", "fc.weight"]),
    ("densenet121", ["features.conv0.weight", "features.denseblock1.denselayer1.norm1.weight",
                     "features.denseblock4.denselayer16.conv2.weight", "features.transition3.conv.weight",
                     "features.norm5.bias", "classifier.weight"]),
    ("googlenet", ["conv1.conv.weight", "conv1.bn.running_mean", "inception3a.branch2.1.conv.weight",
                   "inception5b.branch4.1.bn.running_var", "fc.bias"]),
    ("dpn68", ["features.conv1_1.conv.weight", "features.conv2_1.c1x1_w_s1.bn.weight",
               "features.conv3_1.c1x1_w_s2.conv.weight", "features.conv4_12.c3x3_b.conv.weight",
               "features.conv5_bn_ac.bn.weight", "classifier.weight"]),
])
def test_state_dict_keys_follow_the_reference_layouts(name: str, keys: list[str]) -> None:
    # torchvision's (timm's for dpn68) parameter names, so that their checkpoints map one to one
    assert set(keys) <= set(models.create_model(name).state_dict())
