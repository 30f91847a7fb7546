import pytest
import torch
from torch import nn

from nbhelpers.layers.cost import count_flops, input_footprint, time_forward_backward
from nbhelpers.layers.models import autoencoder, count_parameters
from nbhelpers.layers.upsampling import Blur2d, ResizeConv2d, SubPixelConv2d, deconvolution


def test_flops_of_single_layers_match_hand_counts():
    # Conv2d 3->4, 3x3 on 5x6 with padding 1: 30 outputs * 4 channels * (3*9) MACs, + bias adds
    conv = nn.Conv2d(3, 4, 3, padding=1)
    assert count_flops(conv, (1, 3, 5, 6)) == 2 * 30 * 4 * 27 + 30 * 4
    assert count_flops(nn.Conv2d(3, 4, 3, padding=1, bias=False), (1, 3, 5, 6)) == 2 * 30 * 4 * 27
    # ConvTranspose2d scatters each input value into k*k*c_out outputs
    deconv = deconvolution(3, 2, 3, 2)
    assert count_flops(deconv, (1, 3, 4, 4)) == 2 * (3 * 16) * 2 * 9 + 2 * 8 * 8
    assert count_flops(nn.Linear(5, 7), (1, 5)) == 2 * 35 + 7
    assert count_flops(Blur2d(2), (1, 3, 4, 4)) == 3 * 16 * 4
    assert count_flops(nn.ReLU(), (1, 3, 4, 4)) == 0
    assert count_flops(conv, (3, 3, 5, 6)) == 3 * count_flops(conv, (1, 3, 5, 6))  # the whole batch


def test_resize_and_sub_pixel_cost_the_same_at_the_same_kernel_but_differ_in_parameters():
    for s in (2, 3):
        resize, sub = ResizeConv2d(8, 4, s), SubPixelConv2d(8, 4, s)
        assert count_flops(resize, (1, 8, 6, 6)) == count_flops(sub, (1, 8, 6, 6))
        assert count_parameters(sub) == s * s * count_parameters(resize)


def test_per_layer_counts_add_up_and_name_the_layers():
    model = autoencoder("subpixel_icnr_blur")
    per_layer = count_flops(model, (1, 3, 32, 32), per_layer=True)
    assert sum(per_layer.values()) == count_flops(model, (1, 3, 32, 32))
    assert "decoder.layers.0.conv" in per_layer and "decoder.layers.2.blur" in per_layer
    assert model.training  # restored


def test_input_footprint_of_resize_convolution_shrinks_with_the_scale():
    torch.manual_seed(0)
    assert input_footprint(SubPixelConv2d(2, 2, 4, icnr=False), 2, 4) == (3, 3)
    assert input_footprint(ResizeConv2d(2, 2, 2), 2, 2) == (2, 2)
    assert input_footprint(ResizeConv2d(2, 2, 4), 2, 4) == (1, 2)
    assert input_footprint(ResizeConv2d(2, 2, 4, kernel_size=9), 2, 4) == (3, 3)
    with pytest.raises(ValueError, match="scale"):
        input_footprint(ResizeConv2d(2, 2, 2), 2, 3)


def test_time_forward_backward_returns_a_positive_duration_and_clears_gradients():
    layer = nn.Conv2d(2, 2, 3)
    seconds = time_forward_backward(layer, (2, 2, 8, 8), repeats=3, warmup=1)
    assert 0 < seconds < 5
    assert layer.weight.grad is None


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: count_flops("model", (1, 3, 4, 4)), TypeError, "model"),
        (lambda: count_flops(nn.Conv2d(1, 1, 1), (1,)), ValueError, "input_shape"),
        (lambda: count_flops(nn.Conv2d(1, 1, 1), (1, 1, 0, 2)), ValueError, r"input_shape\[2\]"),
        (lambda: time_forward_backward(nn.Conv2d(1, 1, 1), (1, 1, 2, 2), repeats=0), ValueError, "repeats"),
        (lambda: input_footprint(nn.Conv2d(1, 1, 1), 0, 2), ValueError, "c_in"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(call, exc, word):
    with pytest.raises(exc, match=word):
        call()
