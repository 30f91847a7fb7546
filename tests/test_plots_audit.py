import pytest
import torch

from nbhelpers import plots


def test_model_outputs_and_index_figures():
    outputs = {"a": torch.rand(3, 8, 8), "b": torch.rand(1, 6, 6)}
    patterns = {"a": torch.randn(2, 2), "b": torch.randn(3, 3)}
    fig = plots.plot_model_outputs(outputs, patterns)
    assert len(fig.axes) == 6 and fig.axes[0].get_title() == "a"  # 4 panels, a colour bar per pattern
    after = {"resize": {"a": 0.01, "b": 0.0}}
    fig = plots.plot_index_before_after({"a": 0.3, "b": 0.1}, after, 2, floor=0.02)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_ylim()[0] == pytest.approx(1e-4)
    heights = [p.get_height() for p in ax.patches]
    assert sum(h > 0 for h in heights) == 3  # the exact zero gets no bar ...
    assert any(t.get_text() == "< 1e-04" for t in ax.texts)  # ... but a mark


def test_signal_spectra_figure():
    freqs = torch.linspace(0, 0.5, 10)
    spectra = {"as designed": torch.rand(10), "resize-convolution": torch.rand(10)}
    fig = plots.plot_signal_spectra(freqs, spectra, marks=(0.25,))
    assert fig.axes[0].get_xlabel().startswith("frequency")
    from matplotlib.colors import to_hex

    colors = [to_hex(line.get_color()) for line in fig.axes[0].lines[:2]]
    assert colors == [plots.kind_color("deconv3"), plots.kind_color("nearest")]  # the unfixed model is orange
