"""F.scaled_dot_product_attention and nn.MultiheadAttention against PyTorch: forward values, attention weights and
every gradient (inputs, float masks, every parameter loaded from torch's state_dict) in float64 and float32; SDPA with
no mask, boolean and additive masks, causal, custom scale, broadcast batch shapes, fully masked rows and dropout; MHA
with every mask kind, both layouts, kdim/vdim, need_weights/average_attn_weights, unbatched input; gradcheck in
float64; the errors (types as PyTorch's)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from tests.helpers import assert_close

F = cr.nn.functional
TF = torch.nn.functional
DTYPES = ["float64", "float32"]


def _pair(rng: np.random.Generator, shape: tuple[int, ...], dtype: str, grad: bool = True) -> tuple[Any, Any]:
    a = rng.standard_normal(shape).astype(dtype)
    return cr.tensor(a.copy(), requires_grad=grad), torch.tensor(a.copy(), requires_grad=grad)


def _backward_both(ours: cr.Tensor, theirs: torch.Tensor, rng: np.random.Generator) -> None:
    g = rng.standard_normal(tuple(theirs.shape)).astype(theirs.detach().numpy().dtype)
    ours.backward(cr.tensor(g.copy()))
    theirs.backward(torch.from_numpy(g.copy()))


# ----------------------------------------------------------------- scaled_dot_product_attention
SDPA_SHAPES = {  # query, key, value
    "2d": ((4, 3), (5, 3), (5, 2)),
    "batched": ((2, 4, 3), (2, 5, 3), (2, 5, 6)),
    "multihead": ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 4)),
    "broadcast": ((2, 3, 4, 5), (1, 3, 6, 5), (2, 1, 6, 4)),
}


def _mask(kind: str, rng: np.random.Generator, shape: tuple[int, ...], dtype: str) -> tuple[Any, Any]:
    if kind == "none":
        return None, None
    if kind == "bool":
        m = rng.random(shape) > 0.3
        m[..., 0] = True  # every query keeps at least one key
        return cr.tensor(m), torch.from_numpy(m.copy())
    return _pair(rng, shape, dtype)  # additive, and it requires grad


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", list(SDPA_SHAPES), ids=str)
@pytest.mark.parametrize("mask", ["none", "bool", "float"])
def test_sdpa_matches_torch(dtype: str, shapes: str, mask: str) -> None:
    rng = np.random.default_rng(0)
    qs, ks, vs = SDPA_SHAPES[shapes]
    (q, tq), (k, tk), (v, tv) = (_pair(rng, s, dtype) for s in (qs, ks, vs))
    m, tm = _mask(mask, rng, (qs[-2], ks[-2]) if shapes != "multihead" else (3, 1, ks[-2]), dtype)
    y = F.scaled_dot_product_attention(q, k, v, attn_mask=m)
    ty = TF.scaled_dot_product_attention(tq, tk, tv, attn_mask=tm)
    assert_close(y, ty)
    _backward_both(y, ty, rng)
    for ours, theirs in [(q, tq), (k, tk), (v, tv)] + ([(m, tm)] if mask == "float" else []):
        assert ours.grad.dtype == ours.dtype
        assert_close(ours.grad, theirs.grad, "grad")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lengths", [(4, 4), (3, 5), (5, 3)], ids=str)
@pytest.mark.parametrize("scale", [None, 0.7])
def test_sdpa_causal_and_scale_match_torch(dtype: str, lengths: tuple[int, int], scale: float | None) -> None:
    rng = np.random.default_rng(1)
    L, S = lengths
    (q, tq), (k, tk), (v, tv) = (_pair(rng, s, dtype) for s in ((2, 2, L, 3), (2, 2, S, 3), (2, 2, S, 4)))
    y = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)
    ty = TF.scaled_dot_product_attention(tq, tk, tv, is_causal=True, scale=scale)
    assert_close(y, ty)
    _backward_both(y, ty, rng)
    for ours, theirs in [(q, tq), (k, tk), (v, tv)]:
        assert_close(ours.grad, theirs.grad, "grad")


def test_sdpa_fully_masked_row_gives_zeros_like_torch() -> None:
    rng = np.random.default_rng(2)
    (q, tq), (k, tk), (v, tv) = (_pair(rng, s, "float64") for s in ((1, 3, 4), (1, 5, 4), (1, 5, 2)))
    m = np.ones((3, 5), dtype=bool)
    m[1] = False  # query 1 may attend to nothing
    y = F.scaled_dot_product_attention(q, k, v, attn_mask=cr.tensor(m))
    ty = TF.scaled_dot_product_attention(tq, tk, tv, attn_mask=torch.from_numpy(m))
    assert_close(y, ty)
    assert not np.isnan(y.detach().numpy()).any() and not y.detach().numpy()[0, 1].any()
    _backward_both(y, ty, rng)
    for ours, theirs in [(q, tq), (k, tk), (v, tv)]:
        assert_close(ours.grad, theirs.grad, "grad")


def test_sdpa_large_scores_are_stable() -> None:
    rng = np.random.default_rng(3)
    (q, tq), (k, tk), (v, tv) = (_pair(rng, s, "float32") for s in ((2, 3, 4), (2, 5, 4), (2, 5, 2)))
    y = F.scaled_dot_product_attention(q * 300.0, k, v)
    ty = TF.scaled_dot_product_attention(tq * 300.0, tk, tv)
    assert np.isfinite(y.detach().numpy()).all()
    assert_close(y, ty)


def test_sdpa_is_one_node_and_keeps_float32() -> None:
    q, k, v = (cr.randn(2, 3, 4, requires_grad=True) for _ in range(3))
    y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert y.grad_fn.name == "ScaledDotProductAttentionBackward" and y.dtype == cr.float32
    y.sum().backward()
    assert q.grad.dtype == k.grad.dtype == v.grad.dtype == cr.float32


def test_sdpa_dropout_zeroes_and_rescales_weights() -> None:
    # with V = I the output is the (dropped) attention matrix itself: every entry 0 or P / (1 - p)
    q, k = cr.randn(2, 6, 3, dtype=cr.float64), cr.randn(2, 6, 3, dtype=cr.float64)
    eye = cr.tensor(np.broadcast_to(np.eye(6), (2, 6, 6)).copy())
    p = F.scaled_dot_product_attention(q, k, eye).numpy()
    cr.manual_seed(0)
    d = F.scaled_dot_product_attention(q, k, eye, dropout_p=0.4).numpy()
    kept = d != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(d[kept], p[kept] / 0.6, rtol=1e-12)


def test_sdpa_dropout_gradcheck_with_fixed_mask() -> None:
    q, k, v = (cr.randn(2, 3, 4, dtype=cr.float64, requires_grad=True) for _ in range(3))

    def fn(q: cr.Tensor, k: cr.Tensor, v: cr.Tensor) -> cr.Tensor:
        cr.manual_seed(7)  # the same dropout mask on every call
        return F.scaled_dot_product_attention(q, k, v, dropout_p=0.3)

    assert cr.autograd.gradcheck(fn, (q, k, v))


@pytest.mark.parametrize("mask", ["none", "float", "causal"])
def test_sdpa_gradcheck(mask: str) -> None:
    q = cr.randn(2, 2, 3, 4, dtype=cr.float64, requires_grad=True)
    k = cr.randn(2, 1, 5, 4, dtype=cr.float64, requires_grad=True)
    v = cr.randn(1, 2, 5, 3, dtype=cr.float64, requires_grad=True)
    if mask == "float":
        m = cr.randn(3, 5, dtype=cr.float64, requires_grad=True)
        assert cr.autograd.gradcheck(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, m), (q, k, v, m))
    else:
        assert cr.autograd.gradcheck(
            lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=mask == "causal", scale=0.4), (q, k, v))


def test_sdpa_errors_match_torch_types() -> None:
    q, k, v = cr.randn(1, 3, 4), cr.randn(1, 5, 4), cr.randn(1, 5, 6)
    tq, tk, tv = torch.randn(1, 3, 4), torch.randn(1, 5, 4), torch.randn(1, 5, 6)
    cases = [
        (lambda m, F, a, b, c: F.scaled_dot_product_attention(a, b[..., :3], c), r"\(1, 5, 3\)"),
        (lambda m, F, a, b, c: F.scaled_dot_product_attention(a, b, c[:, :4]), r"\(1, 4, 6\)"),
        (lambda m, F, a, b, c: F.scaled_dot_product_attention(a, b, c, attn_mask=m.zeros(4, 5)), r"\(4, 5\)"),
        (lambda m, F, a, b, c: F.scaled_dot_product_attention(a, b, c, attn_mask=m.ones(3, 5, dtype=m.bool),
                                                              is_causal=True), "is_causal"),
        (lambda m, F, a, b, c: F.scaled_dot_product_attention(a, b, c, attn_mask=m.zeros(3, 5, dtype=m.float64)),
         "float64"),
    ]
    for fn, msg in cases:
        with pytest.raises(RuntimeError, match=msg):
            fn(cr, F, q, k, v)
        with pytest.raises(RuntimeError):
            fn(torch, TF, tq, tk, tv)
    with pytest.raises(ValueError, match="dropout"):
        F.scaled_dot_product_attention(q, k, v, dropout_p=1.5)


# ----------------------------------------------------------------- MultiheadAttention
def _mha_pair(dtype: str, e: int = 8, h: int = 2, seed: int = 0, **kw: Any) -> tuple[Any, Any]:
    torch.manual_seed(seed)
    theirs = torch.nn.MultiheadAttention(e, h, dtype=getattr(torch, dtype), **kw)
    ours = cr.nn.MultiheadAttention(e, h, dtype=getattr(cr, dtype), **kw)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    if kw.get("bias", True):  # torch zeroes the biases at init: make them non-zero so that their use is tested
        rng = np.random.default_rng(seed + 100)
        for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
            if "bias" in name:
                b = rng.standard_normal(tuple(tp.shape)).astype(dtype)
                p.data = cr.tensor(b.copy())
                with torch.no_grad():
                    tp.copy_(torch.from_numpy(b))
    return ours, theirs


def _compare_mha(ours: Any, theirs: Any, inputs: list[tuple[Any, Any]], rng: np.random.Generator,
                 **kw: Any) -> None:
    """Run both modules, compare output, weights and every gradient (inputs that require grad, parameters)."""
    ckw = {k: (v[0] if isinstance(v, tuple) else v) for k, v in kw.items()}
    tkw = {k: (v[1] if isinstance(v, tuple) else v) for k, v in kw.items()}
    y, w = ours(*[a for a, _ in inputs], **ckw)
    ty, tw = theirs(*[b for _, b in inputs], **tkw)
    assert_close(y, ty)
    assert (w is None) == (tw is None)
    loss, tloss = y * y, ty * ty
    if w is not None:
        assert_close(w, tw)
        loss, tloss = loss.sum() + (w * w).sum() * 3.0, tloss.sum() + (tw * tw).sum() * 3.0
    else:
        loss, tloss = loss.sum(), tloss.sum()
    loss.backward()
    tloss.backward()
    for (a, b) in list(inputs) + [v for v in kw.values() if isinstance(v, tuple)]:
        if isinstance(b, torch.Tensor) and b.requires_grad:
            assert_close(a.grad, b.grad, "grad")
    names = [n for n, _ in ours.named_parameters()]
    assert names == [n for n, _ in theirs.named_parameters()]
    for (n, p), tp in zip(ours.named_parameters(), theirs.parameters()):
        assert p.grad is not None and p.grad.dtype == p.dtype, n
        assert_close(p.grad, tp.grad, "grad")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights,average", [(False, True), (True, True), (True, False)])
def test_mha_self_attention_matches_torch(dtype: str, batch_first: bool, need_weights: bool, average: bool) -> None:
    rng = np.random.default_rng(4)
    ours, theirs = _mha_pair(dtype, batch_first=batch_first)
    x = _pair(rng, (3, 5, 8), dtype)
    _compare_mha(ours, theirs, [x, x, x], rng, need_weights=need_weights, average_attn_weights=average)


MASKS = ["kpm_bool", "kpm_float", "attn2d_bool", "attn2d_float", "attn3d_bool", "attn3d_float", "both"]


def _mha_masks(kind: str, rng: np.random.Generator, n: int, h: int, L: int, S: int, dtype: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if kind.startswith("kpm") or kind == "both":
        kpm = rng.random((n, S)) < 0.3
        kpm[:, 0] = False  # keep one key per sample
        out["key_padding_mask"] = ((cr.tensor(kpm), torch.from_numpy(kpm)) if kind != "kpm_float" else
                                   _pair(rng, (n, S), dtype, grad=False))
    if kind.startswith("attn") or kind == "both":
        shape = (L, S) if "2d" in kind or kind == "both" else (n * h, L, S)
        if kind.endswith("float"):
            out["attn_mask"] = _pair(rng, shape, dtype)  # requires grad: its gradient is compared too
        else:
            m = rng.random(shape) < 0.3
            m[..., 0] = False
            out["attn_mask"] = (cr.tensor(m), torch.from_numpy(m))
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mask", MASKS)
@pytest.mark.parametrize("need_weights", [False, True])
def test_mha_masks_match_torch(dtype: str, mask: str, need_weights: bool) -> None:
    rng = np.random.default_rng(5)
    ours, theirs = _mha_pair(dtype, batch_first=True)
    q, kv = _pair(rng, (2, 3, 8), dtype), _pair(rng, (2, 5, 8), dtype)
    masks = _mha_masks(mask, rng, 2, 2, 3, 5, dtype)
    _compare_mha(ours, theirs, [q, kv, kv], rng, need_weights=need_weights, **masks)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("need_weights", [False, True])
def test_mha_kdim_vdim_cross_attention_matches_torch(dtype: str, need_weights: bool) -> None:
    rng = np.random.default_rng(6)
    ours, theirs = _mha_pair(dtype, e=6, h=3, kdim=4, vdim=5)
    assert ours.in_proj_weight is None and tuple(ours.k_proj_weight.shape) == (6, 4)
    inputs = [_pair(rng, (3, 2, 6), dtype), _pair(rng, (4, 2, 4), dtype), _pair(rng, (4, 2, 5), dtype)]
    masks = _mha_masks("both", rng, 2, 3, 3, 4, dtype)
    _compare_mha(ours, theirs, inputs, rng, need_weights=need_weights, average_attn_weights=False, **masks)


@pytest.mark.parametrize("need_weights", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_mha_separate_query_key_value_and_no_bias(need_weights: bool, bias: bool) -> None:
    rng = np.random.default_rng(7)
    ours, theirs = _mha_pair("float64", bias=bias)
    inputs = [_pair(rng, (3, 2, 8), "float64"), _pair(rng, (4, 2, 8), "float64"), _pair(rng, (4, 2, 8), "float64")]
    _compare_mha(ours, theirs, inputs, rng, need_weights=need_weights)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("need_weights", [False, True])
def test_mha_unbatched_matches_torch(dtype: str, need_weights: bool) -> None:
    rng = np.random.default_rng(8)
    ours, theirs = _mha_pair(dtype, batch_first=True)
    x = _pair(rng, (4, 8), dtype)
    kpm = np.array([False, True, False, False])
    m = rng.random((2, 4, 4)) < 0.3  # 3-D unbatched: (num_heads, L, S)
    m[..., 0] = False
    _compare_mha(ours, theirs, [x, x, x], rng, need_weights=need_weights, average_attn_weights=False,
                 key_padding_mask=(cr.tensor(kpm), torch.from_numpy(kpm)),
                 attn_mask=(cr.tensor(m), torch.from_numpy(m.copy())))


def test_mha_causal_hint_and_eval_dropout_match_torch() -> None:
    rng = np.random.default_rng(9)
    ours, theirs = _mha_pair("float64", dropout=0.5)
    ours.eval()
    theirs.eval()  # torch's slow path: its parameters require grad and grad mode is on
    x = _pair(rng, (4, 2, 8), "float64")
    m = cr.nn.Transformer.generate_square_subsequent_mask(4, dtype=cr.float64)
    tm = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    _compare_mha(ours, theirs, [x, x, x], rng, need_weights=False, attn_mask=(m, tm), is_causal=True)


def test_mha_training_dropout_drops_weights() -> None:
    cr.manual_seed(0)
    m = cr.nn.MultiheadAttention(8, 2, dropout=0.5, dtype=cr.float64)
    x = cr.randn(5, 1, 8, dtype=cr.float64)
    _, w = m(x, x, x, average_attn_weights=False)
    assert (w.detach().numpy() == 0).mean() > 0.2
    m.eval()
    _, w = m(x, x, x)
    np.testing.assert_allclose(w.detach().numpy().sum(-1), 1.0, rtol=1e-12)


def test_mha_functional_gradcheck() -> None:
    m = cr.nn.MultiheadAttention(4, 2, dtype=cr.float64, kdim=3, vdim=2)
    q = cr.randn(3, 2, 4, dtype=cr.float64, requires_grad=True)
    k = cr.randn(2, 2, 3, dtype=cr.float64, requires_grad=True)
    v = cr.randn(2, 2, 2, dtype=cr.float64, requires_grad=True)
    kpm = cr.tensor([[False, True], [False, False]])

    def fn(q: cr.Tensor, k: cr.Tensor, v: cr.Tensor, *params: cr.Tensor) -> Any:
        return m(q, k, v, key_padding_mask=kpm, need_weights=False)[0]

    assert cr.autograd.gradcheck(fn, (q, k, v, *m.parameters()))
    assert cr.autograd.gradcheck(lambda q: m(q, k, v, average_attn_weights=False)[1], (q,))


def test_mha_state_dict_keys_and_shapes_match_torch() -> None:
    for kw in [{}, {"kdim": 3, "vdim": 5}, {"bias": False}]:
        ours, theirs = cr.nn.MultiheadAttention(6, 2, **kw), torch.nn.MultiheadAttention(6, 2, **kw)
        assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
               [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]


def test_mha_errors_match_torch_types() -> None:
    with pytest.raises(AssertionError):
        torch.nn.MultiheadAttention(6, 4)
    with pytest.raises(ValueError, match=r"embed_dim=6 and num_heads=4"):
        cr.nn.MultiheadAttention(6, 4)
    with pytest.raises(AssertionError):  # chainrule's error is also an AssertionError, as torch's
        cr.nn.MultiheadAttention(6, 4)
    m, tm = cr.nn.MultiheadAttention(8, 2), torch.nn.MultiheadAttention(8, 2)
    x, tx = cr.randn(3, 2, 8), torch.randn(3, 2, 8)
    y, ty = cr.randn(4, 2, 8), torch.randn(4, 2, 8)
    bad = [  # (kwargs builder, chainrule error, message, torch error)
        (lambda t, a: dict(attn_mask=t.zeros(3, 4, dtype=t.bool)), RuntimeError, r"2D attn_mask.*\(3, 4\)"),
        (lambda t, a: dict(attn_mask=t.zeros(7, 3, 3)), RuntimeError, r"3D attn_mask.*\(7, 3, 3\).*\(4, 3, 3\)"),
        (lambda t, a: dict(key_padding_mask=t.zeros(2, 4, dtype=t.bool)), AssertionError, r"\(2, 3\).*\(2, 4\)"),
        (lambda t, a: dict(is_causal=True), RuntimeError, "is_causal"),
    ]
    for kw, err, msg in bad:
        with pytest.raises(err, match=msg):
            m(x, x, x, **kw(cr, x))
        with pytest.raises(err):
            tm(tx, tx, tx, **kw(torch, tx))
    with pytest.raises(AssertionError, match=r"embed_dim=8.*\(3, 2, 7\)"):
        m(x[..., :7], x[..., :7], x[..., :7])
    with pytest.raises(AssertionError):
        tm(tx[..., :7], tx[..., :7], tx[..., :7])
    with pytest.raises(ValueError, match=r"key shape \(4, 2, 8\) does not match value shape \(3, 2, 8\)"):
        m(x, y, x)
    with pytest.raises(AssertionError):
        tm(tx, ty, tx)
    with pytest.raises(ValueError, match=r"2-D.*\(3, 8\).*\(3, 2, 8\)"):
        m(x[:, 0], x, x)
    with pytest.raises(AssertionError):
        tm(tx[:, 0], tx, tx)
