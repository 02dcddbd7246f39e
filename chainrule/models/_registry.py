"""The model registry: ``@register_model`` on a builder function, ``create_model(name, **kwargs)`` to build it.

An entry point is a few lines of configuration over a shared builder (as timm's registry): ``mlp`` and
``logistic_regression`` are both calls of one ``MLP`` class.
"""

from __future__ import annotations

import difflib
import fnmatch
from typing import Any, Callable, TypeVar

from ..nn import Module

__all__ = ["register_model", "create_model", "list_models", "model_entrypoint", "is_model"]

_MODELS: dict[str, Callable[..., Module]] = {}
F = TypeVar("F", bound=Callable[..., Module])


def register_model(fn: F) -> F:
    """Register ``fn`` (a function returning a Module) under its own name; the decorator returns ``fn`` unchanged."""
    name = fn.__name__
    if name in _MODELS:
        raise ValueError(f"register_model: a model called {name!r} is already registered")
    _MODELS[name] = fn
    return fn


def is_model(name: str) -> bool:
    """Whether a model called ``name`` is registered."""
    return name in _MODELS


def model_entrypoint(name: str) -> Callable[..., Module]:
    """The builder registered as ``name``; an unknown name raises ValueError with the closest registered names."""
    if name not in _MODELS:
        close = difflib.get_close_matches(name, list(_MODELS), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else \
            " (chainrule.models.list_models() lists them)"
        raise ValueError(f"unknown model {name!r}{hint}")
    return _MODELS[name]


def create_model(name: str, **kwargs: Any) -> Module:
    """Build the model registered as ``name`` with ``kwargs`` (e.g. ``num_classes=10, in_channels=1``)."""
    return model_entrypoint(name)(**kwargs)


def list_models(pattern: str = "*") -> list[str]:
    """The sorted names of the registered models that match the shell-style ``pattern`` (``'resnet*'``)."""
    return sorted(n for n in _MODELS if fnmatch.fnmatchcase(n, pattern))
