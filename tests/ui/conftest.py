"""Shared browser fixtures for the UI tests: the system's Chromium and its arguments."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium() -> str:
    """The system Chromium's path; skips the test with an install hint without it or Playwright."""
    path = shutil.which(CHROMIUM) or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    if path is None:
        pytest.skip(f"Chromium not found at {CHROMIUM}: install it with "
                    "`sudo apt-get install -y chromium` (Debian/Ubuntu) or set CHROMIUM=/path")
    pytest.importorskip("playwright", reason="run `make test-ui`, which installs playwright")
    return path


@pytest.fixture(scope="module")
def chromium_args() -> list[str]:
    """Arguments for a headless Chromium that never reaches the network on its own."""
    return list(CHROMIUM_ARGS)
