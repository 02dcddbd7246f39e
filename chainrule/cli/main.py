"""``chainrule`` / ``python -m chainrule``: the command line entry point.

Subcommands: ``train``, ``evaluate``, ``models``, ``summary``, ``info``. A user's mistake (an unknown model, a bad
hyperparameter, an unwritable folder, a corrupted checkpoint) is reported in one line with a non-zero exit code, never
a traceback.
"""

from __future__ import annotations

import argparse
import platform
import sys
from typing import Sequence

import numpy as np

import chainrule

from . import summary as summary_cli
from . import train as train_cli


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
    train_cli.add_parsers(sub)
    summary_cli.add_parsers(sub)
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
    try:
        return int(args.func(args))
    except train_cli.CLIError as e:
        print(f"chainrule {args.command}: error: {e}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, RuntimeError, OSError, ImportError, KeyError) as e:
        # NOTE: the library's errors already name the operation and the values; one line is enough for a user
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        print(f"chainrule {args.command}: error: {msg}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"chainrule {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
