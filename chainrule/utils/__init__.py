"""Utilities with PyTorch's names: ``chainrule.utils.data`` (datasets, samplers, DataLoader, splits, transforms)."""

from . import data

__all__ = ["data"]
