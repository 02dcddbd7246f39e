"""``chainrule summary MODEL``: the per-layer table of a registered model (output shapes, parameters, multiply-adds,
activation memory) from one forward pass under ``no_grad``."""

from __future__ import annotations

import argparse
import inspect
from typing import Any

from .. import models
from ..utils.summary import summary


def add_parsers(sub: Any) -> None:
    """Register ``summary`` on the subcommand parser ``sub``."""
    p = sub.add_parser("summary", help="per-layer output shapes, parameters and multiply-adds of a model",
                       description="Build a registered model and print its per-layer summary from one forward "
                       "pass (under no_grad, batch of 1 unless --batch-size).")
    p.add_argument("model", help="a registered model (`chainrule models` lists them)")
    p.add_argument("--input-size", type=int, nargs="+", metavar="D",
                   help="one sample's shape without the batch, e.g. 3 224 224 (default: the model's own, else "
                   "in_channels x 224 x 224)")
    p.add_argument("--num-classes", type=int, help="classes of the model's output (default: the model's)")
    p.add_argument("--batch-size", type=int, default=1, help="default: 1")
    p.set_defaults(func=run_summary)


def _default_input_size(name: str, model: Any) -> tuple[int, ...]:
    """The model's ``default_input_size``, else its builder's ``in_features`` or ``(in_channels, input_size,
    input_size)`` defaults (224 when it has no ``input_size``)."""
    own = getattr(model, "default_input_size", None)
    if own is not None:
        return tuple(int(d) for d in own)
    params = inspect.signature(models.model_entrypoint(name)).parameters

    def default(key: str) -> Any:
        return params[key].default if key in params and params[key].default is not inspect.Parameter.empty \
            else None

    if default("in_features") is not None:
        return (int(default("in_features")),)
    if default("in_channels") is not None:
        side = default("input_size")
        return (int(default("in_channels")), int(side or 224), int(side or 224))
    raise ValueError(f"summary: cannot tell the input size of model {name!r}; pass --input-size")


def run_summary(args: argparse.Namespace) -> int:
    """Build ``args.model`` and print its summary table."""
    kwargs: dict[str, Any] = {}
    if args.num_classes is not None:
        if args.num_classes <= 0:
            raise ValueError(f"summary: --num-classes must be positive, got {args.num_classes}")
        if "num_classes" not in inspect.signature(models.model_entrypoint(args.model)).parameters:
            raise ValueError(f"summary: model {args.model!r} takes no num_classes")
        kwargs["num_classes"] = args.num_classes
    model = models.create_model(args.model, **kwargs)
    size = tuple(args.input_size) if args.input_size else _default_input_size(args.model, model)
    print(f"{args.model}: input {(args.batch_size, *size)}")
    print(summary(model, size, batch_size=args.batch_size))
    return 0
