"""``chainrule.cuda``: reports whether a GPU backend is usable. There is none yet, so code written as
``device = 'cuda' if chainrule.cuda.is_available() else 'cpu'`` picks the CPU."""

from __future__ import annotations


def is_available() -> bool:
    """True only when a usable GPU backend is installed (not yet: chainrule runs on NumPy)."""
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Seeds the GPU generators; with no GPU there is nothing to seed (as PyTorch, silently)."""


def manual_seed_all(seed: int) -> None:
    """Seeds every GPU's generator; with no GPU there is nothing to seed (as PyTorch, silently)."""
