import warnings

import pytest
import torch
from torch import nn

from nbhelpers.audit.fix import replace_upsampling
from nbhelpers.audit.measure import audit
from nbhelpers.layers.convert import MatchLength, replacement_for
from nbhelpers.layers.upsampling import ResizeConv1d, ResizeConv2d, SubPixelConv1d, SubPixelConv2d
from nbhelpers.layers.zoo import ZOO


@pytest.mark.parametrize("kind", ["resize", "subpixel_icnr"])
@pytest.mark.parametrize("name", list(ZOO))
def test_zoo_models_keep_their_output_shape(name, kind):
    entry = ZOO[name]
    torch.manual_seed(0)
    model = entry.factory().eval()
    converted = replace_upsampling(model, kind).eval()
    x = torch.randn(2, *entry.input_shape[1:])
    with torch.no_grad():
        assert converted(x).shape == model(x).shape
    assert not any(isinstance(m, (nn.ConvTranspose1d, nn.ConvTranspose2d)) and max(m.stride) > 1
                   for m in converted.modules())
    assert any(isinstance(m, (nn.ConvTranspose1d, nn.ConvTranspose2d)) for m in model.modules()) \
        or name in ("espcn", "srgan", "latent_decoder")  # the original is untouched


@pytest.mark.parametrize("kind", ["resize", "subpixel_icnr"])
def test_conversion_lowers_the_measured_index(kind):
    for name in ("dcgan", "resnet", "wavegan"):
        entry = ZOO[name]
        torch.manual_seed(1)
        model = entry.factory()
        before = audit(model, entry.input_shape, periods=[2, 4])
        after = audit(replace_upsampling(model, kind), entry.input_shape, periods=[2, 4])
        for p in (2, 4):
            assert after.output_index[p] < 0.3 * before.output_index[p], (name, p)


@pytest.mark.parametrize("k, s, p, q", [(3, 2, 1, 1), (4, 2, 1, 0), (2, 2, 0, 0), (5, 2, 2, 1), (4, 2, 0, 0),
                                        (3, 2, 0, 0), (6, 3, 1, 0)])
@pytest.mark.parametrize("kind", ["resize", "subpixel_icnr"])
def test_any_padding_matches_the_transposed_convolution_shape(k, s, p, q, kind):
    for ndim, layer in ((2, nn.ConvTranspose2d(3, 5, k, s, p, q)), (1, nn.ConvTranspose1d(3, 5, k, s, p, q))):
        x = torch.randn(2, 3, *([7] * ndim))
        new = replacement_for(layer, kind)
        assert new(x).shape == layer(x).shape
        if (k - s - 2 * p + q) != 0:
            assert isinstance(new, MatchLength)


def test_replacement_types_and_constant_inputs():
    layer = nn.ConvTranspose2d(4, 2, 4, 2, 1)
    assert isinstance(replacement_for(layer, "resize"), ResizeConv2d)
    assert isinstance(replacement_for(layer, "subpixel_icnr"), SubPixelConv2d)
    line = nn.ConvTranspose1d(4, 2, 25, 4, 11, 1)
    assert isinstance(replacement_for(line, "resize"), ResizeConv1d)
    sub = replacement_for(line, "subpixel_icnr")
    assert isinstance(sub, SubPixelConv1d) and sub.conv.kernel_size == (7,)
    y = sub(torch.ones(1, 4, 10))
    assert torch.allclose(y, y[..., :1].expand_as(y), atol=1e-6)  # ICNR: a constant stays constant


def test_unsupported_layers_are_kept_with_a_warning():
    model = nn.Sequential(nn.ConvTranspose2d(4, 4, 3, (2, 1), 1))
    with pytest.warns(UserWarning, match="kept 0 .*strides \\(2, 1\\) differ by axis"):
        converted = replace_upsampling(model)
    assert isinstance(converted[0], nn.ConvTranspose2d)
    with pytest.warns(UserWarning, match="dilation"):
        replace_upsampling(nn.Sequential(nn.ConvTranspose2d(4, 4, 3, 2, 1, dilation=2)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        replace_upsampling(nn.Sequential(nn.ConvTranspose2d(4, 4, 4, 1, 0)))  # stride 1: nothing to do


def test_bad_input():
    with pytest.raises(TypeError, match="nn.Module"):
        replace_upsampling("model")
    with pytest.raises(ValueError, match="kind"):
        replace_upsampling(nn.Sequential(), kind="bilinear_magic")


def test_subpixel_1d_interleaves_like_pixel_shuffle():
    layer = SubPixelConv1d(1, 1, scale=3, kernel_size=1, icnr=False, padding_mode="zeros")
    with torch.no_grad():
        layer.conv.weight.copy_(torch.tensor([1.0, 10.0, 100.0]).view(3, 1, 1))
        layer.conv.bias.zero_()
    y = layer(torch.tensor([[[1.0, 2.0]]]))
    assert y.flatten().tolist() == [1.0, 10.0, 100.0, 2.0, 20.0, 200.0]
    resize = ResizeConv1d(2, 3, scale=4, mode="linear", kernel_size=5)
    assert resize(torch.randn(1, 2, 6)).shape == (1, 3, 24)
    with pytest.raises(ValueError, match="kernel_size"):
        ResizeConv1d(2, 3, kernel_size=4)
    with pytest.raises(TypeError, match="icnr"):
        SubPixelConv1d(2, 3, icnr="yes")
