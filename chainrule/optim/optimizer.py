"""``Optimizer``: the base class that holds parameter groups and per-parameter state, with PyTorch's API.

A subclass implements ``_step_group(group)``: one in-place update of every parameter in a group that has a gradient.
Updates run on the raw arrays (``p._data``) with NumPy ufuncs, outside the autograd graph. State arrays are kept as
chainrule Tensors so that ``state_dict()`` has PyTorch's structure.
"""

from __future__ import annotations

import copy
import warnings
from collections import defaultdict
from itertools import chain
from typing import Any, Callable, Iterable, Union

import numpy as np

from ..autograd import enable_grad
from ..dtypes import get_default_dtype
from ..tensor import Tensor

__all__ = ["Optimizer", "ParamsT"]

ParamsT = Union[Iterable[Tensor], Iterable[dict[str, Any]], Iterable[tuple[str, Tensor]]]

_make = Tensor._make


def _scalar_dtype() -> np.dtype:
    """The dtype of scalar state (``step``, NAdam's ``mu_product``): float64 under a float64 default, else float32.

    NOTE: PyTorch keeps these as tensors of this dtype, and NAdam's ``mu_product`` is rounded to it every step, so the
    same choice is needed to agree with it to the last digit."""
    return np.dtype(np.float64) if get_default_dtype().np == np.float64 else np.dtype(np.float32)


def _scalar_state(value: float) -> Tensor:
    return _make(np.array(value, dtype=_scalar_dtype()), None, False)


def _zeros_state(p: Tensor) -> Tensor:
    return _make(np.zeros_like(p._data), None, False)


def _bump_step(state: dict[str, Any]) -> float:
    """Increment ``state['step']`` in place and return it as a Python float.

    NOTE: bias corrections such as ``1 - beta ** step`` are computed on this Python float; a NumPy int64 or float64
    scalar there would promote float32 parameter math to float64 under NumPy 2."""
    s = state["step"]._data
    s += 1
    return float(s)


def _direction(p: np.ndarray, g: np.ndarray, weight_decay: float, maximize: bool) -> np.ndarray:
    """The gradient an optimizer follows: ``-g`` when maximizing, plus the L2 penalty's gradient ``wd * p``.

    Returns ``g`` itself when neither applies (so the caller must not write into it), else a new array."""
    if maximize:
        g = np.negative(g)
        if weight_decay != 0:
            g += p * weight_decay
        return g
    if weight_decay != 0:
        return g + p * weight_decay
    return g


class Optimizer:
    """Base class for all optimizers.

    Args:
        params (iterable): tensors to optimize, or dicts defining parameter groups (a ``'params'`` entry plus any
            per-group options that override ``defaults``), or ``(name, tensor)`` pairs.
        defaults (dict): the default optimization options of every group.

    Example::

        >>> opt = optim.SGD([{"params": model.body.parameters()},
        ...                  {"params": model.head.parameters(), "lr": 1e-3}], lr=1e-2, momentum=0.9)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, but "
                            f"got {type(params).__name__}")
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        groups: list[Any] = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ----------------------------------------------------------------- groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (with its own options; missing ones come from ``defaults``)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            group["param_names"] = names
        group["params"] = params
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if p._ctx is not None:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        if len(params) != len({id(p) for p in params}):
            warnings.warn("optimizer contains a parameter group with duplicate parameters", stacklevel=3)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    # ----------------------------------------------------------------- stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors: to None (the default, as PyTorch 2) or to zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad._data[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss (returned here)."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._step_group(group)
        return loss

    def _step_group(self, group: dict[str, Any]) -> None:
        raise NotImplementedError

    # ----------------------------------------------------------------- checkpoints
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as PyTorch lays it out: ``{'state': {index: {...}}, 'param_groups': [...]}``.

        Parameters are replaced by their index in the order of the groups; the state tensors are referenced, not
        copied (deep-copy the result to snapshot it)."""
        index: dict[int, int] = {}
        groups = []
        for g in self.param_groups:
            packed = {k: v for k, v in g.items() if k != "params"}
            for p in g["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in g["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state from :meth:`state_dict` (ours or PyTorch's); its tensors are copied, cast to each
        parameter's dtype (except ``step``)."""
        saved = copy.deepcopy(state_dict["param_groups"])
        if len(saved) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(self.param_groups, saved)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of optimizer's "
                             "group")
        id_map = dict(zip(chain.from_iterable(s["params"] for s in saved),
                          chain.from_iterable(g["params"] for g in self.param_groups)))
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                state[p] = {key: _cast_state(p, key, value) for key, value in v.items()}
            else:
                state[k] = copy.deepcopy(v)
        for g, s in zip(self.param_groups, saved):
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
        self.state = state
        self.param_groups = saved

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"


_SCALAR_STATE = ("step", "mu_product")


def _cast_state(p: Tensor, key: str, value: Any) -> Any:
    """A copy of one loaded state value: arrays become Tensors in the parameter's dtype (scalar state keeps its own)."""
    if isinstance(value, Tensor):
        arr = value._data
    elif isinstance(value, np.ndarray) or (hasattr(value, "__array__") and not isinstance(value, np.generic)):
        arr = np.asarray(value.detach().cpu() if hasattr(value, "detach") else value)  # also a torch.Tensor
    elif isinstance(value, dict):
        return {k: _cast_state(p, k, v) for k, v in value.items()}
    else:
        return copy.deepcopy(value)
    # NOTE: scalar state (``step``, NAdam's ``mu_product``) keeps its own dtype; PyTorch casts ``mu_product`` to the
    # parameter's dtype here, which makes a resumed NAdam drift from the uninterrupted run in the last digits
    keep = key in _SCALAR_STATE or p._data.dtype.kind != "f"
    dtype = arr.dtype if keep else p._data.dtype
    return _make(np.array(arr, dtype=dtype, copy=True), None, False)
