"""Restricted Boltzmann machines trained by contrastive divergence, and the deep belief network built from them.

An RBM is an energy model over binary visible units :math:`v` and hidden units :math:`h`,
:math:`E(v, h) = -b^\\top v - c^\\top h - h^\\top W v`, :math:`p(v, h) \\propto e^{-E(v, h)}`. A DBN stacks RBMs,
trains them greedily one layer at a time on the layer below's hidden probabilities (Hinton, Osindero & Teh, 2006)
and then becomes the initialisation of an MLP fine-tuned by backpropagation.

>>> from chainrule import models
>>> rbm = models.create_model("rbm", n_visible=784, n_hidden=64)
>>> err = rbm.contrastive_divergence(chainrule.rand(8, 784).round())  # sets .grad; any optimizer can step
"""

from __future__ import annotations

import itertools
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..nn import functional as F
from ..nn import init
from ..random import Generator
from ..tensor import Tensor
from ..tensor.creation import bernoulli, empty, tensor, zeros
from ._registry import register_model

__all__ = ["RBM", "DBN", "rbm", "dbn"]


class RBM(nn.Module):
    r"""A Bernoulli-Bernoulli restricted Boltzmann machine.

    .. math:: p(h_j = 1 \mid v) = \sigma(c_j + W_j v), \quad p(v_i = 1 \mid h) = \sigma(b_i + W_{:, i}^\top h),
        \quad F(v) = -b^\top v - \sum_j \operatorname{softplus}(c_j + W_j v)

    with :math:`F` the free energy (:math:`p(v) = e^{-F(v)} / Z`). :meth:`contrastive_divergence` writes the CD-k
    estimate of :math:`-\nabla \log p(v)` into the parameters' ``.grad``:

    .. math:: \nabla_W = -\big(\langle p(h \mid v)\, v^\top \rangle_{\text{data}} -
        \langle p(h \mid \tilde v)\, \tilde v^\top \rangle_{\text{model}}\big)

    (and the same for :math:`b` with :math:`v`, for :math:`c` with :math:`p(h \mid v)`), :math:`\tilde v` the
    visible sample after ``k`` Gibbs steps started at the data (CD) or at the previous call's chain (persistent CD).

    Args:
        n_visible: visible units.
        n_hidden: hidden units.
        k: Gibbs steps of the negative phase (default of :meth:`contrastive_divergence`).
        persistent: keep the negative chain from call to call (PCD, Tieleman 2008).
        generator: the random stream for the samples (None: the default one, set by ``chainrule.manual_seed``).

    Attributes:
        weight: :math:`W`, shape ``(n_hidden, n_visible)`` (``Linear``'s layout), from :math:`\mathcal{N}(0, 0.01^2)`.
        visible_bias: :math:`b`, ``(n_visible,)``, zeros. hidden_bias: :math:`c`, ``(n_hidden,)``, zeros.

    Shape:
        - Input: :math:`(N, *)` with :math:`\prod(*) =` ``n_visible``, values in [0, 1].
        - Output of ``forward``: :math:`(N, \text{n\_hidden})`, the hidden probabilities :math:`p(h = 1 \mid v)`.
    """

    def __init__(self, n_visible: int = 784, n_hidden: int = 128, k: int = 1, persistent: bool = False,
                 generator: Generator | None = None) -> None:
        super().__init__()
        if n_visible < 1 or n_hidden < 1:
            raise ValueError(f"RBM: n_visible ({n_visible}) and n_hidden ({n_hidden}) must be positive")
        self._check_k(k)
        self.n_visible, self.n_hidden, self.k = n_visible, n_hidden, k
        self.persistent, self.generator = persistent, generator
        self.weight = nn.Parameter(empty(n_hidden, n_visible))
        self.visible_bias = nn.Parameter(zeros(n_visible))
        self.hidden_bias = nn.Parameter(zeros(n_hidden))
        self.chain: Tensor | None = None  # the persistent negative chain
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # NOTE: small random weights, zero biases (Hinton's practical guide, 2010)
        init.normal_(self.weight, std=0.01)
        init.zeros_(self.visible_bias)
        init.zeros_(self.hidden_bias)
        self.chain = None

    @staticmethod
    def _check_k(k: int) -> None:
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"RBM: the number of Gibbs steps k must be a positive integer, got {k!r}")

    def _flat(self, v: Tensor) -> Tensor:
        if not isinstance(v, Tensor):
            raise TypeError(f"RBM: expected a Tensor, got {type(v).__name__}")
        if v.dim() < 2 or v[0].numel() != self.n_visible:
            raise ValueError(f"RBM: expected visible units of shape (N, {self.n_visible}) (or (N, *) with "
                             f"{self.n_visible} values per sample), got {tuple(v.shape)}")
        return v.reshape(v.shape[0], self.n_visible)

    def _bernoulli(self, p: Tensor, generator: Generator | None) -> Tensor:
        return bernoulli(p, generator=generator or self.generator)

    # ----------------------------------------------------------------- conditionals and sampling
    def hidden_probs(self, v: Tensor) -> Tensor:
        """:math:`p(h = 1 \\mid v) = \\sigma(v W^\\top + c)`, shape ``(N, n_hidden)``."""
        return F.linear(self._flat(v), self.weight, self.hidden_bias).sigmoid()

    def visible_probs(self, h: Tensor) -> Tensor:
        """:math:`p(v = 1 \\mid h) = \\sigma(h W + b)`, shape ``(N, n_visible)``."""
        if not isinstance(h, Tensor) or h.dim() != 2 or h.shape[1] != self.n_hidden:
            got = tuple(h.shape) if isinstance(h, Tensor) else type(h).__name__
            raise ValueError(f"RBM: expected hidden units of shape (N, {self.n_hidden}), got {got}")
        return F.linear(h, self.weight.t(), self.visible_bias).sigmoid()

    def sample_h(self, v: Tensor, generator: Generator | None = None) -> tuple[Tensor, Tensor]:
        """``(p(h | v), h)`` with ``h`` a Bernoulli sample of the probabilities."""
        p = self.hidden_probs(v)
        return p, self._bernoulli(p, generator)

    def sample_v(self, h: Tensor, generator: Generator | None = None) -> tuple[Tensor, Tensor]:
        """``(p(v | h), v)`` with ``v`` a Bernoulli sample of the probabilities."""
        p = self.visible_probs(h)
        return p, self._bernoulli(p, generator)

    def gibbs(self, v: Tensor, k: int = 1, generator: Generator | None = None) -> tuple[Tensor, Tensor]:
        """Run ``k`` steps of block Gibbs sampling ``v -> h -> v`` from ``v``; returns ``(p(v | h), v)`` of the last
        step (the probabilities are the usual, less noisy, reconstruction)."""
        self._check_k(k)
        with no_grad():
            vk = self._flat(v)
            for _ in range(k):
                _, h = self.sample_h(vk, generator)
                pv, vk = self.sample_v(h, generator)
        return pv, vk

    # ----------------------------------------------------------------- energies and learning
    def free_energy(self, v: Tensor) -> Tensor:
        """:math:`F(v) = -b^\\top v - \\sum_j \\operatorname{softplus}(c_j + W_j v)` per sample, shape ``(N,)``
        (differentiable)."""
        v = self._flat(v)
        return -(v @ self.visible_bias) - F.softplus(F.linear(v, self.weight, self.hidden_bias)).sum(1)

    def contrastive_divergence(self, v: Tensor, k: int | None = None, generator: Generator | None = None) -> float:
        """Set ``.grad`` of ``weight``, ``visible_bias``, ``hidden_bias`` to the CD-k estimate of the gradient of the
        negative log-likelihood averaged over the batch (overwriting any previous ``.grad``), so that an optimizer's
        ``step()`` moves up the likelihood. Returns the mean squared reconstruction error of ``v`` against
        :math:`p(v \\mid h)` of the first Gibbs step (with a persistent chain, of the mean-field
        :math:`p(v \\mid p(h \\mid v))`): a cheap progress signal, not the likelihood."""
        k = self.k if k is None else k
        self._check_k(k)
        with no_grad():
            v0 = self._flat(v)
            ph0 = self.hidden_probs(v0)
            start = v0 if not self.persistent or self.chain is None else self.chain
            vk, recon = start, None
            for step in range(k):
                # NOTE: in plain CD the first step reuses p(h | v0) from the positive phase (same numbers)
                h = self._bernoulli(ph0, generator) if step == 0 and start is v0 else self.sample_h(vk, generator)[1]
                pv, vk = self.sample_v(h, generator)
                if step == 0 and start is v0:
                    recon = pv
            phk = self.hidden_probs(vk)
            if self.persistent:
                self.chain = vk
            n0, nk = v0.shape[0], vk.shape[0]
            self.weight.grad = (phk.t() @ vk) / nk - (ph0.t() @ v0) / n0
            self.visible_bias.grad = vk.mean(0) - v0.mean(0)
            self.hidden_bias.grad = phk.mean(0) - ph0.mean(0)
            if recon is None:  # the chain did not start at the data: use the mean-field reconstruction
                recon = self.visible_probs(ph0)
            return float(((v0 - recon) ** 2).mean())

    def log_partition(self) -> Tensor:
        """The exact :math:`\\log Z`, by enumerating the :math:`2^{\\min(V, H)}` states of the smaller layer
        (:math:`Z = \\sum_h e^{c^\\top h} \\prod_i (1 + e^{b_i + W_{:, i}^\\top h})`, or the same over :math:`v`).
        Only for small RBMs (at most 20 units in the smaller layer)."""
        small = min(self.n_visible, self.n_hidden)
        if small > 20:
            raise ValueError(f"RBM.log_partition: enumerating 2**{small} states is too many; use an RBM with at "
                             "most 20 units in one layer")
        states = tensor(np.array(list(itertools.product((0, 1), repeat=small))), dtype=self.weight.dtype)
        with no_grad():
            if self.n_visible <= self.n_hidden:
                neg_f = -self.free_energy(states)
            else:
                neg_f = states @ self.hidden_bias + F.softplus(F.linear(states, self.weight.t(),
                                                                        self.visible_bias)).sum(1)
            return neg_f.logsumexp(0)

    def forward(self, v: Tensor) -> Tensor:
        return self.hidden_probs(v)

    def extra_repr(self) -> str:
        return f"n_visible={self.n_visible}, n_hidden={self.n_hidden}, k={self.k}, persistent={self.persistent}"


def _batch_input(batch: Any) -> Tensor:
    """The inputs of a loader's batch: a Tensor / array, or the first item of an ``(x, y)`` pair."""
    x = batch[0] if isinstance(batch, (tuple, list)) else batch
    return x if isinstance(x, Tensor) else tensor(np.asarray(x))


class DBN(nn.Module):
    r"""A deep belief network: RBMs stacked ``sizes[0] -> sizes[1] -> ...``, pre-trained greedily layer by layer.

    Layer :math:`l` is trained by contrastive divergence on the mean-field activations of the layers below,
    :math:`x_l = \sigma(W_{l-1} x_{l-1} + c_{l-1})`, :math:`x_0 = v` (:meth:`pretrain`); :meth:`to_mlp` then gives
    the MLP ``Linear -> Sigmoid`` per RBM plus a new output ``Linear``, initialised from the RBMs' weights and hidden
    biases, for fine-tuning by backpropagation.

    Args:
        sizes: unit counts from the visible layer up (at least two).
        k, persistent, generator: passed to every :class:`RBM`.

    Shape:
        - Input: :math:`(N, *)` with :math:`\prod(*) =` ``sizes[0]``.
        - Output of ``forward``: :math:`(N, \text{sizes[-1]})`, the top layer's mean-field activations.
    """

    def __init__(self, sizes: Sequence[int] = (784, 256, 128), k: int = 1, persistent: bool = False,
                 generator: Generator | None = None) -> None:
        super().__init__()
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"DBN: sizes needs a visible and at least one hidden layer, got {sizes}")
        self.sizes = sizes
        self.rbms = nn.ModuleList([RBM(a, b, k, persistent, generator) for a, b in zip(sizes[:-1], sizes[1:])])

    def forward(self, v: Tensor, layers: int | None = None) -> Tensor:
        """Mean-field activations of the top layer (or after the first ``layers`` RBMs)."""
        rbms = list(self.rbms)
        for r in rbms[: len(rbms) if layers is None else layers]:
            v = r(v)
        return v

    def pretrain(self, loader: Iterable[Any], epochs: int = 1, lr: float = 0.1, k: int | None = None,
                 momentum: float = 0.5, weight_decay: float = 0.0,
                 optimizer: Callable[[Iterable[nn.Parameter]], Any] | None = None) -> list[list[float]]:
        """Greedy layer-wise pre-training: each RBM in turn, bottom up, for ``epochs`` passes over ``loader``.

        The update per batch is SGD with momentum on the CD-k gradient, :math:`u \\leftarrow \\mu u + g`,
        :math:`\\theta \\leftarrow \\theta - \\eta u` (``weight_decay`` adds :math:`\\lambda W` to the weights'
        gradient); or, when given, ``optimizer(rbm.parameters())`` builds an optimizer whose ``step()`` is used.

        Args:
            loader: an iterable of batches, re-iterated every epoch (a DataLoader): Tensors or ``(x, y)`` pairs.
            epochs: passes per layer. lr, momentum, weight_decay: the built-in update's settings.
            k: Gibbs steps (default: each RBM's own ``k``).
            optimizer: a factory of an optimizer over the given parameters (e.g. ``lambda p: optim.Adam(p)``).

        Returns: per layer, the mean reconstruction error of each epoch.
        """
        if epochs < 1 or lr <= 0:
            raise ValueError(f"DBN.pretrain: epochs ({epochs}) and lr ({lr}) must be positive")
        history: list[list[float]] = []
        for depth, r in enumerate(self.rbms):
            opt = optimizer(r.parameters()) if optimizer is not None else None
            velocity = [zeros(p.shape, dtype=p.dtype) for p in r.parameters()]
            errors = []
            for _ in range(epochs):
                total, batches = 0.0, 0
                for batch in loader:
                    with no_grad():
                        x = self.forward(_batch_input(batch).to(r.weight.dtype), layers=depth)
                    total += r.contrastive_divergence(x, k)
                    batches += 1
                    if opt is not None:
                        opt.step()
                        continue
                    with no_grad():
                        for p, u in zip(r.parameters(), velocity):
                            g = p.grad + weight_decay * p if p is r.weight and weight_decay else p.grad
                            u.mul_(momentum).add_(g)
                            p.sub_(lr * u)
                errors.append(total / max(batches, 1))
            history.append(errors)
        return history

    def to_mlp(self, num_classes: int) -> nn.Sequential:
        """``Flatten, (Linear, Sigmoid) per RBM, Linear(sizes[-1], num_classes)``: the hidden layers' weights and
        biases are copies of the RBMs' ``weight`` and ``hidden_bias``; the output layer is freshly initialised."""
        if num_classes < 1:
            raise ValueError(f"DBN.to_mlp: num_classes must be positive, got {num_classes}")
        layers: list[nn.Module] = [nn.Flatten()]
        for r in self.rbms:
            lin = nn.Linear(r.n_visible, r.n_hidden, dtype=r.weight.dtype)
            assert lin.bias is not None  # built with bias=True
            with no_grad():
                lin.weight.copy_(r.weight)
                lin.bias.copy_(r.hidden_bias)
            layers += [lin, nn.Sigmoid()]
        layers.append(nn.Linear(self.sizes[-1], num_classes, dtype=self.rbms[0].weight.dtype))
        return nn.Sequential(*layers)


@register_model
def rbm(n_visible: int = 784, n_hidden: int = 128, k: int = 1, persistent: bool = False) -> RBM:
    """A Bernoulli RBM for 28x28 binary(-ised) images: 784 visible, 128 hidden units, CD-1."""
    return RBM(n_visible, n_hidden, k, persistent)


@register_model
def dbn(sizes: Sequence[int] = (784, 256, 128), k: int = 1, persistent: bool = False) -> DBN:
    """A deep belief network 784-256-128 (two RBMs); ``to_mlp(10)`` gives a 784-256-128-10 sigmoid MLP."""
    return DBN(sizes, k, persistent)
