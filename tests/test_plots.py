"""Plot functions take computed data and return a Figure with the expected panels."""

import pytest
import torch
from matplotlib.figure import Figure

from nbhelpers import plots
from nbhelpers.measures import (
    coverage,
    periodic_part,
    power_spectrum,
    radial_profile,
    smooth_field,
    window_starts,
)


def test_coverage_figures():
    fig = plots.plot_coverage_1d(coverage(3, 2, n_in=4), window_starts(3, 2, 4), title="t")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert len(plots.plot_coverage_1d(coverage(3, 2)).axes) == 1
    long = plots.plot_coverage_1d(coverage([3, 3, 3], [2, 2, 2], n_in=20))
    assert len(long.axes[0].patches) == 1  # drawn as one filled step, not hundreds of bars
    grid = plots.plot_coverage_grid({(k, s): coverage(k, s) for k in (2, 3) for s in (1, 2)})
    assert len(grid.axes) == 4
    assert grid.axes[1].get_title() == "k=3, s=1"
    fig2d = plots.plot_coverage_2d(coverage(3, 2, n_in=3, ndim=2))
    assert len(fig2d.axes) == 2  # image + colour bar
    assert "4" in [t.get_text() for t in fig2d.axes[0].texts]


def test_unevenness_table_figure_marks_gaps():
    table = torch.tensor([[1.0, float("inf")], [1.0, 2.0]])
    fig = plots.plot_unevenness_table(table, [1, 2], [1, 2])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "gaps" in texts and "2" in texts


def test_index_vs_unevenness_figure():
    fig = plots.plot_index_vs_unevenness([1.0, 2.0], torch.rand(2, 3), ["k=2", "k=3"], [2, 2])
    assert fig.axes[0].get_xlabel().startswith("unevenness")


def test_metric_and_spectrum_figures():
    x = smooth_field((32, 32), 3.0, ndim=2)
    fig = plots.plot_metric_two_ways(x, periodic_part(x, 2, ndim=2), power_spectrum(x, ndim=2), 2)
    assert len(fig.axes) == 5  # 3 panels, 2 colour bars
    freqs, profile = radial_profile(power_spectrum(x, ndim=2))
    fig = plots.plot_spectrum(freqs, {"a": profile}, marks=(0.5,))
    assert fig.axes[0].get_legend() is not None


def test_to_numpy_accepts_tensors_and_lists():
    assert plots.to_numpy(torch.ones(2, dtype=torch.int64)).tolist() == [1, 1]
    assert plots.to_numpy([1.5]).tolist() == [1.5]


@pytest.mark.parametrize("dpi_key", ["figure.dpi", "savefig.dpi"])
def test_house_style_reads_at_laptop_size(dpi_key):
    import matplotlib as mpl

    plots.use_house_style()
    assert mpl.rcParams[dpi_key] >= 100 and mpl.rcParams["font.size"] >= 9


def test_to_rgb_image_clips_and_moves_channels_last():
    image = plots.style.to_rgb_image(torch.tensor([[[2.0]], [[0.5]], [[-1.0]]]))
    assert image.shape == (1, 1, 3) and image.tolist() == [[[1.0, 0.5, 0.0]]]


def test_hide_ticks_on_one_axes_or_an_array():
    fig, axes = plots.new_figure(1, 2)
    plots.style.hide_ticks(axes)
    plots.style.hide_ticks(axes[0, 0])
    assert all(len(ax.get_xticks()) == 0 and len(ax.get_yticks()) == 0 for ax in fig.axes)
