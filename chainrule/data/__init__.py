"""``chainrule.data``: the same package as :mod:`chainrule.utils.data` (DESIGN.md's ``data/`` part), re-exported.

The code lives in ``chainrule/utils/data`` (PyTorch's ``torch.utils.data``); this alias keeps the short name.
"""

from ..utils.data import (
    BaggingEnsemble,
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    CVResult,
    DataLoader,
    Dataset,
    IterableDataset,
    KFold,
    RandomSampler,
    Sampler,
    SequentialSampler,
    StratifiedKFold,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    bootstrap_indices,
    cross_validate,
    default_collate,
    default_convert,
    random_split,
    splits,
    train_val_test_split,
    transforms,
)

__all__ = [
    "Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "ChainDataset", "random_split",
    "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler",
    "DataLoader", "default_collate", "default_convert",
    "train_val_test_split", "KFold", "StratifiedKFold", "CVResult", "cross_validate", "bootstrap_indices",
    "BaggingEnsemble", "splits", "transforms",
]
