"""Time every selected case in chainrule and PyTorch, side by side in one process, and print a table."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

import chainrule

try:
    import torch
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise SystemExit(f"benchmarks need torch and threadpoolctl ({exc}): pip install -e '.[test]'") from None

from . import cases  # noqa: F401 - registers the cases
from .registry import CASES, Case, Step

FRAMEWORKS: dict[str, ModuleType] = {"chainrule": chainrule, "torch": torch}
RTOL, ATOL = 1e-4, 1e-5  # float32: ATOL is scaled by the largest magnitude of the reference


class MismatchError(AssertionError):
    """chainrule and torch computed different results for a case: the timings would compare different work."""


@dataclass(frozen=True)
class Settings:
    """How long to run: ``repeat`` timed repeats of ``target`` seconds each, after ``warmup`` seconds."""

    repeat: int
    target: float
    warmup: float
    settle: float = 0.0


@dataclass
class Timing:
    """Seconds per iteration of each repeat of one framework on one case, and the calls per repeat."""

    number: int = 0
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def spread(self) -> float:
        """(max - min) / median of the repeats: how noisy the median is."""
        return (max(self.samples) - min(self.samples)) / self.median


def _to_numpy(t: Any) -> np.ndarray | None:
    return None if t is None else np.asarray(t.detach().numpy())


def check_agreement(name: str, steps: dict[str, Step]) -> None:
    """Run each step once and raise :class:`MismatchError` unless every returned array agrees with torch's."""
    got = {fw: [_to_numpy(t) for t in step()] for fw, step in steps.items()}
    mine, ref = got["chainrule"], got["torch"]
    if len(mine) != len(ref):
        raise MismatchError(f"{name}: chainrule returned {len(mine)} results, torch {len(ref)}")
    for i, (a, b) in enumerate(zip(mine, ref)):
        if a is None or b is None:
            raise MismatchError(f"{name}: result {i} is None in {'chainrule' if a is None else 'torch'}")
        if a.shape != b.shape or a.dtype != b.dtype:
            raise MismatchError(f"{name}: result {i} is {a.dtype}{list(a.shape)} in chainrule, "
                                f"{b.dtype}{list(b.shape)} in torch")
        atol = ATOL * max(1.0, float(np.abs(b).max(initial=0.0)))
        if not np.allclose(a, b, rtol=RTOL, atol=atol):
            err = float(np.abs(a.astype(np.float64) - b).max())
            raise MismatchError(f"{name}: result {i} differs from torch by up to {err:.3g} "
                                f"(rtol={RTOL}, atol={atol:.3g})")


def _run(step: Step, number: int) -> float:
    """Seconds per call of ``step`` over ``number`` back-to-back calls."""
    t0 = time.perf_counter()
    for _ in range(number):
        step()
    return (time.perf_counter() - t0) / number


def _calibrate(step: Step, settings: Settings) -> int:
    """Warm up for ``settings.warmup`` seconds (at least 3 calls); return the calls per repeat that fill ``target``."""
    calls, t0 = 0, time.perf_counter()
    while calls < 3 or time.perf_counter() - t0 < settings.warmup:
        step()
        calls += 1
    per_call = (time.perf_counter() - t0) / calls
    return max(1, round(settings.target / per_call))


def time_case(c: Case, settings: Settings) -> dict[str, Timing]:
    """Check, warm up and time ``c`` in both frameworks.

    Repeats alternate between the frameworks, in the order A B, B A, A B, ..., so that drift in the machine's speed
    and the worker threads one library leaves spinning after its turn weigh on both alike; with more than one thread
    a pause of ``settings.settle`` seconds before each turn lets those threads go back to sleep.
    """
    inputs = c.inputs(np.random.default_rng(0))
    steps = {fw: c.build(lib, inputs) for fw, lib in FRAMEWORKS.items()}
    check_agreement(c.name, steps)
    timings = {fw: Timing(number=_calibrate(step, settings)) for fw, step in steps.items()}
    order = list(steps)
    for r in range(settings.repeat):
        for fw in order if r % 2 == 0 else order[::-1]:
            if settings.settle:
                time.sleep(settings.settle)
            tm = timings[fw]
            tm.samples.append(_run(steps[fw], tm.number))
            # NOTE: a machine that slows down mid-run would stretch every later repeat; re-fit the call count
            if tm.samples[-1] * tm.number > 2 * settings.target:
                tm.number = max(1, round(settings.target / tm.samples[-1]))
    return timings


def _fmt(c: Case, seconds: float) -> str:
    if c.unit == "samples/s":
        return f"{c.items / seconds:,.0f} samples/s"
    return f"{seconds * 1e6:,.1f} µs"


def machine_info(threads: int) -> dict[str, Any]:
    """The CPU, versions and thread limits in force, for the report."""
    model = platform.processor()
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as f:
            model = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), model)
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    blas = [f"{p['internal_api']}={p['num_threads']}" for p in threadpool_info()]
    return {"cpu": model, "nproc": nproc, "python": platform.python_version(), "numpy": np.__version__,
            "torch": torch.__version__, "chainrule": chainrule.__version__, "threads": threads,
            "torch_threads": torch.get_num_threads(), "threadpools": blas}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line; ``--only`` is validated against the registry."""
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("--only", action="append", default=[], metavar="NAME[,NAME]", help="run only these cases")
    p.add_argument("--repeat", type=int, default=None, help="timed repeats per framework (default 11, quick 3)")
    p.add_argument("--quick", action="store_true", help="short warm-up and repeats: a smoke run")
    p.add_argument("--json", metavar="PATH", help="also write the results to PATH as JSON")
    p.add_argument("--threads", type=int, default=2, help="threads for torch and NumPy's BLAS (default 2)")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    args = p.parse_args(argv)
    args.only = [n for arg in args.only for n in arg.split(",") if n]
    unknown = [n for n in args.only if n not in CASES]
    if unknown:
        p.error(f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(CASES)}")
    if args.repeat is not None and args.repeat < 1:
        p.error(f"--repeat must be at least 1, got {args.repeat}")
    if args.threads < 1:
        p.error(f"--threads must be at least 1, got {args.threads}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks; the exit code is 1 if any case failed or disagreed with torch."""
    args = parse_args(argv)
    if args.list:
        for c in CASES.values():
            print(f"{c.name:<20} {c.doc}")
        return 0
    selected = [CASES[n] for n in args.only] if args.only else list(CASES.values())
    settings = Settings(repeat=args.repeat or (3 if args.quick else 11), target=0.01 if args.quick else 0.1,
                        warmup=0.02 if args.quick else 0.1, settle=0.05 if args.threads > 1 and not args.quick else 0.0)
    results: list[dict[str, Any]] = []
    failed = 0
    with threadpool_limits(limits=args.threads):
        torch.set_num_threads(args.threads)
        info = machine_info(args.threads)
        print(f"{info['cpu']}, nproc {info['nproc']}; Python {info['python']}, NumPy {info['numpy']}, "
              f"torch {info['torch']}; threads: torch {info['torch_threads']}, {' '.join(info['threadpools'])}")
        print(f"median of {settings.repeat} repeats; ratio = torch / chainrule time (>1.0: chainrule is faster); "
              "spread = (max - min) / median of the noisier framework\n")
        header = f"{'case':<20} {'chainrule':>18} {'torch':>18} {'ratio':>7} {'spread':>7}"
        print(header + "\n" + "-" * len(header), flush=True)
        for c in selected:
            try:
                t = time_case(c, settings)
            except Exception as exc:  # noqa: BLE001 - report every failing case, then exit non-zero
                failed += 1
                print(f"{c.name:<20} {'FAILED':>18}", flush=True)
                traceback.print_exception(exc, file=sys.stderr)
                results.append({"name": c.name, "doc": c.doc, "error": f"{type(exc).__name__}: {exc}"})
                continue
            mine, ref = t["chainrule"].median, t["torch"].median
            ratio = ref / mine
            spread = max(tm.spread for tm in t.values())
            print(f"{c.name:<20} {_fmt(c, mine):>18} {_fmt(c, ref):>18} {ratio:>7.2f} {spread:>7.0%}", flush=True)
            results.append({"name": c.name, "doc": c.doc, "unit": c.unit, "items": c.items, "ratio": ratio,
                            **{fw: {"median_s": tm.median, "spread": tm.spread, "number": tm.number,
                                    "samples_s": tm.samples}
                               for fw, tm in t.items()}})
    ratios = [r["ratio"] for r in results if "ratio" in r]
    if ratios:
        print(f"\ngeometric mean ratio over {len(ratios)} cases: {float(np.exp(np.mean(np.log(ratios)))):.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "repeat": settings.repeat, "quick": args.quick, "cases": results}, f, indent=2)
        print(f"results written to {args.json}")
    if failed:
        print(f"{failed} case(s) FAILED", file=sys.stderr)
    return 1 if failed else 0
