"""The Module system against PyTorch's: the same model written once for both frameworks must have the same parameter,
buffer and module names in the same order, the same state_dict keys, the same repr, and load PyTorch's weights to give
the same outputs; registration, modes, hooks, conversion and containers behave as in PyTorch."""

from __future__ import annotations

import re
from collections import OrderedDict
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from tests.helpers import assert_close, to_torch


def make_net(m: ModuleType) -> Any:
    """A nested model built from ``m`` (``chainrule`` or ``torch``): a custom module with a Sequential, a ModuleList,
    a ModuleDict, an Embedding, a shared layer, a parameter registered directly, persistent and non-persistent
    buffers, a bias-free Linear and a None parameter."""
    nn = m.nn

    class Block(nn.Module):
        def __init__(self, n: int) -> None:
            super().__init__()
            self.fc = nn.Linear(n, n)
            self.register_buffer("running", m.zeros(n))
            self.register_buffer("scratch", m.ones(2), persistent=False)
            self.scale = nn.Parameter(m.ones(n))

        def forward(self, x: Any) -> Any:
            return self.fc(x).tanh() * self.scale + self.running

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(10, 4, padding_idx=0)
            self.features = nn.Sequential(nn.Linear(4, 6), nn.Identity(), Block(6), nn.Linear(6, 6, bias=False))
            self.blocks = nn.ModuleList([Block(6), Block(6)])
            self.heads = nn.ModuleDict(OrderedDict([("cls", nn.Linear(6, 3)), ("reg", nn.Linear(6, 1))]))
            self.shared = self.features[0]  # the same module under two names
            self.register_parameter("temperature", nn.Parameter(m.ones(1)))
            self.register_parameter("unused", None)
            self.register_buffer("steps", m.zeros(1, dtype=m.int64))

        def forward(self, idx: Any) -> Any:
            h = self.features(self.embed(idx))
            for b in self.blocks:
                h = b(h)
            return self.heads["cls"](h) * self.temperature, self.heads["reg"](h)

    return Net()


def nets() -> tuple[Any, Any]:
    return make_net(cr), make_net(torch)


def names_and_shapes(items: Any) -> list[tuple[str, tuple[int, ...]]]:
    return [(k, tuple(v.shape)) for k, v in items]


def load_from_torch(ours: Any, theirs: Any) -> None:
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})


# ----------------------------------------------------------------- names, order, traversal
def test_named_parameters_order_and_names_equal_torch() -> None:
    ours, theirs = nets()
    assert names_and_shapes(ours.named_parameters()) == names_and_shapes(theirs.named_parameters())
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))  # the shared layer counted once
    assert names_and_shapes(ours.named_parameters(remove_duplicate=False)) == \
        names_and_shapes(theirs.named_parameters(remove_duplicate=False))
    assert names_and_shapes(ours.named_parameters(prefix="net", recurse=False)) == \
        names_and_shapes(theirs.named_parameters(prefix="net", recurse=False))
    assert all(isinstance(p, cr.nn.Parameter) and p.requires_grad for p in ours.parameters())


def test_buffers_equal_torch() -> None:
    ours, theirs = nets()
    assert names_and_shapes(ours.named_buffers()) == names_and_shapes(theirs.named_buffers())
    assert "features.2.scratch" in dict(ours.named_buffers())  # non-persistent buffers are still buffers
    assert [b.dtype.name for b in ours.buffers()] == [str(b.dtype).removeprefix("torch.") for b in theirs.buffers()]


def test_modules_and_children_equal_torch() -> None:
    ours, theirs = nets()
    assert [(n, type(m).__name__) for n, m in ours.named_modules()] == \
        [(n, type(m).__name__) for n, m in theirs.named_modules()]
    assert [(n, type(m).__name__) for n, m in ours.named_children()] == \
        [(n, type(m).__name__) for n, m in theirs.named_children()]
    assert [type(m).__name__ for m in ours.children()] == [type(m).__name__ for m in theirs.children()]
    assert len(list(ours.modules())) == len(list(theirs.modules()))
    assert [n for n, _ in ours.named_modules(remove_duplicate=False)] == \
        [n for n, _ in theirs.named_modules(remove_duplicate=False)]
    assert ours.get_submodule("blocks.1.fc") is ours.blocks[1].fc
    assert ours.get_parameter("features.2.scale") is ours.features[2].scale


# ----------------------------------------------------------------- state_dict
def test_state_dict_keys_identical_to_torch() -> None:
    ours, theirs = nets()
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)  # includes both names of the shared layer, excludes "scratch" and "unused"
    assert not any(k.endswith("scratch") or k == "unused" for k in sd)
    assert [tuple(v.shape) for v in sd.values()] == [tuple(v.shape) for v in tsd.values()]
    assert not any(v.requires_grad for v in sd.values())
    assert all(v.requires_grad for k, v in ours.state_dict(keep_vars=True).items() if "weight" in k)
    assert list(ours.state_dict(prefix="model.")) == list(theirs.state_dict(prefix="model."))


def test_load_torch_state_dict_gives_identical_outputs() -> None:
    ours, theirs = nets()
    with torch.no_grad():
        for b in theirs.buffers():
            if b.dtype.is_floating_point:
                b.normal_()
    result = ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == repr(theirs.load_state_dict(theirs.state_dict()))
    for (k, v), tv in zip(ours.state_dict().items(), theirs.state_dict().values()):
        assert np.array_equal(v.numpy(), tv.numpy()), k
    idx = np.array([[1, 0, 3], [9, 2, 2]])
    for o, t in zip(ours(cr.tensor(idx)), theirs(torch.from_numpy(idx))):
        assert_close(o, t)
    # and back: chainrule's state_dict loads into torch
    theirs2 = make_net(torch)
    theirs2.load_state_dict({k: to_torch(v) for k, v in ours.state_dict().items()})
    for t2, t in zip(theirs2(torch.from_numpy(idx)), theirs(torch.from_numpy(idx))):
        assert torch.equal(t2, t)


def test_load_state_dict_copies_in_place_and_casts() -> None:
    ours, theirs = nets()
    w = ours.features[0].weight
    load_from_torch(ours, theirs.double())  # float64 arrays into float32 parameters, as torch's copy_
    assert ours.features[0].weight is w and w.dtype == cr.float32
    assert_close(w.detach(), theirs.features[0].weight.detach().float())


def _error_lines(msg: str) -> list[str]:
    return [line.strip() for line in msg.split("\n")]


def test_load_state_dict_reports_every_problem_at_once() -> None:
    ours, theirs = nets()
    sd = {k: v.numpy() for k, v in theirs.state_dict().items()}
    del sd["heads.reg.bias"], sd["features.2.running"]
    sd["extra.weight"] = np.zeros(3, dtype=np.float32)
    sd["features.0.weight"] = np.zeros((6, 5), dtype=np.float32)  # wrong shape
    sd["blocks.1.scale"] = np.zeros(7, dtype=np.float32)
    before = {k: v.numpy().copy() for k, v in ours.state_dict().items()}
    with pytest.raises(RuntimeError) as ours_err:
        ours.load_state_dict(sd)
    tsd = {k: torch.from_numpy(v) for k, v in sd.items()}
    with pytest.raises(RuntimeError) as theirs_err:
        make_net(torch).load_state_dict(tsd)
    mine, torchs = _error_lines(str(ours_err.value)), _error_lines(str(theirs_err.value))
    # the same lines, up to how a shape prints (torch.Size([6, 5]) vs (6, 5))
    norm = [re.sub(r"torch\.Size\(\[([^\]]*)\]\)", lambda g: str(tuple(int(n) for n in g[1].split(",") if n.strip())),
                   line) for line in torchs]
    assert mine == norm
    for key in ('"heads.reg.bias"', '"features.2.running"', '"extra.weight"', "features.0.weight", "blocks.1.scale"):
        assert key in str(ours_err.value)
    # nothing was half-loaded
    assert all(np.array_equal(before[k], v.numpy()) for k, v in ours.state_dict().items())


def test_load_state_dict_not_strict() -> None:
    ours, theirs = nets()
    sd = {k: v.numpy() for k, v in theirs.state_dict().items()}
    del sd["heads.reg.bias"]
    sd["extra"] = np.zeros(1)
    res = ours.load_state_dict(sd, strict=False)
    tres = make_net(torch).load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in sd.items()}, strict=False)
    assert res.missing_keys == tres.missing_keys and res.unexpected_keys == tres.unexpected_keys
    assert repr(res) == repr(tres)
    assert np.array_equal(ours.heads["cls"].weight.numpy(force=True), sd["heads.cls.weight"])
    sd["heads.cls.weight"] = np.zeros((2, 2))
    with pytest.raises(RuntimeError, match="size mismatch for heads.cls.weight"):  # shapes are checked even so
        ours.load_state_dict(sd, strict=False)


def test_non_persistent_buffer() -> None:
    ours = cr.nn.Module()
    ours.register_buffer("a", cr.zeros(2))
    ours.register_buffer("b", cr.zeros(2), persistent=False)
    assert list(ours.state_dict()) == ["a"] and [n for n, _ in ours.named_buffers()] == ["a", "b"]
    ours.register_buffer("b", cr.ones(2))  # re-registered as persistent
    assert list(ours.state_dict()) == ["a", "b"]


# ----------------------------------------------------------------- registration
def test_registration_api_matches_torch() -> None:
    for m in (cr, torch):
        mod = m.nn.Module()
        mod.register_parameter("w", m.nn.Parameter(m.ones(2)))
        mod.register_buffer("buf", m.zeros(2))
        mod.add_module("child", m.nn.Linear(2, 2))
        mod.register_module("child2", m.nn.Identity())
        mod.plain = m.zeros(3)  # a plain tensor attribute is neither a parameter nor a buffer
        assert [n for n, _ in mod.named_parameters()] == ["w", "child.weight", "child.bias"]
        assert [n for n, _ in mod.named_buffers()] == ["buf"]
        assert [n for n, _ in mod.named_children()] == ["child", "child2"]
        assert list(mod.state_dict()) == ["w", "buf", "child.weight", "child.bias"]
        for bad in ("a.b", ""):
            with pytest.raises(KeyError):
                mod.register_parameter(bad, None)
            with pytest.raises(KeyError):
                mod.register_buffer(bad, None)
            with pytest.raises(KeyError):
                mod.add_module(bad, None)
        with pytest.raises(KeyError):
            mod.register_buffer("w", m.zeros(1))  # name taken by a parameter
        with pytest.raises(KeyError):
            mod.register_parameter("plain", None)  # name taken by an attribute
        with pytest.raises(TypeError):
            mod.register_parameter("p", m.zeros(2))  # not a Parameter
        with pytest.raises(TypeError):
            mod.register_buffer("b2", [1.0])
        with pytest.raises(TypeError):
            mod.w = m.zeros(2)  # a plain tensor cannot replace a parameter
        with pytest.raises(TypeError):
            mod.add_module("c", object())
        mod.w = None
        assert [n for n, _ in mod.named_parameters()] == ["child.weight", "child.bias"]
        del mod.child
        assert not hasattr(mod, "child") and [n for n, _ in mod.named_children()] == ["child2"]
        mod.child2 = m.nn.Parameter(m.ones(1))  # a parameter replaces a module of the same name
        assert "child2" in dict(mod.named_parameters()) and "child2" not in dict(mod.named_children())


def test_assigning_before_init_raises() -> None:
    class Bad(cr.nn.Module):
        def __init__(self) -> None:
            self.w = cr.nn.Parameter(cr.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()


def test_missing_forward_raises_like_torch() -> None:
    with pytest.raises(NotImplementedError) as theirs:
        torch.nn.Module()(torch.ones(1))
    with pytest.raises(NotImplementedError) as ours:
        cr.nn.Module()(cr.ones(1))
    assert str(ours.value) == str(theirs.value)


# ----------------------------------------------------------------- modes, grads, apply, conversion
def test_train_eval_propagate_and_respect_overrides() -> None:
    for m in (cr, torch):
        class Frozen(m.nn.Module):  # stays in eval mode whatever its parent asks (e.g. a frozen backbone)
            def __init__(self) -> None:
                super().__init__()
                self.inner = m.nn.Linear(2, 2)

            def train(self, mode: bool = True) -> Any:
                return super().train(False)

        net = m.nn.Sequential(m.nn.Linear(2, 2), m.nn.Sequential(m.nn.Identity()), Frozen())
        assert all(x.training for x in list(net.modules())[:4])
        assert net.eval() is net and not any(x.training for x in net.modules())
        net.train()
        assert [x.training for x in net.modules()] == [True, True, True, True, False, False], m.__name__
        with pytest.raises(ValueError, match="boolean"):
            net.train("yes")


def test_zero_grad() -> None:
    net = cr.nn.Sequential(cr.nn.Linear(3, 2), cr.nn.Linear(2, 1))
    net(cr.randn(4, 3)).sum().backward()
    grads = [p.grad for p in net.parameters()]
    net.zero_grad(set_to_none=False)
    assert all(p.grad is g and not g.numpy().any() for p, g in zip(net.parameters(), grads))
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.zero_grad()  # no gradient at all is fine


def test_requires_grad_() -> None:
    net = make_net(cr)
    assert net.requires_grad_(False) is net and not any(p.requires_grad for p in net.parameters())
    net.features.requires_grad_()
    assert [n for n, p in net.named_parameters() if p.requires_grad] == \
        [n for n, _ in net.features.named_parameters(prefix="features")]


def test_apply_visits_children_first_like_torch() -> None:
    ours, theirs = nets()
    seen: list[str] = []
    tseen: list[str] = []
    assert ours.apply(lambda mod: seen.append(type(mod).__name__)) is ours
    theirs.apply(lambda mod: tseen.append(type(mod).__name__))
    assert seen == tseen

    def init_linear(mod: Any) -> None:
        if isinstance(mod, cr.nn.Linear):
            cr.nn.init.zeros_(mod.weight)

    ours.apply(init_linear)
    assert not any(mod.weight.numpy(force=True).any() for mod in ours.modules() if isinstance(mod, cr.nn.Linear))


def test_to_float64_keeps_parameter_identity() -> None:
    net = make_net(cr)
    net(cr.tensor([[1, 2]]))[0].sum().backward()
    params = list(net.parameters())
    opt_view = [id(p) for p in params]
    assert net.to(cr.float64) is net
    assert [id(p) for p in net.parameters()] == opt_view
    assert all(p.dtype == cr.float64 and isinstance(p, cr.nn.Parameter) and p.requires_grad for p in params)
    assert all(p.grad is None or p.grad.dtype == cr.float64 for p in params)
    assert net.steps.dtype == cr.int64 and net.features[2].running.dtype == cr.float64  # integers untouched
    assert net(cr.tensor([[1, 2]]))[0].dtype == cr.float64
    net.float()
    assert all(p.dtype == cr.float32 for p in params)
    assert net.to("cpu") is net and net.to(device="cpu", dtype=cr.float32) is net
    with pytest.raises(TypeError, match="floating point"):
        net.to(cr.int64)


# ----------------------------------------------------------------- hooks
def test_forward_hooks_modify_input_and_output_like_torch() -> None:
    ours, theirs = cr.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    load_from_torch(ours, theirs)
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    calls: list[str] = []
    handles = []
    for mod in (ours, theirs):
        handles.append(mod.register_forward_pre_hook(lambda mod, args: (args[0] * 2,)))
        handles.append(mod.register_forward_pre_hook(lambda mod, args: args[0] + 1))  # a bare value is wrapped
        handles.append(mod.register_forward_hook(lambda mod, args, out: calls.append(type(mod).__module__)))
        handles.append(mod.register_forward_hook(lambda mod, args, out: out * 10 + args[0].sum()))
    y, ty = ours(cr.tensor(x)), theirs(torch.from_numpy(x))
    assert_close(y, ty)
    x2 = x * 2 + 1  # what the pre-hooks made of the input, in order
    expected = torch.nn.functional.linear(torch.from_numpy(x2), theirs.weight, theirs.bias) * 10 + float(x2.sum())
    assert_close(y, expected)
    assert calls == ["chainrule.nn.linear", "torch.nn.modules.linear"]
    for h in handles:
        h.remove()
    assert_close(ours(cr.tensor(x)), theirs(torch.from_numpy(x)))


def test_hooks_prepend_kwargs_and_context_manager() -> None:
    for m in (cr, torch):
        order: list[str] = []
        mod = m.nn.Identity()
        mod.register_forward_hook(lambda mod, a, o: order.append("first"))
        mod.register_forward_hook(lambda mod, a, o: order.append("prepended"), prepend=True)
        mod.register_forward_pre_hook(lambda mod, a, kw: (a, kw), with_kwargs=True)
        mod(m.ones(1))
        assert order == ["prepended", "first"], m.__name__
        with mod.register_forward_hook(lambda mod, a, o: o * 0):
            assert mod(m.ones(1)).sum().item() == 0
        assert mod(m.ones(1)).sum().item() == 1


def test_hook_on_submodule_sees_its_input() -> None:
    ours, theirs = nets()
    load_from_torch(ours, theirs)
    got: dict[str, Any] = {}
    ours.features[2].register_forward_hook(lambda mod, args, out: got.__setitem__("cr", (args[0], out)))
    theirs.features[2].register_forward_hook(lambda mod, args, out: got.__setitem__("torch", (args[0], out)))
    idx = np.array([[1, 4]])
    ours(cr.tensor(idx))
    theirs(torch.from_numpy(idx))
    assert_close(got["cr"][0], got["torch"][0])
    assert_close(got["cr"][1], got["torch"][1])


# ----------------------------------------------------------------- repr
def test_repr_equals_torch() -> None:
    ours, theirs = nets()
    assert repr(ours) == repr(theirs)
    seq = [m.nn.Sequential(m.nn.Linear(784, 256), m.nn.Identity(), m.nn.Sequential(m.nn.Linear(256, 10, bias=False)),
                           m.nn.Flatten(), m.nn.Sequential()) for m in (cr, torch)]
    assert repr(seq[0]) == repr(seq[1])


def test_module_list_repr_compresses_repeats_like_torch() -> None:
    lists = [m.nn.ModuleList([m.nn.Linear(4, 4), m.nn.Linear(4, 4), m.nn.Linear(4, 4), m.nn.Linear(4, 2),
                              m.nn.Sequential(m.nn.Linear(2, 2)), m.nn.Sequential(m.nn.Linear(2, 2))])
             for m in (cr, torch)]
    assert repr(lists[0]) == repr(lists[1])
    assert "(0-2): 3 x Linear" in repr(lists[0])
    assert repr(cr.nn.ModuleList()) == repr(torch.nn.ModuleList())


# ----------------------------------------------------------------- containers
def test_sequential_indexing_slicing_append_like_torch() -> None:
    ours, theirs = [m.nn.Sequential(m.nn.Linear(2, 3), m.nn.Identity(), m.nn.Linear(3, 4), m.nn.Linear(4, 5))
                    for m in (cr, torch)]
    assert type(ours[0]).__name__ == "Linear" and ours[-1].out_features == 5
    for sl in (slice(1, 3), slice(None, None, 2), slice(-2, None)):
        assert isinstance(ours[sl], cr.nn.Sequential)
        assert repr(ours[sl]) == repr(theirs[sl])
        assert list(ours[sl]._modules) == list(theirs[sl]._modules)
    assert ours[1:3][0] is ours[1]  # a slice shares the modules
    with pytest.raises(IndexError):
        ours[4]
    for seq, m in ((ours, cr), (theirs, torch)):
        seq.append(m.nn.Linear(5, 6))
        seq.insert(-1, m.nn.Identity())
        seq.insert(0, m.nn.Identity())
        del seq[2]
        seq[1] = m.nn.Linear(2, 3, bias=False)
    assert repr(ours) == repr(theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert len(ours) == len(theirs) and [type(x).__name__ for x in ours] == [type(x).__name__ for x in theirs]
    x = cr.randn(7, 2)
    for layer in ours:  # iteration order is forward order
        x = layer(x)
    assert x.shape == (7, 6)


def test_sequential_from_ordered_dict_and_forward() -> None:
    ours, theirs = [m.nn.Sequential(OrderedDict([("fc1", m.nn.Linear(3, 4)), ("fc2", m.nn.Linear(4, 2))]))
                    for m in (cr, torch)]
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight",
                                                                    "fc2.bias"]
    load_from_torch(ours, theirs)
    x = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    assert_close(ours(cr.tensor(x)), theirs(torch.from_numpy(x)))
    assert ours.fc2 is ours[1]


def test_module_list_registration_like_torch() -> None:
    ours, theirs = [m.nn.ModuleList([m.nn.Linear(2, 2)]) for m in (cr, torch)]
    for lst, m in ((ours, cr), (theirs, torch)):
        lst.append(m.nn.Linear(2, 3))
        lst.extend([m.nn.Linear(3, 3), m.nn.Identity()])
        lst += [m.nn.Linear(3, 1)]
        lst.insert(1, m.nn.Linear(2, 2, bias=False))
        del lst[3]
        lst[0] = m.nn.Linear(2, 5)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    assert len(ours) == len(theirs) == 5 and isinstance(ours[1:3], cr.nn.ModuleList) and ours[-1] is ours[4]
    owner = cr.nn.Module()
    owner.layers = ours
    assert [n for n, _ in owner.named_parameters()][:2] == ["layers.0.weight", "layers.0.bias"]


def test_module_dict_registration_like_torch() -> None:
    ours, theirs = [m.nn.ModuleDict({"b": m.nn.Linear(2, 2), "a": m.nn.Linear(2, 3)}) for m in (cr, torch)]
    for d, m in ((ours, cr), (theirs, torch)):
        d["c"] = m.nn.Identity()
        d.update([("z", m.nn.Linear(1, 1)), ("b", m.nn.Linear(2, 4))])
        d.pop("a")
    assert list(ours.keys()) == list(theirs.keys()) == ["b", "c", "z"]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    assert "c" in ours and "a" not in ours and len(ours) == 3 and list(ours) == ["b", "c", "z"]
    assert [type(v).__name__ for v in ours.values()] == [type(v).__name__ for v in theirs.values()]
