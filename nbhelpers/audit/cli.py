"""Command line: ``python -m nbhelpers.audit package.module:factory --input-shape 1,100,1,1``.

Prints the report of ``factory()``'s model as text (default), Markdown or JSON (``--format``);
exit status 2, with a one-line message and no traceback, on an import error, a factory that
raises, or a shape mismatch.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys

import torch
from torch import nn

from .measure import audit


def _load_factory(spec: str):
    if ":" not in spec:
        raise ValueError(f"expected package.module:factory, got {spec!r}")
    module_name, attr = spec.split(":", 1)
    module = importlib.import_module(module_name)
    factory = module
    for part in attr.split("."):
        factory = getattr(factory, part)
    return factory


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: ``argv`` as after the program name (default: ``sys.argv[1:]``);
    returns the exit status (0 done, 2 a user mistake, reported on stderr in one line)."""
    parser = argparse.ArgumentParser(
        prog="python -m nbhelpers.audit",
        description="Audit a model for checkerboard artifacts. FACTORY is package.module:callable "
                    "returning an nn.Module (or an nn.Module itself).")
    parser.add_argument("factory")
    parser.add_argument("--input-shape", required=True,
                        help="one input's shape, batch first, comma-separated, e.g. 1,100,1,1")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0,
                        help="seed for the model's initialisation and the random inputs")
    parser.add_argument("--sample-rate", type=float, default=None,
                        help="audio: the rate in Hz of the model's waveform (its finest-sampled 1D signal: "
                             "a generator's output, a discriminator's input), to report each period's tones")
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text",
                        help="how to print the report (default: text)")
    args = parser.parse_args(argv)
    try:
        shape = tuple(int(v) for v in args.input_shape.split(","))
    except ValueError:
        print(f"error: --input-shape must be comma-separated integers, got {args.input_shape!r}",
              file=sys.stderr)
        return 2
    try:
        factory = _load_factory(args.factory)
    except Exception as exc:  # noqa: BLE001 - importing user code can raise anything: report it, exit 2
        print(f"error: cannot load {args.factory!r}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    torch.manual_seed(args.seed)
    try:
        model = factory if isinstance(factory, nn.Module) else factory()
    except Exception as exc:  # noqa: BLE001 - the factory is user code: report it, exit 2
        print(f"error: {args.factory} raised {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    if not isinstance(model, nn.Module):
        print(f"error: {args.factory} returned {type(model).__name__}, not an nn.Module", file=sys.stderr)
        return 2
    try:
        report = audit(model, shape, batch=args.batch, seed=args.seed, sample_rate=args.sample_rate)
    except (ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2))
    elif args.format == "markdown":
        print(report.to_markdown())
    else:
        print(report)
    return 0
