"""Where the stored long-run results live, found the same way from a checkout and from a wheel.

From a source checkout (``make install``, ``pip install -e .``, or the folder on ``sys.path``) they
are the checkout's ``data/results/``, where ``make results`` writes. An installed wheel carries a
copy of that folder as package data: pyproject.toml maps the package ``nbhelpers._data`` to the
top-level ``data/`` folder, so ``pip install .`` puts ``data/results/*.json`` into
``site-packages/nbhelpers/_data/results/``, found here through :mod:`importlib.resources`. Either
way :func:`results_dir` is the one place that decides, and :func:`stored_result_files` turns a
missing or empty folder into an error that says how to get the results.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: the package that carries ``data/`` inside a wheel (see ``[tool.setuptools]`` in pyproject.toml)
DATA_PACKAGE = "nbhelpers._data"
#: how a reader without the stored results gets them (pip users have no Makefile)
TRAIN_COMMAND = "python -m nbhelpers.experiments.longrun run"


def checkout_root(package_dir: Path | None = None) -> Path | None:
    """The source checkout the package is imported from, or None for an installed copy.

    Args:
        package_dir: the ``nbhelpers`` folder (default: the one this module belongs to).

    Returns:
        the folder above ``package_dir`` when it holds a ``pyproject.toml`` and a ``data/`` folder
        (this project's layout); None otherwise, e.g. in ``site-packages``.
    """
    package_dir = Path(__file__).resolve().parents[1] if package_dir is None else Path(package_dir)
    root = package_dir.parent
    if (root / "pyproject.toml").is_file() and (root / "data").is_dir():
        return root
    return None


def results_dir(package_dir: Path | None = None) -> Path:
    """The folder of the stored long-run results: ``<checkout>/data/results`` from a checkout (where
    ``make results`` writes), else the copy inside the installed package (``nbhelpers/_data/results``).

    Args:
        package_dir: the ``nbhelpers`` folder to start from (default: the imported package).

    Returns:
        the folder's path; it need not exist (:func:`stored_result_files` says what to do then).
    """
    root = checkout_root(package_dir)
    if root is not None:
        return root / "data" / "results"
    if package_dir is not None:
        return Path(package_dir) / "_data" / "results"
    return Path(str(resources.files("nbhelpers").joinpath("_data", "results")))


def stored_result_files(directory: Path | str) -> list[Path]:
    """The stored results' JSON files in ``directory``, sorted by name.

    Raises:
        FileNotFoundError: when the folder is missing or holds no ``.json`` file, naming the folder
            and how to get the results (reinstall the package, or train them).
    """
    directory = Path(directory)
    files = sorted(directory.glob("*.json")) if directory.is_dir() else []
    if not files:
        state = "does not exist" if not directory.is_dir() else "holds no .json file"
        raise FileNotFoundError(
            f"no stored long-run results: {directory} {state}. Notebooks 03, 04, 05, 07 and 08 read "
            "them. They ship with the package: reinstall it from the repository (pip install "
            "--force-reinstall --no-deps <repository URL or checkout>), or train them yourself "
            f"(hours; resumable): `{TRAIN_COMMAND}` (`make results` in a checkout)."
        )
    return files
