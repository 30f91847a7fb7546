import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import nbhelpers
from nbhelpers import (
    aliasing_energy_fraction,
    checkerboard,
    checkerboard_amplitude,
    checkerboard_floor,
    checkerboard_index,
    polyphase_means,
    power_spectrum,
    radial_profile,
    smooth_field,
)


def test_polyphase_means_by_hand():
    x = torch.arange(16.0).view(4, 4)
    means = polyphase_means(x, 2)
    assert means.tolist() == [[5.0, 6.0], [9.0, 10.0]]
    line = torch.tensor([1.0, 5.0, 3.0, 7.0, 100.0])  # cropped to 4 samples
    assert polyphase_means(line, 2, ndim=1).tolist() == [2.0, 6.0]


def test_periodic_part_has_zero_mean():
    part = nbhelpers.periodic_part(torch.rand(3, 9, 9), 3)
    assert part.shape == (3, 3, 3)
    assert torch.allclose(part.mean(dim=(-2, -1)), torch.zeros(3), atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    amplitude=st.floats(0.02, 2.0),
    period=st.integers(2, 4),
    seed=st.integers(0, 1000),
    correlation=st.floats(3.0, 8.0),
)
def test_index_recovers_injected_amplitude_within_5_percent(amplitude, period, seed, correlation):
    n = 96
    smooth = smooth_field((n, n), correlation, seed=seed)
    x = smooth + checkerboard((n, n), period, amplitude)
    recovered = checkerboard_amplitude(x, period).item()
    assert recovered == pytest.approx(amplitude, rel=0.05)
    expected_index = amplitude / x.std(unbiased=False).item()
    assert checkerboard_index(x, period).item() == pytest.approx(expected_index, rel=0.05)


@settings(max_examples=20, deadline=None)
@given(amplitude=st.floats(0.05, 1.0), seed=st.integers(0, 1000))
def test_index_recovers_amplitude_in_1d(amplitude, seed):
    x = smooth_field((512,), 6.0, seed=seed, ndim=1) + checkerboard((512,), 2, amplitude, ndim=1)
    assert checkerboard_amplitude(x, 2, ndim=1).item() == pytest.approx(amplitude, rel=0.05)


@pytest.mark.parametrize("period", [2, 3, 4, 8])
@pytest.mark.parametrize("size", [32, 64, 128])
def test_clean_images_stay_below_the_documented_floor(period, size):
    floor = checkerboard_floor((size, size), period)
    noise = torch.randn(200, size, size, generator=torch.Generator().manual_seed(period))
    per_image = checkerboard_index(noise, period, reduce="none")
    # white noise sits at the floor on average (its rms), individual images rarely exceed 2x
    assert per_image.pow(2).mean().sqrt().item() == pytest.approx(floor, rel=0.15)
    assert (per_image < 2 * floor).float().mean() > 0.95
    smooth = smooth_field((20, size, size), 3.0, seed=period)
    assert checkerboard_index(smooth, period).item() < floor


def test_floor_shrinks_with_size():
    assert checkerboard_floor((128, 128)) == pytest.approx(checkerboard_floor((64, 64)) / 2)
    assert checkerboard_floor((64,), 2) == pytest.approx(math.sqrt(1 / 64))


@settings(max_examples=25, deadline=None)
@given(period=st.integers(2, 5), seed=st.integers(0, 100), h=st.integers(10, 40), w=st.integers(10, 40))
def test_index_squared_equals_aliasing_energy_fraction(period, seed, h, w):
    x = torch.randn(2, h, w, generator=torch.Generator().manual_seed(seed))
    x = x + 0.5 * checkerboard((h, w), period)
    index = checkerboard_index(x, period, reduce="none")
    assert torch.allclose(index**2, aliasing_energy_fraction(x, period), atol=1e-5)


def test_reduce_modes_and_shapes():
    x = torch.randn(4, 3, 16, 16)
    assert checkerboard_index(x, 2, reduce="none").shape == (4, 3)
    assert checkerboard_index(x, 2).shape == ()
    assert checkerboard_index(x, 2, reduce="batch").shape == ()
    assert checkerboard_index(torch.randn(5, 30), 3, reduce="none", ndim=1).shape == (5,)


def test_batch_reduction_keeps_the_shared_artifact_only():
    images = smooth_field((64, 32, 32), 1.0, seed=0)
    random_patterns = torch.stack(
        [checkerboard((32, 32), 2, 0.5) * (1 if i % 2 else -1) for i in range(64)]
    )
    shared = images + checkerboard((32, 32), 2, 0.5)
    cancelling = images + random_patterns
    assert checkerboard_index(cancelling, 2).item() > 0.3  # each image has a checkerboard ...
    assert checkerboard_index(cancelling, 2, reduce="batch").item() < 0.05  # ... but not shared
    assert checkerboard_index(shared, 2, reduce="batch").item() > 0.3


def test_constant_signal_has_index_zero():
    assert checkerboard_index(torch.ones(8, 8)).item() == 0.0
    assert checkerboard_index(torch.ones(2, 8, 8), reduce="batch").item() == 0.0


def test_integer_input_is_accepted():
    x = (torch.arange(64).view(8, 8) % 2).to(torch.int64)
    assert checkerboard_index(x, 2).item() == pytest.approx(1.0)


@pytest.mark.parametrize(
    "args, kwargs, error, words",
    [
        ((torch.rand(8, 8),), dict(period=1), ValueError, "period"),
        ((torch.rand(8, 8),), dict(period=9), ValueError, "period"),
        ((torch.rand(8, 8),), dict(period=2.0), TypeError, "period"),
        ((torch.rand(8),), dict(), ValueError, "at least 2 dimension"),
        ((torch.tensor([[float("nan"), 1.0], [1.0, 1.0]]),), dict(), ValueError, "NaN"),
        ((torch.rand(8, 8),), dict(reduce="max"), ValueError, "reduce"),
        ((torch.rand(8, 8),), dict(reduce="batch"), ValueError, "batch dimension"),
        (("not a tensor",), dict(), TypeError, "x must"),
        ((torch.rand(8, 8) > 0.5,), dict(), TypeError, "real numbers"),
    ],
)
def test_bad_input_is_a_clear_error(args, kwargs, error, words):
    with pytest.raises(error, match=words):
        checkerboard_index(*args, **kwargs)


def test_power_spectrum_parseval_and_centre():
    x = torch.randn(3, 16, 16)
    spectrum = power_spectrum(x)
    centred = x - x.mean(dim=(-2, -1), keepdim=True)
    assert torch.allclose(spectrum.sum(dim=(-2, -1)), centred.pow(2).sum(dim=(-2, -1)), rtol=1e-4)
    assert spectrum[:, 8, 8].abs().max() < 1e-6  # DC removed, at the centre
    line = power_spectrum(torch.randn(10), ndim=1)
    assert line.shape == (10,)


def test_radial_profile_finds_a_cosine():
    n = 64
    i = torch.arange(n, dtype=torch.float32)
    wave = torch.cos(2 * math.pi * 8 * i / n).view(1, n).expand(n, n)  # 8 cycles across
    freqs, profile = radial_profile(power_spectrum(wave))
    assert freqs[profile.argmax()].item() == pytest.approx(8 / n)
    corner = checkerboard((n, n), 2)
    freqs, profile = radial_profile(power_spectrum(corner))
    assert freqs[profile.argmax()].item() == pytest.approx(round(n / math.sqrt(2)) / n)
    assert profile.shape == freqs.shape


def test_rank_correlation():
    assert nbhelpers.rank_correlation([1, 2, 3, 4], [10, 20, 30, 45]) == pytest.approx(1.0)
    assert nbhelpers.rank_correlation([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert nbhelpers.rank_correlation([1, 1, 2, 2], [1, 2, 3, 4]) == pytest.approx(0.894, abs=1e-3)
    with pytest.raises(ValueError, match="same length"):
        nbhelpers.rank_correlation([1, 2], [1, 2, 3])


def test_metrics_run_on_the_chosen_device():
    device = nbhelpers.get_device()
    x = torch.randn(2, 16, 16, device=device)
    assert checkerboard_index(x, reduce="none").device.type == device.type
