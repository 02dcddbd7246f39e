"""Every loss against finite differences in float64 (``chainrule.autograd.gradcheck``), for every input that carries
a gradient (input; target, variance and soft-target probabilities too), with reductions 'none' and 'mean'.

Inputs are drawn away from the kinks on purpose (|x - y| far from 0 and from beta / delta, variances above eps): at a
kink the one-sided finite difference is not a derivative."""

from __future__ import annotations

import zlib
from typing import Any, Callable

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F

N, C = 3, 4


def away(rng: np.random.Generator, shape: tuple[int, ...], kinks: tuple[float, ...] = (0.0,)) -> np.ndarray:
    """Differences in +-[0.05, 2] at least 0.05 away from every kink (and its negative)."""
    d = rng.uniform(0.05, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    for k in kinks:
        near = np.abs(np.abs(d) - k) < 0.05
        d[near] += 0.1 * np.sign(d[near])
    return d


def softmax(z: np.ndarray, axis: int = 1) -> np.ndarray:
    e = np.exp(z - z.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def G(a: np.ndarray) -> Any:
    """A float64 leaf that requires grad."""
    return cr.tensor(np.ascontiguousarray(a, dtype=np.float64), requires_grad=True)


def K(a: Any) -> Any:
    """A constant (target indices, weights)."""
    return cr.tensor(np.asarray(a))


# name -> builder(rng) returning (fn(*tensors, reduction), tensors); targets and weights are drawn once, at build
# time, as default arguments of fn (drawn again on every call they would change between finite-difference steps)
Builder = Callable[[np.random.Generator], tuple[Callable[..., Any], list[Any]]]


def _pair(kinks: tuple[float, ...] = (0.0,)) -> Callable[[np.random.Generator], tuple[Any, Any]]:
    def make(rng: np.random.Generator) -> tuple[Any, Any]:
        x = rng.standard_normal((N, C))
        return G(x), G(x - away(rng, (N, C), kinks))
    return make


def _idx(rng: np.random.Generator, shape: tuple[int, ...], ignore: int | None = None) -> Any:
    t = rng.integers(0, C, shape)
    if ignore is not None:
        t.reshape(-1)[::3] = ignore
    return K(t)


BUILDERS: dict[str, Builder] = {
    "mse": lambda r: (lambda x, y, red: F.mse_loss(x, y, reduction=red), [*_pair()(r)]),
    "mse_weight": lambda r: (lambda x, y, red, w=K(r.uniform(0.5, 1.5, (N, C))): F.mse_loss(x, y, reduction=red,
                                                                                               weight=w),
                             [*_pair()(r)]),
    "l1": lambda r: (lambda x, y, red: F.l1_loss(x, y, reduction=red), [*_pair()(r)]),
    "l1_weight": lambda r: (lambda x, y, red, w=K(r.uniform(0.5, 1.5, (N, C))): F.l1_loss(x, y, reduction=red,
                                                                                             weight=w),
                            [*_pair()(r)]),
    "smooth_l1": lambda r: (lambda x, y, red: F.smooth_l1_loss(x, y, reduction=red, beta=0.5),
                            [*_pair((0.0, 0.5))(r)]),
    "huber": lambda r: (lambda x, y, red: F.huber_loss(x, y, reduction=red, delta=0.8), [*_pair((0.0, 0.8))(r)]),
    "huber_weight": lambda r: (lambda x, y, red, w=K(np.full((N, C), 2.0)): F.huber_loss(x, y, reduction=red,
                                                                                         weight=w),
                               [*_pair((0.0, 1.0))(r)]),
    "gaussian_nll": lambda r: (lambda x, y, v, red: F.gaussian_nll_loss(x, y, v, full=True, reduction=red),
                               [G(r.standard_normal((N, C))), G(r.standard_normal((N, C))),
                                G(r.uniform(0.3, 2.0, (N, C)))]),
    "gaussian_nll_homoscedastic": lambda r: (lambda x, y, v, red: F.gaussian_nll_loss(x, y, v, reduction=red),
                                             [G(r.standard_normal((N, C))), G(r.standard_normal((N, C))),
                                              G(r.uniform(0.3, 2.0, (N,)))]),
    "kl_div": lambda r: (lambda x, y, red: F.kl_div(x, y, reduction=red),
                         [G(np.log(softmax(r.standard_normal((N, C))))), G(softmax(r.standard_normal((N, C))))]),
    "kl_div_log_target": lambda r: (lambda x, y, red: F.kl_div(x, y, reduction=red, log_target=True),
                                    [G(np.log(softmax(r.standard_normal((N, C))))),
                                     G(np.log(softmax(r.standard_normal((N, C)))))]),
    "bce": lambda r: (lambda p, y, red, w=K(r.uniform(0.5, 1.5, C)): F.binary_cross_entropy(p, y, w, reduction=red),
                      [G(r.uniform(0.05, 0.95, (N, C))), G(r.uniform(0, 1, (N, C)))]),
    "bce_logits": lambda r: (lambda x, y, red: F.binary_cross_entropy_with_logits(x, y, reduction=red),
                             [G(r.standard_normal((N, C)) * 3), G(r.uniform(0, 1, (N, C)))]),
    "bce_logits_weights": lambda r: (lambda x, y, red, w=K(r.uniform(0.5, 1.5, (N, 1))), pw=K(r.uniform(0.5, 3, C)):
                                     F.binary_cross_entropy_with_logits(x, y, w, reduction=red, pos_weight=pw),
        [G(r.standard_normal((N, C)) * 3), G(r.uniform(0, 1, (N, C)))]),
    "ce": lambda r: (lambda x, red, t=_idx(r, (N,)): F.cross_entropy(x, t, reduction=red),
                     [G(r.standard_normal((N, C)))]),
    "ce_all_options": lambda r: (lambda x, red, t=_idx(r, (N + 2,), -100), w=K(r.uniform(0.5, 1.5, C)):
                                 F.cross_entropy(x, t, w, reduction=red, label_smoothing=0.2),
        [G(r.standard_normal((N + 2, C)))]),
    "ce_spatial": lambda r: (lambda x, red, t=_idx(r, (2, 2, 3), 1), w=K(r.uniform(0.5, 1.5, C)): F.cross_entropy(
        x, t, w, ignore_index=1, reduction=red, label_smoothing=0.1),
        [G(r.standard_normal((2, C, 2, 3)))]),
    "ce_probabilities": lambda r: (lambda x, y, red, w=K(r.uniform(0.5, 1.5, C)): F.cross_entropy(
        x, y, w, reduction=red, label_smoothing=0.1),
                                   [G(r.standard_normal((N, C))), G(softmax(r.standard_normal((N, C))))]),
    "nll": lambda r: (lambda x, red, t=_idx(r, (N + 2,), -100), w=K(r.uniform(0.5, 1.5, C)): F.nll_loss(
        x, t, w, reduction=red), [G(r.standard_normal((N + 2, C)))]),
    "sigmoid_focal": lambda r: (lambda x, y, red: F.sigmoid_focal_loss(x, y, alpha=0.25, gamma=2.0, reduction=red),
                                [G(r.standard_normal((N, C)) * 2), G(r.uniform(0, 1, (N, C)))]),
    "focal": lambda r: (lambda x, red, t=_idx(r, (N + 2,), -100): F.focal_loss(x, t, alpha=[0.1, 0.2, 0.3, 0.4],
                                                                               gamma=2.0, reduction=red),
                        [G(r.standard_normal((N + 2, C)))]),
    "focal_gamma_half": lambda r: (lambda x, red, t=_idx(r, (N,)): F.focal_loss(x, t, gamma=0.5, reduction=red),
                                   [G(r.standard_normal((N, C)))]),
    "asymmetric": lambda r: (lambda x, y, red: F.asymmetric_loss(x, y, reduction=red),
                             [G(r.standard_normal((N, C)) * 2), G(r.integers(0, 2, (N, C)))]),
    "asymmetric_gamma_pos": lambda r: (lambda x, y, red: F.asymmetric_loss(x, y, gamma_pos=1.0, gamma_neg=2.0,
                                                                           clip=0.1, reduction=red),
                                       [G(r.standard_normal((N, C)) * 2), G(r.uniform(0, 1, (N, C)))]),
    "l1_penalty": lambda r: (lambda a, b, red: F.l1_penalty([a, b]),
                             [G(away(r, (N, C))), G(away(r, (C,)))]),
    "l2_penalty": lambda r: (lambda a, b, red: F.l2_penalty([a, b]),
                             [G(r.standard_normal((N, C))), G(r.standard_normal(C))]),
}


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss")
@pytest.mark.parametrize("reduction", ["none", "mean"])
@pytest.mark.parametrize("name", list(BUILDERS))
def test_loss_gradcheck(name: str, reduction: str) -> None:
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    fn, inputs = BUILDERS[name](rng)
    assert cr.autograd.gradcheck(lambda *xs: fn(*xs, reduction), inputs, eps=1e-6, atol=1e-6, rtol=1e-4)


def test_gradcheck_catches_a_wrong_loss_gradient() -> None:
    """The checker is not vacuous: cross-entropy with a gradient that ignores label smoothing fails it."""
    from chainrule.ops.loss import CrossEntropy

    class NoSmoothingGrad(CrossEntropy):
        def backward(self, g: Any) -> Any:
            self.eps = 0.0
            return super().backward(g)

    x = G(np.random.default_rng(0).standard_normal((N, C)))
    t = np.array([0, 2, 1])
    ok = cr.autograd.gradcheck(lambda a: CrossEntropy.apply(a, t, None, -100, 0.3, "mean"), [x], raise_exception=False)
    bad = cr.autograd.gradcheck(lambda a: NoSmoothingGrad.apply(a, t, None, -100, 0.3, "mean"), [x],
                                raise_exception=False)
    assert ok and not bad
