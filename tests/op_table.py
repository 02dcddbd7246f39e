"""The op table: one row per op case, shared by the parity tests (vs PyTorch), the float32 test and gradcheck.

A row is a name, a function ``fn(m, *inputs)`` written once for both frameworks (``m`` is ``chainrule`` or ``torch``),
the input specs (shape and how the values are drawn) and flags. Example::

    C("mul_bcast", lambda m, a, b: a * b, (3, 1), (4,))

A plain shape means standard-normal floats; :class:`In` says more (positive values for log, well separated values for
max and sort, integer indices for gather, boolean masks, a non-contiguous leaf). Floating inputs are drawn in float64
and cast to the dtype under test; index and mask inputs keep int64 / bool.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np
import pytest

# kinds of input values: floats (cast to the dtype under test, require grad) and the rest (index, mask)
FLOAT_KINDS = ("randn", "pos", "pos0", "away0", "distinct", "ties", "zeros", "wide", "unit", "const", "nans")
OTHER_KINDS = ("index", "mask")


@dataclass(frozen=True)
class In:
    """One input: ``shape``, the value ``kind`` and, for leaves, a ``layout``.

    kind: randn (standard normal), pos (uniform in [0.5, 2]), pos0 (pos with exact zeros), away0 (|x| in [0.3, 2],
    random sign: no kink at 0), distinct (pairwise at least 0.2 apart: no ties for max/sort), ties (integers in
    [-2, 2]: ties and zeros on purpose), zeros (normal with exact zeros), wide (normal * 30), unit (uniform in
    (-0.9, 0.9)), const (every element 0.75), nans (normal with every third element nan), index (int64 in
    [0, high)), mask (bool, with at least one True and one False).
    layout: "" contiguous, "T" a transposed (Fortran-order) leaf, "step" a leaf sliced ``[..., ::2]``.
    """

    shape: tuple[int, ...]
    kind: str = "randn"
    high: int = 0
    layout: str = ""

    def __post_init__(self) -> None:
        assert self.kind in FLOAT_KINDS + OTHER_KINDS, self.kind
        assert self.kind != "index" or self.high > 0, "index inputs need high"
        assert self.layout in ("", "T", "step"), self.layout

    @property
    def is_float(self) -> bool:
        return self.kind in FLOAT_KINDS


@dataclass(frozen=True)
class Case:
    """A row of the table.

    grad: the op is differentiable (compare input gradients with torch and run gradcheck);
    gradcheck: also check against finite differences (False where inputs sit on a kink on purpose: ties, zeros);
    torch_fn: the torch spelling when torch lacks chainrule's (torch has no negative slice steps);
    xfail: reason of a known bug in a file this suite may not fix; the tests it breaks (``xfail_in``: "parity",
    "float32", "gradcheck") mark the case strict xfail.
    """

    name: str
    fn: Callable[..., Any]
    inputs: tuple[In, ...]
    grad: bool = True
    gradcheck: bool = True
    torch_fn: Callable[..., Any] | None = None
    xfail: str = ""
    xfail_in: tuple[str, ...] = ("parity",)

    def marks(self, test: str) -> list[Any]:
        """The strict xfail mark of this case in ``test`` ("parity", "float32" or "gradcheck"), if it has one."""
        return [pytest.mark.xfail(strict=True, reason=self.xfail)] if self.xfail and test in self.xfail_in else []

    def run(self, m: Any, *xs: Any) -> Any:
        fn = self.torch_fn if (self.torch_fn is not None and m.__name__ == "torch") else self.fn
        return fn(m, *xs)


CASES: list[Case] = []


def C(name: str, fn: Callable[..., Any], *inputs: Any, **flags: Any) -> None:
    """Add a row; a plain tuple input is a standard-normal float input of that shape."""
    ins = tuple(i if isinstance(i, In) else In(tuple(i)) for i in inputs)
    if flags.get("grad") is False:
        flags.setdefault("gradcheck", False)
    CASES.append(Case(name, fn, ins, **flags))


def P(*shape: int) -> In:
    return In(shape, "pos")


def A0(*shape: int) -> In:
    return In(shape, "away0")


def D(*shape: int) -> In:
    return In(shape, "distinct")


def TIES(*shape: int) -> In:
    return In(shape, "ties")


def NAN(*shape: int) -> In:
    return In(shape, "nans")


def MASK(*shape: int) -> In:
    return In(shape, "mask")


def IDX(high: int, *shape: int) -> In:
    return In(shape, "index", high)


def T(*shape: int) -> In:
    """A non-contiguous (transposed) leaf of ``shape``."""
    return In(shape, "randn", layout="T")


def S(*shape: int) -> In:
    """A non-contiguous leaf of ``shape`` sliced with a step."""
    return In(shape, "randn", layout="step")


# ---------------------------------------------------------------- input generation
def _draw(rng: np.random.Generator, spec: In, shape: tuple[int, ...]) -> np.ndarray:
    n = int(np.prod(shape))
    k = spec.kind
    if k == "randn":
        return rng.standard_normal(shape)
    if k == "pos":
        return rng.uniform(0.5, 2.0, shape)
    if k == "pos0":
        x = rng.uniform(0.5, 2.0, n)
        x[:: 3] = 0.0
        return x.reshape(shape)
    if k == "away0":
        return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    if k == "distinct":
        return ((rng.permutation(n) - n / 2) * 0.37 + rng.uniform(-0.08, 0.08, n)).reshape(shape)
    if k == "ties":
        return rng.integers(-2, 3, shape).astype(np.float64)
    if k == "zeros":
        x = rng.standard_normal(n)
        x[rng.permutation(n)[: max(1, n // 4)]] = 0.0
        return x.reshape(shape)
    if k == "wide":
        return rng.standard_normal(shape) * 30.0
    if k == "unit":
        return rng.uniform(-0.9, 0.9, shape)
    if k == "const":
        return np.full(shape, 0.75)  # exact in binary: the mean is exactly 0.75 and the deviations exactly 0
    if k == "nans":
        x = rng.standard_normal(n)
        x[1::3] = np.nan
        return x.reshape(shape)
    if k == "index":
        return rng.integers(0, spec.high, shape, dtype=np.int64)
    # mask
    m = rng.random(n) < 0.5
    if n:
        m[0], m[-1] = True, n == 1
    return m.reshape(shape)


def base_array(rng: np.random.Generator, spec: In, dtype: Any) -> np.ndarray:
    """The array behind a leaf, before its layout view (a transposed or wider array for non-contiguous leaves)."""
    shape = spec.shape
    if spec.layout == "T":
        shape = shape[::-1]
    elif spec.layout == "step":
        shape = shape[:-1] + (2 * shape[-1],)
    a = _draw(rng, spec, shape)
    return a.astype(dtype) if spec.is_float else a


def layout_view(spec: In, base: np.ndarray) -> np.ndarray:
    """The leaf's array: a view of ``base`` with ``spec.shape`` (non-contiguous for "T" and "step")."""
    if spec.layout == "T":
        return base.T
    if spec.layout == "step":
        return base[..., ::2]
    return base


def case_rng(case: Case, salt: str = "") -> np.random.Generator:
    """A generator seeded by the case name, so that a case draws the same values whatever runs before it."""
    return np.random.default_rng(zlib.crc32((case.name + salt).encode()))


def make_arrays(case: Case, dtype: Any, contiguous: bool = False) -> list[np.ndarray]:
    """The input arrays of ``case`` (floats in ``dtype``), each in its layout unless ``contiguous``."""
    rng = case_rng(case)
    out = []
    for spec in case.inputs:
        base = base_array(rng, spec, dtype)
        out.append(layout_view(spec, base).copy(order="C") if contiguous else layout_view(spec, base))
    return out


# ================================================================ the table
_ELEMENTWISE_START = len(CASES)
# ---- arithmetic: tensor-tensor, broadcast, 0-d, Python scalars on either side, non-contiguous operands
C("add", lambda m, a, b: a + b, (3, 4), (3, 4))
C("add_bcast", lambda m, a, b: a + b, (3, 1), (1, 4))
C("add_bcast_rank", lambda m, a, b: a + b, (2, 3, 4), (4,))
C("add_0d", lambda m, a, b: a + b, (3, 4), ())
C("add_0d_0d", lambda m, a, b: a + b, (), ())
C("add_scalar", lambda m, a: a + 1.5, (3, 4))
C("radd_int", lambda m, a: 2 + a, (3, 4))
C("add_same", lambda m, a: a + a, (3, 4))
C("add_T", lambda m, a, b: a.T + b, (4, 3), (3, 4))
C("add_T_leaf", lambda m, a, b: a + b, T(3, 4), S(3, 4))
C("add_fn", lambda m, a, b: m.add(a, b, alpha=2.0), (3, 4), (4,))
C("sub", lambda m, a, b: a - b, (3, 4), (3, 4))
C("sub_bcast", lambda m, a, b: a - b, (2, 1, 4), (3, 1))
C("sub_scalar", lambda m, a: a - 0.5, (3, 4))
C("rsub", lambda m, a: 1.5 - a, (3, 4))
C("sub_step", lambda m, a, b: a[:, ::2] - b, (3, 8), (3, 4))
C("mul", lambda m, a, b: a * b, (3, 4), (3, 4))
C("mul_bcast", lambda m, a, b: a * b, (3, 1), (4,))
C("mul_0d", lambda m, a, b: a * b, (), (2, 3))
C("mul_scalar", lambda m, a: a * 2.5, (3, 4))
C("rmul_int", lambda m, a: 3 * a, (3, 4))
C("mul_self", lambda m, a: a * a, (3, 4))
C("mul_mT", lambda m, a, b: a.mT * b, (2, 4, 3), (3, 4))
C("div", lambda m, a, b: a / b, (3, 4), A0(3, 4))
C("div_bcast", lambda m, a, b: a / b, (2, 3, 4), A0(3, 1))
C("div_scalar", lambda m, a: a / 4.0, (3, 4))
C("rdiv", lambda m, a: 2.0 / a, A0(3, 4))
C("div_T_leaf", lambda m, a, b: a / b, T(3, 4), A0(4))
C("pow", lambda m, a, b: a ** b, P(3, 4), (3, 4))
C("pow_bcast", lambda m, a, b: a ** b, P(3, 1), (4,))
C("pow_2", lambda m, a: a ** 2, (3, 4))
C("pow_3", lambda m, a: a ** 3, (3, 4))
C("pow_half", lambda m, a: a ** 0.5, P(3, 4))
C("pow_neg_frac", lambda m, a: a ** -1.5, P(3, 4))
C("pow_neg_int", lambda m, a: a ** -2, A0(3, 4))
C("pow_0", lambda m, a: a ** 0, (3, 4))
C("pow_fn", lambda m, a: m.pow(a, 3.0), (3, 4))
C("rpow", lambda m, a: 2.0 ** a, (3, 4))
C("pow_base0", lambda m, a, b: a ** b, In((3, 4), "pos0"), In((3, 4), "pos"), gradcheck=False)
C("pow_0d_exp", lambda m, a, b: a ** b, P(3, 4), ())
C("neg", lambda m, a: -a, (3, 4))
C("neg_fn", lambda m, a: m.neg(a), S(3, 4))

# ---- unary math and activations
C("abs", lambda m, a: a.abs(), A0(3, 4))
C("abs_zero", lambda m, a: m.abs(a), In((3, 4), "zeros"), gradcheck=False)
C("exp", lambda m, a: a.exp(), (3, 4))
C("exp_0d", lambda m, a: m.exp(a), ())
C("exp_T", lambda m, a: a.T.exp(), (4, 3))
C("log", lambda m, a: a.log(), P(3, 4))
C("log_step", lambda m, a: m.log(a[:, ::2]), P(3, 8))
C("log1p", lambda m, a: a.log1p(), In((3, 4), "unit"))
C("sqrt", lambda m, a: a.sqrt(), P(3, 4))
C("rsqrt", lambda m, a: a.rsqrt(), P(3, 4))
C("sin", lambda m, a: a.sin(), (3, 4))
C("cos", lambda m, a: m.cos(a), T(3, 4))
C("tanh", lambda m, a: a.tanh(), (3, 4))
C("tanh_wide", lambda m, a: m.tanh(a), In((3, 4), "wide"))
C("sigmoid", lambda m, a: a.sigmoid(), (3, 4))
C("sigmoid_wide", lambda m, a: m.sigmoid(a), In((3, 4), "wide"))
C("relu", lambda m, a: a.relu(), A0(3, 4))
C("relu_ties", lambda m, a: m.relu(a), TIES(3, 4), gradcheck=False)
C("relu_step", lambda m, a: a[::2].relu(), A0(6, 4))
C("relu_nan", lambda m, a: a.relu(), NAN(3, 4), gradcheck=False)

# ---- maximum / minimum / clamp / where / masked_fill
C("maximum", lambda m, a, b: m.maximum(a, b), (3, 4), (3, 4))
C("maximum_bcast", lambda m, a, b: a.maximum(b), (3, 1), (4,))
C("maximum_ties", lambda m, a, b: m.maximum(a, b), TIES(3, 4), TIES(3, 4), gradcheck=False)
C("maximum_T", lambda m, a, b: m.maximum(a.T, b), (4, 3), S(3, 4))
C("maximum_nan", lambda m, a, b: m.maximum(a, b), NAN(3, 4), (3, 4), gradcheck=False)
C("minimum", lambda m, a, b: m.minimum(a, b), (3, 4), (3, 4))
C("minimum_nan", lambda m, a, b: m.minimum(a, b), (4,), NAN(3, 4), gradcheck=False)
C("minimum_ties", lambda m, a, b: a.minimum(b), TIES(3, 4), TIES(1, 4), gradcheck=False)
C("clamp", lambda m, a: a.clamp(-0.5, 0.5), (3, 4))
C("clamp_min", lambda m, a: a.clamp(min=0.1), (3, 4))
C("clamp_max", lambda m, a: m.clamp(a, max=-0.2), (3, 4))
C("clamp_ties", lambda m, a: a.clamp(-1.0, 1.0), TIES(4, 5), gradcheck=False)
C("clip", lambda m, a: m.clip(a, -0.5, 0.5), T(3, 4))
C("clamp_nan", lambda m, a: a.clamp(-0.5, 0.5), NAN(3, 4), gradcheck=False)
C("clamp_tensor", lambda m, a, lo, hi: a.clamp(lo - 1.0, hi + 1.0), (3, 4), (3, 4), (3, 4))
C("clamp_tensor_bcast", lambda m, a, lo, hi: m.clamp(a, lo - 0.5, hi + 0.5), (3, 4), (4,), (3, 1))
C("clamp_tensor_crossed", lambda m, a, lo, hi: a.clamp(lo, hi), D(4, 5), D(4, 5), D(4, 5))
C("clamp_tensor_min", lambda m, a, lo: a.clamp(min=lo), (3, 4), (4,))
C("clamp_tensor_max", lambda m, a, hi: a.clamp(max=hi), (3, 4), (3, 1))
C("clamp_tensor_ties", lambda m, a, lo, hi: a.clamp(lo, hi), TIES(4, 5), TIES(4, 5), TIES(4, 5), gradcheck=False)
C("where", lambda m, c, a, b: m.where(c, a, b), MASK(3, 4), (3, 4), (3, 4))
C("where_bcast", lambda m, c, a, b: m.where(c, a, b), MASK(3, 1), (3, 4), (4,))
C("where_scalar", lambda m, c, a: m.where(c, a, 0.5), MASK(3, 4), (3, 4))
C("where_scalar_first", lambda m, c, b: m.where(c, -1.0, b), MASK(3, 4), (3, 4))
C("where_method", lambda m, c, a, b: a.where(c, b), MASK(3, 4), T(3, 4), (3, 4))
C("masked_fill", lambda m, a, c: a.masked_fill(c, 1.5), (3, 4), MASK(3, 4))
C("masked_fill_bcast", lambda m, a, c: m.masked_fill(a, c, -2.0), (2, 3, 4), MASK(1, 4))
C("masked_fill_tensor", lambda m, a, c, v: a.masked_fill(c, v), (3, 4), MASK(3, 4), ())
C("masked_fill_step", lambda m, a, c: a.masked_fill(c, 0.0), S(3, 4), MASK(3, 4))

# ---- reductions: full, one dim, several dims, keepdim, negative dims, 0-d, size-1 dims, non-contiguous
C("sum", lambda m, a: a.sum(), (3, 4))
C("sum_dim", lambda m, a: a.sum(1), (3, 4))
C("sum_neg_dim", lambda m, a: m.sum(a, -1), (2, 3, 4))
C("sum_dims_keepdim", lambda m, a: a.sum((0, 2), keepdim=True), (2, 3, 4))
C("sum_keepdim", lambda m, a: a.sum(0, keepdim=True), (3, 4))
C("sum_0d", lambda m, a: a.sum(), ())
C("sum_size1", lambda m, a: a.sum(1), (3, 1, 4))
C("sum_T", lambda m, a: a.T.sum(0), (3, 4))
C("sum_mT_leaf", lambda m, a: a.mT.sum(-1), T(2, 3, 4))
C("sum_step", lambda m, a: a.sum(0), S(3, 4))
C("sum_empty", lambda m, a: a.sum(1), (2, 0))
C("sum_empty_all", lambda m, a: a.sum(), (0, 3))
C("mean", lambda m, a: a.mean(), (3, 4))
C("mean_dim", lambda m, a: m.mean(a, 0), (3, 4))
C("mean_dims_keepdim", lambda m, a: a.mean((-1, 0), keepdim=True), (2, 3, 4))
C("mean_0d", lambda m, a: a.mean(), ())
C("mean_step", lambda m, a: a[:, ::2].mean(1), (3, 8))
C("mean_T_leaf", lambda m, a: a.mean(1), T(3, 4))
C("var", lambda m, a: a.var(), (3, 4))
C("var_dim_c0", lambda m, a: a.var(1, correction=0), (3, 4))
C("var_dim_c1_keepdim", lambda m, a: a.var(0, correction=1, keepdim=True), (3, 4))
C("var_dims", lambda m, a: m.var(a, (0, 2), keepdim=True), (2, 3, 4))
C("var_unbiased_false", lambda m, a: a.var(1, unbiased=False), (3, 4))
C("var_T", lambda m, a: a.T.var(0), (3, 4))
C("std", lambda m, a: a.std(), (3, 4))
C("std_dim_c0", lambda m, a: a.std(1, correction=0), (3, 4))
C("std_dims_keepdim", lambda m, a: m.std(a, (1, 2), keepdim=True), (2, 3, 4))
C("std_step", lambda m, a: a.std(0), S(3, 4))
C("std_const", lambda m, a: a.std(1), In((3, 4), "const"), gradcheck=False)
C("std_const_all", lambda m, a: m.std(a, correction=0), In((2, 3), "const"), gradcheck=False)
C("norm", lambda m, a: a.norm(), (3, 4))
C("norm_dim", lambda m, a: a.norm(dim=1, keepdim=True), (3, 4))
C("norm_p1", lambda m, a: a.norm(1, dim=0), A0(3, 4))
C("norm_p3", lambda m, a: a.norm(3, dim=1), A0(3, 4))
C("norm_inf", lambda m, a: a.norm(float("inf")), D(3, 4))
C("norm_zero", lambda m, a: (a * 0.0).norm(dim=1), (3, 4), gradcheck=False)
C("max", lambda m, a: a.max(), D(3, 4))
C("max_ties", lambda m, a: m.max(a), TIES(3, 4), gradcheck=False)
C("max_dim", lambda m, a: a.max(1), D(3, 4))
C("max_dim_keepdim", lambda m, a: m.max(a, 0, keepdim=True), D(3, 4))
C("max_dim_ties", lambda m, a: a.max(1), TIES(4, 6), gradcheck=False)
C("max_dim_T", lambda m, a: a.T.max(0), D(4, 3))
C("max_dim_0d", lambda m, a: a.max(0), ())
C("max_binary", lambda m, a, b: m.max(a, b), (3, 4), (4,))
C("max_nan", lambda m, a: a.max(), NAN(3, 4), gradcheck=False)
C("max_dim_nan", lambda m, a: a.max(1), NAN(3, 4), gradcheck=False)
C("amax_nan", lambda m, a: a.amax(1), NAN(4, 3), gradcheck=False)
C("min_nan", lambda m, a: m.min(a), NAN(2, 3), gradcheck=False)
C("min", lambda m, a: m.min(a), D(3, 4))
C("min_dim", lambda m, a: a.min(-1), D(2, 3, 4))
C("min_dim_ties", lambda m, a: a.min(0, keepdim=True), TIES(6, 4), gradcheck=False)
C("amax", lambda m, a: a.amax(1), D(3, 4))
C("amax_dims_keepdim", lambda m, a: m.amax(a, (0, 2), keepdim=True), D(2, 3, 4))
C("amax_all", lambda m, a: a.amax(), D(3, 4))
C("amax_ties", lambda m, a: a.amax(1), TIES(4, 6), gradcheck=False)
C("amax_step", lambda m, a: a.amax(0), In((3, 4), "distinct", layout="step"))
C("amin", lambda m, a: m.amin(a, 0), D(3, 4))
C("amin_ties", lambda m, a: a.amin((0, 1)), TIES(4, 6), gradcheck=False)
C("argmax", lambda m, a: a.argmax(), D(3, 4), grad=False)
C("argmax_dim", lambda m, a: m.argmax(a, 1), D(3, 4), grad=False)
C("argmax_keepdim", lambda m, a: a.argmax(0, keepdim=True), D(3, 4), grad=False)
C("argmax_ties", lambda m, a: a.argmax(1), TIES(4, 6), grad=False)
C("argmin", lambda m, a: m.argmin(a), D(3, 4), grad=False)
C("argmin_dim_T", lambda m, a: a.T.argmin(-1), D(3, 4), grad=False)
C("argmin_ties", lambda m, a: a.argmin(), TIES(4, 6), grad=False)
C("logsumexp", lambda m, a: m.logsumexp(a, 1), (3, 4))
C("logsumexp_dims_keepdim", lambda m, a: a.logsumexp((0, 2), keepdim=True), (2, 3, 4))
C("logsumexp_wide", lambda m, a: m.logsumexp(a * 40, 0), (3, 4))
C("logsumexp_T", lambda m, a: a.logsumexp(0), T(3, 4))
C("prod", lambda m, a: a.prod(), In((2, 3), "unit"))
C("prod_dim", lambda m, a: a.prod(1), (3, 4))
C("prod_dim_keepdim", lambda m, a: m.prod(a, 0, keepdim=True), (3, 4))
C("prod_zero", lambda m, a: a.prod(1), In((3, 4), "zeros"))
C("prod_zeros_all", lambda m, a: a.prod(), In((2, 4), "zeros"))
C("prod_two_zeros", lambda m, a: (a * m.tensor([[0.0, 1.0, 0.0], [1.0, 1.0, 1.0]], dtype=a.dtype)).prod(1), (2, 3))
C("prod_T", lambda m, a: a.T.prod(1), (3, 4))
C("prod_0d_dim", lambda m, a: a.prod(0), ())
C("prod_0d", lambda m, a: m.prod(a), ())
C("prod_empty", lambda m, a: a.prod(1), (2, 0))
C("cumsum", lambda m, a: a.cumsum(1), (3, 4))
C("cumsum_0", lambda m, a: m.cumsum(a, 0), (3, 4))
C("cumsum_neg", lambda m, a: a.cumsum(-2), (2, 3, 4))
C("cumsum_step", lambda m, a: a.cumsum(0), S(3, 4))

# ---- softmax family
C("softmax", lambda m, a: m.softmax(a, 1), (3, 4))
C("softmax_dim0", lambda m, a: a.softmax(0), (3, 4))
C("softmax_3d", lambda m, a: m.softmax(a, -1), (2, 3, 4))
C("softmax_wide", lambda m, a: m.softmax(a, 1), In((3, 4), "wide"))
C("softmax_T", lambda m, a: a.T.softmax(1), (4, 3))
C("log_softmax", lambda m, a: m.log_softmax(a, 1), (3, 4))
C("log_softmax_dim0", lambda m, a: a.log_softmax(0), (2, 3, 4))
C("log_softmax_wide", lambda m, a: a.log_softmax(-1), In((3, 4), "wide"))
C("log_softmax_step", lambda m, a: m.log_softmax(a, 1), S(3, 4))


# ---- other pointwise composites
C("log2", lambda m, a: a.log2(), P(3, 4))
C("log10", lambda m, a: m.log10(a), P(3, 4))
C("expm1", lambda m, a: a.expm1(), (3, 4))
C("square", lambda m, a: m.square(a), (3, 4))
C("reciprocal", lambda m, a: a.reciprocal(), A0(3, 4))
C("tan", lambda m, a: a.tan(), In((3, 4), "unit"))
C("rounding", lambda m, a: a.floor() + a.ceil() * 2 + m.round(a) * 3 + a.trunc() * 4 + a.sign() * 5, (3, 4),
  gradcheck=False)
C("round_decimals", lambda m, a: a.round(decimals=1), (3, 4), gradcheck=False)
C("frac", lambda m, a: a.frac(), In((3, 4), "wide"))
C("remainder", lambda m, a, b: a % b, In((3, 4), "wide"), P(3, 4))
C("remainder_scalar", lambda m, a: m.remainder(a, -0.7), In((3, 4), "wide"))
C("div_floor", lambda m, a: a.div(0.7, rounding_mode="floor"), In((3, 4), "wide"), gradcheck=False)
C("div_trunc", lambda m, a, b: m.div(a, b, rounding_mode="trunc"), In((3, 4), "wide"), A0(3, 4), gradcheck=False)
C("lerp", lambda m, a, b: m.lerp(a, b, 0.3), (3, 4), (4,))
C("lerp_tensor_weight", lambda m, a, b, w: a.lerp(b, w), (3, 4), (3, 4), (3, 1))
C("addcmul", lambda m, a, b, c: m.addcmul(a, b, c, value=0.5), (3, 4), (3, 4), (4,))
C("addcdiv", lambda m, a, b, c: a.addcdiv(b, c, value=-2.0), (3, 4), (3, 4), A0(3, 4))
C("nan_to_num", lambda m, a: a.nan_to_num(), NAN(3, 4), gradcheck=False)
C("nan_to_num_values", lambda m, a: m.nan_to_num(a, nan=1.5), NAN(3, 4), gradcheck=False)
C("nansum", lambda m, a: a.nansum(), NAN(3, 4), gradcheck=False)
C("nansum_dim", lambda m, a: m.nansum(a, 1), NAN(3, 4), gradcheck=False)

# ---- ops/special.py: inverse trigonometric and hyperbolic functions, atan2, hypot, fmod, remainder, logit, xlogy,
# logaddexp. Differentiable rows keep away from the poles (|x| < 0.9 for asin/acos/atanh, x >= 1.5 for acosh); the
# integer rows check the promotion to float32 and the inf/nan values at and beyond the domain edges.
C("asin", lambda m, a: a.asin(), In((3, 4), "unit"))
C("acos", lambda m, a: m.acos(a), In((3, 4), "unit"))
C("atan", lambda m, a: a.atan(), In((3, 4), "wide"))
C("sinh", lambda m, a: m.sinh(a), (3, 4))
C("cosh", lambda m, a: a.cosh(), (3, 4))
C("asinh", lambda m, a: m.asinh(a), In((3, 4), "wide"))
C("acosh", lambda m, a: (a + 1.0).acosh(), P(3, 4))
C("atanh", lambda m, a: m.atanh(a), In((3, 4), "unit"))
C("arc_aliases", lambda m, a: m.arcsin(a) + m.arccos(a) * 2 + a.arctan() * 3 + m.arcsinh(a) * 4 + a.arctanh() * 5
  + (a + 2.0).arccosh() * 6, In((3, 4), "unit"))
C("trig_int", lambda m, i: m.asin(i) + m.acos(i) + m.atan(i) + m.sinh(i) + m.cosh(i) + m.asinh(i), IDX(2, 3, 4),
  grad=False)
C("domain_edges_int", lambda m, i: m.stack([m.acosh(i), m.atanh(i), i.logit(), m.asin(i)]), IDX(3, 3, 4), grad=False)
C("atan2", lambda m, a, b: m.atan2(a, b), (3, 4), (3, 4))
C("atan2_bcast", lambda m, a, b: a.arctan2(b), (3, 1), (4,))
C("atan2_origin", lambda m, a, b: m.arctan2(a, b), TIES(4, 5), TIES(4, 5), gradcheck=False)  # gradient 0 at (0, 0)
C("atan2_int", lambda m, i, j: m.atan2(i - 1, j - 1), IDX(3, 3, 4), IDX(3, 3, 4), grad=False)
C("hypot", lambda m, a, b: m.hypot(a, b), (3, 4), (4,))
C("hypot_T", lambda m, a, b: a.hypot(b.T), (3, 4), (4, 3))
C("fmod", lambda m, a, b: m.fmod(a, b), In((3, 4), "wide"), A0(3, 4))
C("fmod_scalar", lambda m, a: a.fmod(-0.7), In((3, 4), "wide"))
C("fmod_int", lambda m, i: m.fmod(i - 5, 3), IDX(10, 3, 4), grad=False)  # the sign of the dividend
C("fmod_int_tensor", lambda m, i, j: (i - 5).fmod(-(j + 1)), IDX(10, 3, 4), IDX(4, 3, 4), grad=False)
C("fmod_int_float", lambda m, i: m.fmod(i - 5, 2.5), IDX(10, 3, 4), grad=False)  # int and float: float32
C("remainder_fn", lambda m, a, b: m.remainder(a, b), In((3, 4), "wide"), A0(3, 4))
C("remainder_int", lambda m, i: (i - 5).remainder(-3), IDX(10, 3, 4), grad=False)  # the sign of the divisor
C("logit", lambda m, a: (a * 0.5 + 0.5).logit(), In((3, 4), "unit"))
C("logit_eps", lambda m, a: m.logit(a, eps=0.2), In((3, 4), "unit"))  # clamped outside [0.2, 0.8]: gradient 0
C("logit_nan", lambda m, a: m.logit(a), (3, 4), gradcheck=False)  # nan value and gradient outside [0, 1]
C("xlogy", lambda m, a, b: m.xlogy(a, b), (3, 4), P(3, 4))
C("xlogy_zeros", lambda m, a, b: a.xlogy(b), In((3, 4), "zeros"), In((3, 4), "pos0"), gradcheck=False)  # 0 log 0
C("xlogy_nan", lambda m, a, b: m.xlogy(a, b), In((3, 4), "zeros"), NAN(3, 4), gradcheck=False)  # 0 log nan = nan
C("xlogy_scalars", lambda m, a: m.xlogy(a, 3.0) + m.xlogy(2.0, a.abs()), (3, 4))
C("xlogy_int", lambda m, i, j: m.xlogy(i, j), IDX(3, 3, 4), IDX(3, 3, 4), grad=False)
C("logaddexp", lambda m, a, b: m.logaddexp(a, b), In((3, 4), "wide"), (4,))
C("logaddexp_nan", lambda m, a, b: a.logaddexp(b), NAN(3, 4), (3, 4), gradcheck=False)
_ELEMENTWISE_END = len(CASES)

# ---- matmul
C("matmul_dot", lambda m, a, b: a @ b, (3,), (3,))
C("matmul_vec_mat", lambda m, a, b: a @ b, (3,), (3, 4))
C("matmul_mat_vec", lambda m, a, b: a @ b, (3, 4), (4,))
C("matmul_2d", lambda m, a, b: a @ b, (2, 3), (3, 4))
C("matmul_batched", lambda m, a, b: m.matmul(a, b), (5, 2, 3), (5, 3, 4))
C("matmul_bcast_batch", lambda m, a, b: a @ b, (2, 1, 3, 4), (5, 4, 2))
C("matmul_batched_mat", lambda m, a, b: a @ b, (2, 3, 4), (4, 5))
C("matmul_mat_batched", lambda m, a, b: a.matmul(b), (3, 4), (2, 4, 5))
C("matmul_batched_vec", lambda m, a, b: a @ b, (2, 3, 4), (4,))
C("matmul_vec_batched", lambda m, a, b: a @ b, (3,), (2, 3, 4))
C("matmul_T", lambda m, a, b: a.T @ b.mT, (3, 2), (4, 3))
C("matmul_T_leaf", lambda m, a, b: a @ b, T(2, 3), S(3, 4))
C("mm", lambda m, a, b: m.mm(a, b), (2, 3), (3, 4))
C("bmm", lambda m, a, b: m.bmm(a, b), (2, 2, 3), (2, 3, 4))

# ---- shape and layout
C("reshape", lambda m, a: a.reshape(2, 6), (3, 4))
C("reshape_infer", lambda m, a: m.reshape(a, (-1, 3)), (2, 2, 3))
C("reshape_0d", lambda m, a: a.reshape(1, 1), ())
C("reshape_to_0d", lambda m, a: a.reshape(()), (1, 1))
C("reshape_T", lambda m, a: a.T.reshape(12), (3, 4))
C("view", lambda m, a: a.view(4, 3), (3, 4))
C("view_infer", lambda m, a: a.view(-1), (2, 3, 4))
C("flatten", lambda m, a: a.flatten(), (2, 3, 4))
C("flatten_1", lambda m, a: m.flatten(a, 1), (2, 3, 4))
C("flatten_0_1", lambda m, a: a.flatten(0, 1), (2, 3, 4))
C("flatten_0d", lambda m, a: a.flatten(), ())
C("squeeze", lambda m, a: a.squeeze(), (3, 1, 4, 1))
C("squeeze_dim", lambda m, a: m.squeeze(a, 1), (3, 1, 4))
C("squeeze_dims", lambda m, a: a.squeeze((1, 3)), (3, 1, 4, 1))
C("squeeze_noop", lambda m, a: a.squeeze(0), (3, 4))
C("unsqueeze", lambda m, a: a.unsqueeze(0), (3, 4))
C("unsqueeze_neg", lambda m, a: m.unsqueeze(a, -1), (3, 4))
C("unsqueeze_mid", lambda m, a: a.unsqueeze(1), (3, 4))
C("permute", lambda m, a: a.permute(2, 0, 1), (2, 3, 4))
C("permute_fn", lambda m, a: m.permute(a, (1, 0, 2)), (2, 3, 4))
C("transpose", lambda m, a: a.transpose(0, 2), (2, 3, 4))
C("transpose_fn", lambda m, a: m.transpose(a, -1, -2), (2, 3, 4))
C("T_2d", lambda m, a: a.T, (3, 4))
C("mT_3d", lambda m, a: a.mT, (2, 3, 4))
C("expand", lambda m, a: a.expand(3, 4, 5), (4, 1))
C("expand_infer", lambda m, a: a.expand(2, -1, 4), (3, 1))
C("expand_0d", lambda m, a: a.expand(2, 3), ())
C("repeat", lambda m, a: a.repeat(2, 1, 3), (2, 3))
C("repeat_same_rank", lambda m, a: a.repeat(2, 2), (3, 1))
C("flip", lambda m, a: a.flip(0), (3, 4))
C("flip_dims", lambda m, a: m.flip(a, (0, 2)), (2, 3, 4))
C("clone", lambda m, a: a.T.clone(), (3, 4))
C("contiguous", lambda m, a: a.T.contiguous(), (3, 4))

# ---- indexing: ints, slices (incl. negative step), None, Ellipsis, integer arrays with repeats, boolean masks
C("getitem_int", lambda m, a: a[1], (3, 4))
C("getitem_neg_int", lambda m, a: a[-1], (3, 4))
C("getitem_int_int", lambda m, a: a[1, 2], (3, 4))
C("getitem_slice", lambda m, a: a[1:3], (4, 5))
C("getitem_slice_step", lambda m, a: a[:, 1::2], (3, 5))
C("getitem_neg_step", lambda m, a: a[::-2], (5, 3), torch_fn=lambda m, a: a.flip(0)[::2])
C("getitem_neg_step_last", lambda m, a: a[..., ::-1], (2, 3, 4), torch_fn=lambda m, a: a.flip(-1))
C("getitem_none", lambda m, a: a[None, 1], (3, 4))
C("getitem_none_mid", lambda m, a: a[:, None, ::2], (3, 4))
C("getitem_ellipsis", lambda m, a: a[..., 1], (2, 3, 4))
C("getitem_ellipsis_none", lambda m, a: a[1, ..., None], (2, 3, 4))
C("getitem_list_repeat", lambda m, a: a[[0, 2, 2, 0]], (3, 4))
C("getitem_tensor_repeat", lambda m, a: a[m.tensor([1, 1, -1])], (3, 4))
C("getitem_cols_repeat", lambda m, a: a[:, [1, 1, 3]], (3, 4))
C("getitem_pairs_repeat", lambda m, a: a[[0, 1, 1, 0], [2, 2, 3, 2]], (3, 4))
C("getitem_2d_index", lambda m, a: a[m.tensor([[0, 2], [2, 2]])], (3, 4))
C("getitem_index_spec", lambda m, a, i: a[i], (5, 2), IDX(5, 7))
C("getitem_int_and_array", lambda m, a: a[1, ..., [0, 0, 2]], (2, 3, 4))
C("getitem_mask", lambda m, a, c: a[c], (3, 4), MASK(3, 4))
C("getitem_mask_rows", lambda m, a, c: a[c], (4, 3), MASK(4))
C("getitem_mask_then_slice", lambda m, a, c: a[c, 1:], (4, 3), MASK(4))
C("getitem_mask_T", lambda m, a, c: a.T[c], (4, 3), MASK(3, 4))
C("getitem_T_leaf", lambda m, a: a[1:, [0, 0]], T(3, 4))
C("getitem_0d_ellipsis", lambda m, a: a[...], ())
C("getitem_array_int_apart", lambda m, a: a[[0, 1, 1], :, 1], (2, 3, 4))
C("getitem_int_mask_array", lambda m, a: a[1, None, [True, False, True], [0, 3]], (2, 3, 4))
C("getitem_array_none_int", lambda m, a: a[[1, 0], None, :, 2], (2, 3, 4))
C("getitem_empty_list", lambda m, a: a[[]], (3, 2))
C("getitem_rows_repeat_wide", lambda m, a: a[m.tensor([3, 0, 3, 1, 3, -1])], (5, 64))
C("getitem_rows_mostly_repeat", lambda m, a: a[m.tensor([1, 1, 1, 1, 2, 1, 1, 2])], (4, 40))
C("getitem_rows_repeat_narrow", lambda m, a: a[m.tensor([[0, 2, 2], [1, 0, 2]] * 20)], (3, 8))
C("getitem_rows_unique_wide", lambda m, a: a[m.tensor([4, 0, 2])], (5, 100))
C("index_put_acc_wide", lambda m, a: a.index_put((m.tensor([1, 1, 0, 1]),), a[:4] * 2, accumulate=True), (4, 80))
C("narrow", lambda m, a: a.narrow(1, 1, 2), (3, 4))
C("select", lambda m, a: a.select(1, -1), (3, 4))
C("unbind", lambda m, a: a.unbind(1), (3, 4))

# ---- joining and splitting
C("cat", lambda m, a, b: m.cat([a, b], 1), (3, 2), (3, 4))
C("cat_dim0_three", lambda m, a, b, c: m.cat([a, b, c]), (1, 4), (3, 4), (2, 4))
C("cat_neg_dim", lambda m, a, b: m.cat((a, b), -1), (2, 3, 1), T(2, 3, 2))
C("cat_same", lambda m, a: m.cat([a, a], 0), (2, 3))
C("stack", lambda m, a, b: m.stack([a, b]), (3, 4), (3, 4))
C("stack_dim1", lambda m, a, b, c: m.stack([a, b, c], 1), (3, 4), (3, 4), S(3, 4))
C("stack_neg_dim", lambda m, a, b: m.stack((a, b), -1), (3, 4), (3, 4))
C("stack_0d", lambda m, a, b: m.stack([a, b]), (), ())
C("split", lambda m, a: a.split(2, 1), (3, 5))
C("split_sizes", lambda m, a: m.split(a, [1, 3], 1), (3, 4))
C("split_dim0", lambda m, a: a.split(2), (5, 2))
C("chunk", lambda m, a: a.chunk(3, 1), (3, 5))
C("chunk_even", lambda m, a: m.chunk(a, 2, 0), (4, 3))
C("chunk_more_than_size", lambda m, a: a.chunk(4, 1), (2, 3))

# ---- padding, gather, index_select, one_hot, triangles
C("pad", lambda m, a: m.nn.functional.pad(a, (1, 2)), (3, 4))
C("pad_2d", lambda m, a: m.nn.functional.pad(a, (1, 1, 2, 0)), (2, 3, 4))
C("pad_value", lambda m, a: m.nn.functional.pad(a, (0, 1, 1, 0), value=1.5), (3, 4))
C("pad_neg", lambda m, a: m.nn.functional.pad(a, (-1, 2)), (3, 4))
C("pad_neg_both", lambda m, a: m.nn.functional.pad(a, (1, -2, -1, 1)), (3, 4))
C("pad_crop_only", lambda m, a: m.nn.functional.pad(a, (0, 0, -1, -1)), (4, 3))
C("pad_T", lambda m, a: m.nn.functional.pad(a.T, (2, 0)), (3, 4))
C("gather", lambda m, a, i: a.gather(1, i), (3, 4), IDX(4, 3, 6))
C("gather_dim0", lambda m, a, i: m.gather(a, 0, i), (3, 4), IDX(3, 5, 4))
C("gather_smaller", lambda m, a, i: a.gather(1, i), (3, 4), IDX(4, 2, 3))
C("gather_3d", lambda m, a, i: a.gather(-1, i), (2, 3, 4), IDX(4, 2, 3, 5))
C("gather_T", lambda m, a, i: a.T.gather(0, i), (3, 4), IDX(4, 5, 3))
C("gather_0d", lambda m, a: a.gather(0, m.tensor(0)), ())
C("index_select", lambda m, a: a.index_select(0, m.tensor([0, 2, 2])), (3, 4))
C("index_select_dim1", lambda m, a, i: m.index_select(a, 1, i), (3, 4), IDX(4, 6))
C("index_select_neg_dim", lambda m, a, i: a.index_select(-1, i), (2, 3, 4), IDX(4, 5))
C("one_hot", lambda m, i: m.nn.functional.one_hot(i, 5), IDX(5, 3, 4), grad=False)
C("one_hot_infer", lambda m, i: m.nn.functional.one_hot(i), IDX(4, 6), grad=False)
C("tril", lambda m, a: m.tril(a), (3, 4))
C("triu_diag", lambda m, a: m.triu(a, 1), (4, 3))

C("take_along_dim", lambda m, a, i: m.take_along_dim(a, i, 1), (3, 4), IDX(4, 3, 5))
C("masked_select", lambda m, a, c: a.masked_select(c), (3, 4), MASK(3, 4))
C("masked_select_bcast", lambda m, a, c: m.masked_select(a, c), (3, 4), MASK(4))
C("hstack", lambda m, a, b: m.hstack([a, b]), (2, 3), (2, 1))
C("vstack", lambda m, a, b: m.vstack([a, b]), (3,), (2, 3))
C("diag_from_vector", lambda m, a: m.diag(a, 1), (3,))
C("diag_of_matrix", lambda m, a: m.diag(a, -1), (3, 4))
C("outer", lambda m, a, b: m.outer(a, b), (3,), (4,))
C("mv", lambda m, a, b: m.mv(a, b), (2, 3), (3,))
C("dot", lambda m, a, b: m.dot(a, b), (3,), (3,))
C("meshgrid", lambda m, a, b: m.meshgrid(a, b, indexing="ij"), (2,), (3,))
C("meshgrid_xy", lambda m, a, b: m.meshgrid(a, b, indexing="xy"), (2,), (3,))
C("broadcast_tensors", lambda m, a, b: m.broadcast_tensors(a, b), (3, 1), (4,))
C("unflatten", lambda m, a: a.unflatten(1, (2, -1)), (3, 6))
C("movedim", lambda m, a: m.movedim(a, (0, 1), (2, 0)), (2, 3, 4))
C("tile", lambda m, a: a.tile(2), (2, 3))
C("swapaxes", lambda m, a: m.swapaxes(a, 0, 1), (2, 3))

# ---- scatter family (ops/scatter.py) and index_add / index_copy / index_fill (IndexPut)
_UNIQ = [[0, 2], [3, 1], [1, 0]]  # distinct positions within each row: a plain scatter is then deterministic
C("scatter", lambda m, a, s: a.scatter(1, m.tensor(_UNIQ), s), (3, 4), (3, 2))
C("scatter_dim0", lambda m, a, s: m.scatter(a, 0, m.tensor([[2, 0, 1, 0]]), s), (3, 4), (1, 4))
C("scatter_value", lambda m, a: a.scatter(1, m.tensor(_UNIQ), value=-1.5), (3, 4))
C("scatter_3d", lambda m, a, s: a.scatter(-1, m.tensor([[[1, 0]], [[0, 2]]]), s), (2, 3, 3), (2, 1, 2))
C("scatter_", lambda m, a, s: a.clone().scatter_(1, m.tensor(_UNIQ), s), (3, 4), (3, 2))
C("scatter_add", lambda m, a, s, i: a.scatter_add(1, i, s), (3, 4), (3, 5), IDX(4, 3, 5))
C("scatter_add_fn_dim0", lambda m, a, s, i: m.scatter_add(a, 0, i, s), (3, 4), (6, 4), IDX(3, 6, 4))
C("scatter_add_T", lambda m, a, s, i: a.scatter_add(0, i, s), T(4, 3), S(2, 3), IDX(4, 2, 3))
C("scatter_add_", lambda m, a, s, i: a.clone().scatter_add_(1, i, s), (2, 3), (2, 4), IDX(3, 2, 4))
C("scatter_reduce_sum_excl", lambda m, a, s, i: a.scatter_reduce(1, i, s, "sum", include_self=False), (3, 4),
  (3, 5), IDX(4, 3, 5))
C("scatter_reduce_mean", lambda m, a, s, i: m.scatter_reduce(a, 1, i, s, "mean"), (3, 4), (3, 5), IDX(4, 3, 5))
C("scatter_reduce_mean_excl", lambda m, a, s, i: a.scatter_reduce(0, i, s, "mean", include_self=False), (4, 3),
  (5, 3), IDX(4, 5, 3))
C("scatter_reduce_prod", lambda m, a, s, i: a.scatter_reduce(1, i, s, "prod"), P(3, 4), P(3, 5), IDX(4, 3, 5))
C("scatter_reduce_prod_zeros", lambda m, a, s, i: a.scatter_reduce(1, i, s, "prod"), In((3, 4), "pos0"),
  In((3, 6), "pos0"), IDX(4, 3, 6))
C("scatter_reduce_prod_excl", lambda m, a, s, i: a.scatter_reduce(1, i, s, "prod", include_self=False), P(3, 4),
  In((3, 6), "pos0"), IDX(4, 3, 6))
C("scatter_reduce_amax", lambda m, a, s, i: a.scatter_reduce(1, i, s, "amax"), D(3, 4), D(3, 5), IDX(4, 3, 5))
C("scatter_reduce_amin_excl", lambda m, a, s, i: a.scatter_reduce(1, i, s, "amin", include_self=False), D(3, 4),
  D(3, 5), IDX(4, 3, 5))
# ties: the gradient is split evenly among the values equal to the result (kinks: no finite differences)
C("scatter_reduce_amax_ties", lambda m, a, s, i: a.scatter_reduce(1, i, s, "amax"), TIES(3, 4), TIES(3, 6),
  IDX(4, 3, 6), gradcheck=False)
C("scatter_reduce_amin_ties_excl", lambda m, a, s, i: a.scatter_reduce(0, i, s, "amin", include_self=False),
  TIES(3, 4), TIES(6, 4), IDX(3, 6, 4), gradcheck=False)
C("scatter_reduce_", lambda m, a, s, i: a.clone().scatter_reduce_(1, i, s, "amax"), D(2, 3), D(2, 4), IDX(3, 2, 4))
C("index_add", lambda m, a, s: a.index_add(0, m.tensor([0, 2, 0]), s, alpha=2.0), (4, 3), (3, 3))
C("index_add_dim1", lambda m, a, s, i: m.index_add(a, 1, i, s), (3, 4), (3, 6), IDX(4, 6))
C("index_add_", lambda m, a, s: a.clone().index_add_(-1, m.tensor([1, 1]), s), (2, 3), (2, 2))
C("index_copy", lambda m, a, s: a.index_copy(0, m.tensor([3, 1, 0]), s), (4, 3), (3, 3))
C("index_copy_dim1", lambda m, a, s: m.index_copy(a, 1, m.tensor([2, 0]), s), (3, 4), (3, 2))
C("index_fill", lambda m, a: a.index_fill(1, m.tensor([0, -1, 0]), -2.0), (3, 4))
C("index_fill_tensor_value", lambda m, a, v: m.index_fill(a, 0, m.tensor([2, 0]), v), (3, 4), ())
C("index_fill_", lambda m, a: a.clone().index_fill_(0, m.tensor([1]), 3.0), (3, 4))
# src larger than index: only its leading block is read. torch refuses the backward there ("invalid gradient"), so
# its spelling slices the block first; chainrule's gradient is the same block, zero-padded to src's shape
C("scatter_src_larger", lambda m, a, s: a.scatter(0, m.tensor([[2, 0, 1]]), s), (3, 4), (2, 5),
  torch_fn=lambda m, a, s: a.scatter(0, m.tensor([[2, 0, 1]]), s[:1, :3]))
C("scatter_reduce_src_larger", lambda m, a, s, i: a.scatter_reduce(1, i, s, "mean"), (3, 4), (4, 6), IDX(4, 3, 5),
  torch_fn=lambda m, a, s, i: a.scatter_reduce(1, i, s[:3, :5], "mean"))
C("scatter_0d", lambda m, a, s: m.scatter(a, 0, m.tensor(0), s), (), ())
C("scatter_reduce_0d", lambda m, a, s: a.scatter_reduce(0, m.tensor(0), s, "amax"), D(), D())
C("index_add_0d", lambda m, a, s: a.index_add(0, m.tensor([0]), s), (), ())
C("scatter_reduce_mean_int", lambda m, a, s, i: a.scatter_reduce(0, i, s, "mean"), IDX(9, 4), IDX(9, 5), IDX(4, 5),
  grad=False)
C("scatter_reduce_amax_int_excl", lambda m, a, s, i: a.scatter_reduce(0, i, s, "amin", include_self=False),
  IDX(9, 4), IDX(9, 5), IDX(4, 5), grad=False)
C("scatter_bool_value", lambda m, c, i: c.scatter(0, i, True), MASK(4, 3), IDX(4, 2, 3), grad=False)

# ---- sort and top-k (distinct values: the order is unambiguous)
C("sort", lambda m, a: a.sort(1), D(3, 4))
C("sort_desc", lambda m, a: m.sort(a, 0, descending=True), D(3, 4))
C("topk", lambda m, a: a.topk(2, 1), D(3, 5))
C("topk_smallest", lambda m, a: m.topk(a, 3, 0, largest=False), D(4, 2))
C("argsort", lambda m, a: a.argsort(1, descending=True), D(3, 4), grad=False)

# ---- einsum
C("einsum_mm", lambda m, a, b: m.einsum("ij,jk->ik", a, b), (2, 3), (3, 4))
C("einsum_bmm", lambda m, a, b: m.einsum("bij,bjk->bik", a, b), (2, 2, 3), (2, 3, 4))
C("einsum_trace", lambda m, a: m.einsum("ii->", a), (3, 3))
C("einsum_diag", lambda m, a: m.einsum("ii->i", a), (3, 3))
C("einsum_outer", lambda m, a, b: m.einsum("i,j->ij", a, b), (3,), (4,))
C("einsum_transpose", lambda m, a: m.einsum("ij->ji", a), (3, 4))
C("einsum_ellipsis", lambda m, a: m.einsum("...ij->...ji", a), (2, 3, 4))
C("einsum_ellipsis_bcast", lambda m, a, b: m.einsum("...ij,...jk->...ik", a, b), (2, 3, 4), (4, 5))
C("einsum_sum_letter", lambda m, a: m.einsum("ij->i", a), (3, 4))
C("einsum_sum_all", lambda m, a: m.einsum("ijk->", a), (2, 3, 4))
C("einsum_implicit", lambda m, a, b: m.einsum("ij,jk", a, b), (2, 3), (3, 4))
C("einsum_sum_only_in_one", lambda m, a, b: m.einsum("ij,k->ik", a, b), (2, 3), (4,))
C("einsum_three", lambda m, a, b, c: m.einsum("ij,jk,kl->il", a, b, c), (2, 3), (3, 4), (4, 2))
C("einsum_list", lambda m, a, b: m.einsum("i,i->", [a, b]), (4,), (4,))
C("einsum_T", lambda m, a, b: m.einsum("ij,jk->ik", a.T, b), (3, 2), S(3, 4))
C("einsum_size1_bcast", lambda m, a, b: m.einsum("ij,ij->i", a, b), (3, 1), (3, 4))
C("einsum_ellipsis_size1", lambda m, a, b: m.einsum("...ij,...jk->...ik", a, b), (2, 1, 3, 4), (5, 4, 2))
C("einsum_batched_trace", lambda m, a: m.einsum("bii->b", a), (2, 3, 3))
C("einsum_bilinear", lambda m, a, b, c: m.einsum("bn,anm,bm->ba", a, b, c), (2, 3), (4, 3, 5), (2, 5))
C("trace", lambda m, a: m.trace(a), (3, 3))
C("trace_rect", lambda m, a: m.trace(a), (2, 3))

# ---- the fused nn primitives (ops/nn, activation, normalization, loss, conv, pooling, resample, attention): one row
# each here, the full configuration tables in tests/parity/test_conv.py, test_pooling.py, ... (RNN layers have no
# functional form in torch: tests/parity/test_recurrent.py)
def _f(m: Any) -> Any:
    return m.nn.functional


C("linear", lambda m, a, w, b: _f(m).linear(a, w, b), (4, 5), (3, 5), (3,))
C("embedding", lambda m, i, w: _f(m).embedding(i, w), IDX(6, 2, 5), (6, 3))
C("layer_norm", lambda m, a, w, b: _f(m).layer_norm(a, (5,), w, b), (3, 4, 5), (5,), (5,))
C("batch_norm_train", lambda m, a, w, b: _f(m).batch_norm(a, None, None, w, b, training=True), (6, 3, 2, 2),
  (3,), (3,))
C("group_norm", lambda m, a, w, b: _f(m).group_norm(a, 2, w, b), (2, 4, 3, 3), (4,), (4,))
C("cross_entropy", lambda m, a, t: _f(m).cross_entropy(a, t), (5, 4), IDX(4, 5))
C("cross_entropy_smooth", lambda m, a, t: _f(m).cross_entropy(a, t, label_smoothing=0.1), (5, 4), IDX(4, 5))
C("bce", lambda m, a, b: _f(m).binary_cross_entropy(a.sigmoid(), b.sigmoid()), (3, 4), (3, 4))
C("bce_with_logits", lambda m, a, b: _f(m).binary_cross_entropy_with_logits(a, b.sigmoid()), (3, 4), (3, 4))
C("gelu", lambda m, a: _f(m).gelu(a), (3, 4))
C("gelu_tanh", lambda m, a: _f(m).gelu(a, approximate="tanh"), (3, 4))
C("silu", lambda m, a: _f(m).silu(a), (3, 4))
C("leaky_relu", lambda m, a: _f(m).leaky_relu(a, 0.1), A0(3, 4))
C("hardtanh", lambda m, a: _f(m).hardtanh(a, -0.5, 0.5), A0(3, 4))
C("elu", lambda m, a: _f(m).elu(a), A0(3, 4))
C("softplus", lambda m, a: _f(m).softplus(a, beta=2.0), (3, 4))
C("conv1d", lambda m, a, w, b: _f(m).conv1d(a, w, b, stride=2, padding=1), (2, 3, 9), (4, 3, 3), (4,))
C("conv2d", lambda m, a, w, b: _f(m).conv2d(a, w, b, padding=1), (2, 3, 5, 6), (4, 3, 3, 3), (4,))
C("conv2d_groups", lambda m, a, w: _f(m).conv2d(a, w, stride=2, groups=2, dilation=2), (2, 4, 7, 7),
  (6, 2, 2, 2))
C("conv_transpose2d", lambda m, a, w, b: _f(m).conv_transpose2d(a, w, b, stride=2, padding=1, output_padding=1),
  (2, 3, 4, 3), (3, 2, 3, 3), (2,))
C("pad_reflect", lambda m, a: _f(m).pad(a, (2, 1, 1, 2), mode="reflect"), (2, 3, 4, 5))
C("pad_replicate", lambda m, a: _f(m).pad(a, (2, 1, 1, 2), mode="replicate"), (2, 3, 4, 5))
C("pad_circular", lambda m, a: _f(m).pad(a, (2, 1, 1, 2), mode="circular"), (2, 3, 4, 5))
C("pad_circular_crop", lambda m, a: _f(m).pad(a, (-1, 2), mode="circular"), (2, 3, 5))
C("pad_replicate_crop", lambda m, a: _f(m).pad(a, (1, -2, 2, -1), mode="replicate"), (3, 4, 5))
C("max_pool2d", lambda m, a: _f(m).max_pool2d(a, 3, stride=2, padding=1), D(2, 3, 6, 7))
C("max_pool2d_2x2", lambda m, a: _f(m).max_pool2d(a, 2), D(2, 3, 6, 7))
C("max_pool1d", lambda m, a: _f(m).max_pool1d(a, 2, ceil_mode=True), D(2, 3, 7))
C("avg_pool2d", lambda m, a: _f(m).avg_pool2d(a, 3, stride=2, padding=1, count_include_pad=False), (2, 3, 6, 7))
C("adaptive_avg_pool2d", lambda m, a: _f(m).adaptive_avg_pool2d(a, (3, 2)), (2, 3, 7, 5))
C("adaptive_max_pool2d", lambda m, a: _f(m).adaptive_max_pool2d(a, (3, 2)), D(2, 3, 7, 5))
C("interpolate_nearest", lambda m, a: _f(m).interpolate(a, scale_factor=2, mode="nearest"), (2, 3, 3, 4))
C("interpolate_bilinear", lambda m, a: _f(m).interpolate(a, size=(5, 7), mode="bilinear", align_corners=True),
  (2, 3, 3, 4))
C("interpolate_bilinear_half", lambda m, a: _f(m).interpolate(a, size=(5, 7), mode="bilinear"), (2, 3, 3, 4))
C("sdpa", lambda m, q, k, v: _f(m).scaled_dot_product_attention(q, k, v), (2, 3, 4, 5), (2, 3, 6, 5),
  (2, 3, 6, 2))
C("sdpa_causal", lambda m, q, k, v: _f(m).scaled_dot_product_attention(q, k, v, is_causal=True), (2, 4, 5),
  (2, 4, 5), (2, 4, 3))

_COMPARE_START = len(CASES)
# ---- comparisons and logical ops (no gradient; outputs must not require grad)
C("gt", lambda m, a, b: a > b, TIES(3, 4), TIES(3, 4), grad=False)
C("ge", lambda m, a, b: a >= b, TIES(3, 4), TIES(3, 4), grad=False)
C("lt_scalar", lambda m, a: a < 0.5, (3, 4), grad=False)
C("le_bcast", lambda m, a, b: a <= b, TIES(3, 1), TIES(4), grad=False)
C("eq", lambda m, a, b: a == b, TIES(3, 4), TIES(3, 4), grad=False)
C("ne_scalar", lambda m, a: a != 1.0, TIES(3, 4), grad=False)
C("eq_fn", lambda m, a, b: m.eq(a, b), TIES(3, 4), TIES(4), grad=False)
C("gt_fn_T", lambda m, a, b: m.gt(a.T, b), TIES(4, 3), TIES(3, 4), grad=False)
C("logical_and", lambda m, a, b: m.logical_and(a > 0, b > 0), (3, 4), (3, 4), grad=False)
C("logical_or", lambda m, a, b: m.logical_or(a > 0, b), (3, 4), MASK(3, 4), grad=False)
C("logical_xor", lambda m, a, b: m.logical_xor(a, b), MASK(3, 4), MASK(4), grad=False)
C("logical_not", lambda m, a: m.logical_not(a > 0), (3, 4), grad=False)
C("and_or_invert", lambda m, a, b: ((a > 0) & b) | ~(a < -1), (3, 4), MASK(3, 4), grad=False)
C("isclose", lambda m, a, b: m.isclose(a, b), TIES(3, 4), TIES(3, 4), grad=False)


def _noncontiguous_variants(cases: list[Case]) -> list[Case]:
    """Each elementwise, reduction and comparison case again with its first contiguous input of 2 or more dimensions
    made a non-contiguous leaf: transposed ("@T") and sliced with a step ("@step"). Only the parity tests see the
    layout (gradcheck works on contiguous copies), so the variants skip gradcheck."""
    out = []
    for c in cases:
        k = next((i for i, s in enumerate(c.inputs) if len(s.shape) >= 2 and not s.layout and s.kind != "index"), None)
        if k is None:
            continue
        for layout in ("T", "step"):
            ins = c.inputs[:k] + (replace(c.inputs[k], layout=layout),) + c.inputs[k + 1:]
            out.append(replace(c, name=f"{c.name}@{layout}", inputs=ins, gradcheck=False))
    return out


CASES += _noncontiguous_variants(CASES[_ELEMENTWISE_START:_ELEMENTWISE_END] + CASES[_COMPARE_START:])
NAMES = [c.name for c in CASES]
assert len(set(NAMES)) == len(NAMES), "duplicate case names"
GRAD_CASES = [c for c in CASES if c.grad]
GRADCHECK_CASES = [c for c in CASES if c.gradcheck]
