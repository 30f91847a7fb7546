"""How the committed notebooks read (issue 25): the story first, the evidence compact, and no
sentence that the numbers beside it contradict.

- Ledger lines are short (at most 200 characters), never print "infx", and are at most a third of
  a notebook's printed text (its text outputs; figures and widgets are not text).
- A cell that calls a ``plot_`` function shows a figure (the announced figure is not lost because
  the call was not the cell's last expression).
- Every bullet of a notebook's ``## Summary`` names the claim(s) behind it, as ``[NN.claim-id]``;
  each named claim is in that notebook's ledger and holds.
- A measured number in the prose (a decimal, or a number with %, dB or ×) is shown by an output or
  written in the code of the same notebook: prose cannot drift from the numbers it talks about.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
TUTORIALS = NOTEBOOKS[1:]
LEDGER_LINE = re.compile(r"^\s*[✓✗] \[\d\d\.[a-z0-9-]+\]")
CLAIM_ID = re.compile(r"\[(\d\d\.[a-z0-9][a-z0-9-]*)\]")


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _output_text(output: dict) -> str:
    """The text a reader sees of one output (stream, plain text, markdown, HTML); not metadata."""
    if output["output_type"] == "stream":
        return "".join(output.get("text", ""))
    data = output.get("data", {})
    if "application/vnd.jupyter.widget-view+json" in data or "image/png" in data:
        return ""  # a widget's or a figure's text/plain is its repr, not printed text
    if "<audio" in "".join(data.get("text/html", "")):
        return ""  # an audio player: its HTML is the clip's bytes, not text
    return "".join("".join(data.get(kind, "")) for kind in ("text/plain", "text/markdown", "text/html"))


def _printed_lines(path: Path) -> list[str]:
    return [line for cell in _cells(path) if cell["cell_type"] == "code"
            for out in cell.get("outputs", []) for line in _output_text(out).splitlines()]


def _claims(path: Path) -> dict[str, bool]:
    """The notebook's ledger from its outputs' metadata: claim id -> holds."""
    from nbhelpers.claims import Claim

    found = {}
    for cell in _cells(path):
        for out in cell.get("outputs", []):
            record = out.get("metadata", {}).get("nbhelpers.claim")
            if record:
                found[record["id"]] = Claim.from_record(record).holds
    return found


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.name)
def test_ledger_lines_are_short_and_at_most_a_third_of_the_printed_text(path):
    lines = _printed_lines(path)
    ledger = [line for line in lines if LEDGER_LINE.match(line)]
    assert ledger, f"{path.name}: no ledger lines in the outputs"
    long = [line[:80] + "..." for line in ledger if len(line) > 200]
    assert not long, f"{path.name}: ledger lines over 200 characters: {long}"
    assert not any("infx" in line for line in lines), f"{path.name}: prints 'infx'"
    share = sum(map(len, ledger)) / sum(map(len, lines))
    assert share <= 1 / 3, f"{path.name}: ledger lines are {share:.0%} of the printed text (at most 33%)"


PLOT_CALL = re.compile(r"(?<![\w.])(?:\w+\.)*plot_\w+\(")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_cell_that_calls_a_plot_function_shows_a_figure(path):
    missing = []
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code":
            continue
        code = "\n".join(line for line in _source(cell).splitlines()
                         if not line.lstrip().startswith(("#", "def ", "from ", "import ")))
        if PLOT_CALL.search(code) and not any(
                "image/png" in out.get("data", {}) for out in cell.get("outputs", [])):
            missing.append(f"cell {i}: {code.strip().splitlines()[0][:70]}")
    assert not missing, f"{path.name}: cells call a plot_ function but show no figure: {missing}"


def _summary(path: Path) -> str:
    cells = [_source(c) for c in _cells(path) if c["cell_type"] == "markdown"]
    found = [s for s in cells if re.search(r"^## Summary", s, re.M)]
    assert len(found) == 1, f"{path.name}: one '## Summary' cell expected, found {len(found)}"
    return found[0].split("## Summary", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.name)
def test_every_summary_conclusion_names_claims_of_this_notebook_that_hold(path):
    bullets = [b for b in re.split(r"\n(?=\s*(?:[-*]|\d+\.) )", "\n" + _summary(path))
               if re.match(r"\s*(?:[-*]|\d+\.) ", b)]
    assert bullets, f"{path.name}: the summary has no bullets"
    ledger = _claims(path)
    for bullet in bullets:
        ids = CLAIM_ID.findall(bullet)
        assert ids, f"{path.name}: a summary conclusion names no claim: {bullet.strip()[:100]!r}"
        for claim_id in ids:
            assert claim_id in ledger, f"{path.name}: the summary cites [{claim_id}], not in its ledger"
            assert ledger[claim_id], f"{path.name}: the summary cites [{claim_id}], which does not hold"


# A measured number in prose: a decimal (1.59, 0.94), or a number with a unit of measure (40 dB,
# 70%, 2.1×, 3x). Small integers alone (k=3, stride 2, 5 seeds, section 6) are not measurements.
PROSE_NUMBER = re.compile(
    r"(?<![\w.^/-])(\d+(?:,\d{3})*(?:\.\d+)?)(?=\s?(?:dB\b|%|×(?!\s?\d)|x\b|-fold\b))|(?<![\w.^/-])(\d+\.\d+)(?![\w.])")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _prose(text: str) -> str:
    """Markdown without what is not prose: LaTeX, code spans and blocks, links' targets, HTML tags."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]+\$|`[^`\n]+`", " ", text, flags=re.S)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"\b(?:90|95|99)% (?=(?:[\w-]+ )?(?:interval|confidence|lower bound))", " ", text)
    return re.sub(r"<[^>]+>", " ", text)


def _shown(cells: list[dict]) -> list[float]:
    """Every number an output shows or the code writes, in ``cells``."""
    text = []
    for cell in cells:
        if cell["cell_type"] == "code":
            text.append(_source(cell))
            text += [_output_text(out) for out in cell.get("outputs", [])]
    return [float(n) for n in NUMBER.findall("\n".join(text).replace(",", ""))]


def _sections(cells: list[dict]) -> list[list[int]]:
    """Cell indices grouped by ``## `` heading (a section runs to the next one)."""
    groups: list[list[int]] = [[]]
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "markdown" and re.match(r"#{1,2} ", _source(cell)):
            groups.append([])
        groups[-1].append(i)
    return [g for g in groups if g]


def _matches(stated: str, shown: list[float]) -> bool:
    """``stated`` as written (its decimals) is some shown number rounded, or it as a percentage."""
    value = float(stated.replace(",", ""))
    decimals = len(stated.split(".")[1]) if "." in stated else 0
    tolerance = 0.5 * 10 ** -decimals + 1e-9
    return any(abs(abs(x) - value) <= tolerance or abs(100 * abs(x) - value) <= tolerance
               for x in shown if math.isfinite(x))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_measured_numbers_in_the_prose_are_shown_in_the_notebook(path):
    """Each number must be shown in the prose's own section (its ``## `` heading to the next); the
    summary and the sections after it (going further, exercises) may cite the whole notebook."""
    cells = _cells(path)
    everything = _shown(cells)
    unshown = []
    for section in _sections(cells):
        head = _source(cells[section[0]])
        local = everything if head.startswith("## Summary") or head.startswith("# ") else _shown(
            [cells[i] for i in section])
        for i in section:
            if cells[i]["cell_type"] != "markdown":
                continue
            for match in PROSE_NUMBER.finditer(_prose(_source(cells[i]))):
                stated = match.group(1) or match.group(2)
                if not _matches(stated, local):
                    unshown.append(f"cell {i}: {stated}")
    assert not unshown, f"{path.name}: prose states numbers its section does not show: {unshown}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_saved_figure_is_at_most_1400_px_wide(path):
    """At 100 dpi a figure wider than 1,400 px shrinks its text below readable on a laptop."""
    import base64
    import struct

    widths = []
    for cell in _cells(path):
        for out in cell.get("outputs", []):
            png = out.get("data", {}).get("image/png")
            if png:
                header = base64.b64decode("".join(png) if isinstance(png, list) else png)[:24]
                widths.append(struct.unpack(">I", header[16:20])[0])
    assert all(w <= 1400 for w in widths), f"{path.name}: figures {sorted(widths)[-3:]} px wide"
