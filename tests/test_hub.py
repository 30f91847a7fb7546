"""A class on JupyterHub (deploy/): the helpers, `make hub`, the Kubernetes files, and a class end to end.

- Unit tests of :mod:`nbhelpers.course.hub` and of the course's exchange setting: always.
- deploy/Dockerfile: what it copies exists, what it installs matches pyproject.toml and the
  Makefile (it cannot be built here: no container engine).
- deploy/z2jh-config.yaml against the Zero to JupyterHub chart's values schema: merged into the
  chart's defaults, as ``helm`` does, and validated against the schema the chart ships
  (deploy/z2jh-chart/, vendored from jupyterhub/zero-to-jupyterhub-k8s under its BSD licence; its
  README names the commit). ``Z2JH_CHART=/path/to/chart`` (a folder with values.yaml and
  values.schema.json or .yaml) checks against another version of the chart.
- `make hub` starts and answers on /hub/api: when JupyterHub and configurable-http-proxy are
  installed (`make install-hub`).
- The class: only with ``HUB_CLASS_TEST=1`` (`make test-hub`), as root. One instructor and three
  students (system users, removed afterwards) on the hub of deploy/jupyterhub_config.py: the
  instructor builds notebook 01's course and releases it through nbgrader's exchange; each student
  logs in (a token made through the REST API), starts a server (as that user), fetches the
  assignment, answers one exercise right and another wrong, runs every code cell in a kernel of
  their server, and submits; the instructor collects and autogrades; each student's exact score
  is checked. One student runs alone first, then all three at once (they resubmit): the wall times
  are printed and written to build/hub-times.json.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

from nbhelpers.course import hub as classhub
from nbhelpers.course.grading import course_config

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
NODE_DIR = ROOT / "build" / "hub" / "node"
NOTEBOOK = ROOT / "notebooks" / "01_uneven_overlap.ipynb"
ASSIGNMENT = NOTEBOOK.stem


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _hub_installed() -> str | None:
    """Why the hub cannot start here, or None."""
    try:
        import jupyterhub  # noqa: F401
    except ImportError:
        return "JupyterHub is not installed: `make install-hub` (or `make hub`, `make test-hub`) installs it"
    try:
        classhub.configurable_http_proxy(NODE_DIR)
    except classhub.HubError as exc:
        return str(exc)
    try:
        _free_port()
    except OSError as exc:
        return f"no port on 127.0.0.1 for the hub, its API and its proxy ({exc})"
    return None


# --- nbhelpers.course.hub ---------------------------------------------------------------------

@pytest.fixture
def open_tmp():
    """A temporary folder other users may enter (pytest's own folders are closed to them)."""
    folder = Path(tempfile.mkdtemp(prefix="hubtest-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_blocked_for_others_finds_the_closed_folder(open_tmp):
    closed = open_tmp / "closed"
    (closed / "bin").mkdir(parents=True, mode=0o755)
    closed.chmod(0o755)
    script = closed / "bin" / "tool"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    assert classhub.blocked_for_others(script) is None
    closed.chmod(0o700)
    assert classhub.blocked_for_others(script) == closed.resolve()
    closed.chmod(0o755)
    script.chmod(0o700)
    assert classhub.blocked_for_others(script) == script.resolve()
    with pytest.raises(classhub.HubError, match="does not exist"):
        classhub.blocked_for_others(open_tmp / "missing")


def test_student_python_is_the_environment_or_a_thin_one_that_loads_it(open_tmp):
    venv = Path(sys.prefix)
    python = classhub.student_python(venv, open_tmp / "students")
    if classhub.blocked_for_others(venv / "bin" / "python") is None:
        assert python == venv / "bin" / "python"
        return
    assert python == open_tmp / "students" / "bin" / "python"
    assert classhub.blocked_for_others(python) is None
    done = subprocess.run([str(python), "-c", "import nbhelpers, torch; print(nbhelpers.__file__)"],
                          capture_output=True, text=True, check=False, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == str(ROOT / "nbhelpers" / "__init__.py")
    assert set(classhub.SCRIPTS) <= {p.name for p in (open_tmp / "students" / "bin").iterdir()}
    with pytest.raises(classhub.HubError, match="students cannot run"):
        classhub.student_python(venv, open_tmp / "other", base_python=venv / "bin" / "python")


def test_exchange_is_created_sticky_and_world_writable(tmp_path):
    exchange = classhub.prepare_exchange(tmp_path / "srv" / "exchange")
    assert exchange.stat().st_mode & 0o7777 == 0o1777
    exchange.chmod(0o755)
    assert classhub.prepare_exchange(exchange).stat().st_mode & 0o7777 == 0o1777
    text = classhub.exchange_config(exchange, "course-x")
    config = {}
    exec(compile(text, "nbgrader_config.py", "exec"), {"get_config": lambda: _Config(config)})
    assert config == {("CourseDirectory", "course_id"): "course-x", ("Exchange", "root"): str(exchange),
                      ("Exchange", "path_includes_course"): False}


class _Config:
    """Stands in for traitlets' config object: records c.Section.name = value."""

    def __init__(self, store: dict):
        self.__dict__["store"] = store

    def __getattr__(self, section):
        store = self.store

        class Section:
            def __setattr__(self, name, value):
                store[(section, name)] = value

        return Section()


def test_course_config_names_the_exchange_only_when_given(tmp_path):
    assert "Exchange" not in course_config(None)
    with_exchange = course_config(tmp_path / "exchange")
    assert with_exchange.startswith(course_config(None))
    assert f"c.Exchange.root = {str(tmp_path / 'exchange')!r}" in with_exchange


def test_make_grading_passes_the_exchange_from_the_environment(tmp_path, monkeypatch):
    """`make grading NBGRADER_EXCHANGE=...`: make exports a variable set on its command line to the
    recipe, whose `python -m nbhelpers.course.grading build` passes it on to build_course."""
    from nbhelpers.course import grading

    calls = []
    monkeypatch.setattr(grading, "build_course", lambda *args: calls.append(args) or {})
    monkeypatch.setenv("NBGRADER_EXCHANGE", str(tmp_path / "exchange"))
    assert grading.main(["--course", str(tmp_path / "c"), "build", str(NOTEBOOK)]) == 0
    assert calls == [([NOTEBOOK], tmp_path / "c", tmp_path / "exchange")]
    monkeypatch.delenv("NBGRADER_EXCHANGE")
    assert grading.main(["--course", str(tmp_path / "c"), "build", "--exchange", "/x", str(NOTEBOOK)]) == 0
    assert calls[-1][2] == Path("/x")


def test_spawner_environment_gives_one_thread_and_the_projects_jupyter(tmp_path):
    venv = Path(sys.prefix)
    env = classhub.spawner_environment(venv, tmp_path / "py" / "bin" / "python", tmp_path / "etc")
    assert env["NBHELPERS_THREADS"] == "1"
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0] == str((tmp_path / "etc").resolve())
    assert Path(env["JUPYTERLAB_DIR"]).is_dir() and Path(env["JUPYTER_PATH"]).is_dir()
    assert env["PATH"].split(os.pathsep)[0] == str(tmp_path / "py" / "bin")
    assert str(venv / "bin") not in env["PATH"].split(os.pathsep)
    assert classhub.spawner_environment(venv, venv, tmp_path, threads=2)["NBHELPERS_THREADS"] == "2"
    with pytest.raises(ValueError, match="threads"):
        classhub.spawner_environment(venv, venv, tmp_path, threads=0)


def test_configurable_http_proxy_is_found_or_named(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(classhub.HubError, match="make install-hub"):
        classhub.configurable_http_proxy(tmp_path)
    fake = tmp_path / "node_modules" / ".bin" / "configurable-http-proxy"
    fake.parent.mkdir(parents=True)
    fake.write_text("#!/bin/sh\n")
    assert classhub.configurable_http_proxy(tmp_path) == fake.resolve()


# --- Kubernetes: the image and the chart's values ------------------------------------------------

def _dockerfile() -> list[str]:
    """deploy/Dockerfile's instructions, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_dockerfile_copies_what_exists_and_installs_what_pyproject_declares():
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    lines = _dockerfile()
    for line in (ln for ln in lines if ln.startswith("COPY ")):
        for source in line.split()[1:-1]:
            assert (ROOT / source).exists(), f"deploy/Dockerfile copies {source}, which does not exist"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    run = " ".join(ln for ln in lines if ln.startswith("RUN "))
    extras = re.findall(r'"\.\[([a-z,]+)\]"', run)
    assert extras, "the image installs the package itself with its extras"
    for extra in extras[0].split(","):
        assert extra in project["optional-dependencies"], f"no extra {extra!r} in pyproject.toml"
    assert {"grading", "hub"} <= set(extras[0].split(","))
    assert "pip install -e" not in run and "--editable" not in run, "the image installs nbhelpers, not a link"
    torch_spec = re.search(r"^TORCH_SPEC \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert f"ARG TORCH_SPEC={torch_spec}" in lines, "the image's torch is the Makefile's TORCH_SPEC"
    assert "ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu" in lines
    assert any(ln.startswith("ENV NBHELPERS_THREADS=1") for ln in lines)
    for module in re.findall(r"python -m (nbhelpers[\w.]*)", run):
        assert (ROOT / (module.replace(".", "/") + ".py")).exists(), module
    assert "nbhelpers.course.student" in run and "nbhelpers.course.grading" in run
    for module, name in re.findall(r"from (nbhelpers[\w.]*) import (\w+)", run):
        assert hasattr(importlib.import_module(module), name), f"{module}.{name}"
    assert lines[-1] == 'CMD ["jupyterhub-singleuser"]'


def _merge(defaults: dict, values: dict) -> dict:
    """Helm's merge of a values file into the chart's defaults: maps merge, anything else replaces."""
    merged = dict(defaults)
    for key, value in values.items():
        both = isinstance(value, dict) and isinstance(merged.get(key), dict)
        merged[key] = _merge(merged[key], value) if both else value
    return merged


def test_z2jh_config_matches_the_chart_schema_and_the_hub_settings():
    """deploy/z2jh-config.yaml merged into the chart's defaults validates against its values schema,
    as ``helm install`` does; the vendored chart files unless ``Z2JH_CHART`` names another copy."""
    import jsonschema

    chart = Path(os.environ.get("Z2JH_CHART") or DEPLOY / "z2jh-chart")
    schema_file = next(p for p in (chart / "values.schema.json", chart / "values.schema.yaml") if p.exists())
    schema = yaml.safe_load(schema_file.read_text())  # JSON is YAML
    defaults = yaml.safe_load((chart / "values.yaml").read_text())
    config = yaml.safe_load((DEPLOY / "z2jh-config.yaml").read_text())
    jsonschema.validate(defaults, schema)
    jsonschema.validate(_merge(defaults, config), schema)
    # the schema rejects what the chart rejects: an unknown key, a CPU limit that is not a number
    for path, value in ((("singleuser", "memoryLimit"), "1G"), (("singleuser", "cpu", "limit"), "one"),
                        (("cull", "timeout"), "1h")):
        wrong = json.loads(json.dumps(config))
        parent = wrong
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = value
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(_merge(defaults, wrong), schema)
    single = config["singleuser"]
    assert single["extraEnv"]["NBHELPERS_THREADS"] == str(classhub.STUDENT_THREADS)
    assert single["cpu"] == {"guarantee": classhub.CPU_GUARANTEE, "limit": classhub.CPU_LIMIT}
    assert single["memory"] == {"guarantee": classhub.MEM_GUARANTEE, "limit": classhub.MEM_LIMIT}
    assert "gitpuller" in " ".join(single["lifecycleHooks"]["postStart"]["exec"]["command"])
    mounts = {m["mountPath"] for m in single["storage"]["extraVolumeMounts"]}
    assert str(classhub.DEFAULT_EXCHANGE) in mounts


def test_the_vendored_chart_files_say_where_they_come_from():
    chart = DEPLOY / "z2jh-chart"
    assert "BSD 3-Clause License" in (chart / "LICENSE").read_text()
    readme = (chart / "README.md").read_text()
    assert "jupyterhub/zero-to-jupyterhub-k8s" in readme and re.search(r"\b[0-9a-f]{40}\b", readme)


# --- make hub -----------------------------------------------------------------------------------

def _hub_env(tmp: Path, **extra: str) -> dict[str, str]:
    ports = {"HUB_PORT": _free_port(), "HUB_API_PORT": _free_port(), "HUB_PROXY_API_PORT": _free_port()}
    env = dict(os.environ, **{k: str(v) for k, v in ports.items()}, HUB_STATE_DIR=str(tmp / "state"),
               HUB_SHARED_DIR=str(tmp / "shared"), NBGRADER_EXCHANGE=str(tmp / "exchange"))
    env.update(extra)
    return env


def _start_hub(env: dict[str, str], log: Path, command: list[str]) -> subprocess.Popen:
    with open(log, "w") as out:
        hub = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                               start_new_session=True)
    url = f"http://127.0.0.1:{env['HUB_PORT']}/hub/api"
    for _ in range(240):
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return hub
        except OSError:
            pass
        if hub.poll() is not None:
            raise AssertionError(f"the hub exited {hub.returncode}: {log.read_text()[-3000:]}")
        time.sleep(0.25)
    _stop(hub)
    raise AssertionError(f"the hub did not answer on {url} in 60 s: {log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_make_hub_starts_and_answers_on_its_api(tmp_path, open_tmp):
    """The README's `make hub`, on free ports with its state in a temporary folder."""
    reason = _hub_installed()
    if reason:
        pytest.skip(reason)
    extra = tmp_path / "site.py"
    extra.write_text('print("site settings loaded", flush=True)\nc.JupyterHub.template_vars = {"x": 1}\n')
    env = _hub_env(tmp_path, HUB_PASSWORD="", HUB_EXTRA_CONFIG=str(extra), HUB_SHARED_DIR=str(open_tmp))
    hub = _start_hub(env, tmp_path / "hub.log", ["make", "-s", "hub"])
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{env['HUB_PORT']}/hub/api", timeout=5) as answer:
            assert json.load(answer)["version"].startswith("6.")
        log = (tmp_path / "hub.log").read_text()
        assert "trial login" in log and (tmp_path / "state" / "trial_password").exists()
        assert "site settings loaded" in log  # HUB_EXTRA_CONFIG
        assert (tmp_path / "exchange").stat().st_mode & 0o7777 == 0o1777
        config = (open_tmp / "etc" / "jupyter" / "nbgrader_config.py").read_text()
        assert repr(str(tmp_path / "exchange")) in config
    finally:
        _stop(hub)


# --- a class, end to end --------------------------------------------------------------------------

# Each student answers one exercise right and one wrong (runnable, but failing its check), varied;
# None leaves the exercise as released. Expected points come from the cells' metadata.
WRONG = {
    "ex01_coverage": "return [1] * ((n_in - 1) * stride + kernel_size)",  # forgets the overlap
    "ex01_formula": "return math.ceil(kernel_size / stride) / max(1, kernel_size // stride)",  # no gaps
    "ex01_index": "return float((image - image.mean()).abs().mean() / image.std())",  # not the phases
}
PLANS = [
    {"ex01_coverage": "right", "ex01_formula": "wrong", "ex01_index": None},
    {"ex01_coverage": "right", "ex01_formula": "right", "ex01_index": "wrong"},
    {"ex01_coverage": "wrong", "ex01_formula": None, "ex01_index": "right"},
]
TIMES = ROOT / "build" / "hub-times.json"


def _api(base: str, token: str, path: str, method: str = "GET", body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"token {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            text = answer.read().decode()
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"{method} {path}: {exc.code} {exc.read().decode()[:1000]}") from exc
    return json.loads(text) if text.strip() else {}


def _start_server(base: str, user: str, token: str) -> str:
    """Wait for ``user``'s server (asked for with their own token); returns its URL once it is ready."""
    for _ in range(480):
        server = _api(base, token, f"/hub/api/users/{user}").get("servers", {}).get("", {})
        if server.get("ready"):
            return base + server["url"]
        time.sleep(0.25)
    raise AssertionError(f"{user}'s server did not become ready in 120 s")


def _decode(frame: str | bytes | None) -> dict:
    """A websocket frame of Jupyter's kernel protocol as a message; binary frames (messages with
    buffers, e.g. a widget's image) start with the buffer count and offsets, the JSON part first."""
    if frame is None:
        raise AssertionError("the kernel's websocket closed")
    if isinstance(frame, str):
        return json.loads(frame)
    count = struct.unpack("!i", frame[:4])[0]
    offsets = struct.unpack("!" + "I" * count, frame[4:4 * (count + 1)])
    end = offsets[1] if count > 1 else len(frame)
    return json.loads(frame[offsets[0]:end].decode("utf-8"))


class Kernel:
    """A kernel in a user's Jupyter server, driven over its REST and websocket API."""

    def __init__(self, server: str, token: str):
        self.server, self.token = server.rstrip("/"), token
        self.id = _api(self.server, token, "/api/kernels", "POST", {"name": "python3"})["id"]
        self.session = uuid.uuid4().hex
        self.socket = None

    async def connect(self) -> None:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        url = self.server.replace("http", "ws", 1) + f"/api/kernels/{self.id}/channels"
        auth = {"Authorization": f"token {self.token}"}
        request = HTTPRequest(f"{url}?session_id={self.session}", headers=auth)
        self.socket = await websocket_connect(request, max_message_size=64 * 2**20)

    async def run(self, code: str, timeout: float = 300) -> dict:
        """Execute ``code``; returns its stdout and the error's name (None when it ran)."""
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "msg_type": "execute_request", "username": "student",
                  "session": self.session, "date": "", "version": "5.3"}
        content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                   "allow_stdin": False, "stop_on_error": False}
        await self.socket.write_message(json.dumps({"header": header, "parent_header": {}, "metadata": {},
                                                    "content": content, "channel": "shell"}))
        out, error, done = [], None, {"reply": False, "idle": False}
        while not all(done.values()):
            message = _decode(await asyncio.wait_for(self.socket.read_message(), timeout))
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, body = message["msg_type"], message["content"]
            if kind == "stream" and body["name"] == "stdout":
                out.append(body["text"])
            elif kind == "error":
                error = body["ename"]
            elif kind == "status" and body["execution_state"] == "idle":
                done["idle"] = True
            elif kind == "execute_reply":
                done["reply"] = True
        return {"stdout": "".join(out), "error": error}

    async def run_ok(self, code: str) -> str:
        """Execute ``code``, which must not raise; returns its stdout."""
        result = await self.run(code)
        assert result["error"] is None, f"{code[:200]!r} raised {result['error']}: {result['stdout'][-2000:]}"
        return result["stdout"]

    def close(self) -> None:
        if self.socket is not None:
            self.socket.close()
        try:
            _api(self.server, self.token, f"/api/kernels/{self.id}", "DELETE")
        except AssertionError:
            pass


def _last_json(stdout: str):
    return json.loads(stdout.strip().splitlines()[-1])


def _answers(plan: dict, source: dict) -> dict[str, str | None]:
    """grade_id -> the cell source a student types: the instructor's solution, a wrong body, or None."""
    from test_grading import with_body

    solutions = {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"]) for c in source["cells"]
                 if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    typed = {"right": lambda g: solutions[g], "wrong": lambda g: with_body(solutions[g], WRONG[g])}
    return {g: None if what is None else typed[what](g) for g, what in plan.items()}


# What a student does in a kernel of their own server: fetch (once), fill in answers, save; the driver
# then runs each code cell, and the student submits.
FETCH_AND_ANSWER = """
import json, os, subprocess, sys
from pathlib import Path
os.chdir(Path.home())
if not Path({a!r}).exists():
    fetched = subprocess.run([sys.executable, "-m", "nbgrader", "fetch_assignment", {a!r}],
                             capture_output=True, text=True)
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
path = Path({a!r}) / {name!r}
nb = json.loads(path.read_text())
answers = json.loads({answers!r})
for cell in nb["cells"]:
    grade_id = cell.get("metadata", {{}}).get("nbgrader", {{}}).get("grade_id")
    if answers.get(grade_id) is not None:
        cell["source"] = answers[grade_id]
path.write_text(json.dumps(nb, indent=1))
os.chdir(path.parent)
print(json.dumps([[c.get("metadata", {{}}).get("nbgrader", {{}}).get("grade_id"), "".join(c["source"])]
                  for c in nb["cells"] if c["cell_type"] == "code"]))
"""
SUBMIT = """
import json, os, subprocess, sys, torch
from pathlib import Path
done = subprocess.run([sys.executable, "-m", "nbgrader", "submit", {a!r}], cwd=Path.home(),
                      capture_output=True, text=True)
assert done.returncode == 0, done.stdout + done.stderr
print(json.dumps({{"threads": torch.get_num_threads(), "env": os.environ.get("NBHELPERS_THREADS")}}))
"""


async def _student_run(server: str, token: str, answers: dict, user: str) -> dict:
    """Fetch, answer, run every code cell, submit: seconds of each part, errors per graded cell, and
    the peak memory of the user's processes (server and kernel)."""
    kernel = Kernel(server, token)
    try:
        await kernel.connect()
        start = time.perf_counter()
        cells = _last_json(await kernel.run_ok(FETCH_AND_ANSWER.format(
            a=ASSIGNMENT, name=NOTEBOOK.name, answers=json.dumps(answers))))
        fetched = time.perf_counter()
        errors = {}
        for grade_id, code in cells:
            result = await kernel.run(code)
            if grade_id:
                errors[grade_id] = result["error"]
            elif result["error"]:
                raise AssertionError(f"an ungraded cell raised {result['error']}: {code[:300]}")
        ran = time.perf_counter()
        threads = _last_json(await kernel.run_ok(SUBMIT.format(a=ASSIGNMENT)))
        end = time.perf_counter()
        peak = _peak_mib(user)
    finally:
        kernel.close()
    return {"fetch_s": fetched - start, "run_s": ran - fetched, "submit_s": end - ran, "total_s": end - start,
            "errors": errors, "peak_mib": peak, **threads}


def _peak_mib(user: str) -> float:
    """The sum of the peak resident memory (VmHWM) of ``user``'s processes, MiB."""
    import pwd

    uid, total = pwd.getpwnam(user).pw_uid, 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if int(fields["Uid"].split()[0]) == uid and "VmHWM" in fields:
            total += int(fields["VmHWM"].split()[0])
    return total / 1024


INSTRUCTOR_BUILD = """
import json, time
from pathlib import Path
from nbhelpers.course.grading import build_course, run_nbgrader
course, start = Path.home() / "course", time.perf_counter()
released = build_course([Path({nb!r})], course)
run_nbgrader(course, "release_assignment", {a!r}, "--force")
print(json.dumps({{"release": str(released[{a!r}]), "seconds": time.perf_counter() - start}}))
"""
INSTRUCTOR_GRADE = """
import json, time
from pathlib import Path
from nbhelpers.course.grading import autograde, run_nbgrader, scores
course, start = Path.home() / "course", time.perf_counter()
run_nbgrader(course, "collect", {a!r})
collected = time.perf_counter()
autograde(course, {a!r})
print(json.dumps({{"collect_s": collected - start, "autograde_s": time.perf_counter() - collected,
                  "scores": scores(course, {a!r})}}))
"""


def _class_skip_reason() -> str | None:
    if os.environ.get("HUB_CLASS_TEST") != "1":
        return "the class on a hub runs with `make test-hub` (HUB_CLASS_TEST=1; about 2 minutes, as root)"
    if os.geteuid() != 0:
        return "the class test creates system users and switches to them: run `make test-hub` as root"
    if not shutil.which("useradd") or not shutil.which("userdel"):
        return "useradd/userdel are not available to create the class's system users"
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        return "nbgrader is not installed: `make test-hub` installs it"
    return _hub_installed()


def _remove_users(users: list[str]) -> None:
    """End the test users' processes (all started by this test, through the hub) and delete them."""
    import pwd

    for user in users:
        try:
            uid = pwd.getpwnam(user).pw_uid
        except KeyError:
            continue
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                if f"\nUid:\t{uid}\t" in status.read_text():
                    os.kill(int(status.parent.name), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        subprocess.run(["userdel", "--remove", "--force", user], capture_output=True, check=False)


def test_a_class_fetches_runs_submits_and_is_graded_on_the_hub(tmp_path):
    reason = _class_skip_reason()
    if reason:
        pytest.skip(reason)
    from nbhelpers.course.grading import exercises, read_notebook

    start = time.perf_counter()
    tag = uuid.uuid4().hex[:5]
    teacher, students = f"dct{tag}", [f"dcs{tag}{i}" for i in range(1, 4)]
    shared = Path(tempfile.mkdtemp(prefix="hubclass-", dir="/tmp"))
    shared.chmod(0o755)
    token = uuid.uuid4().hex
    env = _hub_env(tmp_path, HUB_SHARED_DIR=str(shared / "shared"),
                   NBGRADER_EXCHANGE=str(shared / "exchange"),
                   HUB_ADMINS=teacher, HUB_USERS=",".join([teacher, *students]), HUB_SERVICE_TOKEN=token,
                   HUB_PASSWORD=uuid.uuid4().hex)
    hub = None
    try:
        for user in [teacher, *students]:
            made = subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", user],
                                  capture_output=True, text=True, check=False)
            if made.returncode != 0:
                pytest.skip(f"useradd {user} failed: {made.stderr.strip()}")
        jupyterhub = str(Path(sys.executable).parent / "jupyterhub")
        command = [jupyterhub, "-f", str(DEPLOY / "jupyterhub_config.py")]
        hub = _start_hub(env, tmp_path / "hub.log", command)
        base = f"http://127.0.0.1:{env['HUB_PORT']}"
        listed = {u["name"] for u in _api(base, token, "/hub/api/users")}
        assert listed == {teacher, *students}, "the hub knows the class from HUB_USERS and HUB_ADMINS"
        tokens = {u: _api(base, token, f"/hub/api/users/{u}/tokens", "POST", {"note": "class test"})["token"]
                  for u in [teacher, *students]}
        started = time.perf_counter()
        for user in [teacher, *students]:  # everyone logs in at once
            _api(base, tokens[user], f"/hub/api/users/{user}/server", "POST", {})
        servers = {u: _start_server(base, u, tokens[u]) for u in [teacher, *students]}
        spawn_s = time.perf_counter() - started
        result = asyncio.run(_class(servers, tokens, teacher, students))
    finally:
        if hub is not None:
            _stop(hub)
        _remove_users([teacher, *students])
        shutil.rmtree(shared, ignore_errors=True)

    source = read_notebook(NOTEBOOK)
    checks = {g: p for e in exercises(source) for g, p in e.checks.items()}
    outcome = {"right": None, "wrong": "ExerciseFailed", None: "NotImplementedError"}
    for student, plan in zip(students, PLANS):
        expected = {f"{g}_check": checks[f"{g}_check"] if w == "right" else 0.0 for g, w in plan.items()}
        assert result["scores"][student] == expected, (student, plan)
        for run in [r for r in result["runs"] if r["student"] == student]:
            assert {g: run["errors"][f"{g}_check"] for g in plan} == {g: outcome[w] for g, w in plan.items()}
            assert run["threads"] == 1 and run["env"] == "1", "one torch thread a student (NBHELPERS_THREADS)"
    alone = next(r for r in result["runs"] if r["phase"] == "alone")
    together = [r for r in result["runs"] if r["phase"] == "together"]
    report = {
        "machine": _machine(), "threads_per_student": 1, "four_servers_start_s": round(spawn_s, 2),
        "alone": _times(alone), "together": [_times(r) for r in together],
        "slowest_together_over_alone": round(max(r["run_s"] for r in together) / alone["run_s"], 2),
        "peak_mib_per_student": round(max(r["peak_mib"] for r in result["runs"]), 1),
        "release_s": round(result["release_s"], 2), "collect_s": round(result["collect_s"], 2),
        "autograde_s_per_submission": round(result["autograde_s"] / len(students), 2),
        "test_wall_s": round(time.perf_counter() - start, 1),
    }
    TIMES.parent.mkdir(exist_ok=True)
    TIMES.write_text(json.dumps(report, indent=1) + "\n")
    print("\nclass on the hub:", json.dumps(report, indent=1))


async def _class(servers: dict, tokens: dict, teacher: str, students: list[str]) -> dict:
    """The instructor releases; one student alone, then all three at once; the instructor grades."""
    from nbhelpers.course.grading import read_notebook

    instructor = Kernel(servers[teacher], tokens[teacher])
    try:
        await instructor.connect()
        built = _last_json(await instructor.run_ok(INSTRUCTOR_BUILD.format(nb=str(NOTEBOOK), a=ASSIGNMENT)))
        source = read_notebook(NOTEBOOK)
        answers = {s: json.dumps(_answers(plan, source)) for s, plan in zip(students, PLANS)}
        first = students[0]
        alone = await _student_run(servers[first], tokens[first], json.loads(answers[first]), first)
        runs = [{"student": first, "phase": "alone", **alone}]
        together = await asyncio.gather(*(_student_run(servers[s], tokens[s], json.loads(answers[s]), s)
                                          for s in students))
        runs += [{"student": s, "phase": "together", **r} for s, r in zip(students, together)]
        graded = _last_json(await instructor.run_ok(INSTRUCTOR_GRADE.format(a=ASSIGNMENT)))
    finally:
        instructor.close()
    return {"runs": runs, "release_s": built["seconds"], **graded}


def _times(run: dict) -> dict:
    return {k: round(run[k], 2) for k in ("fetch_s", "run_s", "submit_s", "total_s", "peak_mib")}


def _machine() -> str:
    from nbhelpers.runtime import cpu_name

    return f"{os.cpu_count()} cores, {cpu_name()}"
