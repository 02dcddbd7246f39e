"""MNIST-1D (Greydanus & Kobak, 2020): 40-sample 1-D signals of 10 digit templates, generated locally.

The ``mnist1d`` package (``pip install "chainrule[mnist1d]"``) builds the set from its templates with the paper's
default configuration: 5,000 samples, 80/20 train/test split (4,000 / 1,000), templates padded, dilated, scaled,
translated, given correlated and i.i.d. noise, sheared and resampled to 40 points; the whole set standardised.
Nothing is downloaded (the package's pickle is never loaded). The generated arrays are cached as an ``.npz``.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any, Callable

import numpy as np

from . import _files
from ._base import ArrayDataset

__all__ = ["MNIST1D", "generate_mnist1d"]

_HINT = 'MNIST1D needs the mnist1d package: pip install "chainrule[mnist1d]" (or pip install mnist1d)'


def _mnist1d() -> Any:
    try:
        import mnist1d.data
    except ImportError as e:
        raise ImportError(_HINT) from e
    return mnist1d


def generate_mnist1d(seed: int = 42, num_samples: int = 5000) -> dict[str, np.ndarray]:
    """Generate MNIST-1D with the paper's default configuration and ``seed`` (42 is the paper's).

    Args:
        seed: the seed of the generation.
        num_samples: the size of the whole set (the paper's is 5000), 80 % of it for training.

    Returns:
        ``{'x': (4000, 40) float32, 'y': (4000,) int64, 'x_test': (1000, 40) float32, 'y_test': (1000,) int64}``
        with the defaults.
    """
    if num_samples < 10:
        raise ValueError(f"generate_mnist1d: num_samples must be >= 10 (one per class), got {num_samples}")
    mnist1d = _mnist1d()
    args = mnist1d.data.get_dataset_args()
    args.seed = int(seed)
    args.num_samples = int(num_samples)
    # NOTE: mnist1d seeds and draws from the global NumPy and Python RNGs; keep the caller's streams untouched
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        d = mnist1d.data.make_dataset(args)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return {"x": np.ascontiguousarray(d["x"], dtype=np.float32), "y": np.asarray(d["y"], dtype=np.int64),
            "x_test": np.ascontiguousarray(d["x_test"], dtype=np.float32),
            "y_test": np.asarray(d["y_test"], dtype=np.int64)}


class MNIST1D(ArrayDataset):
    """MNIST-1D: 4,000 training and 1,000 test signals of length 40 in 10 classes, generated locally.

    The first load generates the set (about a second) and caches it as
    ``<root | $CHAINRULE_DATA | ~/.cache/chainrule>/MNIST1D/mnist1d-seed<seed>-v<mnist1d version>.npz``; later loads
    read the cache.

    Args:
        root: the data root for the cache (default: ``$CHAINRULE_DATA``, else ``~/.cache/chainrule``).
        train: the training split (True) or the test split.
        transform: applied to each float32 (40,) signal; default: a float32 tensor of shape (40,).
        target_transform: applied to each ``int`` label.
        seed: the generator's seed (42 reproduces the paper's set).
        download: generate the set when it is not cached (nothing is fetched from the network); if False and the
            cache is missing, raise.

    Shape:
        ``data``: (N, 40) float32; ``targets``: (N,) int64. A channel axis, (N, 1, 40), is the model's business.
    """

    classes = [str(i) for i in range(10)]

    def __init__(self, root: str | os.PathLike[str] | None = None, train: bool = True,
                 transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None, seed: int = 42, download: bool = True) -> None:
        self.root, self.train, self.seed = root, train, int(seed)
        arrays = self._cached_or_generate(download)
        x, y = (arrays["x"], arrays["y"]) if train else (arrays["x_test"], arrays["y_test"])
        super().__init__(x, y, transform, target_transform)

    def cache_path(self) -> Path:
        """The ``.npz`` this seed's set is cached in (the package version is part of the name)."""
        version = _mnist1d_version()
        return _files.write_dir("MNIST1D", self.root, "") / f"mnist1d-seed{self.seed}-v{version}.npz"

    def _cached_or_generate(self, download: bool) -> dict[str, np.ndarray]:
        path = self.cache_path()
        if path.is_file():
            try:
                return _files.load_npz(path)
            except (OSError, ValueError) as e:
                if not download:
                    raise RuntimeError(f"MNIST1D: the cache {path} is unreadable ({e}) and download=False") from e
        elif not download:
            raise _files.DatasetNotFoundError(f"MNIST1D: {path} not found and download=False; pass download=True "
                                              "to generate it locally (no network needed)")
        arrays = generate_mnist1d(self.seed)
        try:
            _files.save_npz_atomic(path, **arrays)
        except OSError:  # a read-only data root: the set is still usable, only regenerated next time
            pass
        return arrays

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}, seed: {self.seed}"


def _mnist1d_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mnist1d")
    except PackageNotFoundError as e:
        raise ImportError(_HINT) from e
