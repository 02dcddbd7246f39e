"""Text for character-level language models: a tokenizer, a dataset of next-character windows, and a corpus.

The corpus is the World English Bible (public domain), read from the SWORD module that Debian's ``sword-text-web``
package installs (``/usr/share/sword/modules/texts/ztext/engWEB2015eb``): zlib-compressed blocks of OSIS XML, from
which the verse text is kept and the notes, titles and markup dropped. The cleaned text is cached like MNIST's parsed
arrays, under ``<base>/WorldEnglishBible/processed``.

>>> from chainrule.datasets import CharTokenizer, CharDataset
>>> tok = CharTokenizer().fit("hello world")
>>> ds = CharDataset(tok.encode("hello world"), block_size=4)
>>> x, y = ds[0]          # x = 'hell', y = 'ello'
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
import zlib
from pathlib import Path
from typing import Any, Iterable, Sequence, TypeVar

import numpy as np

from ..tensor import Tensor
from ..tensor.creation import from_numpy
from ..utils.data import Dataset
from . import _files

__all__ = ["CharTokenizer", "CharDataset", "WorldEnglishBible", "load_world_english_bible", "train_val_split"]

S = TypeVar("S", str, np.ndarray)


class CharTokenizer:
    """Characters to integer ids and back: the vocabulary is the sorted set of characters of the fitted text.

    Args:
        chars: an initial vocabulary (any iterable of single characters); otherwise call :meth:`fit`.

    Attributes:
        vocab: the characters, sorted; ``vocab[i]`` is the character of id ``i``.
        stoi: character → id.
    """

    def __init__(self, chars: Iterable[str] | None = None) -> None:
        self.vocab: list[str] = []
        self.stoi: dict[str, int] = {}
        self._table = np.zeros(0, dtype=np.int64)
        if chars is not None:
            self._set_vocab(chars)

    def _set_vocab(self, chars: Iterable[str]) -> None:
        vocab = sorted(set(chars))
        if not vocab or any(not isinstance(c, str) or len(c) != 1 for c in vocab):
            raise ValueError(f"CharTokenizer: the vocabulary must be non-empty single characters, got {vocab[:10]!r}")
        self.vocab = vocab
        self.stoi = {c: i for i, c in enumerate(vocab)}
        # NOTE: a code-point lookup table makes encode one vectorised gather instead of a dict lookup per character
        table = np.full(max(ord(c) for c in vocab) + 1, -1, dtype=np.int64)
        table[[ord(c) for c in vocab]] = np.arange(len(vocab), dtype=np.int64)
        self._table = table

    def fit(self, text: str) -> CharTokenizer:
        """Set the vocabulary to the characters of ``text``; returns the tokenizer."""
        if not isinstance(text, str):
            raise TypeError(f"CharTokenizer.fit: expected a str, got {type(text).__name__}")
        self._set_vocab(text)
        return self

    @property
    def vocab_size(self) -> int:
        """The number of characters in the vocabulary."""
        return len(self.vocab)

    def __len__(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> np.ndarray:
        """The ids of the characters of ``text``, shape ``(len(text),)`` int64.

        Raises:
            ValueError: a character outside the vocabulary (named in the message).
        """
        if not isinstance(text, str):
            raise TypeError(f"CharTokenizer.encode: expected a str, got {type(text).__name__}")
        if not self.vocab:
            raise RuntimeError("CharTokenizer.encode: the tokenizer has no vocabulary; call fit(text) first")
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        ids = self._table[np.minimum(codes, len(self._table) - 1)]
        bad = (codes >= len(self._table)) | (ids < 0)
        if bad.any():
            unknown = sorted({text[i] for i in np.flatnonzero(bad)[:100]})
            raise ValueError(f"CharTokenizer.encode: characters not in the vocabulary of {self.vocab_size}: "
                             f"{''.join(unknown)!r}")
        return ids

    def decode(self, ids: Any) -> str:
        """The text of a sequence of ids (a list, a 1-D array or a 1-D integer Tensor)."""
        arr = np.asarray(ids._data if isinstance(ids, Tensor) else ids)
        if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
            raise ValueError(f"CharTokenizer.decode: expected a 1-D sequence of integer ids, got an array of shape "
                             f"{arr.shape} and dtype {arr.dtype}")
        if arr.size and (arr.min() < 0 or arr.max() >= self.vocab_size):
            raise ValueError(f"CharTokenizer.decode: ids must be in [0, {self.vocab_size - 1}], got "
                             f"[{arr.min()}, {arr.max()}]")
        return "".join(self.vocab[i] for i in arr.tolist())

    def __repr__(self) -> str:
        return f"CharTokenizer(vocab_size={self.vocab_size})"


class CharDataset(Dataset[tuple[Tensor, Tensor]]):
    r"""Every window of ``block_size + 1`` consecutive characters, as (input, next-character target) pairs.

    .. math:: x_i = c_{i}, \dots, c_{i+T-1}, \qquad y_i = c_{i+1}, \dots, c_{i+T}

    Args:
        data: the text (a str, encoded with ``tokenizer``) or its ids (a 1-D integer array, list or Tensor).
        block_size: :math:`T`, the window length.
        tokenizer: encodes a str ``data``; fitted on it when not given.

    Shape:
        ``len(ds) = len(data) - T``; ``ds[i]`` is a pair of int64 tensors of shape :math:`(T,)`.
    """

    def __init__(self, data: str | Sequence[int] | np.ndarray | Tensor, block_size: int,
                 tokenizer: CharTokenizer | None = None) -> None:
        if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) or block_size < 1:
            raise ValueError(f"CharDataset: block_size must be a positive integer, got {block_size!r}")
        if isinstance(data, str):
            tokenizer = tokenizer if tokenizer is not None else CharTokenizer().fit(data)
            ids = tokenizer.encode(data)
        else:
            ids = np.asarray(data._data if isinstance(data, Tensor) else data)
            if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
                raise ValueError(f"CharDataset: expected a str or a 1-D sequence of integer ids, got an array of "
                                 f"shape {ids.shape} and dtype {ids.dtype}")
        if len(ids) <= block_size:
            raise ValueError(f"CharDataset: the data ({len(ids)} tokens) must be longer than block_size "
                             f"({block_size})")
        self.data = ids.astype(np.int64, copy=False)
        self.block_size = int(block_size)
        self.tokenizer = tokenizer

    def __len__(self) -> int:
        return len(self.data) - self.block_size

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        n = len(self)
        i = int(index)
        if not -n <= i < n:
            raise IndexError(f"CharDataset: index {index} is out of range for {n} windows")
        i %= n
        chunk = self.data[i:i + self.block_size + 1]
        return from_numpy(chunk[:-1].copy()), from_numpy(chunk[1:].copy())

    def get_batch(self, batch_size: int, generator: np.random.Generator | None = None) -> tuple[Tensor, Tensor]:
        """``batch_size`` windows at random start offsets (with replacement), stacked: two :math:`(B, T)` tensors.

        Cheaper than a shuffled :class:`DataLoader` epoch over millions of overlapping windows.
        """
        rng = generator if generator is not None else np.random.default_rng()
        starts = rng.integers(0, len(self), size=int(batch_size))
        idx = starts[:, None] + np.arange(self.block_size + 1)
        chunks = self.data[idx]
        return from_numpy(np.ascontiguousarray(chunks[:, :-1])), from_numpy(np.ascontiguousarray(chunks[:, 1:]))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(tokens={len(self.data)}, block_size={self.block_size}, windows={len(self)})"


def train_val_split(data: S, val_fraction: float = 0.1, chunk_size: int = 20_000) -> tuple[S, S]:
    r"""Split ``data`` (a str or a 1-D array of ids) deterministically into training and validation parts.

    The data is cut into chunks of ``chunk_size`` tokens; chunk :math:`i` goes to validation when
    :math:`\lfloor (i + 1) f \rfloor > \lfloor i f \rfloor` (:math:`f` = ``val_fraction``), so the held-out
    chunks are spread evenly over the whole text (a corpus whose end differs in style from its start is still
    represented in both parts), and each part is its chunks concatenated in order. Contiguous chunks rather than
    random windows: overlapping windows split at random would leak validation text into training.

    Returns:
        ``(train, val)``, of the type of ``data``.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"train_val_split: val_fraction must be in (0, 1), got {val_fraction}")
    if chunk_size < 1:
        raise ValueError(f"train_val_split: chunk_size must be positive, got {chunk_size}")
    n_chunks = -(-len(data) // chunk_size)
    i = np.arange(n_chunks)
    is_val = np.floor((i + 1) * val_fraction) > np.floor(i * val_fraction)
    if n_chunks and not is_val.any():  # a text shorter than 1 / val_fraction chunks: hold out its last chunk
        is_val[-1] = True
    parts: tuple[list[Any], list[Any]] = ([], [])
    for k in range(n_chunks):
        parts[int(is_val[k])].append(data[k * chunk_size:(k + 1) * chunk_size])
    if isinstance(data, str):
        return "".join(parts[0]), "".join(parts[1])  # type: ignore[return-value]
    empty = data[:0]
    return (np.concatenate(parts[0]) if parts[0] else empty,  # type: ignore[return-value]
            np.concatenate(parts[1]) if parts[1] else empty)


# ---------------------------------------------------------------- the World English Bible corpus
_FOLDER = "WorldEnglishBible"
_SYSTEM_DIRS = ("/usr/share/sword/modules/texts/ztext/engWEB2015eb",)
_FILES = ("ot.bzs", "ot.bzz", "nt.bzs", "nt.bzz")
_INSTALL_HINT = "sudo apt install sword-text-web (installs the SWORD module in /usr/share/sword/modules)"
# typographic quotes and dashes to ASCII: a smaller vocabulary, and nothing of the text's meaning is lost
_ASCII = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2014": "-", "\u2013": "-"})
_DROP = re.compile(r"<title\b.*?</title>", re.S)
# a note often stands where the space after a word was, and poetry lines are milestones: both become spaces
_SPACE = re.compile(r"<note\b.*?</note>|<l\b[^>]*>|</l>|<lb\b[^>]*>", re.S)
_CHAPTER = re.compile(r"<chapter\b[^>]*\bsID=[^>]*>")
_TAG = re.compile(r"<[^>]*>")


def _read_ztext(bzs: Path, bzz: Path) -> str:
    """The concatenated blocks of a SWORD zText testament: ``.bzs`` holds (offset, size, raw size) uint32 triples
    into ``.bzz``, whose blocks are zlib streams of UTF-8 OSIS XML."""
    index = np.fromfile(bzs, dtype="<u4")
    if index.size % 3:
        raise ValueError(f"WorldEnglishBible: {bzs}: expected (offset, size, raw size) triples, got {index.size} "
                         "uint32 values")
    raw = bzz.read_bytes()
    out = []
    for off, size, _ in index.reshape(-1, 3).tolist():
        if size:
            out.append(zlib.decompress(raw[off:off + size]).decode("utf-8"))
    return "".join(out)


def _clean_osis(xml: str) -> str:
    """Verse text from OSIS markup: notes and titles dropped, a newline per chapter, whitespace collapsed (and none
    left before punctuation)."""
    text = _TAG.sub("", _CHAPTER.sub("\n", _SPACE.sub(" ", _DROP.sub("", xml)))).translate(_ASCII)
    text = re.sub(r"[ \t]+([,.;:?!])", r"\1", re.sub(r"[ \t]+", " ", text))
    return re.sub(r"\s*\n\s*", "\n", text).strip() + "\n"


def _locate(root: str | os.PathLike[str] | None) -> Path:
    for _, d in _files.search_dirs(_FOLDER, root, _SYSTEM_DIRS):
        if all((d / f).is_file() for f in _FILES):
            return d
    where = ", ".join(str(d) for _, d in _files.search_dirs(_FOLDER, root, _SYSTEM_DIRS))
    raise _files.DatasetNotFoundError(
        f"WorldEnglishBible: the SWORD module files ({', '.join(_FILES)}) were not found.\nLooked in: {where}.\n"
        f"To get them:\n  - {_INSTALL_HINT},\n  - or copy the module's ztext folder to <DIR>/{_FOLDER} and set "
        f"{_files.ENV_DATA}=<DIR>, or pass root=<DIR>.")


def load_world_english_bible(root: str | os.PathLike[str] | None = None) -> str:
    """The text of the World English Bible (Old Testament with the Deuterocanon, then the New), about 4.9 million
    ASCII characters, one chapter per line.

    Args:
        root: a directory holding the module files ``ot.bzs``, ``ot.bzz``, ``nt.bzs``, ``nt.bzz`` (as ``root``,
            ``root/WorldEnglishBible`` or ``root/WorldEnglishBible/raw``); otherwise ``$CHAINRULE_DATA``, the user
            cache, then Debian's ``sword-text-web`` install are searched.

    Raises:
        DatasetNotFoundError: the files are nowhere to be found (the message says how to install them).
    """
    src = _locate(root)
    key = hashlib.sha256()
    for f in _FILES:
        st = (src / f).stat()
        key.update(f"{(src / f).resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    cache = _files.write_dir(_FOLDER, root, "processed") / f"text-{key.hexdigest()[:16]}.npz"
    if cache.is_file():
        try:
            return _files.load_npz(cache)["text"].tobytes().decode("utf-8")
        except (OSError, ValueError, KeyError) as e:  # a damaged cache is re-parsed, not fatal
            warnings.warn(f"WorldEnglishBible: ignoring unreadable cache {cache} ({e})", stacklevel=2)
    text = _clean_osis(_read_ztext(src / "ot.bzs", src / "ot.bzz") + _read_ztext(src / "nt.bzs", src / "nt.bzz"))
    try:
        for old in cache.parent.glob("text-*.npz"):
            old.unlink(missing_ok=True)
        _files.save_npz_atomic(cache, text=np.frombuffer(text.encode("utf-8"), dtype=np.uint8))
    except OSError as e:  # a read-only root still loads, only slower next time
        warnings.warn(f"WorldEnglishBible: could not write the cache {cache} ({e})", stacklevel=2)
    return text


class WorldEnglishBible(CharDataset):
    """Next-character windows over the World English Bible, split deterministically by :func:`train_val_split`:
    every ``1 / val_fraction``-th chunk of 20,000 characters is held out for validation.

    The tokenizer is fitted on the whole text, so both splits share one vocabulary (``ds.tokenizer``).

    Args:
        root: where the SWORD module files are (see :func:`load_world_english_bible`).
        train: the training split (True) or the validation split.
        block_size: the window length :math:`T`.
        val_fraction: the share of the text held out for validation.

    Shape:
        ``ds[i]`` is a pair of int64 tensors of shape :math:`(T,)`; ``ds.text`` is the split's text.
    """

    def __init__(self, root: str | os.PathLike[str] | None = None, train: bool = True, block_size: int = 128,
                 val_fraction: float = 0.1) -> None:
        full = load_world_english_bible(root)
        tokenizer = CharTokenizer().fit(full)
        self.train = train
        self.text = train_val_split(full, val_fraction)[0 if train else 1]
        super().__init__(tokenizer.encode(self.text), block_size, tokenizer)
