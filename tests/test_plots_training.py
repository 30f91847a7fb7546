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


def test_a_kind_without_a_registry_colour_is_refused_not_given_a_spare_one():
    from nbhelpers.plots.training import plot_training_length

    curves = {k: torch.rand(3, 4) for k in ("deconv3", "nearest", "swap_a")}
    with pytest.raises(ValueError, match="swap_a"):
        plot_training_length([100, 300, 1000, 3000], {"index": curves})


def test_log_panels_draw_the_geometric_mean_and_a_positive_log_space_interval():
    from nbhelpers.plots import interval95, plot_training_length

    values = torch.tensor([[1e-4, 1e-2], [1e-2, 1e-2], [1.0, 1e-2]], dtype=torch.float64)
    arith = interval95(values)
    assert arith[1][0] < 0  # the arithmetic interval of a skewed index goes below 0 ...
    mean, low, high = interval95(values, log=True)
    assert mean[0] == pytest.approx(1e-2) and low[0] > 0  # ... the log-space one never does
    assert low[0] * high[0] == pytest.approx(mean[0] ** 2)  # symmetric on a log axis
    fig = plot_training_length([100, 300], {"index": {"deconv3": values}}, log_y=["index"])
    ax = fig.axes[0]
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() > 0 and band.min() == pytest.approx(low.min())
    means = [line for line in ax.lines if line.get_marker() == "o"]
    assert means[0].get_ydata()[0] == pytest.approx(1e-2)  # the geometric mean, not 0.337
    with pytest.raises(ValueError, match="log"):
        plot_training_length([100, 300], {"index": {"deconv3": values - 0.5}}, log_y=["index"])


def test_seven_kinds_are_drawn_as_small_multiples_with_the_others_in_grey():
    from matplotlib.colors import to_hex

    from nbhelpers.experiments.longrun import AUTOENCODER_KINDS
    from nbhelpers.plots import kind_color, plot_training_length
    from nbhelpers.plots.style import NEUTRALS

    gen = torch.Generator().manual_seed(0)
    curves = {k: torch.rand(5, 5, generator=gen) + 0.01 for k in AUTOENCODER_KINDS}
    steps = [100, 300, 1000, 3000, 10000]
    fig = plot_training_length(steps, {"index": curves, "PSNR": curves}, log_y=["index"])
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 2 * len(AUTOENCODER_KINDS)  # one panel per metric and kind
    assert fig.get_figwidth() * fig.dpi <= 1400
    for ax, kind in zip(panels, AUTOENCODER_KINDS):
        colors = {to_hex(line.get_color()) for line in ax.lines if line.get_linestyle() != "--"}
        assert colors == {kind_color(kind), to_hex(NEUTRALS["context"])}  # this kind, the others grey
    assert panels[0].get_shared_y_axes().joined(panels[0], panels[1])  # one y scale per metric
    few = plot_training_length([100, 300], {"index": {k: curves[k][:, :2] for k in AUTOENCODER_KINDS[:3]}})
    assert len([ax for ax in few.axes if ax.get_visible()]) == 1  # three kinds still share one panel
