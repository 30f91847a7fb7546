"""Tests of nbhelpers.linear: layer matrices and weight tying per output phase."""

import functools

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nbhelpers.layers.matrices import (
    deconvolution_1d,
    layer_matrix,
    phase_filters,
    phase_parameters,
    resize_convolution_1d,
)
from nbhelpers.measures import coverage


def test_layer_matrix_of_a_convolution_equals_the_convolution_on_random_inputs():
    gen = torch.Generator().manual_seed(0)
    conv = nn.Conv1d(1, 1, 5, padding=2, bias=False)
    m = layer_matrix(conv, 12, device="cpu")
    assert m.shape == (12, 12)
    x = torch.randn(4, 12, generator=gen)
    with torch.no_grad():
        expected = conv(x.unsqueeze(1)).squeeze(1)
    assert torch.allclose(x @ m.T, expected, atol=1e-5)


def test_layer_matrix_accepts_plain_functions_and_strided_layers():
    w = torch.tensor([[[1.0, -2.0, 0.5]]])
    m = layer_matrix(lambda x: F.conv_transpose1d(x, w, stride=2), 5, device="cpu")
    assert m.shape == ((5 - 1) * 2 + 3, 5)
    x = torch.randn(5)
    assert torch.allclose(m @ x, F.conv_transpose1d(x.view(1, 1, -1), w, stride=2).flatten(), atol=1e-6)


def test_row_sums_of_a_k3_s2_deconvolution_alternate_and_are_the_coverage():
    m = layer_matrix(deconvolution_1d(3, 2, device="cpu"), 8)
    sums = m.sum(dim=1)
    interior = sums[1:-1]
    assert set(interior[0::2].tolist()) != set(interior[1::2].tolist())
    assert sorted(set(interior.tolist())) == [1.0, 2.0]
    # without cropping, the matrix of a deconvolution of ones is the coverage count
    full = layer_matrix(lambda x: F.conv_transpose1d(x, torch.ones(1, 1, 3), stride=2), 8, device="cpu")
    assert torch.equal(full.sum(dim=1).long(), coverage(3, 2, n_in=8, device="cpu"))


@pytest.mark.parametrize("mode", ["nearest", "linear"])
@pytest.mark.parametrize("k", [3, 4])
def test_resize_convolution_row_sums_are_constant_in_the_interior(mode, k):
    weight = torch.tensor([0.3, 1.0, -0.2, 0.6][:k])
    m = layer_matrix(resize_convolution_1d(k, 2, mode, weight=weight, device="cpu"), 10)
    assert m.shape == (20, 10)
    interior = m.sum(dim=1)[3:-3]
    assert torch.allclose(interior, torch.full_like(interior, weight.sum().item()), atol=1e-6)


def test_deconvolution_output_length_is_stride_times_input():
    for k in range(1, 8):
        for s in range(1, 4):
            assert layer_matrix(deconvolution_1d(k, s, device="cpu"), 6).shape == (6 * s, 6)


def test_layer_matrix_rejects_bad_inputs_with_clear_errors():
    with pytest.raises(TypeError, match="layer must be callable"):
        layer_matrix(3, 4)
    with pytest.raises(ValueError, match="n_in"):
        layer_matrix(nn.Identity(), 0)
    with pytest.raises(ValueError, match="bias"):
        layer_matrix(nn.Conv1d(1, 1, 3), 6)
    with pytest.raises(ValueError, match="not linear"):
        layer_matrix(nn.Sequential(nn.Conv1d(1, 1, 3, bias=False), nn.ReLU()), 6)
    with pytest.raises(ValueError, match=r"\(batch, 1, n_in\)"):
        layer_matrix(nn.Conv1d(3, 1, 3, bias=False), 6)
    with pytest.raises(TypeError, match="torch.Tensor"):
        layer_matrix(lambda x: x.tolist(), 4)


def test_phase_filters_and_their_validation():
    m = layer_matrix(resize_convolution_1d(3, 2, "nearest", weight=torch.tensor([1.0, 2.0, 4.0]),
                                           device="cpu"), 8)
    filters = phase_filters(m, 2, radius=1)
    # nearest-resize then conv: phase 0 reads (w0, w1 + w2), phase 1 reads (w0 + w1, w2)
    assert filters.tolist() == [[1.0, 6.0, 0.0], [0.0, 3.0, 4.0]]
    with pytest.raises(ValueError, match="scale"):
        phase_filters(m, 3)
    with pytest.raises(ValueError, match="radius"):
        phase_filters(m, 2, radius=6)


def test_phase_parameters_deconvolution_splits_resize_convolution_ties():
    deconv = phase_parameters(deconvolution_1d, 3, 2)
    assert sorted(deconv.per_phase) == [1, 2] and deconv.total == 3 and deconv.shared == 0
    nearest = phase_parameters(functools.partial(resize_convolution_1d, mode="nearest"), 3, 2)
    assert nearest.per_phase == (2, 2) and nearest.total == 3 and nearest.shared == 1
    bilinear = phase_parameters(functools.partial(resize_convolution_1d, mode="linear"), 3, 2)
    assert bilinear.per_phase == (3, 3) and bilinear.shared == 3
    with pytest.raises(TypeError, match="make_layer"):
        phase_parameters(None, 3, 2)
