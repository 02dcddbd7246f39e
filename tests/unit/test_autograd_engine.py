"""The autograd engine against PyTorch: deep graphs, accumulation, retain_graph, grad modes, hooks, autograd.grad,
custom Functions, and that the graph (and so memory) is released after every backward."""

from __future__ import annotations

import gc
import tracemalloc
import weakref
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from tests.helpers import assert_close, to_torch


def _pair(shape: tuple[int, ...], dtype: str = "float64", seed: int = 0) -> tuple[cr.Tensor, torch.Tensor]:
    """The same random leaf in chainrule and torch, both requiring grad."""
    arr = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return cr.tensor(arr, requires_grad=True), torch.tensor(arr, requires_grad=True)


# ----------------------------------------------------------------------------- deep graphs
@pytest.mark.parametrize("step", ["mul", "add"])
def test_20000_op_chain_backward_is_iterative_and_correct(step: str) -> None:
    x, tx = _pair((3,))
    y, ty = x, tx
    for _ in range(20_000):
        if step == "mul":
            y, ty = y * 1.0001, ty * 1.0001
        else:
            y, ty = y + 1, ty + 1
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    assert_close(y, ty)
    assert_close(x.grad, tx.grad, "grad")


# ----------------------------------------------------------------------------- accumulation and retain_graph
def test_gradients_accumulate_across_backward_calls() -> None:
    x, tx = _pair((2, 3))
    for _ in range(2):
        (x.exp() * x).sum().backward()
        (tx.exp() * tx).sum().backward()
    assert_close(x.grad, tx.grad, "grad")
    single = ((tx.detach().exp()) * (1 + tx.detach())).numpy()
    np.testing.assert_allclose(x.grad.numpy(), 2 * single, rtol=1e-12)


def test_retain_graph_allows_second_backward() -> None:
    x, tx = _pair((4,))
    y, ty = (x.tanh() ** 2).sum(), (tx.tanh() ** 2).sum()
    y.backward(retain_graph=True)
    ty.backward(retain_graph=True)
    y.backward()
    ty.backward()
    assert_close(x.grad, tx.grad, "grad")


def test_second_backward_without_retain_graph_raises() -> None:
    x, tx = _pair((4,))
    y, ty = (x.sigmoid() * x).sum(), (tx.sigmoid() * tx).sum()
    y.backward()
    ty.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time") as ours:
        y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        ty.backward()
    assert "retain_graph=True" in str(ours.value)


# ----------------------------------------------------------------------------- non-scalar outputs
def test_backward_with_gradient_for_non_scalar_output() -> None:
    x, tx = _pair((2, 3))
    g = np.random.default_rng(1).standard_normal((2, 3))
    (x * x.sin()).backward(cr.tensor(g))
    (tx * tx.sin()).backward(torch.tensor(g))
    assert_close(x.grad, tx.grad, "grad")


def test_backward_of_non_scalar_without_gradient_raises() -> None:
    x, tx = _pair((2, 3))
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (tx * 2).backward()
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()


def test_one_element_non_scalar_output_needs_no_gradient() -> None:
    x, tx = _pair((1, 1))
    (x * 3).backward()
    (tx * 3).backward()
    assert_close(x.grad, tx.grad, "grad")


# ----------------------------------------------------------------------------- grad modes
def _modes(lib: Any) -> list[tuple[str, Any, bool]]:
    return [("no_grad", lib.no_grad, False), ("enable_grad", lib.enable_grad, True),
            ("set_grad_enabled(False)", lambda: lib.set_grad_enabled(False), False),
            ("set_grad_enabled(True)", lambda: lib.set_grad_enabled(True), True),
            ("inference_mode", lib.inference_mode, False)]


@pytest.mark.parametrize("case", range(5))
@pytest.mark.parametrize("outer", [True, False])
def test_grad_mode_context_managers(case: int, outer: bool) -> None:
    x, tx = _pair((3,))
    results = []
    for lib, t in ((cr, x), (torch, tx)):
        name, make, _ = _modes(lib)[case]
        with lib.set_grad_enabled(outer):
            with make():
                inside = lib.is_grad_enabled()
                y = t * 2
            after = lib.is_grad_enabled()
        results.append((name, inside, y.requires_grad, y.grad_fn is None, after, lib.is_grad_enabled()))
    assert results[0] == results[1]
    assert results[0][1] is _modes(cr)[case][2]


@pytest.mark.parametrize("case", range(5))
def test_grad_mode_decorators(case: int) -> None:
    x, tx = _pair((3,))
    results = []
    for lib, t in ((cr, x), (torch, tx)):
        _, make, _ = _modes(lib)[case]

        @make()
        def f(v: Any) -> Any:
            return v * 2, lib.is_grad_enabled()

        before = lib.is_grad_enabled()
        y, inside = f(t)
        results.append((before, inside, y.requires_grad, lib.is_grad_enabled()))
    assert results[0] == results[1]
    assert results[0][0] is True and results[0][3] is True  # decorating does not change the mode outside


def test_grad_mode_restored_after_exception() -> None:
    with pytest.raises(ValueError):
        with cr.no_grad():
            raise ValueError("boom")
    assert cr.is_grad_enabled()

    @cr.no_grad()
    def fail() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError):
        fail()
    assert cr.is_grad_enabled()


def test_enable_grad_inside_no_grad_records() -> None:
    x, _ = _pair((3,))
    with cr.no_grad():
        with cr.enable_grad():
            y = x * 2
        z = x * 2
    assert y.requires_grad and y.grad_fn is not None
    assert not z.requires_grad and z.grad_fn is None


# ----------------------------------------------------------------------------- detach, requires_grad_, is_leaf
def test_detach_shares_data_and_cuts_graph() -> None:
    x, tx = _pair((3,))
    y, ty = x * 2, tx * 2
    d, td = y.detach(), ty.detach()
    assert (d.requires_grad, d.grad_fn, d.is_leaf) == (td.requires_grad, td.grad_fn, td.is_leaf)
    d[0] = 100.0
    td[0] = 100.0
    assert_close(y.detach(), ty.detach())
    assert y.detach()[0].item() == 100.0
    # a graph through the detached tensor does not reach x
    with pytest.raises(RuntimeError, match="does not require grad"):
        (d * 3).sum().backward()


def test_requires_grad_flag_and_is_leaf() -> None:
    a, ta = cr.ones(3), torch.ones(3)
    assert (a.requires_grad, a.is_leaf) == (ta.requires_grad, ta.is_leaf) == (False, True)
    assert a.requires_grad_() is a
    ta.requires_grad_()
    b, tb = a * 2, ta * 2
    assert (a.is_leaf, b.is_leaf, b.requires_grad) == (ta.is_leaf, tb.is_leaf, tb.requires_grad) == (True, False, True)
    c, tc = cr.ones(3) * 2, torch.ones(3) * 2
    assert (c.is_leaf, c.requires_grad) == (tc.is_leaf, tc.requires_grad) == (True, False)
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
        b.requires_grad_(False)
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
        tb.requires_grad_(False)
    a.requires_grad_(False)
    assert not (a * 2).requires_grad


def test_retain_grad_on_non_leaf() -> None:
    x, tx = _pair((2, 3))
    y, ty = x.exp(), tx.exp()
    z, tz = y * 3, ty * 3
    y.retain_grad()
    ty.retain_grad()
    assert y.retains_grad and ty.retains_grad
    (z * z).sum().backward()
    (tz * tz).sum().backward()
    assert_close(y.grad, ty.grad, "grad")
    assert z.grad is None and not z.retains_grad and not tz.retains_grad  # torch warns on reading tz.grad
    assert_close(x.grad, tx.grad, "grad")


# ----------------------------------------------------------------------------- hooks
@pytest.mark.parametrize("on", ["leaf", "non_leaf"])
def test_register_hook_modifies_gradient(on: str) -> None:
    x, tx = _pair((3,))
    seen: dict[str, Any] = {}
    for lib, t in (("cr", x), ("torch", tx)):
        y = t.exp()
        target = t if on == "leaf" else y

        def hook(g: Any, lib: str = lib) -> Any:
            seen[lib] = g.detach().numpy().copy() if hasattr(g, "detach") else g
            return g * 10

        target.register_hook(hook)
        (y * y).sum().backward()
    assert_close(x.grad, tx.grad, "grad")
    np.testing.assert_allclose(seen["cr"], seen["torch"], rtol=1e-12)
    plain = (2 * tx.detach().exp() ** 2).numpy()
    np.testing.assert_allclose(x.grad.numpy(), 10 * plain, rtol=1e-12)


def test_hook_handle_remove_and_observing_hook() -> None:
    x, tx = _pair((3,))
    calls = []
    h = x.register_hook(lambda g: g * 0)
    x.register_hook(lambda g: calls.append(g.shape))  # returns None: the gradient is kept
    h.remove()
    th = tx.register_hook(lambda g: g * 0)
    th.remove()
    (x * x).sum().backward()
    (tx * tx).sum().backward()
    assert_close(x.grad, tx.grad, "grad")
    assert calls == [cr.Size([3])]


def test_register_hook_on_tensor_without_grad_raises() -> None:
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        torch.ones(2).register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        cr.ones(2).register_hook(lambda g: g)


# ----------------------------------------------------------------------------- autograd.grad
def test_autograd_grad_matches_torch_and_leaves_grad_untouched() -> None:
    x, tx = _pair((2, 3))
    w, tw = _pair((3,), seed=1)
    y, ty = (x * w).tanh(), (tx * tw).tanh()
    g = np.random.default_rng(2).standard_normal((2, 3))
    gx, gw = cr.autograd.grad(y, (x, w), grad_outputs=cr.tensor(g))
    tgx, tgw = torch.autograd.grad(ty, (tx, tw), grad_outputs=torch.tensor(g))
    assert_close(gx, tgx, "grad")
    assert_close(gw, tgw, "grad")
    assert x.grad is None and w.grad is None
    assert not gx.requires_grad


def test_autograd_grad_scalar_output_and_non_leaf_input() -> None:
    x, tx = _pair((4,))
    h, th = x.exp(), tx.exp()
    out, tout = (h * h).sum(), (th * th).sum()
    (gh,) = cr.autograd.grad(out, h)
    (tgh,) = torch.autograd.grad(tout, th)
    assert_close(gh, tgh, "grad")
    assert x.grad is None


def test_autograd_grad_allow_unused() -> None:
    x, tx = _pair((3,))
    u, tu = _pair((3,), seed=1)
    y, ty = (x * 2).sum(), (tx * 2).sum()
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        torch.autograd.grad(ty, (tx, tu), retain_graph=True)
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        cr.autograd.grad(y, (x, u), retain_graph=True)
    gx, gu = cr.autograd.grad(y, (x, u), allow_unused=True)
    tgx, tgu = torch.autograd.grad(ty, (tx, tu), allow_unused=True)
    assert gu is None and tgu is None
    assert_close(gx, tgx, "grad")


def test_autograd_grad_multiple_outputs() -> None:
    x, tx = _pair((3,))
    outs = [(x * x).sum(), x.sin().sum()]
    touts = [(tx * tx).sum(), tx.sin().sum()]
    (g,) = cr.autograd.grad(outs, [x])
    (tg,) = torch.autograd.grad(touts, [tx])
    assert_close(g, tg, "grad")


# ----------------------------------------------------------------------------- custom Function
class _CrScaledExp(cr.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Any, scale: Any, flag: Any) -> Any:
        y = x.exp() * scale
        ctx.save_for_backward(x, scale)
        ctx.flags = ctx.needs_input_grad
        return y

    @staticmethod
    def backward(ctx: Any, grad_output: Any) -> Any:
        x, scale = ctx.saved_tensors
        gx = grad_output * x.exp() * scale if ctx.needs_input_grad[0] else None
        gs = (grad_output * x.exp()).sum(0) if ctx.needs_input_grad[1] else None
        return gx, gs, None


class _TorchScaledExp(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Any, scale: Any, flag: Any) -> Any:
        y = x.exp() * scale
        ctx.save_for_backward(x, scale)
        ctx.flags = ctx.needs_input_grad
        return y

    @staticmethod
    def backward(ctx: Any, grad_output: Any) -> Any:
        x, scale = ctx.saved_tensors
        gx = grad_output * x.exp() * scale if ctx.needs_input_grad[0] else None
        gs = (grad_output * x.exp()).sum(0) if ctx.needs_input_grad[1] else None
        return gx, gs, None


@pytest.mark.parametrize("scale_requires_grad", [True, False])
def test_custom_function_matches_torch(scale_requires_grad: bool) -> None:
    x, tx = _pair((4, 3))
    s = np.random.default_rng(3).standard_normal(3)
    sc, ts = cr.tensor(s, requires_grad=scale_requires_grad), torch.tensor(s, requires_grad=scale_requires_grad)
    y = _CrScaledExp.apply(x, sc, 7)
    ty = _TorchScaledExp.apply(tx, ts, 7)
    assert_close(y, ty)
    assert y.grad_fn.flags == ty.grad_fn.flags == (True, scale_requires_grad, False)
    (y.sin()).sum().backward()
    (ty.sin()).sum().backward()
    assert_close(x.grad, tx.grad, "grad")
    if scale_requires_grad:
        assert_close(sc.grad, ts.grad, "grad")
    else:
        assert sc.grad is None and ts.grad is None


def test_custom_function_without_grad_records_nothing() -> None:
    x = cr.ones(3)
    y = _CrScaledExp.apply(x, cr.ones(3), 0)
    assert y.grad_fn is None and not y.requires_grad
    xg = cr.ones(3, requires_grad=True)
    with cr.no_grad():
        z = _CrScaledExp.apply(xg, cr.ones(3), 0)
    assert z.grad_fn is None and not z.requires_grad


def test_custom_function_wrong_number_of_gradients_raises() -> None:
    class Bad(cr.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any, y: Any) -> Any:
            return x * y

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            return g

    a, b = cr.ones(2, requires_grad=True), cr.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(a, b).sum().backward()


# ----------------------------------------------------------------------------- memory and graph release
def _mlp_step(w1: cr.Tensor, w2: cr.Tensor, x: cr.Tensor) -> None:
    h = (x @ w1).tanh()
    loss = ((h @ w2).tanh() ** 2).sum()
    loss.backward()
    with cr.no_grad():
        for w in (w1, w2):
            w -= 0.001 * w.grad
            w.grad = None


def test_training_loop_memory_stays_flat() -> None:
    w1 = cr.randn(16, 32, requires_grad=True)
    w2 = cr.randn(32, 4, requires_grad=True)
    x = cr.randn(8, 16)
    gc.collect()
    tracemalloc.start()
    try:
        for i in range(2000):
            _mlp_step(w1, w2, x)
            if i == 199:
                gc.collect()
                early = tracemalloc.get_traced_memory()[0]
        gc.collect()
        late = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert abs(late - early) < 256 * 1024, f"memory grew by {late - early} bytes over 1800 steps"
    assert w1.dtype == cr.float32 and np.isfinite(w1.detach().numpy()).all()


def test_graph_is_freed_after_backward() -> None:
    x = cr.randn(5, 5, requires_grad=True)
    mid = x.exp()  # referenced only by the graph once the name is dropped
    mid_ref, node_ref = weakref.ref(mid), weakref.ref(mid.grad_fn)
    out = (mid * 2).tanh()
    loss = out.sum()
    del mid
    gc.collect()
    assert mid_ref() is not None  # alive while the graph is
    loss.backward()
    gc.collect()
    # loss and out are still alive, but their nodes released their inputs and saved arrays
    assert mid_ref() is None and node_ref() is None
    assert out.grad_fn.parents is None and loss.grad_fn.parents is None
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        loss.backward()


def test_retain_graph_keeps_saved_values_and_next_backward_frees_them() -> None:
    x = cr.randn(4, requires_grad=True)
    y = x.exp()
    z = y.sum()
    z.backward(retain_graph=True)
    assert y.grad_fn.parents is not None
    z.backward()
    assert y.grad_fn.parents is None
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(x.detach().numpy()), rtol=1e-6)


def test_float32_graph_keeps_float32_gradients() -> None:
    x = cr.randn(3, 4, requires_grad=True)
    tx = to_torch(x, True)
    ((x * 2.5 + 1) / 3).exp().mean().backward()
    ((tx * 2.5 + 1) / 3).exp().mean().backward()
    assert x.grad.dtype == cr.float32
    assert_close(x.grad, tx.grad, "grad")


@pytest.mark.parametrize("graph", ["leaf", "add", "reshape"])
def test_leaf_grad_does_not_alias_the_callers_gradient(graph: str) -> None:
    # the gradient passed to backward can reach a leaf unchanged (x itself, x + c, a view); .grad must own its memory.
    # NOTE: not compared with torch: its AccumulateGrad may steal the incoming buffer (it does for the reshape case,
    # an implementation detail); the guarantee kept here is the safe one, that the two never share memory.
    x = cr.zeros(2, 3, dtype=cr.float64, requires_grad=True)
    y = {"leaf": lambda: x, "add": lambda: x + 1.0, "reshape": lambda: x.reshape(6).reshape(2, 3)}[graph]()
    g = cr.ones(2, 3, dtype=cr.float64)
    y.backward(g)
    g.mul_(5.0)  # mutating the caller's tensor afterwards must not change .grad
    x.grad.mul_(2.0)  # nor may an in-place update of .grad change the caller's tensor
    assert x.grad.tolist() == [[2.0] * 3] * 2 and g.tolist() == [[5.0] * 3] * 2
