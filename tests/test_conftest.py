"""The root conftest.py: nbval's kernels over Unix sockets (make test runs notebooks in two workers)."""

from pathlib import Path

import pytest


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
