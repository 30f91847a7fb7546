"""Root pytest settings: which tests share one xdist worker (``make test`` runs ``pytest -n 2``).

Every test that starts a Jupyter kernel or server (the tests that execute notebooks or start
JupyterLab, JupyterHub or nbgrader) runs in one worker, one at a time: two kernels started at the
same moment can pick the same free port ("Address already in use"). The other tests are shared
out between the workers. ``make test`` runs the notebooks under nbval afterwards, in one process
(xdist would tear a notebook's kernel down between cells).
"""

from __future__ import annotations

import pytest

KERNEL_TESTS = {"test_student.py", "test_bench.py", "test_wheel.py", "test_lab.py", "test_hub.py",
                "test_grading.py"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "xdist_group(name): run these tests in one xdist worker")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in KERNEL_TESTS:
            item.add_marker(pytest.mark.xdist_group("kernels"))
