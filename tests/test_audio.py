"""Audio measures on signals with known answers, and notebook 07's tonal-artifact experiments."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from nbhelpers.experiments.audio import measure_upsampler, stack_tones, upsampling_stack
from nbhelpers.layers.models import AUDIO_KINDS, audio_upsampler
from nbhelpers.measures.audio import (
    average_spectrum,
    band_energy_error,
    interpolation_response,
    interpolation_theory,
    log_spectral_distance,
    spectral_peaks,
    spectrogram,
    tone_prominence,
)

RATE = 16000


def _sine(f, n=16384, amplitude=1.0):
    return amplitude * torch.sin(2 * math.pi * f * torch.arange(n, dtype=torch.float64) / RATE)


def test_white_noise_has_flat_unit_power():
    noise = torch.randn(8, 16384, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    freqs, power = average_spectrum(noise, RATE)
    assert freqs[-1] == RATE / 2 and abs(power[1:-1].mean() - 1) < 0.05
    assert tone_prominence(freqs, power, 3000) < 1.5
    assert spectral_peaks(freqs, power, 10) == []


def test_a_tone_in_noise_stands_out_where_it_is():
    noise = torch.randn(16384, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    x = noise + _sine(2000, amplitude=0.5) + _sine(5000, amplitude=0.5)
    freqs, power = average_spectrum(x, RATE)
    assert tone_prominence(freqs, power, 2000) > 15 and tone_prominence(freqs, power, 3500) < 3
    assert spectral_peaks(freqs, power, 10) == [2000.0, 5000.0]


def test_spectrogram_shows_a_steady_tone_as_a_line():
    db, freqs, times = spectrogram(_sine(1000, 8000).float(), RATE, n_fft=512, hop=128)
    assert db.shape == (257, len(times)) and times[0] == 256 / RATE
    assert (freqs[db.argmax(dim=0)] == 1000).all()


@pytest.mark.parametrize("scale", [2, 3, 4, 5])
@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_interpolation_matches_theory(mode, scale):
    freqs, gain = interpolation_response(mode, scale)
    assert torch.allclose(gain, interpolation_theory(mode, scale, freqs), atol=1e-9)
    assert gain[0] == pytest.approx(1.0)


def test_interpolation_loses_high_frequencies():
    # at the input's Nyquist (1 / (2 s) cycles per output sample), s = 4
    nearest = float(interpolation_theory("nearest", 4, torch.tensor([0.125])))
    linear = float(interpolation_theory("linear", 4, torch.tensor([0.125])))
    assert nearest == pytest.approx(1 / (4 * math.sin(math.pi / 8)))  # 0.653: -3.7 dB
    assert linear == pytest.approx(nearest**2 * math.cos(math.pi / 8))  # 0.394: -8.1 dB
    # the same from a sinusoid through F.interpolate (measured, not from the formula)
    cycles = 250  # in 512 input samples: 0.488 cycles per sample, near the input's Nyquist
    x = torch.cos(2 * math.pi * cycles * torch.arange(512, dtype=torch.float64) / 512)[None, None]
    for mode in ("nearest", "linear"):
        y = nn.functional.interpolate(x, scale_factor=4, mode=mode)[0, 0].numpy()
        amplitude = np.abs(np.fft.rfft(y))[cycles] * 2 / len(y)
        expected = float(interpolation_theory(mode, 4, torch.tensor([cycles / 2048])))
        assert amplitude == pytest.approx(expected, rel=0.03 if mode == "linear" else 1e-9), mode


def test_distances():
    target = torch.randn(4, 1, 4096, generator=torch.Generator().manual_seed(2))
    assert log_spectral_distance(target, target) == pytest.approx(0, abs=1e-9)
    assert log_spectral_distance(2 * target, target) == pytest.approx(20 * math.log10(2), abs=1e-6)
    halved = band_energy_error(0.5 * target, target, RATE, 2000)
    assert halved == pytest.approx(20 * math.log10(0.5), abs=1e-9)
    low = nn.functional.interpolate(target[..., ::4], scale_factor=4, mode="linear")
    assert band_energy_error(low, target, RATE, 2000) < -6  # no energy made above 2 kHz
    with pytest.raises(ValueError, match="shape"):
        log_spectral_distance(target, target[:1])
    with pytest.raises(ValueError, match="no frequency bin"):
        band_energy_error(target, target, RATE, 9000)


def test_stack_tones_are_predicted_and_found():
    found = stack_tones(upsampling_stack([25, 25], [4, 4]), (1, 8, 512))
    assert found.predicted == [1000.0 * k for k in range(1, 8)]
    assert min(found.prominence.values()) > 6 and found.unpredicted == []
    # the last layer alone would not explain the earlier layer's replicas
    assert [p for p in found.peaks if p % 4000] != []


def test_resize_stacks_have_no_tones():
    model = nn.Sequential(nn.Upsample(scale_factor=4), nn.Conv1d(8, 1, 3, padding=1))
    found = stack_tones(model, (1, 8, 512))
    assert found.predicted == [] and found.peaks == []


def test_audio_upsampler_shapes_and_measures():
    x = torch.randn(3, 1, 256)
    for kind in AUDIO_KINDS:
        assert audio_upsampler(kind)(x).shape == (3, 1, 1024)
    ideal = nn.Upsample(scale_factor=4, mode="linear")
    targets = torch.randn(4, 1, 4096, generator=torch.Generator().manual_seed(3))
    found = measure_upsampler(ideal, targets[..., ::4], targets)
    assert set(found) == {"tone_db", "high_band_db", "lsd", "mse"}
    assert found["tone_db"] < 6 and found["high_band_db"] < -3
    with pytest.raises(ValueError, match="scale"):
        audio_upsampler("nearest", scale=3)
