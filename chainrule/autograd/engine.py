"""The backward pass: the chain rule applied over the recorded graph, in reverse topological order.

The walk is iterative (Kahn's algorithm on consumer counts), so a graph of any depth -- a 20,000-step chain, a long
RNN unroll -- never meets Python's recursion limit. Gradients flowing into a node are summed; a gradient that an op
returned in the broadcast shape is summed back to its input's shape here, once, so ops never handle broadcasting.
After a node's backward has run its saved arrays and inputs are released (unless ``retain_graph``), which is what keeps
memory flat from one training step to the next.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .function import FREED_GRAPH_MESSAGE, tensor_class
from .grad_mode import GRAD_ENABLED

__all__ = ["backward", "grad", "unbroadcast"]


def unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``g`` over the axes that broadcasting added or stretched, so that it has ``shape``."""
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and g.shape[i + lead] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape) if g.shape != shape else g


def _count_consumers(roots: list[Any]) -> dict[Any, int]:
    """For each node reachable from ``roots``, how many recorded edges lead into it."""
    deps: dict[Any, int] = {}
    seen = set(roots)
    stack = list(roots)
    while stack:
        node = stack.pop()
        parents = node.parents
        if parents is None:
            raise RuntimeError(FREED_GRAPH_MESSAGE)
        for p, need in zip(parents, node.needs_input_grad):
            if need:
                pn = p._ctx
                if pn is not None:
                    deps[pn] = deps.get(pn, 0) + 1
                    if pn not in seen:
                        seen.add(pn)
                        stack.append(pn)
    return deps


def _run(roots: Sequence[Any], root_grads: Sequence[np.ndarray], retain_graph: bool,
         capture: dict[int, Any] | None) -> dict[int, np.ndarray]:
    """Propagate ``root_grads`` from ``roots`` (tensors) to every leaf that requires grad.

    Without ``capture`` the leaves' gradients are returned keyed by ``id(tensor)`` for accumulation. With it (a dict
    ``id(tensor) -> tensor`` of the tensors asked for by ``autograd.grad``) the gradients of exactly those tensors are
    returned, and nothing is accumulated.
    """
    grads: dict[Any, np.ndarray] = {}
    leaves: dict[int, Any] = {}
    leaf_grads: dict[int, np.ndarray] = {}
    captured: dict[int, np.ndarray] = {}
    capture_nodes = {} if capture is None else {t._ctx: i for i, t in capture.items() if t._ctx is not None}

    def send(t: Any, g: np.ndarray) -> None:
        # a leaf tensor: gather its gradient; hooks and accumulation happen once, at the end
        k = id(t)
        if k in leaf_grads:
            leaf_grads[k] = leaf_grads[k] + g
        else:
            leaves[k] = t
            leaf_grads[k] = g

    root_nodes = []
    for t, g in zip(roots, root_grads):
        node = t._ctx
        if node is None:
            send(t, g)
        elif node in grads:
            grads[node] = grads[node] + g
        else:
            grads[node] = g
            root_nodes.append(node)
    deps = _count_consumers(root_nodes)
    ready = [n for n in root_nodes if n not in deps]
    prev_mode = GRAD_ENABLED[0]
    GRAD_ENABLED[0] = False  # a user backward composing tensor ops must not record a graph
    try:
        while ready:
            node = ready.pop()
            g = grads.pop(node)
            if node._hooks is not None:
                g = _run_hooks(node._hooks, g)
            if node._retain is not None:
                out = node._retain()
                if out is not None:
                    _accumulate(out, g, copy=True)
            if capture_nodes and node in capture_nodes:
                captured[capture_nodes[node]] = g
            in_grads = node.backward(g) if node._raw else node._backward_tensors(g)
            if type(in_grads) is not tuple:
                in_grads = (in_grads,)
            parents = node.parents
            for p, need, ig in zip(parents, node.needs_input_grad, in_grads):
                if not need or ig is None:
                    continue
                data = p._data
                if ig.shape != data.shape:
                    ig = unbroadcast(ig, data.shape)
                if ig.dtype != data.dtype:
                    ig = ig.astype(data.dtype)
                pn = p._ctx
                if pn is None:
                    send(p, ig)
                    continue
                if pn in grads:
                    grads[pn] = grads[pn] + ig
                else:
                    grads[pn] = ig
                left = deps[pn] - 1
                deps[pn] = left
                if left == 0:
                    ready.append(pn)
            if not retain_graph:
                node.__dict__.clear()
                node._freed = True
    finally:
        GRAD_ENABLED[0] = prev_mode

    if capture is not None:
        for k, g in leaf_grads.items():
            if k in capture:
                captured[k] = g
        return captured
    handed = {id(g) for g in root_grads}  # the caller's arrays: a leaf must not keep one as its .grad
    for k, g in leaf_grads.items():
        t = leaves[k]
        if t._hooks is not None:
            g = _run_hooks(t._hooks, g)
        # NOTE: the same array can reach two leaves (the backward of a + b returns g twice) or be a view; .grad must
        # own its memory, because optimizers and users update it in place. Fresh arrays are kept without a copy.
        owned = g.base is None and id(g) not in handed and g.flags.writeable
        handed.add(id(g))
        _accumulate(t, g, copy=not owned)
    return leaf_grads


def _run_hooks(hooks: list[Any], g: np.ndarray) -> np.ndarray:
    T = tensor_class()
    for hook in hooks:
        res = hook(T._make(g, None, False))
        if res is not None:
            g = res._data if isinstance(res, T) else np.asarray(res)
    return g


def _accumulate(t: Any, g: np.ndarray, copy: bool) -> None:
    """Add ``g`` into ``t.grad`` in place, creating it on first use (as a copy unless the array is ``g``'s own)."""
    T = tensor_class()
    cur = t.grad
    if cur is None:
        t.grad = T._make(np.array(g, dtype=t._data.dtype, copy=True) if copy else g, None, False)
    else:
        cd = cur._data
        if cd.shape == g.shape and cd.flags.writeable:
            np.add(cd, g, out=cd, casting="unsafe")
        else:
            cur._data = cd + g


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate into the ``.grad`` of every leaf the gradient of ``sum(t * g for t, g in zip(tensors, grads))``.

    A scalar tensor's gradient defaults to 1; any other tensor needs an explicit ``grad_tensors`` entry.
    """
    if create_graph:
        raise NotImplementedError("backward: create_graph=True (higher-order gradients) is not supported by chainrule")
    T = tensor_class()
    tensors = [tensors] if isinstance(tensors, T) else list(tensors)
    if grad_tensors is None or isinstance(grad_tensors, T):
        grad_tensors = [grad_tensors] * len(tensors) if grad_tensors is None else [grad_tensors]
    roots, root_grads = _prepare_roots(tensors, list(grad_tensors), "backward")
    if inputs is not None:
        wanted = [inputs] if isinstance(inputs, T) else list(inputs)
        got = _run(roots, root_grads, bool(retain_graph), {id(t): t for t in wanted})
        for t in wanted:
            if id(t) in got:
                _accumulate(t, got[id(t)], copy=True)
        return
    _run(roots, root_grads, bool(retain_graph), None)


def _prepare_roots(tensors: list[Any], grads: list[Any], where: str) -> tuple[list[Any], list[np.ndarray]]:
    T = tensor_class()
    if len(grads) != len(tensors):
        raise RuntimeError(f"{where}: got {len(tensors)} tensors and {len(grads)} gradients")
    roots, root_grads = [], []
    for t, g in zip(tensors, grads):
        if not t.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if t._data.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs (got {where} of a tensor "
                                   f"of shape {tuple(t.shape)}; pass gradient=)")
            arr = np.ones_like(t._data)
        else:
            # NOTE: not copied (a full pass and a fresh allocation per backward): no backward writes into its
            # incoming gradient, and _run copies a root gradient before it can become (and be mutated as) a .grad
            arr = np.asarray(g._data if isinstance(g, T) else g, dtype=t._data.dtype)
            if arr.shape != t._data.shape:
                raise RuntimeError(f"{where}: mismatch in shape: grad_output has shape {tuple(arr.shape)} and output "
                                   f"has shape {tuple(t._data.shape)}")
        roots.append(t)
        root_grads.append(arr)
    return roots, root_grads


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool | None = None,
         materialize_grads: bool = False) -> tuple[Any, ...]:
    """Return the gradients of ``outputs`` with respect to ``inputs`` without touching any ``.grad``.

    ``d(sum_i <outputs_i, grad_outputs_i>) / d inputs_j`` for each j. An input the outputs do not depend on raises,
    unless ``allow_unused`` (then its gradient is None, or zeros with ``materialize_grads``).
    """
    if create_graph:
        raise NotImplementedError("autograd.grad: create_graph=True (higher-order gradients) is not supported by "
                                  "chainrule")
    T = tensor_class()
    single = isinstance(inputs, T)
    outputs = [outputs] if isinstance(outputs, T) else list(outputs)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, T):
        grad_outputs = [grad_outputs]
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    roots, root_grads = _prepare_roots(outputs, list(grad_outputs), "grad")
    got = _run(roots, root_grads, bool(retain_graph), {id(t): t for t in inputs})
    res = []
    for i, t in enumerate(inputs):
        g = got.get(id(t))
        if g is None:
            if not (allow_unused or materialize_grads):
                raise RuntimeError(f"One of the differentiated Tensors (input {i}) appears to not have been used in "
                                   "the graph. Set allow_unused=True if this is the desired behavior.")
            res.append(T._make(np.zeros_like(t._data), None, False) if materialize_grads else None)
        else:
            res.append(T._make(np.array(g, dtype=t._data.dtype, copy=True), None, False))
    return tuple(res)
