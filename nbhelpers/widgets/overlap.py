"""The overlap explorer: kernel size, stride and depth -> coverage, unevenness, index."""

from __future__ import annotations

import functools
import math

import ipywidgets as widgets
import numpy as np
from matplotlib import rc_context
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from ..measures.overlap import coverage, effective_kernel_size, overlap_period, unevenness, window_starts
from ..measures.periodic import checkerboard_index
from ..plots.overlap import CellCounts, CoverageBars, window_boxes
from ..plots.style import COLORS, FIGURE_DPI, SEQUENTIAL_CMAP, to_numpy, use_house_style
from .base import ExplorerBox, FigureView, Frame, pin_xlabels
from .frames import compact_png, control, frame_set


def describe_overlap(kernel_size: int, stride: int, layers: int, ndim: int) -> str:
    """One-paragraph HTML description of a stack's overlap (what the explorer prints)."""
    ks, ss = [kernel_size] * layers, [stride] * layers
    ratio = unevenness(ks, ss, ndim=ndim)
    period = overlap_period(ks, ss)
    parts = [f"<b>{layers} layer(s) of k={kernel_size}, s={stride}</b> ({ndim}D): period {period}"]
    if math.isinf(ratio):
        parts.append(
            "<span style='color:#b00'>some output positions get <b>no paint at all</b>: the "
            f"kernel (k={kernel_size}) is shorter than the stride (s={stride}), so the windows "
            "leave gaps. Unevenness is infinite.</span>"
        )
    elif ratio == 1:
        parts.append("unevenness 1: every interior position gets the same paint.")
    else:
        parts.append(f"unevenness (max/min coverage) <b>{ratio:.3g}</b>")
        if stride > 1 and kernel_size % stride:
            parts.append(f"because s={stride} does not divide k={kernel_size}.")
    if period > 1:
        cov = coverage(ks, ss, n_in=max(4, math.ceil(effective_kernel_size(ks, ss) / period) + 4))
        length = effective_kernel_size(ks, ss)
        interior = cov[length - 1 : len(cov) - length + 1].double()
        if len(interior) >= period:
            index = checkerboard_index(interior.view(1, -1), period, ndim=1).item()
            parts.append(f"checkerboard index of the coverage at period {period}: {index:.3f}")
    return " &nbsp;".join(parts)


MARGINS = {"left": 0.1, "right": 0.97, "bottom": 0.15, "top": 0.9}


KERNEL_RANGE = (1, 8)
STRIDE_RANGE = (1, 4)
LAYER_RANGE = (1, 3)


class OverlapExplorer:
    """Sliders for kernel size (1-8), stride (1-4), layers (1-3) and 1D/2D, redrawn in place.

    One persistent Figure holds the panels of every view (windows over coverage bars for one
    1D layer, coverage bars alone for a 1D stack, a heatmap for 2D); an update shows one view
    and changes its artists in place. ``widget`` is the box to display; ``update(...)`` redraws
    and returns milliseconds taken.
    """

    def __init__(self, kernel_size: int = 3, stride: int = 2, layers: int = 1, ndim: int = 1,
                 n_in: int = 6):
        self.n_in = n_in
        self.figure = Figure(figsize=(6.4, 3.0), dpi=FIGURE_DPI)
        self.figure.set_layout_engine("none")  # fixed margins: constrained layout doubles redraws
        self._build_panels()
        self.view = FigureView(self._draw)
        style = {"description_width": "80px"}
        self.kernel = widgets.IntSlider(kernel_size, *KERNEL_RANGE, description="kernel size", style=style)
        self.stride = widgets.IntSlider(stride, *STRIDE_RANGE, description="stride", style=style)
        self.layers = widgets.IntSlider(layers, *LAYER_RANGE, description="layers", style=style)
        self.ndim = widgets.ToggleButtons(options=[("1D", 1), ("2D", 2)], value=ndim,
                                          description="view", style=style)
        self.text = widgets.HTML()
        for slider in (self.kernel, self.stride, self.layers, self.ndim):
            slider.observe(self._on_change, names="value")
        controls = widgets.HBox([widgets.VBox([self.kernel, self.stride, self.layers]), self.ndim])
        self.widget = ExplorerBox([controls, self.text, self.view.image], self.view, static=self.settings)
        self._on_change()

    def settings(self) -> dict:
        """What a static page needs to rebuild this explorer: its name and current settings."""
        return {"explorer": "overlap", "settings": {
            "kernel_size": self.kernel.value, "stride": self.stride.value,
            "layers": self.layers.value, "ndim": self.ndim.value}}

    def frame(self, kernel_size: int, stride: int, layers: int, ndim: int) -> tuple[bytes, str]:
        """(small PNG, HTML text) of one setting, as :meth:`update` shows it; the widget is left alone."""
        rgba = self.view.pixels(kernel_size=kernel_size, stride=stride, layers=layers, ndim=ndim)
        return compact_png(rgba), describe_overlap(kernel_size, stride, layers, ndim)

    def _build_panels(self) -> None:
        """Create the axes and artists of the three views once (titles at a fixed height)."""
        fig = self.figure
        pair = fig.add_gridspec(2, 1, height_ratios=[1, 2], hspace=0.25, **MARGINS)
        self.ax_windows = fig.add_subplot(pair[0])
        self.ax_low = fig.add_subplot(pair[1], sharex=self.ax_windows)
        self.ax_windows.label_outer()  # as subplots(sharex=True): no tick labels above the bars
        self.window_boxes = PolyCollection([], facecolors="0.45", alpha=0.6, linewidths=0)
        self.ax_windows.add_collection(self.window_boxes, autolim=False)
        (self.window_marks,) = self.ax_windows.plot([], [], ">", color=COLORS["deconv"], ms=4)
        self.ax_windows.set_ylim(0, 1)
        self.ax_windows.set_yticks([])
        self.ax_windows.set_ylabel("windows", fontsize=9)
        self.ax_windows.set_title(" ", y=1.0)
        self.low_bars = CoverageBars(self.ax_low)
        self.ax_paths = fig.add_subplot(fig.add_gridspec(1, 1, **MARGINS)[0])
        self.path_bars = CoverageBars(self.ax_paths)
        self.ax_paths.set_title(" ", y=1.0)
        self.ax_map = fig.add_subplot(fig.add_gridspec(1, 1, **MARGINS)[0])
        self.heatmap = self.ax_map.imshow(np.zeros((2, 2)), cmap=SEQUENTIAL_CMAP, vmin=0, vmax=1)
        self.ax_map.set_title("2D coverage = outer product of the 1D coverages", fontsize=9, y=1.0)
        self.ax_map.set_xticks([])
        self.ax_map.set_yticks([])
        self.colorbar = fig.colorbar(self.heatmap, ax=self.ax_map, shrink=0.8)
        self.counts = CellCounts(self.ax_map, fontsize=9)
        pin_xlabels(fig, [self.ax_low, self.ax_paths])

    def _on_change(self, _change: object = None) -> None:
        self.update(self.kernel.value, self.stride.value, self.layers.value, self.ndim.value)

    def update(self, kernel_size: int, stride: int, layers: int, ndim: int) -> float:
        """Redraw for these settings; returns compute + draw time in milliseconds."""
        self.text.value = describe_overlap(kernel_size, stride, layers, ndim)
        return self.view.show(kernel_size=kernel_size, stride=stride, layers=layers, ndim=ndim)

    def _draw(self, kernel_size: int, stride: int, layers: int, ndim: int) -> Frame:
        cov = to_numpy(coverage([kernel_size] * layers, [stride] * layers, n_in=self.n_in))
        if ndim == 2:  # the outer product of the 1D maps, as coverage(ndim=2): 20x faster in numpy
            cov = np.outer(cov, cov)
        view = "map" if ndim == 2 else "windows" if layers == 1 else "paths"
        for ax, name in ((self.ax_windows, "windows"), (self.ax_low, "windows"), (self.ax_paths, "paths"),
                         (self.ax_map, "map"), (self.colorbar.ax, "map")):
            ax.set_visible(name == view)
        if view == "map":
            moving = self._draw_map(cov)
        elif view == "windows":
            boxes, marks = window_boxes(window_starts(kernel_size, stride, self.n_in))
            self.window_boxes.set_verts([[(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
                                         for x, y, w, h in boxes])
            self.window_marks.set_data(marks[:, 0], marks[:, 1])
            self.low_bars.update(cov)  # sets the x range of both panels
            self.ax_windows.title.set_text(
                f"each input paints a window of {kernel_size}, windows {stride} apart")
            moving = [self.window_boxes, self.window_marks, self.ax_windows.title,
                      self.ax_windows.xaxis, self.ax_low]
        else:
            self.path_bars.update(cov)
            self.ax_paths.title.set_text(f"paths reaching each output through {layers} layers")
            moving = [self.ax_paths]
        return Frame(self.figure, moving, view)

    def _draw_map(self, cov: np.ndarray) -> list:
        """Show a 2D coverage (L, L) with its counts written in the cells when L <= 14."""
        height, width = cov.shape
        self.heatmap.set_data(cov)
        self.heatmap.set_extent((-0.5, width - 0.5, height - 0.5, -0.5))
        self.heatmap.set_clim(0, max(float(cov.max()), 1e-12))
        self.ax_map.set_xlim(-0.5, width - 0.5)
        self.ax_map.set_ylim(height - 0.5, -0.5)
        self.counts.update(cov if height <= 14 else None)
        return [self.heatmap, *self.counts.artists, self.colorbar.ax]


def overlap_frames(kernel_size: int = 3, stride: int = 2, layers: int = 1, ndim: int = 1) -> dict:
    """Every setting of the explorer's sliders, rendered: the frame set of a static page.

    Args:
        kernel_size, stride, layers, ndim: where the page's controls start (as the notebook's
            call: kernel size 1-8, stride 1-4, 1-3 layers, 1 or 2 dimensions).

    Returns:
        A frame set (:mod:`.frames`) of all 8 x 4 x 3 x 2 = 192 settings: 64-colour PNGs of
        640 x 300 pixels (about 5 KB each) and the explorer's text; about 8 s on one core. The
        result is cached: do not modify it.
    """
    limits = (("kernel_size", kernel_size, KERNEL_RANGE), ("stride", stride, STRIDE_RANGE),
              ("layers", layers, LAYER_RANGE), ("ndim", ndim, (1, 2)))
    for name, value, (low, high) in limits:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{name} must be a whole number in {low}..{high}, got {value!r}")
    return _overlap_frames(kernel_size, stride, layers, ndim)


@functools.lru_cache(maxsize=4)
def _overlap_frames(kernel_size: int, stride: int, layers: int, ndim: int) -> dict:
    with rc_context():  # the notebooks' look (they call use_house_style first)
        use_house_style()
        return _render_frames(kernel_size, stride, layers, ndim)


def _render_frames(kernel_size: int, stride: int, layers: int, ndim: int) -> dict:
    explorer = OverlapExplorer(kernel_size, stride, layers, ndim)
    controls = [
        control("kernel_size", "kernel size", range(KERNEL_RANGE[0], KERNEL_RANGE[1] + 1), kernel_size),
        control("stride", "stride", range(STRIDE_RANGE[0], STRIDE_RANGE[1] + 1), stride),
        control("layers", "layers", range(LAYER_RANGE[0], LAYER_RANGE[1] + 1), layers),
        control("ndim", "view", [1, 2], ndim, kind="toggle", labels=["1D", "2D"]),
    ]
    note = ("Every setting of the notebook's explorer (kernel size 1-8, stride 1-4, 1-3 layers, "
            "1D or 2D) is precomputed here; run the notebook for the live explorer.")
    return frame_set("overlap", controls, explorer.frame, note)


def overlap_explorer(kernel_size: int = 3, stride: int = 2, layers: int = 1, ndim: int = 1) -> widgets.Widget:
    """The explorer's widget (display it as the last expression of a cell)."""
    return OverlapExplorer(kernel_size, stride, layers, ndim).widget
