"""Root pytest settings: which tests share one xdist worker, and how nbval's kernels connect.

``make test`` runs ``pytest tests -n 2``, then ``pytest notebooks -n 2 --dist loadfile``.

- Every test that starts a Jupyter kernel or server (the tests that execute notebooks or start
  JupyterLab, JupyterHub or nbgrader) runs in one worker, one at a time. The other tests are shared
  out between the workers.
- nbval's kernels talk over Unix sockets in a folder of their worker's own. Over TCP, two kernels
  started at the same moment in two workers can pick the same free port ("Address already in use",
  then no reply for 60 s; seen in CI). ``--dist loadfile`` gives a whole notebook to one worker, so
  its cells share one kernel, in order.
"""

from __future__ import annotations

import functools
import shutil
import tempfile

import pytest

KERNEL_TESTS = {"test_student.py", "test_bench.py", "test_wheel.py", "test_lab.py", "test_hub.py",
                "test_grading.py", "test_conftest.py"}
_SOCKETS: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "xdist_group(name): run these tests in one xdist worker")
    if config.pluginmanager.hasplugin("nbval"):
        _nbval_kernels_over_unix_sockets()


def pytest_unconfigure(config: pytest.Config) -> None:
    while _SOCKETS:
        shutil.rmtree(_SOCKETS.pop(), ignore_errors=True)


def _nbval_kernels_over_unix_sockets() -> None:
    """Make nbval start its kernels with ``transport="ipc"`` under a fresh folder of this process."""
    try:
        import nbval.kernel
    except ImportError:
        return
    base = nbval.kernel.KernelManager
    base = getattr(base, "func", base)  # not twice
    folder = tempfile.mkdtemp(prefix="nbval-ipc-")
    _SOCKETS.append(folder)
    nbval.kernel.KernelManager = functools.partial(base, transport="ipc", ip=f"{folder}/kernel")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in KERNEL_TESTS:
            item.add_marker(pytest.mark.xdist_group("kernels"))
