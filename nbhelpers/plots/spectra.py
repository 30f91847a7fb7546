"""Figures of the checkerboard metric as polyphase means and as spectral peaks."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .style import (
    DIVERGING_CMAP,
    GRAY_CMAP,
    NEUTRALS,
    SEQUENTIAL_CMAP,
    hide_ticks,
    legend_outside,
    new_figure,
    ordered_colors,
    text_color_on,
    to_numpy,
)


def plot_metric_two_ways(
    image: object, periodic: object, spectrum: object, period: int, title: str = ""
) -> Figure:
    """Three panels: the image, its period-p polyphase pattern, and its log power spectrum.

    Args:
        image: (H, W) signal.
        periodic: (p, p) periodic part (polyphase means minus their mean).
        spectrum: (H, W) centred power spectrum of the image (from ``power_spectrum``).
        period: p; the aliasing frequencies (multiples of N/p) are circled on the spectrum: a solid
            white circle where the bin holds power (more than 1e-3 of the spectrum's largest), a dashed
            grey one where a period-p pattern could put power but this signal puts none.
    """
    img, part, spec = to_numpy(image), to_numpy(periodic), to_numpy(spectrum)
    fig, axes = new_figure(1, 3, width=9.0, height=3.2)
    axes[0, 0].imshow(img, cmap=GRAY_CMAP)
    axes[0, 0].set_title(title or "signal", fontsize=9)
    lim = max(abs(part).max(), 1e-12)
    im = axes[0, 1].imshow(part, cmap=DIVERGING_CMAP, vmin=-lim, vmax=lim)
    for (i, j), v in np.ndenumerate(part):
        axes[0, 1].text(j, i, f"{v:+.2f}", ha="center", va="center", fontsize=9,
                        color=text_color_on(v, DIVERGING_CMAP, -lim, lim))
    axes[0, 1].set_title(f"periodic part: {period}x{period} polyphase\nmeans minus their mean", fontsize=9)
    fig.colorbar(im, ax=axes[0, 1], shrink=0.7)
    shown = axes[0, 2].imshow(np.log10(spec + 1e-8 * spec.max() + 1e-30), cmap=SEQUENTIAL_CMAP)
    fig.colorbar(shown, ax=axes[0, 2], shrink=0.7, label="log10 power")
    h, w = spec.shape
    for a in range(period):
        for b in range(period):
            if a == 0 and b == 0:
                continue
            y = (h // 2 + a * h // period) % h
            x = (w // 2 + b * w // period) % w
            has_power = spec[y, x] > 1e-3 * spec.max()
            axes[0, 2].scatter([x], [y], s=260, facecolors="none", lw=2, clip_on=False,
                               edgecolors=NEUTRALS["text_light"] if has_power else NEUTRALS["neutral"],
                               linestyle="-" if has_power else "--")
    axes[0, 2].set_title(f"log power spectrum: period-{period} frequencies\ncircled (solid: power there)",
                         fontsize=9)
    hide_ticks(axes.flat)
    return fig


def plot_spectrum(
    freqs: object, profiles: dict[str, object], marks: tuple[float, ...] = (), title: str = ""
) -> Figure:
    """Radial (azimuthally averaged) power spectra on a log scale.

    Args:
        freqs: (R,) frequencies in cycles/pixel.
        profiles: {label: (R,) profile}; the labels are ordered groups (e.g. stack depths), not kinds:
            they take :func:`nbhelpers.plots.style.ordered_colors`.
        marks: frequencies to mark with vertical lines (e.g. 1/2 for stride 2).
    """
    f = to_numpy(freqs)
    fig, axes = new_figure(1, 1, width=7.2, height=3.2)
    ax = axes[0, 0]
    for color, (label, profile) in zip(ordered_colors(len(profiles)), profiles.items()):
        p = to_numpy(profile)
        ax.semilogy(f[1:], p[1:] + 1e-12, label=label, color=color)
    for i, m in enumerate(marks):
        ax.axvline(m, color=NEUTRALS["neutral"], ls="--", lw=1, zorder=0,
                   label="marked frequency" if i == 0 else None)
    ax.set_xlabel("frequency (cycles / pixel)")
    ax.set_ylabel("power")
    ax.set_title(title, fontsize=10)
    legend_outside(ax)
    return fig
