"""Artifacts before training, reconstruction quality, borders and text tables (notebook 05)."""


import pytest
import torch
from torch import nn

from nbhelpers.experiments.borders import error_by_border_distance, flat_border_deviation
from nbhelpers.experiments.learning import evaluate_reconstruction
from nbhelpers.experiments.random_layers import random_generator_indices
from nbhelpers.layers.models import staged_generator
from nbhelpers.layers.upsampling import ResizeConv2d
from nbhelpers.measures import checkerboard_index, image_quality
from nbhelpers.plots.tables import format_table


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
    assert e.index == pytest.approx(checkerboard_index(x, 2, ndim=2, reduce="batch").item())


def test_error_by_border_distance():
    t = torch.zeros(1, 1, 8, 8)
    o = torch.zeros(1, 1, 8, 8)
    o[..., 0, :] = 1.0
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
        (lambda: image_quality(torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 8, 9)), ValueError, "outputs"),
        (lambda: image_quality(torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4)), ValueError, "7x7"),
        (lambda: random_generator_indices(lambda: None, periods=(1,)), ValueError, "periods"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(call, exc, word):
    with pytest.raises(exc, match=word):
        call()
