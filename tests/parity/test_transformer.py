"""Transformer encoder/decoder layers, their stacks and nn.Transformer against PyTorch, with PyTorch's weights loaded
through its state_dict (identical keys): forward values and every gradient (inputs, memory, every parameter), in
float64 and float32, norm_first True/False, relu/gelu/callable activations, both layouts, with masks, in training
(dropout 0) and in evaluation (dropout > 0, torch kept off its inference fast path by grad mode); gradcheck in
float64; the errors."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from tests.helpers import assert_close

DTYPES = ["float64", "float32"]
D, H, FF = 8, 2, 12


def _pair(rng: np.random.Generator, shape: tuple[int, ...], dtype: str) -> tuple[Any, Any]:
    a = rng.standard_normal(shape).astype(dtype)
    return cr.tensor(a.copy(), requires_grad=True), torch.tensor(a.copy(), requires_grad=True)


def _load(ours: Any, theirs: Any, seed: int = 0) -> None:
    """Perturb torch's parameters (its biases start at 0, its norms at 1) and load them into ours by state_dict."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(torch.from_numpy(0.1 * rng.standard_normal(tuple(p.shape))).to(p.dtype))
    sd = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert list(sd) == list(ours.state_dict())
    result = ours.load_state_dict(sd)
    assert not result.missing_keys and not result.unexpected_keys


def _check(ours: Any, theirs: Any, inputs: list[tuple[Any, Any]], rng: np.random.Generator, **kw: Any) -> None:
    ckw = {k: (v[0] if isinstance(v, tuple) else v) for k, v in kw.items()}
    tkw = {k: (v[1] if isinstance(v, tuple) else v) for k, v in kw.items()}
    y, ty = ours(*[a for a, _ in inputs], **ckw), theirs(*[b for _, b in inputs], **tkw)
    assert_close(y, ty)
    g = rng.standard_normal(tuple(ty.shape)).astype(ty.detach().numpy().dtype)
    y.backward(cr.tensor(g.copy()))
    ty.backward(torch.from_numpy(g))
    for a, b in inputs:
        assert_close(a.grad, b.grad, "grad")
    pairs = list(zip(ours.named_parameters(), theirs.named_parameters()))
    assert len(pairs) == len(list(theirs.parameters()))
    for (n, p), (tn, tp) in pairs:
        assert n == tn and p.grad is not None and p.grad.dtype == p.dtype, n
        assert_close(p.grad, tp.grad, "grad")


def _layers(kind: str, dtype: str, **kw: Any) -> tuple[Any, Any]:
    torch.manual_seed(0)
    theirs = getattr(torch.nn, kind)(D, H, FF, dtype=getattr(torch, dtype), **kw)
    ours = getattr(cr.nn, kind)(D, H, FF, dtype=getattr(cr, dtype), **kw)
    _load(ours, theirs)
    return ours, theirs


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer_matches_torch(dtype: str, norm_first: bool, activation: str, batch_first: bool) -> None:
    rng = np.random.default_rng(1)
    ours, theirs = _layers("TransformerEncoderLayer", dtype, dropout=0.0, activation=activation,
                           norm_first=norm_first, batch_first=batch_first)
    kpm = np.zeros((2, 5), dtype=bool)
    kpm[1, 3:] = True
    _check(ours, theirs, [_pair(rng, (2, 5, D) if batch_first else (5, 2, D), dtype)], rng,
           src_key_padding_mask=(cr.tensor(kpm), torch.from_numpy(kpm)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_decoder_layer_matches_torch(dtype: str, norm_first: bool, activation: str) -> None:
    rng = np.random.default_rng(2)
    ours, theirs = _layers("TransformerDecoderLayer", dtype, dropout=0.0, activation=activation,
                           norm_first=norm_first)
    m = cr.nn.Transformer.generate_square_subsequent_mask(4, dtype=getattr(cr, dtype))
    tm = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=getattr(torch, dtype))
    mkpm = np.array([[False] * 6, [False] * 4 + [True] * 2])
    _check(ours, theirs, [_pair(rng, (4, 2, D), dtype), _pair(rng, (6, 2, D), dtype)], rng, tgt_mask=(m, tm),
           memory_key_padding_mask=(cr.tensor(mkpm), torch.from_numpy(mkpm)), tgt_is_causal=True)


@pytest.mark.parametrize("kind", ["TransformerEncoderLayer", "TransformerDecoderLayer"])
def test_layers_in_eval_with_dropout_match_torch(kind: str) -> None:
    rng = np.random.default_rng(3)
    ours, theirs = _layers(kind, "float64", dropout=0.3, batch_first=True)
    ours.eval()
    theirs.eval()  # with grad mode on and parameters requiring grad, torch takes its exact (non fast) path
    inputs = [_pair(rng, (2, 5, D), "float64")] + ([_pair(rng, (2, 3, D), "float64")] if "Decoder" in kind else [])
    _check(ours, theirs, inputs, rng)


def test_layer_unbatched_and_callable_activation_match_torch() -> None:
    rng = np.random.default_rng(4)
    torch.manual_seed(0)
    theirs = torch.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, activation=torch.nn.GELU(approximate="tanh"),
                                              dtype=torch.float64)
    ours = cr.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, activation=cr.nn.GELU(approximate="tanh"),
                                         dtype=cr.float64)
    _load(ours, theirs)
    _check(ours, theirs, [_pair(rng, (5, D), "float64")], rng)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_stack_matches_torch(dtype: str, norm_first: bool) -> None:
    rng = np.random.default_rng(5)
    torch.manual_seed(0)
    kw = dict(dropout=0.0, activation="gelu", norm_first=norm_first, batch_first=True)
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D, H, FF, dtype=getattr(torch, dtype), **kw),
                                         2, norm=torch.nn.LayerNorm(D, dtype=getattr(torch, dtype)),
                                         enable_nested_tensor=False)
    ours = cr.nn.TransformerEncoder(cr.nn.TransformerEncoderLayer(D, H, FF, dtype=getattr(cr, dtype), **kw), 2,
                                    norm=cr.nn.LayerNorm(D, dtype=getattr(cr, dtype)))
    assert "layers.1.self_attn.in_proj_weight" in ours.state_dict()
    assert ours.layers[0].linear1.weight is not ours.layers[1].linear1.weight  # deep copies
    _load(ours, theirs)
    m = np.triu(np.ones((5, 5), dtype=bool), 1)
    _check(ours, theirs, [_pair(rng, (3, 5, D), dtype)], rng, mask=(cr.tensor(m), torch.from_numpy(m)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_decoder_stack_matches_torch(dtype: str) -> None:
    rng = np.random.default_rng(6)
    torch.manual_seed(0)
    theirs = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(D, H, FF, 0.0, dtype=getattr(torch, dtype)),
                                         2)
    ours = cr.nn.TransformerDecoder(cr.nn.TransformerDecoderLayer(D, H, FF, 0.0, dtype=getattr(cr, dtype)), 2)
    _load(ours, theirs)
    mm = rng.standard_normal((4, 6)).astype(dtype)
    _check(ours, theirs, [_pair(rng, (4, 2, D), dtype), _pair(rng, (6, 2, D), dtype)], rng,
           memory_mask=(cr.tensor(mm), torch.from_numpy(mm.copy())))


@pytest.mark.filterwarnings("ignore:.*(mismatched key_padding_mask|enable_nested_tensor).*:UserWarning")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(dtype: str, batch_first: bool) -> None:
    rng = np.random.default_rng(7)
    torch.manual_seed(0)
    kw = dict(d_model=D, nhead=H, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=FF, dropout=0.0,
              batch_first=batch_first)
    theirs = torch.nn.Transformer(**kw, dtype=getattr(torch, dtype))
    ours = cr.nn.Transformer(**kw, dtype=getattr(cr, dtype))
    _load(ours, theirs)
    src = _pair(rng, (2, 5, D) if batch_first else (5, 2, D), dtype)
    tgt = _pair(rng, (2, 4, D) if batch_first else (4, 2, D), dtype)
    tm = (cr.nn.Transformer.generate_square_subsequent_mask(4, dtype=getattr(cr, dtype)),
          torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=getattr(torch, dtype)))
    skpm = np.array([[False] * 5, [False, False, False, True, True]])
    tkpm = np.array([[False, False, True, True], [False] * 4])
    _check(ours, theirs, [src, tgt], rng, tgt_mask=tm,
           src_key_padding_mask=(cr.tensor(skpm), torch.from_numpy(skpm)),
           tgt_key_padding_mask=(cr.tensor(tkpm), torch.from_numpy(tkpm)),
           memory_key_padding_mask=(cr.tensor(skpm), torch.from_numpy(skpm)))


def test_transformer_defaults_and_state_dict_match_torch() -> None:
    for cls in ("Transformer", "TransformerEncoderLayer", "TransformerDecoderLayer", "MultiheadAttention"):
        ours, theirs = inspect.signature(getattr(cr.nn, cls)), inspect.signature(getattr(torch.nn, cls))
        for name, param in theirs.parameters.items():
            if name not in ("device", "dtype", "activation"):
                assert ours.parameters[name].default == param.default, (cls, name)
    kw = dict(d_model=16, nhead=2, dim_feedforward=24)  # the default depths (6 and 6), small widths
    ours = cr.nn.Transformer(**kw)
    with pytest.warns(UserWarning):
        theirs = torch.nn.Transformer(**kw)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    bound = np.sqrt(6 / (16 + 24))  # xavier_uniform_ on every matrix, as torch
    w = ours.encoder.layers[0].linear1.weight.detach().numpy()
    assert 0.8 * bound < np.abs(w).max() <= bound * (1 + 1e-6)
    np.testing.assert_array_equal(cr.nn.Transformer.generate_square_subsequent_mask(5).numpy(),
                                  torch.nn.Transformer.generate_square_subsequent_mask(5).numpy())


def test_encoder_layer_gradcheck() -> None:
    layer = cr.nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation="gelu", dtype=cr.float64)
    x = cr.randn(3, 2, 4, dtype=cr.float64, requires_grad=True)
    m = cr.nn.Transformer.generate_square_subsequent_mask(3, dtype=cr.float64)
    assert cr.autograd.gradcheck(lambda x, *p: layer(x, src_mask=m), (x, *layer.parameters()))


def test_decoder_layer_gradcheck() -> None:
    layer = cr.nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, norm_first=True, dtype=cr.float64)
    x = cr.randn(2, 1, 4, dtype=cr.float64, requires_grad=True)
    mem = cr.randn(3, 1, 4, dtype=cr.float64, requires_grad=True)
    assert cr.autograd.gradcheck(lambda x, mem: layer(x, mem), (x, mem))


def test_transformer_errors_match_torch_types() -> None:
    with pytest.raises(AssertionError):
        torch.nn.TransformerEncoderLayer(8, 3)
    with pytest.raises(ValueError, match="embed_dim=8 and num_heads=3"):
        cr.nn.TransformerEncoderLayer(8, 3)
    for lib in (cr, torch):
        with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
            lib.nn.TransformerEncoderLayer(8, 2, activation="tanh")
    ours = cr.nn.Transformer(D, H, 1, 1, FF)
    with torch.no_grad(), pytest.warns(UserWarning):
        theirs = torch.nn.Transformer(D, H, 1, 1, FF)
    for lib, model in ((cr, ours), (torch, theirs)):
        with pytest.raises(RuntimeError, match="batch number of src and tgt must be equal"):
            model(lib.randn(3, 2, D), lib.randn(4, 3, D))
        with pytest.raises(RuntimeError, match="feature number of src and tgt must be equal to d_model"):
            model(lib.randn(3, 2, D - 1), lib.randn(4, 2, D - 1))
    with pytest.raises(RuntimeError, match=r"TransformerEncoderLayer\(d_model=8\).*\(5, 2, 7\)"):
        cr.nn.TransformerEncoderLayer(D, H)(cr.randn(5, 2, 7))
    with pytest.raises(RuntimeError, match=r"memory.*\(5, 2, 6\)"):
        cr.nn.TransformerDecoderLayer(D, H)(cr.randn(5, 2, D), cr.randn(5, 2, 6))
    with pytest.raises(RuntimeError, match="2D attn_mask"):
        cr.nn.TransformerEncoderLayer(D, H)(cr.randn(5, 2, D), src_mask=cr.zeros(4, 4))
    with pytest.raises(RuntimeError):
        torch.nn.TransformerEncoderLayer(D, H)(torch.randn(5, 2, D), src_mask=torch.zeros(4, 4))
