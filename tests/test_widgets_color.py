import pytest
import torch

from nbhelpers.layers.models import code_decoder
from nbhelpers.widgets import ColorExplorer, color_explorer
from nbhelpers.widgets.color import hex_to_rgb, rgb_to_hex


def test_hex_round_trip_and_errors():
    assert torch.allclose(hex_to_rgb("#ff8000"), torch.tensor([1.0, 128 / 255, 0.0]))
    assert rgb_to_hex(torch.tensor([1.0, 0.5, 0.0])) == "#ff8000"
    for bad in ("ff8000", "#ff80", "#gg0000", 3):
        with pytest.raises(ValueError, match="color"):
            hex_to_rgb(bad)


def test_color_explorer_updates_in_place():
    torch.manual_seed(0)
    models = {"deconv3": code_decoder("deconv3"), "nearest": code_decoder("nearest")}
    explorer = ColorExplorer(models, torch.full((3,), 0.5), color="#808080")
    image = explorer.view.image
    first = image.value
    assert first and "deconv3" in explorer.text.value
    explorer.picker.value = "#ff0000"  # what a user's click does
    assert explorer.view.image is image and image.value != first
    amps = explorer.measure("#ff0000")
    assert set(amps) == set(models) and all(a >= 0 for a in amps.values())
    assert color_explorer(models, torch.full((3,), 0.5)).children
    with pytest.raises(ValueError, match="models"):
        ColorExplorer({}, torch.zeros(3))
