"""nn.MultiheadAttention with add_bias_kv / add_zero_attn against PyTorch: forward values, attention weights (one or
two source positions longer) and the gradients of the inputs, the float masks and every parameter (bias_k, bias_v
included, loaded from torch's state_dict), over both layouts, every mask kind, need_weights/average_attn_weights,
kdim/vdim and unbatched input; state_dict keys, the Xavier-normal init of bias_k/bias_v, gradcheck in float64."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from tests.parity.test_attention import _compare_mha, _mha_masks, _mha_pair, _pair

F = cr.nn.functional
DTYPES = ["float64", "float32"]
EXTRAS = [dict(add_bias_kv=True), dict(add_zero_attn=True), dict(add_bias_kv=True, add_zero_attn=True)]
EXTRA_IDS = ["bias_kv", "zero_attn", "both"]


def _extra(kw: dict[str, bool]) -> int:
    return int(kw.get("add_bias_kv", False)) + int(kw.get("add_zero_attn", False))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("extra", EXTRAS, ids=EXTRA_IDS)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights,average", [(False, True), (True, True), (True, False)])
def test_self_attention_matches_torch(dtype: str, extra: dict[str, bool], batch_first: bool, need_weights: bool,
                                      average: bool) -> None:
    rng = np.random.default_rng(10)
    ours, theirs = _mha_pair(dtype, batch_first=batch_first, **extra)
    x = _pair(rng, (3, 5, 8), dtype)
    _compare_mha(ours, theirs, [x, x, x], rng, need_weights=need_weights, average_attn_weights=average)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("extra", EXTRAS, ids=EXTRA_IDS)
@pytest.mark.parametrize("mask", ["kpm_bool", "kpm_float", "attn2d_bool", "attn2d_float", "attn3d_bool",
                                  "attn3d_float", "both"])
@pytest.mark.parametrize("need_weights,average", [(False, True), (True, True), (True, False)])
def test_masks_are_padded_as_torch(dtype: str, extra: dict[str, bool], mask: str, need_weights: bool,
                                   average: bool) -> None:
    rng = np.random.default_rng(11)
    ours, theirs = _mha_pair(dtype, batch_first=True, **extra)
    q, kv = _pair(rng, (2, 3, 8), dtype), _pair(rng, (2, 5, 8), dtype)
    masks = _mha_masks(mask, rng, 2, 2, 3, 5, dtype)
    _compare_mha(ours, theirs, [q, kv, kv], rng, need_weights=need_weights, average_attn_weights=average, **masks)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("extra", EXTRAS, ids=EXTRA_IDS)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights", [False, True])
def test_kdim_vdim_cross_attention_matches_torch(dtype: str, extra: dict[str, bool], batch_first: bool,
                                                 need_weights: bool) -> None:
    rng = np.random.default_rng(12)
    ours, theirs = _mha_pair(dtype, e=6, h=3, kdim=4, vdim=5, batch_first=batch_first, **extra)
    shapes = [(2, 3, 6), (2, 4, 4), (2, 4, 5)] if batch_first else [(3, 2, 6), (4, 2, 4), (4, 2, 5)]
    inputs = [_pair(rng, s, dtype) for s in shapes]
    masks = _mha_masks("both", rng, 2, 3, 3, 4, dtype)
    _compare_mha(ours, theirs, inputs, rng, need_weights=need_weights, average_attn_weights=False, **masks)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("extra", EXTRAS, ids=EXTRA_IDS)
@pytest.mark.parametrize("need_weights", [False, True])
def test_unbatched_matches_torch(dtype: str, extra: dict[str, bool], need_weights: bool) -> None:
    rng = np.random.default_rng(13)
    ours, theirs = _mha_pair(dtype, **extra)
    x = _pair(rng, (4, 8), dtype)
    kpm = np.array([False, True, False, True])
    m = rng.random((2, 4, 4)) < 0.3  # 3-D unbatched: (num_heads, L, S)
    m[..., 0] = False
    _compare_mha(ours, theirs, [x, x, x], rng, need_weights=need_weights, average_attn_weights=False,
                 key_padding_mask=(cr.tensor(kpm), torch.from_numpy(kpm)),
                 attn_mask=(cr.tensor(m), torch.from_numpy(m.copy())))


@pytest.mark.parametrize("extra", EXTRAS, ids=EXTRA_IDS)
def test_weights_shape_grows_by_the_extra_positions(extra: dict[str, bool]) -> None:
    m = cr.nn.MultiheadAttention(8, 2, batch_first=True, **extra)
    q, kv = cr.randn(2, 3, 8), cr.randn(2, 5, 8)
    s = 5 + _extra(extra)
    assert tuple(m(q, kv, kv)[1].shape) == (2, 3, s)
    assert tuple(m(q, kv, kv, average_attn_weights=False)[1].shape) == (2, 2, 3, s)
    # a query whose every given key is padded out still attends to the extra positions (no NaN)
    kpm = cr.tensor(np.ones((2, 5), dtype=bool))
    y, w = m(q, kv, kv, key_padding_mask=kpm)
    assert np.isfinite(y.detach().numpy()).all()
    np.testing.assert_allclose(w.detach().numpy()[..., :5], 0.0)


@pytest.mark.parametrize("extra", EXTRAS, ids=EXTRA_IDS)
@pytest.mark.parametrize("kw", [{}, {"kdim": 3, "vdim": 5}, {"bias": False}], ids=["packed", "kvdim", "nobias"])
def test_state_dict_keys_and_shapes_match_torch(extra: dict[str, bool], kw: dict[str, Any]) -> None:
    ours, theirs = cr.nn.MultiheadAttention(6, 2, **kw, **extra), torch.nn.MultiheadAttention(6, 2, **kw, **extra)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert ours.add_zero_attn == theirs.add_zero_attn


def test_bias_kv_xavier_normal_init() -> None:
    # Xavier-normal on a (1, 1, E) tensor: fan_in = fan_out = E, so std = sqrt(2 / (2E)) = 1 / sqrt(E)
    cr.manual_seed(0)
    e = 1024
    m = cr.nn.MultiheadAttention(e, 4, add_bias_kv=True)
    for b in (m.bias_k, m.bias_v):
        assert b is not None and tuple(b.shape) == (1, 1, e) and b.requires_grad
        std = float(b.detach().numpy().std())
        assert abs(std - 1 / np.sqrt(e)) < 0.1 / np.sqrt(e), std
    assert not np.allclose(m.bias_k.detach().numpy(), m.bias_v.detach().numpy())
    assert cr.nn.MultiheadAttention(8, 2).bias_k is None


def test_gradcheck_float64() -> None:
    cr.manual_seed(1)
    m = cr.nn.MultiheadAttention(4, 2, dtype=cr.float64, kdim=3, vdim=2, add_bias_kv=True, add_zero_attn=True)
    q = cr.randn(3, 2, 4, dtype=cr.float64, requires_grad=True)
    k = cr.randn(2, 2, 3, dtype=cr.float64, requires_grad=True)
    v = cr.randn(2, 2, 2, dtype=cr.float64, requires_grad=True)
    kpm = cr.tensor([[False, True], [False, False]])
    am = cr.randn(3, 2, dtype=cr.float64, requires_grad=True)

    def fn(q: cr.Tensor, k: cr.Tensor, v: cr.Tensor, am: cr.Tensor, *params: cr.Tensor) -> Any:
        return m(q, k, v, key_padding_mask=kpm, attn_mask=am, need_weights=False)[0]

    assert cr.autograd.gradcheck(fn, (q, k, v, am, *m.parameters()))
    assert m.bias_k is not None and m.bias_v is not None
    assert cr.autograd.gradcheck(lambda q, bk, bv: m(q, k, v, average_attn_weights=False)[1], (q, m.bias_k, m.bias_v))


def test_functional_matches_torch_and_checks_bias_pairs() -> None:
    rng = np.random.default_rng(14)
    (x, tx), (w, tw), (b, tb), (bk, tbk), (bv, tbv), (wo, two) = (
        _pair(rng, s, "float64") for s in ((4, 2, 6), (18, 6), (18,), (1, 1, 6), (1, 1, 6), (6, 6)))
    y, a = F.multi_head_attention_forward(x, x, x, 6, 3, w, b, bk, bv, True, 0.0, wo, None)
    ty, ta = torch.nn.functional.multi_head_attention_forward(tx, tx, tx, 6, 3, tw, tb, tbk, tbv, True, 0.0, two, None)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(a.detach().numpy(), ta.detach().numpy(), rtol=1e-10, atol=1e-10)
    with pytest.raises(ValueError, match="bias_k and bias_v must be given together"):
        F.multi_head_attention_forward(x, x, x, 6, 3, w, b, bk, None, False, 0.0, wo, None)
    with pytest.raises(AssertionError):  # as torch's
        torch.nn.functional.multi_head_attention_forward(tx, tx, tx, 6, 3, tw, tb, tbk, None, False, 0.0, two, None)
    with pytest.raises(ValueError, match=r"bias_k of shape \(1, 1, 6\), got \(1, 1, 5\)"):
        F.multi_head_attention_forward(x, x, x, 6, 3, w, b, bk[..., :5], bv, False, 0.0, wo, None)
    with pytest.raises(NotImplementedError, match="static_k"):
        F.multi_head_attention_forward(x, x, x, 6, 3, w, b, None, None, False, 0.0, wo, None,
                                       static_k=cr.randn(6, 4, 2, dtype=cr.float64))
