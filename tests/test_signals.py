import pytest
import torch

from nbhelpers.measures import checkerboard, smooth_field


def test_smooth_field_is_normalised_and_seeded():
    a = smooth_field((3, 32, 32), 4.0, seed=5, ndim=2)
    assert a.shape == (3, 32, 32)
    assert torch.allclose(a.mean(dim=(-2, -1)), torch.zeros(3), atol=1e-5)
    assert torch.allclose(a.std(dim=(-2, -1), unbiased=False), torch.ones(3), atol=1e-4)
    assert torch.equal(a, smooth_field((3, 32, 32), 4.0, seed=5, ndim=2))
    assert not torch.equal(a, smooth_field((3, 32, 32), 4.0, seed=6, ndim=2))


def test_smooth_field_is_smooth():
    rough = smooth_field((64, 64), 0.5, seed=0, ndim=2)
    smooth = smooth_field((64, 64), 6.0, seed=0, ndim=2)
    def step(x):
        return (x[:, 1:] - x[:, :-1]).abs().mean()
    assert step(smooth) < 0.3 * step(rough)


def test_checkerboard_values():
    board = checkerboard((4, 4), 2, 0.5, ndim=2)
    assert board[0, 0] == 0.5 and board[0, 1] == -0.5 and board[1, 1] == 0.5
    assert checkerboard((6, 6), 3, ndim=2).pow(2).mean().sqrt().item() == pytest.approx(1.0)
    assert checkerboard((2, 8, 8), 2, ndim=2).shape == (2, 8, 8)
    assert checkerboard((8,), 2, ndim=1).tolist() == [1, -1] * 4


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: smooth_field((8, 8), 0.0, ndim=2), "correlation_length"),
        (lambda: smooth_field((8,), 2.0, ndim=2), "at least 2"),
        (lambda: checkerboard((8, 8), 1, ndim=2), "period"),
        (lambda: checkerboard((0, 8), 2, ndim=2), "shape"),
    ],
)
def test_bad_input(call, words):
    with pytest.raises(ValueError, match=words):
        call()
