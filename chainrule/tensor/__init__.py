"""The Tensor and the functions that make and combine tensors."""

from . import creation, functions
from .core import Size, Tensor

__all__ = ["Tensor", "Size", "creation", "functions"]
