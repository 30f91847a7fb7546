import random

import numpy as np
import pytest
import torch

import nbhelpers
from nbhelpers import runtime


def test_default_device_is_cuda_when_available_else_cpu(monkeypatch):
    monkeypatch.delenv("NBHELPERS_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert nbhelpers.get_device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert nbhelpers.get_device() == torch.device("cuda")


def test_env_override_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("NBHELPERS_DEVICE", " CPU ")
    assert nbhelpers.get_device() == torch.device("cpu")


def test_env_override_cuda_index(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setenv("NBHELPERS_DEVICE", "cuda:1")
    assert nbhelpers.get_device() == torch.device("cuda:1")
    monkeypatch.setenv("NBHELPERS_DEVICE", "cuda:5")
    with pytest.raises(RuntimeError, match="2 CUDA device"):
        nbhelpers.get_device()


def test_impossible_cuda_request_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("NBHELPERS_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="NBHELPERS_DEVICE"):
        nbhelpers.get_device()


def test_unknown_device_name(monkeypatch):
    monkeypatch.setenv("NBHELPERS_DEVICE", "tpu")
    with pytest.raises(ValueError, match="cpu, cuda"):
        nbhelpers.get_device()


def test_mps_request_without_mps(monkeypatch):
    monkeypatch.setenv("NBHELPERS_DEVICE", "mps")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="mps"):
        nbhelpers.get_device()


def test_seed_everything_repeats_all_generators():
    nbhelpers.seed_everything(3)
    first = (random.random(), np.random.rand(), torch.rand(3))
    gen = nbhelpers.seed_everything(3)
    second = (random.random(), np.random.rand(), torch.rand(3))
    assert first[0] == second[0] and first[1] == second[1]
    assert torch.equal(first[2], second[2])
    fresh = torch.Generator().manual_seed(3)
    assert torch.equal(torch.rand(2, generator=gen), torch.rand(2, generator=fresh))


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_seed_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="seed"):
        nbhelpers.seed_everything(bad)


def test_environment_report_and_problems(monkeypatch):
    report = runtime.environment_report()
    for key in ("python", "torch", "numpy", "matplotlib", "ipywidgets", "skimage", "device"):
        assert key in report
    assert runtime.environment_problems(report) == []
    broken = dict(report, ipywidgets="MISSING", device="ERROR: no such device", python="3.8.1")
    problems = runtime.environment_problems(broken)
    assert len(problems) == 3
    assert any("ipywidgets" in p and "make install" in p for p in problems)


def test_environment_report_shows_device_error(monkeypatch):
    monkeypatch.setenv("NBHELPERS_DEVICE", "nonsense")
    assert runtime.environment_report()["device"].startswith("ERROR")


def test_model_device_and_check_model():
    from nbhelpers._validate import check_model
    from nbhelpers.runtime import model_device

    assert model_device(torch.nn.Linear(2, 2)) == torch.device("cpu")
    assert model_device(torch.nn.ReLU()) == nbhelpers.get_device()  # no parameters: the default
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        check_model("not a model")
