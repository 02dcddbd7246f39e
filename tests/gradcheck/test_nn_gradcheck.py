"""Activations, prelu, batch_norm (training and evaluation) and layer_norm against finite differences (float64)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F


def _leaf(shape: tuple[int, ...], seed: int, scale: float = 1.0, shift: float = 0.0, away: float = 0.0) -> Any:
    """A float64 leaf; with ``away`` every element is at least that far from the kinks at 0, +-1 and 6 and from
    ``-shift`` (finite differences straddling a kink measure its average slope)."""
    a = np.random.default_rng(seed).normal(size=shape) * scale + shift
    if away:
        for k in (0.0, 1.0, -1.0, 6.0, -2.0, 3.0):
            near = np.abs(a - k) < away
            a[near] = k + np.where(a[near] >= k, away, -away)
    return cr.tensor(a, requires_grad=True)


ACTIVATIONS: dict[str, Callable[[Any], Any]] = {
    "sigmoid": F.sigmoid, "tanh": F.tanh, "relu": F.relu, "relu6": F.relu6, "leaky_relu": F.leaky_relu,
    "leaky_relu_0.3": lambda x: F.leaky_relu(x, 0.3), "elu": F.elu, "elu_0.5": lambda x: F.elu(x, 0.5),
    "selu": F.selu, "gelu": F.gelu, "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"), "silu": F.silu,
    "softplus": F.softplus, "softplus_beta": lambda x: F.softplus(x, beta=3.0, threshold=4.0),
    "hardtanh": F.hardtanh, "hardtanh_bounds": lambda x: F.hardtanh(x, -2.0, 3.0),
    "softmax": lambda x: F.softmax(x, dim=1), "log_softmax": lambda x: F.log_softmax(x, dim=0),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_gradcheck(name: str) -> None:
    x = _leaf((4, 5), seed=len(name), scale=3.0, away=1e-3)
    assert cr.autograd.gradcheck(ACTIVATIONS[name], (x,), eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("c", [1, 3])
def test_prelu_gradcheck(c: int) -> None:
    x = _leaf((2, 3, 2), seed=0, away=1e-3)
    w = cr.tensor(np.linspace(-0.3, 0.4, c), requires_grad=True)
    assert cr.autograd.gradcheck(F.prelu, (x, w))


@pytest.mark.parametrize("shape", [(5, 3), (3, 2, 4)])
def test_batch_norm_training_gradcheck(shape: tuple[int, ...]) -> None:
    x = _leaf(shape, seed=1, scale=2.0, shift=1.0)
    w, b = _leaf((shape[1],), seed=2), _leaf((shape[1],), seed=3)

    def fn(x: Any, w: Any, b: Any) -> Any:
        # fresh running statistics each call: the finite differences run forward many times
        return F.batch_norm(x, cr.zeros(shape[1], dtype=cr.float64), cr.ones(shape[1], dtype=cr.float64), w, b,
                            training=True, eps=1e-3)

    assert cr.autograd.gradcheck(fn, (x, w, b))


def test_batch_norm_eval_gradcheck() -> None:
    rm, rv = cr.tensor([0.5, -1.0, 2.0], dtype=cr.float64), cr.tensor([0.3, 2.0, 1.5], dtype=cr.float64)
    x, w, b = _leaf((4, 3, 2), seed=4), _leaf((3,), seed=5), _leaf((3,), seed=6)
    assert cr.autograd.gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False), (x, w, b))


@pytest.mark.parametrize("shape,ns", [((3, 5), (5,)), ((2, 3, 4), (3, 4))])
def test_layer_norm_gradcheck(shape: tuple[int, ...], ns: tuple[int, ...]) -> None:
    x, w, b = _leaf(shape, seed=7, scale=2.0, shift=0.5), _leaf(ns, seed=8), _leaf(ns, seed=9)
    assert cr.autograd.gradcheck(lambda x, w, b: F.layer_norm(x, ns, w, b, eps=1e-3), (x, w, b))
    assert cr.autograd.gradcheck(lambda x: F.layer_norm(x, ns), (x,))
