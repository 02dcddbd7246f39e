"""Bagging: an ensemble of models (each trained on its own bootstrap sample) that averages or votes."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ...nn.container import ModuleList
from ...nn.module import Module
from ...tensor import Tensor
from ...tensor.functions import stack

__all__ = ["BaggingEnsemble"]


class BaggingEnsemble(Module):
    """Combine the outputs of several models: their mean, or a majority vote over their predicted classes.

    .. math:: \\text{mean}: \\; \\bar p(x) = \\frac{1}{M} \\sum_m f_m(x), \\qquad
        \\text{vote}: \\; \\hat y(x) = \\arg\\max_c \\sum_m [\\arg\\max f_m(x) = c]

    Train member ``m`` on the bootstrap sample of :func:`bootstrap_indices`; its out-of-bag samples validate it.

    Args:
        models: the members (any modules with outputs of the same shape).
        mode: ``'mean'`` averages the outputs (use probabilities, e.g. softmax outputs); ``'vote'`` returns the class
            chosen by most members (ties go to the smallest class index).

    Shape:
        Input: whatever the members take. Output: 'mean': the members' output shape (N, C); 'vote': (N,) int64.
    """

    def __init__(self, models: Iterable[Module], mode: str = "mean") -> None:
        super().__init__()
        if mode not in ("mean", "vote"):
            raise ValueError(f"BaggingEnsemble: mode must be 'mean' or 'vote', got {mode!r}")
        self.models = ModuleList(models)
        if len(self.models) == 0:
            raise ValueError("BaggingEnsemble: expected at least one model, got none")
        self.mode = mode

    def forward(self, *args: Any, **kwargs: Any) -> Tensor:
        outs = [m(*args, **kwargs) for m in self.models]
        if self.mode == "mean":
            return stack(outs, 0).mean(0)  # type: ignore[no-any-return]
        shapes = {tuple(o.shape) for o in outs}
        if len(shapes) != 1 or len(next(iter(shapes))) != 2:
            raise ValueError(f"BaggingEnsemble: 'vote' expects every member to output (N, C) scores, got shapes "
                             f"{sorted(shapes)}")
        preds = np.stack([o.detach().numpy().argmax(1) for o in outs])  # (M, N)
        n_classes = outs[0].shape[1]
        votes = (preds[:, :, None] == np.arange(n_classes)).sum(0)  # (N, C)
        return Tensor._make(votes.argmax(1).astype(np.int64), None, False)

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}"
