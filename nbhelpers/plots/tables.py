"""Text tables of computed numbers (for cells whose printed output nbval checks)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

from .._validate import check_int

if TYPE_CHECKING:
    from ..experiments.gradients import GradientArtifacts


def format_table(rows: Sequence[Sequence[object]], header: Sequence[str], digits: int = 4) -> str:
    """A plain-text table with aligned columns (floats to ``digits`` significant digits).

    Args:
        rows: one sequence of cells per row, as long as ``header``.
        header: column titles.
        digits: significant digits of float cells.
    """
    digits = check_int("digits", digits, 1)
    header = [str(h) for h in header]

    def cell(v: object) -> str:
        if isinstance(v, float):
            return f"{v:.{digits}g}"
        return str(v)

    body = []
    for i, row in enumerate(rows):
        row = list(row)
        if len(row) != len(header):
            raise ValueError(f"rows[{i}] has {len(row)} cells but header has {len(header)} columns")
        body.append([cell(v) for v in row])
    widths = [max(len(r[j]) for r in [header, *body]) for j in range(len(header))]

    def numeric(text: str) -> bool:
        return any(ch.isdigit() for ch in text) and not any(ch.isalpha() and ch not in "e" for ch in text)

    # text columns align left, numeric columns right
    left = [j == 0 or not all(numeric(r[j]) for r in body) for j in range(len(header))]
    lines = ["  ".join(h.ljust(w) if lj else h.rjust(w) for h, w, lj in zip(header, widths, left))]
    lines.append("  ".join("-" * w for w in widths))
    for r in body:
        lines.append("  ".join(c.ljust(w) if lj else c.rjust(w) for c, w, lj in zip(r, widths, left)))
    return "\n".join(lines)


def format_unevenness_table(table: torch.Tensor, kernel_sizes: Sequence[int], strides: Sequence[int]) -> str:
    """A grid from :func:`nbhelpers.measures.unevenness_table` as aligned text.

    Args:
        table: (len(kernel_sizes), len(strides)) unevenness values.
        kernel_sizes, strides: the row and column labels.

    Returns:
        rows k, columns s, three decimals; 'gaps' for inf.
    """
    kernel_sizes, strides = list(kernel_sizes), list(strides)
    if tuple(table.shape) != (len(kernel_sizes), len(strides)):
        raise ValueError(f"table must have shape ({len(kernel_sizes)}, {len(strides)}) = (kernel sizes, "
                         f"strides), got {tuple(table.shape)}")
    header = "k \\ s " + "".join(f"{s:>7d}" for s in strides)
    lines = [header]
    for k, row in zip(kernel_sizes, table.tolist()):
        cells = "".join(f"{'gaps':>7s}" if math.isinf(v) else f"{v:7.3f}" for v in row)
        lines.append(f"{k:>5d} " + cells)
    return "\n".join(lines)


def format_gradient_table(
    before: dict[tuple[str, int], GradientArtifacts], after: dict[tuple[str, int], GradientArtifacts]
) -> str:
    """A text table: one row per design, the index and phase ratio at init and after training.

    Args:
        before, after: (design, seed) -> :class:`GradientArtifacts` (same keys).

    Returns:
        Lines of text; each cell is the mean over seeds, with the per-seed range in brackets.
    """
    if set(before) != set(after):
        raise ValueError("before and after must have the same (design, seed) keys")
    designs = list(dict.fromkeys(d for d, _ in before))

    def cell(values: list[float]) -> str:
        return f"{sum(values) / len(values):.3f} [{min(values):.3f}-{max(values):.3f}]"

    titles = ("index, init", "index, trained", "ratio, init")
    header = f"{'design':11s} | " + " | ".join(f"{t:21s}" for t in titles) + " | ratio, trained"
    lines = [header, "-" * len(header)]
    for design in designs:
        keys = [k for k in before if k[0] == design]
        lines.append(" | ".join([
            f"{design:11s}",
            cell([before[k].index for k in keys]),
            cell([after[k].index for k in keys]),
            cell([before[k].phase_ratio for k in keys]),
            cell([after[k].phase_ratio for k in keys]),
        ]))
    return "\n".join(lines)
