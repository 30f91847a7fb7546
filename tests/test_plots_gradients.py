import pytest
import torch
from matplotlib.figure import Figure

from nbhelpers.plots import (
    plot_backward_identity,
    plot_feature_visualizations,
    plot_gan_index,
    plot_gradient_index_by_design,
    plot_gradient_magnitudes,
    plot_high_frequency_share,
    plot_readout_gradients,
)


def test_gradient_plots_return_figures():
    designs = ("stride2_k3", "blurpool")
    figs = [
        plot_backward_identity(torch.randn(3, 8, 8), torch.randn(3, 8, 8), title="k=3, s=2: "),
        plot_readout_gradients({"k=3": torch.rand(8, 8), "k=4": torch.rand(1, 8, 8)}),
        plot_gradient_magnitudes({"init": {d: torch.rand(32, 32) for d in designs},
                                  "trained": {d: torch.rand(32, 32) for d in designs}}),
        plot_gradient_index_by_design({"init": {d: [0.1, 0.2] for d in designs}},
                                      {"init": {d: [1.5, 2.0] for d in designs}}),
        plot_feature_visualizations({"a": torch.rand(3, 32, 32), "b": torch.rand(3, 32, 32)},
                                    {"a": 0.5, "b": 0.1}),
        plot_high_frequency_share({"init": {d: [0.6, 0.5] for d in designs}}, noise_share=0.61),
        plot_gan_index({"stride-2 first layer": [([0, 10], [0.01, 0.1])],
                        "stride1": [([0, 10], [0.01, 0.02])]},
                       reference=0.03, examples={"stride-2 first layer": torch.rand(3, 3, 8, 8)}),
    ]
    for fig in figs:
        assert isinstance(fig, Figure) and fig.axes and fig.dpi >= 100


def test_backward_identity_panel_reports_the_difference():
    a = torch.zeros(4, 4)
    fig = plot_backward_identity(a, a + 0.5)
    assert "5.0e-01" in fig.axes[2].get_title()


def test_gradient_magnitudes_normalise_each_map_by_its_mean():
    board = torch.ones(20, 20)
    board[1::2, 1::2] = 4.0
    fig = plot_gradient_magnitudes({"init": {"stride2_k3": board * 10}}, crop=4, border=2)
    shown = fig.axes[0].images[0].get_array()
    assert shown.shape == (4, 4) and abs(float(shown.mean()) - 1.0) < 1e-9


def test_plots_reject_wrong_shapes():
    with pytest.raises(ValueError, match="autograd"):
        plot_backward_identity(torch.rand(2, 3, 4, 4), torch.rand(4, 4))


def test_high_frequency_share_figure_marks_white_noise():
    share = {"init": {"maxpool": [0.6, 0.65], "avgpool": [0.1, 0.2]}}
    fig = plot_high_frequency_share(share, noise_share=0.61)
    ax = fig.axes[0]
    assert ax.get_ylim() == (0.0, 1.0)
    assert any("white noise" in text.get_text() for text in ax.get_legend().get_texts())
