"""The fast picture path of the explorers: PNG encoding, whole-figure drawing and layered drawing."""

import io

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from nbhelpers.widgets.base import FigureView, Frame, LayeredCanvas, encode_png, figure_png, pin_xlabels
from nbhelpers.widgets.textcache import cached_text


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def _saved(fig: Figure) -> np.ndarray:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return np.asarray(Image.open(buffer).convert("RGB"))


def test_encode_png_round_trips_opaque_and_transparent_pictures():
    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, size=(21, 34, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    opaque = Image.open(io.BytesIO(encode_png(rgba, dpi=100)))
    assert opaque.mode == "RGB" and opaque.size == (34, 21)
    assert np.array_equal(np.asarray(opaque), rgba[..., :3])
    assert round(opaque.info["dpi"][0]) == 100
    rgba[3, 5, 3] = 7
    assert np.array_equal(_pixels(encode_png(rgba)), rgba)  # alpha kept when it matters
    with pytest.raises(ValueError, match="uint8"):
        encode_png(np.zeros((4, 4, 3), dtype=np.uint8))


def _demo_figure() -> tuple[Figure, object, object]:
    fig = Figure(figsize=(3, 2), dpi=100, layout="constrained")
    ax = fig.subplots()
    (line,) = ax.plot([0, 1, 2], [0, 1, 0], color="C1")
    ax.set_title("a fixed title")
    ax.set_xlabel("x")
    ax.set_xlim(0, 2)
    ax.set_ylim(0, 3)
    return fig, ax, line


def test_figure_png_draws_what_savefig_draws():
    fig, _, _ = _demo_figure()
    assert np.array_equal(_pixels(figure_png(fig)), _saved(fig))


def test_layered_canvas_reuses_the_still_layer_and_redraws_what_moves():
    fig, ax, line = _demo_figure()
    layers = LayeredCanvas(fig)
    pictures = []
    for height in (1, 2, 1):
        line.set_ydata([0, height, 0])
        pictures.append(encode_png(layers.rgba([line], "demo")))
        assert np.array_equal(_pixels(pictures[-1]), _saved(fig))  # same as a full redraw
    assert layers.full_draws == 1
    assert pictures[0] == pictures[2] != pictures[1]
    ax.set_title("another title")  # the still layer changed: a new key redraws it
    layers.rgba([line], "other title")
    assert layers.full_draws == 2
    assert np.array_equal(layers.rgba([line], "other title")[..., :3], _saved(fig))
    with pytest.raises(ValueError, match="belong to an Axes"):
        layers.rgba([fig.text(0.5, 0.5, "figure text")], "demo")


def test_figure_view_takes_figures_and_frames():
    fig, _, line = _demo_figure()
    view = FigureView(lambda layered: Frame(fig, [line], "k") if layered else fig)
    view.show(layered=False)
    whole = view.image.value
    assert view.layers is None and whole[:4] == b"\x89PNG"
    view.show(layered=True)
    assert view.layers is not None and view.layers.figure is fig
    assert np.array_equal(_pixels(view.image.value), _pixels(whole))


def test_pinned_x_labels_stay_where_matplotlib_put_them():
    fig, ax, _ = _demo_figure()
    before = _saved(fig)
    pin_xlabels(fig, [ax])
    assert np.array_equal(_saved(fig), before)


def test_cached_text_draws_the_same_pixels_as_matplotlib():
    """Reused layouts and glyph bitmaps give matplotlib's own pixels, cold or warm, whatever the
    sub-pixel position, rotation, size, weight, colour, alpha, antialiasing or font settings."""
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from nbhelpers.widgets import textcache

    rng = np.random.default_rng(0)
    fig = Figure(figsize=(4, 3), dpi=100)
    canvas = FigureCanvasAgg(fig)
    texts = [fig.text(0, 0, "") for _ in range(12)]
    texts.append(fig.text(0.1, 0.1, r"math $x^2$ is drawn the usual way"))
    words = ["coverage", "output position", "k=3,s=2 x3 + m=2", "0.25", "AVAWTo ffi", "µ² ½", "two\nlines"]
    textcache.clear()
    for trial in range(8):
        for text in texts[:-1]:
            text.set_position(rng.uniform(0, 1, size=2))
            text.set_text(str(rng.choice(words)))
            text.set_rotation(rng.choice([0, 90, 30, -12.5]))
            text.set_fontsize(rng.choice([7, 9, 9.5, 10, 13]))
            text.set_color(str(rng.choice(["k", "C1", "0.4"])))
            text.set_alpha(rng.choice([None, 0.5]))
            text.set_antialiased(bool(rng.random() < 0.8))
            text.set_fontweight(str(rng.choice(["normal", "bold"])))
            text.set_ha(str(rng.choice(["left", "center", "right"])))
        with mpl.rc_context({"font.family": "monospace"} if trial >= 6 else {}):
            canvas.draw()
            plain = np.asarray(canvas.buffer_rgba()).copy()
            for _ in range(2):  # the first draw fills the caches, the second reads them
                renderer = canvas.get_renderer()
                with cached_text(renderer):
                    canvas.draw()
                assert np.array_equal(np.asarray(canvas.buffer_rgba()), plain), trial
                assert "draw_text" not in vars(renderer)  # a savefig elsewhere draws as usual
    if textcache.SUPPORTED:
        assert textcache._layouts and textcache._glyphs


def test_figure_view_pixels_are_what_show_puts_in_the_widget_and_leave_it_alone():
    """The pixels static pages embed: the same picture as the live widget, for figures and frames."""
    fig = Figure(figsize=(2, 1.5), dpi=100)
    fig.set_layout_engine("none")
    ax = fig.subplots()
    (line,) = ax.plot([0, 1], [0, 1])

    def draw(layered: bool, y: float):
        line.set_ydata([0, y])
        if layered:
            return Frame(fig, [line], "k")
        whole = Figure(figsize=(2, 1.5), dpi=100)
        whole.subplots().plot([0, 1], [0, y])
        return whole

    view = FigureView(draw)
    for layered in (True, False):
        view.show(layered=layered, y=2.0)
        shown = view.image.value
        pixels = view.pixels(layered=layered, y=3.0)
        assert view.image.value == shown  # the widget still shows y=2
        assert pixels.shape == (150, 200, 4) and pixels.dtype == np.uint8
        view.show(layered=layered, y=3.0)
        assert np.array_equal(pixels[..., :3], _pixels(view.image.value)[..., :3])
        view.pixels(layered=layered, y=1.0)
        assert np.array_equal(pixels[..., :3], _pixels(view.image.value)[..., :3])  # a copy, not a view


def test_explorer_box_saves_static_data_and_still_shows_when_it_fails():
    import pytest

    from nbhelpers.widgets.base import ExplorerBox
    from nbhelpers.widgets.frames import EXPLORER_MIME

    view = FigureView(lambda: Figure(figsize=(1, 1)))
    view.show()
    box = ExplorerBox([view.image], view, static=lambda: {"explorer": "demo", "settings": {"n": 1}})
    assert box._repr_mimebundle_()[EXPLORER_MIME] == {"explorer": "demo", "settings": {"n": 1}}

    def broken() -> dict:
        raise RuntimeError("no models")

    with pytest.warns(UserWarning, match="no models"):
        bundle = ExplorerBox([view.image], view, static=broken)._repr_mimebundle_()
    assert "image/png" in bundle and EXPLORER_MIME not in bundle
