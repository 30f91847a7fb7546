"""Notebook 07's figures: shared scales, marked tones, every curve in the legend."""

import pytest
import torch
from matplotlib.colors import to_hex

from nbhelpers.measures.audio import interpolation_response, interpolation_theory, spectrogram
from nbhelpers.plots.audio import plot_interpolation_response, plot_spectrograms, plot_tone_spectra
from nbhelpers.plots.style import kind_color


def test_spectrograms_share_one_colour_scale():
    t = torch.arange(4000) / 16000
    quiet, loud = 0.01 * torch.sin(2 * torch.pi * 1000 * t), torch.sin(2 * torch.pi * 3000 * t)
    fig = plot_spectrograms({"quiet": spectrogram(quiet, 16000), "loud": spectrogram(loud, 16000)})
    meshes = [ax.collections[0] for ax in fig.axes[:3] if ax.collections]
    assert len(meshes) == 2 and meshes[0].get_clim() == meshes[1].get_clim()
    assert "shared scale" in fig.axes[-1].get_ylabel()  # the colour bar says so
    assert sum(ax.get_visible() for ax in fig.axes[:3]) == 2  # the unused third panel is hidden


def test_tone_spectra_mark_each_predicted_tone():
    freqs = torch.linspace(0, 8000, 513)
    fig = plot_tone_spectra(
        freqs, {"a": torch.ones(513), "b": torch.ones(513)}, {"a": [4000.0], "b": [1000.0, 2000.0]}
    )
    first, second = fig.axes[:2]
    assert len(first.lines) == 2 and len(second.lines) == 3
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["measured", "predicted tone"]  # one legend


def test_interpolation_figure_shows_measured_and_theory():
    freqs, near = interpolation_response("nearest", 4)
    _, lin = interpolation_response("linear", 4)
    theory = {m: interpolation_theory(m, 4, freqs) for m in ("nearest", "linear")}
    fig = plot_interpolation_response(freqs, {"nearest": near, "linear": lin}, theory, 4000, 16000)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[:4] == ["nearest: theory", "nearest: measured", "linear: theory", "linear: measured"]
    assert "input Nyquist (2 kHz)" in labels and "images of the input" in labels


def test_fingerprint_profiles_show_differences_from_the_reference():
    from nbhelpers.plots.fingerprints import plot_fingerprint_profiles

    freqs = torch.linspace(0.28, 0.7, 15)
    profiles = {"real": torch.zeros(15), "deconv3, 100 steps": -torch.arange(15.0)}
    fig = plot_fingerprint_profiles(freqs, profiles)
    left, right = fig.axes[:2]
    assert list(right.lines[0].get_ydata()) == [0.0] * 15  # the reference minus itself
    assert list(right.lines[1].get_ydata()) == list(-torch.arange(15.0).numpy())
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["real", "deconv3, 100 steps", "checkerboard (corner)"]
    assert to_hex(left.lines[0].get_color()) == "#000000"  # the reference in black ...
    assert to_hex(left.lines[1].get_color()) == kind_color("deconv3")  # ... a kind in its colour


def test_fingerprint_profiles_refuse_a_set_that_is_no_kind():
    from nbhelpers.plots.fingerprints import plot_fingerprint_profiles

    with pytest.raises(ValueError, match="blurred"):
        plot_fingerprint_profiles(torch.linspace(0.3, 0.7, 3),
                                  {"real": torch.zeros(3), "blurred": torch.ones(3)})


def test_interpolation_modes_take_the_audio_kinds_colours():
    freqs, near = interpolation_response("nearest", 4)
    _, lin = interpolation_response("linear", 4)
    theory = {m: interpolation_theory(m, 4, freqs) for m in ("nearest", "linear")}
    fig = plot_interpolation_response(freqs, {"nearest": near, "linear": lin}, theory, 4000, 16000)
    colors = [to_hex(line.get_color()) for line in fig.axes[0].lines[:4]]
    assert colors == [kind_color("nearest")] * 2 + [kind_color("linear")] * 2
    assert kind_color("linear") not in (kind_color("deconv3"), kind_color("transposed"))  # not orange
