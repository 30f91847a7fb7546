"""Figures for notebook 03: trained decoders, their kernels by phase, artifacts and colour.

Every function takes computed data and returns a Figure; none trains or measures anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .style import COLORS, DIVERGING_CMAP, hide_ticks, new_figure, to_numpy, to_rgb_image

#: Line colour per upsampling kind (uneven deconvolution red, even orange, resize blue).
KIND_COLORS = {
    "deconv3": COLORS["deconv"],
    "deconv4": COLORS["even"],
    "nearest": COLORS["resize"],
    "bilinear": "#CC79A7",
}
KIND_LABELS = {
    "deconv3": "deconv k=3 (uneven)",
    "deconv4": "deconv k=4 (even)",
    "nearest": "nearest resize-conv",
    "bilinear": "bilinear resize-conv",
}
PHASE_COLORS = ("#009E73", "#D55E00", "#0072B2", "#CC79A7")


def _color(kind: str) -> str:
    return KIND_COLORS.get(kind, COLORS["neutral"])


def _label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def plot_phase_kernels(
    kernels: Mapping[str, torch.Tensor],
    phase_maps: Mapping[str, torch.Tensor],
    responses: Mapping[str, torch.Tensor],
    initial_responses: Mapping[str, torch.Tensor] | None = None,
) -> Figure:
    """Learned last-layer kernels with each tap coloured by the output phase it feeds, and the
    per-phase sums (the flat response: effective overlap after learning).

    Args:
        kernels: kind -> (k, k) kernel (e.g. summed over channels with their input levels).
        phase_maps: kind -> (k, k) int phase index of each tap (:func:`nbhelpers.layers.phases.phase_map`).
        responses: kind -> (s, s) flat response after training
            (:func:`nbhelpers.experiments.learning.flat_response`).
        initial_responses: optional kind -> (s, s) flat response of the same model before training.
    """
    kinds = list(kernels)
    ncols = 3 if initial_responses else 2
    fig, axes = new_figure(len(kinds), ncols, 2.4 * ncols + 0.6, 2.3 * len(kinds))
    for row, kind in enumerate(kinds):
        kernel = to_numpy(kernels[kind])
        phases = to_numpy(phase_maps[kind])
        ax = axes[row, 0]
        lim = np.abs(kernel).max() or 1.0
        ax.imshow(kernel, cmap=DIVERGING_CMAP, vmin=-lim, vmax=lim)
        k = kernel.shape[0]
        for i in range(k):
            for j in range(k):
                ph = int(phases[i, j])
                ax.add_patch(Rectangle((j - 0.45, i - 0.45), 0.9, 0.9, fill=False, lw=2.5,
                                       edgecolor=PHASE_COLORS[ph % len(PHASE_COLORS)]))
                ax.text(j, i, f"{kernel[i, j]:.2f}\nphase {ph}", ha="center", va="center", fontsize=9)
        ax.set_title(f"{_label(kind)}: learned kernel", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        panels = [("after training", responses[kind])]
        if initial_responses:
            panels.insert(0, ("at initialisation", initial_responses[kind]))
        for col, (title, resp) in enumerate(panels, start=1):
            values = to_numpy(resp)
            ax = axes[row, col]
            mean = values.mean()
            rel = values / mean if mean != 0 else values
            ax.imshow(rel, cmap=DIVERGING_CMAP, vmin=2 - rel.max() if rel.max() > 1 else 0.9,
                      vmax=max(rel.max(), 1.1))
            for (i, j), v in np.ndenumerate(values):
                ax.text(j, i, f"{v:.3f}\n({v / mean:.3f}x)" if mean else f"{v:.3f}", ha="center",
                        va="center", fontsize=9)
            ax.set_title(f"per-phase sums, {title}", fontsize=9)
            ax.set_xticks(range(values.shape[1]))
            ax.set_yticks(range(values.shape[0]))
            ax.set_xlabel("column phase")
            ax.set_ylabel("row phase")
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
        axes[i, 0].set_ylabel(_label(kind), fontsize=9)
        image = axes[i, n].imshow(tiles[kind], cmap=DIVERGING_CMAP, vmin=-lim, vmax=lim)
        axes[i, n].set_title(f"mean pattern, rms {np.sqrt((tiles[kind] ** 2).mean()):.4f}", fontsize=9)
    fig.colorbar(image, ax=axes[1:, n].tolist(), shrink=0.8, label=f"shared scale ±{lim:.4f}")
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
            ax.plot(d, to_numpy(amp), ".", color=_color(kind), alpha=0.35, ms=4)
            fits = ", ".join(f"{v:.4f}" for v in slopes[kind])
            label = f"{_label(kind)}: slopes {fits}" if s == 0 else None
            ax.plot(xs, slopes[kind][s] * xs + intercepts[kind][s], color=_color(kind), lw=1.5, label=label)
    ax.set_xlabel("distance of the target colour from the data's mean colour (RGB)")
    ax.set_ylabel("checkerboard amplitude (pixel units)")
    ax.legend(frameon=False, fontsize=9)
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
            axes[i, 1 + 2 * j].set_title(f"{_label(kind)}\namplitude {amplitudes[kind][i]:.4f}", fontsize=9)
            deviation = to_numpy(out) - to_numpy(out).mean(axis=(1, 2), keepdims=True)
            g = gain if gain is not None else 0.5 / max(float(np.abs(deviation).max()), 1e-6)
            axes[i, 2 + 2 * j].imshow(np.clip(0.5 + g * deviation.transpose(1, 2, 0), 0, 1))
            axes[i, 2 + 2 * j].set_title(f"deviation x{g:.0f}", fontsize=9)
    hide_ticks(axes.flat)
    return fig
