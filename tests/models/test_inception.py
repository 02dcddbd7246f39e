"""Inception v3: the published parameter counts (against a torch.nn re-build of torchvision's module tree written here,
torchvision itself not being installed), the torchvision state_dict layout, forward/backward parity with that twin,
the train-mode (logits, aux_logits) output, and the too-small-input errors."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import chainrule as cr
from chainrule import models
from chainrule.models.inception import Inception3, InceptionAux, InceptionB, InceptionC, InceptionOutputs
from tests.helpers import to_torch

PUBLISHED_AUX, PUBLISHED_NO_AUX = 27_161_264, 23_834_568  # torchvision's inception_v3, 1000 classes


def _count(m: Any) -> int:
    return sum(p.numel() for p in m.parameters())


def _x(*shape: int, seed: int = 0, dtype: type = np.float32) -> cr.Tensor:
    return cr.tensor(np.random.default_rng(seed).standard_normal(shape).astype(dtype))


# ---- torchvision's Inception3, rebuilt from torch.nn pieces (module names, shapes and forward as torchvision) ----

def _t_basic(cin: int, cout: int, k: Any, s: int = 1, p: Any = 0) -> torch.nn.Module:
    return torch.nn.Sequential(OrderedDict(conv=torch.nn.Conv2d(cin, cout, k, s, p, bias=False),
                                           bn=torch.nn.BatchNorm2d(cout, eps=0.001), relu=torch.nn.ReLU()))


def _specs(kind: str, c: int, arg: int = 0) -> dict[str, tuple[Any, ...]]:
    """(in, out, kernel, stride, padding) of each BasicConv2d of torchvision's Inception{A..E}/InceptionAux."""
    r7, c7, r3, c3 = ((1, 7), (0, 3)), ((7, 1), (3, 0)), ((1, 3), (0, 1)), ((3, 1), (1, 0))
    return {
        "A": dict(branch1x1=(c, 64, 1), branch5x5_1=(c, 48, 1), branch5x5_2=(48, 64, 5, 1, 2),
                  branch3x3dbl_1=(c, 64, 1), branch3x3dbl_2=(64, 96, 3, 1, 1), branch3x3dbl_3=(96, 96, 3, 1, 1),
                  branch_pool=(c, arg, 1)),
        "B": dict(branch3x3=(c, 384, 3, 2), branch3x3dbl_1=(c, 64, 1), branch3x3dbl_2=(64, 96, 3, 1, 1),
                  branch3x3dbl_3=(96, 96, 3, 2)),
        "C": dict(branch1x1=(c, 192, 1), branch7x7_1=(c, arg, 1), branch7x7_2=(arg, arg, r7[0], 1, r7[1]),
                  branch7x7_3=(arg, 192, c7[0], 1, c7[1]), branch7x7dbl_1=(c, arg, 1),
                  branch7x7dbl_2=(arg, arg, c7[0], 1, c7[1]), branch7x7dbl_3=(arg, arg, r7[0], 1, r7[1]),
                  branch7x7dbl_4=(arg, arg, c7[0], 1, c7[1]), branch7x7dbl_5=(arg, 192, r7[0], 1, r7[1]),
                  branch_pool=(c, 192, 1)),
        "D": dict(branch3x3_1=(c, 192, 1), branch3x3_2=(192, 320, 3, 2), branch7x7x3_1=(c, 192, 1),
                  branch7x7x3_2=(192, 192, r7[0], 1, r7[1]), branch7x7x3_3=(192, 192, c7[0], 1, c7[1]),
                  branch7x7x3_4=(192, 192, 3, 2)),
        "E": dict(branch1x1=(c, 320, 1), branch3x3_1=(c, 384, 1), branch3x3_2a=(384, 384, r3[0], 1, r3[1]),
                  branch3x3_2b=(384, 384, c3[0], 1, c3[1]), branch3x3dbl_1=(c, 448, 1),
                  branch3x3dbl_2=(448, 384, 3, 1, 1), branch3x3dbl_3a=(384, 384, r3[0], 1, r3[1]),
                  branch3x3dbl_3b=(384, 384, c3[0], 1, c3[1]), branch_pool=(c, 192, 1)),
        "Aux": dict(conv0=(c, 128, 1), conv1=(128, 768, 5)),
    }[kind]


class _TBlock(torch.nn.Module):
    def __init__(self, kind: str, c: int, arg: int = 0) -> None:
        super().__init__()
        self.kind = kind
        for name, spec in _specs(kind, c, arg).items():
            setattr(self, name, _t_basic(*spec))
        if kind == "Aux":
            self.fc = torch.nn.Linear(768, arg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        def seq(*names: str) -> torch.Tensor:
            y = x
            for n in names:
                y = getattr(self, n)(y)
            return y

        def pool() -> torch.Tensor:
            return self.branch_pool(TF.avg_pool2d(x, 3, 1, 1))

        if self.kind == "A":
            return torch.cat([seq("branch1x1"), seq("branch5x5_1", "branch5x5_2"),
                              seq("branch3x3dbl_1", "branch3x3dbl_2", "branch3x3dbl_3"), pool()], 1)
        if self.kind == "B":
            return torch.cat([seq("branch3x3"), seq("branch3x3dbl_1", "branch3x3dbl_2", "branch3x3dbl_3"),
                              TF.max_pool2d(x, 3, 2)], 1)
        if self.kind == "C":
            return torch.cat([seq("branch1x1"), seq(*(f"branch7x7_{i}" for i in (1, 2, 3))),
                              seq(*(f"branch7x7dbl_{i}" for i in range(1, 6))), pool()], 1)
        if self.kind == "D":
            return torch.cat([seq("branch3x3_1", "branch3x3_2"), seq(*(f"branch7x7x3_{i}" for i in range(1, 5))),
                              TF.max_pool2d(x, 3, 2)], 1)
        if self.kind == "E":
            b3, d3 = seq("branch3x3_1"), seq("branch3x3dbl_1", "branch3x3dbl_2")
            return torch.cat([seq("branch1x1"), self.branch3x3_2a(b3), self.branch3x3_2b(b3),
                              self.branch3x3dbl_3a(d3), self.branch3x3dbl_3b(d3), pool()], 1)
        y = self.conv1(self.conv0(TF.avg_pool2d(x, 5, 3)))  # Aux
        return self.fc(torch.flatten(TF.adaptive_avg_pool2d(y, 1), 1))


_T_MIXED = [("Mixed_5b", "A", 192, 32), ("Mixed_5c", "A", 256, 64), ("Mixed_5d", "A", 288, 64),
            ("Mixed_6a", "B", 288, 0), ("Mixed_6b", "C", 768, 128), ("Mixed_6c", "C", 768, 160),
            ("Mixed_6d", "C", 768, 160), ("Mixed_6e", "C", 768, 192), ("AuxLogits", "Aux", 768, -1),
            ("Mixed_7a", "D", 768, 0), ("Mixed_7b", "E", 1280, 0), ("Mixed_7c", "E", 2048, 0)]


class _TorchInception3(torch.nn.Module):
    def __init__(self, num_classes: int = 1000, aux_logits: bool = True) -> None:
        super().__init__()
        self.Conv2d_1a_3x3, self.Conv2d_2a_3x3 = _t_basic(3, 32, 3, 2), _t_basic(32, 32, 3)
        self.Conv2d_2b_3x3, self.maxpool1 = _t_basic(32, 64, 3, 1, 1), torch.nn.MaxPool2d(3, 2)
        self.Conv2d_3b_1x1, self.Conv2d_4a_3x3 = _t_basic(64, 80, 1), _t_basic(80, 192, 3)
        self.maxpool2 = torch.nn.MaxPool2d(3, 2)
        self.names = [n for n, *_ in _T_MIXED if aux_logits or n != "AuxLogits"]
        for name, kind, c, arg in _T_MIXED:
            if name in self.names:
                setattr(self, name, _TBlock(kind, c, num_classes if arg < 0 else arg))
        self.avgpool, self.dropout = torch.nn.AdaptiveAvgPool2d(1), torch.nn.Dropout(0.5)
        self.fc = torch.nn.Linear(2048, num_classes)

    def forward(self, x: torch.Tensor) -> Any:
        x = self.maxpool1(self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x))))
        x = self.maxpool2(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)))
        aux = None
        for name in self.names:
            if name == "AuxLogits":
                aux = self.AuxLogits(x) if self.training else None
            else:
                x = getattr(self, name)(x)
        x = self.fc(self.dropout(torch.flatten(self.avgpool(x), 1)))
        return (x, aux) if aux is not None else x


# ---- counts and layout ----

@pytest.mark.parametrize("aux,published", [(True, PUBLISHED_AUX), (False, PUBLISHED_NO_AUX)])
def test_published_count_equals_the_torch_rebuild_and_the_state_dict_layout_matches(aux: bool, published: int) -> None:
    twin = _TorchInception3(aux_logits=aux)
    assert _count(twin) == published
    net = models.create_model("inception_v3", aux_logits=aux)
    assert _count(net) == published
    ours = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    theirs = {k: tuple(v.shape) for k, v in twin.state_dict().items()}
    assert ours == theirs  # keys and shapes, buffers included: torchvision checkpoints load one to one


def test_aux_head_count_by_formula_and_classes() -> None:
    # 1x1 conv 768 -> 128 and 5x5 conv 128 -> 768 (BasicConv2d: no bias, BN weight + bias), fc 768 -> classes
    def aux(classes: int) -> int:
        return 768 * 128 + 2 * 128 + 128 * 768 * 25 + 2 * 768 + 768 * classes + classes

    assert PUBLISHED_AUX - PUBLISHED_NO_AUX == aux(1000) == 3_326_696
    ten = models.create_model("inception_v3", num_classes=10, in_channels=1)
    # fewer classes in both heads, and one input channel in the 3x3 stem conv (32 filters)
    assert _count(ten) == PUBLISHED_AUX - (2048 + 1) * 990 - (aux(1000) - aux(10)) - 32 * 2 * 9


def test_factorised_7x7_saving() -> None:
    # InceptionC replaces a c x c 7x7 conv (49 c^2 weights) by a 1x7 then a 7x1 (14 c^2): same 7x7 receptive field
    block = InceptionC(768, 128)
    w = [m.conv.weight for m in (block.branch7x7_2, block.branch7x7_3)]
    assert [tuple(t.shape) for t in w] == [(128, 128, 1, 7), (192, 128, 7, 1)]
    assert block.branch7x7_2.conv.weight.numel() == 7 * 128 * 128 == cr.nn.Conv2d(128, 128, 7).weight.numel() // 7
    x = _x(1, 1, 9, 9).requires_grad_()
    a, b = cr.nn.Conv2d(1, 1, (1, 7), bias=False), cr.nn.Conv2d(1, 1, (7, 1), bias=False)
    b(a(x))[0, 0, 1, 1].backward()
    support = np.argwhere(x.grad.numpy()[0, 0] != 0)
    assert support.min(0).tolist() == [1, 1] and support.max(0).tolist() == [7, 7]


def test_registered_and_small_blocks_have_the_documented_shapes() -> None:
    assert models.list_models("inception*") == ["inception_v3"]
    assert tuple(InceptionB(8)(_x(2, 8, 35, 35)).shape) == (2, 384 + 96 + 8, 17, 17)
    aux = InceptionAux(8, 5)
    y = aux(_x(2, 8, 17, 17))
    assert tuple(y.shape) == (2, 5)
    y.sum().backward()
    assert all(p.grad is not None for p in aux.parameters())


# ---- forward / backward ----

def _copy_into(twin: torch.nn.Module, net: cr.nn.Module) -> None:
    twin.load_state_dict({k: to_torch(v) for k, v in net.state_dict().items()})


def test_matches_the_torch_rebuild_forward_and_backward_in_float64() -> None:
    cr.manual_seed(0)
    net = models.create_model("inception_v3", num_classes=10, aux_logits=False, dropout=0.0).double()
    twin = _TorchInception3(num_classes=10, aux_logits=False).double()
    twin.dropout.p = 0.0
    _copy_into(twin, net)
    x = _x(2, 3, 75, 75, seed=1, dtype=np.float64)
    g = np.random.default_rng(2).standard_normal((2, 10))
    y, yt = net(x), twin(to_torch(x))
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-8, atol=1e-8)
    y.backward(cr.tensor(g))
    yt.backward(torch.from_numpy(g))
    tp = dict(twin.named_parameters())
    for name, p in net.named_parameters():
        assert p.grad is not None, name
        want = tp[name].grad.numpy()
        # NOTE: train-mode BN over 2 samples on the 1x1 maps of the last stage is ill-conditioned: gradients reach
        # ~1e7 with float64 round-off cancellations, so the tolerance is relative to each tensor's largest entry
        np.testing.assert_allclose(p.grad.numpy(), want, rtol=1e-6, atol=1e-7 * np.abs(want).max(), err_msg=name)
    # eval: running statistics (updated by the train-mode pass in both) are used
    net.eval(), twin.eval()
    with cr.no_grad():
        want = twin(to_torch(x)).detach().numpy()  # logits ~1e6 from the N(0, 0.1^2) init: compare to their scale
        np.testing.assert_allclose(net(x).numpy(), want, rtol=1e-8, atol=1e-10 * np.abs(want).max())


def test_small_input_forward_backward_float32_and_state_dict_round_trip() -> None:
    net = models.create_model("inception_v3", num_classes=10, in_channels=1, aux_logits=False)
    y = net(_x(2, 1, 75, 75))
    assert isinstance(y, cr.Tensor) and tuple(y.shape) == (2, 10) and y.dtype == cr.float32
    (y * _x(2, 10, seed=1)).sum().backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and p.grad.dtype == cr.float32 and np.isfinite(p.grad.numpy()).all(), name
    net.eval()
    x2 = _x(1, 1, 80, 80, seed=2)
    with cr.no_grad():
        want = net(x2).numpy()
        fresh = models.create_model("inception_v3", num_classes=10, in_channels=1, aux_logits=False).eval()
        fresh.load_state_dict(net.state_dict())
        np.testing.assert_array_equal(fresh(x2).numpy(), want)


def test_eval_mode_returns_only_the_logits_even_with_the_aux_head() -> None:
    net = models.create_model("inception_v3", num_classes=7).eval()
    assert net.AuxLogits is not None
    with cr.no_grad():
        y = net(_x(1, 3, 75, 75))
    assert isinstance(y, cr.Tensor) and tuple(y.shape) == (1, 7)
    assert net.default_input_size == (3, 299, 299)  # summary's default input


# ---- bad input ----

def test_too_small_input_names_the_layer_with_an_empty_output() -> None:
    net = models.create_model("inception_v3", num_classes=10, in_channels=1).eval()
    with pytest.raises(RuntimeError, match=r"^inception_v3: input too small: layer 'Mixed_6a.branch3x3.conv' .* output "
                                           r"would be empty .* smallest input this model takes is 75x75"):
        net(_x(1, 1, 28, 28))  # a Fashion-MNIST image: 28 -> 13 -> 11 -> 5 -> 3 -> 1: the first grid reduction gets 1x1
    with pytest.raises(RuntimeError, match=r"layer 'Mixed_7a.branch3x3_2.conv' \(Conv2d\) gets a 2x2 feature map"):
        net(_x(1, 1, 74, 74))
    with pytest.raises(RuntimeError, match=r"layer 'Mixed_7a.branch3x3_2.conv'"):
        net(_x(1, 1, 75, 74))
    assert Inception3.min_input_size == 75


def test_in_channels_mismatch_raises_with_the_shapes() -> None:
    net = models.create_model("inception_v3", num_classes=10, in_channels=1, aux_logits=False)
    with pytest.raises(RuntimeError, match=r"Conv2d\(1, 32, .*expected input of shape \(N, 1, H, W\).*"
                                           r"got \(2, 3, 75, 75\)"):
        net(_x(2, 3, 75, 75))


# NOTE: ~6 s of CPU (1 thread, loaded machine): build, a train-mode forward + backward at 299x299 with the aux head,
# and a 298x298 forward that stops at the aux head.
@pytest.mark.slow
def test_full_size_train_forward_returns_logits_and_aux_logits() -> None:
    net = models.create_model("inception_v3")
    out = net(_x(2, 3, 299, 299))
    assert isinstance(out, InceptionOutputs) and isinstance(out, tuple)
    assert tuple(out.logits.shape) == tuple(out.aux_logits.shape) == (2, 1000)
    (out.logits.sum() + 0.4 * out.aux_logits.sum()).backward()  # torchvision's recipe weights the aux loss 0.4
    for name, p in net.named_parameters():
        assert p.grad is not None, name
    with pytest.raises(RuntimeError, match=r"^inception_v3 \(train mode, aux head\): input too small: layer "
                                           r"'AuxLogits.conv1.conv' .* smallest input this model takes is 299x299"):
        net(_x(2, 3, 298, 298))
