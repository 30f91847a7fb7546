"""replace_upsampling fixes what the audit reports, or says (and warns) why not."""

import json
import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nbhelpers.audit import audit, replace_upsampling
from nbhelpers.layers.upsampling import Blur2d, ResizeConv2d, SubPixelConv2d, icnr_conv_
from nbhelpers.layers.zoo import ZOO


def _index(model, shape, periods):
    return audit(model, shape, periods=periods).output_index


def _no_warnings(call):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return call()


@pytest.mark.parametrize("kind", ["resize", "subpixel_icnr"])
@pytest.mark.parametrize("traced", [False, True])
def test_srgan_pixel_shuffles_are_fixed(kind, traced):
    entry = ZOO["srgan"]
    torch.manual_seed(0)
    model = entry.factory()
    shape = entry.input_shape if traced else None
    fixed, report = _no_warnings(
        lambda: replace_upsampling(model, kind, input_shape=shape, return_report=True))
    assert len(report.changed) == 2 and not report.kept
    assert report.changed[0].action == ("replaced" if kind == "resize" else "re-initialised")
    before, after = _index(model, entry.input_shape, [2, 4]), _index(fixed, entry.input_shape, [2, 4])
    for p in (2, 4):
        assert after[p] < 0.3 * before[p], (p, before, after)
    x = torch.randn(2, *entry.input_shape[1:])
    with torch.no_grad():
        assert fixed(x).shape == model(x).shape
    assert any(isinstance(m, nn.PixelShuffle) for m in model.modules())  # the original is untouched


def test_espcn_gets_icnr_or_a_resize_convolution():
    entry = ZOO["espcn"]
    torch.manual_seed(0)
    model = entry.factory()
    icnr, report = replace_upsampling(model, "subpixel_icnr", return_report=True)
    assert report.changed[0].detail == "ICNR on conv '4'"
    assert _index(icnr, entry.input_shape, [3])[3] < 0.3 * _index(model, entry.input_shape, [3])[3]
    resized = replace_upsampling(model, "resize")
    assert isinstance(resized[4], ResizeConv2d) and isinstance(resized[5], nn.Identity)
    # fixing twice changes nothing more
    _, again = replace_upsampling(icnr, "subpixel_icnr", return_report=True)
    assert not again.changed and again.kept[0].detail == "already ICNR-initialised"


def test_blur_is_added_after_the_shuffle():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 12, 3, padding=1), nn.PixelShuffle(2))
    fixed, report = replace_upsampling(model, "subpixel_icnr", blur=True, return_report=True)
    assert isinstance(fixed[1], nn.Sequential) and isinstance(fixed[1][1], Blur2d)
    assert "Blur2d(2)" in report.changed[0].detail


def test_grouped_transposed_convolution_keeps_its_groups():
    torch.manual_seed(0)
    model = nn.Sequential(nn.ConvTranspose2d(4, 8, 3, 2, 1, 1), nn.ReLU(),
                          nn.ConvTranspose2d(8, 8, 3, 2, 1, 1, groups=2), nn.ReLU(), nn.Conv2d(8, 3, 1))
    for kind in ("resize", "subpixel_icnr"):
        fixed, report = _no_warnings(lambda kind=kind: replace_upsampling(model, kind, return_report=True))
        assert len(report.changed) == 2 and "groups=2" in report.changed[1].detail
        assert fixed[2].conv.groups == 2
        before, after = _index(model, (1, 4, 8, 8), [2, 4]), _index(fixed, (1, 4, 8, 8), [2, 4])
        assert after[2] < 0.3 * before[2] and after[4] < 0.3 * before[4], (kind, before, after)


def test_functional_calls_are_kept_with_a_reason_and_a_warning():
    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.randn(4, 4, 3, 3) * 0.2)
            self.to_sub = nn.Conv2d(4, 16, 3, padding=1)

        def forward(self, x):
            x = F.interpolate(x, scale_factor=2.0)
            x = torch.relu(F.conv_transpose2d(x, self.weight, stride=2, padding=1, output_padding=1))
            return F.pixel_shuffle(self.to_sub(x), 2)

    torch.manual_seed(0)
    model = Decoder()
    with pytest.warns(UserWarning, match="functional call"):
        fixed, report = replace_upsampling(model, "subpixel_icnr", input_shape=(1, 4, 8, 8),
                                           return_report=True)
    resize, deconv, shuffle = report.entries
    assert resize.action == "kept" and not resize.problem and "resize" in resize.detail
    assert deconv.action == "kept" and deconv.problem and "only modules can be swapped" in deconv.detail
    assert shuffle.action == "re-initialised" and shuffle.detail == "ICNR on conv 'to_sub'"
    assert not audit(fixed, (1, 4, 8, 8)).layers[2].offending  # the shuffle is now fine
    with pytest.warns(UserWarning) as caught:
        _, report = replace_upsampling(model, "resize", input_shape=(1, 4, 8, 8), return_report=True)
    assert len(caught) == 2 and report.entries[2].action == "kept"  # a functional shuffle cannot go
    # without input_shape nothing of this is visible, and the report says so
    _, blind = replace_upsampling(model, "resize", return_report=True)
    assert not blind.entries and "input_shape" in str(blind)


def test_a_shuffle_without_its_convolution_is_explained():
    model = nn.Sequential(nn.Conv2d(3, 12, 3, padding=1), nn.ReLU(), nn.PixelShuffle(2))
    with pytest.warns(UserWarning, match="pass input_shape"):
        replace_upsampling(model, "subpixel_icnr")
    with pytest.warns(UserWarning, match="does not come straight from a convolution"):
        replace_upsampling(model, "subpixel_icnr", input_shape=(1, 3, 8, 8))


def test_resizes_and_fixed_layers_are_left_alone_silently():
    model = nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(3, 3, 3, padding=1), ResizeConv2d(3, 3),
                          SubPixelConv2d(3, 3, icnr=True))
    fixed, report = _no_warnings(lambda: replace_upsampling(model, "subpixel_icnr", input_shape=(1, 3, 8, 8),
                                                            return_report=True))
    assert not report.changed and len(report.kept) == 3 and not any(e.problem for e in report.kept)


def test_own_subpixel_layers_without_icnr_are_fixed():
    torch.manual_seed(0)
    model = nn.Sequential(SubPixelConv2d(3, 3, icnr=False), nn.ReLU(), nn.Conv2d(3, 3, 3, padding=1))
    fixed, report = replace_upsampling(model, "subpixel_icnr", return_report=True)
    assert fixed[0].icnr and report.changed[0].detail == "ICNR"
    assert _index(fixed, (1, 3, 16, 16), [2])[2] < 0.3 * _index(model, (1, 3, 16, 16), [2])[2]
    assert isinstance(replace_upsampling(model, "resize")[0], ResizeConv2d)


def test_weight_normalised_feeders_are_refused():
    conv = nn.utils.parametrizations.weight_norm(nn.Conv2d(3, 12, 3, padding=1))
    model = nn.Sequential(conv, nn.PixelShuffle(2))
    with pytest.warns(UserWarning, match="computed in the forward"):
        replace_upsampling(model, "subpixel_icnr", input_shape=(1, 3, 8, 8))


def test_report_renderings():
    torch.manual_seed(0)
    model = nn.Sequential(nn.ConvTranspose2d(3, 3, 3, (2, 1), 1), nn.Conv2d(3, 12, 3, padding=1),
                          nn.PixelShuffle(2))
    with pytest.warns(UserWarning):
        _, report = replace_upsampling(model, "subpixel_icnr", return_report=True)
    text = str(report)
    assert "1 changed, 1 kept" in text and "strides (2, 1) differ by axis" in text
    assert json.loads(json.dumps(report.to_dict()))["entries"][1]["action"] == "re-initialised"
    assert "<table>" in report._repr_html_() and "fde0dc" in report._repr_html_()


def test_bad_arguments():
    with pytest.raises(TypeError, match="blur"):
        replace_upsampling(nn.Sequential(), blur="yes")
    with pytest.raises(ValueError, match="input_shape"):
        replace_upsampling(ZOO["srgan"].factory(), input_shape=(1, 5, 8, 8))
    model = nn.Sequential(nn.Conv2d(3, 12, 3, padding=1), nn.PixelShuffle(2))
    icnr_conv_(model[0], 2)
    assert not replace_upsampling(model, "subpixel_icnr", return_report=True)[1].changed


def test_the_readme_snippet_runs():
    """The README's 'Audit your own model' code, on a zoo model."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("### Audit your own model"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    scope = {"model": ZOO["dcgan"].factory()}
    exec(code, scope)  # noqa: S102 - the README's own example
    assert len(scope["changes"].changed) == 3 and scope["report"].offending


def test_fix_effect_redraws_the_model_per_seed_and_audits_each_fix():
    from nbhelpers.audit.effect import fix_effect

    def factory():  # the ReLU gives the second layer a mean to paint through its uneven overlap
        return nn.Sequential(nn.ConvTranspose2d(8, 8, 3, 2, 1, output_padding=1), nn.ReLU(),
                             nn.ConvTranspose2d(8, 3, 3, 2, 1, output_padding=1))

    effect = fix_effect(factory, (1, 8, 8, 8), ("resize",), seeds=[0, 1, 2])
    assert set(effect) == {"before", "resize"} and effect["before"].shape == (3,)
    assert len(set(effect["before"].tolist())) == 3  # three different draws
    assert bool((effect["before"] > 5 * effect["resize"]).all()), effect  # k=3, s=2 paints; resize does not
    again = fix_effect(factory, (1, 8, 8, 8), ("resize",), seeds=[2])
    assert again["before"].item() == effect["before"][2].item()  # a seed is a seed
    with pytest.raises(ValueError, match="seeds"):
        fix_effect(factory, (1, 8, 8, 8), seeds=[])
    with pytest.raises(TypeError, match="factory"):
        fix_effect("dcgan", (1, 8, 8, 8))
