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
from .container import Flatten, Identity, ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential, Unflatten
from .dropout import Dropout
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
from .normalization import BatchNorm1d, LayerNorm
from .parameter import Parameter
