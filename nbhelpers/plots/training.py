"""Curves over training length: a metric against steps (log axis), mean and 95% interval over seeds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

from .fixes import FIX_COLORS, FIX_LABELS
from .style import COLORS, new_figure, to_numpy


def interval95(values: torch.Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and two-sided 95% Student-t interval over the first axis (seeds).

    With n seeds the half-width is ``t * s / sqrt(n)``: s the sample standard deviation
    (ddof=1) and t the exact 0.975 quantile of Student's t with n - 1 degrees of freedom
    (``scipy.stats.t.ppf``: 12.706 for 2 seeds, 4.303 for 3, 2.201 for 12, 2.045 for 30).
    One seed gives no spread estimate: low = high = mean (a zero-width band, nothing shaded).

    Args:
        values: (seeds, C) or (seeds,) values, in their own units; seeds >= 1.

    Returns:
        (mean, low, high), each (C,) (or scalars for a (seeds,) input), in the units of ``values``.
    """
    v = np.asarray(to_numpy(values), dtype=float)
    if v.ndim == 0 or v.shape[0] < 1:
        raise ValueError(f"values must have at least one seed along the first axis, got shape {v.shape}")
    mean = v.mean(axis=0)
    n = v.shape[0]
    if n < 2:
        return mean, mean, mean
    from scipy.stats import t  # scipy comes with scikit-image; imported here, only when needed

    half = float(t.ppf(0.975, n - 1)) * v.std(axis=0, ddof=1) / np.sqrt(n)
    return mean, mean - half, mean + half


def plot_training_length(
    steps: Sequence[int],
    panels: Mapping[str, Mapping[str, torch.Tensor]],
    log_y: Sequence[str] = (),
    reference: Mapping[str, float] | None = None,
) -> Figure:
    """One panel per metric: each kind's mean over seeds against training steps (log axis), with its
    95% interval shaded and every seed as a faint line.

    Args:
        steps: the checkpoints (C,).
        panels: {y-axis label: {kind: (seeds, C) values}}.
        log_y: the panel labels drawn on a log y axis.
        reference: optional {panel label: value} drawn as a dashed line (e.g. the data's own index).
    """
    fig, axes = new_figure(1, len(panels), 5.2 * len(panels), 3.8)
    x = np.asarray(steps, dtype=float)
    kinds = {kind for curves in panels.values() for kind in curves}
    taken = {FIX_COLORS[k].lower() for k in kinds if k in FIX_COLORS}
    spare = iter(c for c in ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
                 if c not in taken)  # Okabe-Ito, none that a known kind already uses
    colors: dict[str, str] = {}
    for ax, (label, curves) in zip(axes[0], panels.items()):
        for kind, values in curves.items():
            color = colors.setdefault(kind, FIX_COLORS.get(kind) or next(spare, COLORS["neutral"]))
            v = np.asarray(to_numpy(values), dtype=float)
            for row in v:
                ax.plot(x, row, color=color, lw=0.6, alpha=0.35)
            mean, low, high = interval95(v)
            ax.fill_between(x, low, high, color=color, alpha=0.18, lw=0)
            ax.plot(x, mean, "o-", color=color, lw=1.8, ms=4, label=FIX_LABELS.get(kind, kind))
        if reference and label in reference:
            ax.axhline(reference[label], color=COLORS["neutral"], ls="--", lw=1, label="held-out data")
        ax.set_xscale("log")
        if label in log_y:
            ax.set_yscale("log")
        ax.set_xlabel("training steps (log scale)")
        ax.set_ylabel(label)
        ax.set_xticks(x)
        ax.set_xticklabels([f"{int(s)}" for s in steps])
    axes[0, 0].legend(frameon=False, fontsize=9)
    return fig
