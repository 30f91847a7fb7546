"""The audit sees functional calls as well as modules, says where each happened, and speaks Hz."""

import json

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nbhelpers.audit import audit, find_resolution_changes
from nbhelpers.audit.measure import tones
from nbhelpers.layers.upsampling import ResizeConv2d, SubPixelConv2d, icnr_conv_
from nbhelpers.layers.zoo import ZOO


class Up(nn.Module):
    """Resize-convolution written inline: module hooks alone see only a stride-1 convolution."""

    def __init__(self, channels: int = 4, mode: str = "nearest"):
        super().__init__()
        self.conv, self.mode = nn.Conv2d(channels, channels, 3, padding=1), mode

    def forward(self, x):
        return torch.relu(self.conv(F.interpolate(x, scale_factor=2.0, mode=self.mode)))


class FunctionalDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.up1, self.up2 = Up(), Up(mode="bilinear")

    def forward(self, x):
        return self.up2(self.up1(x))


class FunctionalDeconv(nn.Module):
    """A transposed convolution and a pixel shuffle as calls, with their weights as parameters."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(4, 4, 3, 3) * 0.2)
        self.to_sub = nn.Conv2d(4, 16, 3, padding=1)

    def forward(self, x):
        x = torch.relu(F.conv_transpose2d(x, self.weight, stride=2, padding=1, output_padding=1))
        return F.pixel_shuffle(self.to_sub(x), 2)


def test_functional_resizes_are_found_and_placed():
    sites, out = find_resolution_changes(FunctionalDecoder(), (1, 4, 8, 8))
    assert out.shape[-2:] == (32, 32)
    assert [(s.name, s.kind, s.mode, s.stride) for s in sites] == [
        ("up1.forward", "F.interpolate", "nearest", (2, 2)),
        ("up2.forward", "F.interpolate", "bilinear", (2, 2))]
    report = audit(FunctionalDecoder(), (1, 4, 8, 8))
    text = str(report)
    assert "No resolution-changing" not in text and "up1.forward" in text and "F.interpolate" in text
    assert [layer.period for layer in report.layers] == [4, 2] and not report.offending


def test_functional_deconvolution_and_shuffle_are_offending_and_named():
    torch.manual_seed(0)
    report = audit(FunctionalDeconv(), (1, 4, 8, 8))
    deconv, shuffle = report.layers
    assert (deconv.name, deconv.kind, deconv.kernel_size, deconv.stride) == (
        "(model).forward", "F.conv_transpose2d", (3, 3), (2, 2))
    assert deconv.unevenness == 4 and deconv.offending and "edit the forward" in deconv.suggestion
    assert shuffle.kind == "F.pixel_shuffle" and shuffle.offending and "to_sub" in shuffle.suggestion


def test_an_icnr_feeder_makes_a_shuffle_fine():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 12, 3, padding=1), nn.PixelShuffle(2))
    assert audit(model, (1, 3, 8, 8)).layers[0].offending
    icnr_conv_(model[0], 2)
    layer = audit(model, (1, 3, 8, 8)).layers[0]
    assert not layer.offending and "ICNR" in layer.suggestion
    with torch.no_grad():
        model[0].weight[1, 0, 0, 0] += 1e-3  # one sub-kernel differs: no longer ICNR
    assert audit(model, (1, 3, 8, 8)).layers[0].offending


def test_functional_downsampling_is_found():
    class Down(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.randn(4, 3, 3, 3))

        def forward(self, x):
            x = F.conv2d(x, self.weight, stride=2, padding=1)  # strided: counts
            x = F.max_pool2d(x, 2)
            return F.avg_pool2d(x, 2)

    sites, _ = find_resolution_changes(Down(), (1, 3, 32, 32))
    assert [s.kind for s in sites] == ["F.conv2d", "F.max_pool2d", "F.avg_pool2d"]
    assert [s.up for s in sites] == [False] * 3
    assert [s.stride for s in sites] == [(2, 2)] * 3


def test_modules_are_not_counted_twice():
    """A module's own functional calls belong to the module; nbhelpers' layers count once."""
    model = nn.Sequential(nn.ConvTranspose2d(3, 3, 4, 2, 1), nn.Upsample(scale_factor=2),
                          nn.Conv2d(3, 3, 3, stride=2))
    sites, _ = find_resolution_changes(model, (1, 3, 8, 8))
    assert [s.kind for s in sites] == ["ConvTranspose2d", "Upsample", "Conv2d"]
    sites, _ = find_resolution_changes(nn.Sequential(ResizeConv2d(3, 3), SubPixelConv2d(3, 3)), (1, 3, 8, 8))
    assert [s.kind for s in sites] == ["ResizeConv2d", "SubPixelConv2d"]
    sites, _ = find_resolution_changes(nn.Sequential(nn.Conv2d(3, 3, 3), nn.MaxPool2d(3, 1)), (1, 3, 8, 8))
    assert sites == []  # stride-1 layers only crop


def test_zoo_functional_decoder_is_seen():
    entry = ZOO["latent_decoder"]
    report = audit(entry.factory(), entry.input_shape)
    assert [layer.kind for layer in report.layers] == ["F.interpolate", "F.interpolate"]
    assert all(layer.name == "(model).forward" for layer in report.layers)


def test_tones_follow_the_rate_and_the_period():
    assert tones(4, 16000) == (4000.0, 8000.0)
    assert tones(2, 22050) == (11025.0,)  # period 2: one tone, at Nyquist
    assert tones(5, 1000) == (200.0, 400.0)
    assert len(tones(256, 16000)) == 128 and tones(256, 16000)[0] == 62.5


def test_audit_reports_hz_for_audio():
    entry = ZOO["wavegan"]
    report = audit(entry.factory(), entry.input_shape, sample_rate=16000)
    last = report.layers[-1]
    assert last.period == 4 and last.tones_hz == (4000.0, 8000.0)
    assert report.layers[0].tones_hz[:2] == (62.5, 125.0)
    text = str(report)
    assert "body.6: period 4 -> 4000, 8000 Hz" in text and "p=4 (4000 Hz)" in text
    assert "4000, 8000 Hz" in report._repr_html_()
    data = json.loads(json.dumps(report.to_dict()))
    assert data["sample_rate"] == 16000 and data["layers"][-1]["tones_hz"] == [4000.0, 8000.0]
    assert "Hz" not in str(audit(entry.factory(), entry.input_shape))  # no rate, no Hz


def test_downsampling_tones_use_the_input_rate():
    model = nn.Sequential(nn.Conv1d(1, 4, 4, stride=2, padding=1), nn.ReLU(),
                          nn.Conv1d(4, 1, 4, stride=2, padding=1))
    # sample_rate is the waveform's rate, here the input's (it used to be the output's: issue 26)
    report = audit(model, (1, 1, 64), sample_rate=8000)
    assert report.layers[0].where == "input gradient" and report.layers[0].tones_hz == (4000.0,)
    assert report.layers[1].tones_hz == (2000.0, 4000.0)


def test_sample_rate_checks():
    with pytest.raises(ValueError, match="sample_rate"):
        audit(ZOO["wavegan"].factory(), (1, 100), sample_rate=-5)
    report = audit(ZOO["dcgan"].factory(), ZOO["dcgan"].input_shape, sample_rate=16000)
    assert any("1D" in note for note in report.notes) and all(not layer.tones_hz for layer in report.layers)


def test_groups_are_shown():
    report = audit(nn.Sequential(nn.ConvTranspose2d(4, 4, 3, 2, 1, groups=2)), (1, 4, 8, 8))
    assert report.layers[0].groups == 2 and "g=2" in str(report)


def test_resizes_get_no_tones():
    model = nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv1d(1, 1, 3, padding=1),
                          nn.ConvTranspose1d(1, 1, 4, stride=2, padding=1))
    up, deconv = audit(model, (1, 1, 64), sample_rate=8000).layers
    assert up.tones_hz == () and deconv.tones_hz == (4000.0,)
