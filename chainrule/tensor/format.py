"""``repr`` of a tensor, laid out as PyTorch's ``torch._tensor_str`` does with its default print options.

One number format serves every element (so columns line up): integer-valued floats print as ``1.``, other floats as
fixed ``1.2346`` or, when magnitudes span more than 1000x or leave [1e-4, 1e8), scientific ``1.2346e+05``. Only
nonzero finite values choose the format and its width. Tensors of more than 1000 elements are summarised with
``...`` around the first and last 3 entries of each dimension; lines wrap at 80 characters.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import dtypes

PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH = 4, 1000, 3, 80  # PyTorch's default print options


class _Formatter:
    """The common format of all elements of an array (PyTorch's ``_Formatter``)."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        if not self.floating:
            self.width = max((len(str(v)) for v in values.tolist()), default=1)
            return
        v = values.astype(np.float64)
        v = v[np.isfinite(v) & (v != 0)]
        if v.size == 0:
            return
        lo, hi = np.abs(v).min(), np.abs(v).max()
        self.int_mode = bool(np.all(v == np.ceil(v)))
        self.sci_mode = bool(hi / lo > 1000.0 or hi > 1.0e8 or (not self.int_mode and lo < 1.0e-4))
        if self.sci_mode:
            self.width = max(len(f"{x:.{PRECISION}e}") for x in v.tolist())
        elif self.int_mode:
            self.width = max(len(f"{x:.0f}") + 1 for x in v.tolist())  # + 1 for the trailing '.'
        else:
            self.width = max(len(f"{x:.{PRECISION}f}") for x in v.tolist())

    def format(self, x: Any) -> str:
        if not self.floating:
            s = str(x)
        elif self.sci_mode:
            s = f"{x:{self.width}.{PRECISION}e}"
        elif self.int_mode:
            s = f"{x:.0f}" + ("" if math.isinf(x) or math.isnan(x) else ".")
        else:
            s = f"{x:.{PRECISION}f}"
        return s.rjust(self.width)


def _summarized(a: np.ndarray) -> np.ndarray:
    """The elements that will be printed (the edges of every long dimension), flattened."""
    if a.ndim == 0:
        return a.reshape(1)
    rows = a if a.shape[0] <= 2 * EDGEITEMS else np.concatenate([a[:EDGEITEMS], a[-EDGEITEMS:]])
    return rows if a.ndim == 1 else np.concatenate([_summarized(r) for r in rows])


def _vector(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    per_line = max(1, (LINEWIDTH - indent) // (fmt.width + 2))
    if summarize and a.shape[0] > 2 * EDGEITEMS:
        items = ([fmt.format(x) for x in a[:EDGEITEMS].tolist()] + [" ..."]
                 + [fmt.format(x) for x in a[-EDGEITEMS:].tolist()])
    else:
        items = [fmt.format(x) for x in a.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector(a, indent, summarize, fmt)
    n = a.shape[0]
    if summarize and n > 2 * EDGEITEMS:
        rows = ([_nested(a[i], indent + 1, summarize, fmt) for i in range(EDGEITEMS)] + ["..."]
                + [_nested(a[i], indent + 1, summarize, fmt) for i in range(n - EDGEITEMS, n)])
    else:
        rows = [_nested(a[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def format_array(a: np.ndarray, indent: int) -> str:
    """The bracketed body of a tensor's repr, as if it started at column ``indent``."""
    summarize = a.size > THRESHOLD
    return _nested(a, indent, summarize, _Formatter(_summarized(a) if summarize else a.reshape(-1)))


def format_tensor(t: Any) -> str:
    a = t._data
    prefix = "tensor("
    suffixes = []
    name = dtypes.from_numpy_dtype(a.dtype).name
    default = dtypes.get_default_dtype().name
    if a.size == 0:
        body = "[]"
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if name != default:  # no elements to tell an integer tensor by, so only the default float goes unnamed
            suffixes.append(f"dtype=chainrule.{name}")
    else:
        body = format_array(a, len(prefix))
        if name not in (default, "int64", "bool"):
            suffixes.append(f"dtype=chainrule.{name}")
    if t._ctx is not None:
        suffixes.append(f"grad_fn=<{t._ctx.name}>")
    elif t._rg:
        suffixes.append("requires_grad=True")
    out = prefix + body
    last = len(out) - out.rfind("\n") + 1  # PyTorch's arithmetic, kept so that wrapping matches
    for s in suffixes:
        if last + len(s) + 2 > LINEWIDTH:
            out += ",\n" + " " * len(prefix) + s
            last = len(prefix) + len(s)
        else:
            out += ", " + s
            last += len(s) + 2
    return out + ")"
