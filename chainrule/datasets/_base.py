"""The shared shape of chainrule's datasets: whole arrays in ``.data``/``.targets``, samples through ``__getitem__``."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..tensor import Tensor
from ..tensor.creation import from_numpy
from ..utils.data import Dataset

__all__ = ["ArrayDataset"]


class ArrayDataset(Dataset[tuple[Any, Any]]):
    """A labelled dataset held as two NumPy arrays, ``data`` (N, ...) and ``targets`` (N,) int64.

    ``ds[i]`` is ``(transform(data[i]), target_transform(int(targets[i])))``. Without a ``transform`` the sample
    becomes a float32 tensor: ``data[i] / scale`` with a channel axis added in front when ``add_channel`` (images
    (H, W) → (1, H, W)); the target stays a Python ``int`` as in torchvision.

    Args:
        data: the inputs, one row per sample.
        targets: class indices, shape (N,).
        transform: applied to the raw ``data[i]`` (a NumPy array) when given.
        target_transform: applied to the ``int`` label when given.
        scale: divisor of the default conversion (255 for uint8 images).
        add_channel: whether the default conversion adds a leading channel axis.
    """

    classes: list[str] = []

    def __init__(self, data: np.ndarray, targets: np.ndarray, transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None, scale: float = 1.0,
                 add_channel: bool = False) -> None:
        if len(data) != len(targets):
            raise ValueError(f"{type(self).__name__}: data and targets differ in length "
                             f"({len(data)} vs {len(targets)})")
        self.data = data
        self.targets = targets
        self.transform = transform
        self.target_transform = target_transform
        self._scale = np.float32(scale)
        self._add_channel = add_channel

    def __len__(self) -> int:
        return len(self.data)

    def _default_transform(self, x: np.ndarray) -> Tensor:
        # NOTE: dividing by a float32 scalar keeps float32 (a Python float would be fine too under NEP 50, but an
        # np.float64 scale would promote every sample to float64)
        out = x.astype(np.float32) / self._scale
        return from_numpy(out[None] if self._add_channel else out)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        x, y = self.data[index], int(self.targets[index])
        xt = self.transform(x) if self.transform is not None else self._default_transform(x)
        return xt, (self.target_transform(y) if self.target_transform is not None else y)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The whole set as the default transform makes each sample: float32 inputs ``data / scale`` (with the
        channel axis when images) and int64 targets, in one vectorised conversion (for a ``TensorDataset``)."""
        x = self.data.astype(np.float32) / self._scale
        return (x[:, None] if self._add_channel else x), self.targets.astype(np.int64, copy=False)

    @property
    def class_to_idx(self) -> dict[str, int]:
        """Class name → index, as torchvision's datasets have it."""
        return {c: i for i, c in enumerate(self.classes)}

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}"]
        extra = self.extra_repr()
        return "\n".join(lines + ([f"    {extra}"] if extra else []))
