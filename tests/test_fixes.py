import math

import pytest
import torch
from torch import nn

from nbhelpers.fixes import (
    batch_period_floor,
    batch_period_index,
    border_errors,
    error_by_border_distance,
    evaluate_reconstruction,
    flat_border_deviation,
    format_table,
    image_quality,
    random_generator_indices,
    ring_mask,
)
from nbhelpers.layers import ResizeConv2d
from nbhelpers.metrics import checkerboard_index
from nbhelpers.models import staged_generator


def _pattern(period, values):
    return torch.tensor(values, dtype=torch.float32).view(period, period)


def test_exact_period_indices_add_up_to_the_batch_index():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(16, 1, 32, 32, generator=gen)
    x = x + 0.5 * _pattern(2, [[1, 0], [0, 0]]).repeat(16, 16)
    x = x + 0.3 * _pattern(4, [[1, 0, 0, 0]] + [[0] * 4] * 3).repeat(8, 8)
    total = batch_period_index(x, 2) ** 2 + batch_period_index(x, 4) ** 2
    assert total == pytest.approx(checkerboard_index(x, 4, reduce="batch").item() ** 2, rel=1e-4)
    # the period-2 part has no period-4 energy and vice versa
    only2 = _pattern(2, [[1, -1], [-1, 1]]).repeat(16, 16).expand(4, 3, 32, 32)
    assert batch_period_index(only2, 4) < 1e-6 and batch_period_index(only2, 2) == pytest.approx(1.0)


def test_batch_averaging_cancels_content_down_to_the_floor():
    gen = torch.Generator().manual_seed(1)
    noise = torch.randn(64, 3, 32, 32, generator=gen)
    for p in (2, 4, 8):
        floor = batch_period_floor((32, 32), p, 64)
        value = batch_period_index(noise, p)
        assert 0.5 * floor < value < 2 * floor
    assert batch_period_floor((32, 32), 2, 1) == pytest.approx(math.sqrt(3 / 1023))
    assert batch_period_floor((40, 40), 2, 4, border=4) == pytest.approx(math.sqrt(3 / 1023 / 4))


def test_border_crop_removes_a_shared_frame():
    x = torch.zeros(8, 1, 32, 32)
    x[..., :2, :] = 1.0  # a frame every image shares, no interior pattern
    x = x + torch.randn(8, 1, 32, 32, generator=torch.Generator().manual_seed(0)) * 1e-3
    assert batch_period_index(x, 8) > 0.1
    # what is left is the noise, at its floor
    assert batch_period_index(x, 8, border=4) < 2 * batch_period_floor((32, 32), 8, 8, border=4)


def test_random_generators_follow_the_article_pattern():
    periods = (2, 4, 8)
    last_two = random_generator_indices(lambda: staged_generator(("nearest", "deconv3", "deconv3")),
                                        periods, seeds=(0, 1), n_codes=32)
    none = random_generator_indices(lambda: staged_generator(("nearest",) * 3), periods, seeds=(0, 1),
                                    n_codes=32)
    assert last_two.shape == (2, 3)
    assert (last_two[:, :2] > 5 * none[:, :2]).all()
    again = random_generator_indices(lambda: staged_generator(("nearest",) * 3), periods, seeds=(0, 1),
                                     n_codes=32)
    assert torch.equal(none, again)


def test_staged_generator_shapes_and_errors():
    gen = staged_generator(("deconv3", "nearest", "subpixel_icnr"), code_dim=5, base=4)
    assert gen(torch.randn(2, 5)).shape == (2, 3, 32, 32)
    with pytest.raises(ValueError, match="stage_kinds"):
        staged_generator(("deconv3",), channels=(8, 8))
    with pytest.raises(ValueError, match=r"kind\[1\]"):
        staged_generator(("deconv3", "bicubic", "nearest"))


def test_image_quality_matches_known_values():
    t = torch.full((2, 3, 16, 16), 0.5)
    o = t + 0.1  # mse 0.01 -> 20 dB
    q = image_quality(t, o)
    assert q["psnr"] == pytest.approx(20.0, abs=1e-4)
    assert image_quality(t, t)["ssim"] == pytest.approx(1.0)
    clipped = image_quality(t, torch.full_like(t, 2.0))  # outputs clipped to 1: mse 0.25
    assert clipped["psnr"] == pytest.approx(6.0206, abs=1e-3)


def test_evaluate_reconstruction_of_the_identity():
    x = torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    e = evaluate_reconstruction(nn.Identity(), x)
    assert e.ssim == pytest.approx(1.0) and e.psnr > 100
    assert e.index == pytest.approx(checkerboard_index(x, 2, reduce="batch").item())


def test_ring_and_border_errors():
    mask = ring_mask((6, 8), 2)
    assert mask.sum() == 6 * 8 - 2 * 4
    t = torch.zeros(1, 1, 8, 8)
    o = torch.zeros(1, 1, 8, 8)
    o[..., 0, :] = 1.0
    errs = border_errors(o, t, width=1)
    assert errs["interior"] == 0 and errs["ring"] == pytest.approx(8 / 28) and errs["ratio"] == math.inf
    profile = error_by_border_distance(o, t)
    assert profile.shape == (4,) and profile[0] == pytest.approx(8 / 28) and profile[1:].abs().max() == 0


def test_flat_border_deviation_zero_for_reflect_not_for_zeros():
    torch.manual_seed(0)
    assert flat_border_deviation(ResizeConv2d(3, 2), 3).abs().max() < 1e-6
    zeros = flat_border_deviation(ResizeConv2d(3, 2, padding_mode="zeros"), 3)
    assert zeros.shape == (8,) and zeros[0] > 0.01 and zeros[2:].abs().max() < 1e-6


def test_format_table_aligns_columns():
    text = format_table([["a", 1.23456, 3], ["bb", 2.0, 40]], ["kind", "x", "n"], digits=3)
    lines = text.splitlines()
    assert lines[0].startswith("kind") and "1.23" in lines[2] and lines[3].endswith("40")
    assert len({len(line) for line in lines}) == 1
    text = format_table([["a", "long text", 1.0], ["b", "x", 10.0]], ["k", "what", "v"])
    assert "x        " in text.splitlines()[3] and text.splitlines()[2].endswith(" 1")
    with pytest.raises(ValueError, match=r"rows\[0\]"):
        format_table([["a"]], ["x", "y"])


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: batch_period_index(torch.zeros(2, 8, 8), 2), ValueError, "images"),
        (lambda: batch_period_index(torch.zeros(2, 1, 8, 8), 2, border=4), ValueError, "border"),
        (lambda: batch_period_index(torch.zeros(2, 1, 8, 8), 1), ValueError, "period"),
        (lambda: batch_period_floor((8,), 2, 1), ValueError, "shape"),
        (lambda: batch_period_floor((8, 8), 2, 0), ValueError, "batch"),
        (lambda: image_quality(torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 8, 9)), ValueError, "outputs"),
        (lambda: image_quality(torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4)), ValueError, "7x7"),
        (lambda: ring_mask((4, 4), 2), ValueError, "width"),
        (lambda: random_generator_indices(lambda: None, periods=(1,)), ValueError, "periods"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(call, exc, word):
    with pytest.raises(exc, match=word):
        call()
