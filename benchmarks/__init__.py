"""Side-by-side speed of chainrule and PyTorch eager, in one process, on the same inputs.

Run ``python -m benchmarks`` (see ``benchmarks/README.md``). Cases register themselves with :func:`case`; the runner
finds them through :mod:`benchmarks.cases`. This folder is not collected by pytest.
"""

from .registry import CASES, Case, Inputs, Step, case

__all__ = ["CASES", "Case", "Inputs", "Step", "case"]
