import pytest
import torch
from torch import nn

from nbhelpers.experiments.learning import flat_response
from nbhelpers.layers.models import (
    MODELS,
    CodeDecoder,
    Decoder,
    PatchAutoencoder,
    autoencoder,
    code_decoder,
    count_parameters,
    last_upsampler,
    make_model,
)
from nbhelpers.layers.phases import phase_map, phase_sums, phase_taps
from nbhelpers.layers.registry import UPSAMPLERS, make_upsampler, register_upsampler
from nbhelpers.layers.upsampling import ResizeConv2d
from nbhelpers.measures import interior_coverage


@pytest.mark.parametrize("kind", ["deconv3", "deconv4", "nearest", "bilinear"])
def test_every_upsampler_doubles_height_and_width(kind):
    layer = make_upsampler(kind, 5, 7)
    assert layer(torch.zeros(2, 5, 6, 9)).shape == (2, 7, 12, 18)


@pytest.mark.parametrize("kind", list(UPSAMPLERS))
def test_every_model_kind_maps_to_the_right_shape(kind):
    assert autoencoder(kind)(torch.rand(2, 3, 32, 32)).shape == (2, 3, 32, 32)
    assert code_decoder(kind)(torch.rand(2, 10)).shape == (2, 3, 32, 32)
    assert Decoder(kind, (4,), 3)(torch.rand(1, 4, 5, 5)).shape == (1, 3, 10, 10)
    assert make_model("autoencoder", kind).kind == kind


def test_resize_convolution_of_a_constant_is_constant_everywhere():
    # reflect padding before the convolution: no border artifact, and no checkerboard
    torch.manual_seed(0)
    for mode in ("nearest", "bilinear"):
        layer = ResizeConv2d(3, 2, mode=mode)
        out = layer(torch.full((1, 3, 4, 4), 0.7))
        assert torch.allclose(out, out[..., :1, :1].expand_as(out), atol=1e-6)


def test_deconv3_has_uneven_deconv4_even_flat_response_with_ones():
    for kind, expected in (("deconv3", [[1, 2], [2, 4]]), ("deconv4", [[4, 4], [4, 4]])):
        layer = make_upsampler(kind, 1, 1)
        nn.init.ones_(layer.weight)
        sums = phase_sums(layer.weight, 2, 1)
        assert sorted(sums.flatten().tolist()) == sorted(torch.tensor(expected).flatten().tolist())
        assert torch.allclose(flat_response(layer, torch.ones(1)), sums)
    # the 1D coverage of notebook 01 is the row of the 2D phase sums
    assert sorted(len(t) for t in phase_taps(3, 2, 1)) == sorted(interior_coverage(3, 2).tolist())


def test_phase_sums_match_flat_response_for_random_weights():
    torch.manual_seed(1)
    layer = make_upsampler("deconv3", 4, 3)
    levels = torch.rand(4)
    assert torch.allclose(phase_sums(layer.weight, 2, 1, levels), flat_response(layer, levels), atol=1e-5)


def test_phase_taps_and_map():
    assert phase_taps(3, 2, 1) == [[1], [0, 2]]
    assert phase_taps(4, 2, 1) == [[1, 3], [0, 2]]
    m = phase_map(3, 2, 1)
    assert m.shape == (3, 3) and m[1, 1] == 0 and m[0, 0] == 3


def test_last_upsampler_finds_the_image_layer():
    model = autoencoder("deconv4")
    layer = last_upsampler(model)
    assert isinstance(layer, nn.ConvTranspose2d) and layer.out_channels == 3
    assert isinstance(last_upsampler(code_decoder("nearest")), ResizeConv2d)
    with pytest.raises(ValueError, match="upsampling"):
        last_upsampler(nn.Linear(2, 2))
    with pytest.raises(TypeError, match="model"):
        last_upsampler("model")


def test_register_upsampler_extends_every_model():
    name = "test_pixelshuffle"
    register_upsampler(name, lambda cin, cout: nn.Sequential(nn.Conv2d(cin, 4 * cout, 3, padding=1),
                                                             nn.PixelShuffle(2)))
    try:
        assert autoencoder(name)(torch.rand(1, 3, 16, 16)).shape == (1, 3, 16, 16)
        with pytest.raises(ValueError, match="already exists"):
            register_upsampler(name, lambda cin, cout: None)
    finally:
        UPSAMPLERS.pop(name)


def test_models_registry_and_parameter_count():
    assert set(MODELS) >= {"autoencoder", "code_decoder"}
    assert isinstance(make_model("code_decoder", "deconv3"), CodeDecoder)
    assert isinstance(make_model("autoencoder", "nearest"), PatchAutoencoder)
    assert count_parameters(nn.Linear(3, 2)) == 8


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: make_upsampler("deconv5", 1, 1), ValueError, "kind"),
        (lambda: make_upsampler("deconv3", 0, 1), ValueError, "c_in"),
        (lambda: make_model("gan", "deconv3"), ValueError, "name"),
        (lambda: ResizeConv2d(1, 1, mode="bicubic"), ValueError, "mode"),
        (lambda: ResizeConv2d(1, 1, kernel_size=4), ValueError, "kernel_size"),
        (lambda: Decoder("deconv3", ()), ValueError, "channels"),
        (lambda: PatchAutoencoder("deconv3", (8,)), ValueError, "channels"),
        (lambda: phase_sums(torch.zeros(3, 3)), ValueError, "weight"),
        (lambda: phase_sums(torch.zeros(2, 1, 3, 3), channel_weights=torch.ones(3)), ValueError,
         "channel_weights"),
        (lambda: register_upsampler("x", 3), TypeError, "factory"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(call, exc, word):
    with pytest.raises(exc, match=word):
        call()
