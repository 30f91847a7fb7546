import pytest
import torch
from torch import nn

from nbhelpers.layers.models import autoencoder
from nbhelpers.layers.registry import (
    UPSAMPLER_DESCRIPTIONS,
    UPSAMPLERS,
    make_upsampler,
    register_upsampler,
)
from nbhelpers.layers.upsampling import Blur2d, ResizeConv2d, SubPixelConv2d, deconvolution, icnr_
from nbhelpers.measures import checkerboard_amplitude, checkerboard_index, polyphase_means


@pytest.mark.parametrize("kind", list(UPSAMPLERS))
@pytest.mark.parametrize("scale", [2, 3])
@pytest.mark.parametrize("size", [(5, 7), (6, 8)])
def test_every_kind_multiplies_odd_and_even_sizes_by_the_scale(kind, scale, size):
    layer = make_upsampler(kind, 4, 3, scale)
    out = layer(torch.rand(2, 4, *size))
    assert out.shape == (2, 3, scale * size[0], scale * size[1])


def test_every_kind_has_a_description_and_builds_an_autoencoder():
    assert set(UPSAMPLER_DESCRIPTIONS) == set(UPSAMPLERS)
    for kind in UPSAMPLERS:
        assert autoencoder(kind)(torch.rand(1, 3, 16, 16)).shape == (1, 3, 16, 16)


def test_deconvolution_padding_gives_exact_scale_and_matches_notebook_03():
    layer = deconvolution(2, 3, 3, 2)
    assert (layer.padding, layer.output_padding, layer.stride) == ((1, 1), (1, 1), (2, 2))
    assert deconvolution(2, 3, 4, 2).padding == (1, 1) and deconvolution(2, 3, 4, 2).output_padding == (0, 0)
    for k, s in [(3, 4), (5, 2), (8, 4), (2, 3)]:
        assert deconvolution(1, 1, k, s)(torch.rand(1, 1, 5, 5)).shape[-1] == 5 * s


def _fresh_icnr(c_in=4, c_out=3, scale=2, **kw):
    torch.manual_seed(0)
    return SubPixelConv2d(c_in, c_out, scale, **kw)


@pytest.mark.parametrize("scale", [2, 3])
def test_icnr_makes_every_output_phase_identical(scale):
    layer = _fresh_icnr(scale=scale)
    x = torch.randn(2, 4, 5, 6)  # any input, not only a smooth one
    out = layer(x)
    blocks = out.unflatten(-2, (5, scale)).unflatten(-1, (6, scale))  # (N, C, 5, s, 6, s)
    assert torch.allclose(blocks, blocks[:, :, :, :1, :, :1].expand_as(blocks), atol=1e-6)
    assert checkerboard_index(out, scale, ndim=2, reduce="none").max() < 1e-6
    means = polyphase_means(out, scale, ndim=2)
    assert torch.allclose(means, means[..., :1, :1].expand_as(means), atol=1e-6)


def test_without_icnr_a_fresh_sub_pixel_layer_paints_a_checkerboard():
    layer = _fresh_icnr(icnr=False)
    out = layer(torch.full((1, 4, 8, 8), 0.5))
    assert checkerboard_index(out[..., 2:-2, 2:-2], 2, ndim=2).item() > 0.1


@pytest.mark.parametrize("padding_mode", ["zeros", "replicate"])
def test_icnr_equals_nearest_resize_convolution_sharing_its_weights(padding_mode):
    # sub-pixel + ICNR = conv(W0) then nearest resize = nearest resize then conv(W0 dilated by s)
    s, k = 2, 3
    layer = _fresh_icnr(scale=s, kernel_size=k, padding_mode=padding_mode)
    w0 = layer.conv.weight[::s * s]  # the shared sub-kernel, (c_out, c_in, k, k)
    b0 = layer.conv.bias[::s * s]
    x = torch.randn(2, 4, 5, 7)
    conv_then_resize = nn.functional.interpolate(
        nn.functional.conv2d(nn.functional.pad(x, (1,) * 4, mode="constant" if padding_mode == "zeros"
                                               else padding_mode), w0, b0), scale_factor=s, mode="nearest")
    resize = ResizeConv2d(4, 3, s, "nearest", kernel_size=k, padding_mode=padding_mode)
    up = nn.functional.interpolate(x, scale_factor=s, mode="nearest")
    pad = s * (k // 2)
    up = nn.functional.pad(up, (pad,) * 4, mode="constant" if padding_mode == "zeros" else padding_mode)
    resize_then_dilated = nn.functional.conv2d(up, w0, b0, dilation=s)
    out = layer(x)
    assert resize.mode == "nearest"
    assert torch.allclose(out, conv_then_resize, atol=1e-5)
    assert torch.allclose(out, resize_then_dilated, atol=1e-5)


def test_icnr_init_copies_one_kernel_in_pixel_shuffle_order():
    w = torch.empty(3 * 4, 2, 3, 3)
    icnr_(w, 2, init=lambda t: nn.init.normal_(t, generator=torch.Generator().manual_seed(0)))
    groups = w.view(3, 4, 2, 3, 3)
    assert torch.equal(groups, groups[:, :1].expand_as(groups))
    assert not torch.equal(groups[0], groups[1])


def test_nearest_resize_convolution_and_icnr_have_equal_flat_phases_and_no_border_with_reflect():
    torch.manual_seed(0)
    for layer in (ResizeConv2d(3, 2), ResizeConv2d(3, 2, mode="bilinear"), SubPixelConv2d(3, 2)):
        out = layer(torch.full((1, 3, 5, 5), 0.7))
        assert torch.allclose(out, out[..., :1, :1].expand_as(out), atol=1e-6)
    zeros = ResizeConv2d(3, 2, padding_mode="zeros")(torch.full((1, 3, 5, 5), 0.7))
    assert not torch.allclose(zeros, zeros[..., 5:6, 5:6].expand_as(zeros), atol=1e-3)


def test_blur_removes_a_period_s_pattern_and_keeps_constants():
    pattern = torch.tensor([[1.0, -1.0], [-1.0, 3.0]]).repeat(4, 4).view(1, 1, 8, 8) + 2.0
    out = Blur2d(2)(pattern)
    assert out.shape == pattern.shape
    assert torch.allclose(out[..., 1:, 1:], torch.full_like(out[..., 1:, 1:], 2.5))
    assert torch.equal(Blur2d(1)(pattern), pattern)
    # a random (non-ICNR) sub-pixel layer paints a checkerboard on a flat input; the blur removes it
    torch.manual_seed(0)
    plain, blurred = SubPixelConv2d(4, 3, icnr=False), SubPixelConv2d(4, 3, icnr=False, blur=True)
    blurred.load_state_dict(plain.state_dict())
    flat = torch.full((1, 4, 8, 8), 0.5)
    assert checkerboard_amplitude(plain(flat)[..., 2:-2, 2:-2], 2, ndim=2).min() > 1e-3
    assert checkerboard_amplitude(blurred(flat)[..., 2:-2, 2:-2], 2, ndim=2).max() < 1e-6


def test_resize_convolution_keeps_the_old_defaults():
    layer = ResizeConv2d(3, 2)
    assert (layer.scale, layer.mode, layer.padding_mode, layer.pad) == (2, "nearest", "reflect", 1)
    assert ResizeConv2d(3, 2, 4, "bilinear").scale == 4


def test_register_upsampler_accepts_three_and_two_argument_factories():
    try:
        register_upsampler("test_three", lambda cin, cout, s: ResizeConv2d(cin, cout, s))
        register_upsampler("test_two", lambda cin, cout: ResizeConv2d(cin, cout, 2))
        assert make_upsampler("test_three", 2, 3, 3)(torch.rand(1, 2, 4, 4)).shape == (1, 3, 12, 12)
        assert make_upsampler("test_two", 2, 3)(torch.rand(1, 2, 4, 4)).shape == (1, 3, 8, 8)
        with pytest.raises(ValueError, match="scale=2"):
            make_upsampler("test_two", 2, 3, 3)
    finally:
        UPSAMPLERS.pop("test_three", None)
        UPSAMPLERS.pop("test_two", None)


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: make_upsampler("deconv5", 1, 1), ValueError, "kind"),
        (lambda: make_upsampler("nearest", 0, 1), ValueError, "c_in"),
        (lambda: make_upsampler("nearest", 1, 1, 0), ValueError, "scale"),
        (lambda: ResizeConv2d(1, 1, "nearest"), TypeError, "scale"),
        (lambda: ResizeConv2d(1, 1, mode="bicubic"), ValueError, "mode"),
        (lambda: ResizeConv2d(1, 1, kernel_size=4), ValueError, "kernel_size"),
        (lambda: ResizeConv2d(1, 1, padding_mode="circular"), ValueError, "padding_mode"),
        (lambda: SubPixelConv2d(1, 0), ValueError, "c_out"),
        (lambda: SubPixelConv2d(1, 1, icnr="yes"), TypeError, "icnr"),
        (lambda: SubPixelConv2d(1, 1, kernel_size=2), ValueError, "kernel_size"),
        (lambda: Blur2d(0), ValueError, "kernel_size"),
        (lambda: deconvolution(1, 1, 4, 1), ValueError, "kernel_size"),
        (lambda: icnr_(torch.zeros(3, 1, 3, 3), 2), ValueError, "weight"),
        (lambda: register_upsampler("x", 3), TypeError, "factory"),
        (lambda: register_upsampler("nearest", lambda a, b, c: None), ValueError, "already exists"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(call, exc, word):
    with pytest.raises(exc, match=word):
        call()
