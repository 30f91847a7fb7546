"""Device choice, CPU threads and seeding.

Every routine in `nbhelpers` computes on :func:`get_device`: CUDA when PyTorch sees a GPU,
otherwise the CPU. The environment variable ``NBHELPERS_DEVICE`` (``cpu``, ``cuda``,
``cuda:N`` or ``mps``) overrides the choice.

**Threads.** Importing `nbhelpers` applies :func:`thread_policy`, which chooses by context:

- ``NBHELPERS_THREADS`` overrides everything: a number, ``auto`` (every usable CPU) or ``torch``
  (torch's own choice);
- a **shared server** gets ONE thread per process: a JupyterHub single-user server (JupyterHub's
  Spawner sets ``JUPYTERHUB_USER`` in its environment, and kernels inherit it), or any machine
  whose kernels get ``NBHELPERS_SHARED=1``. torch's default uses every core and its worker threads
  spin while they wait, so processes sharing cores starve each other: four concurrent trainings
  on 2 cores took 18-30 s each instead of 2 s;
- a **personal machine** (no hub variable, or ``NBHELPERS_SHARED=0``) gets the usable CPUs, at
  most torch's default (physical cores, ``OMP_NUM_THREADS``) and :data:`PERSONAL_MAX_THREADS`:
  one thread alone was 1.26-1.7x slower than torch's default on the 2-core machines.

Usable CPUs are the smaller of the CPU affinity and the cgroup quota.
"""

from __future__ import annotations

import math
import os
import platform
import random
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

ENV_VAR = "NBHELPERS_DEVICE"
THREADS_VAR = "NBHELPERS_THREADS"  # overrides the context: a number, auto or torch
# NBHELPERS_SHARED=1: a shared server without JupyterHub; 0: not shared despite a hub (dedicated
# cores). It names the situation, not a thread count: the detection is a guess that needs a
# correction both ways, an instructor knows whether students share a machine but not the best
# count, and the shared and personal rules (cap, torch's default) keep applying.
SHARED_VAR = "NBHELPERS_SHARED"
# JupyterHub's Spawner.get_env() gives each single-user server JUPYTERHUB_USER (with
# JUPYTERHUB_API_TOKEN, JUPYTERHUB_SERVICE_PREFIX, JUPYTERHUB_API_URL, ...) and kernels inherit the
# server's environment. Only JUPYTERHUB_USER counts: hub *services* get a token and a prefix too
# without being a student's server, and a laptop user may export a hub token to call a hub's API.
HUB_MARKERS = ("JUPYTERHUB_USER",)
SHARED_THREADS = 1  # one per process: N students on C cores then each wait about N / C times longer
# Personal machines: these models are tiny (32x32 patches, batch 64), so threads past a few only
# add synchronisation and spinning; 2 threads were 1.25-1.7x faster than one on the 2-core AMD EPYC
# (by day) and 1.26x on the Xeon. 4 is a judgement for bigger laptops, not measurable on the 2-core
# machines: `make bench` checks on any machine that the policy alone stays within 1.3x of torch's
# default. Never above torch's default either: it counts physical cores, where the affinity counts
# SMT siblings too.
PERSONAL_MAX_THREADS = 4
_YES, _NO = ("1", "yes", "true", "on"), ("0", "no", "false", "off")
TORCH_DEFAULT_THREADS = torch.get_num_threads()  # before anything here changes it


def get_device() -> torch.device:
    """The device the helpers compute on.

    Returns CUDA when available, else the CPU; ``NBHELPERS_DEVICE=cpu|cuda|cuda:N|mps``
    overrides. Raises ``ValueError`` for an unknown name and ``RuntimeError`` when the
    requested device is not usable on this machine.
    """
    request = os.environ.get(ENV_VAR, "").strip().lower()
    if request in ("", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    kind = request.split(":", 1)[0]
    if kind not in ("cpu", "cuda", "mps") or (kind != "cuda" and ":" in request):
        raise ValueError(
            f"{ENV_VAR}={request!r} is not a device name; use one of cpu, cuda, cuda:N, mps "
            "(or leave it unset to pick CUDA when available)"
        )
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError(
                f"{ENV_VAR}={request!r} asks for a GPU but torch.cuda.is_available() is False "
                f"(torch {torch.__version__}). Unset {ENV_VAR} or set it to cpu."
            )
        if ":" in request:
            index = request.split(":", 1)[1]
            if not index.isdigit() or int(index) >= torch.cuda.device_count():
                raise RuntimeError(
                    f"{ENV_VAR}={request!r}: this machine has {torch.cuda.device_count()} "
                    "CUDA device(s), numbered from 0"
                )
    if kind == "mps" and not (
        getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    ):
        raise RuntimeError(
            f"{ENV_VAR}=mps asks for Apple's Metal backend, which this torch build or machine "
            f"does not offer. Unset {ENV_VAR} or set it to cpu."
        )
    return torch.device(request)


def _cgroup_cpus(root: Path = Path("/sys/fs/cgroup")) -> float | None:
    """CPUs allowed by the cgroup quota (v2 ``cpu.max`` or v1 ``cfs_quota_us``), None if unlimited."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        return None if quota <= 0 or period <= 0 else quota / period
    except (OSError, ValueError):
        return None


def usable_cpus() -> tuple[int, str]:
    """How many CPUs this process may use, and from what: the affinity mask, then the cgroup quota."""
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    source = f"{count} in the CPU affinity"
    quota = _cgroup_cpus()
    if quota is not None and math.ceil(quota) < count:
        count, source = max(1, math.ceil(quota)), f"cgroup quota of {quota:g} CPUs"
    return count, source


@dataclass(frozen=True)
class ThreadPolicy:
    """How many threads torch computes with here, in which context, and why."""

    threads: int  # what torch.set_num_threads gets (torch's own count for 'torch')
    reason: str  # the context detected and why, then why this many threads
    usable: int  # usable CPUs (affinity, cgroup quota)
    context: str  # 'shared', 'personal' or 'override' (NBHELPERS_THREADS is set)

    def __str__(self) -> str:
        return f"{self.threads} CPU thread(s): {self.reason} ({self.usable} usable CPUs)"


def sharing_context(environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """Whether this process shares its cores with other students: ``('shared' | 'personal', why)``.

    ``NBHELPERS_SHARED`` decides when set (``1``/``yes``/``true``/``on`` or ``0``/``no``/``false``/
    ``off``; anything else raises ``ValueError`` naming it); otherwise a JupyterHub single-user
    server (``JUPYTERHUB_USER`` set, see :data:`HUB_MARKERS`) is shared and anything else personal.
    """
    env = os.environ if environ is None else environ
    value = env.get(SHARED_VAR, "").strip().lower()
    hub = next((name for name in HUB_MARKERS if env.get(name, "").strip()), None)
    if value in _YES:
        return "shared", f"{SHARED_VAR}={value}"
    if value in _NO:
        return "personal", f"{SHARED_VAR}={value}" + (f" although {hub} is set" if hub else "")
    if value:
        raise ValueError(f"{SHARED_VAR}={value!r} must be 1 (a shared server) or 0 (not shared)")
    if hub:
        return "shared", f"{hub} is set: a JupyterHub single-user server"
    return "personal", f"no JupyterHub variable and no {SHARED_VAR}"


def _personal_threads(usable: int, source: str) -> tuple[int, str]:
    """The personal machine's thread count and what limited it."""
    limits = [(usable, f"the usable CPUs ({source})"),
              (TORCH_DEFAULT_THREADS, f"torch's default of {TORCH_DEFAULT_THREADS} (physical cores, "
               "OMP_NUM_THREADS)"),
              (PERSONAL_MAX_THREADS, f"the cap of {PERSONAL_MAX_THREADS} for these small models")]
    threads, limit = min(limits, key=lambda pair: pair[0])
    return max(1, threads), limit


def thread_policy(environ: Mapping[str, str] | None = None) -> ThreadPolicy:
    """The thread count to use, from ``NBHELPERS_THREADS`` or else the context (:func:`sharing_context`).

    ``NBHELPERS_THREADS``: a positive integer (capped at the usable CPUs), ``auto`` (every usable
    CPU) or ``torch`` (torch's own default). Unset or empty: :data:`SHARED_THREADS` on a shared
    server; on a personal machine the usable CPUs, at most torch's default and
    :data:`PERSONAL_MAX_THREADS`. Raises ``ValueError`` naming the variable for a bad value.
    """
    env = os.environ if environ is None else environ
    value = env.get(THREADS_VAR, "").strip().lower()
    usable, source = usable_cpus()
    if value == "torch":
        return ThreadPolicy(TORCH_DEFAULT_THREADS, f"{THREADS_VAR}=torch keeps torch's default", usable,
                            "override")
    if value == "auto":
        return ThreadPolicy(usable, f"{THREADS_VAR}=auto: every usable CPU ({source})", usable, "override")
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"{THREADS_VAR}={value!r} must be a positive integer, 'auto' or 'torch'")
        threads = min(int(value), usable)
        capped = "" if threads == int(value) else f", capped at the {source}"
        return ThreadPolicy(threads, f"{THREADS_VAR}={value} overrides the context{capped}", usable,
                            "override")
    context, why = sharing_context(env)
    if context == "shared":
        return ThreadPolicy(SHARED_THREADS, f"shared server ({why}): one thread per process so that "
                            f"processes sharing cores do not starve each other; {THREADS_VAR} overrides",
                            usable, context)
    threads, limit = _personal_threads(usable, source)
    return ThreadPolicy(threads, f"personal machine ({why}): {limit}; {SHARED_VAR}=1 on a shared "
                        f"server, {THREADS_VAR} overrides", usable, context)


def apply_thread_policy(environ: Mapping[str, str] | None = None) -> ThreadPolicy:
    """Set torch's intra-op thread count by :func:`thread_policy` (done when nbhelpers is imported)."""
    policy = thread_policy(environ)
    torch.set_num_threads(policy.threads)
    return policy


def model_device(model: torch.nn.Module) -> torch.device:
    """The device of a model's first parameter (or buffer); :func:`get_device` when it has none."""
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return get_device()


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python's, NumPy's and torch's (CPU and CUDA) random generators.

    Returns a fresh CPU ``torch.Generator`` seeded with ``seed`` for code that wants its own
    stream.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    return torch.Generator().manual_seed(seed)


def environment_report() -> dict[str, str]:
    """Versions of the pieces the notebooks need and the device they will use.

    Returns a dict of name -> version or description (strings), for the setup notebook.
    """
    import matplotlib

    report = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "matplotlib": matplotlib.__version__,
    }
    for module in ("ipywidgets", "skimage", "tqdm", "jupyterlab", "ipykernel", "nbval"):
        try:
            imported = __import__(module)
            report[module] = getattr(imported, "__version__", "installed")
        except ImportError:
            report[module] = "MISSING"
    try:
        device = get_device()
        report["device"] = str(device)
        if device.type == "cuda":
            report["device"] += f" ({torch.cuda.get_device_name(device)})"
    except (RuntimeError, ValueError) as exc:
        report["device"] = f"ERROR: {exc}"
    report["cuda available"] = str(torch.cuda.is_available())
    try:  # the context detected (shared server or personal machine) and why, in the policy's reason
        report["threads"] = f"{torch.get_num_threads()} now; policy: {thread_policy()}"
    except ValueError as exc:
        report["threads"] = f"ERROR: {exc}"
    return report


def environment_problems(report: dict[str, str] | None = None) -> list[str]:
    """Human-readable problems found in :func:`environment_report` (empty list when all is well)."""
    report = environment_report() if report is None else report
    problems = []
    for name, value in report.items():
        if value == "MISSING":
            problems.append(f"{name} is not installed: run `make install` (or `pip install -e .`)")
        if value.startswith("ERROR"):
            problems.append(f"{name}: {value}")
    major, minor = (int(p) for p in report.get("python", "3.10").split(".")[:2])
    if (major, minor) < (3, 10):
        problems.append(f"Python {report['python']} is too old: use 3.10 or newer")
    return problems


def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux; ``platform.processor()`` elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_summary() -> str:
    """One line saying where this runs: CPU model, cores, torch, its CPU kernels, the thread policy,
    and the GPU if any (what CI prints first, so a red run says which machine it was)."""
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    try:
        policy = str(thread_policy())
    except ValueError as exc:
        policy = f"ERROR: {exc}"
    return (f"{cpu_name()}, {os.cpu_count()} cores, {gpu}; torch {torch.__version__} with "
            f"{torch.backends.cpu.get_cpu_capability()} CPU kernels; threads: {policy}")
