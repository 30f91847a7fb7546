import torch
from matplotlib.figure import Figure

from nbhelpers.plots import (
    FIX_COLORS,
    FIX_LABELS,
    plot_border_comparison,
    plot_cost,
    plot_generator_periods,
    plot_radial_spectra,
    plot_zoomed_reconstructions,
)


def test_every_notebook_kind_has_a_colour_and_label():
    from nbhelpers.layers.registry import UPSAMPLERS

    assert set(UPSAMPLERS) <= set(FIX_COLORS) and set(UPSAMPLERS) <= set(FIX_LABELS)


def test_fix_plots_return_figures():
    figs = [
        plot_generator_periods({"a": torch.rand(3, 3), "b": torch.rand(3, 3)}, (2, 4, 8), [0.01, 0.02, 0.04],
                               samples={"a": torch.randn(2, 3, 8, 8), "b": torch.randn(2, 3, 8, 8)}),
        plot_generator_periods({"a": torch.rand(3, 2)}, (2, 4), [0.01, 0.02]),
        plot_zoomed_reconstructions(torch.rand(3, 16, 16), {"deconv3": torch.rand(3, 16, 16),
                                                            "nearest": torch.rand(3, 16, 16)}, box=(2, 2, 8)),
        plot_radial_spectra(torch.linspace(0, 0.7, 10), {"deconv3": torch.rand(10) + 0.1},
                            torch.rand(10) + 0.1),
        plot_radial_spectra(torch.linspace(0, 0.7, 10), {"deconv3": torch.rand(10) + 0.1}),
        plot_border_comparison({"zeros": torch.rand(8, 8), "reflect": torch.ones(8, 8)},
                               {"nearest": [torch.rand(4), torch.rand(4)], "nearest_zeros": [torch.rand(4)]}),
        plot_cost(["x2 a", "x2 b", "x4 a"], [1e6, 2e6, 8e6], [1e-3, 2e-3, 5e-3], groups=["x2", "x2", "x4"]),
        plot_cost(["a"], [1e6], [1e-3]),
    ]
    for fig in figs:
        assert isinstance(fig, Figure) and fig.axes
