"""Figures of coverage maps and unevenness (notebook 01)."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.path import Path
from matplotlib.text import TextPath
from matplotlib.transforms import Affine2D

from .style import (
    COLORS,
    HEAT_CMAP,
    NEUTRALS,
    SEQUENTIAL_CMAP,
    UNEVEN_COLOR,
    legend_outside,
    new_figure,
    stride_color,
    text_color_on,
    to_numpy,
)

MAX_BARS = 64  # longer coverage maps are drawn as one filled step line


def window_boxes(windows: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Where :func:`draw_windows` puts each input's window: overlapping windows on separate rows.

    Returns:
        (N, 4) boxes (x, y, width, height) in data units (rows stacked in y in [0, 1]) and
        (N, 2) positions of the marker showing where each input lands.
    """
    if windows:
        size = windows[0][1] - windows[0][0]
        step = windows[1][0] - windows[0][0] if len(windows) > 1 else size
        rows = max(1, math.ceil(size / max(step, 1)))
    else:
        rows = 1
    height = 1.0 / rows
    boxes = np.zeros((len(windows), 4))
    marks = np.zeros((len(windows), 2))
    for i, (start, stop) in enumerate(windows):
        bottom = 1.0 - (i % rows + 1) * height
        boxes[i] = start - 0.45, bottom + 0.1 * height, stop - start - 0.1, 0.8 * height
        marks[i] = start, bottom + 0.5 * height
    return boxes, marks


def draw_windows(ax: Axes, windows: Sequence[tuple[int, int]], length: int) -> None:
    """Draw each input's painted window as a bar, overlapping windows on separate rows.

    Bars of consecutive inputs alternate between rows so every window stays visible; a red
    marker shows where each input lands.
    """
    boxes, marks = window_boxes(windows)
    for (x, y, width, height), (mx, my) in zip(boxes, marks):
        ax.add_patch(_rectangle(x, y, width, height))
        ax.plot([mx], [my], marker=">", color=COLORS["deconv"], ms=4)
    ax.set_xlim(-0.5, length - 0.5)
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    ax.set_ylabel("windows", fontsize=9)


def _rectangle(x: float, y: float, width: float, height: float):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), width, height, color=NEUTRALS["neutral"], alpha=0.7, lw=0)


def coverage_bar_colors(counts: np.ndarray, top: float) -> np.ndarray:
    """(N, 4) RGBA colour of each coverage bar: the middle of the colour map, by count / top.

    (The pale end of the map would vanish on a white background.)
    """
    counts = np.asarray(counts, dtype=float)
    shares = counts / top if top > 0 else np.zeros_like(counts)  # like Normalize(0, 0): all 0
    return _cmap()(0.15 + 0.7 * shares)


def draw_coverage_bars(ax: Axes, cov: object, vmax: float | None = None) -> None:
    """Bar chart of a 1D coverage map, bars coloured by count."""
    counts = to_numpy(cov).astype(float)
    top = vmax if vmax is not None else max(float(counts.max()), 1.0)
    if len(counts) <= MAX_BARS:
        ax.bar(np.arange(len(counts)), counts, width=0.9, color=coverage_bar_colors(counts, top))
    else:  # one artist instead of hundreds of bars keeps redraws fast
        ax.stairs(counts, np.arange(len(counts) + 1) - 0.5, fill=True, color=_cmap()(0.55))
    ax.set_xlim(-0.5, len(counts) - 0.5)
    ax.set_ylim(0, top * 1.1)
    ax.set_xlabel("output position")
    ax.set_ylabel("coverage")


class CoverageBars:
    """:func:`draw_coverage_bars` kept on one Axes and updated in place (for explorers).

    The bars are one ``PolyCollection`` (one artist to draw instead of one patch per bar) and
    maps longer than ``MAX_BARS`` one filled step line, as in :func:`draw_coverage_bars`.

    Args:
        ax: the Axes to draw on (its x/y labels are set here).
    """

    def __init__(self, ax: Axes):
        self.ax = ax
        self.bars = PolyCollection([], edgecolors="none")
        ax.add_collection(self.bars, autolim=False)
        self.steps = ax.stairs([0.0], [-0.5, 0.5], fill=True, color=_cmap()(0.55))
        ax.set_xlabel("output position")
        ax.set_ylabel("coverage")

    @property
    def artists(self) -> list[Artist]:
        """The artists that change on :meth:`update`."""
        return [self.bars, self.steps]

    def update(self, cov: object, vmax: float | None = None) -> None:
        """Show a new (L,) coverage map; ``vmax`` fixes the colour scale (default its maximum)."""
        counts = to_numpy(cov).astype(float)
        top = vmax if vmax is not None else max(float(counts.max()), 1.0)
        short = len(counts) <= MAX_BARS
        if short:
            left = np.arange(len(counts)) - 0.45
            corners = np.stack([left, np.zeros_like(counts), left + 0.9, counts], axis=1)
            self.bars.set_verts([[(x0, y0), (x1, y0), (x1, y1), (x0, y1)] for x0, y0, x1, y1 in corners])
            self.bars.set_facecolor(coverage_bar_colors(counts, top))
        else:
            self.steps.set_data(counts, np.arange(len(counts) + 1) - 0.5)
        self.bars.set_visible(short)
        self.steps.set_visible(not short)
        self.ax.set_xlim(-0.5, len(counts) - 0.5)
        self.ax.set_ylim(0, top * 1.1)


@functools.lru_cache(maxsize=512)
def _text_marker(text: str, fontsize: float) -> tuple[Path, float]:
    """A marker path drawing ``text`` like ``ax.text(..., ha="center", va="center")``, its size in points."""
    glyphs = TextPath((0, 0), text, size=fontsize)
    line = TextPath((0, 0), "lp", size=fontsize).get_extents()  # va="center" centres this box
    ink = glyphs.get_extents()
    path = glyphs.transformed(Affine2D().translate(-(ink.x0 + ink.x1) / 2, -(line.y0 + line.y1) / 2))
    # a Path marker is scaled so that its largest |coordinate| is half the marker size
    return path, 2 * float(np.abs(path.vertices).max())


class CellCounts:
    """Each cell's count written in a heatmap, white on dark and black on bright cells.

    Looks like one ``ax.text(j, i, str(count), ha="center", va="center")`` per cell, but all
    cells with the same count and colour are one line of text-shaped markers: a 14 x 14 map
    takes a few milliseconds to draw instead of a tenth of a second. The lines are kept and
    updated in place (for explorers).

    Args:
        ax: Axes showing an (H, W) map with ``imshow`` (cell (i, j) centred at x=j, y=i).
        fontsize: text size in points.
        split: cells above ``split`` times the maximum are bright (black text).
    """

    def __init__(self, ax: Axes, fontsize: float = 9, split: float = 0.6):
        self.ax, self.fontsize, self.split = ax, fontsize, split
        self.lines: list[Line2D] = []
        self._grow(16)  # a stable set of lines keeps the explorer's cached still layer valid

    @property
    def artists(self) -> list[Artist]:
        """The artists that change on :meth:`update` (more are added when a map needs them)."""
        return list(self.lines)

    def update(self, counts: object | None) -> None:
        """Write the (H, W) ``counts`` (as integers) in their cells; None writes nothing."""
        groups = [] if counts is None else self._groups(to_numpy(counts).astype(float))
        self._grow(len(groups))
        for i, line in enumerate(self.lines):
            line.set_visible(i < len(groups))
            if i < len(groups):
                label, color, rows, cols = groups[i]
                marker, size = _text_marker(label, self.fontsize)
                line.set_data(cols, rows)
                line.set_marker(marker)
                line.set_markersize(size)
                line.set_color(color)
                line.set_markerfacecolor(color)

    def _grow(self, size: int) -> None:
        while len(self.lines) < size:
            line = Line2D([], [], linestyle="none", markeredgewidth=0, visible=False)
            self.ax.add_line(line)
            self.lines.append(line)

    def _groups(self, values: np.ndarray) -> list[tuple[str, str, np.ndarray, np.ndarray]]:
        """(text, colour, rows, columns) of the cells sharing a count and a text colour."""
        labels = values.astype(int)
        bright = values > self.split * values.max() if values.size else values.astype(bool)
        groups = []
        for label, is_bright in sorted(set(zip(labels.ravel().tolist(), bright.ravel().tolist()))):
            rows, cols = np.nonzero((labels == label) & (bright == is_bright))
            color = NEUTRALS["text_dark"] if is_bright else NEUTRALS["text_light"]
            groups.append((str(label), color, rows, cols))
        return groups


def _cmap():
    import matplotlib as mpl

    return mpl.colormaps[SEQUENTIAL_CMAP].resampled(256)


def plot_coverage_1d(
    cov: object, windows: Sequence[tuple[int, int]] | None = None, title: str = ""
) -> Figure:
    """Coverage of a 1D transposed convolution, with the painted windows above it.

    Args:
        cov: (L,) coverage counts (e.g. from :func:`nbhelpers.coverage`).
        windows: (start, stop) output interval of each input (from ``overlap.window_starts``).
    """
    counts = to_numpy(cov)
    if windows is None:
        fig, axes = new_figure(1, 1, width=6.4, height=2.2)
        draw_coverage_bars(axes[0, 0], counts)
        axes[0, 0].set_title(title)
        return fig
    fig, axes = new_figure(2, 1, width=6.4, height=3.2, sharex=True, height_ratios=[1, 2])
    draw_windows(axes[0, 0], windows, len(counts))
    draw_coverage_bars(axes[1, 0], counts)
    axes[0, 0].set_title(title)
    return fig


def plot_coverage_grid(coverages: Mapping[tuple[int, int], object], n_show: int = 16) -> Figure:
    """Small coverage bar charts for a grid of (kernel size, stride) pairs.

    Args:
        coverages: {(k, s): (L,) coverage} ; rows are strides, columns kernel sizes.
        n_show: how many output positions to show from the left (border included).
    """
    ks = sorted({k for k, _ in coverages})
    ss = sorted({s for _, s in coverages})
    fig, axes = new_figure(len(ss), len(ks), width=1.25 * len(ks) + 0.6, height=1.0 * len(ss) + 0.6)
    vmax = max(float(to_numpy(c).max()) for c in coverages.values())
    for r, s in enumerate(ss):
        for c, k in enumerate(ks):
            ax = axes[r, c]
            if (k, s) not in coverages:
                ax.axis("off")
                continue
            counts = to_numpy(coverages[(k, s)])[:n_show]
            draw_coverage_bars(ax, counts, vmax=vmax)
            even = k >= s and k % s == 0
            ax.set_title(f"k={k}, s={s}", fontsize=9, color=NEUTRALS["text_dark"] if even else UNEVEN_COLOR)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel("")
            ax.set_ylabel("")
    fig.suptitle("coverage per output position (red title: s does not divide k)", fontsize=9)
    return fig


def plot_coverage_2d(cov: object, title: str = "", annotate: bool = True) -> Figure:
    """Heatmap of a 2D coverage map (H, W), counts written in the cells when small."""
    counts = to_numpy(cov)
    fig, axes = new_figure(1, 1, width=3.6, height=3.4)
    ax = axes[0, 0]
    im = ax.imshow(counts, cmap=SEQUENTIAL_CMAP, vmin=0)
    if annotate and counts.shape[0] <= 16:
        top = counts.max()
        for (i, j), v in np.ndenumerate(counts):
            ax.text(j, i, f"{int(v)}", ha="center", va="center", fontsize=9,
                    color=text_color_on(v, SEQUENTIAL_CMAP, 0, top))
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.colorbar(im, ax=ax, shrink=0.8, label="coverage")
    return fig


def plot_unevenness_table(table: object, kernel_sizes: Sequence[int], strides: Sequence[int]) -> Figure:
    """Heatmap of max/min coverage for single layers; 'gaps' cells (k < s) are hatched."""
    values = to_numpy(table).astype(float)
    shown = np.where(np.isinf(values), np.nan, values)
    fig, axes = new_figure(1, 1, width=3.8, height=4.0)
    ax = axes[0, 0]
    top = np.nanmax(shown)
    im = ax.imshow(shown, cmap=HEAT_CMAP, vmin=1, vmax=top, aspect="auto")
    for (i, j), v in np.ndenumerate(values):
        if math.isinf(v):
            ax.add_patch(_hatch(j, i))
            ax.text(j, i, "gaps", ha="center", va="center", fontsize=9)
        else:
            ax.text(j, i, f"{v:.2g}", ha="center", va="center", fontsize=9,
                    color=text_color_on(v, HEAT_CMAP, 1, top))
    ax.set_xticks(range(len(strides)), [str(s) for s in strides])
    ax.set_yticks(range(len(kernel_sizes)), [str(k) for k in kernel_sizes])
    ax.set_xlabel("stride s")
    ax.set_ylabel("kernel size k")
    ax.set_title("unevenness = max / min coverage")
    fig.colorbar(im, ax=ax, shrink=0.8, label="max / min coverage")
    return fig


def _hatch(x: int, y: int):
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.5, y - 0.5), 1, 1, fill=False, hatch="///", edgecolor=NEUTRALS["neutral"], lw=0)


def plot_index_vs_unevenness(
    unevenness_values: Sequence[float],
    indices: object,
    labels: Sequence[str],
    strides: Sequence[int],
    title: str = "",
) -> Figure:
    """Measured checkerboard index (one row per config, one column per seed) vs unevenness.

    Args:
        unevenness_values: (N,) unevenness of each configuration.
        indices: (N, n_seeds) measured index per configuration and seed.
        labels: (N,) text label per configuration, e.g. "k=3".
        strides: (N,) stride of each configuration (one colour per stride:
            :data:`nbhelpers.plots.style.STRIDE_COLORS`).
    """
    values = to_numpy(indices)
    uneven = np.asarray(unevenness_values, dtype=float)
    fig, axes = new_figure(1, 1, width=6.4, height=3.4)
    ax = axes[0, 0]
    jitter = {2: -0.02, 3: 0.0, 4: 0.02}
    for s in sorted(set(strides)):
        rows = [i for i, st in enumerate(strides) if st == s]
        xs = uneven[rows] + jitter.get(s, 0.0)
        ax.errorbar(xs, values[rows].mean(axis=1), yerr=values[rows].std(axis=1), fmt="o",
                    color=stride_color(s), label=f"stride {s}", capsize=3)
        for i, x in zip(rows, xs):
            if s != min(strides):
                continue
            ax.annotate(labels[i], (x, values[i].mean()), textcoords="offset points",
                        xytext=(5, -3), fontsize=9, color=stride_color(s))
    ax.set_xlabel("unevenness (max/min coverage)")
    ax.set_ylabel("checkerboard index at period s")
    ax.set_title(title, fontsize=10)
    legend_outside(ax, title="mean ± sd of seeds", title_fontsize=9)
    return fig
