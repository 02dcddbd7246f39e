"""Shared test helpers: move data between chainrule and PyTorch and compare with the project's tolerances.

PyTorch is imported unconditionally: the test extra installs it, and a missing torch must fail the run, not skip.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

import chainrule as cr

# forward values and gradients, per dtype (the brief: float64 ~1e-10 / 1e-9, float32 ~1e-5 / 1e-4)
TOL = {
    "float64": {"fwd": dict(rtol=1e-10, atol=1e-10), "grad": dict(rtol=1e-9, atol=1e-9)},
    "float32": {"fwd": dict(rtol=1e-5, atol=1e-5), "grad": dict(rtol=1e-4, atol=1e-4)},
}


def to_torch(x: Any, requires_grad: bool | None = None) -> Any:
    """A torch tensor with the same values and dtype as a chainrule tensor (or array)."""
    arr = x.detach().numpy() if isinstance(x, cr.Tensor) else np.asarray(x)
    t = torch.from_numpy(np.array(arr, copy=True))
    rg = x.requires_grad if (requires_grad is None and isinstance(x, cr.Tensor)) else bool(requires_grad)
    return t.requires_grad_(rg) if rg else t


def to_numpy(x: Any) -> np.ndarray:
    if isinstance(x, cr.Tensor):
        return x.detach().numpy()
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    return np.asarray(x)


def assert_close(ours: Any, theirs: Any, kind: str = "fwd", dtype: str | None = None, check_dtype: bool = True) -> None:
    """Assert values (and dtypes) agree within the tolerance for ``kind`` ('fwd' or 'grad')."""
    a, b = to_numpy(ours), to_numpy(theirs)
    if check_dtype:
        assert a.dtype == b.dtype, f"dtype differs: chainrule {a.dtype}, torch {b.dtype}"
    assert a.shape == b.shape, f"shape differs: chainrule {a.shape}, torch {b.shape}"
    name = dtype or (a.dtype.name if a.dtype.kind == "f" else "float64")
    tol = TOL.get(name, TOL["float32"])[kind]
    np.testing.assert_allclose(a, b, **tol, equal_nan=True)
