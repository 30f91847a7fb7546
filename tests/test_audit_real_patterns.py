"""The audit, the fix, the probe and the command line on replicas of patterns from shipped models."""

import json
import math
import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nbhelpers.audit import audit, probe, replace_upsampling
from nbhelpers.audit.cli import main
from nbhelpers.audit.replicas import (
    HifiGanLike,
    PaddedDownsampler,
    PatchFoldingClassifier,
    PooledSegmentationHead,
    RepeatShuffleUpsampler,
    resnet18_like,
)

MEL = (1, 16, 8)  # 8 mel frames -> 2048 samples


def _hifigan(style: str) -> nn.Module:
    torch.manual_seed(0)
    return HifiGanLike(weight_norm=style)


# ----------------------------------------------------------------------------- the fixed vocoder runs


@pytest.mark.parametrize("kind", ["resize", "subpixel_icnr"])
@pytest.mark.parametrize("style", ["parametrize", "hook"])
def test_fixed_hifigan_runs_keeps_shapes_and_weight_norm(style, kind):
    model = _hifigan(style)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fixed, report = replace_upsampling(model, kind, input_shape=MEL, return_report=True)
    assert len(report.changed) == 4 and not report.kept
    assert all("weight norm" in e.detail for e in report.changed)
    x = torch.randn(2, *MEL[1:])
    with torch.no_grad():
        y = fixed(x)
        assert y.shape == model(x).shape == (2, 1, 2048)
    # the model's own remove_weight_norm() works on the copy and leaves its output unchanged
    fixed.eval()
    with torch.no_grad():
        before = fixed(x)
        fixed.remove_weight_norm()
        after = fixed(x)
    assert torch.allclose(before, after, atol=1e-5)


def test_fixed_hifigan_index_falls_at_every_predicted_period():
    model = _hifigan("parametrize")
    report = audit(model, MEL, sample_rate=22050)
    periods = sorted({layer.period for layer in report.layers if layer.period > 1})
    assert periods == [2, 4, 32, 256]
    fixed = replace_upsampling(model, "resize", input_shape=MEL)
    after = audit(fixed, MEL, periods=[2, 4, 32])
    for p in (2, 4, 32):
        assert after.output_index[p] < 0.5 * report.output_index[p], (p, report.output_index,
                                                                      after.output_index)


def test_hifigan_tones_in_hz():
    report = audit(_hifigan("parametrize"), MEL, sample_rate=22050)
    tones = [layer.tones_hz for layer in report.layers]
    assert tones[0][:2] == pytest.approx((86.1328125, 172.265625))
    assert tones[1][0] == pytest.approx(689.0625) and tones[2] == pytest.approx((5512.5, 11025.0))
    assert tones[3] == (11025.0,)


def test_replacement_layers_accept_output_size():
    torch.manual_seed(0)
    for kind in ("resize", "subpixel_icnr"):
        for layer in (nn.ConvTranspose1d(4, 4, 16, 8, padding=4), nn.ConvTranspose1d(4, 4, 5, 2, padding=2)):
            new = replace_upsampling(nn.Sequential(layer), kind)[0]
            x = torch.randn(1, 4, 10)
            for size in range(layer(x).shape[-1], layer(x).shape[-1] + layer.stride[0]):
                expected = layer(x, output_size=(size,)).shape[-1]
                assert new(x, output_size=(size,)).shape[-1] == expected == size
            with pytest.raises(ValueError, match="output_size"):
                new(x, output_size=(1000,))


def test_the_copy_is_run_and_a_shape_change_names_the_layer(monkeypatch):
    import importlib

    fix = importlib.import_module("nbhelpers.audit.fix")

    model = nn.Sequential(nn.ConvTranspose1d(2, 2, 4, 2, 1), nn.Conv1d(2, 2, 3, padding=1))
    monkeypatch.setattr(fix, "replacement_for", lambda module, kind: nn.Upsample(scale_factor=3))
    with pytest.raises(ValueError, match=r"'0'.*(16|24)"):
        replace_upsampling(model, "resize", input_shape=(1, 2, 8))
    # a replacement that rejects the model's call is named too, without a raw traceback
    with pytest.raises(ValueError, match=r"'ups.0'"):
        replace_upsampling(_hifigan("none"), "resize", input_shape=MEL)


def test_old_weight_norm_after_a_training_step_is_copied():
    model = _hifigan("hook")
    model(torch.randn(2, *MEL[1:])).pow(2).mean().backward()  # weights now carry a graph
    fixed = replace_upsampling(model, "resize", input_shape=MEL)
    assert fixed(torch.randn(1, *MEL[1:])).shape == (1, 1, 2048)


# ----------------------------------------------------------------------------- periods from strides


def test_resnet_at_100_gets_periods_from_strides():
    report = audit(resnet18_like(), (1, 3, 100, 100))
    periods = [layer.period for layer in report.layers]
    assert periods == [2, 4, 8, 8, 16, 16, 32, 32], periods
    assert set(report.gradient_index) == {2, 4, 8, 16, 32}
    assert any("not divisible" in layer.note for layer in report.layers)


def test_pad_before_a_stride_two_convolution():
    report = audit(PaddedDownsampler(), (1, 3, 32, 32))
    assert [layer.period for layer in report.layers] == [2, 4]
    assert all(layer.period > 1 for layer in report.layers)


def test_resize_from_a_global_pool_has_no_period():
    report = audit(PooledSegmentationHead(), (1, 3, 32, 32))
    kinds = [(layer.kind, layer.period) for layer in report.layers]
    assert kinds == [("Conv2d", 2), ("Conv2d", 4), ("F.interpolate", 1), ("F.interpolate", 4)], kinds
    assert "1x1" in report.layers[2].note
    assert set(report.output_index) == {2, 4}


def test_an_input_independent_output_gets_a_note_not_an_index():
    class Constant(nn.Module):
        def __init__(self):
            super().__init__()
            self.up = nn.ConvTranspose2d(3, 3, 3, 2, 1, 1)

        def forward(self, x):
            return self.up(0 * x + 1.0) + 1e-9 * x.mean()

    report = audit(Constant(), (1, 3, 16, 16))
    assert report.output_index == {} and any("does not depend on the input" in n for n in report.notes)


def test_no_index_above_one():
    torch.manual_seed(0)
    for model, shape in ((nn.Sequential(nn.ConvTranspose2d(3, 3, 1, 2)), (1, 3, 8, 8)),
                         (nn.Sequential(nn.ConvTranspose1d(1, 1, 1, 4)), (1, 1, 32)),
                         (_hifigan("parametrize"), MEL)):
        report = audit(model, shape, periods=[2, 4])
        values = [*report.output_index.values(), *report.gradient_index.values()]
        assert values and all(0.0 <= v <= 1.0 for v in values), values
    # a pure period-2 pattern: the index is 1, not 1 + rounding
    report = audit(nn.Sequential(nn.ConvTranspose2d(1, 1, 1, 2, bias=False)), (1, 1, 16, 16), periods=[2])
    assert report.output_index[2] <= 1.0


# ----------------------------------------------------------------------------- shuffles


def test_channel_repeat_shuffle_is_nearest_upsampling():
    report = audit(RepeatShuffleUpsampler(), (1, 4, 8, 8))
    (shuffle,) = report.layers
    assert not shuffle.offending and "nearest" in shuffle.suggestion and "ICNR" not in shuffle.suggestion
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, changes = replace_upsampling(RepeatShuffleUpsampler(), "subpixel_icnr", input_shape=(1, 4, 8, 8),
                                        return_report=True)
    assert not changes.changed and not changes.kept[0].problem


def test_patch_folding_shuffle_is_not_an_upsampling_layer():
    report = audit(PatchFoldingClassifier(), (1, 3, 16, 16))
    shuffle = next(layer for layer in report.layers if layer.kind == "F.pixel_shuffle")
    assert not shuffle.offending and "not an upsampling layer" in shuffle.suggestion
    assert "ICNR" not in shuffle.suggestion

    class ConvFolding(nn.Module):  # a convolution right before the shuffle, inside a classifier
        def __init__(self):
            super().__init__()
            self.mix = nn.Conv2d(12, 12, 1)
            self.head = nn.Linear(3, 2)

        def forward(self, x):
            y = F.pixel_shuffle(self.mix(F.pixel_unshuffle(x, 2)), 2)
            return self.head(y.mean(dim=(2, 3)))

    layers = audit(ConvFolding(), (1, 3, 8, 8)).layers
    layer = next(layer for layer in layers if layer.kind == "F.pixel_shuffle")
    assert not layer.offending and "not an upsampling layer" in layer.suggestion


# ----------------------------------------------------------------------------- the text report


def test_text_report_never_cuts_a_number_or_a_name():
    class Wide(nn.Module):
        def __init__(self):
            super().__init__()
            self.backbone_stage_two_block_zero = nn.ModuleDict(
                {"conv2": nn.ConvTranspose2d(144, 144, 3, 2, 1, 1, groups=144)})
            self.up = nn.utils.parametrizations.weight_norm(nn.ConvTranspose1d(1, 1, 4, 2, 1))

        def forward(self, x):
            return self.backbone_stage_two_block_zero["conv2"](x)

    report = audit(Wide(), (1, 144, 4, 4))
    text = str(report)
    assert "g=144" in text and "backbone_stage_two_block_zero.conv2" in text
    line = audit(nn.Sequential(nn.utils.parametrizations.weight_norm(nn.ConvTranspose1d(1, 1, 4, 2, 1))),
                 (1, 1, 16))
    assert "ParametrizedConvTranspose1d" in str(line)


def test_command_line_formats_and_factory_errors(capsys, tmp_path, monkeypatch):
    dcgan = ["nbhelpers.layers.zoo:dcgan_generator", "--input-shape", "1,100,1,1", "--format"]
    assert main([*dcgan, "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["layers"][0]["period"] == 8
    assert main([*dcgan, "markdown"]) == 0
    out = capsys.readouterr().out
    assert "\n|---" in out and "| ConvTranspose2d |" in out
    module = tmp_path / "broken_factory_mod.py"
    module.write_text("def build():\n    raise RuntimeError('no weights here')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["broken_factory_mod:build", "--input-shape", "1,3,8,8"]) == 2
    err = capsys.readouterr().err
    assert "no weights here" in err and "Traceback" not in err


# ----------------------------------------------------------------------------- sample_rate


def test_sample_rate_is_the_waveform_rate_for_generators_discriminators_and_encoder_decoders():
    torch.manual_seed(0)
    generator = nn.Sequential(nn.ConvTranspose1d(4, 1, 4, 2, 1))  # (1, 4, 16) -> (1, 1, 32)
    discriminator = nn.Sequential(nn.Conv1d(1, 4, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv1d(4, 4, 4, 2, 1),
                                  nn.Flatten(), nn.Linear(4 * 16, 1))  # (1, 1, 64) -> (1, 1)
    codec = nn.Sequential(nn.Conv1d(1, 4, 4, 2, 1), nn.ReLU(), nn.ConvTranspose1d(4, 1, 4, 2, 1))
    g = audit(generator, (1, 4, 16), sample_rate=8000)
    assert g.layers[0].tones_hz == (4000.0,)  # the output is the waveform
    d = audit(discriminator, (1, 1, 64), sample_rate=8000)
    assert d.layers[0].tones_hz == (4000.0,) and d.layers[1].tones_hz == (2000.0, 4000.0)  # the input is
    c = audit(codec, (1, 1, 64), sample_rate=8000)
    assert c.layers[0].tones_hz == (4000.0,) and c.layers[1].tones_hz == (4000.0,)  # both are
    assert all(any("waveform" in note for note in r.notes) for r in (g, d, c))


# ----------------------------------------------------------------------------- probe


class ResizeDecoder(nn.Module):
    """A diffusion-VAE-style decoder using only nearest resizes and zero-padded convolutions."""

    def __init__(self, latent: int = 4, width: int = 16, ups: int = 2):
        super().__init__()
        self.conv_in = nn.Conv2d(latent, width, 3, padding=1)
        self.mid = nn.Sequential(*[m for _ in range(3) for m in (nn.GroupNorm(4, width), nn.SiLU(),
                                                                  nn.Conv2d(width, width, 3, padding=1))])
        self.ups = nn.ModuleList(nn.Conv2d(width, width, 3, padding=1) for _ in range(ups))
        self.conv_out = nn.Conv2d(width, 3, 3, padding=1)

    def forward(self, z):
        x = self.mid(self.conv_in(z))
        for conv in self.ups:
            x = F.silu(conv(F.interpolate(x, scale_factor=2.0, mode="nearest")))
        return self.conv_out(x)


def test_probe_does_not_depend_on_the_latent_size():
    torch.manual_seed(0)
    model = ResizeDecoder()
    for size in (8, 16, 32):
        report = probe(model, (1, 4, size, size))
        assert report.flagged == [], (size, str(report))
    torch.manual_seed(0)
    painter = nn.Sequential(nn.ConvTranspose2d(4, 3, 3, 2))
    for size in (8, 16):
        assert 2 in probe(painter, (1, 4, size, size)).flagged


def test_probe_names_a_harmonic_of_a_predicted_period():
    torch.manual_seed(0)
    model = nn.Sequential(nn.ConvTranspose2d(4, 3, 3, 2))
    report = probe(model, (1, 4, 16, 16), periods=[2, 4])
    assert "no layer predicts it" not in str(report)
    assert not math.isnan(report.rows[0].floor)
