"""``chainrule.nn.functional``: the stateless math behind every layer (``F.relu``, ``F.cross_entropy``)."""

from ...tensor.functions import one_hot, pad
from .activation import (
                   elu,
                   elu_,
                   gelu,
                   hardtanh,
                   hardtanh_,
                   leaky_relu,
                   leaky_relu_,
                   log_softmax,
                   prelu,
                   relu,
                   relu6,
                   relu_,
                   selu,
                   sigmoid,
                   silu,
                   softmax,
                   softplus,
                   tanh,
)
from .dropout import dropout
from .linear import embedding, linear
from .loss import (
                   asymmetric_loss,
                   binary_cross_entropy,
                   binary_cross_entropy_with_logits,
                   cross_entropy,
                   focal_loss,
                   gaussian_nll_loss,
                   huber_loss,
                   kl_div,
                   l1_loss,
                   l1_penalty,
                   l2_penalty,
                   mse_loss,
                   nll_loss,
                   sigmoid_focal_loss,
                   smooth_l1_loss,
)
from .normalization import batch_norm, layer_norm
