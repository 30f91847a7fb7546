"""`pip install .` (a wheel, not editable) must work wherever a reader opens the notebooks.

The wheel is built from a copy of the sources (`pip wheel --no-deps --no-build-isolation`, so no
stale ``build/`` folder and nothing downloaded) and installed with ``--no-deps --no-index`` into a
fresh virtual environment that borrows this environment's packages (torch, numpy, nbclient, ...)
through a ``.pth`` path line, copying nothing. A path line does not run the ``.pth`` files of the
folder it adds, so this environment's editable ``nbhelpers`` stays invisible there: the test checks
that ``import nbhelpers`` fails before the install and resolves into the new site-packages after.
From a temporary folder outside the checkout, ``load_results()`` must then find every stored result,
and notebooks 03 and 07, copied there, must run whole under a kernel started from that
environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ("03_learning_bias_and_color.ipynb", "07_audio_upsampling_artifacts.ipynb")


def _run(args: list, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(NBHELPERS_THREADS=os.environ.get("NBHELPERS_THREADS", "1"), MPLBACKEND="Agg",
               PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", **kwargs.pop("env", {}))
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=kwargs.pop("timeout", 300), **kwargs)


def _ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, f"{result.args}\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    return result.stdout


def _snapshot(dest: Path) -> Path:
    """The sources a wheel is built from, copied (results being written end in .tmp: left out)."""
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, dest / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.tmp")
    shutil.copytree(ROOT / "nbhelpers", dest / "nbhelpers", ignore=ignore)
    shutil.copytree(ROOT / "data", dest / "data", ignore=ignore)
    return dest


def _fresh_venv(path: Path) -> Path:
    """A virtual environment that sees this one's packages through a path line, nothing else."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = path / "bin" / "python"
    purelib = _ok(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], path))
    (Path(purelib.strip()) / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    """The wheel, the snapshot it was built from, and a fresh environment with it installed."""
    base = tmp_path_factory.mktemp("wheel")
    (base / "src").mkdir()
    src = _snapshot(base / "src")
    _ok(_run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
              "-w", base / "dist", src], base))
    wheel = next((base / "dist").glob("*.whl"))
    python = _fresh_venv(base / "venv")
    before = _run([python, "-c", "import nbhelpers"], base)
    assert before.returncode != 0 and "No module named 'nbhelpers'" in before.stderr, (
        "the fresh environment already sees an nbhelpers: the test would not test the wheel")
    _ok(_run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel], base))
    reader = base / "reader"  # where a reader opens the notebooks: no checkout above it
    reader.mkdir()
    return {"wheel": wheel, "src": src, "python": python, "venv": base / "venv", "reader": reader}


def test_the_package_list_is_the_tree_plus_the_data_package():
    setup = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = [".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "nbhelpers").rglob("__init__.py")]
    assert sorted(setup["packages"]) == sorted([*found, "nbhelpers._data"])
    assert setup["package-dir"] == {"nbhelpers._data": "data"}


def test_the_wheel_carries_every_module_and_every_stored_result(built):
    names = set(zipfile.ZipFile(built["wheel"]).namelist())
    src = built["src"]
    modules = {str(p.relative_to(src)) for p in (src / "nbhelpers").rglob("*.py")}
    results = {"nbhelpers/_data/results/" + p.name for p in (src / "data" / "results").glob("*.json")}
    assert len(results) >= 100
    assert not modules - names, sorted(modules - names)
    assert not results - names, sorted(results - names)
    assert "nbhelpers/_data/README.md" in names
    assert not [n for n in names if n.endswith(".tmp") or n.startswith(("data/", "tests/"))]


def test_the_installed_wheel_finds_every_stored_result_outside_the_checkout(built):
    script = ("import json, nbhelpers; from nbhelpers.experiments import longrun, stored; "
              "print(json.dumps({'package': nbhelpers.__file__, 'dir': str(longrun.RESULTS_DIR), "
              "'checkout': str(stored.checkout_root()), 'n': len(longrun.load_results(seeds=None))}))")
    found = json.loads(_ok(_run([built["python"], "-c", script], built["reader"])))
    venv = str(built["venv"].resolve())
    assert found["package"].startswith(venv) and "site-packages" in found["package"]
    assert found["dir"].startswith(venv) and found["dir"].endswith("nbhelpers/_data/results")
    assert found["checkout"] == "None"
    assert found["n"] == len(list((built["src"] / "data" / "results").glob("*.json")))


# Run inside the fresh environment: each notebook whole, then one cell that loads every stored
# result and prints where from.
NOTEBOOK_SCRIPT = """
import os, sys, nbformat
from nbclient import NotebookClient
from traitlets.config import Config
CHECK = ("import sys, nbhelpers\\nfrom nbhelpers.experiments.longrun import RESULTS_DIR\\n"
         "assert len(stored) >= 5, stored  # the notebook's own table of stored runs, by (kind, seed)\\n"
         "import json; from ipykernel.connect import get_connection_info\\n"
         "print('READ', len(load_results(seeds=None)), len(stored), sys.executable, nbhelpers.__file__,\\n"
         "      json.loads(get_connection_info())['transport'])")
for name in sys.argv[1:]:
    nb = nbformat.read(name, as_version=4)
    nb.cells = nb.cells + [nbformat.v4.new_code_cell(CHECK)]
    # Two kernels start side by side: over TCP each client picks free ports before its kernel binds
    # them, and the two can pick the same one ("Address already in use", then no reply in 60 s; seen
    # in CI). Unix sockets under a path named after the notebook cannot collide.
    config = Config()
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = os.path.abspath(name.split("_")[0] + "-kernel")
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": "."}},
                   config=config).execute()
    print(name, nb.cells[-1].outputs[-1]["text"].strip())
"""


def test_the_installed_wheel_runs_notebooks_03_and_07_from_another_folder(built):
    """Both notebooks whole, side by side (one kernel each, one thread), then one cell that loads
    every stored result and says where from: the installed wheel's stored results, where a bare
    KeyError once stopped them."""
    for name in NOTEBOOKS:
        shutil.copy(ROOT / "notebooks" / name, built["reader"] / name)
    jupyter = built["reader"] / "jupyter"  # no kernelspec but the environment's own python3
    env = {"JUPYTER_DATA_DIR": str(jupyter), "JUPYTER_CONFIG_DIR": str(jupyter),
           "IPYTHONDIR": str(jupyter / "ipython")}
    with ThreadPoolExecutor(len(NOTEBOOKS)) as pool:  # one kernel each, on one thread: side by side
        runs = pool.map(lambda name: _run([built["python"], "-c", NOTEBOOK_SCRIPT, name], built["reader"],
                                          timeout=600, env=env), NOTEBOOKS)
        out = "".join(_ok(run) for run in runs)
    expected = len(list((built["src"] / "data" / "results").glob("*.json")))
    venv = str(built["venv"].resolve())
    for name in NOTEBOOKS:
        line = next(line for line in out.splitlines() if line.startswith(name))
        count, _, executable, package, transport = line.split()[2:7]
        assert transport == "ipc", line
        assert int(count) == expected, line
        assert executable.startswith(str(built["venv"])) and package.startswith(venv), line


def test_an_editable_install_reads_its_checkout(built, tmp_path):
    python = _fresh_venv(tmp_path / "venv")
    _ok(_run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--no-build-isolation",
              "-e", built["src"]], tmp_path))
    script = "from nbhelpers.experiments import longrun; print(longrun.RESULTS_DIR)"
    found = _ok(_run([python, "-c", script], built["reader"])).strip()
    assert found == str(built["src"] / "data" / "results")


def test_the_install_cell_does_nothing_where_nbhelpers_imports(tmp_path):
    """In this environment (a checkout, `make lab`, Binder): no pip at all. A stand-in `pip` first on
    the path records any call."""
    from nbhelpers.course.colab import install_cell_source

    (tmp_path / "pip").mkdir()
    (tmp_path / "pip" / "__init__.py").write_text("")
    (tmp_path / "pip" / "__main__.py").write_text(f"open({str(tmp_path / 'called')!r}, 'w').close()\n")
    _ok(_run([sys.executable, "-c", install_cell_source() + "\nimport nbhelpers"], tmp_path,
             env={"PYTHONPATH": str(tmp_path), "NBHELPERS_INSTALL_SOURCE": str(tmp_path / "missing.whl")}))
    assert not (tmp_path / "called").exists(), "the install cell ran pip although nbhelpers imports"


def test_the_install_cell_installs_from_its_source_and_keeps_the_torch_it_finds(built, tmp_path):
    """A kernel without nbhelpers (Colab): the cell pip-installs NBHELPERS_INSTALL_SOURCE (here the
    wheel, with no index: nothing downloaded), pinned to the torch already there, and the same
    process then imports nbhelpers and reads every stored result."""
    from nbhelpers.course.colab import install_cell_source

    python = _fresh_venv(tmp_path / "venv")
    check = ("\nimport torch, nbhelpers\nfrom nbhelpers.experiments.longrun import load_results\n"
             "print(torch.__version__, nbhelpers.__file__, len(load_results(seeds=None)))")
    out = _ok(_run([python, "-c", install_cell_source() + check], built["reader"],
                   env={"NBHELPERS_INSTALL_SOURCE": str(built["wheel"])}))
    version, package, count = out.split()
    import torch

    assert version == torch.__version__  # kept, not replaced
    assert package.startswith(str((tmp_path / "venv").resolve()))
    assert int(count) == len(list((built["src"] / "data" / "results").glob("*.json")))
