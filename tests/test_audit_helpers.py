"""Direct unit tests of the audit's small public helpers, each against an expectation worked out by
hand or computed another way (never by calling the helper's own building blocks):
``weight_norm_of``, ``apply_weight_norm``, ``crop_or_pad``, ``shuffle_role``, ``trace``/``Trace``
and ``bounded_index``."""

import copy
import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrizations, parametrize

from nbhelpers.audit.advice import shuffle_role
from nbhelpers.audit.measure import bounded_index
from nbhelpers.audit.tracing import Site, Trace, trace
from nbhelpers.layers.convert import apply_weight_norm, crop_or_pad, weight_norm_of


def _old_weight_norm(layer: nn.Module, **kwargs) -> nn.Module:
    with warnings.catch_warnings():  # the deprecated hook API, on purpose
        warnings.simplefilter("ignore", FutureWarning)
        return nn.utils.weight_norm(layer, **kwargs)


def _conv(seed: int = 0, transposed: bool = False) -> nn.Module:
    torch.manual_seed(seed)
    return nn.ConvTranspose2d(3, 5, 4, stride=2) if transposed else nn.Conv2d(3, 5, 3, padding=1)


class _Scale(nn.Module):
    """A parametrization that is not weight norm."""

    def forward(self, w):
        return 2 * w


# ----------------------------------------------------------------------------- weight_norm_of


def test_weight_norm_of_plain_layers_is_none():
    assert weight_norm_of(_conv()) is None
    assert weight_norm_of(nn.Linear(3, 2)) is None
    assert weight_norm_of(nn.ReLU()) is None  # no weight at all


@pytest.mark.parametrize("dim", [0, 1, 3])
def test_weight_norm_of_hook_style_reports_its_dim(dim):
    assert weight_norm_of(_old_weight_norm(_conv(), dim=dim)) == ("hook", dim)
    assert weight_norm_of(_old_weight_norm(_conv(transposed=True), dim=dim)) == ("hook", dim)


@pytest.mark.parametrize("dim", [0, 1, 3])
def test_weight_norm_of_parametrize_style_reports_its_dim(dim):
    assert weight_norm_of(parametrizations.weight_norm(_conv(), dim=dim)) == ("parametrize", dim)


@pytest.mark.parametrize("style", ["hook", "parametrize"])
def test_weight_norm_of_whole_tensor_norm_reports_a_dim_torch_reads_as_whole_tensor(style):
    layer = (_old_weight_norm(_conv(), dim=None) if style == "hook"
             else parametrizations.weight_norm(_conv(), dim=None))
    found, dim = weight_norm_of(layer)
    assert found == style
    assert dim in (None, -1)  # torch stores dim=None as -1
    # given back to torch, the reported dim gives one g for the whole tensor (a scalar)
    assert _old_weight_norm(_conv(), dim=dim).weight_g.shape == ()


def test_weight_norm_of_forgets_a_removed_norm():
    hooked = _old_weight_norm(_conv(), dim=0)
    nn.utils.remove_weight_norm(hooked)
    assert weight_norm_of(hooked) is None
    param = parametrizations.weight_norm(_conv(), dim=0)
    parametrize.remove_parametrizations(param, "weight")
    assert weight_norm_of(param) is None


def test_weight_norm_of_other_computed_weights_are_other():
    assert weight_norm_of(nn.utils.spectral_norm(_conv())) == ("other", None)
    assert weight_norm_of(parametrizations.spectral_norm(_conv())) == ("other", None)
    custom = _conv()
    parametrize.register_parametrization(custom, "weight", _Scale())
    assert weight_norm_of(custom) == ("other", None)
    chained = parametrizations.weight_norm(_conv(), dim=0)  # weight norm, then something else
    parametrize.register_parametrization(chained, "weight", _Scale())
    assert weight_norm_of(chained) == ("other", None)


def test_weight_norm_of_looks_at_the_weight_only():
    on_bias = _old_weight_norm(_conv(), name="bias", dim=0)
    assert weight_norm_of(on_bias) is None
    bias_param = _conv()
    parametrize.register_parametrization(bias_param, "bias", _Scale())
    assert weight_norm_of(bias_param) is None


# ----------------------------------------------------------------------------- apply_weight_norm


def _g_expected(w: torch.Tensor, dim: int | None) -> torch.Tensor:
    """The per-slice 2-norm weight norm starts g at, computed with numpy."""
    a = w.detach().double().numpy()
    if dim is None:
        return torch.tensor(np.sqrt((a**2).sum()))
    axes = tuple(i for i in range(a.ndim) if i != dim)
    return torch.from_numpy(np.sqrt((a**2).sum(axis=axes, keepdims=True)))


def _g_and_v(layer: nn.Module, style: str) -> tuple[nn.Parameter, nn.Parameter]:
    if style == "hook":
        return layer.weight_g, layer.weight_v
    chain = layer.parametrizations.weight
    return chain.original0, chain.original1


@pytest.mark.parametrize("style", ["hook", "parametrize"])
@pytest.mark.parametrize("dim", [0, 1, None])
def test_apply_weight_norm_keeps_the_output_and_normalises_over_dim(style, dim):
    layer = _conv(seed=1)
    x = torch.randn(2, 3, 6, 6, generator=torch.Generator().manual_seed(2))
    plain = layer(x).detach()
    normed = apply_weight_norm(copy.deepcopy(layer), style, dim)
    torch.testing.assert_close(normed(x), plain, rtol=1e-5, atol=1e-6)
    g, v = _g_and_v(normed, style)
    torch.testing.assert_close(g.detach().double(), _g_expected(layer.weight, dim), rtol=1e-5, atol=1e-7)
    with torch.no_grad():  # weight norm: the direction's scale does not matter, g's does
        v.mul_(3.0)
        torch.testing.assert_close(normed(x), plain, rtol=1e-5, atol=1e-5)
        g.mul_(2.0)
        torch.testing.assert_close(normed(x) - layer.bias.view(1, -1, 1, 1),
                                   2 * (plain - layer.bias.view(1, -1, 1, 1)), rtol=1e-5, atol=1e-5)


def test_apply_weight_norm_dim_none_means_whole_tensor_in_both_styles():
    hook = apply_weight_norm(_conv(), "hook", None)
    param = apply_weight_norm(_conv(), "parametrize", None)
    assert hook.weight_g.shape == ()
    assert param.parametrizations.weight.original0.shape == ()


@pytest.mark.parametrize("dim", [0, 1])
def test_apply_weight_norm_hook_style_can_be_removed(dim):
    layer = _conv(seed=3)
    x = torch.randn(1, 3, 5, 5, generator=torch.Generator().manual_seed(4))
    plain = layer(x).detach()
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # it silences torch's deprecation warning
        normed = apply_weight_norm(layer, "hook", dim)
    assert hasattr(normed, "weight_g") and hasattr(normed, "weight_v")
    nn.utils.remove_weight_norm(normed)
    assert not hasattr(normed, "weight_g")
    assert isinstance(normed.weight, nn.Parameter)
    torch.testing.assert_close(normed(x), plain, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dim", [0, 1])
def test_apply_weight_norm_parametrize_style_can_be_removed(dim):
    layer = _conv(seed=5, transposed=True)
    x = torch.randn(1, 3, 4, 4, generator=torch.Generator().manual_seed(6))
    plain = layer(x).detach()
    normed = apply_weight_norm(layer, "parametrize", dim)
    assert parametrize.is_parametrized(normed, "weight")
    parametrize.remove_parametrizations(normed, "weight")
    assert not parametrize.is_parametrized(normed)
    assert isinstance(normed.weight, nn.Parameter)
    torch.testing.assert_close(normed(x), plain, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("style", ["other", "spectral", ""])
def test_apply_weight_norm_rejects_unknown_styles(style):
    with pytest.raises(ValueError, match="style"):
        apply_weight_norm(_conv(), style, 0)


# ----------------------------------------------------------------------------- crop_or_pad


def _row(values) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32).view(1, 1, -1)


@pytest.mark.parametrize("target, expected", [
    (5, [0, 1, 2, 3, 4]),
    (4, [1, 2, 3, 4]),  # crop 1: the odd sample comes off the start
    (3, [1, 2, 3]),
    (2, [2, 3]),  # crop 3: 2 off the start, 1 off the end
    (6, [0, 1, 2, 3, 4, 4]),  # pad 1: the odd sample goes to the end
    (7, [0, 0, 1, 2, 3, 4, 4]),
    (8, [0, 0, 1, 2, 3, 4, 4, 4]),
])
def test_crop_or_pad_1d_by_hand(target, expected):
    out = crop_or_pad(_row(range(5)), (target,))
    assert out.tolist() == [[expected]]


def test_crop_or_pad_pads_by_more_than_the_size():
    assert crop_or_pad(_row([7, 9]), (7,)).tolist() == [[[7, 7, 7, 9, 9, 9, 9]]]


def test_crop_or_pad_same_size_is_the_input():
    y = _row(range(5))
    assert crop_or_pad(y, (5,)) is y


@pytest.mark.parametrize("target, rows, cols", [
    ((2, 6), [1, 2], [0, 0, 1, 2, 3, 3]),  # crop H by 1 (start), pad W by 2 (1 + 1)
    ((4, 3), [0, 1, 2, 2], [1, 2, 3]),  # pad H by 1 (end), crop W by 1 (start)
    ((1, 4), [1], [0, 1, 2, 3]),  # crop H by 2 (1 + 1), W kept
    ((6, 1), [0, 0, 1, 2, 2, 2], [2]),  # pad H by 3 (1 + 2), crop W by 3 (2 + 1)
])
def test_crop_or_pad_2d_by_hand_keeps_batch_and_channels(target, rows, cols):
    y = torch.arange(2 * 3 * 3 * 4, dtype=torch.float64).view(2, 3, 3, 4)
    out = crop_or_pad(y, target)
    assert out.shape == (2, 3, *target)
    for n in range(2):
        for c in range(3):
            expected = [[float(y[n, c, r, k]) for k in cols] for r in rows]
            assert out[n, c].tolist() == expected


def test_crop_or_pad_2d_small_example_written_out():
    y = torch.tensor([[0.0, 1, 2], [3, 4, 5]]).view(1, 1, 2, 3)
    assert crop_or_pad(y, (3, 2)).tolist() == [[[[1, 2], [4, 5], [4, 5]]]]
    assert crop_or_pad(y, (1, 5)).tolist() == [[[[3, 3, 4, 5, 5]]]]


# ----------------------------------------------------------------------------- shuffle_role


@pytest.mark.parametrize("repeated", [False, True])
@pytest.mark.parametrize("from_conv", [False, True])
@pytest.mark.parametrize("in_classifier", [False, True])
def test_shuffle_role_truth_table(repeated, from_conv, in_classifier):
    site = Site("s", "PixelShuffle", None, "", (4, 4), (8, 8), stride=(2, 2), repeated=repeated,
                from_conv=from_conv, in_classifier=in_classifier)
    if repeated:
        expected = "nearest"
    elif not from_conv or in_classifier:
        expected = "folding"
    else:
        expected = "upsampling"
    assert shuffle_role(site) == expected


def _shuffles(model: nn.Module, shape) -> list[Site]:
    return [s for s in trace(model, shape).sites if s.kind in ("PixelShuffle", "F.pixel_shuffle")]


def test_shuffle_role_conv_then_pixel_shuffle_is_upsampling():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 8, 3, padding=1), nn.PixelShuffle(2))
    (site,) = _shuffles(model, (1, 2, 6, 6))
    assert site.feeder is not None and site.feeder.name == "0"
    assert shuffle_role(site) == "upsampling"


class _ConvReluShuffle(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 8, 3, padding=1)

    def forward(self, x):
        return F.pixel_shuffle(torch.relu(self.conv(x)), 2)


def test_shuffle_role_functional_shuffle_after_conv_and_relu_is_upsampling():
    torch.manual_seed(0)
    (site,) = _shuffles(_ConvReluShuffle(), (1, 2, 6, 6))
    assert site.call == "F.pixel_shuffle"
    assert shuffle_role(site) == "upsampling"


class _RepeatShuffle(nn.Module):
    """Channel repeat x4 then pixel shuffle by 2: nearest upsampling written the long way."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, padding=1)

    def forward(self, x):
        return F.pixel_shuffle(self.conv(x).repeat_interleave(4, dim=1), 2)


def test_shuffle_role_channel_repeat_then_shuffle_is_nearest():
    torch.manual_seed(0)
    model = _RepeatShuffle()
    (site,) = _shuffles(model, (1, 2, 6, 6))
    assert shuffle_role(site) == "nearest"
    # the label is true: the model is exactly a nearest resize of its convolution's output
    x = torch.randn(1, 2, 6, 6, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(model(x), F.interpolate(model.conv(x), scale_factor=2, mode="nearest"))


class _PatchClassifier(nn.Module):
    """Folds 2x2 patches of channels back into space, then classifies: no convolution anywhere."""

    def __init__(self):
        super().__init__()
        self.head = nn.Linear(4 * 16 * 16, 10)

    def forward(self, x):
        return self.head(F.pixel_shuffle(x, 2).flatten(1))


def test_shuffle_role_shuffle_in_a_classifier_without_conv_is_folding():
    torch.manual_seed(0)
    (site,) = _shuffles(_PatchClassifier(), (1, 16, 8, 8))
    assert site.in_classifier and not site.from_conv
    assert shuffle_role(site) == "folding"


class _ConvShuffleClassifier(_PatchClassifier):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(16, 16, 3, padding=1)

    def forward(self, x):
        return self.head(F.pixel_shuffle(self.conv(x), 2).flatten(1))


def test_shuffle_role_shuffle_in_a_classifier_after_conv_is_folding():
    torch.manual_seed(0)
    (site,) = _shuffles(_ConvShuffleClassifier(), (1, 16, 8, 8))
    assert site.in_classifier and site.feeder is not None
    assert shuffle_role(site) == "folding"


def test_shuffle_role_shuffle_of_the_raw_input_is_folding():
    (site,) = _shuffles(nn.PixelShuffle(2), (1, 8, 4, 4))
    assert not site.in_classifier and not site.from_conv
    assert shuffle_role(site) == "folding"


# ----------------------------------------------------------------------------- trace


class _Strided(nn.Module):
    """conv s2 (k3 p1) -> F.pad 1 -> conv s2 (k3 p0) -> nearest x2 -> global average pool."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(4, 4, 3, stride=2)

    def forward(self, x):
        y = F.pad(self.conv1(x), (1, 1, 1, 1), mode="replicate")
        y = F.interpolate(self.conv2(y), scale_factor=2, mode="nearest")
        return F.adaptive_avg_pool2d(y, 1)


# sizes after conv1, F.pad, conv2, the upsampling, worked out by hand for an input of 64 and of 100:
# conv1: floor((n + 2 - 3) / 2) + 1; pad: + 2; conv2: floor((n - 3) / 2) + 1; upsample: x 2
SIZES = {64: (32, 34, 16, 32), 100: (50, 52, 25, 50)}


def _one(*values) -> tuple[Fraction, ...]:
    return tuple(Fraction(v) for v in values)


@pytest.mark.parametrize("h, w", [(64, 64), (100, 100), (64, 100)])
def test_trace_cumulative_strides_do_not_depend_on_the_input_size(h, w):
    torch.manual_seed(0)
    found = trace(_Strided(), (1, 1, h, w))
    assert isinstance(found, Trace)
    (a1, b1, c1, d1), (a2, b2, c2, d2) = SIZES[h], SIZES[w]
    assert [(s.name, s.kind, s.call) for s in found.sites] == [
        ("conv1", "Conv2d", ""), ("conv2", "Conv2d", ""),
        ("(model).forward", "F.interpolate", "F.interpolate")]
    conv1, conv2, up = found.sites
    assert (conv1.input_size, conv1.output_size) == ((h, w), (a1, a2))
    assert (conv2.input_size, conv2.output_size) == ((b1, b2), (c1, c2))
    assert (up.input_size, up.output_size) == ((c1, c2), (d1, d2))
    assert [s.stride for s in found.sites] == [(2, 2), (2, 2), (2, 2)]
    # spacing in input samples: 1 -> x2 -> (pad keeps it) -> x2 -> /2, exact, whatever h and w
    assert conv1.in_spacing == (_one(1, 1), True) and conv1.out_spacing == (_one(2, 2), True)
    assert conv2.in_spacing == (_one(2, 2), True) and conv2.out_spacing == (_one(4, 4), True)
    assert up.in_spacing == (_one(4, 4), True) and up.out_spacing == (_one(2, 2), True)
    # the global pool spans the whole map: spacing 2 x its size, from a size ratio (inexact)
    assert found.output_spacing == (_one(2 * d1, 2 * d2), False)
    assert found.output.shape == (1, 4, 1, 1)
    assert found.input_spatial
    assert not any(s.in_classifier for s in found.sites)


def test_trace_of_a_classifier_has_no_output_spacing():
    torch.manual_seed(0)
    model = nn.Sequential(_Strided(), nn.Flatten(), nn.Linear(4, 3))
    found = trace(model, (1, 1, 64, 64))
    assert found.output.shape == (1, 3)
    assert found.output_spacing is None
    assert all(s.in_classifier for s in found.sites) and len(found.sites) == 3
    assert [s.name for s in found.sites] == ["0.conv1", "0.conv2", "0.forward"]


class _Generator(nn.Module):
    """A latent vector (1, 8) -> a 2x2 map -> transposed conv s2 -> nearest x2: output 8x8."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 16)
        self.up = nn.ConvTranspose2d(4, 2, 4, stride=2, padding=1)

    def forward(self, z):
        return F.interpolate(self.up(self.fc(z).view(-1, 4, 2, 2)), scale_factor=2)


def test_trace_latent_input_starts_the_grid_at_the_first_map():
    torch.manual_seed(0)
    found = trace(_Generator(), (1, 8))
    assert not found.input_spatial
    up, resize = found.sites
    assert (up.name, up.input_size, up.output_size, up.stride) == ("up", (2, 2), (4, 4), (2, 2))
    assert up.in_spacing == (_one(1, 1), True)
    assert up.out_spacing == (_one(Fraction(1, 2), Fraction(1, 2)), True)
    assert resize.out_spacing == (_one(Fraction(1, 4), Fraction(1, 4)), True)
    assert found.output_spacing == (_one(Fraction(1, 4), Fraction(1, 4)), True)
    assert found.output.shape == (1, 2, 8, 8)


def test_trace_uses_a_seeded_input_and_removes_its_hooks():
    torch.manual_seed(0)
    model = _Strided()
    first, second = trace(model, (1, 1, 16, 16)), trace(model, (1, 1, 16, 16))
    assert torch.equal(first.output, second.output)
    for module in model.modules():
        assert not module._forward_hooks and not module._forward_pre_hooks


def test_trace_names_the_input_shape_when_the_model_fails_and_still_removes_hooks():
    model = nn.Sequential(nn.Conv2d(3, 4, 3))
    with pytest.raises(ValueError, match=r"input_shape=\(1, 3, 8\)"):
        trace(model, (1, 3, 8))
    for module in model.modules():
        assert not module._forward_hooks and not module._forward_pre_hooks


class _NoTensor(nn.Module):
    def forward(self, x):
        return {"label": "cat"}


@pytest.mark.parametrize("model, shape, error, words", [
    (_NoTensor(), (1, 3, 4, 4), ValueError, "no tensor"),
    (nn.Identity(), "1,3,4,4", TypeError, "input_shape"),
    (nn.Identity(), (1,), ValueError, "input_shape"),
    (nn.Identity(), (1, 0, 4), ValueError, r"input_shape\[1\]"),
    (nn.Identity(), (1, 2.5, 4), TypeError, r"input_shape\[1\]"),
    ("not a model", (1, 3), TypeError, "model"),
])
def test_trace_rejects_bad_inputs_clearly(model, shape, error, words):
    with pytest.raises(error, match=words):
        trace(model, shape)


# ----------------------------------------------------------------------------- bounded_index


def _index_by_hand(x: np.ndarray, p: int, ndim: int) -> float:
    """The batch checkerboard index recomputed with numpy slicing: the period-p pattern (phase means
    minus their mean) averaged over the batch, its rms over the rms over the batch of each signal's
    standard deviation, averaged over the other leading axes."""
    sizes = x.shape[-ndim:]
    x = x[(Ellipsis, *(slice(0, (n // p) * p) for n in sizes))]
    if ndim == 1:
        phases = np.stack([x[..., r::p].mean(axis=-1) for r in range(p)], axis=-1)
    else:
        phases = np.stack([np.stack([x[..., r::p, c::p].mean(axis=(-2, -1)) for c in range(p)], -1)
                           for r in range(p)], -2)
    axes = tuple(range(-ndim, 0))
    pattern = (phases - phases.mean(axis=axes, keepdims=True)).mean(axis=0)
    rms = np.sqrt((pattern**2).mean(axis=axes))
    spread = np.sqrt(x.var(axis=axes).mean(axis=0))
    return float(np.mean(rms / spread))


@pytest.mark.parametrize("shape, p, ndim", [
    ((6, 2, 30), 4, 1),  # 30 is cropped to 28
    ((5, 3, 17), 2, 1),
    ((4, 2, 12, 10), 2, 2),
    ((3, 1, 13, 14), 3, 2),
])
def test_bounded_index_matches_a_numpy_recomputation(shape, p, ndim):
    g = torch.Generator().manual_seed(7)
    ramp = torch.arange(shape[-1], dtype=torch.float64)
    planted = 0.4 * torch.cos(2 * math.pi * ramp / p)  # a pattern every signal shares
    x = torch.randn(shape, generator=g, dtype=torch.float64) + planted
    value = bounded_index(x, p, ndim)
    assert isinstance(value, float)
    assert value == pytest.approx(_index_by_hand(x.numpy(), p, ndim), rel=1e-10, abs=1e-12)
    assert 0.05 < value < 1


def test_bounded_index_pure_patterns_give_one():
    n = torch.arange(16, dtype=torch.float64)
    alternating = (-1.0) ** n
    x1 = alternating.expand(3, 2, 16).clone()
    assert 1 - 1e-12 <= bounded_index(x1, 2, 1) <= 1
    board = (-1.0) ** (n[:, None] + n[None, :])
    assert 1 - 1e-12 <= bounded_index(board.expand(2, 1, 16, 16).clone(), 2, 2) <= 1
    # a period-2 pattern is also period-4 structure
    assert 1 - 1e-12 <= bounded_index(x1, 4, 1) <= 1
    period4 = torch.tensor([3.0, 1.0, -2.0, 0.5]).repeat(4).expand(2, 1, 16).clone()
    assert 1 - 1e-12 <= bounded_index(period4, 4, 1) <= 1


def test_bounded_index_batch_amplitudes_by_hand():
    alternating = (-1.0) ** torch.arange(8, dtype=torch.float64)
    # amplitudes 1 and 3: mean pattern 2, rms of the stds sqrt((1 + 9) / 2) -> 2 / sqrt(5)
    x = torch.stack([alternating, 3 * alternating]).view(2, 1, 8)
    assert bounded_index(x, 2, 1) == pytest.approx(2 / math.sqrt(5), rel=1e-12)
    # opposite signs: the shared pattern cancels
    x = torch.stack([alternating, -alternating]).view(2, 1, 8)
    assert bounded_index(x, 2, 1) == pytest.approx(0.0, abs=1e-15)


def test_bounded_index_smooth_signals_give_zero():
    n = torch.arange(32, dtype=torch.float64)
    wave = torch.sin(2 * math.pi * n / 32) + 0.5 * torch.cos(2 * math.pi * 3 * n / 32)
    assert bounded_index(wave.expand(4, 2, 32).clone(), 2, 1) < 1e-12
    image = torch.sin(2 * math.pi * n[:, None] / 32) + torch.cos(2 * math.pi * n[None, :] / 32)
    assert bounded_index(image.expand(2, 1, 32, 32).clone(), 2, 2) < 1e-12
    assert bounded_index(image.expand(2, 1, 32, 32).clone(), 4, 2) < 1e-12


def test_bounded_index_never_exceeds_one_on_adversarial_inputs():
    alternating = (-1.0) ** torch.arange(64, dtype=torch.float64)
    for seed in range(6):
        g = torch.Generator().manual_seed(seed)
        for offset in (1e6, 1e7):  # rounding of a large offset can push the raw ratio above 1
            for length in (8, 64):
                noise = 1e-9 * torch.randn(4, 1, length, generator=g, dtype=torch.float64)
                x = offset + alternating[:length] + noise
                assert 1 - 1e-6 <= bounded_index(x, 2, 1) <= 1
        constant = 5.0 + 1e-9 * torch.randn(4, 2, 16, 16, generator=g, dtype=torch.float64)
        for p in (2, 4):
            assert 0 <= bounded_index(constant, p, 2) <= 1
            assert 0 <= bounded_index(constant.float(), p, 2) <= 1


def test_bounded_index_of_a_constant_is_zero():
    assert bounded_index(torch.full((2, 1, 8), 3.0), 2, 1) == 0.0
    # 1e-9 noise on 1.0 vanishes in float32: still a constant, 0 and not NaN
    noisy = 1.0 + 1e-9 * torch.randn(2, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    assert bounded_index(noisy.float(), 2, 2) == 0.0


def test_bounded_index_computes_in_float64():
    g = torch.Generator().manual_seed(3)
    alternating = (-1.0) ** torch.arange(16, dtype=torch.float64)
    x = 0.3 * alternating + torch.randn(4, 2, 16, generator=g, dtype=torch.float64)
    centred = bounded_index(x, 2, 1)
    # float32 could not even hold 1e8 + x; float64 keeps the index to ~1e-8 / 1
    assert bounded_index(x + 1e8, 2, 1) == pytest.approx(centred, abs=1e-6)
    small = torch.tensor([[[1.0, -2.0, 3.0, 0.0, 2.0, -1.0]], [[0.0, 1.0, 2.0, -3.0, 1.0, 1.0]]])
    values = {bounded_index(small.to(dtype), 2, 1) for dtype in (torch.float16, torch.float32, torch.float64)}
    assert len(values) == 1  # exactly representable values: every dtype gives the float64 result


@pytest.mark.parametrize("x, period, ndim, error, words", [
    (torch.zeros(2, 1, 8), 1, 1, ValueError, "period"),
    (torch.zeros(2, 1, 8), 2, 3, ValueError, "ndim"),
    (torch.zeros(2, 1, 3), 4, 1, ValueError, "period=4"),
    (torch.tensor([[[0.0, float("nan"), 1.0, 2.0]]]), 2, 1, ValueError, "NaN"),
    (torch.zeros(8), 2, 1, ValueError, "batch"),
    ([[[0.0, 1.0, 0.0, 1.0]]], 2.5, 1, TypeError, "period"),
    ("abc", 2, 1, TypeError, "x"),
])
def test_bounded_index_rejects_bad_inputs_clearly(x, period, ndim, error, words):
    with pytest.raises(error, match=words):
        bounded_index(x, period, ndim)


def test_bounded_index_accepts_array_likes():
    x = [[[1.0, -1.0, 1.0, -1.0]], [[2.0, -2.0, 2.0, -2.0]]]
    assert bounded_index(x, 2, 1) == pytest.approx(3 / math.sqrt(10), rel=1e-12)
