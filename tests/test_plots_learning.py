import torch
from matplotlib.figure import Figure

from nbhelpers.layers.phases import phase_map
from nbhelpers.plots import (
    plot_amplitude_vs_distance,
    plot_color_examples,
    plot_phase_kernels,
    plot_reconstructions,
)


def test_learning_plots_return_figures():
    figs = [
        plot_phase_kernels({"deconv3": torch.randn(3, 3), "deconv4": torch.randn(4, 4)},
                           {"deconv3": phase_map(3), "deconv4": phase_map(4)},
                           {"deconv3": torch.rand(2, 2) + 1, "deconv4": torch.rand(2, 2) + 1},
                           initial_responses={"deconv3": torch.rand(2, 2), "deconv4": torch.rand(2, 2)}),
        plot_reconstructions(torch.rand(4, 3, 8, 8), {"deconv3": torch.rand(4, 3, 8, 8)},
                             {"deconv3": torch.randn(3, 2, 2)}, n=3),
        plot_amplitude_vs_distance(torch.rand(10), {"deconv3": [torch.rand(10)], "nearest": [torch.rand(10)]},
                                   {"deconv3": [0.1], "nearest": [0.01]},
                                   {"deconv3": [0.0], "nearest": [0.0]}),
        plot_color_examples(torch.rand(2, 3), {"deconv3": torch.rand(2, 3, 8, 8)}, {"deconv3": [0.01, 0.02]},
                            titles=["a", "b"]),
    ]
    for fig in figs:
        assert isinstance(fig, Figure) and fig.axes
