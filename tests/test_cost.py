import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from nbhelpers.layers.cost import count_flops, input_footprint, time_forward_backward
from nbhelpers.layers.models import audio_upsampler, autoencoder, count_parameters
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


def _flop_counter(model, shape):
    """FLOPs by torch's own FlopCounterMode (2 per multiply-add, no bias, no pooling)."""
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model.eval()(torch.zeros(*shape))
    return counter.get_total_flops()


def _bias_adds(model, shape):
    """One add per output value of every module with a bias (forward hooks, independent of count_flops)."""
    adds = []
    hooks = [m.register_forward_hook(lambda mod, inputs, out: adds.append(out.numel()))
             for m in model.modules() if isinstance(getattr(m, "bias", None), torch.Tensor)]
    with torch.no_grad():
        model.eval()(torch.zeros(*shape))
    for hook in hooks:
        hook.remove()
    return sum(adds)


def _agrees(model, shape, tolerance=0.02):
    ours, reference = count_flops(model, shape), _flop_counter(model, shape) + _bias_adds(model, shape)
    assert reference > 0 and abs(ours / reference - 1) <= tolerance, (ours, reference)
    return ours, reference


def test_1d_models_are_counted_and_agree_with_torchs_flop_counter():
    torch.manual_seed(0)
    stack = nn.Sequential(nn.Conv1d(1, 32, 9, padding=4), nn.ReLU(), nn.ConvTranspose1d(32, 32, 4, 2, 1),
                          nn.ReLU(), nn.ConvTranspose1d(32, 16, 4, 2, 1), nn.ReLU(),
                          nn.Conv1d(16, 1, 9, padding=4))
    ours, reference = _agrees(stack, (2, 1, 512))
    assert ours == reference  # exactly: the same MACs, plus the bias adds that FlopCounterMode leaves out
    for kind in ("transposed", "subpixel", "nearest", "linear"):
        _agrees(audio_upsampler(kind), (1, 1, 256))
    bias_free = nn.Sequential(nn.ConvTranspose1d(4, 8, 5, 3, groups=2, bias=False),
                              nn.Conv1d(8, 4, 3, groups=4, bias=False))
    assert count_flops(bias_free, (1, 4, 20)) == _flop_counter(bias_free, (1, 4, 20)) > 0  # no bias here
    # by hand: Conv1d 3->4, k=3, 10 outputs (+ bias); ConvTranspose1d: 3*10 inputs into 2*3 outputs each
    assert count_flops(nn.Conv1d(3, 4, 3, padding=1), (1, 3, 10)) == 2 * 10 * 4 * 9 + 10 * 4
    assert count_flops(nn.ConvTranspose1d(3, 2, 3, 2), (1, 3, 10)) == 2 * 30 * 2 * 3 + 2 * 21


def test_2d_and_3d_models_agree_with_torchs_flop_counter():
    for kind in ("deconv3", "nearest", "subpixel_icnr"):  # transposed, resize-conv and sub-pixel decoders
        _agrees(autoencoder(kind), (2, 3, 32, 32))
    grouped = nn.Sequential(nn.ConvTranspose2d(8, 8, 3, 2, 1, 1, groups=2), nn.ReLU(),
                            nn.Conv2d(8, 3, 3, padding=1))
    _agrees(grouped, (1, 8, 9, 7))
    _agrees(nn.Sequential(nn.Conv3d(2, 4, 3, padding=1), nn.ConvTranspose3d(4, 2, 2, 2)), (1, 2, 4, 5, 6))


class _Functional(nn.Module):
    """Functional calls in forward: (N, 4, 16) -> conv_transpose1d -> conv2d -> interpolate ->
    conv_transpose2d -> linear -> (N, 10); plus a Conv1d child and a child making one functional call."""

    def __init__(self):
        super().__init__()
        gen = torch.Generator().manual_seed(0)
        self.pre = nn.Conv1d(4, 4, 3, padding=1)
        self.w1 = nn.Parameter(torch.randn(4, 8, 4, generator=gen) / 8)  # (c_in, c_out, k)
        self.w2 = nn.Parameter(torch.randn(8, 8, 3, 3, generator=gen) / 8)  # (c_out, c_in, k, k)
        self.b2 = nn.Parameter(torch.zeros(8))
        self.w3 = nn.Parameter(torch.randn(8, 4, 4, 4, generator=gen) / 8)
        self.head = _Head()

    def forward(self, x):
        y = F.relu(F.conv_transpose1d(self.pre(x), self.w1, stride=2, padding=1))  # (N, 8, 32)
        y = F.conv2d(y.reshape(-1, 8, 4, 8), self.w2, self.b2, padding=1)  # (N, 8, 4, 8)
        y = F.interpolate(y, scale_factor=2)  # (N, 8, 8, 16): free
        y = F.conv_transpose2d(y, self.w3, stride=2, padding=1)  # (N, 4, 16, 32)
        return self.head(y.flatten(1))


class _Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(10, 4 * 16 * 32))
        self.bias = nn.Parameter(torch.zeros(10))

    def forward(self, x):
        return F.linear(x, self.weight, self.bias) + x[:, :10] @ torch.eye(10)  # linear, then a matmul


def test_functional_calls_are_counted_named_and_agree_with_torchs_flop_counter():
    model, n = _Functional(), 3
    per_layer = count_flops(model, (n, 4, 16), per_layer=True)
    # FlopCounterMode counts no bias: add it here, by hand (pre: N*4*16, conv2d: N*8*4*8, linear: N*10)
    reference = _flop_counter(model, (n, 4, 16)) + n * (4 * 16 + 8 * 4 * 8 + 10)
    assert sum(per_layer.values()) == count_flops(model, (n, 4, 16)) == reference
    assert list(per_layer) == ["pre", "conv_transpose1d()", "conv2d()", "conv_transpose2d()", "head.linear()",
                               "head.matmul()"]
    assert per_layer["conv_transpose1d()"] == 2 * (n * 4 * 16) * 8 * 4  # every input value into 8 * 4 outputs
    assert per_layer["conv2d()"] == 2 * (n * 8 * 4 * 8) * 8 * 9 + n * 8 * 4 * 8
    assert per_layer["head.linear()"] == 2 * n * 10 * 2048 + n * 10
    assert per_layer["head.matmul()"] == 2 * n * 10 * 10
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())  # hooks removed
    assert count_flops(nn.Conv2d(1, 1, 1), (1, 1, 2, 2), per_layer=True) == {"Conv2d": 2 * 4 + 4}  # the model


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
