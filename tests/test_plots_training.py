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


def test_unknown_kinds_never_borrow_a_known_kinds_colour():
    import torch

    from nbhelpers.plots.training import plot_training_length

    curves = {k: torch.rand(3, 4) for k in ("deconv3", "nearest", "swap_a", "swap_b")}
    fig = plot_training_length([100, 300, 1000, 3000], {"index": curves})
    means = [line for line in fig.axes[0].lines if line.get_marker() == "o"]
    from matplotlib.colors import to_hex

    assert len({to_hex(line.get_color()) for line in means}) == 4
