"""Figures for notebook 04: checkerboards in gradients.

Every function takes computed data (from :mod:`nbhelpers.experiments`) and returns a Figure;
none of them computes a gradient or trains anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .style import (
    DIVERGING_CMAP,
    GRAY_REVERSED_CMAP,
    KIND_COLORS,
    KIND_LABELS,
    NEUTRALS,
    SEQUENTIAL_CMAP,
    bare_figure,
    kind_color,
    kind_label,
    legend_below,
    legend_outside,
    new_figure,
    text_color_on,
    to_numpy,
)

#: The downsampling designs' colours and labels, from the one registry (:mod:`.style`):
#: strided convolutions warm, pooling blue, BlurPool green.
DESIGNS = ("stride2_k3", "stride2_k4", "stride2_k2", "avgpool", "maxpool", "blurpool")
DESIGN_COLORS = {d: KIND_COLORS[d] for d in DESIGNS}
DESIGN_LABELS = {d: KIND_LABELS[d] for d in DESIGNS}


def _no_ticks(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def _as_2d(x: object, name: str) -> np.ndarray:
    array = to_numpy(x)
    if array.ndim == 3:  # (C, H, W): show the first channel
        array = array[0]
    if array.ndim != 2:
        raise ValueError(f"{name} must be (H, W) or (C, H, W), got shape {array.shape}")
    return array


def plot_backward_identity(autograd: object, transposed: object, title: str = "") -> Figure:
    """Autograd's input gradient, the transposed convolution of the output gradient, and their
    difference (one image, one channel).

    Args:
        autograd, transposed: (H, W) or (C, H, W) (the first channel is shown).
        title: prefix of the first panel's title, e.g. the layer.
    """
    a, t = _as_2d(autograd, "autograd"), _as_2d(transposed, "transposed")
    diff = np.abs(a - t)
    fig, axes = new_figure(1, 3, 9.6, 3.2)
    lim = max(np.abs(a).max(), 1e-12)
    for ax, image, label in ((axes[0, 0], a, f"{title}autograd: dL/dx"),
                             (axes[0, 1], t, "conv_transpose2d(dL/dy, W)")):
        shown = ax.imshow(image, cmap=DIVERGING_CMAP, vmin=-lim, vmax=lim)
        ax.set_title(label, fontsize=9)
    fig.colorbar(shown, ax=axes[0, :2].tolist(), shrink=0.8, label=f"shared scale ±{lim:.2g}")
    im = axes[0, 2].imshow(diff, cmap=GRAY_REVERSED_CMAP, vmin=0, vmax=max(lim, 1e-12))
    axes[0, 2].set_title(f"|difference|, max {diff.max():.1e}", fontsize=9)
    fig.colorbar(im, ax=axes[0, 2], shrink=0.8, label=f"the same scale: 0 to {lim:.2g}")
    for ax in axes.flat:
        _no_ticks(ax)
    return fig


def plot_readout_gradients(gradients: Mapping[str, object], annotate: bool = True) -> Figure:
    """Input gradients of a readout for several layers, side by side, with their values written in.

    Args:
        gradients: label -> (H, W) or (C, H, W) gradient (e.g.
            :func:`nbhelpers.experiments.backward.readout_gradient`
            of an all-ones kernel: the coverage map).
        annotate: write each pixel's value (for maps up to 16 x 16).
    """
    maps = {label: _as_2d(grad, f"gradients[{label!r}]") for label, grad in gradients.items()}
    top = max(max(float(g.max()) for g in maps.values()), 1e-12)  # one scale: the panels are compared
    fig, axes = new_figure(1, len(maps), 3.0 * len(maps) + 0.8, 3.4)
    image = None
    for ax, (label, g) in zip(axes[0], maps.items()):
        image = ax.imshow(g, cmap=SEQUENTIAL_CMAP, vmin=0, vmax=top)
        if annotate and max(g.shape) <= 16:
            for (i, j), v in np.ndenumerate(g):
                ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=9,
                        color=text_color_on(v, SEQUENTIAL_CMAP, 0, top))
        ax.set_title(label, fontsize=9)
        _no_ticks(ax)
    if image is not None:
        fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8,
                     label=f"input gradient, shared scale 0 to {top:g}")
    return fig


def plot_gradient_magnitudes(
    maps: Mapping[str, Mapping[str, object]], crop: int = 12, border: int = 4
) -> Figure:
    """Mean |input gradient| per pixel, one column per design, one row per condition.

    Each map is cropped to a ``crop`` x ``crop`` window ``border`` pixels in from the top-left
    corner (away from padding effects) and divided by its own mean, so 1 means "an average
    share of the gradient" and a checkerboard shows as alternating light and dark pixels.

    Args:
        maps: condition (e.g. "random init", "trained") -> design -> (H, W) mean |gradient|.
        crop, border: window size and offset in pixels.
    """
    conditions = list(maps)
    designs = list(dict.fromkeys(d for c in conditions for d in maps[c]))
    width, height = 1.6 * len(designs) + 0.8, 1.75 * len(conditions) + 0.4
    fig, axes = new_figure(len(conditions), len(designs), width, height)
    images = {}
    for c in conditions:
        for d in designs:
            m = to_numpy(maps[c][d])[border:border + crop, border:border + crop]
            images[c, d] = m / m.mean() if m.mean() > 0 else m
    high = max(float(np.max(v)) for v in images.values())
    im = None
    for row, c in enumerate(conditions):
        for col, d in enumerate(designs):
            ax = axes[row, col]
            im = ax.imshow(images[c, d], cmap=SEQUENTIAL_CMAP, vmin=0, vmax=high)
            if row == 0:
                ax.set_title(kind_label(d), fontsize=9)
            if col == 0:
                ax.set_ylabel(c, fontsize=9)
            _no_ticks(ax)
    if im is not None:
        fig.colorbar(im, ax=axes, shrink=0.8, label="|gradient| / its mean")
    return fig


def _design_bars(ax: Axes, data: Mapping[str, Mapping[str, Sequence[float]]]) -> None:
    """One bar group per condition, one bar (mean) and dots (seeds) per design."""
    conditions = list(data)
    designs = list(dict.fromkeys(d for c in conditions for d in data[c]))
    width = 0.8 / len(conditions)
    hatches = ("", "//", "..", "xx")
    for ci, c in enumerate(conditions):
        for di, d in enumerate(designs):
            values = np.asarray(list(data[c][d]), dtype=float)
            x = di + (ci - (len(conditions) - 1) / 2) * width
            ax.bar(x, values.mean(), width=width * 0.9, color=kind_color(d), alpha=0.4,
                   hatch=hatches[ci % len(hatches)], edgecolor=NEUTRALS["reference"], lw=0.3)
            ax.plot(np.full(len(values), x), values, "o", ms=3, color=NEUTRALS["reference"])
    ax.set_xticks(range(len(designs)))
    ax.set_xticklabels([kind_label(d) for d in designs], rotation=30, ha="right", fontsize=9)


def _design_legend(conditions: Sequence[str]) -> tuple[list[object], list[str]]:
    """Legend entries of :func:`_design_bars`: the hatch of each condition, the seed dots, the bars."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    hatches = ("", "//", "..", "xx")
    handles: list[object] = [Patch(facecolor=NEUTRALS["light"], edgecolor=NEUTRALS["reference"], lw=0.3,
                                   hatch=hatches[i % len(hatches)]) for i in range(len(conditions))]
    labels = [f"{c} (bar: mean)" for c in conditions]
    handles.append(Line2D([], [], ls="none", marker="o", ms=3, color=NEUTRALS["reference"]))
    labels.append("one seed")
    return handles, labels


def plot_gradient_index_by_design(
    index: Mapping[str, Mapping[str, Sequence[float]]],
    ratio: Mapping[str, Mapping[str, Sequence[float]]],
) -> Figure:
    """Two panels: the batch-averaged checkerboard index of input gradients (log scale) and the
    strongest/weakest phase ratio, per design; one dot per seed, a bar for the mean, one bar
    group per condition (e.g. random init, trained).

    Args:
        index, ratio: condition -> design -> per-seed values.
    """
    fig, axes = new_figure(1, 2, 10.0, 3.4)
    _design_bars(axes[0, 0], index)
    axes[0, 0].set_ylabel("checkerboard index of |gradient|\n(batch-averaged)", fontsize=9)
    axes[0, 0].set_yscale("log")
    _design_bars(axes[0, 1], ratio)
    axes[0, 1].set_ylabel("strongest / weakest phase\nmean |gradient|", fontsize=9)
    axes[0, 1].axhline(1.0, color=NEUTRALS["neutral"], lw=1, ls="--")
    legend_below(fig, *_design_legend(list(index)))
    return fig


def plot_high_frequency_share(
    share: Mapping[str, Mapping[str, Sequence[float]]], noise_share: float, cutoff: float = 0.35
) -> Figure:
    """Share of input-gradient power above ``cutoff`` cycles/pixel per design, with white noise's.

    Args:
        share: condition -> design -> per-seed shares (0..1).
        noise_share: the share of white noise (the dashed line).
        cutoff: the cut-off frequency, for the label.
    """
    fig, axes = new_figure(1, 1, 6.4, 3.8)
    ax = axes[0, 0]
    _design_bars(ax, share)
    ax.axhline(noise_share, color=NEUTRALS["neutral"], lw=1, ls="--",
               label=f"white noise ({noise_share:.2f})")
    ax.set_ylabel(f"share of gradient power\nabove {cutoff} cycles/pixel", fontsize=9)
    ax.set_ylim(0, 1)
    handles, labels = _design_legend(list(share))
    noise_handle, noise_label = ax.get_legend_handles_labels()
    ax.legend([*handles, *noise_handle], [*labels, *noise_label], frameon=False, fontsize=9, loc="upper left",
              bbox_to_anchor=(1.01, 1.0))
    return fig


def _display(image: np.ndarray) -> np.ndarray:
    """(C, H, W) -> (H, W, 3) stretched to [0, 1] by its 1st and 99th percentiles."""
    img = image.transpose(1, 2, 0)
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    low, high = np.percentile(img, [1, 99])
    return np.clip((img - low) / max(high - low, 1e-12), 0, 1)


def plot_feature_visualizations(
    images: Mapping[str, object], indices: Mapping[str, float], zoom: int = 16
) -> Figure:
    """Optimised images side by side (top) with a ``zoom`` x ``zoom`` crop of their centre (bottom).

    Each image is contrast-stretched on its own (1st-99th percentile) for display.

    Args:
        images: label -> (C, H, W) image.
        indices: label -> its period-2 checkerboard index, written in the title.
        zoom: side of the centre crop in pixels.
    """
    fig, axes = new_figure(2, len(images), 2.7 * len(images), 5.2)
    for col, (label, image) in enumerate(images.items()):
        img = _display(to_numpy(image))
        h, w = img.shape[:2]
        top, left = (h - zoom) // 2, (w - zoom) // 2
        axes[0, col].imshow(img)
        axes[0, col].set_title(f"{label}\nindex {indices[label]:.3f}", fontsize=9)
        axes[1, col].imshow(img[top:top + zoom, left:left + zoom], interpolation="nearest")
        axes[1, col].set_title(f"centre {zoom}x{zoom}", fontsize=9)
        for ax in axes[:, col]:
            _no_ticks(ax)
    return fig


def plot_gan_index(
    runs: Mapping[str, Sequence[tuple[Sequence[int], Sequence[float]]]],
    reference: float | None = None,
    examples: Mapping[str, object] | None = None,
    n_examples: int = 4,
) -> Figure:
    """Period-2 index of generated images over training, one line per run, one colour per setting,
    and optionally a row of generated images per setting.

    Args:
        runs: setting -> list of (steps, index) per seed; a setting is a GAN kind (``"stride2"``,
            ``"stride1"``) or its label (``"stride-2 first layer"``), drawn in the registry's colour.
        reference: optional horizontal line (e.g. the index of real patches).
        examples: optional setting label -> (N, C, H, W) generated images; the first
            ``n_examples`` are shown.
    """
    n_rows = 1 + (len(examples) if examples else 0)
    fig = bare_figure(7.2, 2.8 + 1.5 * (n_rows - 1))
    ratios = [2.2] + [1.0] * (n_rows - 1)
    grid = fig.add_gridspec(n_rows, n_examples, height_ratios=ratios)
    ax = fig.add_subplot(grid[0, :])
    for label, seeds in runs.items():
        for j, (steps, values) in enumerate(seeds):
            ax.plot(list(steps), list(values), color=kind_color(label), lw=1.2, alpha=0.85,
                    label=label if j == 0 else None)
    if reference is not None:
        ax.axhline(reference, color=NEUTRALS["reference"], ls="--", lw=1, label="real patches")
    ax.set_xlabel("training step")
    ax.set_ylabel("period-2 index of\ngenerated images")
    legend_outside(ax)
    if examples:
        for row, (label, batch) in enumerate(examples.items(), start=1):
            imgs = to_numpy(batch)
            for k in range(n_examples):
                a = fig.add_subplot(grid[row, k])
                if k < imgs.shape[0]:
                    a.imshow(_display(imgs[k]), interpolation="nearest")
                if k == 0:
                    a.set_ylabel(label, fontsize=9)
                _no_ticks(a)
    return fig
