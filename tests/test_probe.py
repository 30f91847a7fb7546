import json
import math
import warnings
from collections import OrderedDict

import pytest
import torch
from torch import nn

from nbhelpers.audit.probe import RESPONSE_FACTOR, SHARE_THRESHOLD, ProbeReport, periodic_share, probe
from nbhelpers.layers.upsampling import ResizeConv1d, ResizeConv2d
from nbhelpers.layers.zoo import ZOO


class FixedOutput(nn.Module):
    """Returns the same tensor (repeated over the batch) whatever the input."""

    def __init__(self, out: torch.Tensor):
        super().__init__()
        self.register_buffer("out", out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out.expand(x.shape[0], *self.out.shape[1:]).clone()


def checker2d(size: int) -> torch.Tensor:
    i = torch.arange(size)
    return 1.0 - 2.0 * ((i[:, None] + i[None, :]) % 2).float()


def row(report: ProbeReport, period: int):
    (found,) = [r for r in report.rows if r.period == period]
    return found


def test_known_answer_constant_plus_checkerboard():
    c, a = 0.5, 0.2
    out = torch.zeros(1, 2, 24, 24)
    out[0, 0] = c + a * checker2d(24)  # channel 1 stays silent: energy weighting ignores it
    report = probe(FixedOutput(out), (1, 3, 8, 8), periods=[2, 3, 4])
    expected = a / math.sqrt(c**2 + a**2)
    for level in (0.0, 1.0):
        assert row(report, 2).constant_share[level] == pytest.approx(expected, abs=1e-5)
        # a period-2 pattern is also period 4: its 4x4 polyphase means are c +- a
        assert row(report, 4).constant_share[level] == pytest.approx(expected, abs=1e-5)
        # ... but has no period-3 structure (an even number of samples per phase cancels it)
        assert row(report, 3).constant_share[level] < 1e-6
    assert report.flagged == [2, 4]
    assert row(report, 2).response_index == 0.0  # the output ignores its input
    assert any("does not respond" in note for note in report.notes)
    assert row(report, 2).constant_share_db[1.0] == pytest.approx(20 * math.log10(expected), abs=1e-3)
    # default periods: no layer predicts anything, 2 is always measured
    auto = probe(FixedOutput(out), (1, 3, 8, 8))
    assert [r.period for r in auto.rows] == [2] and auto.rows[0].predicted_by == ()
    assert "no layer predicts it" in str(auto)


def test_a_pattern_of_another_period_does_not_leak():
    out = torch.tensor([1.0, -1.0, 0.0] * 14).reshape(1, 1, 42)  # period 3, length 42
    report = probe(FixedOutput(out), (1, 1, 4), periods=[2, 3])
    assert row(report, 3).constant_share[1.0] == pytest.approx(1.0, abs=1e-6)  # zero-mean pattern
    assert row(report, 2).constant_share[1.0] < 1e-9
    assert report.flagged == [3]


def test_zero_padded_border_does_not_count():
    out = torch.zeros(1, 1, 20, 20)
    out[..., 1:, 1:] = 1.0  # flat, with a zero first row and column as zero padding leaves
    report = probe(FixedOutput(out), (1, 1, 4, 4), periods=[2])
    assert row(report, 2).constant_share[1.0] < 1e-9 and report.flagged == []
    assert periodic_share(out, 2, ndim=2) > SHARE_THRESHOLD  # what the uncropped frame would say


def test_periodic_share_of_an_all_zero_signal_is_zero():
    assert periodic_share(torch.zeros(2, 3, 8, 8), 2, ndim=2) == 0.0
    with pytest.raises(ValueError, match="period"):
        periodic_share(torch.zeros(1, 5), 4, ndim=1, border=1)


def test_transposed_conv_is_flagged_resize_conv_is_not():
    torch.manual_seed(0)
    deconv = probe(nn.ConvTranspose2d(4, 3, 3, stride=2), (1, 4, 8, 8))
    torch.manual_seed(0)
    resize = probe(ResizeConv2d(4, 3, 2), (1, 4, 8, 8))
    two = row(deconv, 2)
    assert 2 in deconv.flagged and max(two.constant_share.values()) > SHARE_THRESHOLD
    assert resize.flagged == []
    assert max(max(r.constant_share.values()) for r in resize.rows) < 1e-4
    assert all(r.response_index <= RESPONSE_FACTOR * r.floor for r in resize.rows)


def test_1d_transposed_conv_is_flagged_at_its_stride():
    torch.manual_seed(0)
    model = nn.Sequential(OrderedDict(up=nn.ConvTranspose1d(2, 2, 5, stride=4)))
    report = probe(model, (1, 2, 16))
    assert report.output_shape == (1, 2, 65)
    assert 4 in report.flagged and "up" in row(report, 4).predicted_by
    torch.manual_seed(0)
    clean = probe(ResizeConv1d(2, 2, 4), (1, 2, 16))
    assert 4 in [r.period for r in clean.rows] and clean.flagged == []


def test_zoo_dcgan_is_flagged_where_a_layer_predicts_it():
    entry = ZOO["dcgan"]
    torch.manual_seed(0)
    model = entry.factory()
    report = probe(model, entry.input_shape)
    assert [r.period for r in report.rows] == [2, 4, 8]
    assert any(r.flagged and r.predicted_by for r in report.rows)
    # its ReLUs rectify the small perturbations: the response keeps the pattern
    assert any(r.response_index > RESPONSE_FACTOR * r.floor for r in report.rows)


def test_a_rectified_response_alone_flags_a_period():
    torch.manual_seed(0)
    model = nn.Sequential(nn.ConvTranspose2d(4, 3, 3, stride=2, bias=False), nn.ReLU())
    report = probe(model, (1, 4, 16, 16), levels=(0.0,))  # flat input 0 -> output 0: share 0
    two = row(report, 2)
    assert two.constant_share == {0.0: 0.0}
    # relu(J z) has a phase-dependent mean where the overlap (hence the variance of J z) is uneven
    assert two.response_index > RESPONSE_FACTOR * two.floor and report.flagged == [2]
    assert "response index" in " ".join(two.reasons())


def test_white_noise_response_stays_under_the_threshold():
    report = probe(nn.Identity(), (1, 3, 32, 32), periods=[2, 4])
    for r in report.rows:
        assert r.response_index < RESPONSE_FACTOR * r.floor and not r.flagged
        assert r.constant_share == {0.0: 0.0, 1.0: 0.0}


def test_all_zero_output_gives_share_zero_and_a_note():
    class Silent(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.zeros(x.shape[0], 2, 16, 16)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = probe(Silent(), (1, 3, 4, 4))
        text = str(report)
    assert report.rows and all(s == 0.0 for r in report.rows for s in r.constant_share.values())
    assert all(r.response_index == 0.0 and not math.isnan(r.floor) for r in report.rows)
    assert report.flagged == [] and any("all zeros" in n for n in report.notes)
    assert "-inf dB" in text
    json.dumps(report.to_dict(), allow_nan=False)


def test_bad_inputs_name_the_argument():
    with pytest.raises(TypeError, match="model"):
        probe("not a model", (1, 3, 8, 8))
    with pytest.raises(ValueError, match="input_shape"):
        probe(nn.ConvTranspose2d(4, 3, 3, stride=2), (1, 5, 8, 8))
    with pytest.raises(TypeError, match="input_shape"):
        probe(nn.ConvTranspose2d(4, 3, 3, stride=2), "1,4,8,8")
    with pytest.raises(ValueError, match="periods"):
        probe(nn.ConvTranspose2d(4, 3, 3, stride=2), (1, 4, 8, 8), periods=[1])
    with pytest.raises(ValueError, match="periods"):
        probe(nn.ConvTranspose2d(4, 3, 3, stride=2), (1, 4, 8, 8), periods=[40])
    with pytest.raises(ValueError, match="output"):
        probe(nn.Linear(4, 4), (1, 4))
    with pytest.raises(TypeError, match="levels"):
        probe(nn.Identity(), (1, 1, 8), levels=[])
    with pytest.raises(ValueError, match="scale"):
        probe(nn.Identity(), (1, 1, 8), scale=0)


def test_text_html_and_dict():
    torch.manual_seed(0)
    model = nn.Sequential(OrderedDict([("up<x>", nn.ConvTranspose2d(4, 3, 3, stride=2))]))
    report = probe(model, (1, 4, 8, 8))
    text = str(report)
    assert report.flagged == [2]
    assert "period 2" in text and "'up<x>'" in text and "FLAG" in text
    page = report._repr_html_()
    assert "up&lt;x&gt;" in page and "up<x>" not in page and "background" in page
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["flagged"] == [2] and data["rows"][0]["predicted_by"] == ["up<x>"]
    assert set(data["rows"][0]["constant_share"]) == {"0.0", "1.0"}


def test_model_mode_is_restored():
    model = nn.Sequential(nn.ConvTranspose2d(4, 3, 3, stride=2), nn.BatchNorm2d(3), nn.Dropout(0.5))
    model.train()
    probe(model, (1, 4, 8, 8))
    assert all(m.training for m in model.modules())
    model.eval()
    probe(model, (1, 4, 8, 8))
    assert not any(m.training for m in model.modules())


def test_zoo_models_with_and_without_the_fix():
    """A clean functional resize-convolution decoder and ICNR-fixed models are not flagged (their
    padding stays in the cropped border); the originals are, at the periods their layers predict."""
    from nbhelpers.audit.fix import replace_upsampling

    assert probe(ZOO["latent_decoder"].factory(), ZOO["latent_decoder"].input_shape).flagged == []
    for name, period in (("espcn", 3), ("wavegan", 4)):
        entry = ZOO[name]
        torch.manual_seed(0)
        model = entry.factory()
        assert period in probe(model, entry.input_shape).flagged
        fixed = replace_upsampling(model, "subpixel_icnr", input_shape=entry.input_shape)
        assert probe(fixed, entry.input_shape).flagged == [], name
