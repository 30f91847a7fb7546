"""Power spectrum, radial profile, box-filter gain, and the small statistics."""

import math

import numpy as np
import pytest
import torch

from nbhelpers.measures import (
    box_filter_response,
    checkerboard,
    fit_line,
    power_spectrum,
    radial_profile,
    rank_correlation,
    stride1_response,
)


def test_power_spectrum_matches_numpy_and_parseval():
    x = torch.randn(3, 16, 12, dtype=torch.float64)
    spectrum = power_spectrum(x, ndim=2)
    centred = (x - x.mean(dim=(-2, -1), keepdim=True)).numpy()
    expected = np.fft.fftshift(np.abs(np.fft.fft2(centred)) ** 2 / (16 * 12), axes=(-2, -1))
    assert np.allclose(spectrum.numpy(), expected)
    assert torch.allclose(spectrum.sum(dim=(-2, -1)), torch.from_numpy(centred**2).sum(dim=(-2, -1)))
    assert spectrum[:, 8, 6].abs().max() < 1e-9  # DC removed, at the centre
    assert power_spectrum(torch.randn(10), ndim=1).shape == (10,)
    with pytest.raises(TypeError, match="ndim"):
        power_spectrum(x)


def test_radial_profile_finds_a_cosine():
    n = 64
    i = torch.arange(n, dtype=torch.float32)
    wave = torch.cos(2 * math.pi * 8 * i / n).view(1, n).expand(n, n)  # 8 cycles across
    freqs, profile = radial_profile(power_spectrum(wave, ndim=2))
    assert freqs[profile.argmax()].item() == pytest.approx(8 / n)
    assert profile.shape == freqs.shape


@pytest.mark.parametrize("shape", [(32, 32), (16, 32), (32, 16), (24, 40)])
def test_radial_profile_puts_a_checkerboard_at_sqrt2_over_2(shape):
    freqs, profile = radial_profile(power_spectrum(checkerboard(shape, 2, ndim=2), ndim=2))
    ring = 1 / min(shape)
    assert abs(freqs[profile.argmax()].item() - math.sqrt(2) / 2) <= ring / 2 + 1e-9


def test_radial_profile_of_a_horizontal_wave_on_a_wide_image():
    h, w = 16, 64
    j = torch.arange(w, dtype=torch.float64)
    wave = torch.cos(2 * math.pi * j / 4).view(1, w).expand(h, w)  # 0.25 cycles/pixel along W
    freqs, profile = radial_profile(power_spectrum(wave, ndim=2))
    assert freqs[profile.argmax()].item() == pytest.approx(0.25, abs=1 / (2 * h))


def test_box_filter_response_matches_the_dft_of_ones():
    freqs = torch.linspace(0, 0.5, 11, dtype=torch.float64)
    for m in (1, 2, 3, 5):
        dft = np.abs(np.exp(-2j * np.pi * np.outer(freqs.numpy(), np.arange(m))).sum(axis=1)) / m
        assert np.allclose(box_filter_response(m, freqs).numpy(), dft)


def test_stride1_response_obeys_the_divides_rule():
    assert stride1_response(2, 2) == 0.0 and stride1_response(4, 4) == 0.0 and stride1_response(2, 4) == 0.0
    assert 0 < stride1_response(4, 2) < 1 and 0 < stride1_response(3, 2) < 1
    assert stride1_response(2, 1) == pytest.approx(1.0)
    assert stride1_response(4, 3) == pytest.approx(abs(1 + np.exp(-0.5j * np.pi) + np.exp(-1j * np.pi)) / 3)


def test_rank_correlation():
    assert rank_correlation([1, 2, 3, 4], [10, 20, 30, 45]) == pytest.approx(1.0)
    assert rank_correlation([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert rank_correlation([1, 1, 2, 2], [1, 2, 3, 4]) == pytest.approx(0.894, abs=1e-3)
    with pytest.raises(ValueError, match="same length"):
        rank_correlation([1, 2], [1, 2, 3])


def test_fit_line():
    slope, intercept = fit_line([0.0, 1.0, 2.0], [1.0, 3.0, 5.0])
    assert slope == pytest.approx(2.0) and intercept == pytest.approx(1.0)
    with pytest.raises(ValueError, match="constant"):
        fit_line([1.0, 1.0], [1.0, 2.0])


def test_high_frequency_share_of_noise_smooth_and_checkerboard():
    from nbhelpers.measures import high_frequency_share, smooth_field

    noise = torch.randn(64, 32, 32, generator=torch.Generator().manual_seed(0))
    n = 32
    fy, fx = np.meshgrid(np.fft.fftfreq(n), np.fft.fftfreq(n), indexing="ij")
    bins = np.sqrt(fy**2 + fx**2) > 0.35
    expected = bins.sum() / (n * n - 1)  # white noise: the fraction of non-DC bins above the cut-off
    assert high_frequency_share(noise, ndim=2).mean().item() == pytest.approx(expected, rel=0.03)
    assert high_frequency_share(smooth_field((4, 32, 32), 3.0, seed=0, ndim=2), ndim=2).max() < 0.01
    assert high_frequency_share(checkerboard((32, 32), 2, ndim=2), ndim=2).item() == pytest.approx(1.0)
    # a scattered spike pattern (no fixed phase) is high-frequency although its checkerboard index is low
    spikes = torch.zeros(32, 32)
    spikes[torch.randint(0, 32, (40,)), torch.randint(0, 32, (40,))] = 1.0
    assert high_frequency_share(spikes, ndim=2).item() > 0.4
    assert high_frequency_share(torch.ones(8, 8), ndim=2).item() == 0.0
    assert high_frequency_share(torch.randn(4, 64), 0.25, ndim=1).shape == (4,)
    with pytest.raises(ValueError, match="cutoff"):
        high_frequency_share(noise, 0.8, ndim=2)
    with pytest.raises(TypeError, match="ndim"):
        high_frequency_share(noise)


def test_ratio_interval_is_a_t_interval_of_the_log_ratios():
    from nbhelpers.measures import ratio_interval

    a, b = [2.0, 4.0, 3.0, 5.0, 2.5], [1.0, 1.0, 1.5, 2.0, 1.0]
    logs = [math.log(x / y) for x, y in zip(a, b)]
    mean = sum(logs) / 5
    sd = math.sqrt(sum((v - mean) ** 2 for v in logs) / 4)
    half = 2.776445 * sd / math.sqrt(5)  # t at 0.975, 4 degrees of freedom
    geo, low, high = ratio_interval(a, b)
    assert geo == pytest.approx(math.exp(mean)) and low == pytest.approx(math.exp(mean - half), rel=1e-6)
    assert high == pytest.approx(math.exp(mean + half), rel=1e-6)
    assert ratio_interval([1.0, 1.0], [1.0, 1.0]) == (1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="positive"):
        ratio_interval([1.0, -1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="same length"):
        ratio_interval([1.0], [1.0])
    # a noise control paired within one group of seeds (seed s against s + 1, cyclically) has log
    # ratios that sum to zero whatever the seeds did: rejected, it could never pass
    with pytest.raises(ValueError, match="disjoint groups"):
        ratio_interval(a, a[1:] + a[:1])
    assert ratio_interval(a, [2.1, 3.9, 3.2, 5.0, 2.5])[1] < 1  # two groups of similar draws: no effect
