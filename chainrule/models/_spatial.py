"""Kept so that ``from ._spatial import guard_input_size`` still works: the input-size guard now lives in
``_utils`` with the zoo's other shared helpers. Import it from there."""

from __future__ import annotations

from ._utils import guard_input_size, out_size

__all__ = ["guard_input_size", "out_size"]
