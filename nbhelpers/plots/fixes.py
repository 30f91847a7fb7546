"""Figures for notebook 05: the fixes compared on artifacts, quality, borders and cost.

Every function takes computed data and returns a Figure; none trains or measures anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .style import (
    DIVERGING_CMAP,
    KIND_COLORS,
    KIND_LABELS,
    NEUTRALS,
    hide_ticks,
    kind_color,
    kind_label,
    legend_below,
    legend_outside,
    new_figure,
    ordered_colors,
    to_numpy,
    to_rgb_image,
    wrap_label,
)

#: The colour registry (:data:`nbhelpers.plots.style.KIND_COLORS`) under its old name.
FIX_COLORS = KIND_COLORS
#: The kinds' legend labels (:data:`nbhelpers.plots.style.KIND_LABELS`) under their old name.
FIX_LABELS = KIND_LABELS


def _stretch(image: torch.Tensor | np.ndarray) -> np.ndarray:
    """(3, H, W) with any range -> (H, W, 3) in [0, 1] (min-max over the image)."""
    a = to_numpy(image).transpose(1, 2, 0)
    lo, hi = a.min(), a.max()
    return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)


def plot_generator_periods(
    indices: Mapping[str, torch.Tensor | np.ndarray],
    periods: Sequence[int],
    floors: Sequence[float],
    samples: Mapping[str, torch.Tensor] | None = None,
) -> Figure:
    """Per-period index of random generators (dots per seed, bars for the mean) and sample outputs.

    Args:
        indices: configuration name -> (seeds, len(periods)) indices.
        periods: the periods measured (x axis groups).
        floors: white-noise floor at each period (drawn as short dashes).
        samples: optional configuration name -> (n, 3, H, W) outputs (any range; each image is
            stretched to [0, 1]), shown in a row per configuration.
    """
    names = list(indices)
    n_samples = 0 if samples is None else min(len(s) for s in samples.values())
    ncols = 1 + n_samples
    fig, axes = new_figure(len(names), ncols, 3.6 + 1.5 * n_samples, 1.9 * len(names))
    gs = axes[0, 0].get_gridspec()
    for ax in axes[:, 0]:
        ax.remove()
    bar_ax = fig.add_subplot(gs[:, 0])
    width = 0.8 / len(names)
    palette = ordered_colors(len(names))  # configurations are not kinds: an ordered palette
    for i, name in enumerate(names):
        values = to_numpy(indices[name])
        x = np.arange(len(periods)) + (i - (len(names) - 1) / 2) * width
        bar_ax.bar(x, values.mean(axis=0), width=width * 0.9, color=palette[i], alpha=0.45,
                   label=f"{name} (bar: mean)")
        for j in range(len(periods)):
            bar_ax.plot(np.full(values.shape[0], x[j]), values[:, j], ".", color=palette[i], ms=4)
    for j, floor in enumerate(floors):
        bar_ax.hlines(floor, j - 0.45, j + 0.45, color=NEUTRALS["reference"], ls="--", lw=1,
                      label="white-noise floor" if j == 0 else None)
    bar_ax.set_yscale("log")
    bar_ax.set_xticks(range(len(periods)))
    bar_ax.set_xticklabels([str(p) for p in periods])
    bar_ax.set_xlabel("period (pixels)")
    bar_ax.set_ylabel("exact-period index (batch-averaged)")
    handles, labels = bar_ax.get_legend_handles_labels()
    handles.append(Line2D([], [], ls="none", marker=".", ms=6, color=NEUTRALS["dark"]))
    labels.append("one seed (in its configuration's colour)")
    legend_below(fig, handles, labels, ncol=1 if n_samples else None)
    for row, name in enumerate(names):
        for j in range(n_samples):
            ax = axes[row, 1 + j]
            ax.imshow(_stretch(samples[name][j]), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(name, fontsize=9)
    return fig


def plot_zoomed_reconstructions(
    target: torch.Tensor, outputs: Mapping[str, torch.Tensor], box: tuple[int, int, int] = (8, 8, 12)
) -> Figure:
    """A zoomed crop of one held-out patch as each kind reconstructs it, and its error.

    Top row: the crop (no interpolation, so each pixel is a square). Bottom row: the error
    (output - target, mean over RGB) on one diverging scale shared by all kinds, where a
    checkerboard shows as a regular grid.

    Args:
        target: (3, H, W) in [0, 1].
        outputs: kind -> (3, H, W) reconstruction.
        box: (top, left, size) of the crop.
    """
    top, left, size = box
    kinds = list(outputs)
    crop = (slice(None), slice(top, top + size), slice(left, left + size))
    errors = {k: to_numpy(outputs[k][crop] - target[crop]).mean(axis=0) for k in kinds}
    lim = max(float(np.abs(e).max()) for e in errors.values()) or 1.0
    fig, axes = new_figure(2, len(kinds) + 1, 1.6 * (len(kinds) + 1) + 1.2, 3.6)
    axes[0, 0].imshow(to_rgb_image(target[crop]), interpolation="nearest")
    axes[0, 0].set_title("target", fontsize=9)
    axes[1, 0].axis("off")
    image = None
    for j, kind in enumerate(kinds, start=1):
        axes[0, j].imshow(to_rgb_image(outputs[kind][crop]), interpolation="nearest")
        axes[0, j].set_title(wrap_label(kind_label(kind)), fontsize=9)
        image = axes[1, j].imshow(errors[kind], cmap=DIVERGING_CMAP, vmin=-lim, vmax=lim,
                                  interpolation="nearest")
    axes[1, 1].set_ylabel("output - target\n(mean of RGB)", fontsize=9)
    hide_ticks(axes.flat)
    if image is not None:
        fig.colorbar(image, ax=axes[1, 1:].tolist(), shrink=1.0, label=f"shared scale\n±{lim:.2f}")
    return fig


def plot_radial_spectra(
    freqs: torch.Tensor | np.ndarray,
    profiles: Mapping[str, torch.Tensor | np.ndarray],
    target_profile: torch.Tensor | np.ndarray | None = None,
) -> Figure:
    """Radial (azimuthally averaged) power spectra of outputs, as ratios to the targets' spectrum.

    Left: the spectra (log scale); right: output / target, where an upsampling artifact shows as
    excess power at the stride frequencies (0.5 cycles/pixel on an axis, 0.71 on the diagonal).

    Args:
        freqs: (R,) frequencies in cycles/pixel (:func:`nbhelpers.radial_profile`).
        profiles: kind -> (R,) mean radial power of its outputs.
        target_profile: (R,) radial power of the targets.
    """
    f = to_numpy(freqs)
    ncols = 2 if target_profile is not None else 1
    fig, axes = new_figure(1, ncols, 5.0 * ncols, 3.3)
    ax = axes[0, 0]
    keep = f > 0
    if target_profile is not None:
        ax.plot(f[keep], to_numpy(target_profile)[keep], color=NEUTRALS["reference"], lw=2, label="targets")
    for kind, prof in profiles.items():
        ax.plot(f[keep], to_numpy(prof)[keep], color=kind_color(kind), lw=1.2, label=kind_label(kind))
    ax.set_yscale("log")
    ax.set_xlabel("frequency (cycles/pixel)")
    ax.set_ylabel("mean power")
    for a in axes[0]:
        for x in (0.5, 0.5 * np.sqrt(2)):
            a.axvline(x, color=NEUTRALS["neutral"], ls=":", lw=1)
    if target_profile is not None:
        ratio_ax = axes[0, 1]
        tp = to_numpy(target_profile)
        for kind, prof in profiles.items():
            ratio = to_numpy(prof)[keep] / np.maximum(tp[keep], 1e-30)
            ratio_ax.plot(f[keep], ratio, color=kind_color(kind), lw=1.2)
        ratio_ax.axhline(1.0, color=NEUTRALS["reference"], lw=1)
        ratio_ax.set_yscale("log")
        ratio_ax.set_xlabel("frequency (cycles/pixel)")
        ratio_ax.set_ylabel("output power / target power")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    legend_outside(axes[0, -1], handles=handles, labels=labels, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return fig


def plot_border_comparison(
    flat_outputs: Mapping[str, torch.Tensor],
    error_profiles: Mapping[str, Sequence[torch.Tensor | np.ndarray]],
) -> Figure:
    """Border artifacts of zero against reflect padding.

    Left panels: a fresh layer's response to a constant input (one channel), zero vs reflect
    padding. Right panel: held-out squared error by distance to the nearest edge, per kind, one
    line per seed.

    Args:
        flat_outputs: name -> (H, W) response of a fresh layer to a constant input.
        error_profiles: kind -> per-seed (R,) mean squared error at distance 0..R-1 from the edge.
    """
    names = list(flat_outputs)
    fig, axes = new_figure(1, len(names) + 1, 2.4 * len(names) + 5.0, 3.2,
                           gridspec_kw={"width_ratios": [1] * len(names) + [1.8]})
    values = [to_numpy(v) for v in flat_outputs.values()]
    centre = [v[v.shape[0] // 2, v.shape[1] // 2] for v in values]
    lim = max(float(np.abs(v - c).max()) for v, c in zip(values, centre)) or 1.0
    image = None
    for ax, name, v, c in zip(axes[0], names, values, centre):
        image = ax.imshow(v - c, cmap=DIVERGING_CMAP, vmin=-lim, vmax=lim, interpolation="nearest")
        ax.set_title(f"{name}\n(deviation from centre)", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    if image is not None:
        fig.colorbar(image, ax=axes[0, :len(names)].tolist(), shrink=0.7, label=f"shared scale ±{lim:.2f}")
    ax = axes[0, -1]
    for kind, runs in error_profiles.items():
        for i, prof in enumerate(runs):
            p = to_numpy(prof)
            ax.plot(np.arange(len(p)), p, "o-", color=kind_color(kind), ms=3, lw=1, alpha=0.8,
                    label=kind_label(kind) if i == 0 else None)
    ax.set_xlabel("distance to the nearest edge (pixels)")
    ax.set_ylabel("held-out squared error")
    legend_outside(ax, loc="lower left", bbox_to_anchor=(0.0, 1.02), ncol=1)
    return fig


def plot_cost(
    names: Sequence[str],
    flops: Sequence[float],
    seconds: Sequence[float],
    groups: Sequence[str] | None = None,
) -> Figure:
    """FLOPs and measured time per layer variant, side by side (log scales).

    Args:
        names: one label per variant (e.g. "x4 resize-conv k=9").
        flops: FLOPs per image of each variant.
        seconds: measured forward + backward time of each variant.
        groups: optional group per variant (e.g. the scale), coloured alike.
    """
    fig, axes = new_figure(1, 2, 8.0, 0.35 * len(names) + 1.2)
    y = np.arange(len(names))[::-1]
    keys = list(dict.fromkeys(groups)) if groups is not None else []
    palette = dict(zip(keys, ordered_colors(len(keys))))  # groups (e.g. scales) are not kinds
    colors = [palette[g] for g in groups] if groups is not None else [NEUTRALS["dark"]] * len(names)
    for ax, values, label in ((axes[0, 0], np.asarray(flops, float) / 1e6, "MFLOPs per image"),
                              (axes[0, 1], np.asarray(seconds, float) * 1e3, "ms per forward + backward")):
        ax.barh(y, values, color=colors)
        for yi, v in zip(y, values):
            ax.text(v, yi, f" {v:.3g}", va="center", fontsize=9)
        ax.set_xscale("log")
        ax.set_xlabel(label)
        ax.set_yticks(y)
        ax.set_yticklabels(names if ax is axes[0, 0] else [], fontsize=9)
        ax.margins(x=0.15)  # room for the value written after each bar
    if keys:
        legend_below(fig, [Patch(color=palette[k]) for k in keys], keys)
    return fig
