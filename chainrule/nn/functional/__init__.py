"""``chainrule.nn.functional``: the stateless math behind every layer (``F.relu``, ``F.cross_entropy``)."""

from ...tensor.functions import one_hot
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
from .attention import multi_head_attention_forward, scaled_dot_product_attention
from .conv import channel_shuffle, conv1d, conv2d, conv_transpose1d, conv_transpose2d, pad
from .dropout import dropout, dropout2d
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
from .normalization import batch_norm, group_norm, instance_norm, layer_norm, local_response_norm
from .pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
    stochastic_pool2d,
)
from .vision import interpolate, pixel_shuffle, pixel_unshuffle
