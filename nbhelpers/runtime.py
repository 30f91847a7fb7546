"""Device choice and seeding.

Every routine in `nbhelpers` computes on :func:`get_device`: CUDA when PyTorch sees a GPU,
otherwise the CPU. The environment variable ``NBHELPERS_DEVICE`` (``cpu``, ``cuda``,
``cuda:N`` or ``mps``) overrides the choice.
"""

from __future__ import annotations

import os
import platform
import random
import sys

import numpy as np
import torch

ENV_VAR = "NBHELPERS_DEVICE"


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
    report["threads"] = str(torch.get_num_threads())
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
