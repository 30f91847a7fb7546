"""The overlap explorer: kernel size, stride and depth -> coverage, unevenness, index."""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from ..measures.overlap import coverage, effective_kernel_size, overlap_period, unevenness, window_starts
from ..measures.periodic import checkerboard_index
from ..plots.overlap import draw_coverage_bars, draw_windows
from ..plots.style import FIGURE_DPI, SEQUENTIAL_CMAP, to_numpy
from .base import ExplorerBox, FigureView


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


class OverlapExplorer:
    """Sliders for kernel size (1-8), stride (1-4), layers (1-3) and 1D/2D, redrawn in place.

    ``widget`` is the box to display; ``update(...)`` redraws and returns milliseconds taken.
    """

    def __init__(self, kernel_size: int = 3, stride: int = 2, layers: int = 1, ndim: int = 1,
                 n_in: int = 6):
        self.n_in = n_in
        self.figure = Figure(figsize=(6.4, 3.0), dpi=FIGURE_DPI)
        self.figure.set_layout_engine("none")  # fixed margins: constrained layout doubles redraws
        self.view = FigureView(self._draw)
        style = {"description_width": "80px"}
        self.kernel = widgets.IntSlider(kernel_size, 1, 8, description="kernel size", style=style)
        self.stride = widgets.IntSlider(stride, 1, 4, description="stride", style=style)
        self.layers = widgets.IntSlider(layers, 1, 3, description="layers", style=style)
        self.ndim = widgets.ToggleButtons(options=[("1D", 1), ("2D", 2)], value=ndim,
                                          description="view", style=style)
        self.text = widgets.HTML()
        for control in (self.kernel, self.stride, self.layers, self.ndim):
            control.observe(self._on_change, names="value")
        controls = widgets.HBox([widgets.VBox([self.kernel, self.stride, self.layers]), self.ndim])
        self.widget = ExplorerBox([controls, self.text, self.view.image], self.view)
        self._on_change()

    def _on_change(self, _change: object = None) -> None:
        self.update(self.kernel.value, self.stride.value, self.layers.value, self.ndim.value)

    def update(self, kernel_size: int, stride: int, layers: int, ndim: int) -> float:
        """Redraw for these settings; returns compute + draw time in milliseconds."""
        self.text.value = describe_overlap(kernel_size, stride, layers, ndim)
        return self.view.show(kernel_size=kernel_size, stride=stride, layers=layers, ndim=ndim)

    def _draw(self, kernel_size: int, stride: int, layers: int, ndim: int) -> Figure:
        fig = self.figure
        fig.clear()
        margins = {"left": 0.1, "right": 0.97, "bottom": 0.15, "top": 0.9}
        cov = to_numpy(coverage([kernel_size] * layers, [stride] * layers, n_in=self.n_in, ndim=ndim))
        if ndim == 1:
            if layers == 1:
                top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[1, 2],
                                           gridspec_kw={"hspace": 0.25, **margins})
                draw_windows(top, window_starts(kernel_size, stride, self.n_in), len(cov))
                top.set_title(f"each input paints a window of {kernel_size}, windows {stride} apart")
            else:
                bottom = fig.subplots(1, 1, gridspec_kw=margins)
                bottom.set_title(f"paths reaching each output through {layers} layers")
            draw_coverage_bars(bottom, cov)
        else:
            ax = fig.subplots(1, 1, gridspec_kw=margins)
            image = ax.imshow(cov, cmap=SEQUENTIAL_CMAP, vmin=0)
            ax.set_title("2D coverage = outer product of the 1D coverages", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
            fig.colorbar(image, ax=ax, shrink=0.8)
            if cov.shape[0] <= 14:
                top_value = np.max(cov)
                for (i, j), v in np.ndenumerate(cov):
                    ax.text(j, i, str(int(v)), ha="center", va="center", fontsize=9,
                            color="black" if v > 0.6 * top_value else "white")
        return fig


def overlap_explorer(kernel_size: int = 3, stride: int = 2, layers: int = 1, ndim: int = 1) -> widgets.Widget:
    """The explorer's widget (display it as the last expression of a cell)."""
    return OverlapExplorer(kernel_size, stride, layers, ndim).widget
