"""``chainrule.nn``: modules, parameters, layers, losses and initialisers, with PyTorch's names."""

from . import functional, init, utils
from .activation import (
                   ELU,
                   GELU,
                   SELU,
                   Hardtanh,
                   LeakyReLU,
                   LogSoftmax,
                   PReLU,
                   ReLU,
                   ReLU6,
                   Sigmoid,
                   SiLU,
                   Softmax,
                   Softplus,
                   Tanh,
)
from .attention import MultiheadAttention
from .container import Flatten, Identity, ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential, Unflatten
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .dropout import Dropout, Dropout2d
from .embedding import Embedding
from .linear import Linear
from .loss import (
                   AsymmetricLoss,
                   BCELoss,
                   BCEWithLogitsLoss,
                   CrossEntropyLoss,
                   FocalLoss,
                   GaussianNLLLoss,
                   HuberLoss,
                   KLDivLoss,
                   L1Loss,
                   MSELoss,
                   NLLLoss,
                   SmoothL1Loss,
)
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm2d, LayerNorm, LocalResponseNorm
from .parameter import Parameter
from .pixelshuffle import PixelShuffle, PixelUnshuffle
from .pooling import (
                   AdaptiveAvgPool1d,
                   AdaptiveAvgPool2d,
                   AdaptiveMaxPool1d,
                   AdaptiveMaxPool2d,
                   AvgPool1d,
                   AvgPool2d,
                   GlobalAvgPool2d,
                   MaxPool1d,
                   MaxPool2d,
                   StochasticPool2d,
)
from .positional import LearnedPositionalEmbedding, SinusoidalPositionalEncoding
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .separable import ChannelShuffle, DepthwiseSeparableConv2d, FlattenedConv2d, SpatiallySeparableConv2d
from .transformer import (
                   Transformer,
                   TransformerDecoder,
                   TransformerDecoderLayer,
                   TransformerEncoder,
                   TransformerEncoderLayer,
)
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
