"""Adagrad: per-coordinate learning rates from the running sum of squared gradients (Duchi et al., 2011)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamsT, _bump_step, _direction, _make, _scalar_state

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan and Singer, 2011): each coordinate's step shrinks with its accumulated squared gradient.

    With learning rate :math:`\gamma`, learning-rate decay :math:`\eta`, weight decay :math:`\lambda`, initial
    accumulator value :math:`s_0` and step :math:`t`:

    .. math::
        g_t &\leftarrow \pm g_t + \lambda \theta_{t-1} \qquad (- \text{ if maximize}) \\
        \tilde\gamma_t &= \gamma / (1 + (t - 1) \eta) \\
        s_t &= s_{t-1} + g_t^2 \\
        \theta_t &= \theta_{t-1} - \tilde\gamma_t \, g_t / (\sqrt{s_t} + \epsilon)

    Args:
        params (iterable): tensors to optimize or dicts of parameter groups.
        lr (float): learning rate :math:`\gamma`. Default: 1e-2.
        lr_decay (float): learning-rate decay :math:`\eta`. Default: 0.
        weight_decay (float): L2 penalty :math:`\lambda`. Default: 0.
        initial_accumulator_value (float): :math:`s_0`. Default: 0.
        eps (float): added to the denominator for numerical stability. Default: 1e-10.
        foreach (bool, optional): accepted for PyTorch compatibility; ignored.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.

    Example::

        >>> opt = optim.Adagrad(model.parameters(), lr=0.01)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)
        # NOTE: like PyTorch, the state exists from construction (so state_dict() is complete before any step)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p: Any, group: dict[str, Any]) -> None:
        self.state[p]["step"] = _scalar_state(0.0)
        self.state[p]["sum"] = _make(np.full_like(p._data, group["initial_accumulator_value"]), None, False)

    def _step_group(self, group: dict[str, Any]) -> None:
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if not state:
                self._init_state(p, group)
            t = _bump_step(state)
            w = p._data
            g = _direction(w, p.grad._data, group["weight_decay"], group["maximize"])
            clr = lr / (1 + (t - 1) * lr_decay)
            s = state["sum"]._data
            tmp = np.multiply(g, g)
            s += tmp
            np.sqrt(s, out=tmp)
            tmp += eps
            np.divide(g, tmp, out=tmp)
            tmp *= clr
            w -= tmp
