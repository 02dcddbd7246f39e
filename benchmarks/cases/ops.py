"""Op-level cases: per-op overhead on tiny tensors and the cost of single primitives at useful sizes.

Every builder is written once against the PyTorch API and called with ``lib`` = ``chainrule`` or ``torch``, so both
frameworks run exactly the same computation on copies of the same float32 arrays. Non-scalar outputs are
back-propagated with a fixed random upstream gradient (a gradient of ones would make softmax's input gradient zero
and hide errors).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from ..registry import Inputs, Step, case

F32 = np.float32


def _randn(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape, dtype=F32)


def _leaf(lib: ModuleType, arr: np.ndarray) -> Any:
    """A leaf tensor that requires grad, holding a copy of ``arr``."""
    return lib.tensor(arr, requires_grad=True)


def _clear(*leaves: Any) -> None:
    for t in leaves:
        t.grad = None


def _unary_case(lib: ModuleType, x: Inputs, op: str, *args: Any) -> Step:
    """``y = x.op(*args)``, then ``y.backward(g)``: one primitive forward and backward."""
    a, g = _leaf(lib, x["x"]), lib.tensor(x["g"])

    def step() -> tuple[Any, ...]:
        a.grad = None
        y = getattr(a, op)(*args)
        y.backward(g)
        return y, a.grad

    return step


# --- (1) and (7): per-op overhead -------------------------------------------------------------------------------


def _tiny(rng: np.random.Generator) -> Inputs:
    return {k: _randn(rng, 10) for k in "abc"}


@case("tiny_fwd_bwd", _tiny, "(a*b+c).sum().backward() on 10 elements, a/b/c require grad: 3 ops + backward")
def tiny_fwd_bwd(lib: ModuleType, x: Inputs) -> Step:
    a, b, c = (_leaf(lib, x[k]) for k in "abc")

    def step() -> tuple[Any, ...]:
        _clear(a, b, c)
        y = (a * b + c).sum()
        y.backward()
        return y, a.grad, b.grad, c.grad

    return step


@case("tiny_fwd", _tiny, "a+b on 10 elements, no grad: the floor of one forward op")
def tiny_fwd(lib: ModuleType, x: Inputs) -> Step:
    a, b = lib.tensor(x["a"]), lib.tensor(x["b"])

    def step() -> tuple[Any, ...]:
        return (a + b,)

    return step


# --- (2) matmul ---------------------------------------------------------------------------------------------------


def _mm(rng: np.random.Generator) -> Inputs:
    return {"a": _randn(rng, 512, 512), "b": _randn(rng, 512, 512), "g": _randn(rng, 512, 512)}


@case("matmul_512", _mm, "(a @ b).backward(g), 512x512 float32: 3 GEMMs (BLAS-bound)")
def matmul_512(lib: ModuleType, x: Inputs) -> Step:
    a, b, g = _leaf(lib, x["a"]), _leaf(lib, x["b"]), lib.tensor(x["g"])

    def step() -> tuple[Any, ...]:
        _clear(a, b)
        y = a @ b
        y.backward(g)
        return y, a.grad, b.grad

    return step


# --- (3) elementwise chain ----------------------------------------------------------------------------------------


def _chain(rng: np.random.Generator) -> Inputs:
    return {"x": _randn(rng, 1000), "w": _randn(rng, 1000), "b": _randn(rng, 1000)}


@case("elementwise_chain", _chain, "5 x (mul, add, tanh, exp) = 20 ops on 1000 elements, sum, backward")
def elementwise_chain(lib: ModuleType, x: Inputs) -> Step:
    h0, w, b = (_leaf(lib, x[k]) for k in ("x", "w", "b"))

    def step() -> tuple[Any, ...]:
        _clear(h0, w, b)
        h = h0
        for _ in range(5):
            h = (h * w + b).tanh().exp()  # NOTE: exp of tanh stays in [1/e, e], so 5 rounds never overflow
        y = h.sum()
        y.backward()
        return y, h0.grad, w.grad, b.grad

    return step


# --- (4) reductions -----------------------------------------------------------------------------------------------


def _reduce_inputs(dim: int) -> Any:
    def make(rng: np.random.Generator) -> Inputs:
        return {"x": _randn(rng, 256, 1024), "g": _randn(rng, 1024 if dim == 0 else 256)}

    return make


@case("sum_dim1", _reduce_inputs(1), "x.sum(1).backward(g), x 256x1024")
def sum_dim1(lib: ModuleType, x: Inputs) -> Step:
    return _unary_case(lib, x, "sum", 1)


@case("mean_dim0", _reduce_inputs(0), "x.mean(0).backward(g), x 256x1024")
def mean_dim0(lib: ModuleType, x: Inputs) -> Step:
    return _unary_case(lib, x, "mean", 0)


@case("amax_dim1", _reduce_inputs(1), "x.amax(1).backward(g), x 256x1024 (gradient routed to the max)")
def amax_dim1(lib: ModuleType, x: Inputs) -> Step:
    return _unary_case(lib, x, "amax", 1)


# --- (5) softmax --------------------------------------------------------------------------------------------------


def _softmax_inputs(rng: np.random.Generator) -> Inputs:
    return {"x": _randn(rng, 128, 1000), "g": _randn(rng, 128, 1000)}


@case("softmax", _softmax_inputs, "x.softmax(-1).backward(g), x 128x1000")
def softmax(lib: ModuleType, x: Inputs) -> Step:
    return _unary_case(lib, x, "softmax", -1)


@case("log_softmax", _softmax_inputs, "x.log_softmax(-1).backward(g), x 128x1000")
def log_softmax(lib: ModuleType, x: Inputs) -> Step:
    return _unary_case(lib, x, "log_softmax", -1)


# --- (6) indexing -------------------------------------------------------------------------------------------------


def _gather_inputs(rng: np.random.Generator) -> Inputs:
    # NOTE: drawn with replacement, so repeated rows exercise the scatter-add of the backward
    return {"w": _randn(rng, 1000, 128), "idx": rng.integers(0, 1000, size=64, dtype=np.int64),
            "g": _randn(rng, 64, 128)}


@case("index_gather", _gather_inputs, "w[idx].backward(g): 64 int64 rows (with repeats) of a 1000x128 table")
def index_gather(lib: ModuleType, x: Inputs) -> Step:
    w, idx, g = _leaf(lib, x["w"]), lib.tensor(x["idx"]), lib.tensor(x["g"])

    def step() -> tuple[Any, ...]:
        w.grad = None
        y = w[idx]
        y.backward(g)
        return y, w.grad

    return step


def _slice_inputs(rng: np.random.Generator) -> Inputs:
    return {"w": _randn(rng, 1000, 128), "g": _randn(rng, 492, 64)}


@case("index_slice", _slice_inputs, "w[8:-8:2, ::2].backward(g) on a 1000x128 tensor (strided view)")
def index_slice(lib: ModuleType, x: Inputs) -> Step:
    w, g = _leaf(lib, x["w"]), lib.tensor(x["g"])

    def step() -> tuple[Any, ...]:
        w.grad = None
        y = w[8:-8:2, ::2]
        y.backward(g)
        return y, w.grad

    return step
