"""Helpers for recurrent networks: :func:`detach_state` for truncated backpropagation through time."""

from __future__ import annotations

from typing import Any

from ...tensor import Tensor

__all__ = ["detach_state"]


def detach_state(state: Any) -> Any:
    r"""Cut the graph behind a recurrent state: return ``state`` detached, keeping its structure.

    Truncated backpropagation through time (TBPTT) trains on a long sequence chunk by chunk: the hidden state is
    carried from one chunk to the next (so the model still sees the whole past in the forward pass), but it is
    detached, so each backward pass runs back through at most ``k`` steps, the chunk length, and the graph of earlier
    chunks is freed. The gradient is then that of :math:`\sum_{t \in \text{chunk}} L_t` with the incoming state
    treated as a constant.

    Args:
        state: a Tensor, None, or a (nested) tuple or list of them, e.g. an LSTM's ``(h, c)``.

    Returns:
        The same structure with every Tensor detached (sharing its data; the result does not require grad).

    Example::

        >>> lstm, head = nn.LSTM(8, 32, batch_first=True), nn.Linear(32, 8)
        >>> opt = chainrule.optim.Adam([*lstm.parameters(), *head.parameters()])
        >>> seq = chainrule.randn(4, 1000, 8)          # (batch, time, features)
        >>> state, k = None, 50                        # k: the truncation length
        >>> for s in range(0, seq.shape[1] - 1, k):
        ...     x, y = seq[:, s:s + k], seq[:, s + 1:s + k + 1]
        ...     x = x[:, :y.shape[1]]
        ...     out, state = lstm(x, state)
        ...     loss = nn.functional.mse_loss(head(out), y)
        ...     opt.zero_grad()
        ...     loss.backward()                        # back through the last k steps only
        ...     opt.step()
        ...     state = nn.utils.rnn.detach_state(state)
    """
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.detach()
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(s) for s in state)
    raise TypeError(f"detach_state: expected a Tensor or a tuple/list of Tensors, got {type(state).__name__}")
