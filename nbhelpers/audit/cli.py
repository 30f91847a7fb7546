"""Command line: ``python -m nbhelpers.audit package.module:factory --input-shape 1,100,1,1``.

Prints the text report of ``factory()``'s model; exit status 2 on an import error or a shape
mismatch.
"""

from __future__ import annotations

import argparse
import importlib
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
    """Command-line entry point; returns the exit status."""
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
                        help="audio: the 1D output's sample rate in Hz, to report each period's tones")
    args = parser.parse_args(argv)
    try:
        shape = tuple(int(v) for v in args.input_shape.split(","))
    except ValueError:
        print(f"error: --input-shape must be comma-separated integers, got {args.input_shape!r}",
              file=sys.stderr)
        return 2
    try:
        factory = _load_factory(args.factory)
    except (ImportError, AttributeError, ValueError) as exc:
        print(f"error: cannot load {args.factory!r}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    torch.manual_seed(args.seed)
    model = factory if isinstance(factory, nn.Module) else factory()
    if not isinstance(model, nn.Module):
        print(f"error: {args.factory} returned {type(model).__name__}, not an nn.Module", file=sys.stderr)
        return 2
    try:
        report = audit(model, shape, batch=args.batch, seed=args.seed, sample_rate=args.sample_rate)
    except (ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report)
    return 0
