"""Figures for notebook 03: trained decoders, their kernels by phase, artifacts and colour.

Every function takes computed data and returns a Figure; none trains or measures anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from .style import (
    DIVERGING_CMAP,
    KIND_COLORS,
    KIND_LABELS,
    PHASE_COLORS,
    hide_ticks,
    kind_color,
    kind_label,
    legend_below,
    new_figure,
    phase_color,
    text_color_on,
    to_numpy,
    to_rgb_image,
    wrap_label,
)

#: The colour registry and the kinds' labels live in :mod:`.style`; re-exported here for old imports.
__all__ = ["KIND_COLORS", "KIND_LABELS", "PHASE_COLORS", "plot_amplitude_vs_distance", "plot_color_examples",
           "plot_phase_kernels", "plot_reconstructions"]


def _outline(ax, i: int, j: int, phase: int) -> None:
    ax.add_patch(Rectangle((j - 0.44, i - 0.44), 0.88, 0.88, fill=False, lw=2.5,
                           edgecolor=phase_color(phase)))


def plot_phase_kernels(
    kernels: Mapping[str, torch.Tensor],
    phase_maps: Mapping[str, torch.Tensor],
    responses: Mapping[str, torch.Tensor],
    initial_responses: Mapping[str, torch.Tensor] | None = None,
) -> Figure:
    """Learned last-layer kernels with each tap outlined in the colour of the output phase it feeds,
    and the per-phase sums (the flat response: effective overlap), outlined the same way.

    The kernels share one colour scale, and so do all per-phase sums (as a ratio to their own
    mean, centred on 1); each scale has a colour bar.

    Args:
        kernels: kind -> (k, k) kernel (e.g. summed over channels with their input levels).
        phase_maps: kind -> (k, k) int phase index r * s + c of each tap
            (:func:`nbhelpers.layers.phases.phase_map`).
        responses: kind -> (s, s) flat response after training
            (:func:`nbhelpers.experiments.learning.flat_response`).
        initial_responses: optional kind -> (s, s) flat response of the same model before training.
    """
    kinds = list(kernels)
    ncols = 3 if initial_responses else 2
    fig, axes = new_figure(len(kinds), ncols, 2.8 * ncols + 1.6, 3.0 * len(kinds) + 0.5)
    kernel_values = {kind: to_numpy(kernels[kind]) for kind in kinds}
    lim = max(float(np.abs(v).max()) for v in kernel_values.values()) or 1.0
    panels = {kind: [("after training", to_numpy(responses[kind]))] for kind in kinds}
    if initial_responses:
        for kind in kinds:
            panels[kind].insert(0, ("at initialisation", to_numpy(initial_responses[kind])))
    ratios = {(kind, title): values / values.mean() if values.mean() != 0 else values
              for kind in kinds for title, values in panels[kind]}
    spread = max(float(np.abs(r - 1).max()) for r in ratios.values()) or 0.1
    low, high = 1 - spread, 1 + spread
    kernel_image = ratio_image = None
    n_phases = 0
    for row, kind in enumerate(kinds):
        kernel = kernel_values[kind]
        phases = to_numpy(phase_maps[kind])
        n_phases = max(n_phases, int(phases.max()) + 1)
        ax = axes[row, 0]
        kernel_image = ax.imshow(kernel, cmap=DIVERGING_CMAP, vmin=-lim, vmax=lim)
        for (i, j), v in np.ndenumerate(kernel):
            _outline(ax, i, j, int(phases[i, j]))
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=9,
                    color=text_color_on(v, DIVERGING_CMAP, -lim, lim))
        ax.set_title(f"{kind_label(kind)}:\nlearned kernel", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        for col, (title, values) in enumerate(panels[kind], start=1):
            ax = axes[row, col]
            rel = ratios[kind, title]
            ratio_image = ax.imshow(rel, cmap=DIVERGING_CMAP, vmin=low, vmax=high)
            s = values.shape[1]
            for (i, j), v in np.ndenumerate(values):
                _outline(ax, i, j, i * s + j)
                text = f"{v:.3f}\n({rel[i, j]:.3f}x)" if values.mean() != 0 else f"{v:.3f}"
                ax.text(j, i, text, ha="center", va="center", fontsize=9,
                        color=text_color_on(rel[i, j], DIVERGING_CMAP, low, high))
            ax.set_title(f"per-phase sums, {title}", fontsize=9)
            ax.set_xticks(range(values.shape[1]))
            ax.set_yticks(range(values.shape[0]))
            ax.set_xlabel("column phase", fontsize=9)
            ax.set_ylabel("row phase", fontsize=9)
    fig.colorbar(kernel_image, ax=axes[:, 0].tolist(), location="left", shrink=0.8,
                 label=f"kernel tap, shared scale ±{lim:.2f}")
    fig.colorbar(ratio_image, ax=axes[:, 1:].ravel().tolist(), shrink=0.8,
                 label=f"sum / mean of the sums, shared {low:.2f} to {high:.2f}")
    handles = [Patch(facecolor="none", edgecolor=phase_color(p), lw=2.5) for p in range(n_phases)]
    side = max(int(round(n_phases**0.5)), 1)
    labels = [f"phase {p} (row {p // side}, column {p % side})" for p in range(n_phases)]
    legend_below(fig, handles, labels, title="outline: the output phase a tap feeds")
    return fig


def plot_reconstructions(
    targets: torch.Tensor, outputs: Mapping[str, torch.Tensor], patterns: Mapping[str, torch.Tensor],
    n: int = 3,
) -> Figure:
    """Held-out targets, each kind's outputs, and each kind's batch-averaged periodic pattern.

    Args:
        targets: (N, 3, H, W) images in [0, 1].
        outputs: kind -> (N, 3, H, W) outputs.
        patterns: kind -> (3, p, p) batch-averaged periodic part of the outputs, shown tiled over
            8x8 pixels on one colour scale shared by every kind (so a weak pattern looks weak), with
            a colour bar.
        n: number of examples.
    """
    kinds = list(outputs)
    tiles = {}
    for kind in kinds:
        pattern = to_numpy(patterns[kind]).mean(axis=0)
        tiles[kind] = np.tile(pattern, (8 // pattern.shape[-1], 8 // pattern.shape[-1]))
    lim = max(float(np.abs(t).max()) for t in tiles.values()) or 1.0
    fig, axes = new_figure(len(kinds) + 1, n + 1, 1.6 * (n + 1), 1.6 * (len(kinds) + 1))
    for j in range(n):
        axes[0, j].imshow(to_rgb_image(targets[j]))
        axes[0, j].set_title("held-out target" if j == 0 else "", fontsize=9)
    axes[0, n].axis("off")
    for i, kind in enumerate(kinds, start=1):
        for j in range(n):
            axes[i, j].imshow(to_rgb_image(outputs[kind][j]))
        axes[i, 0].set_ylabel(wrap_label(kind_label(kind), 14), fontsize=9)
        image = axes[i, n].imshow(tiles[kind], cmap=DIVERGING_CMAP, vmin=-lim, vmax=lim)
        axes[i, n].set_title(f"mean pattern\nrms {np.sqrt((tiles[kind] ** 2).mean()):.4f}", fontsize=9)
    # on the whole grid (the pattern column is its last): a bar on part of a grid overlaps the panels
    fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.6, label=f"mean pattern, shared scale ±{lim:.4f}")
    hide_ticks(axes.flat)
    return fig


def plot_amplitude_vs_distance(
    distances: torch.Tensor | np.ndarray,
    amplitudes: Mapping[str, Sequence[torch.Tensor | np.ndarray]],
    slopes: Mapping[str, Sequence[float]],
    intercepts: Mapping[str, Sequence[float]],
) -> Figure:
    """Artifact amplitude against distance from the mean colour, dots per seed, fitted lines.

    Args:
        distances: (N,) distance of each target colour from the training data's mean colour.
        amplitudes: kind -> per-seed (N,) amplitudes (pixel units).
        slopes, intercepts: kind -> per-seed fitted line parameters.
    """
    fig, axes = new_figure(1, 1, 6.0, 3.4)
    ax = axes[0, 0]
    d = to_numpy(distances)
    xs = np.linspace(0, d.max(), 20)
    for kind, per_seed in amplitudes.items():
        for s, amp in enumerate(per_seed):
            ax.plot(d, to_numpy(amp), ".", color=kind_color(kind), alpha=0.35, ms=4)
            fits = ", ".join(f"{v:.4f}" for v in slopes[kind])
            label = f"{kind_label(kind)}: slopes {fits}" if s == 0 else None
            ax.plot(xs, slopes[kind][s] * xs + intercepts[kind][s], color=kind_color(kind), lw=1.5,
                    label=label)
    ax.set_xlabel("distance of the target colour from the data's mean colour (RGB)")
    ax.set_ylabel("checkerboard amplitude (pixel units)")
    ax.legend(frameon=False, fontsize=9, loc="lower left", bbox_to_anchor=(0.0, 1.01))  # above the data
    return fig


def plot_color_examples(
    colors: torch.Tensor, outputs: Mapping[str, torch.Tensor], amplitudes: Mapping[str, Sequence[float]],
    titles: Sequence[str] | None = None, gain: float | None = None,
) -> Figure:
    """Decoders' outputs for a few target colours, and their deviation from flat, amplified.

    Args:
        colors: (M, 3) target colours.
        outputs: kind -> (M, 3, H, W) outputs for those colours.
        amplitudes: kind -> M checkerboard amplitudes (shown in the titles).
        titles: optional label per colour.
        gain: how much the deviation (output minus its own mean colour) is magnified; default:
            per panel, so the largest deviation reaches the edge of the colour range.
    """
    kinds = list(outputs)
    m = colors.shape[0]
    fig, axes = new_figure(m, 1 + 2 * len(kinds), 1.55 * (1 + 2 * len(kinds)), 1.75 * m)
    for i in range(m):
        swatch = to_numpy(colors[i]).reshape(1, 1, 3).clip(0, 1)
        axes[i, 0].imshow(np.broadcast_to(swatch, (8, 8, 3)))
        axes[i, 0].set_title(titles[i] if titles else "target", fontsize=9)
        for j, kind in enumerate(kinds):
            out = outputs[kind][i]
            axes[i, 1 + 2 * j].imshow(to_rgb_image(out))
            axes[i, 1 + 2 * j].set_title(f"{kind_label(kind)}\namplitude {amplitudes[kind][i]:.4f}",
                                         fontsize=9)
            deviation = to_numpy(out) - to_numpy(out).mean(axis=(1, 2), keepdims=True)
            g = gain if gain is not None else 0.5 / max(float(np.abs(deviation).max()), 1e-6)
            axes[i, 2 + 2 * j].imshow(np.clip(0.5 + g * deviation.transpose(1, 2, 0), 0, 1))
            axes[i, 2 + 2 * j].set_title(f"deviation x{g:.0f}", fontsize=9)
    hide_ticks(axes.flat)
    return fig
