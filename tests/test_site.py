import json
import re
from pathlib import Path

import pytest

from nbhelpers.course.site import build_site, notebook_title

ROOT = Path(__file__).resolve().parents[1]


def test_notebook_title_reads_first_heading_and_paragraph():
    heading = ["# 01 · Title\n", "\n", "See [a](b) here.\n", "more\n\nnext"]
    nb = {"cells": [{"cell_type": "code", "source": ["x"]},
                    {"cell_type": "markdown", "source": heading}]}
    assert notebook_title(nb) == ("01 · Title", "See a here. more")


def test_build_site_writes_pages_and_an_index(tmp_path):
    notebooks = [ROOT / "notebooks" / name for name in ("00_setup_check.ipynb", "01_uneven_overlap.ipynb")]
    index = build_site(notebooks, tmp_path, execute=False)
    page = (tmp_path / "00_setup_check.html").read_text()
    assert "Setup check" in page
    assert "data:image/png" in (tmp_path / "01_uneven_overlap.html").read_text()
    listing = index.read_text()
    assert 'href="00_setup_check.html"' in listing and "00 · Setup check" in listing
    assert listing.index("00_setup_check") < listing.index("01_uneven_overlap")
    # static pages: no live widget, no widget manager to fetch; an explorer shows its saved picture
    assert "widget-state+json" not in page and "widget-view+json" not in page
    explorer_page = (tmp_path / "01_uneven_overlap.html").read_text()
    assert "widget-view+json" not in explorer_page
    # offline: no script or stylesheet is fetched from elsewhere (a classroom may have no network)
    for html_page in (page, explorer_page, listing):
        assert not re.search(r'<(script|link)[^>]*(src|href)="https?://', html_page)
        assert "import(\"http" not in html_page
    # the index renders the notebooks' markdown
    assert "**" not in listing
    assert "<em>" in listing or "<strong>" in listing


def test_build_site_rejects_bad_paths(tmp_path):
    with pytest.raises(ValueError, match="notebooks"):
        build_site([], tmp_path)
    with pytest.raises(ValueError, match="not an existing"):
        build_site([tmp_path / "missing.ipynb"], tmp_path)


def test_saved_explorers_carry_their_picture():
    """Each explorer cell's saved output has a PNG next to the widget view (what make html shows)."""
    for name in ("01_uneven_overlap.ipynb", "02_stacking_and_stride1.ipynb",
                 "03_learning_bias_and_color.ipynb"):
        cells = json.loads((ROOT / "notebooks" / name).read_text())["cells"]
        views = [out["data"] for c in cells for out in c.get("outputs", [])
                 if "application/vnd.jupyter.widget-view+json" in out.get("data", {})]
        explorers = [d for d in views if "image/png" in d]
        assert explorers, f"{name}: no explorer output with a saved picture"


def test_notebooks_use_no_latex():
    """The offline pages load no MathJax, so math in a notebook's markdown would show raw."""
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        for cell in cells:
            text = "".join(cell["source"]) if cell["cell_type"] == "markdown" else ""
            assert not re.search(r"\$[^$\s][^$]*\$|\\\(|\\\[", text), f"{path.name}: LaTeX in markdown"
