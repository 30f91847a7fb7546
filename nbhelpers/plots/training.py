"""Curves over training length: a metric against steps (log axis), mean and 95% interval over seeds."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import NullLocator

from .style import NEUTRALS, kind_color, kind_label, legend_below, new_figure, to_numpy

#: More kinds than this on one panel are drawn as small multiples (one panel per kind).
MAX_OVERLAID_KINDS = 4


def interval95(
    values: torch.Tensor | np.ndarray, log: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and two-sided 95% Student-t interval over the first axis (seeds).

    With n seeds the half-width is ``t * s / sqrt(n)``: s the sample standard deviation
    (ddof=1) and t the exact 0.975 quantile of Student's t with n - 1 degrees of freedom
    (``scipy.stats.t.ppf``: 12.706 for 2 seeds, 4.303 for 3, 2.201 for 12, 2.045 for 30).
    One seed gives no spread estimate: low = high = mean (a zero-width band, nothing shaded).

    Args:
        values: (seeds, C) or (seeds,) values, in their own units; seeds >= 1.
        log: compute on the natural log of the values and map back: the geometric mean and an
            interval that is symmetric on a log axis and always above 0 (for quantities drawn on a
            log axis; every value must then be > 0).

    Returns:
        (mean, low, high), each (C,) (or scalars for a (seeds,) input), in the units of ``values``.
    """
    v = np.asarray(to_numpy(values), dtype=float)
    if v.ndim == 0 or v.shape[0] < 1:
        raise ValueError(f"values must have at least one seed along the first axis, got shape {v.shape}")
    if log:
        if not (v > 0).all():
            raise ValueError(f"log=True needs values > 0 (a log axis), got a minimum of {np.nanmin(v):.3g}")
        mean, low, high = interval95(np.log(v))
        return np.exp(mean), np.exp(low), np.exp(high)
    mean = v.mean(axis=0)
    n = v.shape[0]
    if n < 2:
        return mean, mean, mean
    from scipy.stats import t  # scipy comes with scikit-image; imported here, only when needed

    half = float(t.ppf(0.975, n - 1)) * v.std(axis=0, ddof=1) / np.sqrt(n)
    return mean, mean - half, mean + half


def _step_labels(steps: Sequence[int]) -> list[str]:
    """Compact tick labels: 100, 300, 1k, 3k, 10k."""
    return [f"{s / 1000:g}k" if s >= 1000 else f"{s:g}" for s in steps]


def _draw_kind(ax, x: np.ndarray, values: np.ndarray, color: str, log: bool, label: str | None) -> None:
    """Every seed as a faint line, the 95% interval of the mean shaded, the mean on top."""
    for row in values:
        ax.plot(x, row, color=color, lw=0.6, alpha=0.35)
    mean, low, high = interval95(values, log=log)
    ax.fill_between(x, low, high, color=color, alpha=0.18, lw=0)
    ax.plot(x, mean, "o-", color=color, lw=1.8, ms=4, label=label)


def _axes_style(ax, x: np.ndarray, steps: Sequence[int], log: bool) -> None:
    ax.set_xscale("log")
    if log:
        ax.set_yscale("log")
    ax.set_xticks(x)
    ax.set_xticklabels(_step_labels(steps))
    ax.xaxis.set_minor_locator(NullLocator())


def _check_log(label: str, values: np.ndarray) -> None:
    if not (values > 0).all():
        raise ValueError(f"panel {label!r} is drawn on a log axis but has values <= 0 "
                         f"(minimum {np.nanmin(values):.3g}); leave it out of log_y")


def _legend_flags(data, log_y, reference, reference_label) -> tuple[bool, str | None]:
    """(any panel on a log axis, the reference line's label if any panel draws one)."""
    drawn = any(lab in reference for lab in data)
    return any(lab in log_y for lab in data), reference_label if drawn else None


def _legend_entries(log_any: bool, reference: str | None, small_multiples: bool) -> tuple[list, list[str]]:
    """The legend entries that explain the marks (not the kinds): mean, seed, interval, reference."""
    handles, labels = [], []
    if small_multiples:
        handles.append(Line2D([], [], color=NEUTRALS["dark"], lw=1.8, marker="o", ms=4))
        labels.append("mean of the seeds" + (" (geometric on log axes)" if log_any else ""))
    handles += [Line2D([], [], color=NEUTRALS["dark"], lw=0.6, alpha=0.6),
                Patch(color=NEUTRALS["dark"], alpha=0.25, lw=0)]
    note = ""
    if log_any:
        note = " (log space)" if small_multiples else " (log axes: geometric mean, log space)"
    labels += ["one seed", "95% interval of the mean" + note]
    if reference:
        handles.append(Line2D([], [], color=NEUTRALS["reference"], ls="--", lw=1))
        labels.append(reference)
    if small_multiples:
        handles.append(Line2D([], [], color=NEUTRALS["context"], lw=1.0))
        labels.append("the other kinds' means")
    return handles, labels


def plot_training_length(
    steps: Sequence[int],
    panels: Mapping[str, Mapping[str, torch.Tensor]],
    log_y: Sequence[str] = (),
    reference: Mapping[str, float] | None = None,
    layout: str = "auto",
    reference_label: str = "held-out data",
) -> Figure:
    """Each metric against training steps (log axis): every seed as a faint line, the mean over
    seeds with its 95% interval shaded. On a log y axis the mean is the geometric mean and the
    interval is computed on the logs (:func:`interval95` with ``log=True``), so it never reaches 0.

    Two layouts:

    - ``"overlay"``: one panel per metric, every kind on it (up to three panels a row), one legend
      under the panels;
    - ``"small multiples"``: one row per metric and one column per kind (shared axes), each kind
      in its colour with the other kinds' means in light grey for context;
    - ``"auto"`` (default): small multiples when a metric has more than
      :data:`MAX_OVERLAID_KINDS` kinds, else overlay.

    Args:
        steps: the checkpoints (C,).
        panels: {y-axis label: {kind: (seeds, C) values}}; each kind is a key of the colour
            registry (:func:`nbhelpers.plots.style.kind_color`), its label or ``"<kind>, <note>"``.
        log_y: the panel labels drawn on a log y axis (their values must be > 0).
        reference: optional {panel label: value} drawn as a dashed line (e.g. the data's own index).
        layout: ``"auto"``, ``"overlay"`` or ``"small multiples"``.
        reference_label: what the legend calls the dashed reference line.

    Raises:
        ValueError: for a kind without a registry colour, an unknown layout, or values <= 0 on a
            log panel.
    """
    if layout not in ("auto", "overlay", "small multiples"):
        raise ValueError(f"layout must be 'auto', 'overlay' or 'small multiples', got {layout!r}")
    if not panels:
        raise ValueError("panels must hold at least one metric")
    x = np.asarray(steps, dtype=float)
    data = {label: {kind: np.asarray(to_numpy(v), dtype=float) for kind, v in curves.items()}
            for label, curves in panels.items()}
    colors = {kind: kind_color(kind) for curves in data.values() for kind in curves}  # raises early
    for label in log_y:
        if label in data:
            for values in data[label].values():
                _check_log(label, values)
    most = max(len(curves) for curves in data.values())
    if layout == "small multiples" or (layout == "auto" and most > MAX_OVERLAID_KINDS):
        draw = _small_multiples
    else:
        draw = _overlay
    return draw(steps, x, data, colors, set(log_y), reference or {}, reference_label)


def _overlay(steps, x, data, colors, log_y, reference, reference_label) -> Figure:
    n = len(data)
    ncols = n if n <= 3 else 2
    nrows = math.ceil(n / ncols)
    per = {1: 6.0, 2: 5.4, 3: 4.5}[ncols]
    fig, axes = new_figure(nrows, ncols, per * ncols, 3.2 * nrows + 0.5)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax, (label, curves) in zip(axes.flat, data.items()):
        log = label in log_y
        for kind, values in curves.items():
            _draw_kind(ax, x, values, colors[kind], log, kind_label(kind))
        if label in reference:
            ax.axhline(reference[label], color=NEUTRALS["reference"], ls="--", lw=1)
        _axes_style(ax, x, steps, log)
        ax.set_xlabel("training steps (log scale)")
        ax.set_ylabel(label)
    kinds: dict[str, object] = {}
    for ax in axes.flat[:n]:
        for handle, lab in zip(*ax.get_legend_handles_labels()):
            kinds.setdefault(lab, handle)
    extra_h, extra_l = _legend_entries(*_legend_flags(data, log_y, reference, reference_label), False)
    legend_below(fig, [*kinds.values(), *extra_h], [*kinds, *extra_l])
    return fig


def _small_multiples(steps, x, data, colors, log_y, reference, reference_label) -> Figure:
    kinds = list(dict.fromkeys(k for curves in data.values() for k in curves))
    nrows, ncols = len(data), len(kinds)
    fig, axes = new_figure(nrows, ncols, 1.9 * ncols + 0.9, 2.3 * nrows + 0.7, sharex=True, sharey="row")
    for row, (label, curves) in enumerate(data.items()):
        log = label in log_y
        means = {k: interval95(v, log=log)[0] for k, v in curves.items()}
        for col, kind in enumerate(kinds):
            ax = axes[row, col]
            if kind not in curves:
                ax.set_visible(False)
                continue
            for other, mean in means.items():
                if other != kind:
                    ax.plot(x, mean, color=NEUTRALS["context"], lw=1.0)
            _draw_kind(ax, x, curves[kind], colors[kind], log, None)
            if label in reference:
                ax.axhline(reference[label], color=NEUTRALS["reference"], ls="--", lw=1)
            _axes_style(ax, x, steps, log)
            if row == 0:
                ax.set_title(kind_label(kind), fontsize=9)
            if col == 0:
                ax.set_ylabel(label)
            ax.tick_params(labelsize=9)
    fig.supxlabel("training steps (log scale)", fontsize=10)
    handles, labels = _legend_entries(*_legend_flags(data, log_y, reference, reference_label), True)
    legend_below(fig, handles, labels, where="upper")
    return fig
