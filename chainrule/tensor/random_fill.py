"""In-place random fills (``normal_``, ``uniform_``, ``bernoulli_``, ...): the tensor's elements are replaced by
samples drawn from chainrule's generator, so ``chainrule.manual_seed`` (or a ``generator=``) reproduces them.

chainrule draws from NumPy's PCG64: the distributions are PyTorch's, the exact numbers are not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from ..autograd.grad_mode import GRAD_ENABLED
from ..ops import elementwise as E
from ..random import Generator, np_generator

Draw = Callable[[np.random.Generator, tuple[int, ...]], np.ndarray]


class RandomFillMixin:
    """Methods of :class:`~chainrule.Tensor` that overwrite it with random samples."""

    __slots__ = ()
    _data: np.ndarray

    if TYPE_CHECKING:
        _rg: bool

        def _inplace(self, op: str, compute: Any) -> Any: ...
        @staticmethod
        def _make(data: np.ndarray, ctx: Any, requires_grad: bool) -> Any: ...

    def _fill_random(self, op: str, draw: Draw, generator: Generator | None, float_only: bool = True) -> Any:
        """Overwrite with ``draw(rng, shape)`` cast to this tensor's dtype.

        A leaf that requires grad refuses (in grad mode), as every in-place op; a recorded non-leaf takes the samples
        and passes a zero gradient back, since the samples do not depend on its old value."""
        dt = self._data.dtype
        if float_only and dt.kind != "f":
            raise NotImplementedError(f"{op}: not implemented for {dt} tensors (expected a floating point tensor)")
        sample = self._make(np.asarray(draw(np_generator(generator), self._data.shape)).astype(dt, copy=False),
                            None, False)

        def compute(t: Any) -> Any:
            if GRAD_ENABLED[0] and t._rg:
                # NOTE: where(True, sample, t) rather than t * 0 + sample: an inf or nan in t must not leak through
                return E.Where.apply(np.True_, sample, t)
            return sample

        return self._inplace(op, compute)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Generator | None = None) -> Any:
        """Fill with samples of N(mean, std^2): density exp(-(x - mean)^2 / (2 std^2)) / (std sqrt(2 pi)).

        Example: ``w = chainrule.empty(3, 4).normal_(0.0, 0.02)``.
        """
        if std < 0:
            raise RuntimeError(f"normal_ expects std >= 0.0, but found std {std}")
        return self._fill_random("normal_", lambda g, s: g.normal(mean, std, s), generator)

    def uniform_(self, from_: float = 0.0, to: float = 1.0, *, generator: Generator | None = None,
                 **kwargs: Any) -> Any:
        """Fill with samples uniform on [from, to): density 1 / (to - from). (PyTorch's keyword ``from`` is
        accepted too.)"""
        from_ = kwargs.pop("from", from_)
        if kwargs:
            raise TypeError(f"uniform_() got unexpected keyword arguments {sorted(kwargs)}")
        if from_ > to:
            raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_} > to={to}")
        return self._fill_random("uniform_", lambda g, s: g.uniform(from_, to, s), generator)

    def bernoulli_(self, p: Any = 0.5, *, generator: Generator | None = None) -> Any:
        """Fill with 1 with probability ``p`` and 0 otherwise; ``p`` is a number or a tensor of probabilities that
        broadcasts to this tensor's shape. Works for any dtype."""
        prob = p._data if hasattr(p, "_data") else np.asarray(p, dtype=np.float64)
        if prob.size and (np.min(prob) < 0 or np.max(prob) > 1 or np.isnan(prob).any()):
            bad = prob if not prob.ndim else prob.reshape(-1)[np.argmax((prob < 0) | (prob > 1) | np.isnan(prob))]
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={float(bad)}")
        try:
            np.broadcast_to(prob, self._data.shape)
        except ValueError:
            raise RuntimeError(f"bernoulli_: p of shape {tuple(prob.shape)} does not broadcast to the tensor's shape "
                               f"{tuple(self._data.shape)}") from None
        return self._fill_random("bernoulli_", lambda g, s: g.random(s) < prob, generator, float_only=False)

    def exponential_(self, lambd: float = 1.0, *, generator: Generator | None = None) -> Any:
        """Fill with samples of the exponential distribution: density lambd exp(-lambd x) for x >= 0."""
        if not lambd > 0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
        return self._fill_random("exponential_", lambda g, s: g.exponential(1.0 / lambd, s), generator)

    def geometric_(self, p: float, *, generator: Generator | None = None) -> Any:
        """Fill with the number of Bernoulli(p) trials up to the first success: P(k) = (1 - p)^(k - 1) p, k >= 1."""
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
        return self._fill_random("geometric_", lambda g, s: g.geometric(p, s), generator, float_only=False)

    def log_normal_(self, mean: float = 1.0, std: float = 2.0, *, generator: Generator | None = None) -> Any:
        """Fill with exp(N(mean, std^2)) samples (``mean`` and ``std`` are those of the underlying normal)."""
        if not std > 0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
        return self._fill_random("log_normal_", lambda g, s: g.lognormal(mean, std, s), generator)

    def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator: Generator | None = None) -> Any:
        """Fill with Cauchy samples: density 1 / (pi sigma (1 + ((x - median) / sigma)^2))."""
        if not sigma > 0:
            raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
        return self._fill_random("cauchy_", lambda g, s: median + sigma * g.standard_cauchy(s), generator)

    def random_(self, from_: int = 0, to: int | None = None, *, generator: Generator | None = None) -> Any:
        """Fill with integers uniform on [from, to). ``random_(to)`` starts at 0; ``random_()`` spans what the dtype
        holds exactly: [0, 2^mantissa] for floats, [0, max] for integers, {0, 1} for bool."""
        if to is None and from_ != 0:
            from_, to = 0, from_
        dt = self._data.dtype
        if to is None:
            if dt.kind == "f":
                hi, inclusive = 2 ** (np.finfo(dt).nmant + 1), True
            elif dt.kind == "b":
                hi, inclusive = 1, True
            else:
                hi, inclusive = int(np.iinfo(dt).max), True
        else:
            hi, inclusive = int(to), False
        if hi < from_ or (hi == from_ and not inclusive):
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} >= to={to}")
        return self._fill_random("random_", lambda g, s: g.integers(from_, hi, s, endpoint=inclusive), generator,
                                 float_only=False)
