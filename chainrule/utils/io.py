"""File helpers shared by the datasets cache and the checkpoints: nothing a user saved is lost on a crash."""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import IO, Callable

__all__ = ["atomic_write"]


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write(f)`` on a temporary file in ``path``'s directory (created if missing), flush it to disk, then
    rename it over ``path``: a crash mid-write leaves the previous file intact (``os.replace`` is atomic on POSIX and
    Windows within one filesystem) and no partial file behind."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
