"""Device choice, CPU threads and seeding.

Every routine in `nbhelpers` computes on :func:`get_device`: CUDA when PyTorch sees a GPU,
otherwise the CPU. The environment variable ``NBHELPERS_DEVICE`` (``cpu``, ``cuda``,
``cuda:N`` or ``mps``) overrides the choice.

**Threads.** Importing `nbhelpers` applies :func:`thread_policy`: torch computes on ONE CPU
thread unless ``NBHELPERS_THREADS`` says otherwise (a number, or ``auto`` for every usable CPU,
or ``torch`` to keep torch's own choice). torch's default uses every core and its worker threads
spin while they wait: when several processes share the cores (students on one class server, the
long runs, the test suite) they starve each other, measured on 2 cores as 18-30 s per training
instead of 2 s for four concurrent runs. The models here are small, so one thread loses little
when a process is alone (see ``make bench``'s contention table) and nothing collapses when it is
not. Usable CPUs are the smaller of the CPU affinity and the cgroup quota.
"""

from __future__ import annotations

import math
import os
import platform
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

ENV_VAR = "NBHELPERS_DEVICE"
THREADS_VAR = "NBHELPERS_THREADS"
# One thread: the notebooks' models are small (a 2-core machine trains the autoencoder only
# ~1.2x faster on two threads) and one thread per process cannot oversubscribe shared cores.
DEFAULT_THREADS = 1
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
    """How many threads torch computes with here, and why."""

    threads: int  # what torch.set_num_threads gets (torch's own count for 'torch')
    reason: str
    usable: int  # usable CPUs (affinity, cgroup quota)

    def __str__(self) -> str:
        return f"{self.threads} CPU thread(s): {self.reason} ({self.usable} usable CPUs)"


def thread_policy(environ: dict[str, str] | None = None) -> ThreadPolicy:
    """The thread count to use, from ``NBHELPERS_THREADS`` or the safe default (one thread).

    ``NBHELPERS_THREADS``: a positive integer (capped at the usable CPUs), ``auto`` (every usable
    CPU), ``torch`` (torch's own default); unset or empty: :data:`DEFAULT_THREADS`. Raises
    ``ValueError`` naming the variable for anything else.
    """
    value = (os.environ if environ is None else environ).get(THREADS_VAR, "").strip().lower()
    usable, source = usable_cpus()
    if value == "":
        return ThreadPolicy(DEFAULT_THREADS, f"the default for these small models; {THREADS_VAR} "
                            "changes it", usable)
    if value == "torch":
        return ThreadPolicy(TORCH_DEFAULT_THREADS, f"{THREADS_VAR}=torch keeps torch's default", usable)
    if value == "auto":
        return ThreadPolicy(usable, f"{THREADS_VAR}=auto: every usable CPU ({source})", usable)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{THREADS_VAR}={value!r} must be a positive integer, 'auto' or 'torch'")
    threads = min(int(value), usable)
    capped = "" if threads == int(value) else f", capped at the {source}"
    return ThreadPolicy(threads, f"{THREADS_VAR}={value}{capped}", usable)


def apply_thread_policy(environ: dict[str, str] | None = None) -> ThreadPolicy:
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
    report["threads"] = f"{torch.get_num_threads()} now; policy: {thread_policy()}"
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
