"""Tests of nbhelpers.experiments.stacking: stack responses, stride-1 dampening, the stride-1 gain."""

import math

import pytest
import torch

from nbhelpers.experiments.stacking import (
    analyze_stack,
    stack_layers,
    stack_response,
    stride1_dampening,
)
from nbhelpers.measures import (
    box_filter_response,
    divisor_periods,
    stride1_response,
)


@pytest.mark.parametrize("period", [2, 3, 4, 5, 6, 8])
@pytest.mark.parametrize("size", range(1, 13))
def test_stride1_response_is_zero_exactly_when_period_divides_size(period, size):
    gain = stride1_response(period, size)
    if size % period == 0:
        assert gain == 0.0
    elif size == 1:
        assert gain == pytest.approx(1.0)
    else:
        assert 0.0 < gain < 1.0


def test_stride1_response_matches_the_dft_of_a_box():
    for period in (2, 4, 8):
        for size in range(1, 7):
            for harmonic in range(1, period):
                t = torch.arange(size, dtype=torch.float64)
                dft = torch.exp(-2j * math.pi * harmonic / period * t).sum().abs().item() / size
                assert stride1_response(period, size, harmonic) == pytest.approx(dft, abs=1e-12)


def test_box_filter_response_agrees_with_stride1_response_and_is_one_at_dc():
    freqs = torch.tensor([0.0, 1 / 8, 1 / 4, 1 / 2])
    for m in range(1, 7):
        curve = box_filter_response(m, freqs)
        assert curve[0].item() == 1.0
        for f, value in zip((8, 4, 2), curve[1:].tolist()):
            assert value == pytest.approx(stride1_response(f, m), abs=1e-12)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: stride1_response(1, 2), "period"),
        (lambda: stride1_response(2, 0), "size"),
        (lambda: stride1_response(4, 2, harmonic=4), "harmonic"),
        (lambda: box_filter_response(0, [0.1]), "size"),
        (lambda: stack_layers(3, 2, final_size=0), "final_size"),
        (lambda: stack_response(3, 2, weights="learned"), "weights"),
        (lambda: stack_response(3, 2, length=5), "length"),
        (lambda: stride1_dampening(3, [2, 2], periods=[3]), "periods"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_bad_types_raise_type_error():
    with pytest.raises(TypeError, match="period"):
        stride1_response(2.5, 2)
    with pytest.raises(TypeError, match="kernel_sizes"):
        stack_response("3", 2)


def test_divisor_periods():
    assert divisor_periods(8) == [2, 4, 8]
    assert divisor_periods(12) == [2, 3, 4, 6, 12]
    assert divisor_periods(1) == []


def _coverage_by_loops(kernel_sizes, strides, n_in):
    """Coverage written with Python loops (independent of the library): paths through the stack."""
    line = [1] * n_in
    for k, s in zip(kernel_sizes, strides):
        out = [0] * ((len(line) - 1) * s + k)
        for i, value in enumerate(line):
            for t in range(k):
                out[i * s + t] += value
        line = out
    return line


def test_stack_response_ones_is_the_periodic_coverage_counted_by_hand():
    for layers in (1, 2, 3):
        period = 2**layers
        line = stack_response(3, [2] * layers, length=16, device="cpu")
        full = _coverage_by_loops([3] * layers, [2] * layers, 40)
        # the interior is periodic; find where the library's window sits in the full count
        window = [int(v) for v in line.tolist()]
        starts = [j for j in range(len(full) - 16) if full[j : j + 16] == window and j % period == 0]
        assert starts, (layers, window)
        assert len(set(window[:period])) > 1  # uneven: more than one value per period
    image = stack_response(3, [2, 2], ndim=2, length=8, device="cpu")
    assert torch.equal(image, torch.outer(image[0] / image[0, 0], image[0]))


def test_random_stack_is_seeded_and_shares_stack_weights_with_the_final_layer():
    a = stack_response(3, [2, 2], weights="random", seed=1, device="cpu")
    b = stack_response(3, [2, 2], weights="random", seed=1, device="cpu")
    c = stack_response(3, [2, 2], weights="random", seed=2, device="cpu")
    assert torch.equal(a, b) and not torch.equal(a, c)
    # a final stride-1 layer of size 1 only rescales the same stack output
    d = stack_response(3, [2, 2], final_size=1, weights="random", seed=1, device="cpu")
    ratio = d / a
    assert torch.allclose(ratio, ratio[0].expand_as(ratio))


def test_stacks_of_uneven_layers_show_every_period_and_even_stacks_are_flat():
    for depth in (2, 3):
        uneven = analyze_stack(3, [2] * depth, with_2d=True)
        assert uneven.periods == [2**j for j in range(1, depth + 1)]
        assert (uneven.indices > 0.2).all() and (uneven.indices_2d > 0.2).all()
        even = analyze_stack(4, [2] * depth, with_2d=True)
        assert even.unevenness == 1.0
        assert even.indices.abs().max().item() < 1e-9


def test_dampening_with_ones_follows_the_box_filter():
    sizes, periods = list(range(1, 7)), [2, 4, 8]
    ratios = stride1_dampening(3, [2, 2, 2], sizes=sizes, periods=periods)
    for i, m in enumerate(sizes):
        for j, p in enumerate(periods):
            if m % p == 0:
                assert ratios[i, j].item() < 1e-9
            elif m > 1:
                assert 0.05 < ratios[i, j].item() < 0.95
            if p in (2, 4):  # one harmonic pair: the ratio *is* the box filter's gain
                assert ratios[i, j].item() == pytest.approx(stride1_response(p, m), abs=1e-9)


def test_dampening_with_random_weights_leaks_where_ones_would_cancel():
    ratios = stride1_dampening(3, [2, 2], sizes=[2, 4], periods=[2, 4], weights="random", seeds=range(4))
    assert ratios[0, 0].item() > 0.1  # m=2 no longer removes period 2
    assert ratios[1, 1].item() > 0.05  # m=4 no longer removes period 4
    assert torch.isfinite(ratios).all()


def test_analyze_stack_reports_gaps():
    gaps = analyze_stack([1, 3], [2, 2])
    assert gaps.has_gaps and math.isinf(gaps.unevenness)
    assert not analyze_stack([1, 3], [2, 2], final_size=4).has_gaps
    assert analyze_stack(3, [2, 2], final_size=2).label == "k=3,s=2 x2 + m=2"
