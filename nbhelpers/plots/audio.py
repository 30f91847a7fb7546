"""Figures of notebook 07: spectrograms, spectra with predicted tones, interpolation responses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from .style import NEUTRALS, SEQUENTIAL_CMAP, kind_color, legend_below, new_figure, to_numpy, unique_handles


def plot_spectrograms(
    panels: Mapping[str, tuple[object, object, object]], floor_db: float = 80.0, columns: int = 3
) -> Figure:
    """Log-power spectrograms on one shared colour scale (the loudest panel's top down ``floor_db``).

    Args:
        panels: {title: (dB (F, T), freqs (F,) in Hz, times (T,) in s)}, as from
            :func:`nbhelpers.measures.audio.spectrogram`.
        floor_db: dynamic range shown (dB).
        columns: panels per row.
    """
    rows = -(-len(panels) // columns)
    fig, axes = new_figure(rows, columns, 3.4 * columns, 2.6 * rows)
    top = max(float(to_numpy(db).max()) for db, _, _ in panels.values())
    image = None
    for ax, (title, (db, freqs, times)) in zip(axes.flat, panels.items()):
        f, t = to_numpy(freqs) / 1000, to_numpy(times)
        image = ax.pcolormesh(
            t,
            f,
            to_numpy(db),
            vmin=top - floor_db,
            vmax=top,
            cmap=SEQUENTIAL_CMAP,
            shading="auto",
            rasterized=True,
        )
        ax.set_title(title)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("frequency (kHz)")
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    if image is not None:
        fig.colorbar(image, ax=axes, label=f"power (dB), shared scale: {top - floor_db:.0f} to {top:.0f}")
    return fig


def plot_tone_spectra(
    freqs: object, spectra: Mapping[str, object], tones: Mapping[str, Sequence[float]]
) -> Figure:
    """Average power spectra (dB, one panel each) with the tones the audit predicts marked.

    Args:
        freqs: (F,) in Hz.
        spectra: {title: (F,) power}.
        tones: {title: predicted tone frequencies in Hz}.
    """
    fig, axes = new_figure(len(spectra), 1, 7.0, 1.55 * len(spectra) + 0.5, sharex=True)
    f = to_numpy(freqs) / 1000
    for ax, (title, power) in zip(axes[:, 0], spectra.items()):
        db = 10 * np.log10(np.maximum(to_numpy(power), 1e-20))
        ax.plot(f, db, color=NEUTRALS["reference"], lw=0.9, label="measured", zorder=3)
        for i, tone in enumerate(tones.get(title, ())):  # behind the spectrum: its peaks sit on them
            ax.axvline(tone / 1000, color=NEUTRALS["neutral"], ls="--", lw=1.2, zorder=2,
                       label="predicted tone" if i == 0 else None)
        ax.set_title(title, loc="left", fontsize=9)
        ax.set_ylabel("power (dB)")
    axes[-1, 0].set_xlabel("frequency (kHz)")
    legend_below(fig, *unique_handles(axes[:, 0]))
    return fig


def plot_interpolation_response(
    freqs: object,
    measured: Mapping[str, object],
    theory: Mapping[str, object],
    input_rate: float,
    output_rate: float,
) -> Figure:
    """Gain (dB) of interpolation per output frequency: measured (markers) and theory (lines).

    Args:
        freqs: (F,) in cycles per output sample (0 .. 0.5).
        measured, theory: {mode: (F,) gain}; each mode is an audio kind (``"nearest"``, ``"linear"``),
            drawn in its registry colour.
        input_rate, output_rate: Hz; the input's Nyquist is marked, the image band shaded.
    """
    fig, axes = new_figure(1, 1, 6.8, 3.4)
    ax = axes[0, 0]
    hz = to_numpy(freqs) * output_rate / 1000
    step = max(1, len(hz) // 60)
    for mode in measured:
        color = kind_color(mode)  # the audio kinds' colours: nearest blue, linear purple
        gain_db = 20 * np.log10(np.maximum(to_numpy(theory[mode]), 1e-6))
        ax.plot(hz, gain_db, color=color, lw=1.6, label=f"{mode}: theory")
        measured_db = 20 * np.log10(np.maximum(to_numpy(measured[mode]), 1e-6))
        ax.plot(
            hz[::step], measured_db[::step], "o", color=color, ms=3.5, mfc="none", label=f"{mode}: measured"
        )
    nyquist = input_rate / 2000
    ax.axvline(nyquist, color=NEUTRALS["neutral"], ls="--", lw=1, label=f"input Nyquist ({nyquist:g} kHz)")
    ax.axvspan(
        nyquist, output_rate / 2000, color=NEUTRALS["neutral"], alpha=0.12, lw=0, label="images of the input"
    )
    ax.set_ylim(-40, 3)
    ax.set_xlabel("output frequency (kHz)")
    ax.set_ylabel("gain (dB)")
    ax.legend(fontsize=9, ncol=1, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig
