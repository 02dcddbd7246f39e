"""Convolutions against PyTorch: F.conv1d/conv2d/conv_transpose1d/conv_transpose2d over a table of configurations
(odd sizes, stride > kernel, dilation with padding, groups, depthwise, 1x1, rectangular kernels, asymmetric tuples,
batch 1, unbatched, 'same'/'valid', output_padding), forward values and the gradients of input, weight and bias in
float64 and float32; the modules with every padding_mode, their state_dicts, reprs, initialisation and output_size;
channel_shuffle; and the bad-input errors."""

from __future__ import annotations

import math
import warnings
from collections import OrderedDict
from typing import Any, Callable

import numpy as np
import pytest
import torch

import chainrule as cr
from tests.helpers import assert_close, to_torch

DTYPES = ["float64", "float32"]

CONV2D = {  # name: (input shape, weight shape, kwargs)
    "odd": ((2, 3, 7, 9), (4, 3, 3, 3), {}),
    "stride_gt_kernel": ((2, 3, 11, 10), (4, 3, 2, 2), dict(stride=3)),
    "dilation_padding": ((2, 3, 9, 8), (5, 3, 3, 3), dict(padding=2, dilation=2)),
    "groups": ((2, 4, 6, 7), (6, 2, 3, 3), dict(groups=2, padding=1)),
    "depthwise": ((2, 4, 6, 7), (4, 1, 3, 3), dict(groups=4, padding=1)),
    "depthwise_multiplier": ((2, 3, 6, 5), (6, 1, 3, 3), dict(groups=3, stride=2)),
    "1x1": ((2, 5, 4, 6), (3, 5, 1, 1), {}),
    "rectangular": ((2, 3, 8, 9), (4, 3, 3, 2), dict(padding=(1, 0))),
    "asymmetric_tuples": ((2, 3, 9, 10), (4, 3, 3, 3), dict(stride=(2, 1), padding=(0, 2), dilation=(1, 2))),
    "batch1": ((1, 2, 5, 5), (3, 2, 3, 3), dict(padding=1, stride=2)),
    "unbatched": ((3, 7, 6), (4, 3, 3, 3), dict(padding=1)),
    "same": ((2, 3, 7, 6), (4, 3, 3, 3), dict(padding="same")),
    "same_even_dilated": ((2, 3, 7, 6), (4, 3, 4, 2), dict(padding="same", dilation=(1, 3))),
    "valid": ((2, 3, 7, 6), (4, 3, 3, 3), dict(padding="valid")),
    "kernel_eq_input": ((2, 2, 3, 4), (3, 2, 3, 4), {}),
}
CONV1D = {
    "odd": ((2, 3, 11), (4, 3, 3), {}),
    "stride_dilation_padding": ((2, 3, 11), (4, 3, 2), dict(stride=3, padding=2, dilation=2)),
    "depthwise": ((2, 3, 9), (3, 1, 3), dict(groups=3, padding=1)),
    "groups_unbatched": ((4, 9), (6, 2, 3), dict(groups=2)),
    "same": ((1, 2, 8), (3, 2, 4), dict(padding="same")),
    "valid": ((2, 2, 8), (3, 2, 4), dict(padding="valid")),
}
CONVT2D = {
    "plain": ((2, 4, 5, 6), (4, 3, 3, 3), {}),
    "stride2_output_padding": ((2, 4, 5, 6), (4, 3, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    "groups_dilation": ((2, 4, 5, 6), (4, 2, 3, 2), dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2),
                                                         groups=2, dilation=(1, 2))),
    "dilation_gt_stride": ((2, 2, 4, 4), (2, 3, 2, 2), dict(dilation=3, output_padding=2)),
    "upsample_2x2": ((1, 4, 3, 3), (4, 2, 2, 2), dict(stride=2)),
    "depthwise": ((2, 3, 4, 5), (3, 1, 3, 3), dict(groups=3, stride=2)),
    "unbatched": ((4, 5, 6), (4, 3, 3, 3), dict(stride=2)),
}
CONVT1D = {
    "stride_output_padding": ((2, 4, 5), (4, 3, 3), dict(stride=2, output_padding=1)),
    "groups_dilation_padding": ((2, 4, 6), (4, 1, 3), dict(groups=2, dilation=2, padding=1, stride=3)),
    "unbatched": ((4, 5), (4, 2, 2), dict(stride=2)),
}


def _leaf(a: np.ndarray) -> tuple[cr.Tensor, torch.Tensor]:
    return cr.tensor(a.copy(), requires_grad=True), torch.tensor(a.copy(), requires_grad=True)


def _compare_op(ours: Callable[..., Any], theirs: Callable[..., Any], x_shape: tuple[int, ...],
                w_shape: tuple[int, ...], kwargs: dict[str, Any], dtype: str, bias: bool, transposed: bool) -> None:
    """Same random input/weight/bias in both libraries: forward and every gradient must agree (dtype included)."""
    rng = np.random.default_rng(0)
    out_c = w_shape[1] * kwargs.get("groups", 1) if transposed else w_shape[0]
    leaves = [_leaf(rng.standard_normal(s).astype(dtype)) for s in (x_shape, w_shape) + (((out_c,),) if bias else ())]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about 'same' with even kernels
        y = ours(*[a for a, _ in leaves], **kwargs)
        ty = theirs(*[b for _, b in leaves], **kwargs)
    assert_close(y, ty)
    g = rng.standard_normal(tuple(ty.shape)).astype(dtype)
    y.backward(cr.tensor(g.copy()))
    ty.backward(torch.from_numpy(g.copy()))
    for a, b in leaves:
        assert a.grad.dtype == a.dtype
        assert_close(a.grad, b.grad, "grad")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("case", list(CONV2D))
def test_conv2d_matches_torch(case: str, bias: bool, dtype: str) -> None:
    _compare_op(cr.nn.functional.conv2d, torch.nn.functional.conv2d, *CONV2D[case], dtype, bias, False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", [c for c in CONV2D if "groups" not in CONV2D[c][2]] + ["one_channel"])
def test_conv2d_weight_gradient_rebuilt_without_saved_columns(case: str, dtype: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Columns over ops.conv.SAVE_COLS_MAX_BYTES are built a few images at a time, in the forward and again for the
    weight gradient, from the kept padded input. With the limit at 0 every dense case takes that path (one image per
    chunk) and must still match torch."""
    from chainrule.ops import conv as conv_ops

    monkeypatch.setattr(conv_ops, "SAVE_COLS_MAX_BYTES", 0)
    shapes = ((2, 1, 7, 6), (5, 1, 3, 3), dict(padding=1)) if case == "one_channel" else CONV2D[case]
    _compare_op(cr.nn.functional.conv2d, torch.nn.functional.conv2d, *shapes, dtype, True, False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("case", list(CONV1D))
def test_conv1d_matches_torch(case: str, bias: bool, dtype: str) -> None:
    _compare_op(cr.nn.functional.conv1d, torch.nn.functional.conv1d, *CONV1D[case], dtype, bias, False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("case", list(CONVT2D))
def test_conv_transpose2d_matches_torch(case: str, bias: bool, dtype: str) -> None:
    _compare_op(cr.nn.functional.conv_transpose2d, torch.nn.functional.conv_transpose2d, *CONVT2D[case], dtype,
                bias, True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(CONVT1D))
def test_conv_transpose1d_matches_torch(case: str, dtype: str) -> None:
    _compare_op(cr.nn.functional.conv_transpose1d, torch.nn.functional.conv_transpose1d, *CONVT1D[case], dtype,
                True, True)


def test_conv2d_noncontiguous_input_and_weight() -> None:
    rng = np.random.default_rng(3)
    x, tx = _leaf(rng.standard_normal((2, 7, 6, 3)))
    w, tw = _leaf(rng.standard_normal((3, 4, 3, 2)))
    y = cr.nn.functional.conv2d(x.permute(0, 3, 1, 2)[:, :, ::2], w.permute(3, 2, 0, 1), padding=1)
    ty = torch.nn.functional.conv2d(tx.permute(0, 3, 1, 2)[:, :, ::2], tw.permute(3, 2, 0, 1), padding=1)
    assert_close(y, ty)
    y.sum().backward()
    ty.sum().backward()
    assert_close(x.grad, tx.grad, "grad")
    assert_close(w.grad, tw.grad, "grad")


def test_conv2d_is_one_graph_node_and_keeps_float32() -> None:
    x = cr.randn(2, 3, 6, 6, requires_grad=True)
    m = cr.nn.Conv2d(3, 4, 3, padding=1)
    y = m(x)
    assert y.grad_fn.name == "ConvBackward"
    nodes = [f for f, _ in y.grad_fn.next_functions]
    assert len(nodes) == 3 and nodes[0] is x and nodes[1] is m.weight and nodes[2] is m.bias
    y.sum().backward()
    assert y.dtype == x.grad.dtype == m.weight.grad.dtype == m.bias.grad.dtype == cr.float32


# ---------------------------------------------------------------- modules

MODULES = {  # name: (chainrule class, torch class, constructor kwargs, input shape)
    "conv2d": (cr.nn.Conv2d, torch.nn.Conv2d, dict(in_channels=4, out_channels=6, kernel_size=3, padding=2,
                                                   groups=2), (2, 4, 7, 6)),
    "conv2d_rect": (cr.nn.Conv2d, torch.nn.Conv2d, dict(in_channels=3, out_channels=2, kernel_size=(3, 2),
                                                        stride=(2, 1), padding=(1, 2), dilation=(2, 1)), (2, 3, 8, 7)),
    "conv2d_same": (cr.nn.Conv2d, torch.nn.Conv2d, dict(in_channels=3, out_channels=2, kernel_size=4,
                                                        padding="same"), (2, 3, 6, 7)),
    "conv1d": (cr.nn.Conv1d, torch.nn.Conv1d, dict(in_channels=3, out_channels=4, kernel_size=3, stride=2,
                                                   padding=2), (2, 3, 9)),
    "conv1d_same": (cr.nn.Conv1d, torch.nn.Conv1d, dict(in_channels=2, out_channels=4, kernel_size=4, dilation=2,
                                                        padding="same"), (2, 2, 9)),
}
PADDING_MODES = ["zeros", "reflect", "replicate", "circular"]


def _module_pair(ours_cls: Any, theirs_cls: Any, kwargs: dict[str, Any], dtype: str) -> tuple[Any, Any]:
    """Both modules with torch's initial parameters loaded into ours (its state_dict keys and shapes must match)."""
    theirs = theirs_cls(**kwargs, dtype=getattr(torch, dtype))
    ours = ours_cls(**kwargs, dtype=getattr(cr, dtype))
    sd = theirs.state_dict()
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {k: tuple(v.shape) for k, v in sd.items()}
    ours.load_state_dict({k: v.detach().numpy() for k, v in sd.items()})
    return ours, theirs


def _compare_module(ours: Any, theirs: Any, x_shape: tuple[int, ...], dtype: str, **fwd: Any) -> None:
    rng = np.random.default_rng(1)
    x, tx = _leaf(rng.standard_normal(x_shape).astype(dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y, ty = ours(x, **fwd), theirs(tx, **fwd)
    assert_close(y, ty)
    g = rng.standard_normal(tuple(ty.shape)).astype(dtype)
    y.backward(cr.tensor(g.copy()))
    ty.backward(torch.from_numpy(g.copy()))
    assert_close(x.grad, tx.grad, "grad")
    for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == tname and p.grad.dtype == p.dtype
        assert_close(p.grad, tp.grad, "grad")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("padding_mode", PADDING_MODES)
@pytest.mark.parametrize("case", list(MODULES))
def test_conv_module_matches_torch(case: str, padding_mode: str, dtype: str) -> None:
    ours_cls, theirs_cls, kwargs, x_shape = MODULES[case]
    ours, theirs = _module_pair(ours_cls, theirs_cls, dict(kwargs, padding_mode=padding_mode), dtype)
    assert repr(ours) == repr(theirs)
    _compare_module(ours, theirs, x_shape, dtype)


CONVT_MODULES = {
    "convt2d": (cr.nn.ConvTranspose2d, torch.nn.ConvTranspose2d, dict(
        in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1, output_padding=1, groups=2), (2, 4, 5, 4)),
    "convt2d_dilated_nobias": (cr.nn.ConvTranspose2d, torch.nn.ConvTranspose2d, dict(
        in_channels=3, out_channels=2, kernel_size=(2, 3), dilation=(2, 1), stride=(1, 2), bias=False), (2, 3, 4, 5)),
    "convt1d": (cr.nn.ConvTranspose1d, torch.nn.ConvTranspose1d, dict(
        in_channels=3, out_channels=2, kernel_size=4, stride=3, padding=1), (2, 3, 5)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(CONVT_MODULES))
def test_conv_transpose_module_matches_torch(case: str, dtype: str) -> None:
    ours_cls, theirs_cls, kwargs, x_shape = CONVT_MODULES[case]
    ours, theirs = _module_pair(ours_cls, theirs_cls, kwargs, dtype)
    assert repr(ours) == repr(theirs)
    _compare_module(ours, theirs, x_shape, dtype)


@pytest.mark.parametrize("output_size", [[10, 9], [9, 10], [2, 6, 10, 10]], ids=str)
def test_conv_transpose2d_output_size(output_size: list[int]) -> None:
    ours, theirs = _module_pair(cr.nn.ConvTranspose2d, torch.nn.ConvTranspose2d,
                                dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1), "float64")
    _compare_module(ours, theirs, (2, 4, 5, 5), "float64", output_size=output_size)
    assert tuple(ours(cr.randn(2, 4, 5, 5, dtype=cr.float64), output_size=output_size).shape[-2:]) == \
        tuple(output_size[-2:])
    with pytest.raises(ValueError, match=r"ConvTranspose2d.*output size of \[12, 9\].*\[9, 9\] to \[10, 10\]"):
        ours(cr.randn(2, 4, 5, 5, dtype=cr.float64), output_size=[12, 9])
    with pytest.raises(ValueError):
        theirs(torch.randn(2, 4, 5, 5, dtype=torch.float64), output_size=[12, 9])


@pytest.mark.parametrize("cls, tcls, shape", [
    (cr.nn.Conv2d, torch.nn.Conv2d, (64, 32, 3, 3)), (cr.nn.Conv1d, torch.nn.Conv1d, (64, 32, 3)),
    (cr.nn.ConvTranspose2d, torch.nn.ConvTranspose2d, (32, 32, 3, 3)),
], ids=["conv2d", "conv1d", "convt2d"])
def test_default_init_is_torch_distribution(cls: Any, tcls: Any, shape: tuple[int, ...]) -> None:
    """kaiming_uniform_(a=sqrt(5)) is U(-b, b) with b = 1/sqrt(fan_in), fan_in = weight.shape[1] * kernel area; the
    bias shares b. Same bound, same spread (std b/sqrt(3)) and same mean as torch's layer of the same shape."""
    in_c, out_c = (shape[1], shape[0]) if cls is not cr.nn.ConvTranspose2d else (shape[0], shape[1])
    ours, theirs = cls(in_c, out_c, 3), tcls(in_c, out_c, 3)
    bound = 1 / math.sqrt(shape[1] * 9 if len(shape) == 4 else shape[1] * 3)
    for p, tp in ((ours.weight, theirs.weight), (ours.bias, theirs.bias)):
        a, ta = p.detach().numpy(), tp.detach().numpy()
        assert a.shape == ta.shape and a.dtype == ta.dtype == np.float32
        assert np.abs(a).max() <= bound and np.abs(ta).max() <= bound
        if a.size > 1000:
            assert np.abs(a).max() > 0.99 * bound
            assert abs(a.std() - bound / math.sqrt(3)) < 0.03 * bound and abs(a.mean()) < 0.03 * bound


# ---------------------------------------------------------------- channel shuffle


@pytest.mark.parametrize("shape, groups", [((2, 6, 3, 4), 3), ((2, 6, 5), 2), ((1, 4, 2, 2, 2), 4)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_channel_shuffle_matches_torch(shape: tuple[int, ...], groups: int, dtype: str) -> None:
    rng = np.random.default_rng(2)
    x, tx = _leaf(rng.standard_normal(shape).astype(dtype))
    for ours, theirs in [(cr.nn.functional.channel_shuffle(x, groups), torch.nn.functional.channel_shuffle(tx, groups)),
                         (cr.nn.ChannelShuffle(groups)(x), torch.nn.ChannelShuffle(groups)(tx))]:
        assert_close(ours, theirs)
        g = rng.standard_normal(shape).astype(dtype)
        x.grad, tx.grad = None, None
        ours.backward(cr.tensor(g.copy()))
        theirs.backward(torch.from_numpy(g.copy()))
        assert_close(x.grad, tx.grad, "grad")
    assert repr(cr.nn.ChannelShuffle(groups)) == repr(torch.nn.ChannelShuffle(groups))


# ---------------------------------------------------------------- bad input

BAD = [  # (op kwargs/shapes, exception type shared with torch, message pattern)
    ("conv2d", (3, 8), (4, 3, 3, 3), {}, r"conv2d: expected 3D \(unbatched\) or 4D.*got input of shape \(3, 8\)"),
    ("conv2d", (2, 4, 8, 8), (4, 3, 3, 3), {}, r"conv2d: expected input of shape \(N, 3, H, W\).*got.*\(2, 4, 8, 8\)"),
    ("conv2d", (2, 3, 2, 2), (4, 3, 3, 3), {}, r"conv2d: .*kernel \(3, 3\).*larger than the padded input \(2, 2\)"),
    ("conv2d", (2, 3, 4, 4), (4, 3, 3, 3), dict(dilation=2), r"padded input.*floor\(\(H \+ 2 \* padding"),
    ("conv2d", (2, 3, 8, 8), (4, 3, 3, 3), dict(stride=0), r"conv2d: non-positive stride.*\(0, 0\)"),
    ("conv2d", (2, 4, 8, 8), (3, 2, 3, 3), dict(groups=2), r"conv2d: weight of shape \(3, 2, 3, 3\).*groups=2"),
    ("conv2d", (2, 3, 8, 8), (4, 3, 3, 3), dict(padding="same", stride=2), r"padding='same'.*strided.*\(2, 2\)"),
    ("conv1d", (2, 3, 8), (4, 3, 3, 3), {}, r"conv1d: expected a 3D weight.*got weight of shape \(4, 3, 3, 3\)"),
    ("conv_transpose2d", (2, 4, 5, 5), (3, 2, 3, 3), {}, r"conv_transpose2d: expected input of shape \(N, 3, H, W\)"),
    ("conv_transpose2d", (2, 4, 5, 5), (4, 2, 3, 3), dict(stride=2, output_padding=2), r"output padding must be"),
]


@pytest.mark.parametrize("op, x_shape, w_shape, kwargs, pattern", BAD, ids=[b[4][:30] for b in BAD])
def test_bad_input_raises_like_torch(op: str, x_shape: tuple[int, ...], w_shape: tuple[int, ...],
                                     kwargs: dict[str, Any], pattern: str) -> None:
    x, w = np.zeros(x_shape), np.zeros(w_shape)
    with pytest.raises(RuntimeError) as theirs:
        getattr(torch.nn.functional, op)(torch.from_numpy(x), torch.from_numpy(w), **kwargs)
    with pytest.raises(type(theirs.value), match=pattern):
        getattr(cr.nn.functional, op)(cr.tensor(x), cr.tensor(w), **kwargs)


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(in_channels=3, out_channels=4, kernel_size=3, groups=2), r"Conv2d: in_channels must be divisible by groups"),
    (dict(in_channels=4, out_channels=3, kernel_size=3, groups=2), r"Conv2d: out_channels must be divisible by groups"),
    (dict(in_channels=4, out_channels=4, kernel_size=3, groups=0), r"Conv2d: groups must be a positive integer"),
    (dict(in_channels=3, out_channels=4, kernel_size=3, stride=2, padding="same"), r"padding='same'.*strided"),
    (dict(in_channels=3, out_channels=4, kernel_size=3, padding="full"), r"Conv2d: invalid padding string 'full'"),
    (dict(in_channels=3, out_channels=4, kernel_size=3, padding_mode="mirror"), r"Conv2d: padding_mode must be"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_module_bad_config_raises_like_torch(kwargs: dict[str, Any], pattern: str) -> None:
    with pytest.raises(ValueError):
        torch.nn.Conv2d(**kwargs)
    with pytest.raises(ValueError, match=pattern):
        cr.nn.Conv2d(**kwargs)


def test_module_bad_input_names_the_layer() -> None:
    m, tm = cr.nn.Conv2d(3, 8, 3), torch.nn.Conv2d(3, 8, 3)
    with pytest.raises(RuntimeError):
        tm(torch.zeros(2, 4, 8, 8))
    with pytest.raises(RuntimeError, match=r"Conv2d\(3, 8, kernel_size=\(3, 3\).*\(N, 3, H, W\).*got \(2, 4, 8, 8\)"):
        m(cr.zeros(2, 4, 8, 8))
    with pytest.raises(RuntimeError, match=r"Conv2d\(3, 8.*got \(2, 3, 8, 8, 1\)"):
        m(cr.zeros(2, 3, 8, 8, 1))
    with pytest.raises(ValueError, match=r'Only "zeros" padding mode is supported for ConvTranspose2d'):
        cr.nn.ConvTranspose2d(3, 3, 2, padding_mode="reflect")
    with pytest.raises(RuntimeError, match=r"conv2d: expected input and weight to have the same dtype"):
        m(cr.zeros(2, 3, 8, 8, dtype=cr.float64))
    with pytest.raises(RuntimeError, match=r"reflect padding \(3, 3\) is too large"):
        cr.nn.Conv2d(3, 3, 7, padding=3, padding_mode="reflect")(cr.zeros(1, 3, 3, 3))


def test_to_torch_roundtrip_of_conv_state_dict() -> None:
    """A chainrule Conv2d's state_dict loads into torch's Conv2d and both compute the same output."""
    m = cr.nn.Conv2d(3, 5, (3, 2), stride=2, padding=1, bias=True)
    tm = torch.nn.Conv2d(3, 5, (3, 2), stride=2, padding=1)
    tm.load_state_dict({k: to_torch(v) for k, v in m.state_dict().items()})
    x = cr.randn(2, 3, 9, 8)
    assert_close(m(x), tm(to_torch(x)))


# ---------------------------------------------------------------- factorised convolutions (no torch module)

C2 = torch.nn.Conv2d
SEPARABLE = {  # name: (chainrule module, the same composition of torch Conv2d's, input shape)
    "depthwise_separable": (
        lambda dt: cr.nn.DepthwiseSeparableConv2d(4, 6, 3, stride=2, padding=1, depth_multiplier=2, dtype=dt),
        lambda dt: dict(depthwise=C2(4, 8, 3, 2, 1, groups=4, dtype=dt), pointwise=C2(8, 6, 1, dtype=dt)),
        (2, 4, 7, 7)),
    "spatially_separable": (
        lambda dt: cr.nn.SpatiallySeparableConv2d(3, 5, 3, stride=2, padding=1, mid_channels=4, dtype=dt),
        lambda dt: dict(vertical=C2(3, 4, (3, 1), (2, 1), (1, 0), bias=False, dtype=dt),
                        horizontal=C2(4, 5, (1, 3), (1, 2), (0, 1), dtype=dt)), (2, 3, 8, 7)),
    "flattened": (
        lambda dt: cr.nn.FlattenedConv2d(3, 4, 3, padding=1, dilation=2, dtype=dt),
        lambda dt: dict(lateral=C2(3, 4, 1, bias=False, dtype=dt),
                        vertical=C2(4, 4, (3, 1), 1, (1, 0), (2, 1), groups=4, bias=False, dtype=dt),
                        horizontal=C2(4, 4, (1, 3), 1, (0, 1), (1, 2), groups=4, dtype=dt)), (2, 3, 7, 8)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(SEPARABLE))
def test_factorised_conv_matches_torch_composition(case: str, dtype: str) -> None:
    make_ours, make_theirs, x_shape = SEPARABLE[case]
    ours = make_ours(getattr(cr, dtype))
    theirs = torch.nn.Sequential(OrderedDict(make_theirs(getattr(torch, dtype))))
    sd = theirs.state_dict()
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {k: tuple(v.shape) for k, v in sd.items()}
    ours.load_state_dict({k: v.numpy() for k, v in sd.items()})
    _compare_module(ours, theirs, x_shape, dtype)


def test_flattened_and_spatially_separable_are_one_low_rank_conv() -> None:
    """The documented factorisations: flattened = one k x k conv with W[o,c,i,j] = alpha[o,c] beta[o,i] gamma[o,j];
    spatially separable = one k x k conv with W[o,c,i,j] = sum_m H[o,m,j] V[m,c,i] (borders included)."""
    x = cr.randn(2, 3, 9, 8, dtype=cr.float64)
    fl = cr.nn.FlattenedConv2d(3, 5, 3, stride=2, padding=1, dtype=cr.float64)
    a, b, g = (t.detach().numpy() for t in (fl.lateral.weight, fl.vertical.weight, fl.horizontal.weight))
    w = np.einsum("oc,oi,oj->ocij", a[:, :, 0, 0], b[:, 0, :, 0], g[:, 0, 0, :])
    want = torch.nn.functional.conv2d(to_torch(x), torch.from_numpy(w), to_torch(fl.horizontal.bias), 2, 1)
    assert_close(fl(x), want)
    assert sum(p.numel() for p in fl.parameters()) == 3 * 5 + 2 * 3 * 5 + 5 < 5 * 3 * 9 + 5
    sp = cr.nn.SpatiallySeparableConv2d(3, 5, 3, padding=1, mid_channels=2, dtype=cr.float64)
    v, h = sp.vertical.weight.detach().numpy(), sp.horizontal.weight.detach().numpy()
    w = np.einsum("omj,mci->ocij", h[:, :, 0, :], v[:, :, :, 0])
    want = torch.nn.functional.conv2d(to_torch(x), torch.from_numpy(w), to_torch(sp.horizontal.bias), 1, 1)
    assert_close(sp(x), want)


# ---------------------------------------------------------------- the curriculum's parameter arithmetic


def test_3x3_conv_128_to_64_has_73728_weights() -> None:
    m, tm = cr.nn.Conv2d(128, 64, 3), torch.nn.Conv2d(128, 64, 3)
    assert m.weight.numel() == 3 * 3 * 128 * 64 == 73_728 == tm.weight.numel()
    assert sum(p.numel() for p in m.parameters()) == 73_728 + 64 == sum(p.numel() for p in tm.parameters())


def test_two_stacked_3x3_convs_see_a_5x5_field_with_fewer_params() -> None:
    """The gradient of one output pixel w.r.t. the input is nonzero exactly on the 5x5 patch around it."""
    c1, c2 = cr.nn.Conv2d(1, 1, 3, padding=1, bias=False), cr.nn.Conv2d(1, 1, 3, padding=1, bias=False)
    for m in (c1, c2):
        cr.nn.init.uniform_(m.weight, 0.5, 1.0)  # positive: no accidental cancellation to zero
    x = cr.randn(1, 1, 11, 11, requires_grad=True)
    c2(c1(x))[0, 0, 4, 6].backward()
    rows, cols = np.nonzero(x.grad.numpy()[0, 0])
    assert (rows.min(), rows.max(), cols.min(), cols.max(), rows.size) == (2, 6, 4, 8, 25)
    stacked = sum(p.numel() for m in (cr.nn.Conv2d(16, 16, 3, bias=False),) * 2 for p in m.parameters())
    assert stacked == 2 * 9 * 16 * 16 < cr.nn.Conv2d(16, 16, 5, bias=False).weight.numel() == 25 * 16 * 16


def test_1x1_conv_keeps_spatial_size_and_cuts_channels() -> None:
    m = cr.nn.Conv2d(128, 32, 1)
    x = cr.randn(1, 128, 256, 256)
    with cr.no_grad():
        y = m(x)
    assert tuple(y.shape) == (1, 32, 256, 256) and y.dtype == cr.float32
    w, b, xa = m.weight.detach().numpy()[:, :, 0, 0], m.bias.detach().numpy(), x.numpy()
    for i, j in [(0, 0), (100, 255), (255, 3)]:  # each pixel is W @ x[:, i, j] + b: a per-pixel linear map
        np.testing.assert_allclose(y.numpy()[0, :, i, j], w @ xa[0, :, i, j] + b, rtol=1e-5, atol=1e-5)
