"""The claims ledger: every scientific assertion of a notebook, with its measured value and margin.

A notebook states a claim with :func:`claim`, which asserts it and shows one line::

    ✓ [03.resize-lowest-by] 100 to 3000 MSE steps: lower end of the 95% interval of deconv3 /
      nearest index: smallest of 4: 2.09 (needs ≥ 1.5); control at most 1.18; fresh seeds: 4/4 hold,
      smallest 2.2

The **margin** says how far a value is from failing: measured / threshold for ``>=``,
threshold / measured for ``<=`` (a ratio; 1 is the edge, above 1 holds). A claim over seeds
reports its smallest margin, or, with ``at_least=k``, the k-th best (it then holds on k of n
seeds, and says so). ``control=`` takes the values the same check gives on a case where the
claim is false (a shuffled pairing, a signal without the artifact, a layer that divides its
stride, the same kind on two disjoint groups of seeds, ...); the claim raises unless every
control fails, so no claim can pass by construction. A control that is a fixed function of the
measured values (their reciprocal, negation or a shifted copy) fails by arithmetic whenever the
claim holds, so :func:`claim` rejects it; a claim with no meaningful control says why
(``why=``).

In a notebook the line is compact (the deciding value, the threshold, the control's closest value,
the fresh seeds' result); the output also carries the claim's full record (every value) in its
metadata. ``python -m nbhelpers.claims notebooks/*.ipynb`` (``make claims``) reads the records back
from the committed executed notebooks and prints them as one table, every value included.
"""

from __future__ import annotations

import math
import numbers
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import torch

OPS = (">=", "<=")
_ID = re.compile(r"^\d\d\.[a-z0-9][a-z0-9-]*$")


#: how a ledger line reports the same check on fresh seeds (designed on 0-4, confirmed on 5-9)
_CONFIRMED = "fresh seeds:"
#: where a notebook output keeps a claim's full record (every value), read back by ``make claims``
LEDGER_KEY = "nbhelpers.claim"


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
    return f"{value:.3g}"  # 3 significant digits: 0.0495, 1e-05, 2.65e+11


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

    def decisive(self, values: Sequence[float] | None = None, required: int | None = None) -> float:
        """The value that decides the claim: the ``required``-th best of ``values`` (default: the
        measured ones), best meaning furthest on the holding side of the threshold."""
        values = self.values if values is None else values
        required = self.required if required is None else required
        return sorted(values, reverse=self.op == ">=")[required - 1]

    def line(self) -> str:
        """The compact line a notebook shows (one line, in words): the deciding value against the
        threshold, how many hold, the control's closest value, the fresh seeds' result. Every value
        is in :meth:`record` (and ``make claims``)."""
        n, op = len(self.values), "≥" if self.op == ">=" else "≤"
        edge = "smallest" if self.op == ">=" else "largest"
        if n == 1:
            shown = _number(self.values[0])
        elif self.required == n:
            shown = f"{edge} of {n}: {_number(self.decisive())}"
        else:
            shown = (f"holds on {self.holding} of {n} (needs {self.required}), "
                     f"{_ordinal(self.required)} best {_number(self.decisive())}")
        text = f"{'✓' if self.holds else '✗'} [{self.id}] {self.statement}: {shown} (needs {op} " \
               f"{_number(self.threshold)})"
        if self.controls:  # the control value closest to passing
            closest = _number(max(self.controls) if self.op == ">=" else min(self.controls))
            if len(self.controls) == 1:
                text += f"; control {closest}"
            else:
                text += f"; control at {'most' if self.op == '>=' else 'least'} {closest}"
        else:
            text += f"; no control: {self.why or 'none given'}"
        if self.confirm:
            fresh = _number(self.decisive(self.confirm, self.confirm_required))
            if len(self.confirm) == 1:
                text += f"; {_CONFIRMED} {fresh}"
            else:
                text += f"; {_CONFIRMED} {self.confirmed}/{len(self.confirm)} hold, " + \
                        (f"{edge} {fresh}" if self.confirm_required == len(self.confirm) else fresh)
        return text

    def full_line(self) -> str:
        """Every value on one line: measured, threshold, margin, controls, fresh seeds."""
        measured = " · ".join(_number(v) for v in self.values)
        n = len(self.values)
        which = ("smallest, " if self.required == n else f"{self.required}-th best, ") if n > 1 else ""
        count = f"{self.holding}/{n} hold" + (f", {self.required} required" if self.required < n else "")
        shown = "exact" if math.isinf(self.smallest_margin) else f"{_number(self.smallest_margin)}x"
        text = (f"{'✓' if self.holds else '✗'} [{self.id}] {self.statement} — measured {measured} "
                f"{self.op} {_number(self.threshold)}: margin {shown} ({which}{count})")
        if self.controls:
            text += "; control " + " · ".join(_number(v) for v in self.controls) + " fails"
        else:
            text += f"; no control: {self.why or 'none given'}"
        if self.confirm:
            text += f"; {_CONFIRMED} " + " · ".join(_number(v) for v in self.confirm) + \
                    f", {self.confirmed}/{len(self.confirm)} hold"
        return text

    def record(self) -> dict:
        """The claim as JSON-safe data (non-finite numbers as strings): what a notebook stores with
        its line and ``make claims`` reads back."""
        return {"id": self.id, "statement": self.statement, "values": _safe(self.values), "op": self.op,
                "threshold": self.threshold, "required": self.required, "controls": _safe(self.controls),
                "why": self.why, "confirm": _safe(self.confirm), "confirm_required": self.confirm_required}

    @classmethod
    def from_record(cls, record: dict) -> Claim:
        """The claim a :meth:`record` describes."""
        back = {k: tuple(float(v) for v in record[k]) for k in ("values", "controls", "confirm")}
        return cls(record["id"], record["statement"], back["values"], record["op"],
                   float(record["threshold"]), int(record["required"]), back["controls"], record.get("why"),
                   back["confirm"], int(record.get("confirm_required", 0)))

    def output(self) -> dict:
        """The notebook output that shows this claim: its :meth:`line` as text, its :meth:`record`
        in the output's metadata (under :data:`LEDGER_KEY`), as nbformat stores a display."""
        return {"output_type": "display_data", "data": {"text/plain": self.line()},
                "metadata": {LEDGER_KEY: self.record()}}


def _ordinal(k: int) -> str:
    return f"{k}{'th' if 10 <= k % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(k % 10, 'th')}"


def _safe(values: Sequence[float]) -> list:
    return [v if math.isfinite(v) else str(v) for v in values]


def _show(result: Claim) -> None:
    """In a Jupyter kernel, display the compact line with the full record in the output's metadata
    (nbval does not compare metadata); elsewhere print the line."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the notebooks' dependencies
        get_ipython = None
    shell = get_ipython() if get_ipython else None
    if shell is None or getattr(shell, "kernel", None) is None:
        print(result.line())
        return
    from IPython.display import display

    display({"text/plain": result.line()}, raw=True, metadata={LEDGER_KEY: result.record()})


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
            fail, or :class:`ClaimFailed` says the check cannot fail. Not a fixed function of
            ``measured`` (see :func:`control_transform`): that raises ``ValueError``.
        why: with no control, why none exists (printed on the line, counted by ``make claims``);
            not allowed together with ``control``.
        confirm: the same check's values on fresh seeds (the long runs' seeds 5-9) when ``measured``
            comes from the seeds the claim was designed on (0-4): it must hold on them too, on the
            same share of values (``at_least`` scaled, rounded up).

    Returns:
        the :class:`Claim`.

    Raises:
        ClaimFailed: the claim does not hold, or a control passes.
        ValueError: a malformed argument, or a control that is the reciprocal, negation or a
            shifted copy of ``measured``.
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
    transform = control_transform(values, controls)
    if transform:
        raise ValueError(
            f"claim {id}: its control is the {transform} of the measured values, which fails by arithmetic "
            "whenever the claim holds, so it tests nothing. Give the same check on a case where the claim "
            "should be false (another kind, the same kind on other seeds, a shuffled pairing), or "
            "control=None with why='...' when no such case exists")
    fresh = () if confirm is None else _values("confirm", confirm)
    result = Claim(id, " ".join(statement.split()), values, op, float(threshold), required, controls,
                   None if why is None else " ".join(why.split()),
                   fresh, math.ceil(required * len(fresh) / len(values)))
    _show(result)
    if result.holding >= required and not result.holds:
        raise ClaimFailed(f"claim {id} holds on the seeds it was designed on but not on the fresh seeds "
                          f"({result.confirmed} of {len(fresh)}, {result.confirm_required} required): weaken "
                          f"it to what holds. {result.full_line()}")
    if not result.holds:
        raise ClaimFailed(f"claim {id} does not hold: {result.full_line()}")
    passing = [c for c in controls if margin(c, op, threshold) >= 1]
    if passing:
        raise ClaimFailed(f"claim {id}: its negative control {passing} passes the same check, so the check "
                          "cannot tell the claim from its opposite")
    return result


def main(argv: list[str] | None = None) -> int:
    """``python -m nbhelpers.claims`` (``make claims``): see :func:`nbhelpers.ledger.main`."""
    from .ledger import main as ledger_main

    return ledger_main(argv)


if __name__ == "__main__":
    sys.exit(main())
