"""``chainrule.optim``: optimizers written from their update equations, learning-rate schedulers.

Every optimizer updates the parameter arrays in place and agrees step for step with its PyTorch namesake (AdamP,
which PyTorch lacks, follows the authors' release).
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, Adamax, AdamW, NAdam, RAdam
from .adamp import AdamP
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "AdamP",
           "lr_scheduler"]
