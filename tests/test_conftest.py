"""The root conftest.py: make test's work units for two xdist workers, nbval's kernels on Unix sockets."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _root_conftest():
    spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_kernel_tests_share_one_unit_a_notebook_is_one_and_the_rest_go_alone():
    unit = _root_conftest().work_unit
    assert unit("tests/test_lab.py::test_make_lab_prints_its_url") == "kernels"
    assert unit("tests/test_wheel.py::test_x[a-b]") == unit("tests/test_hub.py::test_y") == "kernels"
    assert unit("notebooks/01_uneven_overlap.ipynb::Cell 3") == "notebooks/01_uneven_overlap.ipynb"
    first = "notebooks/01_uneven_overlap.ipynb::Cell 0"
    assert unit("notebooks/01_uneven_overlap.ipynb::Cell 30") == unit(first)
    assert unit("notebooks/02_stacking_and_stride1.ipynb::Cell 0") != unit(first)
    assert unit("tests/test_data.py::test_heldout_split_is_disjoint_from_train") == \
        "tests/test_data.py::test_heldout_split_is_disjoint_from_train"
    assert unit("tests/sub/test_lab.py::t") == "kernels"  # by file name, wherever it lies


def test_nbval_starts_its_kernels_on_unix_sockets_in_a_folder_of_this_process():
    kernel = pytest.importorskip("nbval.kernel")
    manager, client = kernel.start_new_kernel(kernel_name="python3")
    try:
        info = manager.get_connection_info()
        assert info["transport"] == "ipc"
        folder = Path(info["ip"]).parent
        assert folder.name.startswith("nbval-ipc-") and any(folder.iterdir()), "its sockets live there"
        reply = client.execute_interactive("6 * 7", timeout=30)
        assert reply["content"]["status"] == "ok"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
