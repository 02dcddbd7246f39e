"""Reverse-mode automatic differentiation: graph nodes, the backward engine, grad mode and gradcheck."""

from .engine import backward, grad
from .function import Function, Primitive
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import gradcheck

__all__ = ["Function", "Primitive", "backward", "grad", "gradcheck", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled", "inference_mode"]
