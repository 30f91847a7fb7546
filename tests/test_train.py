import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from nbhelpers.experiments.training import History, benchmark_training_loop, train, train_grid
from nbhelpers.layers.models import autoencoder
from nbhelpers.runtime import seed_everything


def _regression(n=64, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=gen)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.7
    return x, y


def test_train_reduces_loss_on_a_tiny_problem():
    x, y = _regression()
    seed_everything(0)
    model = nn.Linear(4, 1)
    history = train(model, (x, y), steps=150, batch_size=16, lr=0.05, device="cpu", progress=False)
    assert isinstance(history, History) and history.steps == 150 and len(history.losses) == 150
    assert history.final_loss() < 0.05 * history.losses[0]
    assert history.seconds > 0 and history.steps_per_second > 0
    assert not model.training


def test_train_is_deterministic_given_the_seed():
    x, y = _regression()
    runs = []
    for _ in range(2):
        seed_everything(0)
        model = nn.Linear(4, 1)
        runs.append((train(model, TensorDataset(x, y), steps=20, batch_size=8, seed=3, device="cpu",
                           progress=False).losses, model.weight.detach().clone()))
    assert runs[0][0] == runs[1][0] and torch.equal(runs[0][1], runs[1][1])
    seed_everything(0)
    other = train(nn.Linear(4, 1), (x, y), steps=20, batch_size=8, seed=4, device="cpu", progress=False)
    assert other.losses != runs[0][0]


def test_train_autoencoder_from_a_single_tensor_and_epochs():
    data = torch.rand(32, 3, 8, 8)
    seed_everything(0)
    history = train(autoencoder("deconv4"), data, epochs=2, batch_size=8, device="cpu", progress=False)
    assert history.steps == 8


def test_train_with_progress_bar_and_callable_loss():
    x, y = _regression(16)
    history = train(nn.Linear(4, 1), (x, y), loss=lambda p, t: (p - t).abs().mean(), steps=10,
                    batch_size=4, device="cpu", progress=True, log_every=5)
    assert history.steps == 10


def test_train_grid_trains_one_model_per_kind_and_seed():
    data = torch.rand(16, 3, 8, 8)
    models, histories = train_grid(autoencoder, ["deconv3", "nearest"], [0, 1], data, progress=False,
                                   steps=3, batch_size=8, device="cpu")
    assert set(models) == set(histories) == {("deconv3", 0), ("deconv3", 1), ("nearest", 0), ("nearest", 1)}
    w0 = models["deconv3", 0].encoder[0].weight
    w1 = models["deconv3", 1].encoder[0].weight
    assert not torch.equal(w0, w1)


@pytest.mark.parametrize(
    "kwargs, exc, word",
    [
        ({}, ValueError, "steps or epochs"),
        ({"steps": 5, "epochs": 1}, ValueError, "steps or epochs"),
        ({"steps": 0}, ValueError, "steps"),
        ({"steps": 5, "lr": -1.0}, ValueError, "lr"),
        ({"steps": 5, "batch_size": 0}, ValueError, "batch_size"),
        ({"steps": 5, "loss": "huber"}, ValueError, "loss"),
        ({"steps": 5, "loss": 3}, TypeError, "loss"),
        ({"steps": 5, "seed": -1}, ValueError, "seed"),
    ],
)
def test_train_rejects_bad_arguments(kwargs, exc, word):
    x, y = _regression(8)
    with pytest.raises(exc, match=word):
        train(nn.Linear(4, 1), (x, y), device="cpu", progress=False, **kwargs)


def test_train_rejects_bad_model_and_data():
    with pytest.raises(TypeError, match="model"):
        train("model", torch.zeros(4, 2), steps=1)
    with pytest.raises(TypeError, match="data"):
        train(nn.Linear(2, 2), [1, 2, 3], steps=1)
    with pytest.raises(ValueError, match="same length"):
        train(nn.Linear(2, 2), (torch.zeros(4, 2), torch.zeros(3, 2)), steps=1)


def test_benchmark_training_loop_reports_both_rates():
    data = torch.rand(64, 3, 8, 8)
    seed_everything(0)
    result = benchmark_training_loop(autoencoder("deconv3"), data, steps=10, batch_size=16, repeats=1,
                                     device="cpu")
    assert result["train_steps_per_s"] > 0 and result["plain_steps_per_s"] > 0
    assert result["ratio"] == pytest.approx(result["train_steps_per_s"] / result["plain_steps_per_s"])
    assert result["device"] == "cpu"
