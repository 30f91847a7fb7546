"""The stack explorer: up to three transposed convolutions and an optional stride-1 layer.

Sliders set each layer's kernel size and stride and the size m of a final stride-1 layer; the
figure shows the coverage (borders included), the spectrum of the periodic interior and the
exact-period index at every period the stack can produce, redrawn in place.
"""

from __future__ import annotations

import functools
import html
import numbers
from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib import rc_context
from matplotlib.figure import Figure

from ..experiments.stacking import StackAnalysis, analyze_stack
from ..plots.stacking import PeriodIndexBars, SpectrumStems
from ..plots.style import COLORS, FIGURE_DPI, use_house_style
from .base import ExplorerBox, FigureView, Frame, pin_xlabels
from .frames import compact_png, control, frame_set

KERNEL_RANGE = (1, 8)
STRIDE_RANGE = (1, 4)
FINAL_RANGE = (1, 8)
LAYER_RANGE = (1, 3)


def _check_setting(name: str, value: object, low: int, high: int) -> str | None:
    """None when ``value`` is a whole number in [low, high], else a readable explanation."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return f"{name} must be a whole number, got {value!r}."
    if not float(value).is_integer():
        return (f"{name} must be a whole number, got {value}: a kernel has a whole number of taps "
                "and a stride moves a whole number of pixels.")
    if not low <= int(value) <= high:
        return f"{name} must be between {low} and {high} in this explorer, got {int(value)}."
    return None


def check_stack_settings(
    kernel_sizes: Sequence[object], strides: Sequence[object], final_size: object | None
) -> list[str]:
    """Readable problems with explorer settings (empty list when they can be drawn).

    Checks 1-3 layers, whole-number kernel sizes in 1..8, strides in 1..4, and a final
    stride-1 size in 1..8 (or None). Gaps (k < s) are *not* problems: they are drawn, and
    :func:`describe_stack` explains them.
    """
    problems = []
    if len(kernel_sizes) != len(strides):
        problems.append(f"give one stride per layer: {len(kernel_sizes)} kernel sizes but "
                        f"{len(strides)} strides.")
    if not LAYER_RANGE[0] <= len(kernel_sizes) <= LAYER_RANGE[1]:
        problems.append(f"the explorer stacks 1 to 3 layers, got {len(kernel_sizes)}.")
    for i, k in enumerate(kernel_sizes):
        problems.append(_check_setting(f"kernel size of layer {i + 1}", k, *KERNEL_RANGE))
    for i, s in enumerate(strides):
        problems.append(_check_setting(f"stride of layer {i + 1}", s, *STRIDE_RANGE))
    if final_size is not None:
        problems.append(_check_setting("stride-1 layer size m", final_size, *FINAL_RANGE))
    return [p for p in problems if p]


def describe_stack(analysis: StackAnalysis) -> str:
    """One-paragraph HTML summary of a stack: period, unevenness, gaps, strongest period."""
    layers = analysis.kernel_sizes[: len(analysis.kernel_sizes) - (analysis.final_size is not None)]
    strides = analysis.strides[: len(layers)]
    parts = [f"<b>{html.escape(analysis.label)}</b>: period {analysis.period}"]
    gaps = [i + 1 for i, (k, s) in enumerate(zip(layers, strides)) if k < s]
    if analysis.has_gaps:
        which = ", ".join(f"layer {i} (k={layers[i - 1]} &lt; s={strides[i - 1]})" for i in gaps)
        parts.append(
            "<span style='color:#b00'>some output positions get <b>no paint at all</b>: "
            f"{which or 'the kernels are too short for the strides'} leaves gaps between windows, "
            "so the unevenness is infinite. A later stride-1 layer can fill gaps when m is "
            "large enough.</span>"
        )
    elif analysis.period == 1:
        parts.append("every stride is 1: nothing periodic can appear.")
    elif analysis.unevenness == 1:
        parts.append("flat interior: every position gets the same paint (no artifact).")
    else:
        parts.append(f"unevenness (max/min) <b>{analysis.unevenness:.3g}</b>")
    if analysis.periods and float(analysis.indices.max()) > 1e-9:
        best = int(analysis.indices.argmax())
        listing = ", ".join(f"p={p}: {float(v):.2f}" for p, v in zip(analysis.periods, analysis.indices))
        parts.append(f"exact-period index {listing} (largest at period {analysis.periods[best]})")
    return " &nbsp;".join(parts)


class StackExplorer:
    """Sliders for up to three layers (kernel size 1-8, stride 1-4) and a final stride-1 layer.

    ``widget`` is the box to display; ``update(kernel_sizes, strides, final_size)`` redraws
    and returns milliseconds taken (invalid settings show an explanation instead of failing).
    """

    def __init__(
        self,
        kernel_sizes: Sequence[int] = (3, 3),
        strides: Sequence[int] = (2, 2),
        final_size: int | None = None,
        n_in: int = 6,
    ):
        self.n_in = n_in
        # No layout engine: fixed margins redraw twice as fast as constrained layout. (A figure
        # made with layout="none" gets the house style's constrained layout back on savefig,
        # a placeholder engine set afterwards does not.)
        self.figure = Figure(figsize=(8.0, 4.2), dpi=FIGURE_DPI)
        self.figure.set_layout_engine("none")
        self.view = FigureView(self._draw)
        style = {"description_width": "70px"}
        layout = widgets.Layout(width="260px")
        ks = list(kernel_sizes) + [3] * (3 - len(kernel_sizes))
        ss = list(strides) + [2] * (3 - len(strides))
        self.layers = widgets.IntSlider(len(kernel_sizes), *LAYER_RANGE, description="layers",
                                        style=style, layout=layout)
        self.kernels = [widgets.IntSlider(k, *KERNEL_RANGE, description=f"k{i + 1}", style=style,
                                          layout=layout) for i, k in enumerate(ks)]
        self.strides = [widgets.IntSlider(s, *STRIDE_RANGE, description=f"s{i + 1}", style=style,
                                          layout=layout) for i, s in enumerate(ss)]
        self.use_final = widgets.Checkbox(final_size is not None, description="final stride-1 layer")
        self.final = widgets.IntSlider(final_size or 2, *FINAL_RANGE, description="size m",
                                       style=style, layout=layout)
        self.text = widgets.HTML()
        self.last_ms = float("nan")
        controls = [self.layers, *self.kernels, *self.strides, self.use_final, self.final]
        for widget in controls:
            widget.observe(self._on_change, names="value")
        columns = widgets.HBox([
            widgets.VBox([self.layers, self.use_final, self.final]),
            widgets.VBox(self.kernels),
            widgets.VBox(self.strides),
        ])
        self.widget = ExplorerBox([columns, self.text, self.view.image], self.view, static=self.settings)
        self._on_change()

    def settings(self) -> dict:
        """What a static page needs to rebuild this explorer: its name and current settings."""
        n = self.layers.value
        return {"explorer": "stack", "settings": {
            "kernel_sizes": [k.value for k in self.kernels[:n]],
            "strides": [s.value for s in self.strides[:n]],
            "final_size": self.final.value if self.use_final.value else None}}

    def _on_change(self, _change: object = None) -> None:
        n = self.layers.value
        for i in range(3):
            self.kernels[i].disabled = self.strides[i].disabled = i >= n
        self.final.disabled = not self.use_final.value
        self.update([k.value for k in self.kernels[:n]], [s.value for s in self.strides[:n]],
                    self.final.value if self.use_final.value else None)

    def _prepare(
        self, kernel_sizes: Sequence[object], strides: Sequence[object], final_size: object | None
    ) -> tuple[str, dict]:
        """(HTML text, arguments of ``_draw``) for these settings."""
        problems = check_stack_settings(list(kernel_sizes), list(strides), final_size)
        if problems:
            text = ("<span style='color:#b00'><b>Cannot draw this stack:</b> "
                    + " ".join(html.escape(p) for p in problems) + "</span>")
            return text, {"analysis": None, "message": "\n".join(problems)}
        analysis = analyze_stack([int(k) for k in kernel_sizes], [int(s) for s in strides],
                                 None if final_size is None else int(final_size), n_in=self.n_in)
        return describe_stack(analysis), {"analysis": analysis, "message": ""}

    def update(
        self, kernel_sizes: Sequence[object], strides: Sequence[object], final_size: object | None = None
    ) -> float:
        """Redraw for these settings; returns compute + draw time in milliseconds."""
        self.text.value, drawing = self._prepare(kernel_sizes, strides, final_size)
        self.last_ms = self.view.show(**drawing)
        return self.last_ms

    def frame(
        self, kernel_sizes: Sequence[object], strides: Sequence[object], final_size: object | None = None
    ) -> tuple[bytes, str]:
        """(small PNG, HTML text) of one setting, as :meth:`update` shows it; the widget is left alone."""
        text, drawing = self._prepare(kernel_sizes, strides, final_size)
        return compact_png(self.view.pixels(**drawing), colors=16), text  # no colour maps: 16 suffice

    def _build_axes(self) -> None:
        """Create the three panels and their artists once; updates change them in place."""
        fig = self.figure
        grid = fig.add_gridspec(2, 3, left=0.08, right=0.98, bottom=0.12, top=0.93, hspace=0.55,
                                wspace=0.45)
        self.ax_coverage = fig.add_subplot(grid[0, :])
        self.ax_spectrum = fig.add_subplot(grid[1, :2])
        self.ax_indices = fig.add_subplot(grid[1, 2])
        self.message = fig.text(0.5, 0.5, "", ha="center", va="center", fontsize=11, color="#b00",
                                wrap=True)
        top = self.ax_coverage
        self.steps = top.stairs([0.0], [-0.5, 0.5], fill=True, color=COLORS["deconv"])
        top.set_xlabel("output position")
        top.set_ylabel("coverage")
        top.set_title(" ", fontsize=9, y=1.0)  # a fixed title position: no layout pass per update
        self.stems = SpectrumStems(self.ax_spectrum, log=True)
        self.ax_spectrum.set_title("power spectrum of the periodic interior", fontsize=9, y=1.0)
        self.no_peaks = self.ax_spectrum.text(0.5, 0.5, "period 1: no spectrum peaks", ha="center",
                                              va="center", transform=self.ax_spectrum.transAxes)
        self.bars = PeriodIndexBars(self.ax_indices, "exact-period index")
        self.ax_indices.set_title("index per period", fontsize=9, y=1.0)
        pin_xlabels(fig, [top, self.ax_indices])

    def _draw(self, analysis: StackAnalysis | None, message: str) -> Frame:
        """Update the panels in place; returns what moved and which still layer lies below it."""
        fig = self.figure
        if not hasattr(self, "ax_coverage"):
            self._build_axes()
        panels = (self.ax_coverage, self.ax_spectrum, self.ax_indices)
        if analysis is None:
            for ax in panels:
                ax.set_visible(False)
            self.message.set_text("Cannot draw this stack:\n" + message)
            return Frame(fig, [], ("message", message))
        self.message.set_text("")
        counts = analysis.coverage.to(torch.float64).numpy()
        top = self.ax_coverage
        self.steps.set_data(counts, np.arange(len(counts) + 1) - 0.5)
        top.set_xlim(-0.5, len(counts) - 0.5)
        top.set_ylim(0, max(float(counts.max()), 1.0) * 1.1)
        top.title.set_text(f"coverage of {analysis.label} (n_in={self.n_in}, borders included)")
        peaks, has_periods = analysis.period > 1, bool(analysis.periods)
        spectrum, bars = self.ax_spectrum, self.ax_indices
        for ax, visible in zip(panels, (True, True, has_periods)):
            ax.set_visible(visible)
        spectrum.axison = peaks
        spectrum.title.set_visible(peaks)
        self.no_peaks.set_visible(not peaks)
        for artist in self.stems.artists:
            artist.set_visible(peaks)
        moving: list = [top]  # the whole coverage panel: its title, ticks and limits change
        if peaks:
            self.stems.update(analysis.freqs, analysis.power, analysis.periods[:6])
            moving += self.stems.artists
        if has_periods:
            self.bars.update(analysis.periods, analysis.indices)
            moving += [*self.bars.artists, bars.xaxis]
            if bars.get_ylim()[1] != 1.0:  # the usual 0-1 scale stays in the still layer
                moving.append(bars.yaxis)
        return Frame(fig, moving, ("stack", peaks, has_periods))


# The static page's grid: the live explorer's 1-3 layers x (8 kernel sizes x 4 strides) per layer x
# 9 final layers is ~300,000 settings; the page gives every layer the same kernel size and stride
# and keeps the values that show each effect (even and uneven kernels, gaps at k < s, periods
# 2, 4, 8 and 3, 9, and a final layer that removes periods dividing m).
STATIC_KERNELS = (2, 3, 4, 5, 6)
STATIC_STRIDES = (1, 2, 3)
STATIC_FINALS = ("off", 2, 3, 4, 8)


def _listed(values: Sequence[object]) -> str:
    return ", ".join(map(str, values))


def stack_controls(kernel_sizes: Sequence[int] = (3, 3), strides: Sequence[int] = (2, 2),
                   final_size: int | None = None) -> tuple[list[dict], str]:
    """The static page's controls over uniform stacks, starting from the notebook's stack, and its note.

    Args:
        kernel_sizes, strides, final_size: the notebook's starting stack (as :class:`StackExplorer`);
            the page starts from ``len(kernel_sizes)`` layers of the first layer's kernel size and
            stride, and its final layer (``None``: off).

    Returns:
        (controls, note): sliders for the layers (1-3), the kernel size k and the stride s of every
        layer (:data:`STATIC_KERNELS`, :data:`STATIC_STRIDES`) and the final layer
        (:data:`STATIC_FINALS`), each with the starting value added when outside; the note says
        what the page covers. Raises ValueError for settings the explorer cannot draw.
    """
    problems = check_stack_settings(list(kernel_sizes), list(strides), final_size)
    if problems:
        raise ValueError("stack settings: " + " ".join(problems))
    ks, ss = [int(k) for k in kernel_sizes], [int(s) for s in strides]
    final = "off" if final_size is None else int(final_size)
    kernels = sorted({*STATIC_KERNELS, ks[0]})
    stride_values = sorted({*STATIC_STRIDES, ss[0]})
    finals = ["off", *sorted({f for f in STATIC_FINALS if f != "off"} | ({final} - {"off"}))]
    controls = [
        control("layers", "layers", range(LAYER_RANGE[0], LAYER_RANGE[1] + 1), len(ks)),
        control("kernel_size", "kernel size k (every layer)", kernels, ks[0]),
        control("stride", "stride s (every layer)", stride_values, ss[0]),
        control("final", "final stride-1 layer m", finals, final),
    ]
    note = (f"On this page every layer has the same kernel size k = {_listed(kernels)} and stride "
            f"s = {_listed(stride_values)}, and the final stride-1 layer is off or "
            f"m = {_listed(finals[1:])}: {3 * len(kernels) * len(stride_values) * len(finals)} "
            "precomputed settings. The notebook's live explorer sets each layer on its own "
            "(k 1-8, s 1-4, m 1-8).")
    if len(set(ks)) > 1 or len(set(ss)) > 1:
        note += (" (The notebook's explorer starts from a stack with different layers; this page starts "
                 "from its first layer.)")
    return controls, note


@functools.lru_cache(maxsize=4)
def _stack_frames(kernel_sizes: tuple, strides: tuple, final_size: int | None) -> dict:
    with rc_context():  # the notebooks' look (they call use_house_style first)
        use_house_style()
        return _render_frames(kernel_sizes, strides, final_size)


def _render_frames(kernel_sizes: tuple, strides: tuple, final_size: int | None) -> dict:
    controls, note = stack_controls(kernel_sizes, strides, final_size)
    explorer = StackExplorer(kernel_sizes, strides, final_size)

    def render(layers: int, kernel_size: int, stride: int, final: object) -> tuple[bytes, str]:
        return explorer.frame([kernel_size] * layers, [stride] * layers, None if final == "off" else final)

    return frame_set("stack", controls, render, note)


def stack_frames(kernel_sizes: Sequence[int] = (3, 3), strides: Sequence[int] = (2, 2),
                 final_size: int | None = None) -> dict:
    """The static page's version of the explorer: a frame set over a grid of uniform stacks.

    Args:
        kernel_sizes, strides, final_size: the notebook's starting stack (see :func:`stack_controls`).

    Returns:
        A frame set (:mod:`.frames`) over :func:`stack_controls`: 1-3 layers x kernel sizes 2-6 x
        strides 1-3 x final layer off, 2, 3, 4 or 8 = 225 settings for a start inside that grid,
        16-colour PNGs of 800 x 420 pixels (about 9 KB each) with the explorer's text; about 13 s
        on one core. The result is cached: do not modify it.
    """
    stack_controls(kernel_sizes, strides, final_size)  # a clear error before any drawing
    return _stack_frames(tuple(int(k) for k in kernel_sizes), tuple(int(s) for s in strides),
                         None if final_size is None else int(final_size))
