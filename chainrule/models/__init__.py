"""``chainrule.models``: the model zoo, each architecture registered by name.

>>> from chainrule import models
>>> models.list_models("*regression")
['linear_regression', 'logistic_regression', 'softmax_regression']
>>> net = models.create_model("mlp", in_features=40, num_classes=10)
"""

from . import (
    alexnet,
    autoencoder,
    classic,
    convnext,
    densenet,
    dpn,
    googlenet,
    inception,
    language,
    lenet,
    lenet1998,
    mae,
    mnasnet,
    mnist1d,
    mobilenet,
    rbm,
    recurrent,
    resnet,
    segmentation,
    senet,
    shufflenet,
    swin,
    vgg,
    vit,
    yolo,
)
from ._registry import create_model, is_model, list_models, model_entrypoint, register_model
from .autoencoder import Autoencoder, ConvAutoencoder
from .classic import MLP, Perceptron
from .language import BERT, GPT, CharRNN, mask_tokens
from .lenet import ConvNet1d, LeNet5, SimpleCNN
from .lenet1998 import LeNet5_1998
from .mae import MaskedAutoencoder
from .mnist1d import ConvNet1dBN, RandomShift1d
from .rbm import DBN, RBM
from .recurrent import Seq2Seq, SequenceClassifier
from .segmentation import FCN, UNet
from .yolo import YOLOv1, yolo_decode, yolo_loss
