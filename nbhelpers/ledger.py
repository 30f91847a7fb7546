"""The claims ledger read back: the claims that committed, executed notebooks show (their full
records, kept in the outputs' metadata by :func:`nbhelpers.claims.claim`), as one table, a JSON file
and a summary. ``python -m nbhelpers.claims notebooks/*.ipynb`` (``make claims``) runs :func:`main`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .claims import LEDGER_KEY, Claim, _number


@dataclass(frozen=True)
class LedgerEntry:
    """A claim read back from an executed notebook."""

    notebook: str
    claim: Claim

    @property
    def id(self) -> str:
        return self.claim.id

    @property
    def margin(self) -> float:
        """The smallest margin (see :func:`margin`)."""
        return self.claim.smallest_margin

    @property
    def holds(self) -> bool:
        return self.claim.holds

    @property
    def control(self) -> str:
        """'real' (a measured control) or 'none'."""
        return "real" if self.claim.controls else "none"

    @property
    def confirmed(self) -> bool:
        """Whether the claim was also checked on fresh seeds."""
        return bool(self.claim.confirm)


def read_ledger(paths: Sequence[str | Path]) -> list[LedgerEntry]:
    """The claims shown in the outputs of executed notebooks, in order: each output that carries a
    record under :data:`LEDGER_KEY` (what :func:`claim` displays in a kernel).

    Args:
        paths: ``.ipynb`` files (committed executed).

    Returns:
        one :class:`LedgerEntry` per claim shown.
    """
    entries = []
    for path in map(Path, paths):
        for cell in json.loads(path.read_text())["cells"]:
            for output in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
                record = output.get("metadata", {}).get(LEDGER_KEY)
                if record:
                    entries.append(LedgerEntry(path.name, Claim.from_record(record)))
    return entries


def ledger_lines(path: str | Path) -> list[str]:
    """Every line of a notebook's printed text (streams and plain-text displays), for measuring how
    much of it the ledger takes."""
    lines = []
    for cell in json.loads(Path(path).read_text())["cells"]:
        for output in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            text = output.get("text", output.get("data", {}).get("text/plain", ""))
            lines += ("".join(text) if isinstance(text, list) else text).splitlines()
    return lines


def ledger_summary(entries: Sequence[LedgerEntry]) -> str:
    """The ledger in numbers: claims, how many have a control (a measurement that could pass, never a
    transform of the measured values: :func:`claim` rejects those), how many are confirmed on fresh
    seeds, the smallest margin, and the claims without a control with their reasons."""
    without = [f"{e.id} ({e.claim.why or 'none given'})" for e in entries if e.control == "none"]
    notebooks = len({e.notebook for e in entries})
    text = (f"{len(entries)} claims in {notebooks} notebooks; {len(entries) - len(without)} "
            f"with a control that could fail, {len(without)} without a control; "
            f"{sum(e.confirmed for e in entries)} confirmed on fresh seeds; smallest margin "
            f"{min((e.margin for e in entries), default=math.nan):.3g}x")
    if without:
        text += "\nwithout a control: " + "; ".join(without)
    return text


def format_ledger(entries: Sequence[LedgerEntry]) -> str:
    """The full ledger as a Markdown table: notebook, id, statement, every measured value, the
    threshold, the smallest margin, every control value and every fresh-seed value."""
    rows = ["| notebook | id | claim | measured | threshold | smallest margin | control | fresh seeds |",
            "|---|---|---|---|---|---:|---|---|"]
    for e in entries:
        c = e.claim
        shown = "exact" if math.isinf(e.margin) else f"{e.margin:.3g}x"
        control = (" · ".join(_number(v) for v in c.controls) if c.controls
                   else f"none: {c.why or 'none given'}")
        fresh = (" · ".join(_number(v) for v in c.confirm) + f" ({c.confirmed}/{len(c.confirm)} hold)"
                 if c.confirm else "")
        cells = [e.notebook[:2], f"`{e.id}`", c.statement, " · ".join(_number(v) for v in c.values),
                 f"{c.op} {_number(c.threshold)}", shown + ("" if e.holds else " FAILS"), control, fresh]
        rows.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """``make claims``: print the full ledger of the committed notebooks and its summary (and save it
    as JSON with ``--json``); exit 1 if a claim fails or an id repeats."""
    parser = argparse.ArgumentParser(prog="python -m nbhelpers.claims", description=main.__doc__)
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--json", type=Path, help="also write every claim's record to this file")
    args = parser.parse_args(argv)
    entries = read_ledger(args.notebooks)
    print(format_ledger(entries))
    ids = [e.id for e in entries]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    failing = [e.id for e in entries if not e.holds or e.margin < 1]
    print("\n" + ledger_summary(entries))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        records = [{"notebook": e.notebook} | e.claim.record() for e in entries]
        args.json.write_text(json.dumps(records, indent=1) + "\n")
        print(f"saved {len(entries)} claims to {args.json}")
    for problem, ids_ in (("repeated ids", repeated), ("failing claims", failing)):
        if ids_:
            print(f"{problem}: {', '.join(ids_)}", file=sys.stderr)
    return 1 if repeated or failing else 0
