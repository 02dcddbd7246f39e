"""``chainrule`` / ``python -m chainrule``: the command line entry point.

Subcommands join as their parts land (train, evaluate, summary, models, bench); today: ``info``.
"""

from __future__ import annotations

import argparse
import platform
import sys
from typing import Sequence

import numpy as np

import chainrule


def _info(args: argparse.Namespace) -> int:
    """Print the versions and the compute setup chainrule runs with."""
    print(f"chainrule {chainrule.__version__}")
    print(f"python    {platform.python_version()} ({sys.executable})")
    print(f"numpy     {np.__version__}")
    print("backend   numpy (CPU)")
    print(f"threads   {chainrule.get_num_threads()}")
    print(f"cuda      {'available' if chainrule.cuda.is_available() else 'not available'}")
    print(f"dtype     {chainrule.get_default_dtype()} (default)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chainrule", description="chainrule: deep learning on NumPy, built from "
                                     "the chain rule up.")
    parser.add_argument("--version", action="version", version=f"chainrule {chainrule.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("info", help="show versions and the compute setup")
    p.set_defaults(func=_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
