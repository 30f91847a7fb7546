"""The periodic measures: polyphase means, checkerboard index (plain, exact, batch, border), floor."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import nbhelpers
from nbhelpers.measures import (
    aliasing_energy_fraction,
    checkerboard,
    checkerboard_amplitude,
    checkerboard_floor,
    checkerboard_index,
    divisor_periods,
    periodic_part,
    phase_ratio,
    polyphase_means,
    smooth_field,
)


def _index_by_loops(image: np.ndarray, p: int) -> float:
    """The recipe written with Python loops over pixels (independent of the library)."""
    h, w = (image.shape[0] // p) * p, (image.shape[1] // p) * p
    image = image[:h, :w]
    sums = [[0.0] * p for _ in range(p)]
    counts = [[0] * p for _ in range(p)]
    for i in range(h):
        for j in range(w):
            sums[i % p][j % p] += image[i, j]
            counts[i % p][j % p] += 1
    means = [sums[r][c] / counts[r][c] for r in range(p) for c in range(p)]
    centre = sum(means) / len(means)
    rms = math.sqrt(sum((m - centre) ** 2 for m in means) / len(means))
    mu = image.mean()
    std = math.sqrt(((image - mu) ** 2).mean())
    return rms / std


def _exact_energy_by_numpy(x: np.ndarray, p: int) -> tuple[float, float]:
    """Energy at bins of exact period p, and all non-DC energy, of a 2D signal (numpy FFT)."""
    f = np.abs(np.fft.fft2(x)) ** 2
    h, w = x.shape
    exact = 0.0
    for a in range(h):
        for b in range(w):
            pa, pb = h // math.gcd(a, h), w // math.gcd(b, w)
            if pa * pb // math.gcd(pa, pb) == p:
                exact += f[a, b]
    return exact, f.sum() - f[0, 0]


def test_polyphase_means_by_hand():
    x = torch.arange(16.0).view(4, 4)
    assert polyphase_means(x, 2, ndim=2).tolist() == [[5.0, 6.0], [9.0, 10.0]]
    line = torch.tensor([1.0, 5.0, 3.0, 7.0, 100.0])  # cropped to 4 samples
    assert polyphase_means(line, 2, ndim=1).tolist() == [2.0, 6.0]


def test_periodic_part_has_zero_mean():
    part = periodic_part(torch.rand(3, 9, 9), 3, ndim=2)
    assert part.shape == (3, 3, 3)
    assert torch.allclose(part.mean(dim=(-2, -1)), torch.zeros(3), atol=1e-6)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 1000), p=st.integers(2, 4), h=st.integers(8, 20), w=st.integers(8, 20))
def test_index_equals_a_loop_over_pixels(seed, p, h, w):
    image = torch.rand(h, w, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    expected = _index_by_loops(image.numpy(), p)
    assert checkerboard_index(image, p, ndim=2).item() == pytest.approx(expected, rel=1e-9)


def test_ndim_is_required_and_changes_the_answer_visibly():
    image = smooth_field((64, 64), 3.0, seed=0, ndim=2) + checkerboard((64, 64), 2, 0.3, ndim=2)
    with pytest.raises(TypeError, match="ndim"):
        checkerboard_index(image, 2)  # (H, W): an image or H rows? The caller must say.
    with pytest.raises(TypeError, match="ndim"):
        checkerboard_index(image, 2, exact=True)
    with pytest.raises(TypeError, match="ndim"):
        polyphase_means(image, 2)
    rows = checkerboard_index(image, 2, ndim=1).item()
    whole = checkerboard_index(image, 2, ndim=2).item()
    assert rows != pytest.approx(whole, rel=1e-3)


@settings(max_examples=40, deadline=None)
@given(
    amplitude=st.floats(0.02, 2.0),
    period=st.integers(2, 4),
    seed=st.integers(0, 1000),
    correlation=st.floats(3.0, 8.0),
)
def test_index_recovers_injected_amplitude_within_5_percent(amplitude, period, seed, correlation):
    n = 96
    x = smooth_field((n, n), correlation, seed=seed, ndim=2) + checkerboard((n, n), period, amplitude, ndim=2)
    assert checkerboard_amplitude(x, period, ndim=2).item() == pytest.approx(amplitude, rel=0.05)
    expected_index = amplitude / x.std(unbiased=False).item()
    assert checkerboard_index(x, period, ndim=2).item() == pytest.approx(expected_index, rel=0.05)


@settings(max_examples=20, deadline=None)
@given(amplitude=st.floats(0.05, 1.0), seed=st.integers(0, 1000))
def test_index_recovers_amplitude_in_1d(amplitude, seed):
    x = smooth_field((512,), 6.0, seed=seed, ndim=1) + checkerboard((512,), 2, amplitude, ndim=1)
    assert checkerboard_amplitude(x, 2, ndim=1).item() == pytest.approx(amplitude, rel=0.05)


@pytest.mark.parametrize("period", [2, 3, 4, 8])
@pytest.mark.parametrize("size", [32, 64, 128])
def test_white_noise_sits_at_the_floor_and_smooth_images_below(period, size):
    floor = checkerboard_floor((size, size), period)
    noise = torch.randn(200, size, size, generator=torch.Generator().manual_seed(period))
    per_image = checkerboard_index(noise, period, ndim=2, reduce="none")
    assert per_image.pow(2).mean().sqrt().item() == pytest.approx(floor, rel=0.15)
    assert (per_image < 2 * floor).float().mean() > 0.95
    smooth = smooth_field((20, size, size), 3.0, seed=period, ndim=2)
    assert checkerboard_index(smooth, period, ndim=2).item() < floor


def test_floor_formula():
    assert checkerboard_floor((128, 128)) == pytest.approx(math.sqrt(3 / (128 * 128 - 1)))
    assert checkerboard_floor((64,), 2) == pytest.approx(math.sqrt(1 / 63))
    assert checkerboard_floor((32, 32), 2, batch=4) == pytest.approx(math.sqrt(3 / 1023 / 4))
    assert checkerboard_floor((40, 40), 2, batch=4, border=4) == pytest.approx(math.sqrt(3 / 1023 / 4))
    # exact period 4 in 2D: bins whose lcm of axis periods is 4 (16 - 4 of them)
    assert checkerboard_floor((32, 32), 4, exact=True) == pytest.approx(math.sqrt(12 / 1023))


@settings(max_examples=25, deadline=None)
@given(period=st.integers(2, 5), seed=st.integers(0, 100), h=st.integers(10, 40), w=st.integers(10, 40))
def test_index_squared_equals_aliasing_energy_fraction(period, seed, h, w):
    x = torch.randn(2, h, w, generator=torch.Generator().manual_seed(seed))
    x = x + 0.5 * checkerboard((h, w), period, ndim=2)
    index = checkerboard_index(x, period, ndim=2, reduce="none")
    assert torch.allclose(index**2, aliasing_energy_fraction(x, period, ndim=2), atol=1e-5)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 100), p=st.sampled_from([2, 3, 4, 6]), h=st.integers(12, 24))
def test_exact_index_matches_numpy_bins(seed, p, h):
    x = torch.randn(h, h + 3, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    cropped = x[: (h // p) * p, : ((h + 3) // p) * p].numpy()
    exact, total = _exact_energy_by_numpy(cropped, p)
    assert checkerboard_index(x, p, ndim=2, exact=True).item() == pytest.approx(math.sqrt(exact / total))


@pytest.mark.parametrize("p", [4, 6, 8, 12])
def test_exact_indices_over_divisors_add_up_to_the_index(p):
    x = torch.rand(3, 48, generator=torch.Generator().manual_seed(p), dtype=torch.float64)
    total = sum(checkerboard_index(x, d, ndim=1, reduce="none", exact=True) ** 2 for d in divisor_periods(p))
    assert torch.allclose(total, checkerboard_index(x, p, ndim=1, reduce="none") ** 2)
    image = torch.rand(16, 16, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    total = sum(checkerboard_index(image, d, ndim=2, exact=True) ** 2 for d in (2, 4))
    assert total.item() == pytest.approx(checkerboard_index(image, 4, ndim=2).item() ** 2)


def test_exact_amplitude_separates_periods():
    i = torch.arange(64, dtype=torch.float64)
    x = 2.0 * torch.cos(math.pi * i) + torch.cos(math.pi * i / 2)  # period 2 (rms 2), period 4 (rms 1/sqrt 2)
    assert checkerboard_amplitude(x, 2, ndim=1, exact=True).item() == pytest.approx(2.0)
    assert checkerboard_amplitude(x, 4, ndim=1, exact=True).item() == pytest.approx(1 / math.sqrt(2))
    assert checkerboard_index(torch.full((16,), 3.0), 2, ndim=1, exact=True).item() == 0.0


def test_exact_batch_indices_add_up_to_the_batch_index():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(16, 1, 32, 32, generator=gen)
    x = x + 0.5 * torch.tensor([[1.0, 0], [0, 0]]).repeat(16, 16)
    x = x + 0.3 * torch.tensor([[1.0, 0, 0, 0]] + [[0.0] * 4] * 3).repeat(8, 8)
    parts = [checkerboard_index(x, d, ndim=2, reduce="batch", exact=True).item() ** 2 for d in (2, 4)]
    assert sum(parts) == pytest.approx(checkerboard_index(x, 4, ndim=2, reduce="batch").item() ** 2, rel=1e-4)
    only2 = checkerboard((32, 32), 2, ndim=2).expand(4, 3, 32, 32)
    assert checkerboard_index(only2, 4, ndim=2, reduce="batch", exact=True) < 1e-6
    assert checkerboard_index(only2, 2, ndim=2, reduce="batch", exact=True).item() == pytest.approx(1.0)


@pytest.mark.parametrize("exact", [False, True])
def test_batch_averaging_brings_noise_down_to_the_batch_floor(exact):
    noise = torch.randn(64, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    for p in (2, 4, 8):
        floor = checkerboard_floor((32, 32), p, exact=exact, batch=64)
        value = checkerboard_index(noise, p, ndim=2, reduce="batch", exact=exact).item()
        assert 0.5 * floor < value < 2 * floor


def test_border_crop_removes_a_shared_frame():
    x = torch.zeros(8, 1, 32, 32)
    x[..., :2, :] = 1.0  # a frame every image shares, no interior pattern
    x = x + torch.randn(8, 1, 32, 32, generator=torch.Generator().manual_seed(0)) * 1e-3
    assert checkerboard_index(x, 8, ndim=2, reduce="batch", exact=True) > 0.1
    inner = checkerboard_index(x, 8, ndim=2, reduce="batch", exact=True, border=4).item()
    assert inner < 2 * checkerboard_floor((32, 32), 8, exact=True, batch=8, border=4)


def test_reduce_modes_and_shapes():
    x = torch.randn(4, 3, 16, 16)
    assert checkerboard_index(x, 2, ndim=2, reduce="none").shape == (4, 3)
    assert checkerboard_index(x, 2, ndim=2).shape == ()
    assert checkerboard_index(x, 2, ndim=2, reduce="batch").shape == ()
    assert checkerboard_index(torch.randn(5, 30), 3, ndim=1, reduce="none").shape == (5,)
    assert checkerboard_amplitude(x, 2, ndim=2).shape == (4, 3)


def test_batch_reduction_keeps_the_shared_artifact_only():
    images = smooth_field((64, 32, 32), 1.0, seed=0, ndim=2)
    pattern = checkerboard((32, 32), 2, 0.5, ndim=2)
    cancelling = images + torch.stack([pattern * (1 if i % 2 else -1) for i in range(64)])
    shared = images + pattern
    assert checkerboard_index(cancelling, 2, ndim=2).item() > 0.3  # each image has a checkerboard ...
    assert checkerboard_index(cancelling, 2, ndim=2, reduce="batch").item() < 0.05  # ... but not shared
    assert checkerboard_index(shared, 2, ndim=2, reduce="batch").item() > 0.3


def test_constant_signal_has_index_zero():
    assert checkerboard_index(torch.ones(8, 8), ndim=2).item() == 0.0
    assert checkerboard_index(torch.ones(2, 8, 8), ndim=2, reduce="batch").item() == 0.0
    assert checkerboard_index(torch.ones(2, 8, 8), ndim=2, exact=True).item() == 0.0


def test_integer_input_is_accepted():
    x = (torch.arange(64).view(8, 8) % 2).to(torch.int64)
    assert checkerboard_index(x, 2, ndim=2).item() == pytest.approx(1.0)


def test_phase_ratio():
    grads = torch.ones(2, 3, 8, 8)
    grads[..., ::2, ::2] = 4.0
    assert phase_ratio(grads, 2, ndim=2).item() == pytest.approx(4.0)
    assert phase_ratio(torch.ones(2, 8, 8), 2, ndim=2).item() == 1.0
    zero_phase = torch.ones(8, 8)
    zero_phase[::2, ::2] = 0
    assert math.isinf(phase_ratio(zero_phase, 2, ndim=2).item())
    assert phase_ratio(torch.tensor([1.0, 3.0, 1.0, 3.0]), 2, ndim=1).item() == pytest.approx(3.0)


@pytest.mark.parametrize(
    "args, kwargs, error, words",
    [
        ((torch.rand(8, 8),), dict(period=1, ndim=2), ValueError, "period"),
        ((torch.rand(8, 8),), dict(period=9, ndim=2), ValueError, "period"),
        ((torch.rand(8, 8),), dict(period=2.0, ndim=2), TypeError, "period"),
        ((torch.rand(8, 8),), dict(ndim=3), ValueError, "ndim"),
        ((torch.rand(8),), dict(ndim=2), ValueError, "at least 2 dimension"),
        ((torch.tensor([[float("nan"), 1.0], [1.0, 1.0]]),), dict(ndim=2), ValueError, "NaN"),
        ((torch.rand(8, 8),), dict(ndim=2, reduce="max"), ValueError, "reduce"),
        ((torch.rand(8, 8),), dict(ndim=2, reduce="batch"), ValueError, "batch dimension"),
        ((torch.rand(8, 8),), dict(ndim=2, border=4), ValueError, "border"),
        ((torch.rand(8, 8),), dict(ndim=2, border=-1), ValueError, "border"),
        (("not a tensor",), dict(ndim=2), TypeError, "x must"),
        ((torch.rand(8, 8) > 0.5,), dict(ndim=2), TypeError, "real numbers"),
    ],
)
def test_bad_input_is_a_clear_error(args, kwargs, error, words):
    with pytest.raises(error, match=words):
        checkerboard_index(*args, **kwargs)


@pytest.mark.parametrize(
    "kwargs, words",
    [(dict(shape=(8,) * 3), "shape"), (dict(shape=(8, 8), batch=0), "batch"),
     (dict(shape=(8, 8), border=4), "border"), (dict(shape=(8, 8), period=1), "period")],
)
def test_floor_rejects_bad_arguments(kwargs, words):
    with pytest.raises(ValueError, match=words):
        checkerboard_floor(**kwargs)


def test_measures_run_on_the_chosen_device():
    device = nbhelpers.get_device()
    x = torch.randn(2, 16, 16, device=device)
    assert checkerboard_index(x, ndim=2, reduce="none").device.type == device.type
    assert checkerboard_index(x, 4, ndim=2, exact=True).device.type == device.type
