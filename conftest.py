"""Root pytest settings: how ``make test``'s two xdist workers share the tests, and nbval's kernels.

``make test`` runs the unit tests and the notebooks in one ``pytest -n 2 --dist loadgroup``, with
the work units chosen here (:func:`work_unit`, through xdist's ``pytest_xdist_make_scheduler``):

- every test that starts a Jupyter kernel or server (the tests that execute notebooks or start
  JupyterLab, JupyterHub or nbgrader) is in one unit: one worker runs them, one at a time;
- each notebook's cells (nbval) are one unit, in order: they share one kernel;
- every other test is a unit of its own, shared out between the workers.

xdist's own ``xdist_group`` marks do nothing under pytest 9 (pytest-xdist 3.8 writes the group
into ``item._nodeid``, which pytest 9 no longer reads), so the units are read from the test ids.

nbval's kernels talk over Unix sockets in a folder of their worker's own. Over TCP, two kernels
started at the same moment in two workers can pick the same free port ("Address already in use",
then no reply for 60 s; seen in CI).
"""

from __future__ import annotations

import functools
import shutil
import tempfile

import pytest

KERNEL_TESTS = {"test_student.py", "test_bench.py", "test_wheel.py", "test_lab.py", "test_hub.py",
                "test_grading.py", "test_conftest.py"}
_SOCKETS: list[str] = []


def work_unit(nodeid: str) -> str:
    """The xdist work unit of a test id: ``"kernels"``, a notebook's path, or the id itself."""
    path = nodeid.split("::", 1)[0]
    name = path.rsplit("/", 1)[-1]
    if name in KERNEL_TESTS:
        return "kernels"
    return path if name.endswith(".ipynb") else nodeid


def pytest_xdist_make_scheduler(config: pytest.Config, log):  # noqa: ANN001, ANN201 - xdist's types
    """Under ``--dist loadgroup``: xdist's scope scheduling with :func:`work_unit` as the scope."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class UnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return UnitScheduling(config, log)


def pytest_configure(config: pytest.Config) -> None:
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
