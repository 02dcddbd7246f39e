"""RMSprop: steps divided by a running RMS of the gradient (Hinton's lecture 6e), optionally centered, with momentum."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamsT, _bump_step, _direction, _scalar_state, _zeros_state

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, Coursera lecture 6e): divide the gradient by a running root-mean-square of its history.

    With smoothing constant :math:`\alpha`, learning rate :math:`\gamma`, momentum :math:`\mu` and weight decay
    :math:`\lambda`:

    .. math::
        g_t &\leftarrow \pm g_t + \lambda \theta_{t-1} \qquad (- \text{ if maximize}) \\
        v_t &= \alpha v_{t-1} + (1 - \alpha) g_t^2 \\
        \bar g_t &= \alpha \bar g_{t-1} + (1 - \alpha) g_t \qquad \text{(centered only)} \\
        r_t &= \sqrt{v_t - \bar g_t^2} + \epsilon \ \text{(centered)}, \quad
               \sqrt{v_t} + \epsilon \ \text{(otherwise)} \\
        b_t &= \mu b_{t-1} + g_t / r_t, \qquad \theta_t = \theta_{t-1} - \gamma b_t \qquad (\mu > 0) \\
        \theta_t &= \theta_{t-1} - \gamma g_t / r_t \qquad (\mu = 0)

    The centered form (Graves, 2013) normalises by an estimate of the gradient's variance instead of its second moment.

    Args:
        params (iterable): tensors to optimize or dicts of parameter groups.
        lr (float): learning rate :math:`\gamma`. Default: 1e-2.
        alpha (float): smoothing constant :math:`\alpha`. Default: 0.99.
        eps (float): added to the denominator for numerical stability. Default: 1e-8.
        weight_decay (float): L2 penalty :math:`\lambda`. Default: 0.
        momentum (float): momentum factor :math:`\mu`. Default: 0.
        centered (bool): normalise by the estimated variance of the gradient. Default: False.
        foreach (bool, optional): accepted for PyTorch compatibility; ignored.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.

    Example::

        >>> opt = optim.RMSprop(model.parameters(), lr=1e-3, momentum=0.9, centered=True)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, foreach: bool | None = None,
                 maximize: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    def _step_group(self, group: dict[str, Any]) -> None:
        lr, alpha, eps, momentum, centered = (group["lr"], group["alpha"], group["eps"], group["momentum"],
                                              group["centered"])
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if not state:
                state.update(step=_scalar_state(0.0), square_avg=_zeros_state(p))
                if momentum > 0:
                    state["momentum_buffer"] = _zeros_state(p)
                if centered:
                    state["grad_avg"] = _zeros_state(p)
            _bump_step(state)
            w = p._data
            g = _direction(w, p.grad._data, group["weight_decay"], group["maximize"])
            v = state["square_avg"]._data
            tmp = np.multiply(g, g)
            tmp *= 1 - alpha
            v *= alpha
            v += tmp
            if centered:
                ga = state["grad_avg"]._data
                ga -= g  # ga_t = alpha * ga + (1 - alpha) * g  ==  alpha * (ga - g) + g, without a temporary
                ga *= alpha
                ga += g
                np.multiply(ga, ga, out=tmp)
                np.subtract(v, tmp, out=tmp)
                np.sqrt(tmp, out=tmp)
            else:
                np.sqrt(v, out=tmp)
            tmp += eps
            np.divide(g, tmp, out=tmp)
            if momentum > 0:
                buf = state["momentum_buffer"]._data
                buf *= momentum
                buf += tmp
                np.multiply(buf, lr, out=tmp)
            else:
                tmp *= lr
            w -= tmp
