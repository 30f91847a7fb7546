"""Colab and Binder: the repository's one address, the launch links, the install cell every notebook
gets from nbhelpers.course.colab.with_first_cells, and the notebook checks that must accept it.

Running the install cell for real (a no-op, and an install from a local wheel) is in tests/test_wheel.py.
"""

import copy
import json
import re
import sys
from pathlib import Path

import pytest

from nbhelpers.course.colab import (
    INSTALL_MARK,
    LAUNCH_MARK,
    REPOSITORY,
    install_cell_source,
    launch_links,
    repository_slug,
    with_first_cells,
)
from nbhelpers.course.site import notebook_title

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "03_learning_bias_and_color.ipynb"


def test_the_repository_is_named_once_in_pyproject_and_used_everywhere():
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    assert urls["Repository"] == REPOSITORY
    readme = (ROOT / "README.md").read_text()
    slug = repository_slug()
    colab = f"https://colab.research.google.com/github/{slug}/blob/main/notebooks/00_setup_check.ipynb"
    assert colab in readme
    assert f"https://mybinder.org/v2/gh/{slug}/main" in readme


def test_repository_slug_accepts_only_github_urls():
    assert repository_slug("https://github.com/a/b.git") == "a/b"
    for bad in ("https://gitlab.com/a/b", "https://github.com/a", "https://github.com/a/b/c", "github.com/a"):
        with pytest.raises(ValueError, match="repository"):
            repository_slug(bad)


def test_launch_links_open_the_notebook_in_colab_and_binder():
    line = launch_links("03_x.ipynb", "https://github.com/o/r", branch="dev")
    assert line == ("[Open in Colab](https://colab.research.google.com/github/o/r/blob/dev/notebooks/03_x.ipynb)"
                    " · [Launch Binder](https://mybinder.org/v2/gh/o/r/dev?labpath=notebooks%2F03_x.ipynb)")
    assert line.startswith(LAUNCH_MARK) and "<img" not in line  # text: nothing fetched offline
    for bad in ("03_x.py", "notebooks/03_x.ipynb"):
        with pytest.raises(ValueError, match="notebook"):
            launch_links(bad)


def test_the_install_cell_is_short_self_contained_and_names_its_source():
    source = install_cell_source("https://github.com/o/r")
    lines = source.splitlines()
    assert len(lines) <= 8 and lines[0].startswith(INSTALL_MARK)
    compile(source, "cell", "exec")
    assert "nbhelpers" not in "".join(re.findall(r"^(?:import|from) .*", source, flags=re.M))
    assert '"git+https://github.com/o/r"' in source and "NBHELPERS_INSTALL_SOURCE" in source
    assert "https://download.pytorch.org/whl/cpu" in source  # no torch at all: the CPU build
    with pytest.raises(ValueError):
        install_cell_source("https://example.org/o/r")


def test_with_first_cells_adds_the_links_and_the_install_cell_once():
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# 09 · A title\n", "\n", "Intro."]},
                    {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                     "source": ["import torch"]}]}
    before = copy.deepcopy(nb)
    new = with_first_cells(nb, NOTEBOOK.name)
    assert nb == before, "the input is not changed"
    first = "".join(new["cells"][0]["source"]).split("\n")
    assert first[0] == "# 09 · A title" and first[2] == launch_links(NOTEBOOK.name)
    assert first[4:] == ["Intro."]
    code = [c for c in new["cells"] if c["cell_type"] == "code"]
    assert "".join(code[0]["source"]) == install_cell_source()
    assert code[1:] == [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert len(new["cells"]) == len(nb["cells"]) + 1
    assert with_first_cells(copy.deepcopy(new), NOTEBOOK.name) == new  # again: nothing added twice
    assert notebook_title(new) == notebook_title(nb)  # the site's title and summary are unchanged
    with pytest.raises(ValueError, match="first cell"):
        with_first_cells({"cells": [{"cell_type": "code", "source": ["x"]}]}, "x.ipynb")


def test_every_committed_notebook_has_its_links_and_install_cell():
    def sources(nb):
        return [(c["cell_type"], "".join(c["source"])) for c in nb["cells"]]

    for path in sorted(NOTEBOOK.parent.glob("[0-9][0-9]_*.ipynb")):
        nb = json.loads(path.read_text())
        again = with_first_cells(copy.deepcopy(nb), path.name)
        assert sources(again) == sources(nb), f"{path.name}: apply nbhelpers.course.colab.with_first_cells"


def test_the_notebook_checks_accept_a_notebook_with_the_new_cells():
    """tests/test_notebooks_meta.py's shape rules hold for a notebook after with_first_cells (once
    re-executed: the install cell then has an execution count like every other cell)."""
    import nbformat

    new = with_first_cells(json.loads(NOTEBOOK.read_text()), NOTEBOOK.name)
    nbformat.validate(nbformat.from_dict(new))
    assert new["cells"][0]["cell_type"] == "markdown" and new["cells"][0]["source"][0].startswith("# ")
    install = next(c for c in new["cells"] if c["cell_type"] == "code")
    assert install["execution_count"] is None  # why the notebooks must be re-executed after the script
