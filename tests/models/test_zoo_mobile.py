"""Mobile CNNs and vision Transformers of the zoo: published parameter counts, forward/backward/state_dict on small
inputs, bad input, and their building blocks against PyTorch twins written here from the papers."""

from __future__ import annotations

import math
from functools import cache
from typing import Any, Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import chainrule as cr
from chainrule import models
from chainrule.autograd import gradcheck
from chainrule.models.convnext import CNBlock, LayerNorm2d, StochasticDepth
from chainrule.models.mnasnet import MnasInvertedResidual
from chainrule.models.mobilenet import InvertedResidual, check_image_input
from chainrule.models.shufflenet import ShuffleNetV1Unit, ShuffleNetV2Block
from chainrule.models.swin import PatchMerging, ShiftedWindowAttention, SwinTransformer, relative_position_index, roll
from tests.helpers import assert_close, to_torch


def _count(m: cr.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def _shufflenet_v1_count(g: int = 3, widths: tuple[int, ...] = (240, 480, 960), repeats: tuple[int, ...] = (4, 8, 4),
                         classes: int = 1000) -> int:
    """ShuffleNet v1 by formula: conv1 3x3 -> 24 (+BN); per unit a grouped 1x1 to out/4, a 3x3 depthwise, a grouped
    1x1 to out (out - in at stride 2, the rest comes from the pooled shortcut), each with BN; then the classifier."""
    total, c = 3 * 24 * 9 + 2 * 24, 24
    for s, (out, n) in enumerate(zip(widths, repeats)):
        for i in range(n):
            mid, branch, g1 = out // 4, out - c if i == 0 else out, 1 if s == 0 and i == 0 else g
            total += c * mid // g1 + 2 * mid + 9 * mid + 2 * mid + mid * branch // g + 2 * branch
            c = out
    return total + c * classes + classes


# the published counts (torchvision's model tables / the papers) with 1000 classes
COUNTS = {"mobilenet_v1": 4_231_976, "mobilenet_v2": 3_504_872, "shufflenet_v2_x1_0": 2_278_604,
          "shufflenet_v1_g3": _shufflenet_v1_count(), "mnasnet1_0": 4_383_312, "swin_t": 28_288_354,
          "convnext_tiny": 28_589_128}
NAMES = list(COUNTS)


@pytest.mark.parametrize("name", NAMES)
def test_builds_by_name_with_the_published_parameter_count(name: str) -> None:
    assert models.is_model(name)
    net = models.create_model(name)
    assert _count(net) == COUNTS[name]
    assert all(p.dtype == cr.float32 for p in net.parameters())


def test_shufflenet_v1_formula_matches_table_1_widths_and_grouping() -> None:
    net = models.create_model("shufflenet_v1_g3")
    first, later = net.stages[0][0].gconv1[0], net.stages[1][0].gconv1[0]
    assert (first.groups, later.groups) == (1, 3)  # the paper leaves the first pointwise conv of stage 2 ungrouped
    assert [s[-1].gconv2[0].out_channels for s in net.stages] == [240, 480, 960]
    assert [len(s) for s in net.stages] == [4, 8, 4]


def test_swin_t_counts_its_relative_position_bias_tables() -> None:
    net = models.create_model("swin_t")
    tables = [p for n, p in net.named_parameters() if n.endswith("relative_position_bias_table")]
    assert sum(t.numel() for t in tables) == 13 * 13 * (3 * 2 + 6 * 2 + 12 * 6 + 24 * 2)
    assert "features.1.0.attn.relative_position_index" in net.state_dict()


@cache
def _small(name: str, seed: int = 0) -> cr.nn.Module:
    """The named model with 7 classes and 1 input channel (both arguments exercised), seeded."""
    cr.manual_seed(seed)
    return models.create_model(name, num_classes=7, in_channels=1)


SMALL = 32  # the smallest side every model here accepts (ConvNeXt: stem /4 and three /2 downsamplings)


@pytest.mark.parametrize("name", NAMES)
def test_forward_backward_on_a_small_input_reaches_every_parameter(name: str) -> None:
    net = _small(name).train()
    net.zero_grad()
    x = cr.randn(2, 1, SMALL, SMALL, generator=cr.Generator().manual_seed(1))
    y = net(x)
    assert tuple(y.shape) == (2, 7) and y.dtype == cr.float32
    assert np.isfinite(y.detach().numpy()).all()
    (y * cr.arange(7, dtype=cr.float32)).sum().backward()
    missing = [n for n, p in net.named_parameters() if p.grad is None]
    assert not missing, f"{name}: no gradient for {missing[:5]}"
    for n, p in net.named_parameters():
        g = p.grad.numpy()
        assert g.dtype == np.float32 and g.shape == tuple(p.shape) and np.isfinite(g).all(), n
    # NOTE: the classifier's last layer always gets a non-zero gradient; a detached branch would leave zeros here
    assert all(np.abs(p.grad.numpy()).sum() > 0 for p in net.parameters() if p.ndim > 1), name


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_round_trips_into_a_fresh_model(name: str) -> None:
    src = _small(name).eval()
    cr.manual_seed(123)  # NOTE: conftest re-seeds every test; a different seed makes the fresh model really differ
    dst = models.create_model(name, num_classes=7, in_channels=1).eval()
    w_src, w_dst = (dict(m.named_parameters()) for m in (src, dst))
    assert any(not np.array_equal(w_src[k].detach().numpy(), w_dst[k].detach().numpy()) for k in w_src)
    dst.load_state_dict(src.state_dict())
    sd_src, sd_dst = src.state_dict(), dst.state_dict()
    assert list(sd_dst) == list(sd_src)
    for k in sd_src:
        np.testing.assert_array_equal(sd_dst[k].numpy(), sd_src[k].numpy(), err_msg=k)
    x = cr.randn(1, 1, SMALL, SMALL, generator=cr.Generator().manual_seed(2))
    with cr.no_grad():
        np.testing.assert_array_equal(dst(x).numpy(), src(x).numpy())


@pytest.mark.parametrize("name", NAMES)
def test_in_channels_mismatch_names_the_model_and_shapes(name: str) -> None:
    net = _small(name)
    with pytest.raises(RuntimeError, match=r"expected input of shape \(N, 1, H, W\), got \(2, 3, 32, 32\)"):
        net(cr.zeros(2, 3, SMALL, SMALL))
    with pytest.raises(RuntimeError, match=r"got \(1, 32, 32\)"):
        net(cr.zeros(1, SMALL, SMALL))


@pytest.mark.parametrize("name,size,layer", [("convnext_tiny", 16, "features.6.1"),
                                             ("convnext_tiny", 3, "features.0.0"), ("swin_t", 3, "features.0.0")])
def test_too_small_input_names_the_layer(name: str, size: int, layer: str) -> None:
    with pytest.raises(RuntimeError, match=rf"input of spatial size {size}x{size} is too small: layer {layer}"):
        _small(name)(cr.zeros(1, 1, size, size))


def test_check_image_input_walks_the_reductions() -> None:
    x = cr.zeros(1, 2, 9, 9)
    check_image_input("Net", x, 2, [("a", 3, 2, 0), ("b", 3, 1, 0)])  # 9 -> 4 -> 2: fine
    with pytest.raises(RuntimeError, match=r"layer c .* gets a 2x2 feature map"):
        check_image_input("Net", x, 2, [("a", 3, 2, 0), ("b", 3, 1, 0), ("c", 3, 1, 0)])
    with pytest.raises(TypeError, match="Net: expected a Tensor"):
        check_image_input("Net", np.zeros((1, 2, 9, 9)), 2)  # type: ignore[arg-type]


def test_swin_forward_with_a_small_configurable_window_and_real_shifts() -> None:
    cr.manual_seed(0)
    net = SwinTransformer(patch_size=2, embed_dim=8, depths=(2, 2), num_heads=(2, 4), window_size=2, num_classes=5,
                          in_channels=1)
    x = cr.randn(2, 1, 8, 8, requires_grad=True)  # maps 4x4 then 2x2: stage 1 shifts, stage 2 (window = map) not
    y = net(x)
    assert tuple(y.shape) == (2, 5)
    y.sum().backward()
    assert x.grad is not None and all(p.grad is not None for p in net.parameters())


# ---------------------------------------------------------------------------------------------------- Swin parts


@pytest.mark.parametrize("shifts,dims", [((1,), (0,)), ((-2, 3), (1, 2)), ((7, -9), (2, 1)), ((0,), (1,))])
def test_roll_matches_torch(shifts: tuple[int, ...], dims: tuple[int, ...]) -> None:
    a = np.random.default_rng(0).standard_normal((3, 4, 5))
    x = cr.tensor(a, requires_grad=True)
    out = roll(x, shifts, dims)
    t = to_torch(x)
    ref = torch.roll(t, shifts, dims)
    assert_close(out, ref)
    w = np.random.default_rng(1).standard_normal(out.shape)
    (out * cr.tensor(w)).sum().backward()
    (ref * torch.from_numpy(w)).sum().backward()
    assert_close(x.grad, t.grad, "grad")


def test_relative_position_index_is_the_offset_of_each_token_pair() -> None:
    wh, ww = 3, 4
    idx = relative_position_index((wh, ww)).reshape(wh * ww, wh * ww)
    for i in range(wh * ww):
        for j in range(wh * ww):
            dh, dw = i // ww - j // ww, i % ww - j % ww
            assert idx[i, j] == (dh + wh - 1) * (2 * ww - 1) + dw + ww - 1


def _torch_window_attention(x: Any, qkv_w: Any, qkv_b: Any, proj_w: Any, proj_b: Any, table: Any, ws: int, shift: int,
                            heads: int) -> Any:
    """Shifted-window attention written from the Swin paper: pad, roll by -shift, attend within windows with the
    relative bias, mask pairs of tokens of which one wrapped around and the other not, undo everything."""
    b, h, w, c = x.shape
    ph, pw = -(-h // ws) * ws, -(-w // ws) * ws
    x = TF.pad(x, (0, 0, 0, pw - w, 0, ph - h))
    s = (0 if ws >= ph else shift, 0 if ws >= pw else shift)
    x = torch.roll(x, (-s[0], -s[1]), (1, 2))
    n = ws * ws
    win = x.view(b, ph // ws, ws, pw // ws, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(-1, n, c)
    q, k, v = (win @ qkv_w.T + qkv_b).view(-1, n, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
    r, col = torch.meshgrid(torch.arange(ws), torch.arange(ws), indexing="ij")
    r, col = r.flatten(), col.flatten()
    rel = (r[:, None] - r[None, :] + ws - 1) * (2 * ws - 1) + col[:, None] - col[None, :] + ws - 1
    attn = q @ k.transpose(-2, -1) / math.sqrt(c // heads) + table[rel].permute(2, 0, 1)
    if any(s):
        rows = (torch.arange(ph) >= ph - s[0]) if s[0] else torch.zeros(ph, dtype=torch.bool)
        cols = (torch.arange(pw) >= pw - s[1]) if s[1] else torch.zeros(pw, dtype=torch.bool)
        label = rows[:, None].long() * 2 + cols[None, :].long()
        label = label.view(ph // ws, ws, pw // ws, ws).permute(0, 2, 1, 3).reshape(-1, n)
        mask = (label[:, :, None] != label[:, None, :]).to(x.dtype) * -100.0
        attn = (attn.view(b, -1, heads, n, n) + mask[None, :, None]).view(-1, heads, n, n)
    out = (attn.softmax(-1) @ v).transpose(1, 2).reshape(-1, n, c) @ proj_w.T + proj_b
    out = out.view(b, ph // ws, pw // ws, ws, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(b, ph, pw, c)
    return torch.roll(out, s, (1, 2))[:, :h, :w]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("hw,ws,shift", [((6, 6), 3, 1), ((5, 7), 3, 1), ((4, 4), 2, 0), ((3, 3), 4, 2)])
def test_shifted_window_attention_matches_a_torch_twin(dtype: str, hw: tuple[int, int], ws: int, shift: int) -> None:
    cr.manual_seed(0)
    attn = ShiftedWindowAttention(8, (ws, ws), (shift, shift), num_heads=2)
    attn.to(getattr(cr, dtype))
    x = cr.tensor(np.random.default_rng(0).standard_normal((2, *hw, 8)), dtype=getattr(cr, dtype), requires_grad=True)
    params = [attn.qkv.weight, attn.qkv.bias, attn.proj.weight, attn.proj.bias, attn.relative_position_bias_table]
    tx, tp = to_torch(x), [to_torch(p) for p in params]
    out, ref = attn(x), _torch_window_attention(tx, tp[0], tp[1], tp[2], tp[3], tp[4], ws, shift, 2)
    assert_close(out, ref)
    w = np.random.default_rng(1).standard_normal(out.shape)
    (out * cr.tensor(w, dtype=out.dtype)).sum().backward()
    (ref * torch.from_numpy(w).to(ref.dtype)).sum().backward()
    for ours, theirs in zip([x, *params], [tx, *tp]):
        assert_close(ours.grad, theirs.grad, "grad")


def test_shifted_window_attention_rejects_channels_first_input() -> None:
    attn = ShiftedWindowAttention(8, (2, 2), (1, 1), num_heads=2)
    with pytest.raises(RuntimeError, match=r"ShiftedWindowAttention: expected input of shape \(N, H, W, 8\), got "
                                           r"\(1, 8, 4, 4\)"):
        attn(cr.zeros(1, 8, 4, 4))
    with pytest.raises(ValueError, match="dim=6 is not divisible by num_heads=4"):
        ShiftedWindowAttention(6, (2, 2), (0, 0), num_heads=4)


def test_shifted_window_attention_passes_gradcheck() -> None:
    cr.manual_seed(0)
    attn = ShiftedWindowAttention(4, (2, 2), (1, 1), num_heads=2).double()
    x = cr.randn(1, 3, 4, 4, dtype=cr.float64, requires_grad=True)
    assert gradcheck(lambda t, tab: attn(t), (x, attn.relative_position_bias_table))


def test_patch_merging_matches_a_torch_twin_on_an_odd_map() -> None:
    cr.manual_seed(0)
    pm = PatchMerging(3).double()
    x = cr.randn(2, 5, 3, 3, dtype=cr.float64, requires_grad=True)
    tx = to_torch(x)
    tp = TF.pad(tx, (0, 0, 0, 1, 0, 1))
    cat = torch.cat([tp[:, 0::2, 0::2], tp[:, 1::2, 0::2], tp[:, 0::2, 1::2], tp[:, 1::2, 1::2]], -1)
    lw, lb, rw = to_torch(pm.norm.weight), to_torch(pm.norm.bias), to_torch(pm.reduction.weight)
    ref = TF.layer_norm(cat, (12,), lw, lb) @ rw.T
    out = pm(x)
    assert tuple(out.shape) == (2, 3, 2, 6)
    assert_close(out, ref)
    out.sum().backward()
    ref.sum().backward()
    for ours, theirs in ((x, tx), (pm.norm.weight, lw), (pm.reduction.weight, rw)):
        assert_close(ours.grad, theirs.grad, "grad")


# ------------------------------------------------------------------------------------ ConvNeXt and the CNN blocks


def test_cnblock_and_layernorm2d_match_torch() -> None:
    cr.manual_seed(0)
    blk = CNBlock(4).double()
    blk.layer_scale.data = cr.randn(4, 1, 1, dtype=cr.float64)  # NOTE: 1e-6 would hide the branch in the check
    x = cr.randn(2, 4, 5, 5, dtype=cr.float64, requires_grad=True)
    conv, ln, l1, l2 = blk.block[0], blk.block[2], blk.block[3], blk.block[5]
    ps = [conv.weight, conv.bias, ln.weight, ln.bias, l1.weight, l1.bias, l2.weight, l2.bias, blk.layer_scale]
    tx, tp = to_torch(x), [to_torch(p) for p in ps]
    y = TF.conv2d(tx, tp[0], tp[1], padding=3, groups=4).permute(0, 2, 3, 1)
    y = TF.linear(TF.gelu(TF.linear(TF.layer_norm(y, (4,), tp[2], tp[3], 1e-6), tp[4], tp[5])), tp[6], tp[7])
    ref = tx + tp[8] * y.permute(0, 3, 1, 2)
    out = blk(x)
    assert_close(out, ref)
    out.sum().backward()
    ref.sum().backward()
    for ours, theirs in zip([x, *ps], [tx, *tp]):
        assert_close(ours.grad, theirs.grad, "grad")
    ln2d = LayerNorm2d(4, eps=1e-6).double()
    assert_close(ln2d(x), TF.layer_norm(tx.permute(0, 2, 3, 1), (4,), eps=1e-6).permute(0, 3, 1, 2))


def _torch_twin(module: cr.nn.Module, build: Callable[[], torch.nn.Module]) -> torch.nn.Module:
    twin = build().double()
    twin.load_state_dict({k: torch.from_numpy(np.array(v.numpy(), copy=True)) for k, v in module.state_dict().items()})
    return twin.train()


def _tcbr(inp: int, oup: int, k: int, s: int = 1, g: int = 1, act: Any = None) -> list[torch.nn.Module]:
    layers = [torch.nn.Conv2d(inp, oup, k, s, k // 2, groups=g, bias=False), torch.nn.BatchNorm2d(oup)]
    return layers + ([act()] if act else [])


class _TorchShuffleV2(torch.nn.Module):
    def __init__(self, inp: int, oup: int, stride: int) -> None:
        super().__init__()
        bf, r = oup // 2, torch.nn.ReLU
        self.stride = stride
        if stride == 2:
            self.branch1 = torch.nn.Sequential(*_tcbr(inp, inp, 3, 2, inp), *_tcbr(inp, bf, 1, act=r))
        self.branch2 = torch.nn.Sequential(*_tcbr(inp if stride == 2 else bf, bf, 1, act=r),
                                           *_tcbr(bf, bf, 3, stride, bf), *_tcbr(bf, bf, 1, act=r))

    def forward(self, x: Any) -> Any:
        if self.stride == 1:
            a, b = x.chunk(2, 1)
            out = torch.cat([a, self.branch2(b)], 1)
        else:
            out = torch.cat([self.branch1(x), self.branch2(x)], 1)
        return torch.nn.functional.channel_shuffle(out, 2)


class _TorchShuffleV1(torch.nn.Module):
    def __init__(self, inp: int, oup: int, stride: int, g: int, g1: int) -> None:
        super().__init__()
        mid, bo = oup // 4, oup - inp if stride == 2 else oup
        self.stride, self.g1 = stride, g1
        self.gconv1 = torch.nn.Sequential(*_tcbr(inp, mid, 1, g=g1, act=torch.nn.ReLU))
        self.dwconv = torch.nn.Sequential(*_tcbr(mid, mid, 3, stride, mid))
        self.gconv2 = torch.nn.Sequential(*_tcbr(mid, bo, 1, g=g))

    def forward(self, x: Any) -> Any:
        y = self.gconv1(x)
        y = torch.nn.functional.channel_shuffle(y, self.g1) if self.g1 > 1 else y
        y = self.gconv2(self.dwconv(y))
        return torch.relu(x + y if self.stride == 1 else torch.cat([TF.avg_pool2d(x, 3, 2, 1), y], 1))


class _TorchInverted(torch.nn.Module):
    def __init__(self, inp: int, oup: int, k: int, t: int, act: Any) -> None:
        super().__init__()
        mid = inp * t
        self.body = torch.nn.Sequential(*_tcbr(inp, mid, 1, act=act), *_tcbr(mid, mid, k, 1, mid, act=act),
                                        *_tcbr(mid, oup, 1))

    def forward(self, x: Any) -> Any:
        return x + self.body(x)


CASES = [
    ("shufflenet_v2 s1", lambda: ShuffleNetV2Block(8, 8, 1), lambda: _TorchShuffleV2(8, 8, 1), 8),
    ("shufflenet_v2 s2", lambda: ShuffleNetV2Block(6, 8, 2), lambda: _TorchShuffleV2(6, 8, 2), 6),
    ("shufflenet_v1 s1", lambda: ShuffleNetV1Unit(12, 12, 1, 3), lambda: _TorchShuffleV1(12, 12, 1, 3, 3), 12),
    ("shufflenet_v1 s2", lambda: ShuffleNetV1Unit(6, 24, 2, 3, 1), lambda: _TorchShuffleV1(6, 24, 2, 3, 1), 6),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_shufflenet_units_match_torch_twins(case: tuple[Any, ...]) -> None:
    _, ours_fn, theirs_fn, c = case
    cr.manual_seed(0)
    ours = ours_fn().double().train()
    theirs = _torch_twin(ours, theirs_fn)
    x = cr.randn(2, c, 5, 5, dtype=cr.float64, requires_grad=True)
    tx = to_torch(x)
    out, ref = ours(x), theirs(tx)
    assert_close(out, ref)
    w = np.random.default_rng(3).standard_normal(out.shape)
    (out * cr.tensor(w)).sum().backward()
    (ref * torch.from_numpy(w)).sum().backward()
    assert_close(x.grad, tx.grad, "grad")
    tgrads = dict(theirs.named_parameters())
    for n, p in ours.named_parameters():
        assert_close(p.grad, tgrads[n].grad, "grad")


@pytest.mark.parametrize("kind", ["mobilenet_v2", "mnasnet"])
def test_inverted_residuals_match_torch_twins(kind: str) -> None:
    cr.manual_seed(0)
    if kind == "mobilenet_v2":
        ours, k, act = InvertedResidual(4, 4, 1, 6), 3, torch.nn.ReLU6
    else:
        ours, k, act = MnasInvertedResidual(4, 4, 5, 1, 3), 5, torch.nn.ReLU  # type: ignore[assignment]
    ours.double().train()
    leaves = [m for m in ours.modules() if not list(m.children())]
    theirs = _TorchInverted(4, 4, k, 6 if kind == "mobilenet_v2" else 3, act).double().train()
    for m, tm in zip(leaves, theirs.body):
        tm.load_state_dict({n: torch.from_numpy(np.array(v.numpy(), copy=True)) for n, v in m.state_dict().items()})
    assert [type(m).__name__ for m in leaves] == [type(m).__name__ for m in theirs.body]
    x = cr.randn(2, 4, 5, 5, dtype=cr.float64, requires_grad=True)
    tx = to_torch(x)
    out, ref = ours(x), theirs(tx)
    assert_close(out, ref)
    out.sum().backward()
    ref.sum().backward()
    assert_close(x.grad, tx.grad, "grad")
    for m, tm in zip(leaves, theirs.body):
        for p, tp in zip(m.parameters(), tm.parameters()):
            assert_close(p.grad, tp.grad, "grad")


def test_stochastic_depth_drops_whole_rows_and_rescales() -> None:
    sd = StochasticDepth(0.25)
    x = cr.ones(4000, 3, dtype=cr.float32)
    sd.eval()
    assert sd(x) is x
    sd.train()
    cr.manual_seed(0)
    y = sd(x).numpy()
    assert y.dtype == np.float32
    assert set(np.unique(y).tolist()) <= {0.0, np.float32(1 / 0.75)}
    assert (y == y[:, :1]).all()  # one draw per sample
    assert abs((y[:, 0] == 0).mean() - 0.25) < 0.03
    with pytest.raises(ValueError, match="StochasticDepth: p must be in"):
        StochasticDepth(1.5)


def test_blocks_pass_gradcheck() -> None:
    cr.manual_seed(0)
    pm = PatchMerging(2).double()
    x = cr.randn(1, 3, 3, 2, dtype=cr.float64, requires_grad=True)
    assert gradcheck(lambda t, w: pm(t), (x, pm.reduction.weight))
    blk = CNBlock(2).double()
    blk.layer_scale.data = cr.ones(2, 1, 1, dtype=cr.float64)
    x = cr.randn(1, 2, 3, 3, dtype=cr.float64, requires_grad=True)
    assert gradcheck(lambda t, w: blk(t), (x, blk.block[0].weight))
    unit = ShuffleNetV1Unit(12, 12, 1, 3).double().train()
    x = cr.randn(2, 12, 2, 2, dtype=cr.float64, requires_grad=True)
    assert gradcheck(lambda t, w: unit(t), (x, unit.gconv2[0].weight))


# ------------------------------------------------------------------------------------------------- slow: 224 x 224


@pytest.mark.slow
@pytest.mark.parametrize("name", ["swin_t", "convnext_tiny", "mobilenet_v2"])
def test_full_size_forward(name: str) -> None:
    cr.manual_seed(0)
    net = models.create_model(name).eval()
    with cr.no_grad():
        y = net(cr.randn(1, 3, 224, 224))
    assert tuple(y.shape) == (1, 1000) and np.isfinite(y.numpy()).all()
