"""The overlap explorer redraws in place and explains impossible settings."""

from nbhelpers.widgets import FigureView, OverlapExplorer, overlap_explorer
from nbhelpers.widgets.overlap import describe_overlap


def test_explorer_redraws_in_place_when_a_slider_moves():
    explorer = OverlapExplorer()
    first = explorer.view.image.value
    assert first[:4] == b"\x89PNG"
    explorer.kernel.value = 4
    second = explorer.view.image.value
    assert second != first
    assert "unevenness 1" in explorer.text.value
    explorer.ndim.value = 2
    assert explorer.view.image.value != second
    assert explorer.widget.children[-1] is explorer.view.image  # same widget, new picture


def test_every_slider_combination_draws():
    explorer = OverlapExplorer()
    for k in (1, 3, 8):
        for s in (1, 4):
            for layers in (1, 3):
                for ndim in (1, 2):
                    ms = explorer.update(k, s, layers, ndim)
                    assert ms > 0


def test_gaps_are_explained_not_raised():
    text = describe_overlap(kernel_size=1, stride=3, layers=1, ndim=1)
    assert "no paint" in text and "shorter than the stride" in text
    assert "does not divide" in describe_overlap(3, 2, 1, 2)


def test_factory_returns_a_widget_and_figure_view_times_itself():
    box = overlap_explorer()
    assert hasattr(box, "children")
    from matplotlib.figure import Figure

    view = FigureView(lambda: Figure())
    assert view.show() >= 0 and view.image.value[:4] == b"\x89PNG"


def test_saved_explorer_output_carries_the_current_picture():
    """What a saved notebook or `make html` shows: the PNG the explorer last drew, not a stale one."""
    import base64

    explorer = OverlapExplorer()
    explorer.kernel.value = 4
    bundle = explorer.widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]) == explorer.view.image.value

    from matplotlib.figure import Figure

    from nbhelpers.widgets.base import ExplorerBox

    blank = ExplorerBox([], FigureView(lambda: Figure()))  # never drawn: no picture to carry
    assert "image/png" not in blank._repr_mimebundle_()
