"""Grad mode: whether operations record the graph. ``no_grad``, ``enable_grad`` and ``set_grad_enabled`` switch it,
as context managers or as decorators, exactly like PyTorch's."""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

# NOTE: a one-element list read by Function.apply on every op: the cheapest mutable global to test.
GRAD_ENABLED = [True]

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode"]


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are recorded for backward."""
    return GRAD_ENABLED[0]


class _GradModeContext:
    """Base of the grad-mode switches: a context manager that is also a decorator."""

    _mode: bool = True

    def __enter__(self) -> None:
        self._prev = GRAD_ENABLED[0]
        GRAD_ENABLED[0] = self._mode

    def __exit__(self, *exc: object) -> None:
        GRAD_ENABLED[0] = self._prev

    def __call__(self, func: F) -> F:
        mode = self._mode

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            prev = GRAD_ENABLED[0]
            GRAD_ENABLED[0] = mode
            try:
                return func(*args, **kwargs)
            finally:
                GRAD_ENABLED[0] = prev

        return wrapper  # type: ignore[return-value]


class no_grad(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Disable graph recording: inside, results never require grad (inference, in-place parameter updates)."""

    _mode = False


class enable_grad(_GradModeContext):  # noqa: N801
    """Enable graph recording, e.g. inside a ``no_grad`` block."""

    _mode = True


class inference_mode(_GradModeContext):  # noqa: N801
    """Like ``no_grad`` (chainrule has no separate inference tensors); ``mode=False`` leaves grad mode as it is."""

    def __init__(self, mode: bool = True) -> None:
        self._enabled = mode

    def __enter__(self) -> None:
        self._prev = GRAD_ENABLED[0]
        if self._enabled:
            GRAD_ENABLED[0] = False

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(self._enabled):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """Set grad mode to ``mode``: at once when called, and back to the previous mode when used as a context manager."""

    def __init__(self, mode: bool) -> None:
        self._prev = GRAD_ENABLED[0]
        self._mode = bool(mode)
        GRAD_ENABLED[0] = self._mode

    def __enter__(self) -> None:
        pass

    def __call__(self, func: F) -> F:
        GRAD_ENABLED[0] = self._prev  # as a decorator, the switch applies only while func runs
        return super().__call__(func)
