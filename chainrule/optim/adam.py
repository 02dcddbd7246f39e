"""The Adam family -- Adam, AdamW, Adamax, NAdam, RAdam -- as one update with the variant as parameters.

All five keep an exponential moving average of the gradient (the first moment) and a second statistic of its scale;
they differ in that statistic (mean of squares, or an infinity norm for Adamax), in how the step is formed from the
two (plain, Nesterov look-ahead for NAdam, variance rectification for RAdam), and in whether weight decay is an L2
penalty added to the gradient or decoupled from it (AdamW). ``_adam_update`` is the one implementation; each class
only fixes ``_second_moment`` and ``_step_rule`` and its PyTorch signature.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamsT, _bump_step, _direction, _scalar_state, _zeros_state

__all__ = ["Adam", "AdamW", "Adamax", "NAdam", "RAdam"]


def _first_moment(m: np.ndarray, g: np.ndarray, beta1: float) -> None:
    """m <- beta1 * m + (1 - beta1) * g, in place and without a temporary: beta1 * (m - g) + g."""
    m -= g
    m *= beta1
    m += g


def _second_moment(v: np.ndarray, g: np.ndarray, beta2: float, tmp: np.ndarray) -> None:
    """v <- beta2 * v + (1 - beta2) * g^2, in place (``tmp`` is scratch of v's shape)."""
    np.multiply(g, g, out=tmp)
    tmp *= 1 - beta2
    v *= beta2
    v += tmp


def _adam_update(p: Any, state: dict[str, Any], group: dict[str, Any], second_moment: str, step_rule: str) -> None:
    """One step of the Adam family on parameter ``p`` (see the class docstrings for the equations).

    second_moment: "sq" (v = EMA of g^2) or "inf" (u = max(beta2 u, |g| + eps), Adamax).
    step_rule: "adam" (m_hat / (sqrt(v_hat) + eps)), "nadam" (Nesterov look-ahead with the momentum schedule mu_t) or
    "radam" (rectified: the adaptive step only once the variance of the adaptive lr is tractable, else SGD-momentum).
    """
    lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
    beta1, beta2 = group["betas"]
    amsgrad = group.get("amsgrad", False)
    w = p._data
    if not state:
        state.update(step=_scalar_state(0.0), exp_avg=_zeros_state(p))
        state["exp_inf" if second_moment == "inf" else "exp_avg_sq"] = _zeros_state(p)
        if amsgrad:
            state["max_exp_avg_sq"] = _zeros_state(p)
        if step_rule == "nadam":
            state["mu_product"] = _scalar_state(1.0)
    t = _bump_step(state)
    if weight_decay != 0 and group.get("decoupled_weight_decay", False):
        w *= 1 - lr * weight_decay  # decoupled (AdamW): shrink the weights, keep the penalty out of the moments
        g = _direction(w, p.grad._data, 0, group["maximize"])
    else:
        g = _direction(w, p.grad._data, weight_decay, group["maximize"])

    _first_moment(state["exp_avg"]._data, g, beta1)
    m = state["exp_avg"]._data
    tmp = np.empty_like(w)
    if second_moment == "inf":
        u = state["exp_inf"]._data
        u *= beta2
        np.abs(g, out=tmp)
        tmp += eps
        np.maximum(u, tmp, out=u)
    else:
        v = state["exp_avg_sq"]._data
        _second_moment(v, g, beta2, tmp)
        if amsgrad:
            np.maximum(state["max_exp_avg_sq"]._data, v, out=state["max_exp_avg_sq"]._data)
            v = state["max_exp_avg_sq"]._data

    # NOTE: every scalar below is a Python float (t is one), so float32 parameters stay float32 under NumPy 2
    bias_correction1 = 1 - beta1 ** t
    bias_correction2 = 1 - beta2 ** t
    if step_rule == "adam":
        if second_moment == "inf":
            np.divide(m, u, out=tmp)  # eps already sits inside u
        else:
            np.sqrt(v, out=tmp)
            tmp /= math.sqrt(bias_correction2)
            tmp += eps
            np.divide(m, tmp, out=tmp)
        tmp *= lr / bias_correction1
        w -= tmp
    elif step_rule == "nadam":
        psi = group["momentum_decay"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        mu_prod = state["mu_product"]._data
        mu_prod *= mu  # NOTE: kept in the scalar-state dtype (float32 by default), rounded each step as PyTorch does
        mu_product = float(mu_prod)
        np.divide(v, bias_correction2, out=tmp)
        np.sqrt(tmp, out=tmp)
        tmp += eps
        step_g = np.divide(g, tmp)
        step_g *= lr * (1.0 - mu) / (1.0 - mu_product)
        w -= step_g
        np.divide(m, tmp, out=tmp)
        tmp *= lr * mu_next / (1.0 - mu_product * mu_next)
        w -= tmp
    else:  # radam
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * (beta2 ** t) / bias_correction2
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            np.sqrt(v, out=tmp)
            tmp += eps
            np.divide(m, tmp, out=tmp)
            tmp *= lr * rect * math.sqrt(bias_correction2) / bias_correction1
        else:
            np.multiply(m, lr / bias_correction1, out=tmp)
        w -= tmp


class _AdamFamily(Optimizer):
    """Validation and the step loop shared by the Adam family; subclasses fix the variant and the signature."""

    _second_moment = "sq"
    _step_rule = "adam"

    def __init__(self, params: ParamsT, lr: float, betas: tuple[float, float], eps: float, weight_decay: float,
                 **options: Any) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= options.get("momentum_decay", 0.0):
            raise ValueError(f"Invalid momentum_decay value: {options['momentum_decay']}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, **options))

    def _step_group(self, group: dict[str, Any]) -> None:
        second_moment, step_rule, state = self._second_moment, self._step_rule, self.state
        for p in group["params"]:
            if p.grad is not None:
                _adam_update(p, state[p], group, second_moment, step_rule)


class Adam(_AdamFamily):
    r"""Adam (Kingma and Ba, 2015): adaptive moment estimation, with the AMSGrad variant (Reddi et al., 2018).

    With step :math:`t`, learning rate :math:`\gamma`, decay rates :math:`\beta_1, \beta_2` and weight decay
    :math:`\lambda`:

    .. math::
        g_t &\leftarrow \pm g_t + \lambda \theta_{t-1} \qquad (- \text{ if maximize}; \text{ the L2 penalty}) \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g_t^2, \qquad
              \hat v_t = \max(\hat v_{t-1}, v_t) \ \text{(amsgrad)}, \ v_t \ \text{(otherwise)} \\
        \theta_t &= \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t} \,
                    \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    With ``decoupled_weight_decay=True`` the penalty is replaced by :math:`\theta_{t-1} \leftarrow (1 - \gamma
    \lambda) \theta_{t-1}` before the step, which is :class:`AdamW`.

    Args:
        params (iterable): tensors to optimize or dicts of parameter groups.
        lr (float): learning rate :math:`\gamma`. Default: 1e-3.
        betas (tuple[float, float]): :math:`(\beta_1, \beta_2)`, decay rates of the moment estimates.
            Default: (0.9, 0.999).
        eps (float): added to the denominator for numerical stability. Default: 1e-8.
        weight_decay (float): weight decay :math:`\lambda` (an L2 penalty on the gradient). Default: 0.
        amsgrad (bool): use the maximum of past second moments (AMSGrad). Default: False.
        foreach (bool, optional): accepted for PyTorch compatibility; ignored.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.
        decoupled_weight_decay (bool): decoupled weight decay, as AdamW. Default: False.

    Example::

        >>> opt = optim.Adam(model.parameters(), lr=1e-3)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                         decoupled_weight_decay=decoupled_weight_decay)


class AdamW(Adam):
    r"""AdamW (Loshchilov and Hutter, 2019): Adam with weight decay decoupled from the gradient-based update.

    .. math::
        \theta_{t-1} &\leftarrow (1 - \gamma \lambda) \, \theta_{t-1} \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \theta_t &= \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t} \,
                    \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    (:math:`\hat v_t` as in :class:`Adam`, with ``amsgrad``). With an L2 penalty the decay would pass through
    :math:`\sqrt{v_t}` and be weakest on weights with large gradients; decoupled, every weight decays at the same
    rate :math:`\gamma\lambda`.

    Args:
        params (iterable): tensors to optimize or dicts of parameter groups.
        lr (float): learning rate :math:`\gamma`. Default: 1e-3.
        betas (tuple[float, float]): :math:`(\beta_1, \beta_2)`. Default: (0.9, 0.999).
        eps (float): added to the denominator for numerical stability. Default: 1e-8.
        weight_decay (float): decoupled weight decay :math:`\lambda`. Default: 1e-2.
        amsgrad (bool): use the maximum of past second moments (AMSGrad). Default: False.
        foreach (bool, optional): accepted for PyTorch compatibility; ignored.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.

    Example::

        >>> opt = optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # AdamW is decoupled whatever the checkpoint says (as in PyTorch)
            group["decoupled_weight_decay"] = True


class Adamax(_AdamFamily):
    r"""Adamax (Kingma and Ba, 2015, section 7.1): Adam with the infinity norm in place of the second moment.

    .. math::
        g_t &\leftarrow \pm g_t + \lambda \theta_{t-1} \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        u_t &= \max(\beta_2 u_{t-1}, |g_t| + \epsilon) \\
        \theta_t &= \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t} \, \frac{m_t}{u_t}

    Args:
        params (iterable): tensors to optimize or dicts of parameter groups.
        lr (float): learning rate :math:`\gamma`. Default: 2e-3.
        betas (tuple[float, float]): :math:`(\beta_1, \beta_2)`. Default: (0.9, 0.999).
        eps (float): added to :math:`|g_t|` for numerical stability. Default: 1e-8.
        weight_decay (float): L2 penalty :math:`\lambda`. Default: 0.
        foreach (bool, optional): accepted for PyTorch compatibility; ignored.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.

    Example::

        >>> opt = optim.Adamax(model.parameters())
    """

    _second_moment = "inf"

    def __init__(self, params: ParamsT, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, foreach=foreach, maximize=maximize)


class NAdam(_AdamFamily):
    r"""NAdam (Dozat, 2016): Adam with Nesterov momentum and a warming momentum schedule.

    With momentum decay :math:`\psi` and :math:`\mu_t = \beta_1 (1 - \tfrac12 \, 0.96^{t \psi})`:

    .. math::
        g_t &\leftarrow \pm g_t + \lambda \theta_{t-1} \quad \text{(or } \theta_{t-1} \leftarrow
              (1 - \gamma\lambda)\theta_{t-1} \text{ if decoupled)} \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        d_t &= \sqrt{v_t / (1 - \beta_2^t)} + \epsilon \\
        \theta_t &= \theta_{t-1} - \gamma \frac{1 - \mu_t}{1 - \prod_{i \le t} \mu_i} \frac{g_t}{d_t}
                    - \gamma \frac{\mu_{t+1}}{1 - \prod_{i \le t+1} \mu_i} \frac{m_t}{d_t}

    Args:
        params (iterable): tensors to optimize or dicts of parameter groups.
        lr (float): learning rate :math:`\gamma`. Default: 2e-3.
        betas (tuple[float, float]): :math:`(\beta_1, \beta_2)`. Default: (0.9, 0.999).
        eps (float): added to the denominator for numerical stability. Default: 1e-8.
        weight_decay (float): weight decay :math:`\lambda`. Default: 0.
        momentum_decay (float): :math:`\psi`. Default: 4e-3.
        decoupled_weight_decay (bool): decoupled (AdamW-style) weight decay, NAdamW. Default: False.
        foreach (bool, optional): accepted for PyTorch compatibility; ignored.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.

    Example::

        >>> opt = optim.NAdam(model.parameters())
    """

    _step_rule = "nadam"

    def __init__(self, params: ParamsT, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, momentum_decay=momentum_decay,
                         decoupled_weight_decay=decoupled_weight_decay, foreach=foreach, maximize=maximize)


class RAdam(_AdamFamily):
    r"""RAdam (Liu et al., 2020): Adam with the variance of the adaptive learning rate rectified.

    With :math:`\rho_\infty = 2 / (1 - \beta_2) - 1` and :math:`\rho_t = \rho_\infty - 2 t \beta_2^t / (1 -
    \beta_2^t)`:

    .. math::
        g_t &\leftarrow \pm g_t + \lambda \theta_{t-1} \quad \text{(or } \theta_{t-1} \leftarrow
              (1 - \gamma\lambda)\theta_{t-1} \text{ if decoupled)} \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2,
              \qquad \hat m_t = m_t / (1 - \beta_1^t) \\
        r_t &= \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}{(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}} \\
        \theta_t &= \theta_{t-1} - \gamma \hat m_t \, r_t \frac{\sqrt{1 - \beta_2^t}}{\sqrt{v_t} + \epsilon}
              \quad (\rho_t > 5), \qquad \theta_{t-1} - \gamma \hat m_t \quad \text{(otherwise)}

    Args:
        params (iterable): tensors to optimize or dicts of parameter groups.
        lr (float): learning rate :math:`\gamma`. Default: 1e-3.
        betas (tuple[float, float]): :math:`(\beta_1, \beta_2)`. Default: (0.9, 0.999).
        eps (float): added to the denominator for numerical stability. Default: 1e-8.
        weight_decay (float): weight decay :math:`\lambda`. Default: 0.
        decoupled_weight_decay (bool): decoupled (AdamW-style) weight decay, RAdamW. Default: False.
        foreach (bool, optional): accepted for PyTorch compatibility; ignored.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.

    Example::

        >>> opt = optim.RAdam(model.parameters())
    """

    _step_rule = "radam"

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, decoupled_weight_decay=decoupled_weight_decay,
                         foreach=foreach, maximize=maximize)
