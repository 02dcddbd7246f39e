"""Functions over several tensors (cat, stack, where, einsum, ...) and the ``chainrule.xxx(t)`` spellings of
tensor methods."""

from __future__ import annotations

import builtins
from typing import Any, Sequence

import numpy as np

from .. import dtypes
from ..ops import elementwise as E
from ..ops import movement as M
from ..ops.linalg import Einsum, parse_einsum
from .core import Tensor
from .creation import as_tensor

METHOD_FUNCTIONS = (
    "abs", "neg", "negative", "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "square",
    "reciprocal", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "sign", "floor", "ceil", "round", "trunc", "frac",
    "clamp", "clip", "maximum", "minimum", "masked_fill", "pow", "add", "sub", "subtract", "mul", "multiply", "div",
    "divide", "true_divide", "remainder", "lerp", "addcmul", "addcdiv", "softmax", "log_softmax", "isnan", "isinf",
    "isfinite", "nan_to_num", "sum", "mean", "nansum", "var", "std", "max", "min", "amax", "amin", "argmax",
    "argmin", "logsumexp", "prod", "cumsum", "norm", "all", "any", "count_nonzero", "sort", "argsort", "topk",
    "reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "permute", "transpose", "swapaxes", "swapdims", "t",
    "movedim", "moveaxis", "flip", "tile", "clone", "narrow", "select", "index_select", "gather", "take_along_dim",
    "masked_select", "nonzero", "matmul", "eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal",
    "less_equal", "not_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "equal", "allclose",
    "isclose", "detach", "clamp_min", "clamp_max", "scatter", "scatter_add", "scatter_reduce", "index_add",
    "index_copy", "index_fill",
)

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "where", "einsum", "broadcast_tensors",
           "broadcast_shapes", "pad", "one_hot", "result_type", "promote_types", "is_tensor", "numel", "mm", "bmm",
           "dot", "mv", "outer", "chunk", "split", "unbind", "meshgrid", "tril", "triu", "diag", "trace",
           "is_floating_point", *METHOD_FUNCTIONS]


def _promoted(tensors: Sequence[Tensor], op: str) -> list[Tensor]:
    ts = [t if isinstance(t, Tensor) else as_tensor(t) for t in tensors]
    if not ts:
        raise RuntimeError(f"{op}(): expected a non-empty list of Tensors")
    dt = ts[0]._data.dtype
    # NOTE: builtins.any etc.: this module's any/all/max/min/abs/sum are the tensor functions defined at the end
    if builtins.any(t._data.dtype != dt for t in ts):
        rt = dtypes.result_type(*[t._data for t in ts])
        ts = [t._cast(rt) for t in ts]
    return ts


def _require_tensors(tensors: Sequence[Any], op: str) -> None:
    """PyTorch's cat and stack take tensors only: a list or array element is a TypeError, not converted."""
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): expected Tensor as element {i} in argument 0, but got {type(t).__name__}")


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension ``dim``; all other sizes must match."""
    if len(tensors) == 0:  # NOTE: ValueError here (stack raises RuntimeError), as in PyTorch
        raise ValueError("cat(): expected a non-empty list of Tensors")
    _require_tensors(tensors, "cat")
    ts = _promoted(tensors, "cat")
    ts = [t for t in ts if not (t._data.ndim == 1 and t._data.shape[0] == 0)] or ts[:1]  # PyTorch skips empty 1-D
    ref = ts[0]
    d = ref._dim(dim)
    for i, t in enumerate(ts):
        if t._data.ndim != ref._data.ndim:
            raise RuntimeError(f"cat(): Tensors must have same number of dimensions: got {ref._data.ndim} and "
                               f"{t._data.ndim} (tensor number {i} in the list has shape {tuple(t._data.shape)})")
        for ax, (a, b) in enumerate(zip(ref._data.shape, t._data.shape)):
            if ax != d and a != b:
                raise RuntimeError(f"cat(): Sizes of tensors must match except in dimension {d}. Expected size {a} but "
                                   f"got size {b} for tensor number {i} in the list.")
    if len(ts) == 1:
        return ts[0]
    return M.Cat.apply(*ts, axis=d)


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dimension ``dim``."""
    _require_tensors(tensors, "stack")
    ts = _promoted(tensors, "stack")
    shape = ts[0]._data.shape
    for i, t in enumerate(ts):
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and "
                               f"{list(t._data.shape)} at entry {i}")
    d = ts[0]._dim(dim, len(shape) + 1)
    return M.Stack.apply(*ts, axis=d)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    ts = [t if t.ndim else t.reshape(1) for t in _promoted(tensors, "hstack")]
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    ts = [t.reshape(1, -1) if t.ndim < 2 else t for t in _promoted(tensors, "vstack")]
    return cat(ts, 0)


def where(condition: Any, input: Any = None, other: Any = None) -> Any:  # noqa: A002
    """``input`` where ``condition`` holds, else ``other`` (all broadcast); gradients go to the branch taken.
    With only ``condition``, the indices where it holds (as ``nonzero(as_tuple=True)``)."""
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if input is None and other is None:
        return tuple(Tensor._make(a.astype(np.int64), None, False) for a in np.nonzero(cond))
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {cond.dtype}")
    a = input if isinstance(input, Tensor) else None
    b = other if isinstance(other, Tensor) else None
    if a is None and b is None:
        a = as_tensor(input)
    if a is not None:
        x, y = a._operands(other, "where")
    else:
        y, x = b._operands(input, "where")  # type: ignore[union-attr]
    try:
        return E.Where.apply(cond, x, y)
    except ValueError:
        raise RuntimeError(f"where: condition {cond.shape}, input {np.shape(getattr(x, '_data', x))} and other "
                           f"{np.shape(getattr(y, '_data', y))} cannot be broadcast together") from None


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation over the operands, as ``torch.einsum`` ('ij,jk->ik', 'bij,bjk->bik', '...ij->...ji')."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ts = _promoted(operands, "einsum")
    subs, out = parse_einsum(equation, [t._data.shape for t in ts])
    sizes: dict[str, int] = {}
    for s, t in zip(subs, ts):
        for c, n in zip(s, t._data.shape):
            if sizes.setdefault(c, n) != n:
                if n != 1 and sizes[c] != 1:
                    raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes: subscript {c!r} "
                                       f"has size {sizes[c]} and {n} (equation {equation!r})")
    return Einsum.apply(*ts, subs=tuple(subs), out=out)


def broadcast_shapes(*shapes: Any) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*[tuple(s) if not isinstance(s, int) else (s,) for s in shapes]))
    except ValueError:
        raise RuntimeError(f"broadcast_shapes: shapes {[tuple(s) for s in shapes]} cannot be broadcast") from None


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    shape = broadcast_shapes(*[t.shape for t in tensors])
    return tuple(t.expand(shape) for t in tensors)


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:  # noqa: A002
    """Pad the last ``len(pad) // 2`` dimensions: ``pad = (left, right, top, bottom, ...)`` from the last dimension
    backwards, as ``torch.nn.functional.pad``; negative amounts crop."""
    if mode != "constant":
        raise NotImplementedError(f"pad: mode {mode!r} is not implemented yet (only 'constant')")
    if len(pad) % 2:
        raise RuntimeError(f"pad: padding length must be divisible by 2, got {len(pad)}")
    nd = input._data.ndim
    if len(pad) // 2 > nd:
        raise RuntimeError(f"pad: padding length {len(pad)} too large for a tensor of {nd} dimensions")
    widths = [[0, 0] for _ in range(nd)]
    for i in range(len(pad) // 2):
        widths[nd - 1 - i] = [int(pad[2 * i]), int(pad[2 * i + 1])]
    x = input
    if builtins.any(w < 0 for p in widths for w in p):  # crop first
        sl = tuple(slice(-lo if lo < 0 else 0, n + hi if hi < 0 else n) for (lo, hi), n in zip(widths, x._data.shape))
        x = x[sl]
        widths = [[builtins.max(lo, 0), builtins.max(hi, 0)] for lo, hi in widths]
    if not builtins.any(w for p in widths for w in p):
        return x
    return M.Pad.apply(x, tuple(tuple(w) for w in widths), 0 if value is None else value)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding with a new last dimension of size ``num_classes`` (max + 1 when -1)."""
    idx = tensor._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensor of integer type, got {idx.dtype}")
    if idx.size and idx.min() < 0:
        raise RuntimeError("one_hot: Class values must be non-negative.")
    n = int(idx.max()) + 1 if num_classes == -1 else num_classes
    if idx.size and idx.max() >= n:
        raise RuntimeError(f"one_hot: Class values must be smaller than num_classes ({n}), got {int(idx.max())}")
    return Tensor._make((idx[..., None] == np.arange(n)).astype(np.int64), None, False)


def result_type(tensor1: Any, tensor2: Any) -> dtypes.dtype:
    a = tensor1._data if isinstance(tensor1, Tensor) else tensor1
    b = tensor2._data if isinstance(tensor2, Tensor) else tensor2
    return dtypes.from_numpy_dtype(dtypes.result_type(a, b))


promote_types = dtypes.promote_types


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(t: Tensor) -> bool:
    return t.is_floating_point()


def numel(t: Tensor) -> int:
    return t.numel()


def mm(a: Tensor, b: Tensor) -> Tensor:
    """Product of two matrices (2-D only)."""
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm: expected 2-D tensors, got {a.ndim}-D and {b.ndim}-D")
    return a.matmul(b)


def bmm(a: Tensor, b: Tensor) -> Tensor:
    """Batched product of (B, n, k) and (B, k, m) tensors."""
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise RuntimeError(f"bmm: expected two 3-D tensors with the same batch size, got {tuple(a.shape)} and "
                           f"{tuple(b.shape)}")
    return a.matmul(b)


def dot(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape != b.shape:
        raise RuntimeError(f"dot: inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to "
                           f"have the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements "
                           "respectively")
    return a.matmul(b)


def mv(a: Tensor, v: Tensor) -> Tensor:
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"mv: expected a 2-D matrix and a 1-D vector, got {a.ndim}-D and {v.ndim}-D")
    return a.matmul(v)


def outer(a: Tensor, b: Tensor) -> Tensor:
    """a_i b_j."""
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"outer: expected 1-D arguments, got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    return a.reshape(-1, 1) * b.reshape(1, -1)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    return input.chunk(chunks, dim)


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    return tensor.split(split_size_or_sections, dim)


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    return input.unbind(dim)


def meshgrid(*tensors: Tensor, indexing: str = "ij") -> tuple[Tensor, ...]:
    ts = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    shape = [t.numel() for t in ts]
    out = []
    for i, t in enumerate(ts):
        view = [1] * len(ts)
        view[i] = -1
        out.append(t.reshape(view).expand(shape))
    if indexing == "xy" and len(ts) >= 2:
        out = [o.transpose(0, 1) for o in out]
    return tuple(out)


def _tri(input: Tensor, diagonal: int, upper: bool) -> Tensor:  # noqa: A002
    if input.ndim < 2:
        raise RuntimeError(f"{'triu' if upper else 'tril'}: input tensor must have at least 2 dimensions, got shape "
                           f"{tuple(input.shape)}")
    r, c = input.shape[-2], input.shape[-1]
    mask = np.triu(np.ones((r, c), dtype=bool), diagonal) if upper else np.tril(np.ones((r, c), dtype=bool), diagonal)
    return E.Where.apply(mask, input, np.zeros((), dtype=input._data.dtype))


def tril(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    """The lower triangle (elements j <= i + diagonal), the rest zero."""
    return _tri(input, diagonal, False)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    """The upper triangle (elements j >= i + diagonal), the rest zero."""
    return _tri(input, diagonal, True)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    if input.ndim not in (1, 2):
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D (shape {tuple(input.shape)})")
    if input.ndim == 1:
        n = input.shape[0] + builtins.abs(diagonal)
        i = np.arange(input.shape[0])
        out = Tensor._make(np.zeros((n, n), dtype=input._data.dtype), None, False)
        rows, cols = (i, i + diagonal) if diagonal >= 0 else (i - diagonal, i)
        return out.index_put((Tensor._make(rows, None, False), Tensor._make(cols, None, False)), input)
    r, c = input.shape
    bmin = builtins.min
    i = np.arange(builtins.max(0, bmin(r, c - diagonal) if diagonal >= 0 else bmin(r + diagonal, c)))
    rows, cols = (i, i + diagonal) if diagonal >= 0 else (i - diagonal, i)
    return input[rows, cols]


def trace(input: Tensor) -> Tensor:  # noqa: A002
    """Sum of the main diagonal of a matrix (of its leading square block when it is not square)."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    n = builtins.min(input.shape)
    return einsum("ii->", input[:n, :n])


def _method(name: str) -> Any:
    """``chainrule.name(t, ...)``: the function spelling of ``t.name(...)``."""
    meth = getattr(Tensor, name)

    def fn(input: Tensor, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 - PyTorch's argument name
        return meth(input if isinstance(input, Tensor) else as_tensor(input), *args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = meth.__doc__
    return fn


# the function spellings of tensor methods: chainrule.exp(t) is t.exp()
abs = _method("abs")
neg = _method("neg")
negative = _method("negative")
exp = _method("exp")
expm1 = _method("expm1")
log = _method("log")
log1p = _method("log1p")
log2 = _method("log2")
log10 = _method("log10")
sqrt = _method("sqrt")
rsqrt = _method("rsqrt")
square = _method("square")
reciprocal = _method("reciprocal")
sin = _method("sin")
cos = _method("cos")
tan = _method("tan")
tanh = _method("tanh")
sigmoid = _method("sigmoid")
relu = _method("relu")
sign = _method("sign")
floor = _method("floor")
ceil = _method("ceil")
round = _method("round")
trunc = _method("trunc")
frac = _method("frac")
clamp = _method("clamp")
clip = _method("clip")
maximum = _method("maximum")
minimum = _method("minimum")
masked_fill = _method("masked_fill")
pow = _method("pow")
add = _method("add")
sub = _method("sub")
subtract = _method("subtract")
mul = _method("mul")
multiply = _method("multiply")
div = _method("div")
divide = _method("divide")
true_divide = _method("true_divide")
remainder = _method("remainder")
lerp = _method("lerp")
addcmul = _method("addcmul")
addcdiv = _method("addcdiv")
softmax = _method("softmax")
log_softmax = _method("log_softmax")
isnan = _method("isnan")
isinf = _method("isinf")
isfinite = _method("isfinite")
nan_to_num = _method("nan_to_num")
sum = _method("sum")
mean = _method("mean")
nansum = _method("nansum")
var = _method("var")
std = _method("std")
max = _method("max")
min = _method("min")
amax = _method("amax")
amin = _method("amin")
argmax = _method("argmax")
argmin = _method("argmin")
logsumexp = _method("logsumexp")
prod = _method("prod")
cumsum = _method("cumsum")
norm = _method("norm")
all = _method("all")
any = _method("any")
count_nonzero = _method("count_nonzero")
sort = _method("sort")
argsort = _method("argsort")
topk = _method("topk")
reshape = _method("reshape")
flatten = _method("flatten")
unflatten = _method("unflatten")
squeeze = _method("squeeze")
unsqueeze = _method("unsqueeze")
permute = _method("permute")
transpose = _method("transpose")
swapaxes = _method("swapaxes")
swapdims = _method("swapdims")
t = _method("t")
movedim = _method("movedim")
moveaxis = _method("moveaxis")
flip = _method("flip")
tile = _method("tile")
clone = _method("clone")
narrow = _method("narrow")
select = _method("select")
index_select = _method("index_select")
gather = _method("gather")
take_along_dim = _method("take_along_dim")
masked_select = _method("masked_select")
nonzero = _method("nonzero")
matmul = _method("matmul")
eq = _method("eq")
ne = _method("ne")
lt = _method("lt")
le = _method("le")
gt = _method("gt")
ge = _method("ge")
greater = _method("greater")
less = _method("less")
greater_equal = _method("greater_equal")
less_equal = _method("less_equal")
not_equal = _method("not_equal")
logical_and = _method("logical_and")
logical_or = _method("logical_or")
logical_xor = _method("logical_xor")
logical_not = _method("logical_not")
equal = _method("equal")
allclose = _method("allclose")
isclose = _method("isclose")
detach = _method("detach")
clamp_min = _method("clamp_min")
clamp_max = _method("clamp_max")
scatter = _method("scatter")
scatter_add = _method("scatter_add")
scatter_reduce = _method("scatter_reduce")
index_add = _method("index_add")
index_copy = _method("index_copy")
index_fill = _method("index_fill")
