"""JupyterLab in a real browser: do the notebook widgets render and respond?

nbval executes notebooks but cannot see whether a widget renders in the browser ("Error
displaying widget" from a front-end/kernel version mismatch is the most common way a widget
tutorial breaks). This test starts JupyterLab on 127.0.0.1 with a random token and private
settings/runtime directories, opens each notebook with an explorer (01, 02, 03) in headless
Chromium driven by Playwright, runs all cells, checks that the explorer's controls render
without a widget error, moves a slider (or picks a colour), checks that the picture and text
change, saves screenshots under ``build/ui/`` and stops the server. Run it with
``make test-ui``; without Chromium it is skipped with a message saying how to install it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "ui"
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 with a random token; stopped after the tests."""
    home = tmp_path_factory.mktemp("jupyter")
    token = secrets.token_hex(16)
    port = _free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTER_DATA_DIR=str(home / "data"),
               NBHELPERS_DEVICE=os.environ.get("NBHELPERS_DEVICE", "cpu"))
    settings = home / "settings"
    # render every cell (JupyterLab 4 only renders cells near the viewport by default) and keep
    # the news pop-up away from the closed network
    for plugin, values in {
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                        "checkForUpdates": False},
    }.items():
        package, name = plugin.rsplit("/", 1)
        target = settings / package / f"{name}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    workdir = home / "notebooks"
    shutil.copytree(ROOT / "notebooks", workdir)  # the browser run must not rewrite the originals
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={workdir}",
           f"--LabApp.user_settings_dir={settings}",
           f"--LabApp.workspaces_dir={home / 'workspaces'}",
           "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
           "--LabApp.extension_manager=readonly", "--LabApp.check_for_updates_class="
           "jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI containers run as root
    log = open(home / "server.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError((home / "server.log").read_text()[-3000:]) from None
                time.sleep(0.5)
        else:
            raise RuntimeError("JupyterLab did not start within 60 s")
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


EXPLORERS = [
    # notebook, what to change ("slider", label) or ("color", new value), text shown afterwards
    ("01_uneven_overlap.ipynb", ("slider", "kernel size"), "unevenness 1"),
    ("02_stacking_and_stride1.ipynb", ("slider", "k1"), "k=4"),
    ("03_learning_bias_and_color.ipynb", ("color", "#2040d0"), "distance from the data's mean colour"),
]


def _run_all(page, base: str, token: str, notebook: str, stem: str) -> None:
    page.goto(f"{base}/lab/workspaces/ui-{stem}/tree/{notebook}?token={token}", timeout=90_000)
    page.wait_for_selector(".jp-Notebook", timeout=90_000)
    page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext.session "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext.session.kernel",
                           timeout=90_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    # every code cell gets an execution count and none is still running ([*])
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""",
        timeout=240_000,
    )


@pytest.mark.parametrize("notebook, change, expected", EXPLORERS, ids=[e[0][:2] for e in EXPLORERS])
def test_explorer_renders_and_responds(chromium, chromium_args, lab, notebook, change, expected):
    from playwright.sync_api import sync_playwright

    base, token = lab
    stem = notebook[:2]
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw, pw.chromium.launch(
        executable_path=chromium, headless=True, args=chromium_args
    ) as browser:
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        _run_all(page, base, token, notebook, stem)
        page.screenshot(path=str(SHOTS / f"{stem}_after_run_all.png"), full_page=False)
        body = page.inner_text(".jp-Notebook")
        assert "Error displaying widget" not in body
        assert "AssertionError" not in body and "Traceback" not in body

        kind, value = change
        if kind == "slider":
            control = page.locator(".widget-slider", has_text=value).first
        else:
            control = page.locator(".widget-colorpicker").first
        control.scroll_into_view_if_needed()
        control.wait_for(state="visible", timeout=30_000)
        explorer = control.locator("xpath=ancestor::div[contains(@class,'widget-vbox')][last()]")
        picture = explorer.locator("img").first
        picture.wait_for(state="visible", timeout=30_000)
        before = picture.get_attribute("src")
        explorer.screenshot(path=str(SHOTS / f"{stem}_explorer_before.png"))

        if kind == "slider":
            readout = control.locator(".widget-readout").text_content().strip()
            handle = control.locator(".noUi-handle").first
            handle.focus()
            handle.press("ArrowRight")
        else:
            field = control.locator("input[type='text']").first
            field.fill(value)
            field.press("Enter")
            field.dispatch_event("change")  # ipywidgets reads the text field on 'change' (blur)
        page.wait_for_function(
            "([el, old]) => el.getAttribute('src') !== old",
            arg=[picture.element_handle(), before], timeout=30_000,
        )
        if kind == "slider":
            assert int(control.locator(".widget-readout").text_content().strip()) == int(readout) + 1
        assert picture.get_attribute("src") != before
        explorer.screenshot(path=str(SHOTS / f"{stem}_explorer_after.png"))
        assert expected in explorer.inner_text()
