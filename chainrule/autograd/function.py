"""The node of the computation graph.

Every differentiable operation is a :class:`Function` subclass; calling ``MyOp.apply(*inputs)`` runs ``forward`` and,
when grad mode is on and an input requires grad, returns a tensor whose ``grad_fn`` is the ``MyOp`` instance. That
instance *is* the context: it keeps what ``forward`` saved, the inputs (``parents``) and ``needs_input_grad``, and the
engine later calls its ``backward`` with the gradient of the output to get the gradients of the inputs
(the chain rule, one vector-Jacobian product per node).

Two flavours share the context API:

* :class:`Primitive` -- chainrule's own ops. ``forward`` and ``backward`` take and return raw backend arrays, so the
  per-op cost is a few Python calls. Broadcasting is undone once, by the engine, never in an op.
* :class:`Function` -- the PyTorch-style base users subclass for custom ops (``@staticmethod forward(ctx, ...)``,
  ``@staticmethod backward(ctx, grad_output)``); ``forward`` and ``backward`` see tensors, run without recording.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .grad_mode import GRAD_ENABLED

__all__ = ["Function", "Primitive", "register_tensor_class", "tensor_class", "FREED_GRAPH_MESSAGE"]

# NOTE: autograd sits below the tensor layer, so the Tensor class registers itself here instead of being imported.
_TENSOR: list[Any] = [None]

FREED_GRAPH_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they have already "
    "been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). "
    "Specify retain_graph=True if you need to backward through the graph a second time or if you need to access "
    "saved tensors after calling backward."
)


def _no_forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError("You must implement the forward function for custom autograd.Function.")


def _no_backward(ctx: Any, *grad_outputs: Any) -> Any:
    raise NotImplementedError("You must implement the backward function for custom autograd.Function.")


def register_tensor_class(cls: type) -> None:
    """Called once by ``chainrule.tensor`` so that the graph can make tensors without importing upward."""
    _TENSOR[0] = cls


def tensor_class() -> Any:
    """The Tensor class (registered by ``chainrule.tensor``)."""
    return _TENSOR[0]


class Function:
    """Base class of custom differentiable operations, as ``torch.autograd.Function``.

    Subclass it with two static methods and call ``apply``::

        class Exp(Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, grad_output):
                (y,) = ctx.saved_tensors
                return grad_output * y          # dL/dx = dL/dy * e^x

        y = Exp.apply(x)

    ``backward`` returns one gradient (or ``None``) per input of ``forward``. ``forward`` returns one tensor.
    """

    parents: tuple[Any, ...] | None = None  # the inputs, while the graph is alive
    needs_input_grad: tuple[bool, ...] = ()
    _hooks: list[Any] | None = None  # hooks registered on the output tensor (non-leaf)
    _retain: Any = None  # weak reference to the output tensor when it retains its grad
    _raw = False  # forward/backward on tensors (user Functions) or on raw arrays (Primitives)
    _freed = False  # set by the engine once backward has run and the saved values were released

    def save_for_backward(self, *values: Any) -> None:
        """Keep ``values`` for ``backward``; they are freed after the backward pass unless ``retain_graph``."""
        self.to_save = values

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """What ``forward`` passed to :meth:`save_for_backward`."""
        try:
            return self.to_save
        except AttributeError:
            if self._freed:
                raise RuntimeError(FREED_GRAPH_MESSAGE) from None
            return ()

    def mark_non_differentiable(self, *outputs: Any) -> None:  # PyTorch API; every output here is differentiable
        pass

    def set_materialize_grads(self, value: bool) -> None:  # PyTorch API; gradients are always materialised here
        pass

    @property
    def name(self) -> str:
        """The node's name as PyTorch shows it in ``grad_fn``: the op's name followed by ``Backward``."""
        return type(self).__name__ + "Backward"

    def __repr__(self) -> str:
        return f"<{self.name}>"

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """The nodes (or leaf tensors that accumulate a gradient) this node sends gradients to, as in PyTorch."""
        out = []
        for p, need in zip(self.parents or (), self.needs_input_grad):
            if need:
                out.append((p.grad_fn if p.grad_fn is not None else p, 0))
            else:
                out.append((None, 0))
        return tuple(out)

    # NOTE: declared as callables, not methods: user Functions define them as staticmethods taking ``ctx``,
    # primitives as methods taking ``self``; the engine calls both the same way.
    forward: Callable[..., Any] = staticmethod(_no_forward)
    backward: Callable[..., Any] = staticmethod(_no_backward)

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` on tensors without recording, and record this node when an input requires grad."""
        T = _TENSOR[0]
        ctx = object.__new__(cls)
        needs = tuple(isinstance(a, T) and a.requires_grad for a in args)
        ctx.needs_input_grad = needs
        prev = GRAD_ENABLED[0]
        GRAD_ENABLED[0] = False
        try:
            out = cls.forward(ctx, *args, **kwargs)
        finally:
            GRAD_ENABLED[0] = prev
        if not isinstance(out, T):
            raise TypeError(f"{cls.__name__}.forward must return a single Tensor, got {type(out).__name__}")
        if prev and True in needs:
            ctx.parents = args
            return T._make(out._data, ctx, True)
        return T._make(out._data, None, False)

    def _backward_tensors(self, grad: Any) -> tuple[Any, ...]:
        """Call a user ``backward`` with tensors and return raw arrays, one per input."""
        T = _TENSOR[0]
        prev = GRAD_ENABLED[0]
        GRAD_ENABLED[0] = False
        try:
            res = type(self).backward(self, T._make(grad, None, False))
        finally:
            GRAD_ENABLED[0] = prev
        if not isinstance(res, tuple):
            res = (res,)
        n = len(self.needs_input_grad)
        if len(res) != n:
            raise RuntimeError(f"function {self.name} returned an incorrect number of gradients (expected {n}, "
                               f"got {len(res)})")
        return tuple(None if r is None else (r._data if isinstance(r, T) else np.asarray(r)) for r in res)


class Primitive(Function):
    """Base of chainrule's own ops: ``forward(self, *arrays)`` and ``backward(self, grad)`` on raw arrays.

    ``self`` is the context. ``backward`` returns one array (or None) per input, in input order; a gradient may keep
    the broadcast shape of the output -- the engine sums it back to the input's shape.
    """

    _raw = True
    # NOTE: the output of ``forward`` as a plain function of the input arrays (Add: ``operator.add``), for ops whose
    # forward computes nothing else. Tensor operators call it directly when no graph is recorded, without making a
    # node: on small tensors that halves the cost of an op.
    fn: Callable[..., Any] | None = None

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` on the inputs' arrays; record the node when grad mode is on and an input requires grad."""
        T = _TENSOR[0]
        ctx = object.__new__(cls)
        if GRAD_ENABLED[0]:
            needs = tuple([isinstance(a, T) and a._rg for a in args])
            ctx.needs_input_grad = needs
            out = ctx.forward(*[a._data if isinstance(a, T) else a for a in args], **kwargs)
            if type(out) is not np.ndarray:
                out = np.asarray(out)
            if True in needs:
                ctx.parents = args
                return T._make(out, ctx, True)
            return T._make(out, None, False)
        ctx.needs_input_grad = (False,) * len(args)
        out = ctx.forward(*[a._data if isinstance(a, T) else a for a in args], **kwargs)
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        return T._make(out, None, False)
