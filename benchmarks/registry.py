"""The case registry: ``@case(name, ...)`` on a builder that sets up one framework and returns its step."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

Inputs = dict[str, np.ndarray]
"""The NumPy arrays of a case, made once and wrapped by both frameworks."""

Step = Callable[[], Sequence[Any]]
"""One timed iteration; returns the tensors (outputs, gradients) that the agreement check compares."""

Builder = Callable[[ModuleType, Inputs], Step]
"""``build(lib, inputs)``: wrap ``inputs`` with ``lib`` (``chainrule`` or ``torch``) and return the step."""


@dataclass(frozen=True)
class Case:
    """A registered benchmark case.

    Attributes:
        name: unique name used by ``--only``.
        build: the builder, written once against the PyTorch API so both frameworks run the same code.
        inputs: makes the NumPy inputs from a seeded generator.
        doc: one line on what is measured.
        unit: ``"us"`` (µs per iteration, lower is better) or ``"samples/s"`` (throughput, higher is better).
        items: samples per iteration, used when ``unit == "samples/s"`` (the batch size of a training step).
    """

    name: str
    build: Builder
    inputs: Callable[[np.random.Generator], Inputs]
    doc: str
    unit: str = "us"
    items: int = 1


CASES: dict[str, Case] = {}


def case(name: str, inputs: Callable[[np.random.Generator], Inputs], doc: str, unit: str = "us",
         items: int = 1) -> Callable[[Builder], Builder]:
    """Register the decorated builder as a benchmark case called ``name``."""
    if unit not in ("us", "samples/s"):
        raise ValueError(f"case {name!r}: unit must be 'us' or 'samples/s', got {unit!r}")

    def register(build: Builder) -> Builder:
        if name in CASES:
            raise ValueError(f"case {name!r} is registered twice")
        CASES[name] = Case(name, build, inputs, doc, unit, items)
        return build

    return register
