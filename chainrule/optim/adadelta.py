"""Adadelta: unit-consistent steps from running averages of squared gradients and squared updates (Zeiler, 2012)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamsT, _bump_step, _direction, _scalar_state, _zeros_state

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012): the step is the ratio of the RMS of past updates to the RMS of past gradients.

    With decay :math:`\rho`, learning rate :math:`\gamma` (a plain scale, 1 in the paper) and weight decay
    :math:`\lambda`:

    .. math::
        g_t &\leftarrow \pm g_t + \lambda \theta_{t-1} \qquad (- \text{ if maximize}) \\
        v_t &= \rho v_{t-1} + (1 - \rho) g_t^2 \\
        \Delta_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}} \, g_t \\
        u_t &= \rho u_{t-1} + (1 - \rho) \Delta_t^2 \\
        \theta_t &= \theta_{t-1} - \gamma \Delta_t

    Args:
        params (iterable): tensors to optimize or dicts of parameter groups.
        lr (float): scale :math:`\gamma` of the update. Default: 1.0.
        rho (float): decay :math:`\rho` of both running averages. Default: 0.9.
        eps (float): added inside both square roots. Default: 1e-6.
        weight_decay (float): L2 penalty :math:`\lambda`. Default: 0.
        foreach (bool, optional): accepted for PyTorch compatibility; ignored.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.

    Example::

        >>> opt = optim.Adadelta(model.parameters())
    """

    def __init__(self, params: ParamsT, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0,
                 foreach: bool | None = None, *, maximize: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    def _step_group(self, group: dict[str, Any]) -> None:
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if not state:
                state.update(step=_scalar_state(0.0), square_avg=_zeros_state(p), acc_delta=_zeros_state(p))
            _bump_step(state)
            w = p._data
            g = _direction(w, p.grad._data, group["weight_decay"], group["maximize"])
            v, u = state["square_avg"]._data, state["acc_delta"]._data
            tmp = np.multiply(g, g)
            tmp *= 1 - rho
            v *= rho
            v += tmp
            np.add(v, eps, out=tmp)
            np.sqrt(tmp, out=tmp)  # tmp = sqrt(v_t + eps)
            delta = np.add(u, eps)
            np.sqrt(delta, out=delta)
            delta /= tmp
            delta *= g
            np.multiply(delta, delta, out=tmp)
            tmp *= 1 - rho
            u *= rho
            u += tmp
            delta *= lr
            w -= delta
