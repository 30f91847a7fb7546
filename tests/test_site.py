import json
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
    saved = json.loads((ROOT / "notebooks" / "00_setup_check.ipynb").read_text())
    if "widgets" in saved["metadata"]:
        assert "application/vnd.jupyter.widget-state+json" in page


def test_build_site_rejects_bad_paths(tmp_path):
    with pytest.raises(ValueError, match="notebooks"):
        build_site([], tmp_path)
    with pytest.raises(ValueError, match="not an existing"):
        build_site([tmp_path / "missing.ipynb"], tmp_path)
