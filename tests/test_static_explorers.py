"""Explorers without a kernel: frame sets, their PNGs, and how the site finds and embeds them."""

import base64
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nbhelpers.course.static_explorers import (
    EXPLORER_SCRIPT,
    explorer_call,
    explorer_frames,
    explorer_html,
    static_explorer_outputs,
)
from nbhelpers.widgets import OverlapExplorer
from nbhelpers.widgets.frames import (
    EXPLORER_MIME,
    check_frame_set,
    compact_png,
    control,
    frame_key,
    frame_set,
    start_frame,
)

ROOT = Path(__file__).resolve().parents[1]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _decode(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png))


def test_compact_png_keeps_a_few_flat_colours_exactly_and_full_colour_on_request():
    rgba = np.full((30, 50, 4), 255, dtype=np.uint8)
    rgba[5:20, 10:30, :3] = (213, 94, 0)  # a bar
    rgba[25:, :, :3] = 0  # a black axis line
    small = _decode(compact_png(rgba, colors=16))
    assert small.mode == "P" and small.size == (50, 30)
    assert np.array_equal(np.asarray(small.convert("RGB")), rgba[..., :3])
    rgba[:4, :40, :3] = np.linspace(150, 254, 40).astype(np.uint8)[None, :, None]  # anti-aliasing greys
    reduced = np.asarray(_decode(compact_png(rgba, colors=16)).convert("RGB"))
    assert (reduced[10:25, 30:] == 255).all()  # the background stays white, not a bucket's centre
    assert (reduced[5:20, 10:30] == (213, 94, 0)).all()
    assert np.abs(reduced[:4].astype(int) - rgba[:4, :, :3]).max() < 40  # greys: the nearest of 16
    shaded = np.random.default_rng(0).integers(0, 256, size=(8, 9, 4), dtype=np.uint8)
    shaded[..., 3] = 255
    full = _decode(compact_png(shaded, colors=None))
    assert full.mode == "RGB" and np.array_equal(np.asarray(full), shaded[..., :3])
    with pytest.raises(ValueError, match="uint8"):
        compact_png(np.zeros((4, 4, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="colors"):
        compact_png(rgba, colors=1)


def test_a_frame_set_has_every_combination_and_stores_each_picture_once():
    calls = []

    def render(size, shade):
        calls.append((size, shade))
        colour = 0 if shade == "dark" else 200
        rgba = np.full((4, size, 4), 255, dtype=np.uint8)
        rgba[..., :3] = colour
        return compact_png(rgba), f"<b>{size} {shade}</b>"

    controls = [control("size", "size", [2, 3, 4], 3),
                control("shade", "shade", ["dark", "light"], "light", kind="toggle", labels=["D", "L"])]
    frames = check_frame_set(frame_set("demo", controls, render, "a note"))
    assert len(calls) == 6 and len(frames["frames"]) == 6 and len(frames["images"]) == 6
    assert frames["frames"][frame_key([2, 0])][1] == "<b>4 dark</b>"
    assert start_frame(frames)[1] == "<b>3 light</b>"  # size index 1, shade index 1
    assert _decode(base64.b64decode(frames["images"][start_frame(frames)[0]])).size == (3, 4)
    same = frame_set("demo", controls[:1], lambda size: (b"same", str(size)), "n")
    assert same["images"] == [base64.b64encode(b"same").decode()]  # one picture, three settings
    broken = json.loads(json.dumps(frames))
    del broken["frames"]["1|0"]
    with pytest.raises(ValueError, match="no valid frame for setting 1\\|0"):
        check_frame_set(broken)


def test_controls_reject_what_a_page_cannot_show():
    with pytest.raises(ValueError, match="starting value"):
        control("k", "k", [1, 2], 5)
    with pytest.raises(ValueError, match="kind"):
        control("k", "k", [1, 2], 1, kind="dial")
    with pytest.raises(ValueError, match="ints or strings"):
        control("k", "k", [1.5, 2], 2)
    with pytest.raises(ValueError, match="labels"):
        control("k", "k", [1, 2], 1, labels=["one"])
    with pytest.raises(ValueError, match="at least one control"):
        frame_set("x", [], lambda: (b"", ""), "")
    with pytest.raises(ValueError, match="lacks"):
        check_frame_set({"explorer": "x"})


def test_explorer_calls_are_read_from_literal_arguments_only():
    assert explorer_call("overlap_explorer(kernel_size=5, stride=2, layers=1, ndim=2)") == {
        "explorer": "overlap", "settings": {"kernel_size": 5, "stride": 2, "layers": 1, "ndim": 2}}
    assert explorer_call("w.OverlapExplorer(4, 3)") == {
        "explorer": "overlap", "settings": {"kernel_size": 4, "stride": 3}}
    code = "explorer = StackExplorer(kernel_sizes=(3, 4), strides=(2, 2), final_size=None)\nexplorer.widget"
    assert explorer_call(code) == {"explorer": "stack", "settings": {
        "kernel_sizes": [3, 4], "strides": [2, 2], "final_size": None}}
    for not_readable in ("overlap_explorer(kernel_size=k)", "StackExplorer(n_in=9)", "overlap_explorer(**s)",
                         "color_explorer(models, mean)", "%timeit overlap_explorer()", "print(1)"):
        assert explorer_call(not_readable) is None, not_readable
    with pytest.raises(ValueError, match="source"):
        explorer_call(None)


def test_the_committed_explorer_notebooks_name_their_explorers():
    """What the site reads: the saved settings, or (before re-execution) the cell's call."""
    found = {}
    for name in ("01_uneven_overlap", "02_stacking_and_stride1"):
        for cell in json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())["cells"]:
            for out in cell.get("outputs", []):
                if WIDGET_VIEW in out.get("data", {}) and "image/png" in out["data"]:
                    saved = out["data"].get(EXPLORER_MIME) or explorer_call("".join(cell["source"]))
                    found[name] = saved["explorer"]
    assert found == {"01_uneven_overlap": "overlap", "02_stacking_and_stride1": "stack"}


def _overlap_output(**settings) -> dict:
    bundle = OverlapExplorer(**settings).widget._repr_mimebundle_()
    return {"output_type": "execute_result", "data": bundle, "metadata": {}, "execution_count": 1}


@pytest.fixture
def house_style():
    """The notebooks' matplotlib defaults (each notebook calls use_house_style first)."""
    from matplotlib import rc_context

    from nbhelpers.plots import use_house_style

    with rc_context():
        use_house_style()
        yield


def test_site_frames_are_the_live_explorers_pictures_for_every_setting(house_style):
    frames = explorer_frames(_overlap_output(kernel_size=4, stride=2)["data"])
    assert frames["explorer"] == "overlap" and len(frames["frames"]) == 8 * 4 * 3 * 2
    assert [c["name"] for c in frames["controls"]] == ["kernel_size", "stride", "layers", "ndim"]
    assert [c["values"][c["index"]] for c in frames["controls"]] == [4, 2, 1, 1]  # where it started
    live = OverlapExplorer()
    for setting in ((4, 2, 1, 1), (3, 2, 3, 1), (5, 3, 2, 2), (1, 3, 1, 1)):
        live.kernel.value, live.stride.value, live.layers.value, live.ndim.value = setting
        key = frame_key([setting[0] - 1, setting[1] - 1, setting[2] - 1, setting[3] - 1])
        image, text = frames["frames"][key]
        assert text == live.text.value
        page = np.asarray(_decode(base64.b64decode(frames["images"][image])).convert("RGB"), dtype=float)
        shown = np.asarray(_decode(live.view.image.value).convert("RGB"), dtype=float)
        assert page.shape == shown.shape, setting
        assert np.abs(page - shown).mean() < 1.5, setting  # a palette's rounding
    assert "no paint" in frames["frames"][frame_key([0, 2, 0, 0])][1]  # k=1, s=3 leaves gaps
    assert len(json.dumps(frames)) < 2_000_000


def test_site_turns_explorer_outputs_into_static_explorers_and_keeps_the_rest(capsys):
    overlap = _overlap_output()
    legacy = _overlap_output()
    legacy["data"].pop(EXPLORER_MIME)  # saved before explorers named themselves: the call is read
    colour_without_frames = {"output_type": "execute_result", "metadata": {},
                             "data": {WIDGET_VIEW: {"model_id": "x"}, "image/png": "AAAA",
                                      EXPLORER_MIME: {"explorer": "color", "settings": {"color": "#f00000"}}}}
    broken = json.loads(json.dumps(overlap))
    broken["data"][EXPLORER_MIME] = {"explorer": "color", "frames": {"explorer": "color"}}
    cells = [{"cell_type": "code", "source": "overlap_explorer()", "outputs": [overlap]},
             {"cell_type": "code", "source": ["overlap_explorer(kernel_size=3,\n", " stride=2)"],
              "outputs": [legacy]},
             {"cell_type": "code", "source": "color_explorer(m, c)", "outputs": [colour_without_frames]},
             {"cell_type": "code", "source": "color_explorer(m, c)", "outputs": [broken]},
             {"cell_type": "markdown", "source": "overlap_explorer()"}]
    assert static_explorer_outputs({"cells": cells}) == 2
    for out in (overlap, legacy):
        assert list(out["data"]) == ["text/html"] and 'class="nbh-explorer"' in out["data"]["text/html"]
    assert "image/png" in colour_without_frames["data"] and "text/html" not in colour_without_frames["data"]
    assert "image/png" in broken["data"]  # a malformed frame set keeps the saved picture...
    assert "keeps its saved picture" in capsys.readouterr().err  # ...and says so


def test_explorer_html_starts_at_the_saved_setting_and_cannot_break_out_of_its_script():
    frames = frame_set("demo", [control("n", "n", [1, 2], 2)],
                       lambda n: (f"png{n}".encode(), f"</script><b>{n}</b>"), "a <note>")
    block = explorer_html(frames)
    assert block.split('class="nbh-frames">')[1].count("</") == 2  # the JSON's own </script> and </div>
    data = json.loads(re.search(r'class="nbh-frames">(.*?)</script>', block, re.S).group(1))
    assert data == frames
    assert f'src="data:image/png;base64,{base64.b64encode(b"png2").decode()}"' in block
    assert "a &lt;note&gt;" in block and "<b>2</b>" in block
    assert "fetch(" not in EXPLORER_SCRIPT and "http" not in EXPLORER_SCRIPT  # works from file://
    with pytest.raises(ValueError):
        explorer_html({"explorer": "demo"})
