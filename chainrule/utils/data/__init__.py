"""Data loading with ``torch.utils.data``'s names: datasets, samplers, ``DataLoader``, collation.

Also here: train/validation/test splits, k-fold cross-validation, bootstrap and bagging (:mod:`.splits`,
:mod:`.bagging`) and image augmentation (:mod:`.transforms`). ``chainrule.data`` is the same package.
"""

from . import splits, transforms
from .bagging import BaggingEnsemble
from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from .splits import CVResult, KFold, StratifiedKFold, bootstrap_indices, cross_validate, train_val_test_split

__all__ = [
    "Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "ChainDataset", "random_split",
    "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler",
    "DataLoader", "default_collate", "default_convert",
    "train_val_test_split", "KFold", "StratifiedKFold", "CVResult", "cross_validate", "bootstrap_indices",
    "BaggingEnsemble", "splits", "transforms",
]
