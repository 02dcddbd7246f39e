"""Linear, F.linear and Embedding against PyTorch: forward values and every gradient in float64 and float32, for
1-D/2-D/3-D inputs, with and without bias; embeddings with repeated indices, padding_idx, max_norm and
scale_grad_by_freq; gradcheck of the fused primitives in float64; the shape and dtype errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from tests.helpers import assert_close, to_torch

DTYPES = ["float64", "float32"]
SHAPES = [(4,), (5, 4), (2, 3, 4), (2, 0, 4)]


def _pair(rng: np.random.Generator, shape: tuple[int, ...], dtype: str) -> tuple[cr.Tensor, torch.Tensor]:
    """A chainrule leaf and a torch leaf with the same values (separate memory), both requiring grad."""
    a = rng.standard_normal(shape).astype(dtype)
    return cr.tensor(a.copy(), requires_grad=True), torch.tensor(a.copy(), requires_grad=True)


def _backward_both(ours: cr.Tensor, theirs: torch.Tensor, rng: np.random.Generator) -> None:
    g = rng.standard_normal(tuple(theirs.shape)).astype(theirs.detach().numpy().dtype)
    ours.backward(cr.tensor(g.copy()))
    theirs.backward(torch.from_numpy(g.copy()))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_functional_linear_matches_torch(dtype: str, shape: tuple[int, ...], bias: bool) -> None:
    rng = np.random.default_rng(0)
    x, tx = _pair(rng, shape, dtype)
    w, tw = _pair(rng, (3, 4), dtype)
    b, tb = _pair(rng, (3,), dtype) if bias else (None, None)
    y, ty = cr.nn.functional.linear(x, w, b), torch.nn.functional.linear(tx, tw, tb)
    assert_close(y, ty)
    _backward_both(y, ty, rng)
    for ours, theirs in [(x, tx), (w, tw)] + ([(b, tb)] if bias else []):
        assert_close(ours.grad, theirs.grad, "grad")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4,), (6, 4), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_module_matches_torch(dtype: str, shape: tuple[int, ...], bias: bool) -> None:
    ours = cr.nn.Linear(4, 3, bias=bias, dtype=getattr(cr, dtype))
    theirs = torch.nn.Linear(4, 3, bias=bias, dtype=getattr(torch, dtype))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(1)
    x, tx = _pair(rng, shape, dtype)
    y, ty = ours(x), theirs(tx)
    assert_close(y, ty)
    _backward_both(y, ty, rng)
    assert_close(x.grad, tx.grad, "grad")
    for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == tname
        assert p.grad.dtype == p.dtype
        assert_close(p.grad, tp.grad, "grad")


def test_linear_float32_stays_float32_and_grads_accumulate() -> None:
    m = cr.nn.Linear(5, 2)
    x = cr.randn(7, 5, requires_grad=True)
    for _ in range(2):
        m(x).sum().backward()
    assert m(x).dtype == cr.float32
    assert m.weight.grad.dtype == cr.float32 and m.bias.grad.dtype == cr.float32 and x.grad.dtype == cr.float32
    tm = torch.nn.Linear(5, 2)
    tm.load_state_dict({k: to_torch(v) for k, v in m.state_dict().items()})
    tx = to_torch(x.detach(), requires_grad=True)
    for _ in range(2):
        tm(tx).sum().backward()
    assert_close(m.weight.grad, tm.weight.grad, "grad")
    assert_close(m.bias.grad, tm.bias.grad, "grad")
    assert_close(x.grad, tx.grad, "grad")


def test_linear_is_one_graph_node() -> None:
    m = cr.nn.Linear(4, 3)
    y = m(cr.randn(2, 4))
    assert y.grad_fn.name == "LinearBackward"
    # the node's inputs are the leaves themselves: no transpose or add node in between
    nodes = [f for f, _ in y.grad_fn.next_functions]
    assert nodes[0] is None and nodes[1] is m.weight and nodes[2] is m.bias


def test_linear_noncontiguous_input() -> None:
    rng = np.random.default_rng(2)
    a = rng.standard_normal((4, 6))
    x = cr.tensor(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    w, tw = _pair(rng, (3, 6), "float64")
    y = cr.nn.functional.linear(x.t()[::2], w[:, :4])
    ty = torch.nn.functional.linear(tx.t()[::2], tw[:, :4])
    assert_close(y, ty)
    _backward_both(y, ty, rng)
    assert_close(x.grad, tx.grad, "grad")
    assert_close(w.grad, tw.grad, "grad")


@pytest.mark.parametrize("shape", [(4,), (3, 4), (2, 2, 4)], ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck(shape: tuple[int, ...], bias: bool) -> None:
    x = cr.randn(*shape, dtype=cr.float64, requires_grad=True)
    w = cr.randn(3, 4, dtype=cr.float64, requires_grad=True)
    args = (x, w) + ((cr.randn(3, dtype=cr.float64, requires_grad=True),) if bias else ())
    assert cr.autograd.gradcheck(cr.nn.functional.linear, args)


def test_linear_gradcheck_broadcast_bias() -> None:
    x = cr.randn(3, 4, dtype=cr.float64, requires_grad=True)
    w = cr.randn(2, 4, dtype=cr.float64, requires_grad=True)
    b = cr.randn(1, dtype=cr.float64, requires_grad=True)
    assert cr.autograd.gradcheck(cr.nn.functional.linear, (x, w, b))
    tb = torch.tensor(b.detach().numpy(), requires_grad=True)
    ty = torch.nn.functional.linear(to_torch(x.detach()), to_torch(w.detach()), tb)
    y = cr.nn.functional.linear(x, w, b)
    assert_close(y, ty)
    y.sum().backward()
    ty.sum().backward()
    assert_close(b.grad, tb.grad, "grad")


# ----------------------------------------------------------------- errors
def test_linear_module_shape_error_names_layer_and_shapes() -> None:
    m = cr.nn.Linear(4, 5)
    with pytest.raises(RuntimeError) as ours:
        m(cr.randn(2, 3))
    msg = str(ours.value)
    assert "Linear(in_features=4, out_features=5, bias=True)" in msg and "4" in msg and "(2, 3)" in msg
    with pytest.raises(RuntimeError):  # torch raises the same type
        torch.nn.Linear(4, 5)(torch.randn(2, 3))


def test_functional_linear_errors() -> None:
    with pytest.raises(RuntimeError, match=r"linear.*\(2, 3\).*\(5, 4\)"):
        cr.nn.functional.linear(cr.randn(2, 3), cr.randn(5, 4))
    with pytest.raises(RuntimeError):
        torch.nn.functional.linear(torch.randn(2, 3), torch.randn(5, 4))
    with pytest.raises(RuntimeError, match="dtype"):
        cr.nn.functional.linear(cr.randn(2, 4), cr.randn(5, 4, dtype=cr.float64))
    with pytest.raises(RuntimeError):
        torch.nn.functional.linear(torch.randn(2, 4), torch.randn(5, 4, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="bias"):
        cr.nn.functional.linear(cr.randn(2, 4), cr.randn(5, 4), cr.randn(3))
    with pytest.raises(RuntimeError):
        torch.nn.functional.linear(torch.randn(2, 4), torch.randn(5, 4), torch.randn(3))
    with pytest.raises(TypeError, match="linear"):
        cr.nn.functional.linear(np.ones((2, 4)), cr.randn(5, 4))


# ----------------------------------------------------------------- embedding
def _emb_pair(dtype: str, n: int = 10, d: int = 3) -> tuple[cr.Tensor, torch.Tensor]:
    return _pair(np.random.default_rng(3), (n, d), dtype)


INDICES = [
    [4],
    [[1, 2, 4, 5], [4, 3, 2, 9]],
    [[[0, 0, 1], [1, 1, 1]], [[7, 0, 7], [2, 2, 9]]],
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("idx", INDICES, ids=["1d", "2d", "3d-repeated"])
@pytest.mark.parametrize("padding_idx", [None, 0, 1, -1])
@pytest.mark.parametrize("itype", ["int64", "int32"])
def test_functional_embedding_matches_torch(dtype: str, idx: Any, padding_idx: int | None, itype: str) -> None:
    w, tw = _emb_pair(dtype)
    i = np.array(idx, dtype=itype)
    y = cr.nn.functional.embedding(cr.tensor(i), w, padding_idx=padding_idx)
    ty = torch.nn.functional.embedding(torch.from_numpy(i), tw, padding_idx=padding_idx)
    assert_close(y, ty)
    _backward_both(y, ty, np.random.default_rng(4))
    assert_close(w.grad, tw.grad, "grad")


@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_scale_grad_by_freq_matches_torch(dtype: str) -> None:
    w, tw = _emb_pair(dtype)
    i = np.array([[1, 1, 2, 1], [3, 2, 0, 0]])
    y = cr.nn.functional.embedding(cr.tensor(i), w, padding_idx=0, scale_grad_by_freq=True)
    ty = torch.nn.functional.embedding(torch.from_numpy(i), tw, padding_idx=0, scale_grad_by_freq=True)
    _backward_both(y, ty, np.random.default_rng(5))
    assert_close(w.grad, tw.grad, "grad")


@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_embedding_max_norm_renormalises_like_torch(norm_type: float) -> None:
    w, tw = _emb_pair("float64")
    with torch.no_grad():
        tw.mul_(3.0)
    w = cr.tensor(tw.detach().numpy().copy(), requires_grad=True)
    i = np.array([[1, 2, 2], [5, 1, 0]])
    y = cr.nn.functional.embedding(cr.tensor(i), w, max_norm=1.5, norm_type=norm_type)
    ty = torch.nn.functional.embedding(torch.from_numpy(i), tw, max_norm=1.5, norm_type=norm_type)
    assert_close(y, ty)
    assert_close(w.detach(), tw.detach())  # rows that were looked up are rescaled in place, the others untouched
    _backward_both(y, ty, np.random.default_rng(6))
    assert_close(w.grad, tw.grad, "grad")


@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_module_matches_torch(dtype: str) -> None:
    ours = cr.nn.Embedding(12, 5, padding_idx=3, dtype=getattr(cr, dtype))
    theirs = torch.nn.Embedding(12, 5, padding_idx=3, dtype=getattr(torch, dtype))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    i = np.array([[3, 1, 1], [11, 3, 0]])
    y, ty = ours(cr.tensor(i)), theirs(torch.from_numpy(i))
    assert_close(y, ty)
    _backward_both(y, ty, np.random.default_rng(7))
    assert_close(ours.weight.grad, theirs.weight.grad, "grad")
    assert not ours.weight.grad.numpy()[3].any()
    assert repr(ours) == repr(theirs)


def test_embedding_gradcheck() -> None:
    w = cr.randn(6, 3, dtype=cr.float64, requires_grad=True)
    i = cr.tensor([[1, 2, 1], [5, 5, 0]])
    assert cr.autograd.gradcheck(lambda w: cr.nn.functional.embedding(i, w), (w,))
    # the padding row is excluded from the gradient on purpose, so only the other rows match finite differences
    grad = cr.autograd.grad(cr.nn.functional.embedding(i, w, padding_idx=5).sum(), w)[0].numpy()
    assert not grad[5].any() and grad[1].tolist() == [2.0, 2.0, 2.0]


def test_embedding_from_pretrained() -> None:
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    emb = cr.nn.Embedding.from_pretrained(cr.tensor(table))
    temb = torch.nn.Embedding.from_pretrained(torch.from_numpy(table.copy()))
    assert emb.weight.requires_grad is temb.weight.requires_grad is False
    assert_close(emb(cr.tensor([2, 0])), temb(torch.tensor([2, 0])))
    trainable = cr.nn.Embedding.from_pretrained(cr.tensor(table), freeze=False, padding_idx=1)
    ttrainable = torch.nn.Embedding.from_pretrained(torch.from_numpy(table.copy()), freeze=False, padding_idx=1)
    assert trainable.weight.requires_grad and repr(trainable) == repr(ttrainable)
    assert trainable.weight.numpy(force=True)[1].tolist() == [3.0, 4.0, 5.0]  # from_pretrained keeps the padding row
    with pytest.raises(ValueError, match="2-dimensional"):
        cr.nn.Embedding.from_pretrained(cr.zeros(3))


def test_embedding_errors() -> None:
    emb = cr.nn.Embedding(5, 2)
    with pytest.raises(IndexError, match="index 5 is out of range"):
        emb(cr.tensor([1, 5]))
    with pytest.raises(IndexError):
        torch.nn.Embedding(5, 2)(torch.tensor([1, 5]))
    with pytest.raises(IndexError, match="-1"):
        emb(cr.tensor([-1]))
    with pytest.raises(RuntimeError, match="integer"):
        emb(cr.tensor([1.0]))
    with pytest.raises(RuntimeError):
        torch.nn.Embedding(5, 2)(torch.tensor([1.0]))
    with pytest.raises(ValueError, match="padding_idx"):
        cr.nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(NotImplementedError, match="sparse"):
        cr.nn.Embedding(5, 2, sparse=True)
    with pytest.raises(ValueError, match="_weight"):
        cr.nn.Embedding(5, 2, _weight=cr.zeros(4, 2))
