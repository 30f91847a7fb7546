"""Static checks of the committed notebooks (nbval executes them; this checks how they ship)."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_notebooks_exist_in_order():
    names = [p.name for p in NOTEBOOKS]
    assert names[:2] == ["00_setup_check.ipynb", "01_uneven_overlap.ipynb"]
    for name in names:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", name), name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_executed_small_and_clean(path):
    assert path.stat().st_size < 2_000_000
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(c.get("execution_count") for c in code), "commit the notebook executed"
    for cell in code:
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"{path.name} was committed with an error"
    assert nb["cells"][0]["cell_type"] == "markdown"
    assert nb["cells"][0]["source"][0].startswith("# ")


@pytest.mark.parametrize("path", NOTEBOOKS[1:], ids=lambda p: p.name)
def test_tutorial_notebooks_have_objectives_assertions_and_summary(path):
    nb = json.loads(path.read_text())
    text = "".join("".join(c["source"]) for c in nb["cells"])
    assert "Learning objectives" in text and "Prerequisites" in text and "Time" in text
    assert "## Summary" in text
    assert text.count("claim(\"") >= 3, "a tutorial notebook states its claims through the ledger"
    assert "# NBVAL_CHECK_OUTPUT" in text
    assert any(
        "image/png" in out.get("data", {})
        for c in nb["cells"] if c["cell_type"] == "code" for out in c.get("outputs", [])
    ), "a tutorial notebook shows figures"


def _sources():
    for path in (ROOT / "nbhelpers").rglob("*.py"):
        yield path, path.read_text()
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text())["cells"]
        yield path, "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def test_no_hard_coded_devices_in_the_package_or_the_notebooks():
    """The CUDA path needs device-agnostic code: no .cuda(), no device='cuda' (use get_device())."""
    for path, source in _sources():
        assert ".cuda()" not in source, path
        assert not re.search(r"device\s*=\s*['\"]cuda", source), path
        if path.name != "runtime.py":  # the one place that decides
            assert not re.search(r"torch\.device\(\s*['\"]cuda", source), path


@pytest.mark.parametrize("path", NOTEBOOKS[1:6], ids=lambda p: p.name)
def test_key_computations_are_written_by_hand_and_kept_for_students(path):
    """Notebooks 01-05 each write a key computation in plain torch and check it against the helper
    (``# by hand`` and ``torch.testing.assert_close``), outside solution blocks, so the student
    version keeps it."""
    from nbhelpers.course.student import student_notebook

    student, _ = student_notebook(json.loads(path.read_text()))
    sources = ["".join(c["source"]) for c in student["cells"] if c["cell_type"] == "code"]
    by_hand = [s for s in sources if "# by hand" in s and "torch.testing.assert_close" in s]
    assert by_hand, f"{path.name}: no '# by hand' cell checked with torch.testing.assert_close"
    assert all("NotImplementedError" not in s for s in by_hand)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_has_a_caption(path):
    """The cell after a figure is markdown prose (not a heading): what to look at."""
    cells = json.loads(path.read_text())["cells"]
    for i, cell in enumerate(cells):
        shows_figure = cell["cell_type"] == "code" and any(
            "image/png" in out.get("data", {}) for out in cell.get("outputs", []))
        if shows_figure:
            following = cells[i + 1] if i + 1 < len(cells) else None
            assert following and following["cell_type"] == "markdown", f"{path.name} cell {i}: no caption"
            assert not "".join(following["source"]).lstrip().startswith("#"), f"{path.name} cell {i}: caption"


def test_no_saved_progress_bar_is_stuck_at_zero():
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text())["cells"]:
            for out in cell.get("outputs", []):
                text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
                assert not re.search(r"(^|\s)0%\|", text), f"{path.name}: a progress bar saved at 0%"
