"""``chainrule.nn.utils``: gradient clipping; ``rnn``: padded and packed variable-length sequences
(``rnn.pack_padded_sequence``, ``rnn.PackedSequence``, ...) and ``rnn.detach_state`` for truncated BPTT."""

from . import rnn
from .clip_grad import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm

__all__ = ["rnn", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]
