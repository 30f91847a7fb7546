"""A class on one JupyterHub server (``make hub``, ``deploy/jupyterhub_config.py``).

The hub runs as root from the project's environment and starts each student's Jupyter server as
that student's system user (LocalProcessSpawner). What the students' processes need, this module
prepares:

- an interpreter they may run (:func:`student_python`): the environment's own when every folder
  above it is open to other users, otherwise a thin environment made with the system's Python of
  the same version that loads the project environment's packages (a pyenv Python under ``/root``
  is closed to other users; nothing is copied, nothing under ``/root`` is opened);
- their servers' environment (:func:`spawner_environment`): one torch thread each
  (``NBHELPERS_THREADS``), the project's JupyterLab, widgets and nbgrader extensions, and the
  nbgrader settings of the course;
- nbgrader's exchange (:func:`prepare_exchange`, :func:`exchange_config`): a folder every user
  may write to, sticky (mode 1777), through which the instructor releases assignments and
  collects submissions.

The per-student resources (:data:`MEM_GUARANTEE` ... :data:`CPU_LIMIT`) come from ``make bench``
and the class test (``make test-hub``); notebooks/README.md gives the planning numbers.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

COURSE_ID = "deconv-checkerboard"
DEFAULT_EXCHANGE = Path("/srv/nbgrader/exchange")
STUDENT_THREADS = 1  # one torch thread per student: shared cores (README, *Running the course*)
# Memory: a notebook's kernel peaks at 330-690 MiB (make bench), the student's Jupyter server adds
# about 230 MiB (make test-hub: 671 MiB for notebook 01, whose kernel alone peaks at 436 MiB).
MEM_GUARANTEE = "1G"
MEM_LIMIT = "1.5G"  # room for a second open notebook before the kernel is killed
# CPU: one thread runs on one core at most; two students share a core at a stated 2x slowdown.
CPU_GUARANTEE = 0.5
CPU_LIMIT = 1.0
# Console scripts the students' processes run by name (nbgrader calls `alembic`).
SCRIPTS = {"alembic": "alembic.config:main", "nbgrader": "nbgrader.apps.nbgraderapp:main",
           "jupyter": "jupyter_core.command:main"}


class HubError(RuntimeError):
    """The class server cannot be set up as asked; the message says what to change."""


def blocked_for_others(path: Path) -> Path | None:
    """The first folder above ``path`` (after resolving links) that other users cannot enter, or
    ``path`` itself when they cannot run it; ``None`` when any user can run ``path``."""
    target = Path(path).resolve()
    if not target.exists():
        raise HubError(f"{target} does not exist")
    for folder in reversed(target.parents):
        if not folder.stat().st_mode & stat.S_IXOTH:
            return folder
    mode = target.stat().st_mode
    return None if mode & stat.S_IXOTH and mode & stat.S_IROTH else target


def _system_pythons(version: str) -> list[Path]:
    return [Path(p) / f"python{version}" for p in ("/usr/bin", "/usr/local/bin", "/opt/python/bin")]


def student_python(venv: Path, out: Path, base_python: Path | None = None) -> Path:
    """The Python the students' servers and kernels run, with the packages of ``venv``.

    ``venv``'s own interpreter when other users can run it (:func:`blocked_for_others`). Otherwise
    a virtual environment in ``out`` made with ``base_python`` (default: the first
    ``pythonX.Y`` of ``venv``'s version in /usr/bin, /usr/local/bin, /opt/python/bin that others
    can run), whose site-packages adds ``venv``'s (a ``.pth`` file) and whose ``bin/`` has the
    :data:`SCRIPTS`. ``out`` is rebuilt only when missing. Raises :class:`HubError` when neither
    works, naming the folder to open or the interpreter to install.
    """
    venv = Path(venv).resolve()
    own = venv / "bin" / "python"
    blocked = blocked_for_others(own)
    if blocked is None:
        return own
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [Path(base_python)] if base_python else _system_pythons(version)
    base = next((p for p in candidates if p.exists() and blocked_for_others(p) is None), None)
    if base is None:
        raise HubError(
            f"students cannot run {own.resolve()}: other users cannot enter {blocked}, and no Python "
            f"{version} they can run was found in {[str(p.parent) for p in candidates]}. Install one "
            f"(Debian: apt-get install python{version}-venv), open {blocked} (chmod o+x), or make the "
            f"environment elsewhere (make install PYTHON=/usr/bin/python{version} VENV=/opt/class-venv)")
    out = Path(out)
    python = out / "bin" / "python"
    site = out / "lib" / f"python{version}" / "site-packages"
    if not python.exists():
        done = subprocess.run([str(base), "-m", "venv", "--without-pip", "--clear", str(out)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise HubError(f"{base} -m venv {out} failed: {(done.stderr or done.stdout).strip()[-800:]}")
    project_site = venv / "lib" / f"python{version}" / "site-packages"
    (site / "zz_project_environment.pth").write_text(
        f"import site; site.addsitedir({str(project_site)!r})\n", encoding="utf-8")
    for name, entry in SCRIPTS.items():
        module, function = entry.split(":")
        script = out / "bin" / name
        script.write_text(f"#!{python}\nimport sys\nfrom {module} import {function}\n"
                          f"sys.exit({function}())\n", encoding="utf-8")
        script.chmod(0o755)
    return python


def exchange_config(exchange: Path, course_id: str = COURSE_ID) -> str:
    """The text of the ``nbgrader_config.py`` every user's server reads: the course and the
    exchange folder (nbgrader fetch, submit, release, collect)."""
    return (f'"""nbgrader settings for everyone on this hub (written by deploy/jupyterhub_config.py)."""\n\n'
            f"c = get_config()  # noqa: F821\n"
            f"c.CourseDirectory.course_id = {course_id!r}\n"
            f"c.Exchange.root = {str(exchange)!r}\n"
            f"c.Exchange.path_includes_course = False\n")


def prepare_exchange(path: Path) -> Path:
    """Create nbgrader's exchange folder ``path`` with mode 1777 (anyone writes, only owners
    delete: the sticky bit); an existing one owned by this user gets that mode. Raises
    :class:`HubError` when it exists with other permissions and belongs to someone else."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except PermissionError as exc:
        raise HubError(f"cannot create nbgrader's exchange {path} as this user: create it as root "
                       f"(mkdir -p {path} && chmod 1777 {path}) or set NBGRADER_EXCHANGE") from exc
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode != 0o1777:
        if path.stat().st_uid != os.geteuid():
            raise HubError(f"nbgrader's exchange {path} has mode {oct(mode)}, not 0o1777, and belongs to "
                           f"another user: run `chmod 1777 {path}` as its owner or root")
        path.chmod(0o1777)
    return path


def spawner_environment(venv: Path, python: Path, config_dir: Path,
                        threads: int = STUDENT_THREADS) -> dict[str, str]:
    """The environment of every student's server and kernels.

    ``NBHELPERS_THREADS`` (torch threads per process), the project environment's JupyterLab
    application, extensions and configuration (``JUPYTERLAB_DIR``, ``JUPYTER_PATH``,
    ``JUPYTER_CONFIG_PATH``, with ``config_dir`` first: the hub's ``nbgrader_config.py``), and a
    ``PATH`` that starts with the folder of ``python`` (:func:`student_python`), not the project's
    ``bin/`` (its scripts may name an interpreter students cannot run).
    """
    if int(threads) < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    venv = Path(venv).resolve()
    share, etc = venv / "share" / "jupyter", venv / "etc" / "jupyter"
    return {
        "NBHELPERS_THREADS": str(int(threads)),
        "JUPYTERLAB_DIR": str(share / "lab"),
        "JUPYTER_PATH": str(share),
        "JUPYTER_CONFIG_PATH": os.pathsep.join([str(Path(config_dir).resolve()), str(etc)]),
        "PATH": os.pathsep.join([str(Path(python).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
    }


def configurable_http_proxy(node_dir: Path) -> Path:
    """The ``configurable-http-proxy`` command installed by ``make install-hub`` under
    ``node_dir`` (an npm prefix), or the one on PATH; raises :class:`HubError` when neither."""
    local = Path(node_dir) / "node_modules" / ".bin" / "configurable-http-proxy"
    if local.exists():
        return local.resolve()
    found = shutil.which("configurable-http-proxy")
    if found:
        return Path(found)
    raise HubError(f"configurable-http-proxy is not installed in {node_dir}: `make install-hub` installs it "
                   "with npm (Node.js 18 or newer)")
