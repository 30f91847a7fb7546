import json
import math
import subprocess
import sys

import pytest
import torch
from torch import nn

from nbhelpers.audit import AuditReport, audit, find_resolution_changes
from nbhelpers.audit.cli import main
from nbhelpers.layers.zoo import ZOO
from nbhelpers.measures import unevenness


def small_generator() -> nn.Module:
    """4x4 -> 8x8 (k=3, s=2, uneven) -> 16x16 (k=4, s=2, even)."""
    return nn.Sequential(
        nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(4, 1, 4, stride=2, padding=1),
    )


def test_periods_and_unevenness_match_hand_calculations():
    report = audit(small_generator(), (1, 4, 4, 4))
    first, second = report.layers
    assert (first.kind, first.kernel_size, first.stride) == ("ConvTranspose2d", (3, 3), (2, 2))
    assert first.input_size == (4, 4) and first.output_size == (8, 8)
    assert first.unevenness == pytest.approx(unevenness(3, 2) ** 2) == 4.0
    assert first.period == 4 and first.where == "output"  # period 2, then upsampled x2
    assert second.unevenness == 1.0 and second.period == 2
    assert report.output_shape == (1, 1, 16, 16)
    assert set(report.output_index) == {2, 4}
    assert all(layer.offending for layer in report.layers)
    assert "uneven overlap" in first.suggestion and "even overlap" in second.suggestion


def test_downsampling_layers_report_gradient_periods():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(),
                          nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.AvgPool2d(2),
                          nn.Flatten(), nn.Linear(8 * 4 * 4, 2))
    report = audit(model, (1, 3, 32, 32))
    conv1, conv2, pool = report.layers
    assert conv1.where == "input gradient" and conv1.period == 2 and conv2.period == 4
    assert pool.period == 1 and not pool.offending  # k = s average pooling is even
    assert report.output_index == {}  # a classifier has no spatial output
    assert set(report.gradient_index) == {2, 4}
    assert all(r >= 1.0 for r in report.gradient_phase_ratio.values())
    assert any("no spatial" in note for note in report.notes)


def test_stride1_convs_and_resize_modules():
    model = nn.Sequential(nn.Conv2d(3, 3, 5), nn.Upsample(scale_factor=2), nn.Conv2d(3, 3, 3, padding=1))
    records, out = find_resolution_changes(model, (1, 3, 12, 12))
    assert [r.kind for r in records] == ["Upsample"]  # the k=5 crop is not one
    report = audit(model, (1, 3, 12, 12))
    assert report.layers[0].stride == (2, 2) and not report.layers[0].offending
    assert report.layers[0].suggestion.startswith("ok")


def test_zoo_reports():
    dcgan = audit(ZOO["dcgan"].factory(), ZOO["dcgan"].input_shape)
    assert [layer.period for layer in dcgan.layers] == [8, 4, 2]  # the k=4, s=1 projection is skipped
    assert all(layer.unevenness == 1.0 for layer in dcgan.layers)
    wave = audit(ZOO["wavegan"].factory(), ZOO["wavegan"].input_shape)
    assert [layer.period for layer in wave.layers] == [256, 64, 16, 4]
    assert wave.layers[0].unevenness == pytest.approx(7 / 6)
    espcn = audit(ZOO["espcn"].factory(), ZOO["espcn"].input_shape)
    assert espcn.layers[0].kind == "PixelShuffle" and espcn.layers[0].period == 3
    assert espcn.output_index[3] > 10 * espcn.output_index[2]  # random init: a period-3 pattern
    unet = audit(ZOO["unet"].factory(), ZOO["unet"].input_shape)
    assert [layer.kind for layer in unet.layers] == ["MaxPool2d", "MaxPool2d", "ConvTranspose2d",
                                                      "ConvTranspose2d"]


def test_report_renderings():
    report = audit(small_generator(), (1, 4, 4, 4))
    text = str(report)
    assert "ConvTranspose2d" in text and "k=3 s=2 p=1" in text and "4 out" in text
    page = report._repr_html_()
    assert page.count("<tr") == 3 and "#fde0dc" in page
    data = report.to_dict()
    json.dumps(data)
    assert data["layers"][0]["period"] == 4


def test_model_without_resolution_change():
    report = audit(nn.Sequential(nn.Conv2d(3, 3, 3, padding=1)), (1, 3, 8, 8))
    assert report.layers == [] and "No resolution-changing layer" in str(report)
    assert "No resolution-changing layer" in report._repr_html_()


def test_gaps_are_infinite_unevenness():
    report = audit(nn.ConvTranspose2d(1, 1, 1, stride=2), (1, 1, 4, 4))
    assert math.isinf(report.layers[0].unevenness)
    assert report.to_dict()["layers"][0]["unevenness"] == "inf"
    assert "gaps" in str(report)


def test_bad_input():
    with pytest.raises(TypeError, match="nn.Module"):
        audit(lambda x: x, (1, 3, 8, 8))
    with pytest.raises(ValueError, match=r"input_shape=\(1, 5, 8, 8\)"):
        audit(small_generator(), (1, 5, 8, 8))
    with pytest.raises(TypeError, match="input_shape"):
        audit(small_generator(), "1,4,4,4")
    with pytest.raises(ValueError, match="input_shape"):
        audit(small_generator(), (1, 0, 4, 4))


def test_audit_restores_training_mode():
    model = small_generator().train()
    audit(model, (1, 4, 4, 4))
    assert model.training


def test_command_line(capsys):
    assert main(["nbhelpers.layers.zoo:dcgan_generator", "--input-shape", "1,100,1,1"]) == 0
    assert "ConvTranspose2d" in capsys.readouterr().out
    assert main(["nbhelpers.layers.zoo:dcgan_generator", "--input-shape", "1,3,1,1"]) == 2
    assert "input_shape=(1, 3, 1, 1)" in capsys.readouterr().err
    assert main(["no_such_module_xyz:f", "--input-shape", "1,2"]) == 2
    assert "cannot load" in capsys.readouterr().err
    assert main(["nbhelpers.layers.zoo:dcgan_generator", "--input-shape", "1,a"]) == 2
    wavegan = ["nbhelpers.layers.zoo:wavegan_generator", "--input-shape", "1,100", "--sample-rate"]
    assert main([*wavegan, "16000"]) == 0
    assert "4000, 8000 Hz" in capsys.readouterr().out
    assert main([*wavegan, "-1"]) == 2
    assert "sample_rate" in capsys.readouterr().err


def test_command_line_as_a_module():
    out = subprocess.run([sys.executable, "-m", "nbhelpers.audit", "nbhelpers.layers.zoo:espcn",
                          "--input-shape", "1,3,8,8"], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert "PixelShuffle" in out.stdout


def test_report_type():
    assert isinstance(audit(small_generator(), (1, 4, 4, 4)), AuditReport)


def test_fixed_layers_are_recognised_and_not_flagged():
    from nbhelpers.audit.fix import replace_upsampling

    report = audit(replace_upsampling(small_generator(), "resize"), (1, 4, 4, 4))
    assert [layer.kind for layer in report.layers] == ["ResizeConv2d", "ResizeConv2d"]
    assert report.offending == [] and report.layers[0].period == 4
    assert "resize-convolution" in report.layers[0].suggestion


def test_sample_outputs_is_seeded_and_restores_the_mode():
    from nbhelpers.audit.measure import sample_outputs

    model = small_generator().train()
    a = sample_outputs(model, (1, 4, 4, 4), batch=3, seed=5)
    b = sample_outputs(model, (1, 4, 4, 4), batch=3, seed=5)
    assert a.shape == (3, 1, 16, 16) and torch.equal(a, b) and model.training
    with pytest.raises(ValueError, match="input_shape"):
        sample_outputs(model, (1, 2, 4, 4))


def test_icnr_conv_removes_the_pixel_shuffle_pattern():
    from nbhelpers.layers.upsampling import icnr_conv_

    conv = nn.Conv2d(4, 3 * 4, 3, padding=1)
    icnr_conv_(conv, 2)
    y = nn.PixelShuffle(2)(conv(torch.randn(1, 4, 5, 5)))
    assert torch.allclose(y[..., 0::2, 0::2], y[..., 1::2, 1::2])
    with pytest.raises(TypeError, match="conv"):
        icnr_conv_(nn.Linear(2, 2), 2)
