"""Figures of notebook 08: high-band radial spectra of real and reconstructed images."""

from __future__ import annotations

from collections.abc import Mapping

from matplotlib.figure import Figure

from .style import NEUTRALS, kind_color, legend_below, new_figure, to_numpy


def plot_fingerprint_profiles(freqs: object, profiles: Mapping[str, object]) -> Figure:
    """Mean high-band radial power (dB) per image set, and each set's difference from the first.

    Args:
        freqs: (R,) ring frequencies in cycles/pixel.
        profiles: {label: (R,) mean level in dB}; the first is the reference (the real images, drawn
            in black), every other label names a kind (``"deconv3"``, ``"deconv3, 100 steps"``) and is
            drawn in its registry colour.
    """
    fig, axes = new_figure(1, 2, 10.0, 3.9)
    f = to_numpy(freqs)
    reference = to_numpy(next(iter(profiles.values())))
    colors = [NEUTRALS["reference"], *(kind_color(label) for label in list(profiles)[1:])]
    for color, (label, levels) in zip(colors, profiles.items()):
        values = to_numpy(levels)
        axes[0, 0].plot(f, values, "o-", color=color, ms=3, lw=1.4, label=label)
        axes[0, 1].plot(f, values - reference, "o-", color=color, ms=3, lw=1.4, label=label)
    for ax in axes[0]:
        ax.axvline(2**0.5 / 2, color=NEUTRALS["neutral"], ls=":", lw=1, label="checkerboard (corner)")
        ax.set_xlabel("frequency (cycles / pixel)")
    axes[0, 0].set_ylabel("mean power (dB)")
    axes[0, 1].set_ylabel(f"difference from {next(iter(profiles))} (dB)")
    axes[0, 1].axhline(0, color=NEUTRALS["neutral"], lw=0.8)
    legend_below(fig, *axes[0, 0].get_legend_handles_labels())
    return fig
