"""Utilities with PyTorch's names: ``chainrule.utils.data`` (datasets, samplers, DataLoader, splits, transforms);
``summary`` (per-layer table of a model)."""

from . import data
from .summary import ModelSummary, summary

__all__ = ["data", "summary", "ModelSummary"]
