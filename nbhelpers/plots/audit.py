"""Figures for notebook 06: model outputs with their shared pattern, and index before/after a fix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .style import COLORS, DIVERGING_CMAP, hide_ticks, new_figure, to_numpy


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
    fig, axes = new_figure(2, len(names), width=2.1 * len(names), height=4.4)
    for j, name in enumerate(names):
        axes[0, j].imshow(_show(to_numpy(outputs[name])), cmap="gray")
        axes[0, j].set_title(name, fontsize=9)
        part = to_numpy(patterns[name])
        lim = max(float(np.abs(part).max()), 1e-12)
        axes[1, j].imshow(np.tile(part, (2, 2)), cmap=DIVERGING_CMAP, vmin=-lim, vmax=lim)
        axes[1, j].set_title(f"shared {part.shape[0]}x{part.shape[1]} pattern", fontsize=9)
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
        after: {fix name: {model: index}}.
        period: for the axis label.
        floor: the noise floor, drawn as a dashed line.
        bottom: the axis starts here; smaller values (e.g. an exact 0) are marked "< bottom", not drawn.
    """
    names = list(before)
    fig, axes = new_figure(1, 1, width=6.4, height=3.4)
    ax = axes[0, 0]
    width = 0.8 / (1 + len(after))
    x = np.arange(len(names))
    palette = [COLORS["resize"], "#009E73", "#CC79A7"]
    _log_bars(ax, x, [before[n] for n in names], width, COLORS["deconv"], "as designed", bottom)
    for i, (fix, values) in enumerate(after.items(), start=1):
        _log_bars(ax, x + i * width, [values[n] for n in names], width, palette[(i - 1) % 3], fix, bottom)
    if floor is not None:
        ax.axhline(floor, color="0.4", ls="--", lw=1, label="noise floor")
    ax.set_yscale("log")
    ax.set_ylim(bottom, max([*before.values(), 1.0]) * 2)
    ax.set_xticks(x + width * len(after) / 2, names)
    ax.set_ylabel(f"output index at period {period}")
    ax.set_title("random inputs, batch-averaged, at initialisation")
    ax.legend(fontsize=9)
    return fig


def plot_signal_spectra(freqs: object, spectra: Mapping[str, object], marks: Sequence[float] = ()) -> Figure:
    """Mean 1D power spectra (log scale) of generated signals, e.g. audio before/after a fix.

    Args:
        freqs: (F,) frequencies in cycles/sample.
        spectra: {label: (F,) mean power}.
        marks: frequencies to mark (multiples of 1/stride).
    """
    f = to_numpy(freqs)
    fig, axes = new_figure(1, 1, width=6.4, height=3.0)
    ax = axes[0, 0]
    for label, spectrum in spectra.items():
        ax.semilogy(f, to_numpy(spectrum) + 1e-12, label=label, lw=1)
    for m in marks:
        ax.axvline(m, color="0.6", ls=":", lw=1)
    ax.set_xlabel("frequency (cycles / sample)")
    ax.set_ylabel("power")
    ax.legend(fontsize=9)
    return fig
