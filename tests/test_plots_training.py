"""Curves over training length."""

import pytest
import torch


def test_training_length_figure_and_interval():
    from matplotlib.figure import Figure

    from nbhelpers.plots import interval95, plot_training_length

    values = torch.tensor([[1.0, 2.0], [3.0, 4.0], [2.0, 3.0]])
    mean, low, high = interval95(values)
    assert mean.tolist() == [2.0, 3.0] and high[0] - mean[0] == pytest.approx(4.30 * 1.0 / 3**0.5)
    fig = plot_training_length([100, 300], {"index": {"deconv3": values}, "PSNR (dB)": {"nearest": values}},
                               log_y=["index"], reference={"index": 0.5})
    assert isinstance(fig, Figure) and fig.axes[0].get_xscale() == "log" and fig.axes[0].get_yscale() == "log"
