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


def test_updates_reuse_one_figure_and_its_axes():
    explorer = OverlapExplorer()
    figure, axes = explorer.figure, list(explorer.figure.axes)
    for setting in [(4, 2, 1, 1), (3, 2, 2, 1), (3, 2, 1, 2), (1, 3, 1, 1)]:
        explorer.update(*setting)
        assert explorer.figure is figure and explorer.figure.axes == axes
        assert explorer.view.layers.figure is figure
    assert explorer.widget.children[-1] is explorer.view.image


def test_same_setting_gives_the_same_picture_whatever_came_before():
    """The cached still layer and the in-place artists never leak one setting into another."""
    settings = [(3, 2, 1, 1), (4, 2, 1, 2), (1, 3, 1, 1), (8, 4, 3, 1), (2, 1, 1, 2), (3, 2, 2, 1),
                (5, 3, 1, 2), (8, 1, 3, 2)]
    explorer = OverlapExplorer()
    first = {}
    for setting in settings:
        explorer.update(*setting)
        first[setting] = explorer.view.image.value
    assert len(set(first.values())) == len(settings)  # every setting draws something different
    for setting in reversed(settings):
        explorer.update(*setting)
        assert explorer.view.image.value == first[setting], setting
    fresh = OverlapExplorer(*settings[1])  # a new explorer draws the very same picture
    assert fresh.view.image.value == first[settings[1]]


def test_layered_picture_equals_a_full_redraw_of_the_figure(shows_full_redraw):
    """1D <-> 2D switches, gaps and long maps: what the widget shows is what the figure holds."""
    explorer = OverlapExplorer()
    for setting in [(3, 2, 1, 2), (3, 2, 1, 1), (1, 3, 1, 1), (1, 3, 1, 2), (8, 4, 3, 1), (2, 1, 2, 2),
                    (3, 2, 3, 1), (3, 2, 1, 1)]:
        explorer.update(*setting)
        assert shows_full_redraw(explorer), setting


def test_views_show_the_right_panels_and_gaps_still_draw():
    explorer = OverlapExplorer()
    explorer.update(1, 3, 1, 1)  # k < s: windows with gaps, zero-coverage bars
    assert "no paint" in explorer.text.value
    assert explorer.ax_windows.get_visible() and explorer.ax_low.get_visible()
    assert not explorer.ax_map.get_visible() and not explorer.ax_paths.get_visible()
    assert "window of 1, windows 3 apart" in explorer.ax_windows.get_title()
    explorer.update(1, 3, 1, 2)
    assert explorer.ax_map.get_visible() and not explorer.ax_windows.get_visible()
    assert explorer.heatmap.get_array().min() == 0  # the gaps are in the map
    explorer.update(3, 2, 2, 1)
    assert explorer.ax_paths.get_visible() and "through 2 layers" in explorer.ax_paths.get_title()


def test_cell_counts_are_written_in_the_2d_map_only_when_small():
    explorer = OverlapExplorer()
    explorer.update(3, 2, 1, 2)  # 13 x 13 map: counts written
    shown = [line for line in explorer.counts.lines if line.get_visible()]
    cells = sum(len(line.get_xdata()) for line in shown)
    assert cells == explorer.heatmap.get_array().size
    colors = {line.get_markerfacecolor() for line in shown}
    assert colors == {"black", "white"}
    explorer.update(8, 4, 1, 2)  # 28 x 28: too small to read, no counts
    assert not any(line.get_visible() for line in explorer.counts.lines)


def test_2d_map_is_the_2d_coverage_of_the_measures():
    """The explorer builds the 2D map as the outer product of the 1D map (numpy's is faster)."""
    import numpy as np

    from nbhelpers.measures.overlap import coverage

    explorer = OverlapExplorer()
    for k, s, layers in [(3, 2, 1), (8, 4, 3), (1, 3, 2), (5, 1, 2)]:
        explorer.update(k, s, layers, 2)
        expected = coverage([k] * layers, [s] * layers, n_in=explorer.n_in, ndim=2).cpu().numpy()
        shown = np.asarray(explorer.heatmap.get_array())
        assert shown.dtype == expected.dtype and np.array_equal(shown, expected), (k, s, layers)


def test_cached_text_never_leaves_a_stale_picture(shows_full_redraw):
    """Cold text caches, then warm ones: a setting and back gives the very same bytes and text."""
    from nbhelpers.widgets import textcache

    textcache.clear()
    explorer = OverlapExplorer()
    pictures, texts = {}, {}
    for setting in [(3, 2, 1, 1), (5, 3, 2, 1), (3, 2, 1, 2), (7, 2, 1, 1)]:
        explorer.update(*setting)
        pictures[setting], texts[setting] = explorer.view.image.value, explorer.text.value
        assert shows_full_redraw(explorer), setting
    assert len(set(pictures.values())) == len(pictures)
    for setting in reversed(list(pictures)):
        explorer.update(*setting)
        assert explorer.view.image.value == pictures[setting], setting
        assert explorer.text.value == texts[setting], setting


def test_saved_output_names_the_explorer_and_its_settings_for_static_pages():
    from nbhelpers.widgets.frames import EXPLORER_MIME

    explorer = OverlapExplorer(kernel_size=5, stride=3, layers=2, ndim=2)
    explorer.layers.value = 3
    saved = explorer.widget._repr_mimebundle_()[EXPLORER_MIME]
    assert saved == {"explorer": "overlap",
                     "settings": {"kernel_size": 5, "stride": 3, "layers": 3, "ndim": 2}}


def test_overlap_frames_cover_every_slider_setting_and_reject_others():
    import pytest

    from nbhelpers.widgets.frames import frame_key
    from nbhelpers.widgets.overlap import overlap_frames

    frames = overlap_frames(3, 2, 1, 1)
    live = OverlapExplorer()
    sliders = [live.kernel, live.stride, live.layers]
    assert [len(c["values"]) for c in frames["controls"]] == [w.max - w.min + 1 for w in sliders] + [2]
    assert len(frames["frames"]) == 8 * 4 * 3 * 2 and "Every setting" in frames["note"]
    assert "unevenness 1" in frames["frames"][frame_key([3, 1, 0, 0])][1]  # k=4, s=2: even
    assert "period 8" in frames["frames"][frame_key([2, 1, 2, 1])][1]  # three k=3, s=2 layers
    for bad in ({"kernel_size": 9}, {"stride": 0}, {"layers": 2.0}, {"ndim": 3}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            overlap_frames(**bad)
