"""Synthesized audio has the structure it claims, measured with numpy's FFT (not the helpers)."""

import numpy as np
import pytest
import torch

from nbhelpers.experiments.sounds import SAMPLE_RATE, chirp, chord, downsample, pluck, sound_clips, vowel


def _peak_hz(x: torch.Tensor, rate: float = SAMPLE_RATE) -> float:
    spectrum = np.abs(np.fft.rfft(x.numpy().astype(np.float64) * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[spectrum.argmax()])


def test_pluck_has_its_pitch_and_decays():
    x = pluck(220, 1.0, seed=3)
    assert x.shape == (16000,) and x.dtype == torch.float32 and abs(x.abs().max() - 0.9) < 1e-6
    # Karplus-Strong repeats every N + 1/2 samples for a delay line of N = round(rate / f) = 73
    y = x.numpy().astype(np.float64)
    lags = np.arange(50, 100)
    correlation = [np.dot(y[:-lag], y[lag:]) for lag in lags]
    assert lags[int(np.argmax(correlation))] in (73, 74)
    f0 = SAMPLE_RATE / 73.5
    assert abs(_peak_hz(x) / f0 - round(_peak_hz(x) / f0)) < 0.02  # the strongest partial: a harmonic
    assert x[-1600:].pow(2).mean() < 0.2 * x[:1600].pow(2).mean()
    assert torch.equal(x, pluck(220, 1.0, seed=3)) and not torch.equal(x, pluck(220, 1.0, seed=4))


def test_chord_holds_each_note():
    x = chord([220.0, 277.2, 329.6], 1.0).numpy().astype(np.float64)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1 / SAMPLE_RATE)
    floor = np.median(spectrum)
    for f in (220.0, 277.2, 329.6):
        near = (freqs > f - 8) & (freqs < f + 8)
        assert spectrum[near].max() > 30 * floor, f


def test_chirp_sweeps_from_start_to_stop():
    x = chirp(500, 3000, 1.0).numpy()
    crossings = np.flatnonzero(np.diff(np.signbit(x).astype(int)) != 0)
    first, last = crossings[crossings < 800], crossings[crossings > 16000 - 800]
    f_start = (len(first) - 1) / 2 / ((first[-1] - first[0]) / SAMPLE_RATE)
    f_stop = (len(last) - 1) / 2 / ((last[-1] - last[0]) / SAMPLE_RATE)
    # the mean frequency over the first and the last 50 ms: 500 + 2500 t at t = 0.025 and 0.975 s
    assert abs(f_start - 562.5) < 10 and abs(f_stop - 2937.5) < 20


def test_vowel_has_harmonics_of_its_pitch_shaped_by_its_formants():
    x = vowel(150, "a", 1.0).numpy().astype(np.float64)
    spectrum = np.abs(np.fft.rfft(x))
    freqs = np.fft.rfftfreq(len(x), 1 / SAMPLE_RATE)
    harmonic = [spectrum[np.argmin(np.abs(freqs - 150 * h))] for h in range(1, 40)]
    between = [spectrum[np.argmin(np.abs(freqs - 150 * (h + 0.5)))] for h in range(1, 40)]
    assert np.median(harmonic) > 100 * np.median(between)
    strongest = 150 * (1 + int(np.argmax(harmonic)))
    assert min(abs(strongest - f) for f in (730, 1090, 2440)) <= 150  # a harmonic next to a formant


def test_downsample_keeps_low_and_removes_high():
    t = torch.arange(4096, dtype=torch.float64) / SAMPLE_RATE
    low, high = torch.sin(2 * np.pi * 1000 * t), torch.sin(2 * np.pi * 3000 * t)
    assert downsample(low[None], 4).abs().max() > 0.99  # 1 kHz < 2 kHz, the new Nyquist
    assert downsample(high[None], 4).abs().max() < 1e-9
    assert downsample(torch.ones(2, 1, 4096), 4).shape == (2, 1, 1024)
    with pytest.raises(ValueError, match="multiple of factor"):
        downsample(torch.ones(10), 4)


def test_clips_and_bad_arguments():
    clips = sound_clips(8, 2048, seed=1)
    assert clips.shape == (8, 1, 2048) and torch.isfinite(clips).all() and clips.abs().max() <= 0.9 + 1e-6
    assert torch.equal(clips, sound_clips(8, 2048, seed=1))
    with pytest.raises(ValueError, match="Nyquist"):
        pluck(9000)
    with pytest.raises(ValueError, match="decay"):
        pluck(220, decay=1.5)
    with pytest.raises(ValueError, match="formants"):
        vowel(150, "x")
    with pytest.raises(ValueError, match="frequencies"):
        chord([])


def test_band_limited_upsampling_adds_no_frequency_and_keeps_the_tone():
    from nbhelpers.experiments.sounds import band_limited_upsample

    n = np.arange(1000)
    low = torch.tensor(np.cos(2 * np.pi * 130 * n / 1000 + 0.3))  # 130 cycles in 1000 samples
    up = band_limited_upsample(low, 4).numpy()
    assert up.shape == (4000,)
    assert np.allclose(up, np.cos(2 * np.pi * 130 * np.arange(4000) / 4000 + 0.3), atol=1e-9)
    spectrum = np.abs(np.fft.rfft(up))
    assert spectrum[500:].max() < 1e-9 * spectrum.max()  # nothing above the input's Nyquist
    clips = sound_clips(2, 2048, seed=2)
    back = downsample(band_limited_upsample(downsample(clips, 4), 4), 4)
    assert torch.allclose(back, downsample(clips, 4), atol=1e-5)
    with pytest.raises(ValueError, match="floating-point"):
        band_limited_upsample(torch.arange(8), 2)
