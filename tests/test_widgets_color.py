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


def _tiny_models() -> dict:
    torch.manual_seed(0)
    return {"deconv3": code_decoder("deconv3"), "nearest": code_decoder("nearest")}


def test_saved_output_carries_a_palette_of_frames_for_static_pages():
    """The notebook's output keeps one picture and text per palette colour (make html cannot retrain)."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    from nbhelpers.widgets.frames import EXPLORER_MIME, check_frame_set

    mean = torch.tensor([0.4, 0.6, 0.2])
    explorer = ColorExplorer(_tiny_models(), mean, color="#d02020", palette=("#ff0000", "#000000", "#0000ff"))
    saved = explorer.widget._repr_mimebundle_()[EXPLORER_MIME]
    assert saved["explorer"] == "color" and saved["settings"] == {"color": "#d02020"}
    frames = check_frame_set(saved["frames"])
    (swatches,) = frames["controls"]
    assert swatches["kind"] == "swatches"
    # the starting and the mean colour join the palette; nearest the mean colour first
    assert set(swatches["values"]) == {"#d02020", "#669933", "#ff0000", "#000000", "#0000ff"}
    assert swatches["values"][0] == "#669933" and swatches["values"][swatches["index"]] == "#d02020"
    distances = [float((hex_to_rgb(c) - mean).norm()) for c in swatches["values"]]
    assert distances == sorted(distances)
    pictures = {}
    for i, colour in enumerate(swatches["values"]):
        image, text = frames["frames"][str(i)]
        assert f"<b>{distances[i]:.2f}</b>" in text and "deconv3: amplitude" in text
        pictures[colour] = np.asarray(Image.open(io.BytesIO(base64.b64decode(frames["images"][image]))))
    assert len({p.tobytes() for p in pictures.values()}) == len(pictures)  # each colour its own picture
    explorer.picker.value = "#0000ff"  # a reader picks a palette colour live: the page shows that picture
    live = np.asarray(Image.open(io.BytesIO(explorer.view.image.value)))
    assert np.array_equal(live, pictures["#0000ff"])
    assert explorer.text.value == frames["frames"][str(swatches["values"].index("#0000ff"))][1]
    # computed once: saving again reuses the frames, and they stay small for the notebook
    assert explorer.palette_frames() is frames and len(str(frames)) < 50_000 * len(pictures)


def test_palette_leaves_out_lookalikes_and_rejects_bad_colours():
    mean = torch.full((3,), 0.5)
    explorer = ColorExplorer(_tiny_models(), mean, color="#808080", palette=("#818181", "#ffffff"))
    assert explorer.palette == ["#808080", "#ffffff"]  # the mean colour and #818181 look like #808080
    with pytest.raises(ValueError, match="color"):
        ColorExplorer(_tiny_models(), mean, palette=("#ff0000", "red"))
    levels = ("00", "80", "ff")
    cube = [f"#{r}{g}{b}" for r in levels for g in levels for b in levels]  # 27 distinct colours
    with pytest.raises(ValueError, match="at most 16"):
        ColorExplorer(_tiny_models(), mean, palette=cube)
    with pytest.raises(ValueError, match="mean_color"):
        ColorExplorer(_tiny_models(), torch.zeros(4))


def test_live_picture_is_the_notebooks_colour_figure():
    """Updating the picture in place draws what plot_color_examples draws for that colour."""
    import io

    import numpy as np
    from PIL import Image

    from nbhelpers.experiments.learning import decode_colors
    from nbhelpers.plots.learning import plot_color_examples
    from nbhelpers.widgets.base import figure_png

    models = _tiny_models()
    explorer = ColorExplorer(models, torch.full((3,), 0.5), color="#123456")
    for colour in ("#ff8800", "#00ffff"):
        explorer.picker.value = colour
        rgb = hex_to_rgb(colour).view(1, 3)
        amps = explorer.measure(colour)
        fresh = plot_color_examples(rgb, {k: decode_colors(m, rgb) for k, m in models.items()},
                                    {k: [v] for k, v in amps.items()}, titles=[colour])
        shown = np.asarray(Image.open(io.BytesIO(explorer.view.image.value)).convert("RGB"))
        assert np.array_equal(shown, np.asarray(Image.open(io.BytesIO(figure_png(fresh))).convert("RGB")))
