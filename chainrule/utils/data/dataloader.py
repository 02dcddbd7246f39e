"""``DataLoader`` as in ``torch.utils.data``: batches from a dataset through a sampler and a collate function.

Loading runs in the calling process. ``num_workers > 0`` is accepted so that PyTorch scripts run unchanged, with a
``UserWarning``: the batches (and their order) are the same as with ``num_workers=0``.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from ...random import Generator
from .collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset, Subset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader"]


class _InfiniteConstantSampler(Sampler[None]):
    """The sampler of an iterable dataset: the dataset decides what comes next, so the index is always None."""

    def __iter__(self) -> Iterator[None]:
        return itertools.repeat(None)


def _tensor_rows(dataset: Any) -> tuple[Any, Any] | None:
    """(tensors, index map) when ``dataset`` is a TensorDataset, possibly behind Subsets, else None."""
    index_map = None
    while type(dataset) is Subset:
        idx = np.asarray(dataset.indices, dtype=np.int64)
        index_map = idx if index_map is None else idx[index_map]
        dataset = dataset.dataset
    if type(dataset) is TensorDataset:
        return dataset.tensors, index_map
    return None


class DataLoader:
    """Iterate over ``dataset`` in batches: ``for x, y in DataLoader(ds, batch_size=64, shuffle=True): ...``.

    Each batch is ``collate_fn([dataset[i] for i in batch_indices])``; the indices come from ``batch_sampler``, or
    from ``sampler`` (``RandomSampler`` with ``shuffle=True``, else ``SequentialSampler``) grouped ``batch_size`` at
    a time. ``len(loader)`` is the number of batches: ``ceil(n / batch_size)``, or ``floor`` with ``drop_last``.

    Args:
        dataset: a map-style :class:`Dataset` (``__getitem__`` + ``__len__``) or an :class:`IterableDataset`.
        batch_size: samples per batch; None turns off batching (each sample is converted, not collated).
        shuffle: a new random order every epoch (drawn from ``generator``, else from ``chainrule.manual_seed``'s).
        sampler: the order of the indices (exclusive with ``shuffle``).
        batch_sampler: yields lists of indices (exclusive with batch_size, shuffle, sampler, drop_last).
        num_workers: accepted for compatibility; values > 0 load in the main process with a warning.
        collate_fn: merges a list of samples into a batch (default :func:`default_collate`).
        pin_memory, timeout, worker_init_fn, prefetch_factor, persistent_workers: accepted and ignored (no workers).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        generator: the random stream of the default ``RandomSampler``.
    """

    def __init__(self, dataset: Dataset[Any], batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler[Any] | Iterable[Any] | None = None,
                 batch_sampler: Sampler[Sequence[Any]] | Iterable[Sequence[Any]] | None = None,
                 num_workers: int = 0, collate_fn: Callable[[list[Any]], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None, multiprocessing_context: Any = None,
                 generator: Generator | None = None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "", in_order: bool = True) -> None:
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers option should be a non-negative integer, got {num_workers!r}")
        if num_workers > 0:
            warnings.warn(f"DataLoader: num_workers={num_workers} is not supported; chainrule loads the data in the "
                          "main process (same batches, same order)", UserWarning, stacklevel=2)
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout}")
        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                                 f"shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, but got "
                                 f"sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, but "
                                 f"got batch_sampler={batch_sampler}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                 f"sampler, and drop_last (got batch_size={batch_size}, shuffle={shuffle}, "
                                 f"drop_last={drop_last})")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and is mutually exclusive "
                             "with drop_last")
        if sampler is None:
            if iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)  # type: ignore[arg-type]
            else:
                sampler = SequentialSampler(dataset)  # type: ignore[arg-type]
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)  # type: ignore[arg-type]
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.generator = generator
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.pin_memory_device = pin_memory_device
        self.in_order = in_order
        self._auto_collation = batch_sampler is not None
        self.collate_fn = collate_fn or (default_collate if self._auto_collation else default_convert)

    @property
    def _index_sampler(self) -> Any:
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)  # type: ignore[arg-type]
            if self.batch_size is not None:
                return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)

    def __iter__(self) -> _SingleProcessDataLoaderIter:
        return _SingleProcessDataLoaderIter(self)


class _SingleProcessDataLoaderIter:
    """One epoch of a :class:`DataLoader`, loaded in the calling process."""

    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        self._batches = self._iterable_batches() if isinstance(loader.dataset, IterableDataset) else \
            self._map_batches()

    def _map_batches(self) -> Iterator[Any]:
        ld = self._loader
        fast = _tensor_rows(ld.dataset) if ld._auto_collation and ld.collate_fn is default_collate else None
        getitems = getattr(ld.dataset, "__getitems__", None)
        for index in ld._index_sampler:
            if fast is not None:
                # NOTE: rows of a TensorDataset gathered by one fancy index equal default_collate of the samples
                tensors, index_map = fast
                idx = np.asarray(index, dtype=np.int64)
                idx = idx if index_map is None else index_map[idx]
                yield [t[idx] for t in tensors]
            elif ld._auto_collation:
                samples = getitems(list(index)) if callable(getitems) else [ld.dataset[i] for i in index]
                yield ld.collate_fn(samples)
            else:
                yield ld.collate_fn(ld.dataset[index])

    def _iterable_batches(self) -> Iterator[Any]:
        ld = self._loader
        stream = iter(ld.dataset)  # type: ignore[call-overload]
        if not ld._auto_collation:
            for sample in stream:
                yield ld.collate_fn(sample)
            return
        assert ld.batch_size is not None
        while True:
            batch = list(itertools.islice(stream, ld.batch_size))
            if not batch or (ld.drop_last and len(batch) < ld.batch_size):
                return
            yield ld.collate_fn(batch)

    def __iter__(self) -> _SingleProcessDataLoaderIter:
        return self

    def __next__(self) -> Any:
        return next(self._batches)

    def __len__(self) -> int:
        return len(self._loader)
