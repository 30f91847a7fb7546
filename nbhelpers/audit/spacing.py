"""Sample spacing: how far apart, in samples of the model's input, a tensor's samples are.

The tracer (:mod:`.tracing`) tags every tensor on the data path with its spacing per spatial
axis: 1 at the input, times s after a stride s, divided by s after an upsampling by s. These
helpers compute the factors of each kind of call and find the tensors in a call's arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import torch

# A tensor's sample spacing, per spatial axis, in samples of the model's input (1 at the input,
# s after a stride s, 1/s after an upsampling by s), and whether it came from strides and scale
# factors alone (exact) or from a size ratio (a size-based resize or an adaptive pool).
Spacing = tuple[tuple[Fraction, ...], bool]

def _tensors(value: object, depth: int = 0) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if depth < 2 and isinstance(value, (tuple, list)):
        return [t for item in value for t in _tensors(item, depth + 1)]
    if depth < 2 and isinstance(value, dict):
        return [t for item in value.values() for t in _tensors(item, depth + 1)]
    return []


def _scaled(tag: Spacing | None, factors: Sequence[Fraction], exact: bool = True) -> Spacing | None:
    if tag is None or len(tag[0]) != len(factors):
        return None
    return tuple(a * f for a, f in zip(tag[0], factors)), tag[1] and exact


def _size_factors(x: torch.Tensor, y: torch.Tensor) -> list[Fraction]:
    return [Fraction(a, max(1, b)) for a, b in zip(x.shape[2:], y.shape[2:])]


def _repeated_channels(x: torch.Tensor, r: int) -> bool:
    """True when each group of r**d channels that a pixel shuffle folds holds one value (a channel repeat)."""
    copies = r ** (x.dim() - 2)
    if r < 2 or x.shape[1] % copies or x.numel() == 0:
        return False
    groups = x.detach().reshape(x.shape[0], x.shape[1] // copies, copies, -1).float()
    scale = float(groups.abs().max().clamp_min(1e-30))
    return bool(((groups - groups[:, :, :1]).abs() <= 1e-6 * scale).all())

def _resize_factors(bound: dict, x: torch.Tensor, y: torch.Tensor) -> tuple[list[Fraction], bool]:
    """Per-axis spacing factor of an ``F.interpolate`` (1 / scale_factor when given, else the size ratio)."""
    n = x.dim() - 2
    scale = bound.get("scale_factor")
    if scale is not None and not any(a == 1 for a in x.shape[2:]) and not any(b == 1 for b in y.shape[2:]):
        values = scale if isinstance(scale, (tuple, list)) else [scale] * n
        return [1 / Fraction(v).limit_denominator(1000) for v in values], True
    return _size_factors(x, y), False


def _slice_steps(index: object, rank: int) -> list[int] | None:
    """Per-axis steps of a basic ``x[...]`` index of slices and an Ellipsis; None for anything else."""
    items = index if isinstance(index, tuple) else (index,)
    if not all(isinstance(i, slice) or i is Ellipsis for i in items) or sum(i is Ellipsis for i in items) > 1:
        return None
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items = items[:at] + (slice(None),) * (rank - len(items) + 1) + items[at + 1:]
    items = items + (slice(None),) * (rank - len(items))
    return [int(i.step or 1) for i in items]
