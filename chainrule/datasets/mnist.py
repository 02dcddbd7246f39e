"""MNIST and Fashion-MNIST from their IDX files: found locally, or downloaded with a SHA-256 check, then cached.

Files are looked for in an explicit ``root``, ``$CHAINRULE_DATA``, ``~/.cache/chainrule`` (each as
``<base>/<Name>/raw`` or ``<base>/<Name>``), the directory Debian's ``dataset-fashion-mnist`` package installs
(Fashion-MNIST only), and are otherwise downloaded. The parsed arrays are cached as an uncompressed ``.npz`` under
``<base>/<Name>/processed`` keyed by the source files' path, size and mtime, so later loads skip gzip and parsing.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path
from typing import Any, Callable, ClassVar

import numpy as np

from . import _files
from ._base import ArrayDataset
from .idx import read_idx

__all__ = ["MNIST", "FashionMNIST"]

_FILES = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
          False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def _find(name: str, d: Path) -> Path | None:
    for cand in (d / f"{name}.gz", d / name):
        if cand.is_file():
            return cand
    return None


class _IdxImages(ArrayDataset):
    """An MNIST-shaped dataset: 28×28 uint8 images and int64 labels read from four IDX files."""

    folder: ClassVar[str]
    mirrors: ClassVar[tuple[str, ...]]
    sha256: ClassVar[dict[str, str]]  # of the official .gz files
    system_dirs: ClassVar[tuple[str, ...]] = ()
    install_hint: ClassVar[str] = ""

    def __init__(self, root: str | os.PathLike[str] | None = None, train: bool = True,
                 transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None, download: bool = True) -> None:
        self.root = root
        self.train = train
        images, labels = self._locate(download)
        data, targets = self._load(images, labels)
        super().__init__(data, targets, transform, target_transform, scale=255.0, add_channel=True)

    # ---------------------------------------------------------------- finding the files
    def _locate(self, download: bool) -> tuple[Path, Path]:
        names = _FILES[self.train]
        for _, d in _files.search_dirs(self.folder, self.root, self.system_dirs):
            found = [_find(n, d) for n in names]
            if found[0] is not None and found[1] is not None:
                return found[0], found[1]
        reasons: list[str] = []
        if download:
            dest = _files.write_dir(self.folder, self.root, "raw")
            try:  # a ChecksumError (not an OSError) propagates: a wrong file is refused, never used
                return self._download(names, dest, reasons)
            except OSError as e:  # every mirror failed: offline, or a mirror is gone
                reasons.append(str(e))
        else:
            reasons.append("download=False")
        raise _files.DatasetNotFoundError(self._not_found_message(names, reasons))

    def _download(self, names: tuple[str, ...], dest: Path, reasons: list[str]) -> tuple[Path, Path]:
        out = []
        for n in names:
            gz = f"{n}.gz"
            last: OSError | None = None
            for mirror in self.mirrors:
                try:
                    out.append(_files.download_file(mirror + gz, dest / gz, self.sha256[gz]))
                    break
                except OSError as e:
                    reasons.append(f"{mirror + gz}: {e}")
                    last = e
            else:
                raise OSError(f"could not download {gz}") from last
        return out[0], out[1]

    def _not_found_message(self, names: tuple[str, ...], reasons: list[str]) -> str:
        where = [str(d) for _, d in _files.search_dirs(self.folder, self.root, self.system_dirs)]
        files = ", ".join(f"{n}.gz" for n in names)
        lines = [
            f"{type(self).__name__}: dataset files not found ({files}) and not downloaded.",
            "Looked in: " + ", ".join(where) + ".",
            "To get them:",
        ]
        if self.install_hint:
            lines.append(f"  - {self.install_hint}")
        lines += [
            f"  - download {', '.join(m + n + '.gz' for m in self.mirrors[:1] for n in names)} "
            f"(or from {', '.join(self.mirrors[1:]) or 'the same host'}) and put them in "
            f"{_files.cache_dir() / self.folder / 'raw'} (gzipped or not),",
            f"  - or put them in a directory <DIR>/{self.folder}/raw and set {_files.ENV_DATA}=<DIR>, "
            "or pass root=<DIR>.",
        ]
        if reasons:
            lines.append("Download attempts: " + "; ".join(reasons))
        return "\n".join(lines)

    # ---------------------------------------------------------------- parsing and the parsed cache
    def _cache_path(self, images: Path, labels: Path) -> Path:
        key = hashlib.sha256()
        for p in (images, labels):
            st = p.stat()
            key.update(f"{p.resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
        split = "train" if self.train else "test"
        return _files.write_dir(self.folder, self.root, "processed") / f"{split}-{key.hexdigest()[:16]}.npz"

    def _load(self, images: Path, labels: Path) -> tuple[np.ndarray, np.ndarray]:
        cache = self._cache_path(images, labels)
        if cache.is_file():
            try:
                z = _files.load_npz(cache)
                return z["data"], z["targets"]
            except (OSError, ValueError, KeyError) as e:  # a damaged cache is re-parsed, not fatal
                warnings.warn(f"{type(self).__name__}: ignoring unreadable cache {cache} ({e})", stacklevel=3)
        data, targets = self._parse(images, labels)
        try:
            for old in cache.parent.glob(cache.name.split("-")[0] + "-*.npz"):
                old.unlink(missing_ok=True)  # caches of older versions of the same split's source files
            _files.save_npz_atomic(cache, data=data, targets=targets)
        except OSError as e:  # a read-only root still loads, it is only slower next time
            warnings.warn(f"{type(self).__name__}: could not write the cache {cache} ({e})", stacklevel=3)
        return data, targets

    def _parse(self, images: Path, labels: Path) -> tuple[np.ndarray, np.ndarray]:
        name = type(self).__name__
        x, y = read_idx(images), read_idx(labels)
        if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28):
            raise ValueError(f"{name}: {images}: expected uint8 images of shape (N, 28, 28), "
                             f"got {x.dtype} {x.shape}")
        if y.dtype != np.uint8 or y.ndim != 1 or len(y) != len(x):
            raise ValueError(f"{name}: {labels}: expected {len(x)} uint8 labels of shape ({len(x)},), "
                             f"got {y.dtype} {y.shape}")
        if y.size and int(y.max()) >= len(self.classes):
            raise ValueError(f"{name}: {labels}: labels must be in [0, {len(self.classes) - 1}], "
                             f"found {int(y.max())}")
        return x, y.astype(np.int64)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"


class MNIST(_IdxImages):
    """The MNIST handwritten digits: 60,000 training and 10,000 test 28×28 grey images of 10 classes.

    Args:
        root: a directory holding the IDX files (as ``root``, ``root/MNIST`` or ``root/MNIST/raw``); optional.
        train: the training split (True) or the test split.
        transform: applied to each uint8 (28, 28) image; default: float32 tensor ``x / 255`` of shape (1, 28, 28).
        target_transform: applied to each ``int`` label.
        download: download the files (ossci-datasets mirror, SHA-256 checked) when not found locally.

    Shape:
        ``data``: (N, 28, 28) uint8; ``targets``: (N,) int64; a default sample: ((1, 28, 28) float32, int).
    """

    folder = "MNIST"
    mirrors = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
    sha256 = {  # the published sizes are 9912422, 28881, 1648877 and 4542 bytes
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    }
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]


class FashionMNIST(_IdxImages):
    """Zalando's Fashion-MNIST: 60,000 training and 10,000 test 28×28 grey images of 10 kinds of clothing.

    Besides the data roots, the files Debian's ``dataset-fashion-mnist`` package installs are used
    (``/usr/share/datasets/fashion-mnist``).

    Args:
        root: a directory holding the IDX files (as ``root``, ``root/FashionMNIST`` or ``root/FashionMNIST/raw``).
        train: the training split (True) or the test split.
        transform: applied to each uint8 (28, 28) image; default: float32 tensor ``x / 255`` of shape (1, 28, 28).
        target_transform: applied to each ``int`` label.
        download: download the files (Zalando's S3 bucket, then GitHub; SHA-256 checked) when not found locally.

    Shape:
        ``data``: (N, 28, 28) uint8; ``targets``: (N,) int64; a default sample: ((1, 28, 28) float32, int).
    """

    folder = "FashionMNIST"
    mirrors = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
               "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/")
    sha256 = {
        "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    }
    system_dirs = ("/usr/share/datasets/fashion-mnist",)
    install_hint = "sudo apt install dataset-fashion-mnist (installs them in /usr/share/datasets/fashion-mnist),"
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
