"""Opening a notebook in Colab or Binder: the launch links and the install cell every notebook starts with.

The repository's address lives in pyproject.toml's ``[project.urls]``; :data:`REPOSITORY` is the
same (a test keeps them equal). :func:`with_first_cells` gives a notebook its two additions, once
(running it again replaces them): a line of launch links under its title, and as its first code
cell :func:`install_cell_source`, a self-contained cell that does nothing where ``nbhelpers``
imports (a checkout, ``make lab``, Binder) and otherwise installs the package, stored results
included, with pip, keeping the torch it finds (Colab's own). ``NBHELPERS_INSTALL_SOURCE``
replaces the repository as what pip installs (a wheel, a checkout, a fork's ``git+https`` URL).
"""

from __future__ import annotations

import copy
from urllib.parse import quote

from ..install_torch import CPU_INDEX

#: the repository, as in pyproject.toml's [project.urls] (tests/test_colab.py keeps them equal)
REPOSITORY = "https://github.com/deconv-checkerboard/deconv-checkerboard"
#: what pip installs instead of the repository when set (a wheel, a folder, a git+https URL)
INSTALL_SOURCE_VARIABLE = "NBHELPERS_INSTALL_SOURCE"
#: the install cell's first line, by which it is recognised
INSTALL_MARK = "# Colab, Binder or a bare kernel: install nbhelpers"
#: the launch line's start, by which it is recognised (and left out of a notebook's summary)
LAUNCH_MARK = "[Open in Colab]"
INSTALL_CELL_ID = "install-nbhelpers"


def repository_slug(repository: str = REPOSITORY) -> str:
    """``owner/name`` of a GitHub repository URL; a ``ValueError`` for anything else."""
    prefix = "https://github.com/"
    slug = repository.removeprefix(prefix).removesuffix(".git").strip("/")
    if not repository.startswith(prefix) or slug.count("/") != 1 or "" in slug.split("/"):
        raise ValueError(f"repository must be https://github.com/<owner>/<name>, got {repository!r}")
    return slug


def install_cell_source(repository: str = REPOSITORY) -> str:
    """The code of the install cell: no-op where ``nbhelpers`` imports, else ``pip install`` of
    ``$NBHELPERS_INSTALL_SOURCE`` or ``git+<repository>``, pinned to the torch already installed
    (Colab keeps its own; a kernel without torch gets the CPU build)."""
    repository_slug(repository)
    return (
        f"{INSTALL_MARK} when it is missing (keeps the torch it finds)\n"
        "import importlib, importlib.metadata as md, importlib.util, os, subprocess, sys\n"
        'if importlib.util.find_spec("nbhelpers") is None:\n'
        f'    source = os.environ.get("{INSTALL_SOURCE_VARIABLE}", "git+{repository}")\n'
        f'    torch = [f"torch=={{md.version(\'torch\')}}"] if importlib.util.find_spec("torch") else '
        f'["--extra-index-url", "{CPU_INDEX}"]\n'
        '    subprocess.run([sys.executable, "-m", "pip", "install", "-q", source, *torch], check=True)\n'
        "    importlib.invalidate_caches()"
    )


def launch_links(notebook: str, repository: str = REPOSITORY, branch: str = "main") -> str:
    """The Markdown line that opens ``notebooks/<notebook>`` in Colab or Binder (text links: the
    static site and an offline classroom fetch no badge image)."""
    if not notebook.endswith(".ipynb") or "/" in notebook:
        raise ValueError(f"notebook must be a file name like 03_topic.ipynb, got {notebook!r}")
    slug = repository_slug(repository)
    colab = f"https://colab.research.google.com/github/{slug}/blob/{branch}/notebooks/{notebook}"
    binder = f"https://mybinder.org/v2/gh/{slug}/{branch}?labpath={quote('notebooks/' + notebook, safe='')}"
    return f"{LAUNCH_MARK}({colab}) · [Launch Binder]({binder})"


def with_first_cells(nb: dict, notebook: str, repository: str = REPOSITORY) -> dict:
    """A copy of ``nb`` with the launch line under its title and the install cell as its first code
    cell; an earlier version of either is replaced, so applying it twice changes nothing.

    Args:
        nb: a notebook (nbformat 4 as a dict) whose first cell is Markdown starting with its ``# `` title.
        notebook: its file name (for the links).
        repository: the repository's GitHub URL.
    """
    nb = copy.deepcopy(nb)
    cells = nb["cells"]
    if not cells or cells[0]["cell_type"] != "markdown" or not "".join(cells[0]["source"]).startswith("# "):
        raise ValueError(f"{notebook}: the first cell must be Markdown starting with the '# ' title")
    lines = "".join(cells[0]["source"]).split("\n")
    body = [line for line in lines[1:] if not line.startswith(LAUNCH_MARK)]
    while body and not body[0].strip():
        body.pop(0)
    text = "\n".join([lines[0], "", launch_links(notebook, repository), "", *body])
    cells[0]["source"] = text.splitlines(keepends=True)
    cells[:] = [c for c in cells if not "".join(c["source"]).startswith(INSTALL_MARK)]
    first_code = next((i for i, c in enumerate(cells) if c["cell_type"] == "code"), len(cells))
    cells.insert(first_code, {"cell_type": "code", "id": INSTALL_CELL_ID, "metadata": {},
                              "execution_count": None, "outputs": [],
                              "source": install_cell_source(repository).splitlines(keepends=True)})
    return nb
