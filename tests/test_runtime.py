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


def test_thread_policy_defaults_to_one_thread():
    policy = runtime.thread_policy({})
    assert policy.threads == 1 and "NBHELPERS_THREADS" in policy.reason
    assert torch.get_num_threads() == 1  # applied when nbhelpers was imported


@pytest.mark.parametrize("value, expected",
                         [("1", 1), ("2", 2), ("64", None), ("auto", None), ("torch", "torch")])
def test_thread_policy_reads_the_variable(monkeypatch, value, expected):
    monkeypatch.setattr(runtime, "usable_cpus", lambda: (2, "2 in the CPU affinity"))
    policy = runtime.thread_policy({"NBHELPERS_THREADS": value})
    if expected == "torch":
        assert policy.threads == runtime.TORCH_DEFAULT_THREADS
    else:
        assert policy.threads == (expected or 2)  # 64 and auto: capped at the 2 usable CPUs
    assert value in str(policy)


@pytest.mark.parametrize("bad", ["0", "-1", "two", "1.5"])
def test_thread_policy_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="NBHELPERS_THREADS"):
        runtime.thread_policy({"NBHELPERS_THREADS": bad})


def test_apply_thread_policy_sets_torch_threads():
    before = torch.get_num_threads()
    try:
        assert runtime.apply_thread_policy({"NBHELPERS_THREADS": "torch"}).threads == torch.get_num_threads()
        runtime.apply_thread_policy({})
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_cgroup_quota_is_read(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert runtime._cgroup_cpus(tmp_path) == 1.5
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert runtime._cgroup_cpus(tmp_path) is None
    (tmp_path / "cpu.max").unlink()
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("50000")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000")
    assert runtime._cgroup_cpus(tmp_path) == 0.5
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1")
    assert runtime._cgroup_cpus(tmp_path) is None


def test_usable_cpus_takes_the_smaller_of_affinity_and_quota(monkeypatch):
    monkeypatch.setattr(runtime, "_cgroup_cpus", lambda: 0.5)
    count, source = runtime.usable_cpus()
    assert count == 1 and "quota" in source
    monkeypatch.setattr(runtime, "_cgroup_cpus", lambda: None)
    assert runtime.usable_cpus()[0] >= 1


def test_import_applies_the_policy_in_a_fresh_process():
    import os
    import subprocess
    import sys

    code = "import torch, nbhelpers; print(torch.get_num_threads())"
    env = dict(os.environ, NBHELPERS_THREADS="")
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.strip() == "1"
    env["NBHELPERS_THREADS"] = "nine"
    failed = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert failed.returncode != 0 and "NBHELPERS_THREADS='nine' must be a positive integer" in failed.stderr
