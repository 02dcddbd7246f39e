"""AdamP (Heo et al., ICLR 2021): Adam whose update is projected off the radial direction of scale-invariant weights.

Weights followed by a normalisation layer are scale-invariant: only their direction matters, and the radial
component of a momentum update only inflates their norm, which shrinks the effective step size. AdamP detects such
weights -- the gradient of a scale-invariant weight is orthogonal to it -- and removes the radial component from the
update. The semantics (bias corrections, per-channel then per-layer test, ``wd_ratio``) follow the authors' release,
github.com/clovaai/AdamP.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .adam import _first_moment, _second_moment
from .optimizer import Optimizer, ParamsT, _bump_step, _scalar_state, _zeros_state

__all__ = ["AdamP"]


def _project(w: np.ndarray, g: np.ndarray, perturb: np.ndarray, delta: float, eps: float) -> bool:
    """Remove from ``perturb`` (in place) its component along ``w`` if ``w`` looks scale-invariant.

    The test runs first per output channel (rows of ``w`` viewed as ``(C, -1)``), then on the whole layer (``(1,
    -1)``): if ``max |cos(g, w)| < delta / sqrt(dim)`` over the rows, every row of the update is projected onto the
    tangent space of its row of ``w``: ``perturb -= w_hat * <w_hat, perturb>`` with ``w_hat = w / (||w|| + eps)``.
    Returns whether a projection was applied.
    """
    for rows in (w.shape[0], 1):
        wv, gv = w.reshape(rows, -1), g.reshape(rows, -1)
        w_norm = np.sqrt(np.einsum("ij,ij->i", wv, wv))
        g_norm = np.sqrt(np.einsum("ij,ij->i", gv, gv))
        # NOTE: each norm clamped by eps separately, as torch.nn.functional.cosine_similarity does
        cosine = np.abs(np.einsum("ij,ij->i", gv, wv)) / (np.maximum(g_norm, eps) * np.maximum(w_norm, eps))
        if cosine.max() < delta / math.sqrt(wv.shape[1]):
            w_hat = wv / (w_norm + eps)[:, None]
            pv = perturb.reshape(rows, -1)  # a view: perturb is a fresh contiguous array
            pv -= w_hat * np.einsum("ij,ij->i", w_hat, pv)[:, None]
            return True
    return False


class AdamP(Optimizer):
    r"""AdamP (Heo et al., 2021, "AdamP: Slowing Down the Slowdown for Momentum Optimizers on Scale-invariant
    Weights"): Adam whose update is projected onto the tangent space of scale-invariant weights.

    With learning rate :math:`\gamma`, decay rates :math:`\beta_1, \beta_2`, threshold :math:`\delta` and weight
    decay :math:`\lambda`:

    .. math::
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        p_t &= \frac{m_t}{\sqrt{v_t} / \sqrt{1 - \beta_2^t} + \epsilon} \quad\text{or, with nesterov,}\quad
              \frac{\beta_1 m_t + (1 - \beta_1) g_t}{\sqrt{v_t} / \sqrt{1 - \beta_2^t} + \epsilon} \\
        q_t &= \Pi_{\theta_{t-1}}(p_t) = p_t - \hat\theta \langle \hat\theta, p_t \rangle,
              \ \hat\theta = \frac{\theta_{t-1}}{\|\theta_{t-1}\| + \epsilon}
              \quad \text{if } \max |\cos(\theta_{t-1}, g_t)| < \frac{\delta}{\sqrt{\dim \theta}},
              \quad \text{else } p_t \\
        \theta_t &= (1 - \gamma \lambda r) \, \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t} q_t

    The cosine test and the projection are done per output channel (each row of the weight viewed as ``(C, -1)``)
    and, failing that, on the whole layer; only weights of two or more dimensions are considered. The decoupled
    weight decay is scaled by :math:`r` = ``wd_ratio`` when the update was projected and by 1 otherwise.

    Args:
        params (iterable): tensors to optimize or dicts of parameter groups.
        lr (float): learning rate :math:`\gamma`. Default: 1e-3.
        betas (tuple[float, float]): :math:`(\beta_1, \beta_2)`. Default: (0.9, 0.999).
        eps (float): added to the denominator and to the norms. Default: 1e-8.
        weight_decay (float): decoupled weight decay :math:`\lambda`. Default: 0.
        delta (float): threshold :math:`\delta` of the cosine-similarity test. Default: 0.1.
        wd_ratio (float): weight-decay ratio :math:`r` for projected weights. Default: 0.1.
        nesterov (bool): use the Nesterov look-ahead for the first moment. Default: False.

    Example::

        >>> opt = optim.AdamP(model.parameters(), lr=1e-3, weight_decay=1e-2)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, delta: float = 0.1, wd_ratio: float = 0.1,
                 nesterov: bool = False) -> None:
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
        if not 0.0 <= delta:
            raise ValueError(f"Invalid delta value: {delta}")
        if not 0.0 <= wd_ratio <= 1.0:
            raise ValueError(f"Invalid wd_ratio value: {wd_ratio}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, delta=delta, wd_ratio=wd_ratio,
                        nesterov=nesterov)
        super().__init__(params, defaults)

    def _step_group(self, group: dict[str, Any]) -> None:
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if not state:
                state.update(step=_scalar_state(0.0), exp_avg=_zeros_state(p), exp_avg_sq=_zeros_state(p))
            t = _bump_step(state)
            w, g = p._data, p.grad._data
            m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
            _first_moment(m, g, beta1)
            denom = np.empty_like(w)
            _second_moment(v, g, beta2, denom)
            np.sqrt(v, out=denom)
            denom /= math.sqrt(1 - beta2 ** t)
            denom += eps
            if group["nesterov"]:
                perturb = m * beta1
                perturb += g * (1 - beta1)
                perturb /= denom
            else:
                perturb = np.divide(m, denom, out=denom)
            projected = w.ndim > 1 and _project(w, g, perturb, group["delta"], eps)
            if weight_decay > 0:
                w *= 1 - lr * weight_decay * (group["wd_ratio"] if projected else 1.0)
            perturb *= lr / (1 - beta1 ** t)
            w -= perturb
