"""`make lab`, the README's first command, starts JupyterLab (as root too) and serves /lab."""

import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_make_lab_adds_allow_root_only_for_root():
    recipe = subprocess.run(["make", "-n", "lab", "LAB_ARGS=--no-browser"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout
    command = next(line for line in recipe.splitlines() if "jupyter lab" in line)
    assert ("--allow-root" in command) == (os.geteuid() == 0)
    assert command.rstrip().endswith("--no-browser")  # LAB_ARGS is passed on


def _printed_url(log: Path, port: int) -> str | None:
    found = re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=[0-9a-f]+", log.read_text())
    return found.group(0) if found else None


def test_make_lab_prints_its_url_and_serves_the_lab_page(tmp_path):
    """Started as a user would (JupyterLab makes the token), headless on a free port."""
    port = _free_port()
    args = (f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} --ServerApp.port_retries=0 "
            "--LabApp.news_url= --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate")
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), NBHELPERS_DEVICE="cpu")
    log = tmp_path / "lab.log"
    with open(log, "w") as out:
        server = subprocess.Popen(["make", "-s", "lab", f"LAB_ARGS={args}"], cwd=ROOT, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url, status, body = None, None, ""
        for _ in range(120):
            url = url or _printed_url(log, port)
            if url:
                try:
                    with urllib.request.urlopen(url, timeout=2) as page:
                        status, body = page.status, page.read().decode("utf-8", "replace")
                    break
                except OSError:
                    pass
            assert server.poll() is None, f"make lab exited {server.returncode}: {log.read_text()[-2000:]}"
            time.sleep(0.5)
        assert url, f"no http://127.0.0.1:{port}/lab?token=... URL printed: {log.read_text()[-2000:]}"
        assert status == 200 and "JupyterLab" in body
        assert "Starting JupyterLab" in log.read_text()
        token = url.split("token=")[1]
        try:  # and the token matters: without it the lab page redirects to the login page
            with urllib.request.urlopen(url.replace(token, "0" * len(token)), timeout=5) as page:
                assert "login" in page.url
        except urllib.error.HTTPError as refused:
            assert refused.code in (401, 403)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
