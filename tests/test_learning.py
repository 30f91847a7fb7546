import pytest
import torch
from torch import nn

from nbhelpers.experiments.learning import (
    color_artifact_sweep,
    color_grid,
    decode_colors,
    flat_response,
    layer_input_means,
    phase_spread,
    predict,
)
from nbhelpers.layers.models import code_decoder
from nbhelpers.layers.registry import make_upsampler
from nbhelpers.measures import checkerboard, checkerboard_index, fit_line


class Painter(nn.Module):
    """Outputs a flat field of the code's colour plus a checkerboard of size `artifact`."""

    def __init__(self, artifact: float):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(1.0))
        self.artifact = artifact

    def forward(self, code):
        flat = code[:, 3:6, None, None].expand(-1, 3, 8, 8) * self.scale
        return flat + self.artifact * checkerboard((8, 8), ndim=2, device=code.device)


def test_batch_index_of_predictions_sees_a_shared_checkerboard():
    x = torch.rand(64, 3, 8, 8)
    noisy = nn.Sequential(nn.Identity())
    noisy.register_forward_hook(lambda m, a, out: out + 0.2 * checkerboard((8, 8), ndim=2))
    clean = checkerboard_index(predict(nn.Identity(), x), 2, ndim=2, reduce="batch").item()
    assert clean < 0.1
    assert checkerboard_index(predict(noisy, x), 2, ndim=2, reduce="batch").item() > 3 * clean


def test_predict_chunks_and_restores_mode():
    model = nn.Linear(3, 2).train()
    x = torch.rand(10, 3)
    assert torch.allclose(predict(model, x, batch_size=3), model(x).detach())
    assert model.training


def test_layer_input_means_reads_the_feature_levels():
    model = nn.Sequential(nn.Identity(), nn.Conv2d(2, 1, 1))
    x = torch.stack([torch.full((4, 4), 0.25), torch.full((4, 4), 2.0)]).expand(5, 2, 4, 4)
    assert torch.allclose(layer_input_means(model, model[1], x), torch.tensor([0.25, 2.0]))
    with pytest.raises(ValueError, match="layer"):
        layer_input_means(model, nn.Conv2d(2, 1, 1), x)


def test_flat_response_and_spread():
    layer = make_upsampler("nearest", 2, 3)
    response = flat_response(layer, torch.tensor([1.0, -0.5]))
    assert response.shape == (3, 2, 2)
    assert phase_spread(response).max() < 1e-5
    uneven = torch.tensor([[[1.0, 2.0], [2.0, 4.0]]])
    expected = torch.tensor([-1.25, -0.25, -0.25, 1.75]).pow(2).mean().sqrt().item()
    assert phase_spread(uneven).item() == pytest.approx(expected)


def test_color_sweep_amplitude_and_distance_are_exact_on_a_known_painter():
    colors = torch.tensor([[0.5, 0.5, 0.5], [1.0, 0.5, 0.5]])
    distance, amplitude = color_artifact_sweep(Painter(0.1), colors, torch.tensor([0.5, 0.5, 0.5]))
    assert torch.allclose(distance, torch.tensor([0.0, 0.5]))
    assert torch.allclose(amplitude, torch.full((2,), 0.1), atol=1e-6)
    assert decode_colors(Painter(0.0), colors).shape == (2, 3, 8, 8)
    with pytest.raises(ValueError, match="mean_color"):
        color_artifact_sweep(Painter(0.1), colors, torch.zeros(4))
    with pytest.raises(ValueError, match="colors"):
        decode_colors(Painter(0.0), torch.zeros(2, 4))


def test_color_grid_is_deterministic_in_the_cube():
    a, b = color_grid(16, seed=2), color_grid(16, seed=2)
    assert torch.equal(a, b) and a.shape == (16, 3) and 0 <= a.min() and a.max() <= 1


def test_fit_line_recovers_slope_and_intercept():
    x = torch.linspace(0, 1, 11)
    slope, intercept = fit_line(x, 0.3 * x + 0.02)
    assert slope == pytest.approx(0.3) and intercept == pytest.approx(0.02)
    with pytest.raises(ValueError, match="constant"):
        fit_line([1.0, 1.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="same length"):
        fit_line([1.0, 2.0], [0.0])


def test_sweep_runs_on_an_untrained_code_decoder():
    torch.manual_seed(0)
    d, a = color_artifact_sweep(code_decoder("deconv3"), color_grid(4), torch.full((3,), 0.5))
    assert d.shape == a.shape == (4,) and (a >= 0).all()
