"""Stochastic gradient descent with momentum (heavy ball or Nesterov), dampening and an L2 penalty."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamsT, _direction, _make

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum (Polyak's heavy ball, or Nesterov's).

    With gradient :math:`g_t`, learning rate :math:`\gamma`, momentum :math:`\mu`, dampening :math:`\tau` and weight
    decay :math:`\lambda`:

    .. math::
        g_t &\leftarrow \pm g_t + \lambda \theta_{t-1} \qquad (- \text{ if maximize}) \\
        b_t &= \mu b_{t-1} + (1 - \tau) g_t \quad (t > 1), \qquad b_1 = g_1 \\
        d_t &= g_t + \mu b_t \ \text{(nesterov)}, \quad b_t \ \text{(momentum)}, \quad g_t \ (\mu = 0) \\
        \theta_t &= \theta_{t-1} - \gamma d_t

    Like PyTorch, the momentum buffer is the running sum of gradients (not scaled by :math:`\gamma`), and it starts
    at the first gradient rather than at zero.

    Args:
        params (iterable): tensors to optimize or dicts of parameter groups.
        lr (float): learning rate :math:`\gamma`. Default: 1e-3.
        momentum (float): momentum factor :math:`\mu`. Default: 0.
        dampening (float): dampening :math:`\tau` of the momentum. Default: 0.
        weight_decay (float): L2 penalty :math:`\lambda`. Default: 0.
        nesterov (bool): use Nesterov momentum. Default: False.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.
        foreach (bool, optional): accepted for PyTorch compatibility; ignored.

    Example::

        >>> opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize, foreach=foreach)
        super().__init__(params, defaults)

    def _step_group(self, group: dict[str, Any]) -> None:
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        for p in group["params"]:
            if p.grad is None:
                continue
            w, grad = p._data, p.grad._data
            d = _direction(w, grad, weight_decay, maximize)
            if momentum != 0:
                state = self.state[p]
                buf_t = state.get("momentum_buffer")
                if buf_t is None:
                    buf = np.array(d, dtype=w.dtype, copy=True)
                    state["momentum_buffer"] = _make(buf, None, False)
                else:
                    buf = buf_t._data
                    buf *= momentum
                    buf += d if dampening == 0 else d * (1 - dampening)
                d = d + buf * momentum if nesterov else buf
            if d is grad or (momentum != 0 and not nesterov):
                w -= d * lr  # d is the grad or the momentum buffer, which must not be scaled in place
            else:
                d *= lr
                w -= d
