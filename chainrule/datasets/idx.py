"""A reader for the IDX format of MNIST and Fashion-MNIST, gzip-compressed or raw.

An IDX file is a 4-byte magic number ``0x00 0x00 <type> <ndim>``, then ``ndim`` big-endian uint32 sizes, then the
values in C order, big-endian. The type byte is 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32 or
0x0E float64.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

__all__ = ["read_idx", "IDX_TYPES"]

IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as f:
        head = f.read(2)
        f.seek(0)
        if head == b"\x1f\x8b":  # gzip's magic: decompress whatever the file is called
            try:
                with gzip.GzipFile(fileobj=f) as g:
                    return g.read()
            except (EOFError, OSError, zlib.error) as e:
                raise ValueError(f"read_idx: {path}: corrupted or truncated gzip stream ({e})") from e
        return f.read()


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (``.gz`` or raw) into an array of its shape, in native byte order.

    Args:
        path: the file; gzip compression is detected from the content, not the name.

    Returns:
        an array of shape ``(d0, d1, ...)`` as the header says, dtype from the type byte (native endianness).

    Raises:
        ValueError: the magic number is not an IDX one, or the payload is shorter or longer than the header says;
            the message names the file.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES or raw[3] == 0:
        raise ValueError(f"read_idx: {path}: not an IDX file (bad magic number {raw[:4].hex() or 'empty'}; "
                         f"expected 0000 <type in {sorted(f'{t:02x}' for t in IDX_TYPES)}> <ndim>)")
    dtype, ndim = IDX_TYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"read_idx: {path}: truncated header ({len(raw)} bytes, expected {header} for {ndim} dims)")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    want = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    got = len(raw) - header
    if got != want:
        what = "truncated" if got < want else "has trailing bytes"
        raise ValueError(f"read_idx: {path}: file {what}: header says shape {shape} ({want} bytes of data), "
                         f"found {got} bytes")
    arr = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="), copy=True)
