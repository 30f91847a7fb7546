"""Curves over training length."""

import pytest
import torch


def test_training_length_figure_and_interval():
    from matplotlib.figure import Figure

    from nbhelpers.plots import interval95, plot_training_length

    values = torch.tensor([[1.0, 2.0], [3.0, 4.0], [2.0, 3.0]])
    mean, low, high = interval95(values)
    assert mean.tolist() == [2.0, 3.0] and high[0] - mean[0] == pytest.approx(4.302653 * 1.0 / 3**0.5)
    fig = plot_training_length([100, 300], {"index": {"deconv3": values}, "PSNR (dB)": {"nearest": values}},
                               log_y=["index"], reference={"index": 0.5})
    assert isinstance(fig, Figure) and fig.axes[0].get_xscale() == "log" and fig.axes[0].get_yscale() == "log"


# t_{0.975} for n - 1 = 2, 4, 11, 29 degrees of freedom (printed t tables: 4.303, 2.776, 2.201, 2.045)
@pytest.mark.parametrize("seeds, t975", [(3, 4.302653), (5, 2.776445), (12, 2.200985), (30, 2.045230)])
def test_interval95_is_mean_plus_minus_exact_t_times_standard_error(seeds, t975):
    from nbhelpers.plots import interval95

    gen = torch.Generator().manual_seed(seeds)
    values = torch.randn(seeds, 4, generator=gen, dtype=torch.float64) * 3 + 10
    mean, low, high = interval95(values)
    m = values.sum(0) / seeds  # by hand: mean, sample standard deviation (n - 1), standard error
    s = ((values - m) ** 2).sum(0).div(seeds - 1).sqrt()
    half = t975 * s / seeds**0.5
    assert mean == pytest.approx(m.numpy(), rel=1e-12)
    assert low == pytest.approx((m - half).numpy(), rel=1e-6)
    assert high == pytest.approx((m + half).numpy(), rel=1e-6)
    assert (high - mean) / (s.numpy() / seeds**0.5) == pytest.approx([t975] * 4, abs=2e-6)
    if seeds > 10:  # the old table stopped at 9 degrees of freedom and fell back to 1.96
        assert ((high - mean) / (s.numpy() / seeds**0.5) > 1.99).all()


def test_interval95_of_one_seed_is_zero_width_and_of_none_raises():
    from nbhelpers.plots import interval95

    mean, low, high = interval95(torch.tensor([[1.0, 2.0]]))
    assert mean.tolist() == low.tolist() == high.tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match="values"):
        interval95(torch.zeros(0, 3))


def test_unknown_kinds_never_borrow_a_known_kinds_colour():
    import torch

    from nbhelpers.plots.training import plot_training_length

    curves = {k: torch.rand(3, 4) for k in ("deconv3", "nearest", "swap_a", "swap_b")}
    fig = plot_training_length([100, 300, 1000, 3000], {"index": curves})
    means = [line for line in fig.axes[0].lines if line.get_marker() == "o"]
    from matplotlib.colors import to_hex

    assert len({to_hex(line.get_color()) for line in means}) == 4
