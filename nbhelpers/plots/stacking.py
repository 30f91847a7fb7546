"""Figures of stacked deconvolutions, stride-1 dampening and layer matrices (notebook 02)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..experiments.stacking import StackAnalysis
from .overlap import draw_coverage_bars
from .style import (
    DIVERGING_CMAP,
    HEAT_CMAP,
    NEUTRALS,
    PERIOD_COLORS,
    SEQUENTIAL_CMAP,
    legend_outside,
    new_figure,
    ordered_colors,
    period_color,
    phase_color,
    text_color_on,
    to_numpy,
)

__all__ = ["PERIOD_COLORS", "PeriodIndexBars", "SpectrumStems", "draw_period_indices", "draw_spectrum_stems",
           "plot_box_filter_response", "plot_dampening", "plot_layer_matrices", "plot_stack_overview",
           "plot_stride1_gallery"]
_period_color = period_color  # the explorers' old name


def _spectrum_heights(power: object, log: bool, reference: float | None) -> np.ndarray:
    """Stem heights of :func:`draw_spectrum_stems`: power / reference (or / max), log10 when ``log``."""
    pw = to_numpy(power)
    top = max(float(pw.max()), 1e-12) if reference is None else max(float(reference), 1e-300)
    shown = pw / top
    return np.log10(np.maximum(shown, 1e-6)) if log else shown


def _spectrum_axes(ax: Axes, log: bool, reference: float | None) -> None:
    ax.set_xlim(-0.01, 0.51)
    ax.set_ylim(-6 if log else 0, 0.3 if log else 1.1)
    ax.set_xlabel("frequency (cycles / pixel)")
    unit = "max" if reference is None else "mean²"
    ax.set_ylabel(f"log10 power / {unit}" if log else f"power / {unit}")


def draw_spectrum_stems(
    ax: Axes,
    freqs: object,
    power: object,
    periods: Sequence[int] = (),
    log: bool = False,
    reference: float | None = None,
) -> None:
    """Stem plot of a 1D power spectrum (non-negative frequencies), 1/p marked per period.

    The power is divided by ``reference`` (e.g. the squared mean of the signal, so that
    panels of different signals compare) or, by default, by its own maximum.
    """
    f = to_numpy(freqs)
    shown = _spectrum_heights(power, log, reference)
    ax.vlines(f, -6 if log else 0, shown, color=NEUTRALS["neutral"], lw=1.5)
    ax.plot(f, shown, "o", ms=2.5, color=NEUTRALS["neutral"])
    for i, p in enumerate(periods):
        ax.axvline(1 / p, color=_period_color(i), ls="--", lw=1, label=f"1/{p}")
    _spectrum_axes(ax, log, reference)


class SpectrumStems:
    """:func:`draw_spectrum_stems` kept on one Axes and updated in place (for explorers).

    Args:
        ax: the Axes (limits and labels are fixed here, once).
        log: log10 of power / max, as in :func:`draw_spectrum_stems`.
        max_periods: how many 1/p marks can show (further periods are not marked).
    """

    def __init__(self, ax: Axes, log: bool = False, max_periods: int = 6):
        self.ax, self.log = ax, log
        self.stems = ax.vlines([], [], [], color=NEUTRALS["neutral"], lw=1.5)
        (self.dots,) = ax.plot([], [], "o", ms=2.5, color=NEUTRALS["neutral"])
        self.marks = [ax.axvline(0.5, color=_period_color(i), ls="--", lw=1, visible=False)
                      for i in range(max_periods)]
        _spectrum_axes(ax, log, None)

    @property
    def artists(self) -> list[Artist]:
        """The artists that change on :meth:`update`."""
        return [self.stems, self.dots, *self.marks]

    def update(self, freqs: object, power: object, periods: Sequence[int] = ()) -> None:
        """Show a new spectrum: (F,) frequencies (cycles/pixel), (F,) power, periods to mark."""
        f = to_numpy(freqs).astype(float)
        shown = _spectrum_heights(power, self.log, None)
        base = np.full_like(f, -6.0 if self.log else 0.0)
        self.stems.set_segments(np.stack([np.stack([f, base], 1), np.stack([f, shown], 1)], 1))
        self.dots.set_data(f, shown)
        for i, mark in enumerate(self.marks):
            if i < len(periods):
                mark.set_xdata([1 / periods[i], 1 / periods[i]])
            mark.set_visible(i < len(periods))


def _label_marks(ax: Axes, periods: Sequence[int]) -> None:
    """Write "1/p" above the axes at each period's mark, in its colour (a legend would cover stems)."""
    for i, p in enumerate(periods):
        ax.text(1 / p, 1.0, f"1/{p}", transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                fontsize=9, color=period_color(i))


def _index_top(values: np.ndarray) -> float:
    return max(1.0, float(np.nanmax(values)) * 1.2 if len(values) else 1.0)


def draw_period_indices(ax: Axes, periods: Sequence[int], values: object, label: str = "index") -> None:
    """Bars of a per-period measure (e.g. ``checkerboard_index(..., exact=True)``), one per period."""
    v = to_numpy(values).astype(float)
    xs = np.arange(len(periods))
    ax.bar(xs, np.nan_to_num(v), color=[_period_color(i) for i in range(len(periods))], width=0.7)
    for x, value in zip(xs, v):
        ax.text(x, value + 0.02, f"{value:.2f}", ha="center", va="bottom", fontsize=9)
    ax.set_xticks(xs, [str(p) for p in periods])
    ax.set_xlim(-0.6, len(periods) - 0.4)
    ax.set_xlabel("exact period p")
    ax.set_ylabel(label)
    ax.set_ylim(0, _index_top(v))


class PeriodIndexBars:
    """:func:`draw_period_indices` kept on one Axes and updated in place (for explorers).

    Args:
        ax: the Axes; label: its y label.
        size: bars made up front (more are added when a stack has more periods).
    """

    def __init__(self, ax: Axes, label: str = "index", size: int = 12):
        self.ax = ax
        self.bars: list[Rectangle] = []
        self.texts: list[Artist] = []
        self._grow(size)
        ax.set_xlabel("exact period p")
        ax.set_ylabel(label)

    def _grow(self, size: int) -> None:
        for i in range(len(self.bars), size):
            self.bars += self.ax.bar([i], [0.0], color=_period_color(i), width=0.7).patches
            self.texts.append(self.ax.text(i, 0.02, "", ha="center", va="bottom", fontsize=9))

    @property
    def artists(self) -> list[Artist]:
        """The artists that change on :meth:`update` (the x axis changes too)."""
        return [*self.bars, *self.texts]

    def update(self, periods: Sequence[int], values: object) -> None:
        """Show (len(periods),) values, one bar per period; NaN values get an empty bar."""
        v = to_numpy(values).astype(float)
        self._grow(len(periods))
        for i, (bar, text) in enumerate(zip(self.bars, self.texts)):
            shown = i < len(periods)
            bar.set_visible(shown)
            text.set_visible(shown and bool(np.isfinite(v[i])))
            if shown:
                bar.set_height(np.nan_to_num(v[i]))
                text.set_y(v[i] + 0.02)
                text.set_text(f"{v[i]:.2f}")
        xs = np.arange(len(periods))
        self.ax.set_xticks(xs, [str(p) for p in periods])
        self.ax.set_xlim(-0.6, len(periods) - 0.4)
        self.ax.set_ylim(0, _index_top(v))


def _image(ax: Axes, image: np.ndarray, title: str, size: int, label: str = "paths") -> None:
    crop = image[:size, :size]
    shown = ax.imshow(crop, cmap=SEQUENTIAL_CMAP, vmin=0, interpolation="nearest")
    ax.figure.colorbar(shown, ax=ax, shrink=0.8, label=label)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_stack_overview(analyses: Sequence[StackAnalysis], image_size: int = 32) -> Figure:
    """One row per stack: 1D coverage, 1D spectrum, per-period index, 2D map and 2D spectrum.

    Args:
        analyses: results of :func:`nbhelpers.experiments.stacking.analyze_stack` with ``with_2d=True``.
        image_size: how many interior pixels of the 2D map to show along each axis.
    """
    if any(a.image is None for a in analyses):
        raise ValueError("plot_stack_overview needs analyze_stack(..., with_2d=True) results")
    n = len(analyses)
    fig, axes = new_figure(n, 5, width=13.0, height=2.3 * n + 0.4,
                           width_ratios=[2.2, 1.8, 1.1, 1.0, 1.0])
    for row, a in enumerate(analyses):
        ax = axes[row]
        draw_coverage_bars(ax[0], a.coverage)
        ax[0].set_title(f"{a.label}: coverage (period {a.period})", fontsize=9)
        draw_spectrum_stems(ax[1], a.freqs, a.power, a.periods, log=True)
        ax[1].set_title("1D power spectrum of the interior", fontsize=9, pad=14)
        _label_marks(ax[1], a.periods)
        draw_period_indices(ax[2], a.periods, a.indices, "exact-period index")
        ax[2].set_title("index per period", fontsize=9)
        _image(ax[3], to_numpy(a.image), "2D coverage (interior)", image_size)
        spec = to_numpy(a.power_2d)
        shown = ax[4].imshow(np.log10(spec + 1e-6 * spec.max() + 1e-30), cmap=SEQUENTIAL_CMAP,
                             interpolation="nearest")
        fig.colorbar(shown, ax=ax[4], shrink=0.8, label="log10 power")
        ax[4].set_title("2D log power spectrum", fontsize=9)
        ax[4].set_xticks([])
        ax[4].set_yticks([])
    return fig


def plot_box_filter_response(
    freqs: object, responses: Mapping[int, object], periods: Sequence[int] = (2, 4, 8)
) -> Figure:
    """|H(f)| / m of box filters (stride-1 all-ones layers) with the artifact frequencies marked.

    Args:
        freqs: (F,) frequencies in cycles/pixel (0..0.5).
        responses: {m: (F,) normalised response}, e.g. from :func:`nbhelpers.measures.box_filter_response`.
        periods: artifact periods p whose fundamental 1/p is marked.
    """
    f = to_numpy(freqs)
    fig, axes = new_figure(1, 1, width=7.2, height=3.2)
    ax = axes[0, 0]
    for color, (m, response) in zip(ordered_colors(len(responses)), responses.items()):
        ax.plot(f, to_numpy(response), color=color, label=f"m={m}")
    for i, p in enumerate(periods):
        ax.axvline(1 / p, color=_period_color(i), ls="--", lw=1)
        ax.text(1 / p, 1.03, f"period {p}", color=_period_color(i), ha="center", fontsize=9)
    ax.set_xlim(0, 0.5)
    ax.set_ylim(0, 1.1)
    ax.set_xlabel("frequency f (cycles / pixel)")
    ax.set_ylabel("|H(f)| / m  (gain rel. to the mean)")
    ax.set_title("a size-m box filter is zero at f = j/m: it removes period p exactly when p divides m",
                 fontsize=9)
    legend_outside(ax, title="stride-1 size", title_fontsize=9)
    return fig


def plot_stride1_gallery(
    analyses: Sequence[StackAnalysis], n_periods: int = 2, image_size: int = 16
) -> Figure:
    """One column per final stride-1 size: 1D interior signal, 2D map and 1D spectrum.

    Args:
        analyses: :func:`nbhelpers.experiments.stacking.analyze_stack` results (``with_2d=True``),
            typically the
            same stack with ``final_size`` = 1, 2, ...
        n_periods: periods of the 1D interior to draw.
        image_size: interior pixels of the 2D map to show along each axis.
    """
    n = len(analyses)
    fig, axes = new_figure(3, n, width=1.9 * n + 0.6, height=6.0)
    for col, a in enumerate(analyses):
        line = to_numpy(a.interior)[: n_periods * a.period]
        ax = axes[0, col]
        ax.bar(np.arange(len(line)), line, width=0.9, color=NEUTRALS["dark"])
        low, high = float(line.min()), float(line.max())
        ax.set_ylim(0, high * 1.1 if high > 0 else 1)
        ax.set_title(f"m={a.final_size}: max/min {high / low:.2f}" if low > 0 else f"m={a.final_size}",
                     fontsize=9)
        ax.set_xticks([])
        if a.image is not None:
            _image(axes[1, col], to_numpy(a.image), "", image_size)
        else:
            axes[1, col].axis("off")
        mean = float(to_numpy(a.interior).mean())
        draw_spectrum_stems(axes[2, col], a.freqs, a.power, a.periods, log=True, reference=mean**2)
        axes[2, col].set_xlabel("cycles/pixel", fontsize=9)
        if col:
            for r in range(3):
                axes[r, col].set_ylabel("")
    axes[0, 0].set_ylabel("1D interior")
    axes[1, 0].set_ylabel("2D interior")
    return fig


def plot_dampening(
    tables: Mapping[str, object], sizes: Sequence[int], periods: Sequence[int]
) -> Figure:
    """Heatmaps of surviving ripple (after / before) per stride-1 size m and period p.

    Args:
        tables: {title: (len(sizes), len(periods)) ratios} from
            :func:`nbhelpers.experiments.stacking.stride1_dampening`.
        sizes: the sizes m (rows); periods: the periods p (columns).
        Cells where p divides m are outlined (the all-ones filter removes them exactly).
    """
    fig, axes = new_figure(1, len(tables), width=3.2 * len(tables) + 0.6, height=3.4)
    for ax, (title, table) in zip(axes[0], tables.items()):
        values = to_numpy(table).astype(float)
        im = ax.imshow(values, cmap=HEAT_CMAP, vmin=0, vmax=1, aspect="auto")
        for (i, j), v in np.ndenumerate(values):
            ax.text(j, i, "-" if np.isnan(v) else f"{v:.2f}", ha="center", va="center", fontsize=9,
                    color=text_color_on(0 if np.isnan(v) else v, HEAT_CMAP, 0, 1))
            if sizes[i] % periods[j] == 0:
                ax.add_patch(Rectangle((j - 0.46, i - 0.46), 0.92, 0.92, fill=False,
                                       edgecolor=NEUTRALS["reference"], lw=2))
        ax.set_xticks(range(len(periods)), [str(p) for p in periods])
        ax.set_yticks(range(len(sizes)), [str(m) for m in sizes])
        ax.set_xlabel("artifact period p")
        ax.set_ylabel("stride-1 layer size m")
        ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=axes[0, -1], shrink=0.8, label="ripple after / before")
    return fig


def plot_layer_matrices(matrices: Mapping[str, object], row_sums: Mapping[str, object]) -> Figure:
    """Matrices of linear upsampling layers side by side, with their row sums below.

    Args:
        matrices: {name: (n_out, n_in) matrix} (from :func:`nbhelpers.layers.matrices.layer_matrix`).
        row_sums: {name: (n_out,) row sums}: the output for a constant input of 1.
    """
    n = len(matrices)
    fig, axes = new_figure(2, n, width=4.0 * n, height=7.2, height_ratios=[3, 1])
    for col, (name, matrix) in enumerate(matrices.items()):
        m = to_numpy(matrix).astype(float)
        lim = max(float(np.abs(m).max()), 1e-12)
        ax = axes[0, col]
        if m.min() >= 0:  # non-negative entries: a sequential map reads better
            cmap, low, high = HEAT_CMAP, 0.0, lim * 1.25
        else:
            cmap, low, high = DIVERGING_CMAP, -lim, lim
        # aspect "auto": cells wide enough for their numbers
        shown = ax.imshow(m, cmap=cmap, vmin=low, vmax=high, interpolation="nearest", aspect="auto")
        fig.colorbar(shown, ax=ax, location="bottom", shrink=0.8, label="matrix entry")
        if m.size <= 400:
            for (i, j), v in np.ndenumerate(m):
                if abs(v) > 1e-9:
                    ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=9,
                            color=text_color_on(v, cmap, low, high))
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("input position")
        ax.set_ylabel("output position" if col == 0 else "")
        sums = to_numpy(row_sums[name]).astype(float)
        bx = axes[1, col]
        colors = [phase_color(i % 2) for i in range(len(sums))]  # 1-D phase of a stride-2 layer
        bx.bar(np.arange(len(sums)), sums, color=colors, width=0.85)
        bx.set_xlim(-0.5, len(sums) - 0.5)
        bx.set_ylim(0, max(float(sums.max()), 1e-12) * 1.15)
        bx.set_xlabel("output position (colour = phase)")
        bx.set_ylabel("row sum" if col == 0 else "")
    return fig
