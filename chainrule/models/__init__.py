"""``chainrule.models``: the model zoo, each architecture registered by name.

>>> from chainrule import models
>>> models.list_models("*regression")
['linear_regression', 'logistic_regression', 'softmax_regression']
>>> net = models.create_model("mlp", in_features=40, num_classes=10)
"""

from . import classic, lenet
from ._registry import create_model, is_model, list_models, model_entrypoint, register_model
from .classic import MLP, Perceptron
from .lenet import ConvNet1d, LeNet5, SimpleCNN
