"""Where dataset files live and how they get there: data roots, atomic writes, npz caches, checked downloads.

A dataset's files are looked for in this order: an explicit ``root``, ``$CHAINRULE_DATA``, the user cache
``~/.cache/chainrule``, directories a system package installs (Debian's ``dataset-fashion-mnist``), and only then
downloaded from the official source with a SHA-256 check. Every file written here goes to a temporary file in the
target directory first and is moved into place with ``os.replace``, so an interrupted run never leaves a partial file
under the final name.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import IO, Any, Iterator, Sequence

import numpy as np

from ..utils.io import atomic_write

__all__ = ["DatasetNotFoundError", "ChecksumError", "cache_dir", "search_dirs", "write_dir", "save_npz_atomic",
           "load_npz", "sha256_of", "download_file"]

ENV_DATA = "CHAINRULE_DATA"


class DatasetNotFoundError(RuntimeError):
    """A dataset's files are nowhere to be found and could not be downloaded."""


class ChecksumError(RuntimeError):
    """A downloaded file's SHA-256 is not the published one; the file was not kept."""


def cache_dir() -> Path:
    """The user cache, ``~/.cache/chainrule``."""
    return Path.home() / ".cache" / "chainrule"


def _bases(root: str | os.PathLike[str] | None) -> list[tuple[str, Path]]:
    """The writable-by-the-user data roots in resolution order, each with a label for messages."""
    out: list[tuple[str, Path]] = []
    if root is not None:
        out.append(("root", Path(root).expanduser()))
    env = os.environ.get(ENV_DATA)
    if env:
        out.append((f"${ENV_DATA}", Path(env).expanduser()))
    out.append(("cache", cache_dir()))
    return out


def search_dirs(folder: str, root: str | os.PathLike[str] | None,
                system: Sequence[str | os.PathLike[str]] = ()) -> Iterator[tuple[str, Path]]:
    """Directories that may hold ``folder``'s files, in resolution order, each with a label.

    Under each data root ``<base>/<folder>/raw`` (torchvision's layout) and ``<base>/<folder>`` are searched; an
    explicit ``root`` is also searched itself, since the user named it. ``system`` directories come last.
    """
    for label, base in _bases(root):
        yield label, base / folder / "raw"
        yield label, base / folder
        if label == "root":
            yield label, base
    for d in system:
        yield "system", Path(d)


def write_dir(folder: str, root: str | os.PathLike[str] | None, sub: str) -> Path:
    """Where downloads (``sub='raw'``) and parsed caches (``sub='processed'``) of ``folder`` are written.

    The first data root: the explicit ``root``, else ``$CHAINRULE_DATA``, else the user cache.
    """
    return _bases(root)[0][1] / folder / sub


def save_npz_atomic(path: Path, **arrays: np.ndarray) -> None:
    """Save ``arrays`` uncompressed to ``path`` (uncompressed: a 47 MB image array loads in tens of ms)."""
    atomic_write(path, lambda f: np.savez(f, allow_pickle=False, **arrays))


def load_npz(path: Path) -> dict[str, np.ndarray]:
    """All arrays of an npz file, read eagerly; pickled objects are refused (``allow_pickle=False``)."""
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    """The hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def _urlopen(url: str, timeout: float) -> Any:
    """Open ``url`` for reading (the one network call of this package; tests replace it)."""
    import urllib.request  # only when downloading: it costs tens of ms at import time

    req = urllib.request.Request(url, headers={"User-Agent": "chainrule"})
    return urllib.request.urlopen(req, timeout=timeout)  # noqa: S310 - https URLs from a fixed table


def download_file(url: str, dest: Path, sha256: str, timeout: float = 30.0, chunk: int = 1 << 20) -> Path:
    """Download ``url`` to ``dest`` if its SHA-256 is ``sha256``; on a mismatch or an error nothing is left behind.

    Raises:
        ChecksumError: the downloaded bytes hash to something else (the file is deleted, not kept).
        OSError: the network or the disk failed (``urllib.error.URLError`` is an ``OSError``).
    """
    h = hashlib.sha256()

    def write(f: IO[bytes]) -> None:
        with _urlopen(url, timeout) as r:
            for block in iter(lambda: r.read(chunk), b""):
                h.update(block)
                f.write(block)
        got = h.hexdigest()
        if got != sha256:
            raise ChecksumError(f"{url}: SHA-256 mismatch (expected {sha256}, got {got}); the download was "
                                f"discarded, {dest} was not written")

    atomic_write(dest, write)
    return dest
