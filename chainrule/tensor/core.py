"""The Tensor: an n-dimensional array that records the operations applied to it.

A tensor holds a backend array (``_data``), whether it ``requires_grad``, and the graph node that made it (``grad_fn``,
None for leaves). Arithmetic on tensors goes through the primitives in ``chainrule.ops``; with grad mode on, each
result remembers its node, and ``backward()`` walks those nodes in reverse (see ``chainrule.autograd.engine``).
"""

from __future__ import annotations

import weakref
from typing import Any, Callable

import numpy as np

from .. import dtypes
from ..autograd import engine
from ..autograd.function import register_tensor_class
from ..autograd.grad_mode import GRAD_ENABLED
from ..backend import check_device, device
from ..ops import elementwise as E
from ..ops.linalg import MatMul
from .format import format_tensor
from .pointwise import PointwiseMixin
from .random_fill import RandomFillMixin
from .reduction import ReductionMixin
from .scatter import ScatterMixin
from .shape import ShapeMixin, normalize_index

__all__ = ["Tensor", "Size"]

_new = object.__new__
_PY_SCALARS = (int, float, bool)
# the builtins under names that Tensor.bool / Tensor.float (methods) do not shadow in annotations
_bool = bool
_float = float


class Size(tuple):
    """A tensor's shape: a tuple of ints (``torch.Size``)."""

    def __repr__(self) -> str:
        return f"chainrule.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


def _broadcast_error(op: str, a: Any, b: Any) -> RuntimeError:
    sa, sb = np.shape(a), np.shape(b)
    n = max(len(sa), len(sb))
    pa, pb = (1,) * (n - len(sa)) + tuple(sa), (1,) * (n - len(sb)) + tuple(sb)
    for d in range(n - 1, -1, -1):
        if pa[d] != pb[d] and pa[d] != 1 and pb[d] != 1:
            return RuntimeError(f"{op}: The size of tensor a ({pa[d]}) must match the size of tensor b ({pb[d]}) at "
                                f"non-singleton dimension {d} "
                                f"(shapes {tuple(sa)} and {tuple(sb)})")
    return RuntimeError(f"{op}: shapes {tuple(sa)} and {tuple(sb)} cannot be broadcast together")


class Tensor(PointwiseMixin, ReductionMixin, ShapeMixin, ScatterMixin, RandomFillMixin):
    """A multi-dimensional array with reverse-mode automatic differentiation.

    ``Tensor(data)`` is PyTorch's legacy constructor (float32 data, or ``Tensor(2, 3)`` for an uninitialised 2x3
    tensor); prefer :func:`chainrule.tensor`, which infers the dtype.
    """

    __slots__ = ("_data", "_ctx", "_rg", "grad", "_hooks", "__weakref__")
    __array_ufunc__ = None  # NOTE: makes ``ndarray * tensor`` defer to Tensor.__rmul__ instead of NumPy
    _data: np.ndarray
    grad: Tensor | None

    def __init__(self, *args: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> None:
        check_device(device, "Tensor")
        dt = dtypes.as_dtype(dtype).np if dtype is not None else dtypes.get_default_dtype().np
        if len(args) == 1 and not isinstance(args[0], int):
            data = args[0]
            arr = np.array(data._data if isinstance(data, Tensor) else data, dtype=dt)
        elif all(isinstance(a, int) for a in args):
            arr = np.empty(args, dtype=dt)
        else:
            raise TypeError(f"Tensor(): expected data or integer sizes, got {args!r}")
        self._data, self._ctx, self._rg, self.grad, self._hooks = arr, None, False, None, None
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _make(data: np.ndarray, ctx: Any, requires_grad: bool) -> Tensor:
        """Wrap an array without copying or checking (the hot path of every op)."""
        t = _new(Tensor)
        t._data = data
        t._ctx = ctx
        t._rg = requires_grad
        t.grad = None
        t._hooks = None
        return t

    # ----------------------------------------------------------------- properties
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the length of dimension ``dim``."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[self._dim(dim)]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return int(self._data.itemsize)

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> device:
        return device("cpu")

    @property
    def is_cuda(self) -> bool:
        return False

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self, memory_format: Any = None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def stride(self, dim: int | None = None) -> Any:
        """Strides in elements, as PyTorch reports them."""
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[self._dim(dim)]

    def data_ptr(self) -> int:
        return int(self._data.__array_interface__["data"][0])

    @property
    def data(self) -> Tensor:
        """The same storage, detached from the graph."""
        return Tensor._make(self._data, None, False)

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set whether a leaf tensor records operations for backward (floating-point tensors only)."""
        if self._ctx is not None and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to use a "
                               "computed variable in a subgraph that doesn't require differentiation use "
                               "var_no_grad = var.detach().")
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients (got {self.dtype})")
        self._rg = bool(requires_grad)
        return self

    @property
    def grad_fn(self) -> Any:
        return self._ctx

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def T(self) -> Tensor:  # noqa: N802 - PyTorch's name
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self) -> Tensor:  # noqa: N802
        return self.transpose(-2, -1)

    # ----------------------------------------------------------------- autograd
    def backward(self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
                 inputs: Any = None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (``gradient`` weights a non-scalar output)."""
        engine.backward(self, gradient, retain_graph, create_graph, inputs)

    def detach(self) -> Tensor:
        """The same storage, cut from the graph: it does not require grad."""
        return Tensor._make(self._data, None, False)

    def detach_(self) -> Tensor:
        self._ctx, self._rg = None, False
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves always keep it)."""
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._ctx is not None:
            self._ctx._retain = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        return self._ctx is not None and self._ctx._retain is not None

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Any:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces the gradient."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        owner: Any = self._ctx if self._ctx is not None else self
        if owner._hooks is None:
            owner._hooks = []
        owner._hooks.append(hook)
        return _RemovableHandle(owner._hooks, hook)

    # ----------------------------------------------------------------- conversion
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The backend array itself (shared memory); refuses while the tensor requires grad, like PyTorch."""
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self._data if dtype is None else self._data.astype(dtype)

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._data.size} values is ambiguous")
        return bool(self._data.reshape(()).item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Any:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return format_tensor(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __getstate__(self) -> dict[str, Any]:
        return {"data": self._data, "requires_grad": self._rg}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._data, self._rg = state["data"], state["requires_grad"]
        self._ctx, self.grad, self._hooks = None, None, None

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """Convert dtype and/or device: ``to(dtype)``, ``to('cpu')``, ``to(other)``, ``to(device, dtype)``."""
        dt = kwargs.pop("dtype", None)
        dev = kwargs.pop("device", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dt = a.dtype
            elif isinstance(a, (dtypes.dtype, type, np.dtype)):
                dt = a
            else:
                dev = a
        check_device(dev, "to")
        if dt is None or dtypes.as_dtype(dt).np == self._data.dtype:
            return self.clone() if copy else self
        return self._cast(dtypes.as_dtype(dt).np)

    def _cast(self, np_dtype: np.dtype) -> Tensor:
        if self._data.dtype == np_dtype:
            return self
        if self._rg and np_dtype.kind != "f":
            return Tensor._make(self._data.astype(np_dtype), None, False)  # integer results carry no gradient
        return E.Cast.apply(self, np_dtype)

    def type(self, dtype: Any = None) -> Any:
        if dtype is None:
            return {"float32": "chainrule.FloatTensor", "float64": "chainrule.DoubleTensor",
                    "int64": "chainrule.LongTensor", "int32": "chainrule.IntTensor", "bool": "chainrule.BoolTensor",
                    }.get(self.dtype.name, f"chainrule.{self.dtype.name}")
        return self.to(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def float(self) -> Tensor:
        return self._cast(np.dtype(np.float32))

    def double(self) -> Tensor:
        return self._cast(np.dtype(np.float64))

    def half(self) -> Tensor:
        return self._cast(np.dtype(np.float16))

    def long(self) -> Tensor:
        return self._cast(np.dtype(np.int64))

    def int(self) -> Tensor:
        return self._cast(np.dtype(np.int32))

    def bool(self) -> Tensor:
        return self._cast(np.dtype(np.bool_))

    def cpu(self) -> Tensor:
        return self

    def cuda(self, device: Any = None) -> Tensor:
        check_device("cuda", "cuda")
        return self

    # ----------------------------------------------------------------- binary arithmetic
    def _operands(self, other: Any, op: str) -> tuple[Tensor, Any]:
        """Bring ``self`` and ``other`` to the dtype PyTorch's promotion gives; scalars stay Python scalars."""
        a = self._data
        if isinstance(other, Tensor):
            b = other._data
            if b.dtype == a.dtype:
                return self, other
            rt = dtypes.result_type(a, b)
            return self._cast(rt), other._cast(rt)
        if type(other) not in _PY_SCALARS:
            if isinstance(other, np.generic):
                other = other.item()
            elif isinstance(other, (np.ndarray, list, tuple)):
                from .creation import tensor

                return self._operands(tensor(other), op)
            elif not isinstance(other, _PY_SCALARS):
                raise TypeError(f"{op}: unsupported operand type {type(other).__name__} (expected a Tensor or a "
                                "number)")
        k = a.dtype.kind
        # NOTE: NumPy 2 keeps a Python scalar "weak" (float32 * 2.5 stays float32); only int/bool tensors meeting a
        # float (or bool meeting int) need the explicit promotion PyTorch does.
        if k == "f" or (k != "b" and type(other) is not float):
            return self, other
        return self._cast(dtypes.result_type(a, other)), other

    def _binary(self, other: Any, prim: Any, op: str, reverse: _bool = False) -> Tensor:
        a, b = self._operands(other, op)
        try:
            fn = prim.fn
            if fn is not None:
                bt = isinstance(b, Tensor)
                if not (GRAD_ENABLED[0] and (a._rg or (bt and b._rg))):  # no node to record: skip apply
                    bd = b._data if bt else b
                    out = fn(bd, a._data) if reverse else fn(a._data, bd)
                    return Tensor._make(out if type(out) is np.ndarray else np.asarray(out), None, False)
            return prim.apply(b, a) if reverse else prim.apply(a, b)
        except ValueError as e:
            if "broadcast" in str(e):
                raise _broadcast_error(op, a if not reverse else b, b if not reverse else a) from None
            raise

    def __add__(self, other: Any) -> Tensor:
        return self._binary(other, E.Add, "add")

    def __radd__(self, other: Any) -> Tensor:
        return self._binary(other, E.Add, "add", True)

    def _check_bool_sub(self, other: Any) -> None:
        # NOTE: PyTorch raises RuntimeError when either operand is bool (a tensor or a Python bool), not TypeError
        a_bool = self._data.dtype.kind == "b"
        b_bool = isinstance(other, (bool, np.bool_)) or (isinstance(other, Tensor) and other._data.dtype.kind == "b")
        if a_bool and b_bool:
            raise RuntimeError("sub: subtraction, the `-` operator, with two bool tensors is not supported. Use the "
                               "`^` or `logical_xor()` operator instead.")
        if a_bool or b_bool:
            raise RuntimeError("sub: subtraction, the `-` operator, with a bool tensor is not supported. If you are "
                               "trying to invert a mask, use the `~` or `logical_not()` operator instead.")

    def __sub__(self, other: Any) -> Tensor:
        self._check_bool_sub(other)
        return self._binary(other, E.Sub, "sub")

    def __rsub__(self, other: Any) -> Tensor:
        self._check_bool_sub(other)
        return self._binary(other, E.Sub, "sub", True)

    def __mul__(self, other: Any) -> Tensor:
        return self._binary(other, E.Mul, "mul")

    def __rmul__(self, other: Any) -> Tensor:
        return self._binary(other, E.Mul, "mul", True)

    def _true_div(self, other: Any, reverse: _bool) -> Tensor:
        # NOTE: x / 0 gives inf or nan silently, as in PyTorch. NumPy's warning is silenced (errstate costs ~1 us)
        # only where an int or bool operand (zeros are common there) or a scalar 0 is involved.
        if isinstance(other, Tensor):
            quiet = self._data.dtype.kind != "f" or other._data.dtype.kind != "f"
        else:
            quiet = self._data.dtype.kind != "f" or isinstance(other, (list, tuple, np.ndarray)) or \
                (isinstance(other, (int, float, np.generic)) and bool(other == 0))
        a, b = self._operands(other, "div")
        if a._data.dtype.kind != "f":  # true division of integers gives the default float type, as in PyTorch
            a = a._cast(dtypes.get_default_dtype().np)
            b = b._cast(a._data.dtype) if isinstance(b, Tensor) else b
        if quiet:
            with np.errstate(divide="ignore", invalid="ignore"):
                return a._binary(b, E.Div, "div", reverse)
        return a._binary(b, E.Div, "div", reverse)

    def __truediv__(self, other: Any) -> Tensor:
        return self._true_div(other, False)

    def __rtruediv__(self, other: Any) -> Tensor:
        return self._true_div(other, True)

    def _raw_binary(self, other: Any, fn: Any, op: str, reverse: _bool = False) -> Tensor:
        """A non-differentiable binary op on the promoted arrays; NumPy's broadcast error becomes PyTorch's."""
        a, b = self._operands(other, op)
        x, y = a._data, b._data if isinstance(b, Tensor) else b
        if reverse:
            x, y = y, x
        try:
            return Tensor._make(np.asarray(fn(x, y)), None, False)
        except ValueError:
            raise _broadcast_error(op, x, y) from None

    def __floordiv__(self, other: Any) -> Tensor:
        return self._raw_binary(other, E.quiet_floor_divide, "floor_divide")

    def __rfloordiv__(self, other: Any) -> Tensor:
        return self._raw_binary(other, E.quiet_floor_divide, "floor_divide", True)

    def __mod__(self, other: Any) -> Tensor:
        """Python-style remainder ``a - b * floor(a / b)`` (torch.remainder), differentiable in both operands."""
        return self.remainder(other)  # type: ignore[attr-defined, no-any-return]

    def __rmod__(self, other: Any) -> Tensor:
        from .creation import tensor

        return tensor(other, dtype=self.dtype if self.is_floating_point() else None) % self

    def __pow__(self, exponent: Any) -> Tensor:
        if self._data.dtype.kind != "f" and isinstance(exponent, (int, np.integer)) and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return self._binary(exponent, E.Pow, "pow")

    def __rpow__(self, base: Any) -> Tensor:
        return self._binary(base, E.Pow, "pow", True)

    def __matmul__(self, other: Any) -> Tensor:
        return self.matmul(other)

    def __rmatmul__(self, other: Any) -> Tensor:
        from .creation import tensor

        return tensor(other).matmul(self)

    def __neg__(self) -> Tensor:
        if self._data.dtype.kind == "b":
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. Use logical_not.")
        return E.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return self.abs()

    def __invert__(self) -> Tensor:
        if self._data.dtype.kind not in "biu":
            raise TypeError(f"bitwise_not: expected a bool or integer tensor, got {self.dtype}")
        return Tensor._make(np.invert(self._data), None, False)

    def matmul(self, other: Any) -> Tensor:
        """Matrix product with NumPy/PyTorch semantics: 1-D, 2-D, and batched with broadcast batch dimensions."""
        if not isinstance(other, Tensor):
            from .creation import tensor

            other = tensor(other)
        a, b = self, other
        if a._data.dtype != b._data.dtype:  # NOTE: PyTorch does not promote in matmul (int @ float is an error)
            raise RuntimeError(f"matmul: expected m1 and m2 to have the same dtype, but got: {a.dtype.name} != "
                               f"{b.dtype.name} (shapes {tuple(a._data.shape)} and {tuple(b._data.shape)})")
        sa, sb = a._data.shape, b._data.shape
        if not sa or not sb:
            raise RuntimeError(f"matmul: both arguments to matmul need to be at least 1D, but they are {len(sa)}D and "
                               f"{len(sb)}D")
        k_a = sa[-1]
        k_b = sb[0] if len(sb) == 1 else sb[-2]
        if k_a != k_b:
            ra = "x".join(map(str, sa if len(sa) > 1 else (1,) + sa))
            rb = "x".join(map(str, sb if len(sb) > 1 else sb + (1,)))
            raise RuntimeError(f"matmul: mat1 and mat2 shapes cannot be multiplied ({ra} and {rb})")
        try:
            return MatMul.apply(a, b)
        except ValueError:
            # NOTE: _broadcast_error reads np.shape(); zero-copy arrays of the batch shapes, not the shape tuples
            raise _broadcast_error("matmul (batch dimensions)", np.broadcast_to(0, sa[:-2]),
                                   np.broadcast_to(0, sb[:-2])) from None

    # ----------------------------------------------------------------- comparisons (no gradient)
    def _compare(self, other: Any, fn: Any, op: str) -> Tensor:
        b = other._data if isinstance(other, Tensor) else other
        try:
            return Tensor._make(np.asarray(fn(self._data, b)), None, False)
        except ValueError:
            raise _broadcast_error(op, self._data, b) from None

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.equal, "eq")

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.not_equal, "ne")

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, np.less, "lt")

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, np.less_equal, "le")

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater, "gt")

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater_equal, "ge")

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__
    greater, less, greater_equal, less_equal, not_equal = __gt__, __lt__, __ge__, __le__, __ne__

    def _logical(self, other: Any, fn: Any, op: str) -> Tensor:
        return self._compare(other, fn, op)

    def __and__(self, other: Any) -> Tensor:
        return self._compare(other, np.bitwise_and if self._data.dtype.kind in "iu" else np.logical_and, "and")

    def __or__(self, other: Any) -> Tensor:
        return self._compare(other, np.bitwise_or if self._data.dtype.kind in "iu" else np.logical_or, "or")

    def __xor__(self, other: Any) -> Tensor:
        return self._compare(other, np.bitwise_xor if self._data.dtype.kind in "iu" else np.logical_xor, "xor")

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def logical_and(self, other: Any) -> Tensor:
        return self._compare(other, np.logical_and, "logical_and")

    def logical_or(self, other: Any) -> Tensor:
        return self._compare(other, np.logical_or, "logical_or")

    def logical_xor(self, other: Any) -> Tensor:
        return self._compare(other, np.logical_xor, "logical_xor")

    def logical_not(self) -> Tensor:
        return Tensor._make(np.logical_not(self._data), None, False)

    def equal(self, other: Tensor) -> _bool:
        """True when both tensors have the same shape and elements."""
        return self._data.shape == other._data.shape and bool(np.array_equal(self._data, other._data))

    def allclose(self, other: Tensor, rtol: _float = 1e-5, atol: _float = 1e-8, equal_nan: _bool = False) -> _bool:
        return bool(np.allclose(self._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))

    def isclose(self, other: Tensor, rtol: _float = 1e-5, atol: _float = 1e-8, equal_nan: _bool = False) -> Tensor:
        return Tensor._make(np.isclose(self._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan), None, False)

    # ----------------------------------------------------------------- in-place updates
    def _inplace(self, op: str, compute: Callable[[Tensor], Tensor]) -> Tensor:
        """Apply ``self = compute(self)`` in place.

        Outside a recorded graph the storage itself is overwritten, so views and optimizers see the change. On a
        recorded tensor the update is recorded as a new node and the tensor takes the new value.
        NOTE: there are no version counters; instead the old value stays in any node that saved it, which keeps
        earlier gradients correct, but views taken before a recorded in-place update keep the old values.
        """
        if GRAD_ENABLED[0]:
            old = Tensor._make(self._data, self._ctx, self._rg)
            res = compute(old)
            if res._rg:
                if self._ctx is None and self._rg:
                    raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an in-place "
                                       "operation.")
                res = res._cast(self._data.dtype)
                self._data, self._ctx, self._rg = res._data, res._ctx, True
                return self
        else:
            res = compute(self)
        r = res._data
        if dtypes.category(r.dtype) > dtypes.category(self._data.dtype):
            raise RuntimeError(f"{op}: result type {res.dtype.name} can't be cast to the desired output type "
                               f"{self.dtype.name}")
        try:
            np.copyto(self._data, np.broadcast_to(r, self._data.shape), casting="unsafe")
        except ValueError as e:
            if "read-only" in str(e):
                raise RuntimeError(f"{op}: cannot write in place into a tensor that shares one element between "
                                   "several positions (an expand()ed tensor); clone() it first") from None
            raise _broadcast_error(op, self._data, r) from None
        return self

    def add_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return self._inplace("add_", lambda t: t + (other if alpha == 1 else other * alpha))

    def sub_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return self._inplace("sub_", lambda t: t - (other if alpha == 1 else other * alpha))

    def mul_(self, other: Any) -> Tensor:
        return self._inplace("mul_", lambda t: t * other)

    def div_(self, other: Any) -> Tensor:
        return self._inplace("div_", lambda t: t / other)

    def pow_(self, exponent: Any) -> Tensor:
        return self._inplace("pow_", lambda t: t ** exponent)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        return self._inplace("clamp_", lambda t: t.clamp(min, max))

    clip_ = clamp_

    def neg_(self) -> Tensor:
        return self._inplace("neg_", lambda t: -t)

    def exp_(self) -> Tensor:
        return self._inplace("exp_", lambda t: t.exp())

    def sqrt_(self) -> Tensor:
        return self._inplace("sqrt_", lambda t: t.sqrt())

    def abs_(self) -> Tensor:
        return self._inplace("abs_", lambda t: t.abs())

    def relu_(self) -> Tensor:
        return self._inplace("relu_", lambda t: t.relu())

    def sigmoid_(self) -> Tensor:
        return self._inplace("sigmoid_", lambda t: t.sigmoid())

    def tanh_(self) -> Tensor:
        return self._inplace("tanh_", lambda t: t.tanh())

    def addcmul_(self, t1: Any, t2: Any, *, value: Any = 1) -> Tensor:
        return self._inplace("addcmul_", lambda t: t + t1 * t2 * value)

    def addcdiv_(self, t1: Any, t2: Any, *, value: Any = 1) -> Tensor:
        return self._inplace("addcdiv_", lambda t: t + t1 / t2 * value)

    def lerp_(self, end: Any, weight: Any) -> Tensor:
        return self._inplace("lerp_", lambda t: t + (end - t) * weight)

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        return self._inplace("masked_fill_", lambda t: t.masked_fill(mask, value))

    def copy_(self, src: Any) -> Tensor:
        """Overwrite the elements with ``src`` (broadcast, converted to this tensor's dtype)."""
        from .creation import as_tensor

        s = src if isinstance(src, Tensor) else as_tensor(src)
        return self._inplace("copy_", lambda t: s._cast(t._data.dtype).expand(*t.shape) + 0 * t
                             if s._rg or t._rg else s._cast(t._data.dtype))

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def fill_(self, value: Any) -> Tensor:
        if GRAD_ENABLED[0] and self._rg and self._ctx is None:
            raise RuntimeError("fill_: a leaf Variable that requires grad is being used in an in-place operation.")
        v = value.item() if isinstance(value, Tensor) else value
        if GRAD_ENABLED[0] and self._rg:
            return self._inplace("fill_", lambda t: t * 0 + v)
        self._data[...] = v
        return self

    def __iadd__(self, other: Any) -> Tensor:
        return self.add_(other)

    def __isub__(self, other: Any) -> Tensor:
        return self.sub_(other)

    def __imul__(self, other: Any) -> Tensor:
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self.div_(other)

    def __setitem__(self, index: Any, value: Any) -> None:
        """``t[index] = value``: written in place; recorded (as ``index_put``) when the graph needs it."""
        from .creation import as_tensor

        idx, accumulate = normalize_index(index, self._data.shape, "__setitem__")
        v = value if isinstance(value, Tensor) else as_tensor(value, dtype=self.dtype)
        if GRAD_ENABLED[0] and (self._rg or v._rg):
            from ..ops.movement import IndexPut

            self._inplace("__setitem__", lambda t: IndexPut.apply(t, v._cast(t._data.dtype), idx, False))
            return
        try:
            self._data[idx] = v._data
        except ValueError:
            # NOTE: the shape of the indexed positions, not NumPy's message (error path only: the copy is fine)
            raise RuntimeError(f"__setitem__: cannot assign a value of shape {tuple(v.shape)} to the indexed "
                               f"positions of shape {tuple(self._data[idx].shape)}") from None

    def index_put_(self, indices: tuple[Any, ...], values: Any, accumulate: _bool = False) -> Tensor:
        """``self[indices] = values`` (``+=`` with ``accumulate``, repeated indices adding up)."""
        from ..ops.movement import IndexPut
        from .creation import as_tensor

        idx, _ = normalize_index(tuple(indices), self._data.shape, "index_put_")
        v = values if isinstance(values, Tensor) else as_tensor(values, dtype=self.dtype)
        return self._inplace("index_put_", lambda t: IndexPut.apply(t, v._cast(t._data.dtype), idx, accumulate))

    def index_put(self, indices: tuple[Any, ...], values: Any, accumulate: _bool = False) -> Tensor:
        return self.clone().index_put_(indices, values, accumulate)


class _RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


register_tensor_class(Tensor)
