"""Smoke tests of the notebook-02 figures: they build, have the expected panels, and validate."""

import pytest
import torch
from matplotlib.figure import Figure

from nbhelpers.experiments.stacking import analyze_stack, stride1_dampening
from nbhelpers.layers.matrices import deconvolution_1d, layer_matrix
from nbhelpers.measures import box_filter_response
from nbhelpers.plots import (
    plot_box_filter_response,
    plot_dampening,
    plot_layer_matrices,
    plot_stack_overview,
    plot_stride1_gallery,
)


def test_stack_overview_has_five_panels_per_stack_and_needs_2d():
    analyses = [analyze_stack(3, [2] * d, with_2d=True) for d in (1, 2)]
    fig = plot_stack_overview(analyses)
    assert isinstance(fig, Figure) and len(fig.axes) == 14  # 10 panels and 4 colour bars
    with pytest.raises(ValueError, match="with_2d"):
        plot_stack_overview([analyze_stack(3, 2)])


def test_box_filter_and_dampening_figures():
    freqs = torch.linspace(0, 0.5, 51)
    fig = plot_box_filter_response(freqs, {m: box_filter_response(m, freqs) for m in (1, 2, 3)})
    assert len(fig.axes[0].lines) == 3 + 3  # three curves, three period marks
    table = stride1_dampening(3, [2, 2], sizes=[1, 2])
    fig = plot_dampening({"ones": table, "again": table}, [1, 2], [2, 4])
    assert len(fig.axes) == 3  # two heatmaps and a colour bar


def test_stride1_gallery_and_matrices():
    analyses = [analyze_stack(3, [2, 2], final_size=m, with_2d=True) for m in (1, 2)]
    assert len(plot_stride1_gallery(analyses).axes) == 8  # 6 panels and 2 colour bars
    m = layer_matrix(deconvolution_1d(3, 2, device="cpu"), 4)
    fig = plot_layer_matrices({"deconv": m}, {"deconv": m.sum(1)})
    assert len(fig.axes) == 3  # the matrix, its colour bar, the row sums
