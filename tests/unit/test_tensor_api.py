"""The Tensor API against PyTorch: creation functions, dtypes and type promotion, conversions and repr."""

from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np
import pytest
import torch

import chainrule as cr
from tests.helpers import assert_close


def _dt(t: Any) -> str:
    """A dtype's bare name (``float32``) for chainrule and torch dtypes alike."""
    return str(t).split(".")[-1]


# ----------------------------------------------------------------------------- creation from data
DATA = [
    3, 2.5, True, [1, 2, 3], [1.0, 2.0], [True, False], [[1, 2], [3, 4]], [1, 2.5], [True, 2], [True, 2.0],
    [[1.5, -2.0], [3.0, 4.25]], [], [[True], [False]], 0, -7,
]


@pytest.mark.parametrize("data", DATA, ids=repr)
def test_tensor_infers_dtype_and_values_like_torch(data: Any) -> None:
    ours, theirs = cr.tensor(data), torch.tensor(data)
    assert _dt(ours.dtype) == _dt(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert_close(ours, theirs)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32", "bool"])
def test_tensor_with_explicit_dtype(dtype: str) -> None:
    data = [[0, 1.5], [2, -3]]
    ours, theirs = cr.tensor(data, dtype=getattr(cr, dtype)), torch.tensor(data, dtype=getattr(torch, dtype))
    assert_close(ours, theirs)


@pytest.mark.parametrize("pytype", [float, int, bool])
def test_python_types_as_dtype(pytype: type) -> None:
    # torch maps the Python type float to float64 whatever the default dtype; int to int64, bool to bool
    for make in (lambda lib: lib.zeros(2, dtype=pytype), lambda lib: lib.tensor([1.5, 0.0], dtype=pytype),
                 lambda lib: lib.ones(2).to(pytype)):
        ours, theirs = make(cr), make(torch)
        assert _dt(ours.dtype) == _dt(theirs.dtype)
        assert_close(ours, theirs)


def test_tensor_copies_and_as_tensor_from_numpy_share() -> None:
    arr = np.arange(6, dtype=np.float64).reshape(2, 3)
    copied, shared, from_np = cr.tensor(arr), cr.as_tensor(arr), cr.from_numpy(arr)
    tcopied, tshared, tfrom = torch.tensor(arr), torch.as_tensor(arr), torch.from_numpy(arr)
    arr[0, 0] = 42.0
    for ours, theirs in ((copied, tcopied), (shared, tshared), (from_np, tfrom)):
        assert_close(ours, theirs)
    assert from_np[0, 0].item() == 42.0 and copied[0, 0].item() == 0.0
    from_np[1, 1] = -1.0  # writes through to the array
    assert arr[1, 1] == -1.0
    assert cr.as_tensor(arr, dtype=cr.float32).dtype == cr.float32
    t = cr.ones(2)
    assert cr.as_tensor(t) is t


def test_from_numpy_keeps_dtype_and_rejects_non_arrays() -> None:
    for dt in (np.float32, np.float64, np.int64, np.int32, np.bool_, np.uint8):
        arr = np.zeros(3, dtype=dt)
        assert _dt(cr.from_numpy(arr).dtype) == _dt(torch.from_numpy(arr).dtype)
    with pytest.raises(TypeError, match="expected np.ndarray"):
        torch.from_numpy([1, 2])
    with pytest.raises(TypeError, match="expected np.ndarray"):
        cr.from_numpy([1, 2])


# ----------------------------------------------------------------------------- filled tensors
@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
@pytest.mark.parametrize("form", ["varargs", "tuple", "list", "dtype"])
def test_filled_shape_forms(name: str, form: str) -> None:
    args: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
        "varargs": ((2, 3), {}), "tuple": (((2, 3),), {}), "list": (([2, 3],), {}), "dtype": ((2, 3), {"dtype": 1})}
    a, kw = args[form]
    ours = getattr(cr, name)(*a, **({"dtype": cr.int64} if kw else {}))
    theirs = getattr(torch, name)(*a, **({"dtype": torch.int64} if kw else {}))
    assert tuple(ours.shape) == tuple(theirs.shape) == (2, 3)
    assert _dt(ours.dtype) == _dt(theirs.dtype)
    if name != "empty":
        assert_close(ours, theirs)


@pytest.mark.parametrize("value", [7, 2.5, True, -1.0])
def test_full_infers_dtype_from_value(value: Any) -> None:
    ours, theirs = cr.full((2, 3), value), torch.full((2, 3), value)
    assert_close(ours, theirs)
    assert_close(cr.full([4], value, dtype=cr.float64), torch.full([4], value, dtype=torch.float64))


ARANGE = [(5,), (2, 9), (1, 10, 3), (10, 0, -2), (0.0, 1.0, 0.1), (-1.5, 2.0, 0.5), (3, -3, -1), (0, 5, 0.5),
          (1.0, 0.0, -0.25)]


@pytest.mark.parametrize("args", ARANGE, ids=repr)
def test_arange(args: tuple[Any, ...]) -> None:
    assert_close(cr.arange(*args), torch.arange(*args))
    assert_close(cr.arange(*args, dtype=cr.float64), torch.arange(*args, dtype=torch.float64))


@pytest.mark.parametrize("args", [(0, 1, 5), (-2.0, 3.0, 11), (1, 1, 1), (5, -5, 4), (0, 1, 0)], ids=repr)
def test_linspace(args: tuple[Any, ...]) -> None:
    assert_close(cr.linspace(*args), torch.linspace(*args))
    assert_close(cr.linspace(*args, dtype=cr.float64), torch.linspace(*args, dtype=torch.float64))


@pytest.mark.parametrize("args", [(3,), (2, 4), (4, 2), (1,), (0,)], ids=repr)
def test_eye(args: tuple[int, ...]) -> None:
    assert_close(cr.eye(*args), torch.eye(*args))
    assert_close(cr.eye(*args, dtype=cr.int64), torch.eye(*args, dtype=torch.int64))


LIKE: list[tuple[str, tuple[Any, ...]]] = [("zeros_like", ()), ("ones_like", ()), ("full_like", (2.5,)),
                                           ("full_like", (3,)), ("empty_like", ()), ("rand_like", ()),
                                           ("randn_like", ())]


@pytest.mark.parametrize("name,extra", LIKE, ids=lambda v: str(v))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_like_functions_keep_shape_and_dtype(name: str, extra: tuple[Any, ...], dtype: str) -> None:
    src = np.arange(6, dtype=dtype).reshape(2, 3)
    ours = getattr(cr, name)(cr.tensor(src), *extra)
    theirs = getattr(torch, name)(torch.tensor(src), *extra)
    assert tuple(ours.shape) == tuple(theirs.shape) and _dt(ours.dtype) == _dt(theirs.dtype)
    assert not ours.requires_grad
    if name in ("zeros_like", "ones_like", "full_like"):
        assert_close(ours, theirs)
    forced = getattr(cr, name)(cr.tensor(src), *extra, dtype=cr.float64, requires_grad=True)
    assert forced.dtype == cr.float64 and forced.requires_grad


def test_like_functions_on_int_tensor() -> None:
    src = [[1, 2, 3]]
    for name in ("zeros_like", "ones_like", "empty_like"):
        ours, theirs = getattr(cr, name)(cr.tensor(src)), getattr(torch, name)(torch.tensor(src))
        assert _dt(ours.dtype) == _dt(theirs.dtype) == "int64"
    assert_close(cr.full_like(cr.tensor(src), 2.7), torch.full_like(torch.tensor(src), 2.7))


# ----------------------------------------------------------------------------- random tensors
RANDOM: list[tuple[str, Callable[..., Any]]] = [
    ("rand", lambda lib, **kw: lib.rand(3, 4, **kw)),
    ("rand_tuple", lambda lib, **kw: lib.rand((3, 4), **kw)),
    ("randn", lambda lib, **kw: lib.randn(3, 4, **kw)),
    ("randint", lambda lib, **kw: lib.randint(-3, 5, (3, 4), **kw)),
    ("randint_high", lambda lib, **kw: lib.randint(5, (3, 4), **kw)),
    ("normal", lambda lib, **kw: lib.normal(2.0, 3.0, (3, 4), **kw)),
    ("randperm", lambda lib, **kw: lib.randperm(12, **kw)),
]


@pytest.mark.parametrize("name,make", RANDOM, ids=[r[0] for r in RANDOM])
def test_random_shape_dtype_and_reproducibility(name: str, make: Callable[..., Any]) -> None:
    ours, theirs = make(cr), make(torch)
    assert tuple(ours.shape) == tuple(theirs.shape) and _dt(ours.dtype) == _dt(theirs.dtype)
    cr.manual_seed(123)
    a = make(cr)
    cr.manual_seed(123)
    b = make(cr)
    c = make(cr)
    assert a.equal(b) and not b.equal(c)
    g1, g2 = cr.Generator().manual_seed(5), cr.Generator().manual_seed(5)
    cr.manual_seed(0)
    d = make(cr, generator=g1)
    cr.manual_seed(99)  # the default generator does not affect an explicit one
    e = make(cr, generator=g2)
    assert d.equal(e)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_random_float_dtype_argument(dtype: str) -> None:
    for fn in (cr.rand, cr.randn):
        assert _dt(fn(2, 2, dtype=getattr(cr, dtype)).dtype) == dtype
    assert _dt(cr.normal(0.0, 1.0, (2,), dtype=getattr(cr, dtype)).dtype) == dtype
    assert _dt(cr.randint(0, 3, (2,), dtype=cr.int32).dtype) == "int32"


def test_random_statistics() -> None:
    n = 200_000
    u = cr.rand(n).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.01
    z = cr.randn(n).numpy()
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1.0) < 0.01
    r = cr.randint(-3, 5, (n,)).numpy()
    assert r.min() == -3 and r.max() == 4 and abs(r.mean() - 0.5) < 0.05
    m = cr.normal(2.0, 3.0, (n,)).numpy()
    assert abs(m.mean() - 2.0) < 0.05 and abs(m.std() - 3.0) < 0.05
    p = cr.randperm(50).numpy()
    assert sorted(p.tolist()) == list(range(50))
    mt = cr.normal(cr.tensor([0.0, 100.0]), cr.tensor([1.0, 0.0]))
    assert mt.shape == (2,) and mt[1].item() == 100.0


# ----------------------------------------------------------------------------- dtypes and promotion
def test_default_dtypes() -> None:
    for data in (1.5, [1.0], 1, [1], True, [True]):
        assert _dt(cr.tensor(data).dtype) == _dt(torch.tensor(data).dtype)
    assert cr.get_default_dtype() == cr.float32
    assert _dt(cr.ones(2).dtype) == _dt(torch.ones(2).dtype) == "float32"


def _operand(lib: Any, kind: str) -> Any:
    return {
        "bool": lambda: lib.tensor([True, False]),
        "int64": lambda: lib.tensor([3, -2]),
        "float32": lambda: lib.tensor([1.5, -2.0], dtype=lib.float32),
        "float64": lambda: lib.tensor([1.5, -2.0], dtype=lib.float64),
        "int": lambda: 3,
        "float": lambda: 2.5,
        "0d_bool": lambda: lib.tensor(True),
        "0d_int64": lambda: lib.tensor(4),
        "0d_float64": lambda: lib.tensor(0.5, dtype=lib.float64),
        "0d_float32": lambda: lib.tensor(0.5),
    }[kind]()


KINDS = ["bool", "int64", "float32", "float64", "int", "float", "0d_bool", "0d_int64", "0d_float64", "0d_float32"]
OPS = {"+": lambda a, b: a + b, "*": lambda a, b: a * b, "/": lambda a, b: a / b}


PAIRS = [(a, b) for a in KINDS for b in KINDS if not (a in ("int", "float") and b in ("int", "float"))]


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("left,right", PAIRS)
def test_type_promotion_matches_torch(op: str, left: str, right: str) -> None:
    fn = OPS[op]
    theirs = fn(_operand(torch, left), _operand(torch, right))
    ours = fn(_operand(cr, left), _operand(cr, right))
    assert _dt(ours.dtype) == _dt(theirs.dtype), f"{left} {op} {right}"
    assert_close(ours, theirs)
    a, b = _operand(torch, left), _operand(torch, right)
    if op != "/" and isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        assert _dt(cr.result_type(_operand(cr, left), _operand(cr, right))) == _dt(torch.result_type(a, b))


def test_int_true_division_gives_default_float() -> None:
    a, b = cr.tensor([7, -7]), cr.tensor([2, 2])
    assert_close(a / b, torch.tensor([7, -7]) / torch.tensor([2, 2]))
    assert (a / b).dtype == cr.float32
    assert_close(7 / b, 7 / torch.tensor([2, 2]))


def test_set_default_dtype_float64() -> None:
    cr.set_default_dtype(cr.float64)
    torch.set_default_dtype(torch.float64)
    try:
        for make in (lambda lib: lib.tensor([1.5]), lambda lib: lib.ones(2), lambda lib: lib.arange(0.0, 1.0, 0.5),
                     lambda lib: lib.rand(2), lambda lib: lib.tensor([1, 2]) / 2, lambda lib: lib.tensor([1]) * 0.5):
            assert _dt(make(cr).dtype) == _dt(make(torch).dtype)
        assert cr.tensor([1.5]).dtype == cr.float64
    finally:
        cr.set_default_dtype(cr.float32)
        torch.set_default_dtype(torch.float32)
    assert cr.tensor([1.5]).dtype == cr.float32
    with pytest.raises(TypeError, match="floating"):
        cr.set_default_dtype(cr.int64)


# ----------------------------------------------------------------------------- conversion and properties
def test_numpy_item_tolist() -> None:
    data = [[1.5, 2.0, -3.25], [4.0, 5.5, 6.0]]
    ours, theirs = cr.tensor(data), torch.tensor(data)
    assert ours.tolist() == theirs.tolist() == data
    arr = ours.numpy()
    arr[0, 0] = 9.0  # numpy() shares memory, as in torch
    assert ours[0, 0].item() == 9.0
    assert ours[1, 2].item() == theirs[1, 2].item() == 6.0 and type(ours[1, 2].item()) is float
    assert type(cr.tensor(3).item()) is int and type(cr.tensor(True).item()) is bool
    assert cr.tensor([[2.5]]).item() == 2.5
    with pytest.raises(RuntimeError, match="requires grad"):
        cr.ones(2, requires_grad=True).numpy()
    with pytest.raises(RuntimeError, match="elements cannot be converted to Scalar"):
        cr.ones(2).item()


def test_shape_size_ndim_dim_dtype_len() -> None:
    ours, theirs = cr.zeros(2, 3, 4), torch.zeros(2, 3, 4)
    assert ours.shape == theirs.shape == (2, 3, 4)
    assert ours.size() == theirs.size() and isinstance(ours.size(), tuple)
    for d in (0, 1, 2, -1, -3):
        assert ours.size(d) == theirs.size(d)
    assert ours.ndim == ours.dim() == theirs.ndim == 3
    assert len(ours) == len(theirs) == 2
    assert ours.numel() == theirs.numel() == 24
    assert cr.tensor(1.0).ndim == 0 and cr.tensor(1.0).shape == ()
    with pytest.raises(TypeError, match="len"):
        len(cr.tensor(1.0))


def test_transpose_property_and_iteration() -> None:
    data = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    ours, theirs = cr.tensor(data), torch.tensor(data)
    assert_close(cr.tensor(data[0]).T, torch.tensor(data[0]).T)
    assert_close(ours.permute(2, 1, 0), theirs.permute(2, 1, 0))
    rows, trows = list(ours), list(theirs)
    assert len(rows) == len(trows) == 2
    for r, tr in zip(rows, trows):
        assert_close(r, tr)
    assert [x.item() for x in cr.tensor([1, 2, 3])] == [1, 2, 3]


CASTS = ["float", "double", "long", "int", "bool"]


@pytest.mark.parametrize("method", CASTS)
def test_cast_methods(method: str) -> None:
    data = [[0.0, -1.7], [2.5, 3.0]]
    ours, theirs = getattr(cr.tensor(data), method)(), getattr(torch.tensor(data), method)()
    assert _dt(ours.dtype) == _dt(theirs.dtype)
    assert_close(ours, theirs)


@pytest.mark.parametrize("target", ["float32", "float64", "int64", "int32", "bool"])
def test_to_dtype(target: str) -> None:
    data = [1.5, 0.0, -2.25]
    ours, theirs = cr.tensor(data).to(getattr(cr, target)), torch.tensor(data).to(getattr(torch, target))
    assert_close(ours, theirs)
    x = cr.tensor(data)
    assert x.to(cr.float32) is x and x.to("cpu") is x
    assert_close(x.to("cpu", cr.float64), torch.tensor(data).to("cpu", torch.float64))
    assert_close(x.to(dtype=cr.float64), torch.tensor(data).to(dtype=torch.float64))
    assert_close(x.to(cr.tensor([1])), torch.tensor(data).to(torch.tensor([1])))


def test_cast_keeps_gradient_flowing() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    (x.double() ** 2).sum().backward()
    (tx.double() ** 2).sum().backward()
    assert_close(x.grad, tx.grad, "grad")


# ----------------------------------------------------------------------------- repr
def _same_repr(ours: Any, theirs: Any) -> None:
    # NOTE: PyTorch numbers its backward nodes by overload (MulBackward0, SumBackward1); chainrule names a node after
    # its op only (MulBackward), so the overload digit is dropped before comparing.
    def norm(text: str) -> str:
        return re.sub(r"Backward\d+>", "Backward>", text)

    assert repr(ours).replace("chainrule.", "torch.") == norm(repr(theirs))
    assert str(ours).replace("chainrule.", "torch.") == norm(str(theirs))


REPR_CASES: list[tuple[str, Callable[[Any], Any]]] = [
    ("0d_float", lambda lib: lib.tensor(3.5)),
    ("0d_int", lambda lib: lib.tensor(-4)),
    ("0d_bool", lambda lib: lib.tensor(True)),
    ("1d_float", lambda lib: lib.tensor([1.0, 2.5, -3.25])),
    ("1d_integral_floats", lambda lib: lib.tensor([1.0, 2.0, -3.0])),
    ("2d_decimals", lambda lib: lib.tensor([[0.123456, -1.5], [22.75, 3.0]])),
    ("float64", lambda lib: lib.tensor([1.5, 2.25], dtype=lib.float64)),
    ("float64_0d", lambda lib: lib.tensor(0.1, dtype=lib.float64)),
    ("ints", lambda lib: lib.tensor([[1, -20], [300, 4]])),
    ("int32", lambda lib: lib.tensor([1, 2], dtype=lib.int32)),
    ("bools", lambda lib: lib.tensor([True, False, True])),
    ("sci_large", lambda lib: lib.tensor([1.0e9, 2.5, 3.0])),
    ("sci_small", lambda lib: lib.tensor([1.0e-6, 0.5])),
    ("sci_range", lambda lib: lib.tensor([1.0, 12345.678])),
    ("zeros", lambda lib: lib.zeros(2, 2)),
    ("with_inf_nan", lambda lib: lib.tensor([float("inf"), float("nan"), 1.5, -float("inf")])),
    ("requires_grad", lambda lib: lib.tensor([1.0, 2.0], requires_grad=True)),
    ("grad_fn", lambda lib: lib.tensor([1.0, 2.0], requires_grad=True) * 2),
    ("grad_fn_add", lambda lib: lib.tensor([1.0, 2.0], requires_grad=True) + 1),
    ("grad_fn_sum", lambda lib: lib.tensor([1.0, 2.0], requires_grad=True).sum()),
    ("float64_grad", lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)),
    ("empty", lambda lib: lib.tensor([])),
    ("empty_2d", lambda lib: lib.zeros(0, 3)),
    ("empty_int", lambda lib: lib.zeros(0, dtype=lib.int64)),
    ("3d", lambda lib: lib.arange(24.0).reshape(2, 3, 4)),
    ("long_row_wraps", lambda lib: lib.arange(30.0) * 1.5),
    ("summarised_1d", lambda lib: lib.arange(2000)),
    ("summarised_2d", lambda lib: lib.arange(2000.0).reshape(40, 50) / 7),
    ("summarised_3d", lambda lib: lib.arange(1200).reshape(10, 10, 12)),
]


@pytest.mark.parametrize("make", [c[1] for c in REPR_CASES], ids=[c[0] for c in REPR_CASES])
def test_repr_matches_torch(make: Callable[[Any], Any]) -> None:
    _same_repr(make(cr), make(torch))


def test_size_repr() -> None:
    assert repr(cr.zeros(2, 3).shape) == repr(torch.zeros(2, 3).shape).replace("torch", "chainrule")
