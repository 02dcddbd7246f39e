"""``chainrule.datasets``: MNIST-1D, MNIST, Fashion-MNIST, scikit-learn's digits, synthetic 2-D sets and
shapes on noise for segmentation and detection.

>>> from chainrule import datasets
>>> train = datasets.get_dataset("mnist1d", "train")   # generated locally, cached
>>> train.data.shape, train.targets.dtype
((4000, 40), dtype('int64'))
>>> X, y = datasets.make_spirals(300, classes=3, noise=0.1, generator=0)
"""

from . import idx
from ._base import ArrayDataset
from ._files import ChecksumError, DatasetNotFoundError
from ._registry import get_dataset, list_datasets
from .digits import Digits
from .idx import read_idx
from .mnist import MNIST, FashionMNIST
from .mnist1d import MNIST1D, generate_mnist1d
from .sequence import make_adding_problem, make_sequence_task
from .shapes import (
    ShapesDetection,
    ShapesSegmentation,
    make_detection_shapes,
    make_segmentation_shapes,
    yolo_targets,
)
from .synthetic import SyntheticDataset, make_blobs, make_moons, make_spirals, make_xor
from .text import CharDataset, CharTokenizer, WorldEnglishBible, load_world_english_bible, train_val_split

__all__ = ["ArrayDataset", "ChecksumError", "DatasetNotFoundError", "Digits", "FashionMNIST", "MNIST", "MNIST1D",
           "SyntheticDataset", "generate_mnist1d", "get_dataset", "list_datasets", "make_blobs", "make_moons",
           "make_adding_problem", "make_sequence_task", "make_spirals", "make_xor", "read_idx", "CharDataset",
           "CharTokenizer", "WorldEnglishBible", "load_world_english_bible", "train_val_split",
           "ShapesDetection", "ShapesSegmentation", "make_detection_shapes", "make_segmentation_shapes", "yolo_targets"]
