"""The claims ledger: claim() asserts with a margin, refuses checks that cannot fail, and the
ledger of the committed notebooks holds with unique ids."""

import json
import math
import re
from pathlib import Path

import pytest
import torch

from nbhelpers.claims import ClaimFailed, claim, main, margin
from nbhelpers.ledger import format_ledger, read_ledger

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_margin_is_a_ratio_in_both_directions():
    assert margin(3.0, ">=", 1.5) == pytest.approx(2.0)
    assert margin(0.5, "<=", 2.0) == pytest.approx(4.0)
    assert margin(0.0, "<=", 1e-6) == math.inf
    assert margin(-1.0, ">=", 1.0) == 0.0


def test_claim_prints_one_compact_line_and_keeps_every_value_in_its_record(capsys):
    result = claim("01.example", "a measured ratio", [3.0, 2.0, 4.0], ">=", 1.0, control=[0.5, 0.8])
    line = capsys.readouterr().out.strip()
    assert result.holds and result.smallest_margin == pytest.approx(2.0)
    assert line == "✓ [01.example] a measured ratio: smallest of 3: 2 (needs ≥ 1); control at most 0.8"
    assert result.record()["values"] == [3.0, 2.0, 4.0] and result.record()["controls"] == [0.5, 0.8]
    full = result.full_line()
    assert "measured 3 · 2 · 4 >= 1: margin 2x (smallest, 3/3 hold); control 0.5 · 0.8 fails" in full
    claim("01.upper", "an error", [0.0, 0.2], "<=", 1e-3 * 300, control=[2.0, 0.9])
    assert capsys.readouterr().out.strip().endswith("largest of 2: 0.2 (needs ≤ 0.3); control at least 0.9")


def test_claim_that_fails_raises_and_says_why():
    with pytest.raises(ClaimFailed, match="does not hold"):
        claim("01.example", "too small", [0.5, 2.0], ">=", 1.0)


def test_at_least_states_how_often_a_claim_holds(capsys):
    result = claim("01.sometimes", "holds on 2 of 3 seeds", [0.5, 2.0, 3.0], ">=", 1.0, at_least=2)
    assert result.holds and result.smallest_margin == pytest.approx(2.0)
    assert "holds on 2 of 3 (needs 2), 2nd best 2 (needs ≥ 1)" in capsys.readouterr().out
    with pytest.raises(ClaimFailed):
        claim("01.sometimes", "now on 3 of 3", [0.5, 2.0, 3.0], ">=", 1.0, at_least=3)


def test_a_control_that_passes_means_the_check_cannot_fail():
    claim("01.controlled", "separates", 3.0, ">=", 2.0, control=[1.0, 1.5])
    with pytest.raises(ClaimFailed, match="negative control"):
        claim("01.controlled", "does not separate", 3.0, ">=", 2.0, control=2.5)


def test_tensors_are_accepted():
    assert claim("01.tensor", "tensor values", torch.tensor([2.0, 3.0]), "<=", 4.0).smallest_margin == 4 / 3


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        (dict(id="1.bad"), ValueError, "id"),
        (dict(id="01.Bad Name"), ValueError, "id"),
        (dict(op="=="), ValueError, "op"),
        (dict(threshold=0.0), ValueError, "threshold"),
        (dict(threshold=-1.0), ValueError, "threshold"),
        (dict(measured=[]), TypeError, "measured"),
        (dict(measured=[float("nan")]), TypeError, "NaN"),
        (dict(measured="3"), TypeError, "measured"),
        (dict(at_least=4), ValueError, "at_least"),
        (dict(statement=""), TypeError, "statement"),
    ],
)
def test_bad_arguments_are_clear_errors(kwargs, error, words):
    args = dict(id="01.ok", statement="s", measured=[1.0, 2.0, 3.0], op=">=", threshold=0.5) | kwargs
    with pytest.raises(error, match=words):
        claim(**args)


def notebook_of(tmp_path, results, name="02_x.ipynb"):
    """A notebook file whose one cell shows these claims, as a kernel stores them."""
    path = tmp_path / name
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "outputs": [r.output() for r in results]}]}))
    return path


def test_the_ledger_reads_back_every_value_a_claim_shows(tmp_path):
    shown = claim("02.read-back", "reads back", [2.0, 5.0], "<=", 10.0, control=[12.0, 30.0],
                  confirm=[3.0, 1.0])
    (entry,) = read_ledger([notebook_of(tmp_path, [shown])])
    assert entry.claim == shown and entry.notebook == "02_x.ipynb"
    assert entry.margin == 2.0 and entry.holds and entry.control == "real" and entry.confirmed
    table = format_ledger([entry])
    assert "| 02 | `02.read-back` | reads back | 2 · 5 | <= 10 | 2x | 12 · 30 | 3 · 1 (2/2 hold) |" in table
    # an infinite margin reads as what it means, and non-finite values survive the JSON round trip
    exact = claim("02.exact", "an exact zero", [0.0, -math.inf], "<=", 1e-9, why="exact")
    (entry,) = read_ledger([notebook_of(tmp_path, [exact])])
    assert entry.claim.values == (0.0, -math.inf)
    assert "| exact |" in format_ledger([entry]) and "infx" not in format_ledger([entry])


def test_make_claims_saves_the_full_ledger_as_json(tmp_path, capsys):
    path = notebook_of(tmp_path, [claim("02.saved", "saved", [2.0, 3.0], ">=", 1.0, control=[0.5, 0.7])])
    assert main([str(path), "--json", str(tmp_path / "out" / "claims.json")]) == 0
    (record,) = json.loads((tmp_path / "out" / "claims.json").read_text())
    assert record["notebook"] == "02_x.ipynb" and record["values"] == [2.0, 3.0]
    assert record["controls"] == [0.5, 0.7]


def test_the_committed_ledger_holds_with_unique_ids_in_every_notebook(capsys):
    assert main([str(p) for p in NOTEBOOKS]) == 0, capsys.readouterr().err
    entries = read_ledger(NOTEBOOKS)
    for path in NOTEBOOKS[1:]:
        mine = [e for e in entries if e.notebook == path.name]
        assert mine, f"{path.name} states no claim"
        assert all(e.id.startswith(path.name[:2] + ".") for e in mine), path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_assert_science_only_through_the_ledger(path):
    """A bare assert is allowed for sanity checks (shapes, types), marked `# sanity`."""
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        for line in "".join(cell["source"]).splitlines():
            if re.match(r"\s*assert\b", line):
                assert "# sanity" in line, f"{path.name}: use claim(...) for: {line.strip()}"


def test_make_claims_prints_the_ledger():
    import subprocess

    out = subprocess.run(["make", "-s", "claims"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert "| `01.article-coverage` |" in out.stdout and "smallest margin" in out.stdout


@pytest.mark.parametrize("path", NOTEBOOKS[1:], ids=lambda p: p.name)
def test_committed_outputs_carry_every_claim_of_the_source(path):
    """Stale outputs (a claim edited but not re-executed) show up as a mismatch of ids."""
    cells = json.loads(path.read_text())["cells"]
    source = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    in_source = re.findall(r'claim\(\s*"(\d\d\.[a-z0-9-]+)"', source)
    printed = [e.id for e in read_ledger([path])]
    assert in_source == printed, "re-execute the notebook: its saved claim lines do not match its code"


def test_a_claim_ending_a_cell_adds_no_second_output():
    result = claim("01.quiet", "quiet", 2.0, ">=", 1.0)
    assert result._ipython_display_() is None  # IPython calls this instead of showing the repr


def test_a_control_that_is_a_transform_of_the_measured_values_is_named():
    from nbhelpers.claims import control_transform

    assert control_transform([2.0, 4.0], [0.5, 0.25]) == "reciprocal"
    assert control_transform([2.0, 4.0], [0.25, 0.5]) == "reciprocal"  # in another order
    assert control_transform([2.0, -1.0], [-2.0, 1.0]) == "negation"
    assert control_transform([2.0, 4.0], [1.0, 3.0]) == "offset"
    assert control_transform([2.0, 4.0], [0.7, 1.1]) is None  # another case, measured
    assert control_transform([2.0, 4.0], [0.5]) is None
    assert control_transform([2.0], [1.0]) is None  # one value: any control is "an offset"
    assert control_transform([0.0, 0.0], [3.0, 3.0]) is None  # equal values: likewise


def test_a_control_that_is_a_transform_of_the_measured_values_is_rejected(capsys):
    claim("01.real", "a ratio against another case", [3.0, 4.0], ">=", 2.0, control=[1.1, 0.9])
    for control, kind in (([1 / 3, 1 / 4], "reciprocal"), ([-3.0, -4.0], "negation"), ([1.0, 2.0], "offset")):
        with pytest.raises(ValueError, match=f"its control is the {kind} of the measured values"):
            claim("01.fake", "a ratio against a transform of itself", [3.0, 4.0], ">=", 2.0, control=control)
    assert len(capsys.readouterr().out.splitlines()) == 1  # a rejected claim prints no ledger line


def test_no_committed_claim_has_a_control_built_from_its_own_values():
    # every claim of every notebook went through claim(), which rejects such a control; read the
    # records back and check again (a notebook executed before the rule, or an output edited by
    # hand, would show one)
    from nbhelpers.claims import control_transform

    entries = [e for e in read_ledger(NOTEBOOKS) if e.claim.controls]
    for e in entries:
        assert control_transform(e.claim.values, e.claim.controls) is None, e.id
    assert len(entries) >= 80


def test_no_committed_claim_requires_exactly_the_count_it_observed():
    # "holds on k of n" with k the observed count has no slack: one more unlucky seed fails it, so
    # the threshold was read off the data. A claim over seeds either needs all of them, or fewer
    # than it observed.
    tight = [e.id for e in read_ledger(NOTEBOOKS)
             if e.claim.required < len(e.claim.values) and e.claim.holding <= e.claim.required]
    assert not tight, tight


def test_a_claim_without_a_control_says_why_and_make_claims_lists_it(capsys, tmp_path):
    from nbhelpers.ledger import ledger_summary

    claim("01.exact", "an identity of integers", 0.0, "<=", 1e-9, why="an exact computation: nothing to vary")
    claim("01.silent", "no control and no reason", 3.0, ">=", 2.0)
    lines = capsys.readouterr().out
    assert lines.splitlines()[0].endswith("; no control: an exact computation: nothing to vary")
    assert lines.splitlines()[1].endswith("; no control: none given")
    exact = claim("01.exact", "an identity of integers", 0.0, "<=", 1e-9,
                  why="an exact computation: nothing to vary")
    silent = claim("01.silent", "no control and no reason", 3.0, ">=", 2.0)
    summary = ledger_summary(read_ledger([notebook_of(tmp_path, [exact, silent], "01_x.ipynb")]))
    assert "0 with a control that could fail" in summary and "2 without a control" in summary
    assert "01.exact (an exact computation: nothing to vary); 01.silent (none given)" in summary
    with pytest.raises(ValueError, match="why="):
        claim("01.both", "both", 3.0, ">=", 2.0, control=1.0, why="a reason")
    with pytest.raises(ValueError, match="why="):
        claim("01.empty", "empty reason", 3.0, ">=", 2.0, why=" ")


def test_a_claim_designed_on_some_seeds_must_hold_on_fresh_ones(capsys, tmp_path):
    from nbhelpers.ledger import ledger_summary

    result = claim("01.confirmed", "a ratio per seed", [3.0, 4.0], ">=", 2.0, control=[1.0, 1.2],
                   confirm=[2.5, 5.0, 2.2])
    line = capsys.readouterr().out.strip()
    assert result.holds and line.endswith("; fresh seeds: 3/3 hold, smallest 2.2")
    most = claim("01.most", "3 of 4 seeds", [3.0, 4.0, 1.0, 5.0], ">=", 2.0, at_least=3, control=[1.0],
                 confirm=[3.0, 1.0, 4.0, 4.0])  # 3 of 4 fresh ones hold: enough
    with pytest.raises(ClaimFailed, match="not on the fresh seeds .1 of 2, 2 required.: weaken"):
        claim("01.unconfirmed", "holds on 0-4 only", [3.0, 4.0], ">=", 2.0, control=[1.0], confirm=[2.5, 1.5])
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("✗ [01.unconfirmed]")
    entries = read_ledger([notebook_of(tmp_path, [result, most], "01_x.ipynb")])
    assert [e.confirmed for e in entries] == [True, True]
    assert "2 confirmed on fresh seeds" in ledger_summary(entries)
