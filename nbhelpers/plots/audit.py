"""Figures for notebook 06: model outputs with their shared pattern, and index before/after a fix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .style import (
    DIVERGING_CMAP,
    GRAY_CMAP,
    NEUTRALS,
    hide_ticks,
    kind_color,
    kind_label,
    legend_outside,
    new_figure,
    to_numpy,
)


def _show(image: np.ndarray) -> np.ndarray:
    """(C, H, W) -> displayable (H, W, 3) or (H, W), each channel stretched to [0, 1]."""
    image = image - image.min(axis=(1, 2), keepdims=True)
    image = image / np.maximum(image.max(axis=(1, 2), keepdims=True), 1e-12)
    return image.transpose(1, 2, 0) if image.shape[0] == 3 else image[0]


def plot_model_outputs(outputs: Mapping[str, object], patterns: Mapping[str, object]) -> Figure:
    """One random output per model (contrast-stretched) and its batch-averaged periodic pattern.

    Args:
        outputs: {model name: (C, H, W) one output image}.
        patterns: {model name: (p, p) periodic part averaged over a batch and the channels}.
    """
    names = list(outputs)
    fig, axes = new_figure(2, len(names), width=2.5 * len(names), height=5.0)
    for j, name in enumerate(names):
        axes[0, j].imshow(_show(to_numpy(outputs[name])), cmap=GRAY_CMAP)
        axes[0, j].set_title(name, fontsize=9)
        part = to_numpy(patterns[name])
        lim = max(float(np.abs(part).max()), 1e-12)  # each model on its own scale, given by its colour bar
        shown = axes[1, j].imshow(np.tile(part, (2, 2)), cmap=DIVERGING_CMAP, vmin=-lim, vmax=lim)
        axes[1, j].set_title(f"shared {part.shape[0]}x{part.shape[1]} pattern", fontsize=9)
        bar = fig.colorbar(shown, ax=axes[1, j], location="bottom", shrink=0.9, ticks=[-lim, 0, lim])
        bar.ax.set_xticklabels([f"{-lim:.2g}", "0", f"{lim:.2g}"], fontsize=9)
        hide_ticks(axes[:, j])
    axes[0, 0].set_ylabel("one output")
    axes[1, 0].set_ylabel("pattern, tiled 2x2")
    return fig


def _log_bars(ax: Axes, x: np.ndarray, values: Sequence[float], width: float, color: str, label: str,
              bottom: float) -> None:
    """Bars on a log axis that starts at ``bottom``; a value below it gets no bar but a "< bottom"
    mark, so a zero is never drawn as if it were a small number."""
    shown = [v if v >= bottom else np.nan for v in values]
    ax.bar(x, shown, width, color=color, label=label, bottom=0)
    for xi, v in zip(x, values):
        if v < bottom:
            ax.text(xi, bottom * 1.15, f"< {bottom:.0e}", rotation=90, ha="center", va="bottom", fontsize=9,
                    color=color)


def plot_index_before_after(
    before: Mapping[str, float],
    after: Mapping[str, Mapping[str, float]],
    period: int,
    floor: float | None = None,
    bottom: float = 1e-4,
) -> Figure:
    """Grouped bars (log scale): output index at ``period`` per model, before and after each fix.

    Args:
        before: {model: index}.
        after: {fix: {model: index}}; each fix is a kind (``"resize"``, ``"subpixel_icnr"``), drawn
            in its registry colour.
        period: for the axis label.
        floor: the noise floor, drawn as a dashed line.
        bottom: the axis starts here; smaller values (e.g. an exact 0) are marked "< bottom", not drawn.
    """
    names = list(before)
    fig, axes = new_figure(1, 1, width=7.4, height=3.4)
    ax = axes[0, 0]
    width = 0.8 / (1 + len(after))
    x = np.arange(len(names))
    _log_bars(ax, x, [before[n] for n in names], width, kind_color("as_designed"), "as designed", bottom)
    for i, (fix, values) in enumerate(after.items(), start=1):  # each fix is a kind: its registry colour
        shown = [values[n] for n in names]
        _log_bars(ax, x + i * width, shown, width, kind_color(fix), kind_label(fix), bottom)
    if floor is not None:
        ax.axhline(floor, color=NEUTRALS["dark"], ls="--", lw=1, label="noise floor")
    ax.set_yscale("log")
    ax.set_ylim(bottom, max([*before.values(), 1.0]) * 2)
    ax.set_xticks(x + width * len(after) / 2, names)
    ax.set_ylabel(f"output index at period {period}")
    ax.set_title("random inputs, batch-averaged, at initialisation")
    legend_outside(ax)
    return fig


def plot_signal_spectra(
    freqs: object,
    spectra: Mapping[str, object],
    marks: Sequence[float] = (),
    mark_label: str = "expected artifact frequency",
) -> Figure:
    """Mean 1D power spectra (log scale) of generated signals, e.g. audio before/after a fix.

    Args:
        freqs: (F,) frequencies in cycles/sample.
        spectra: {kind: (F,) mean power}; each key is a kind or a name the registry resolves
            (``"as designed"``, ``"resize-convolution"``), drawn in its colour.
        marks: frequencies to mark (multiples of 1/stride).
        mark_label: what the legend calls the marks.
    """
    f = to_numpy(freqs)
    fig, axes = new_figure(1, 1, width=7.6, height=3.0)
    ax = axes[0, 0]
    for label, spectrum in spectra.items():
        ax.semilogy(f, to_numpy(spectrum) + 1e-12, label=kind_label(label), lw=1, color=kind_color(label))
    for i, m in enumerate(marks):
        ax.axvline(m, color=NEUTRALS["neutral"], ls=":", lw=1, zorder=0, label=mark_label if i == 0 else None)
    ax.set_xlabel("frequency (cycles / sample)")
    ax.set_ylabel("power")
    legend_outside(ax)
    return fig
