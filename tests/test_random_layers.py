"""Artifacts before training: random transposed convolutions (notebook 01)."""

import pytest
import torch

from nbhelpers.experiments.random_layers import random_deconvolution_index, random_deconvolution_output


def test_random_deconvolution_index_is_seeded_and_follows_overlap():
    a = random_deconvolution_index(3, 2, seeds=[0, 1], batch=2, size=16)
    b = random_deconvolution_index(3, 2, seeds=[0, 1], batch=2, size=16)
    assert a.shape == (2,) and torch.equal(a, b)
    even = random_deconvolution_index(4, 2, seeds=[0, 1], batch=2, size=16)
    assert a.min() > 1.5 * even.max()
    out = random_deconvolution_output(4, 2, batch=2, size=10)
    assert out.shape == (2, 1, 9 * 2 + 1 - 3, 9 * 2 + 1 - 3)
    with pytest.raises(ValueError, match="weights"):
        random_deconvolution_output(3, 2, weights="ones")
    with pytest.raises(ValueError, match="stride"):
        random_deconvolution_index(3, 1)
