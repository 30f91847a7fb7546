"""The claims ledger: every scientific assertion of a notebook, with its measured value and margin.

A notebook states a claim with :func:`claim`, which asserts it and prints one line::

    ✓ [03.resize-beats-deconv] uneven deconvolution's index over nearest resize-convolution's,
      per seed — measured 9.1 · 8.7 · 12 · 10 · 7.9 >= 2: margin 3.95x (smallest, 5/5 hold)

The **margin** says how far a value is from failing: measured / threshold for ``>=``,
threshold / measured for ``<=`` (a ratio; 1 is the edge, above 1 holds). A claim over seeds
reports its smallest margin, or, with ``at_least=k``, the k-th best (it then holds on k of n
seeds, and says so). ``control=`` takes the values the same check gives on a case where the
claim is false (a shuffled pairing, a signal without the artifact, a layer that divides its
stride, ...); the claim raises unless every control fails, so no claim can pass by
construction.

``python -m nbhelpers.claims notebooks/*.ipynb`` (``make claims``) reads the ledger lines back
from the committed executed notebooks and prints them as one table.
"""

from __future__ import annotations

import argparse
import json
import math
import numbers
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

OPS = (">=", "<=")
_ID = re.compile(r"^\d\d\.[a-z0-9][a-z0-9-]*$")
_LINE = re.compile(
    r"^(?P<mark>[✓✗]) \[(?P<id>[^\]]+)\] (?P<statement>.*) — measured (?P<measured>.*?) "
    r"(?P<op>>=|<=) (?P<threshold>\S+): margin (?P<margin>\S+?)x"
)


#: how a ledger line reports the same check on fresh seeds (designed on 0-4, confirmed on 5-9)
_CONFIRMED = "confirmed on fresh seeds:"
#: how a ledger line marks a control that is a transform of the measured values (it cannot fail)
_TRANSFORM_MARK = "not a real control: the"


class ClaimFailed(AssertionError):
    """A claim of a notebook does not hold (or its negative control does not fail)."""


def margin(value: float, op: str, threshold: float) -> float:
    """How far ``value`` is from failing ``value op threshold``, as a ratio (>= 1 holds).

    ``>=``: value / threshold; ``<=``: threshold / value. Thresholds are positive, so the
    ratio reads the same whatever the units: 2.0 means "twice as far as needed".

    Returns:
        a float >= 0 (inf when ``<=`` meets a value of 0).
    """
    if op == ">=":
        return max(value, 0.0) / threshold
    return math.inf if value <= 0 else threshold / value


def control_transform(values: Sequence[float], controls: Sequence[float], rel: float = 1e-6) -> str | None:
    """Whether ``controls`` are a fixed function of ``values`` rather than a measurement of their own:
    ``'reciprocal'`` (c = 1/v), ``'negation'`` (c = -v) or ``'offset'`` (c = v + k, one k for all, with
    at least two different values), value by value in order or after sorting both; None otherwise. Such a
    control fails by arithmetic whenever the claim holds (a ratio threshold >= 1, a difference
    threshold > 0), so it proves nothing.

    Args:
        values, controls: the measured values and the control values (floats).
        rel: relative tolerance of the comparison.
    """
    if len(values) != len(controls) or not values:
        return None

    def close(a: Sequence[float], b: Sequence[float]) -> bool:
        return all(math.isclose(x, y, rel_tol=rel, abs_tol=rel * 1e-6) for x, y in zip(a, b))

    for order in (lambda x: list(x), sorted):
        v, c = order(values), order(controls)
        if all(x != 0 for x in v) and (close(order([1 / x for x in values]), c)):
            return "reciprocal"
        if close(order([-x for x in values]), c):
            return "negation"
        shift = [b - a for a, b in zip(v, c)]
        if len(set(v)) > 1 and close(shift, [shift[0]] * len(shift)):  # equal values fit any shift
            return "offset"
    return None


def _values(name: str, measured: object) -> tuple[float, ...]:
    if isinstance(measured, torch.Tensor):
        measured = measured.detach().reshape(-1).tolist()
    if isinstance(measured, numbers.Real) and not isinstance(measured, bool):
        measured = [measured]
    if isinstance(measured, (str, bytes)) or not isinstance(measured, Sequence) or not measured:
        raise TypeError(f"{name} must be a number or a non-empty sequence of numbers, got {measured!r}")
    values = []
    for v in measured:
        if isinstance(v, torch.Tensor):
            v = v.item()
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or math.isnan(v):
            raise TypeError(f"{name} must hold real numbers (not NaN), got {v!r}")
        values.append(float(v))
    return tuple(values)


def _number(value: float) -> str:
    if math.isinf(value):
        return "inf"
    if value != 0 and (abs(value) >= 1e4 or abs(value) < 1e-3):
        return f"{value:.2e}"
    return f"{value:.3g}"


@dataclass(frozen=True)
class Claim:
    """One ledger entry: what was claimed, what was measured, how far from failing.

    Attributes:
        id: ``NN.slug``: the notebook's number and a short name, unique in the project.
        statement: the claim in words.
        values: the measured values (one per seed or case).
        op: ``'>='`` or ``'<='``.
        threshold: the bound (positive).
        required: how many values must hold.
        controls: the values of the negative controls (each must fail).
    """

    id: str
    statement: str
    values: tuple[float, ...]
    op: str
    threshold: float
    required: int
    controls: tuple[float, ...] = ()
    control_kind: str | None = None  # 'reciprocal', 'negation', 'offset': a transform, not a control
    why: str | None = None  # why there is no control
    confirm: tuple[float, ...] = ()  # the same check on fresh seeds
    confirm_required: int = 0

    @property
    def confirmed(self) -> int:
        """How many of the fresh seeds' values hold."""
        return sum(margin(v, self.op, self.threshold) >= 1 for v in self.confirm)

    @property
    def margins(self) -> tuple[float, ...]:
        """The margin of each value, in the order measured."""
        return tuple(margin(v, self.op, self.threshold) for v in self.values)

    @property
    def holding(self) -> int:
        """How many values hold."""
        return sum(m >= 1 for m in self.margins)

    @property
    def smallest_margin(self) -> float:
        """The margin that decides: the ``required``-th largest (the smallest when all must hold)."""
        return sorted(self.margins, reverse=True)[self.required - 1]

    @property
    def holds(self) -> bool:
        """True when at least ``required`` values hold (and ``confirm_required`` fresh ones)."""
        return self.holding >= self.required and self.confirmed >= self.confirm_required

    def _ipython_display_(self) -> None:
        """Show nothing when a claim ends a cell: :func:`claim` already printed its line."""

    def line(self) -> str:
        """The one line the notebook prints."""
        measured = " · ".join(_number(v) for v in self.values)
        n = len(self.values)
        which = ("smallest, " if self.required == n else f"{self.required}-th best, ") if n > 1 else ""
        count = f"{self.holding}/{n} hold" + (f", {self.required} required" if self.required < n else "")
        text = (f"{'✓' if self.holds else '✗'} [{self.id}] {self.statement} — measured {measured} "
                f"{self.op} {_number(self.threshold)}: margin {_number(self.smallest_margin)}x "
                f"({which}{count})")
        if self.controls:
            text += "; control " + " · ".join(_number(v) for v in self.controls) + " fails"
        if self.control_kind:
            text += f" [{_TRANSFORM_MARK} {self.control_kind} of the measured values]"
        if not self.controls:
            text += f"; no control: {self.why or 'none given'}"
        if self.confirm:
            fresh = sorted((margin(v, self.op, self.threshold) for v in self.confirm), reverse=True)
            text += (f"; {_CONFIRMED} {self.confirmed}/{len(self.confirm)} hold, margin "
                     f"{_number(fresh[self.confirm_required - 1])}x")
        return text


def claim(
    id: str,
    statement: str,
    measured: object,
    op: str,
    threshold: float,
    *,
    at_least: int | None = None,
    control: object = None,
    why: str | None = None,
    confirm: object = None,
) -> Claim:
    """Assert a claim, print its ledger line and return it.

    Args:
        id: ``NN.slug`` (notebook number, a dot, lowercase words joined by hyphens).
        statement: the claim in words, as the reader should read it.
        measured: a number, or one number per seed or case (sequence or tensor).
        op: ``'>='`` or ``'<='``.
        threshold: a positive bound, set from the effect's size.
        at_least: how many of the values must hold (default: all); state it in the prose.
        control: the values the same check gives on a case where the claim is false; each must
            fail, or :class:`ClaimFailed` says the check cannot fail.
        why: with no control, why none exists (printed on the line, counted by ``make claims``);
            not allowed together with ``control``.
        confirm: the same check's values on fresh seeds (the long runs' seeds 5-9) when ``measured``
            comes from the seeds the claim was designed on (0-4): it must hold on them too, on the
            same share of values (``at_least`` scaled, rounded up).

    Returns:
        the :class:`Claim`.

    Raises:
        ClaimFailed: the claim does not hold, or a control passes.
    """
    if not isinstance(id, str) or not _ID.match(id):
        raise ValueError(f"id must look like '03.resize-beats-deconv' (NN.lowercase-words), got {id!r}")
    if not isinstance(statement, str) or not statement.strip():
        raise TypeError(f"statement must be a non-empty string, got {statement!r}")
    if op not in OPS:
        raise ValueError(f"op must be one of {list(OPS)}, got {op!r}")
    values = _values("measured", measured)
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not 0 < threshold < math.inf:
        raise ValueError(f"threshold must be a positive finite number (margins are ratios), got "
                         f"{threshold!r}")
    required = len(values) if at_least is None else int(at_least)
    if not 1 <= required <= len(values):
        raise ValueError(f"at_least must be between 1 and the number of values ({len(values)}), "
                         f"got {at_least!r}")
    controls = () if control is None else _values("control", control)
    if why is not None and (controls or not isinstance(why, str) or not why.strip()):
        raise ValueError("why= explains a claim without a control: give a non-empty string, and no control=")
    fresh = () if confirm is None else _values("confirm", confirm)
    result = Claim(id, " ".join(statement.split()), values, op, float(threshold), required, controls,
                   control_transform(values, controls), None if why is None else " ".join(why.split()),
                   fresh, math.ceil(required * len(fresh) / len(values)))
    print(result.line())
    if result.holding >= required and not result.holds:
        raise ClaimFailed(f"claim {id} holds on the seeds it was designed on but not on the fresh seeds "
                          f"({result.confirmed} of {len(fresh)}, {result.confirm_required} required): weaken "
                          f"it to what holds. {result.line()}")
    if not result.holds:
        raise ClaimFailed(f"claim {id} does not hold: {result.line()}")
    passing = [c for c in controls if margin(c, op, threshold) >= 1]
    if passing:
        raise ClaimFailed(f"claim {id}: its negative control {passing} passes the same check, so the check "
                          "cannot tell the claim from its opposite")
    return result


# ----------------------------------------------------------------------------- the ledger


@dataclass(frozen=True)
class LedgerEntry:
    """A ledger line read back from an executed notebook."""

    notebook: str
    id: str
    statement: str
    measured: str
    op: str
    threshold: str
    margin: float
    holds: bool
    control: str = ""  # 'real', 'none', or the transform ('reciprocal', 'negation', 'offset')
    why: str = ""  # why it has no control, as the line says
    confirmed: bool = False  # the line reports the same check on fresh seeds


def read_ledger(paths: Sequence[str | Path]) -> list[LedgerEntry]:
    """The ledger lines printed in the outputs of executed notebooks, in order.

    Args:
        paths: ``.ipynb`` files (committed executed).

    Returns:
        one :class:`LedgerEntry` per printed claim.
    """
    entries = []
    for path in map(Path, paths):
        for cell in json.loads(path.read_text())["cells"]:
            for output in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
                text = output.get("text", "")
                for line in (text if isinstance(text, str) else "".join(text)).splitlines():
                    match = _LINE.match(line)
                    if match:
                        entries.append(LedgerEntry(
                            path.name, match["id"], match["statement"], match["measured"], match["op"],
                            match["threshold"], float(match["margin"]), match["mark"] == "✓",
                            _control_of(line), _why_of(line), f"; {_CONFIRMED} " in line))
    return entries


def _control_of(line: str) -> str:
    """'real', 'none' or the transform a ledger line reports for its control."""
    if f"[{_TRANSFORM_MARK} " in line:
        return line.split(f"[{_TRANSFORM_MARK} ", 1)[1].split(" ", 1)[0]
    return "real" if "; control " in line else "none"


def _why_of(line: str) -> str:
    """The reason a ledger line gives for having no control ('' when it has one)."""
    return line.split("; no control: ", 1)[1] if "; no control: " in line else ""


def ledger_summary(entries: Sequence[LedgerEntry]) -> str:
    """The ledger in numbers: claims, how many have a control that could fail, which have a control
    that is a transform of their measured values (it cannot fail), which have none, the smallest
    margin."""
    transforms = [e.id for e in entries if e.control not in ("real", "none")]
    without = [f"{e.id} ({e.why or 'none given'})" for e in entries if e.control == "none"]
    notebooks = len({e.notebook for e in entries})
    real = len(entries) - len(transforms) - len(without)
    text = (f"{len(entries)} claims in {notebooks} notebooks; {real} "
            f"with a control that could fail, {len(transforms)} whose control is a transform of the "
            f"measured values (it cannot fail), {len(without)} without a control; "
            f"{sum(e.confirmed for e in entries)} confirmed on fresh seeds; smallest margin "
            f"{min((e.margin for e in entries), default=math.nan):.3g}x")
    if transforms:
        text += "\ncontrols that cannot fail: " + ", ".join(transforms)
    if without:
        text += "\nwithout a control: " + "; ".join(without)
    return text


def format_ledger(entries: Sequence[LedgerEntry]) -> str:
    """The ledger as a Markdown table (notebook, id, statement, measured, threshold, margin)."""
    rows = ["| notebook | id | claim | measured | threshold | smallest margin |",
            "|---|---|---|---|---|---:|"]
    for e in entries:
        statement = e.statement.replace("|", "\\|")
        shown = "exact" if math.isinf(e.margin) else f"{e.margin:.3g}x"
        rows.append(f"| {e.notebook[:2]} | `{e.id}` | {statement} | {e.measured} | {e.op} {e.threshold} | "
                    f"{shown}{'' if e.holds else ' FAILS'} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """``make claims``: print the ledger of the committed notebooks; exit 1 if a claim fails or an
    id repeats."""
    parser = argparse.ArgumentParser(prog="python -m nbhelpers.claims", description=main.__doc__)
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    entries = read_ledger(args.notebooks)
    print(format_ledger(entries))
    ids = [e.id for e in entries]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    failing = [e.id for e in entries if not e.holds or e.margin < 1]
    print("\n" + ledger_summary(entries))
    for problem, ids_ in (("repeated ids", repeated), ("failing claims", failing)):
        if ids_:
            print(f"{problem}: {', '.join(ids_)}", file=sys.stderr)
    return 1 if repeated or failing else 0


if __name__ == "__main__":
    sys.exit(main())
