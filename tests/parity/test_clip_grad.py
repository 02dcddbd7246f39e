"""Gradient clipping vs PyTorch: the returned total norm and the clipped gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from tests.helpers import assert_close

SHAPES = [(4, 5), (5,), (2, 3, 3)]


def make(dtype: str, scale: float = 1.0, with_none: bool = True, seed: int = 0):
    """Parameters with gradients in both frameworks (the last one without a gradient, to be skipped)."""
    rng = np.random.default_rng(seed)
    ours, theirs = [], []
    for i, shape in enumerate([*SHAPES, (3,)] if with_none else SHAPES):
        w = rng.standard_normal(shape).astype(dtype)
        p, tp = cr.nn.Parameter(cr.tensor(w.copy())), torch.nn.Parameter(torch.from_numpy(w.copy()))
        if i < len(SHAPES):
            g = (rng.standard_normal(shape) * scale).astype(dtype)
            p.grad, tp.grad = cr.tensor(g.copy()), torch.from_numpy(g.copy())
        ours.append(p)
        theirs.append(tp)
    return ours, theirs


def assert_grads_close(ours, theirs):
    for p, tp in zip(ours, theirs):
        assert (p.grad is None) == (tp.grad is None)
        if p.grad is not None:
            assert_close(p.grad, tp.grad)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("norm_type", [1, 2, 2.0, 3.5, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])  # clipped, and untouched
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype):
    ours, theirs = make(dtype)
    before = [p.grad.numpy().copy() for p in ours[:len(SHAPES)]]
    total = cr.nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type, foreach=False)
    assert isinstance(total, cr.Tensor) and total.ndim == 0
    assert_close(total, ttotal)
    assert_grads_close(ours, theirs)
    changed = any(not np.array_equal(p.grad.numpy(), b) for p, b in zip(ours, before))
    assert changed == (max_norm < float(total))


def test_clip_grad_norm_clipped_norm_is_max_norm():
    ours, _ = make("float64", scale=10.0)
    cr.nn.utils.clip_grad_norm_(ours, 1.0)
    grads = np.concatenate([p.grad.numpy().ravel() for p in ours if p.grad is not None])
    assert np.linalg.norm(grads) == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_inputs():
    """A single tensor, a generator, and a list without any gradient (total norm 0) behave as PyTorch."""
    ours, theirs = make("float32")
    assert_close(cr.nn.utils.clip_grad_norm_(ours[0], 0.1), torch.nn.utils.clip_grad_norm_(theirs[0], 0.1))
    assert_close(cr.nn.utils.clip_grad_norm_((p for p in ours), 0.2),
                 torch.nn.utils.clip_grad_norm_((p for p in theirs), 0.2))
    assert_grads_close(ours, theirs)
    assert float(cr.nn.utils.clip_grad_norm_([ours[-1]], 1.0)) == 0.0
    assert float(torch.nn.utils.clip_grad_norm_([theirs[-1]], 1.0)) == 0.0


@pytest.mark.parametrize("bad", [math.inf, math.nan])
@pytest.mark.parametrize("norm_type", [2.0, math.inf])
def test_clip_grad_norm_nonfinite(bad, norm_type):
    ours, theirs = make("float64")
    ours[0].grad._data[1, 2] = bad
    theirs[0].grad[1, 2] = bad
    with pytest.raises(RuntimeError, match="non-finite"):
        cr.nn.utils.clip_grad_norm_(ours, 1.0, norm_type=norm_type, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="non-finite"):
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type=norm_type, error_if_nonfinite=True)
    # without the flag the gradients are scaled by the non-finite coefficient, as PyTorch does
    total = cr.nn.utils.clip_grad_norm_(ours, 1.0, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type=norm_type, foreach=False)
    assert_close(total, ttotal)
    assert_grads_close(ours, theirs)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("clip_value", [0.1, 0.7, 5.0])
def test_clip_grad_value_matches_torch(clip_value, dtype):
    ours, theirs = make(dtype)
    cr.nn.utils.clip_grad_value_(ours, clip_value)
    torch.nn.utils.clip_grad_value_(theirs, clip_value, foreach=False)
    assert_grads_close(ours, theirs)
    assert max(np.abs(p.grad.numpy()).max() for p in ours if p.grad is not None) <= clip_value


def test_clip_keeps_the_gradient_arrays():
    """Clipping is in place: the optimizer and any hook holding the gradient array see the clipped values."""
    ours, _ = make("float32")
    arrays = [p.grad._data for p in ours if p.grad is not None]
    cr.nn.utils.clip_grad_norm_(ours, 0.1)
    cr.nn.utils.clip_grad_value_(ours, 0.01)
    assert all(p.grad._data is a for p, a in zip(ours, arrays))
    assert all(a.dtype == np.float32 for a in arrays)
