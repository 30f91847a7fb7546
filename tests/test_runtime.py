import os
import random
import subprocess
import sys

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


THREAD_VARS = ("NBHELPERS_THREADS", "NBHELPERS_SHARED", "JUPYTERHUB_USER")


@pytest.fixture
def two_cpus(monkeypatch):
    """A 2-CPU machine where torch's default is 2 threads, whatever this machine has."""
    monkeypatch.setattr(runtime, "usable_cpus", lambda: (2, "2 in the CPU affinity"))
    monkeypatch.setattr(runtime, "TORCH_DEFAULT_THREADS", 2)


def test_a_personal_machine_gets_its_usable_cpus(two_cpus):
    policy = runtime.thread_policy({"PATH": "/usr/bin"})
    assert (policy.threads, policy.context) == (2, "personal")
    assert policy.reason.startswith("personal machine (no JupyterHub variable")
    assert "the usable CPUs (2 in the CPU affinity)" in policy.reason
    assert "NBHELPERS_SHARED=1 on a shared server" in policy.reason


@pytest.mark.parametrize("usable, torch_default, expected, limit", [
    (16, 8, 4, "the cap of 4"),  # big laptop: the cap for these small models
    (16, 3, 3, "torch's default of 3"),  # physical cores or OMP_NUM_THREADS below the cap
    (1, 8, 1, "the usable CPUs (cgroup quota"),  # a container's CPU quota
])
def test_personal_threads_are_capped(monkeypatch, usable, torch_default, expected, limit):
    monkeypatch.setattr(runtime, "usable_cpus", lambda: (usable, "cgroup quota of 1 CPUs" if usable == 1
                                                         else f"{usable} in the CPU affinity"))
    monkeypatch.setattr(runtime, "TORCH_DEFAULT_THREADS", torch_default)
    policy = runtime.thread_policy({})
    assert policy.threads == expected and policy.context == "personal" and limit in policy.reason


def test_a_jupyterhub_server_is_shared_and_gets_one_thread(two_cpus):
    policy = runtime.thread_policy({"JUPYTERHUB_USER": "ann", "JUPYTERHUB_API_TOKEN": "t",
                                    "JUPYTERHUB_SERVICE_PREFIX": "/user/ann/"})
    assert (policy.threads, policy.context) == (1, "shared")
    assert policy.reason.startswith("shared server (JUPYTERHUB_USER is set: a JupyterHub single-user server)")


@pytest.mark.parametrize("environ", [{"JUPYTERHUB_API_TOKEN": "t"}, {"JUPYTERHUB_USER": "  "},
                                     {"JUPYTERHUB_SERVICE_PREFIX": "/services/x/"}])
def test_a_hub_token_or_prefix_alone_is_not_a_shared_server(two_cpus, environ):
    assert runtime.thread_policy(environ).context == "personal"  # a laptop calling a hub's API, a service


@pytest.mark.parametrize("environ, context, why", [
    ({"NBHELPERS_SHARED": "1"}, "shared", "NBHELPERS_SHARED=1"),
    ({"NBHELPERS_SHARED": " Yes "}, "shared", "NBHELPERS_SHARED=yes"),
    ({"NBHELPERS_SHARED": "0", "JUPYTERHUB_USER": "ann"}, "personal",
     "NBHELPERS_SHARED=0 although JUPYTERHUB_USER"),
    ({"NBHELPERS_SHARED": "", "JUPYTERHUB_USER": "ann"}, "shared", "JUPYTERHUB_USER is set"),
])
def test_the_shared_variable_decides_the_context(two_cpus, environ, context, why):
    assert runtime.sharing_context(environ)[0] == context
    policy = runtime.thread_policy(environ)
    assert policy.context == context and why in policy.reason
    assert policy.threads == (1 if context == "shared" else 2)


def test_a_bad_shared_value_is_a_clear_error():
    with pytest.raises(ValueError, match="NBHELPERS_SHARED='maybe' must be 1"):
        runtime.thread_policy({"NBHELPERS_SHARED": "maybe"})


@pytest.mark.parametrize("environ, expected", [
    ({"NBHELPERS_THREADS": "2", "JUPYTERHUB_USER": "ann"}, 2),
    ({"NBHELPERS_THREADS": "auto", "NBHELPERS_SHARED": "1"}, 2),
    ({"NBHELPERS_THREADS": "1"}, 1),
    ({"NBHELPERS_THREADS": "1", "NBHELPERS_SHARED": "maybe"}, 1),  # overrides everything, unread
])
def test_the_threads_variable_overrides_the_context(two_cpus, environ, expected):
    policy = runtime.thread_policy(environ)
    assert (policy.threads, policy.context) == (expected, "override") and "NBHELPERS_THREADS" in policy.reason


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
        assert runtime.apply_thread_policy({"JUPYTERHUB_USER": "ann"}).threads == 1
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_environment_report_names_the_thread_context(monkeypatch):
    for name in THREAD_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JUPYTERHUB_USER", "ann")
    threads = runtime.environment_report()["threads"]
    assert "1 CPU thread(s): shared server (JUPYTERHUB_USER is set" in threads
    monkeypatch.setenv("NBHELPERS_SHARED", "0")
    assert "personal machine (NBHELPERS_SHARED=0" in runtime.environment_report()["threads"]
    monkeypatch.setenv("NBHELPERS_SHARED", "maybe")
    report = runtime.environment_report()
    assert any("NBHELPERS_SHARED" in p for p in runtime.environment_problems(report))


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

    code = ("import torch, nbhelpers; from nbhelpers.runtime import thread_policy; "
            "print(torch.get_num_threads(), thread_policy().threads, thread_policy().context)")
    clean = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}

    def run(**extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", code], env={**clean, **extra}, capture_output=True,
                              text=True)

    now, policy, context = run().stdout.split()  # this machine, whatever its cores
    assert now == policy and context == "personal"
    assert run(JUPYTERHUB_USER="ann").stdout.split() == ["1", "1", "shared"]
    assert run(NBHELPERS_SHARED="1", NBHELPERS_THREADS="").stdout.split() == ["1", "1", "shared"]
    failed = run(NBHELPERS_THREADS="nine")
    assert failed.returncode != 0 and "NBHELPERS_THREADS='nine' must be a positive integer" in failed.stderr


def test_machine_summary_names_the_cpu_torch_and_the_policy():
    line = runtime.machine_summary()
    assert f"{os.cpu_count()} cores" in line and torch.__version__ in line
    assert torch.backends.cpu.get_cpu_capability() in line and "threads: " in line
    out = subprocess.run([sys.executable, "-m", "nbhelpers"], capture_output=True, text=True, check=True,
                         env={**os.environ, "NBHELPERS_THREADS": "1"})
    assert out.stdout.startswith(runtime.cpu_name()) and "NBHELPERS_THREADS=1" in out.stdout
    assert "Warning" not in out.stderr
