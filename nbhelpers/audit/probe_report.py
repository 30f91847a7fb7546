"""What :func:`~nbhelpers.audit.probe.probe` found: :class:`ProbeRow` per period, :class:`ProbeReport`.

The thresholds that flag a period live here with the rows that apply them; ``str(report)`` is a
text table, Jupyter shows HTML, ``report.to_dict()`` gives plain Python.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from .report import json_ready

# A clean model (resize-convolution, identity) maps a constant input to a constant output up to
# float32 rounding: shares of ~1e-7 (-140 dB). Visible checkerboards start around 1-2 % of
# the output's rms; an untrained stride-2 deconvolution paints 10-50 %. 0.01 (-40 dB) sits five
# orders of magnitude above the rounding noise and below anything a viewer notices.
SHARE_THRESHOLD = 0.01
# For a response without period-p structure (e.g. white noise, or a model with no artifact)
# the batch-averaged index sits at checkerboard_floor on average: index**2 is then about
# floor**2 * chi2_m / m with m the number of aliasing bins (3 for p=2 in 2D, 1 in 1D), so 3x
# the floor is exceeded by chance with probability ~6e-6 (2D, p=2) to ~3e-3 (1D, p=2).
RESPONSE_FACTOR = 3.0


@dataclass
class ProbeRow:
    """What :func:`probe` measured at one period.

    ``constant_share`` maps each input level to the share (dimensionless, 0..1) of the output's
    rms that is the period-p pattern; ``response_index`` is the batch-averaged checkerboard
    index of the response to small perturbations, ``floor`` its white-noise floor.
    """

    period: int
    predicted_by: tuple[str, ...]
    constant_share: dict[float, float]
    response_index: float
    floor: float
    flagged: bool

    @property
    def constant_share_db(self) -> dict[float, float]:
        """The shares in dB (20 log10; -inf for 0)."""
        return {level: to_db(share) for level, share in self.constant_share.items()}

    def reasons(self) -> list[str]:
        """Why the period is flagged (empty when it is not)."""
        out = [f"{fmt_db(s)} of the output at input level {level:g}"
               for level, s in self.constant_share.items() if s > SHARE_THRESHOLD]
        if self.response_index > RESPONSE_FACTOR * self.floor:
            out.append(f"response index {self.response_index:.3f} > {RESPONSE_FACTOR:g}x floor "
                       f"{self.floor:.3f}")
        return out


@dataclass
class ProbeReport:
    """What :func:`probe` found: one :class:`ProbeRow` per period, and notes."""

    model_name: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    rows: list[ProbeRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> list[int]:
        """The flagged periods, in increasing order."""
        return [row.period for row in self.rows if row.flagged]

    def verdict(self) -> str:
        """One line: which periods are flagged and which layers predict them."""
        if not self.rows:
            return "Verdict: nothing measured (the output is too small for any period >= 2)."
        if not self.flagged:
            return (f"Verdict: no checkerboard at period(s) {_join(r.period for r in self.rows)} "
                    f"(shares <= {SHARE_THRESHOLD:g}, response indices <= {RESPONSE_FACTOR:g}x floor).")
        parts = [f"period {r.period} (" + (f"predicted by {_quoted(r.predicted_by)}" if r.predicted_by
                                           else self._harmonic(r.period)) + ")"
                 for r in self.rows if r.flagged]
        return "Verdict: checkerboard at " + "; ".join(parts) + "."

    def _harmonic(self, period: int) -> str:
        """Which flagged shorter period's pattern a period-p one contains (p a multiple of it)."""
        under = [r.period for r in self.rows if r.period < period and period % r.period == 0 and r.flagged]
        if under:
            return f"a multiple of period {_join(under)}, whose pattern repeats at {period} too"
        return "no layer predicts it"

    def to_dict(self) -> dict:
        """Plain-Python version for tools (JSON-serialisable; +-inf become 'inf' / '-inf')."""
        out = json_ready(asdict(self))
        out["flagged"] = self.flagged
        return out

    def __str__(self) -> str:
        lines = [f"Checkerboard probe of {self.model_name}: input {self.input_shape} -> output "
                 f"{self.output_shape}"]
        levels = list(self.rows[0].constant_share) if self.rows else []
        header = f"{'period':>6}  {'predicted by':<24} " + "".join(
            f"{'share @' + format(lv, 'g'):>14}" for lv in levels) + f" {'response':>9} {'floor':>7}  flag"
        if self.rows:
            lines += [header, "-" * len(header)]
        for row in self.rows:
            by = _join(row.predicted_by) or "-"
            flag = "FLAG" if row.flagged else "ok"
            lines.append(f"{row.period:>6}  {by[:24]:<24} "
                         + "".join(f"{fmt_db(s):>14}" for s in row.constant_share.values())
                         + f" {row.response_index:>9.3f} {row.floor:>7.3f}  {flag}")
        if self.rows:
            lines.append("share @v: rms of the period-p pattern / rms of the output for the constant input "
                         "v; response: batch-averaged index of the response to small random inputs")
        lines.append(self.verdict())
        lines += [f"  period {row.period}: " + "; ".join(row.reasons()) for row in self.rows if row.flagged]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        parts = [f"<div><b>Checkerboard probe of {esc(self.model_name)}</b>: input "
                 f"{self.input_shape} &rarr; output {self.output_shape}</div>"]
        if self.rows:
            levels = list(self.rows[0].constant_share)
            head = "".join(f"<th>{esc(h)}</th>" for h in (
                "period", "predicted by", *(f"share at input {lv:g}" for lv in levels),
                "response index", "noise floor", "flag"))
            rows = []
            for row in self.rows:
                style = (f" style='background:#fde0dc' title='{esc('; '.join(row.reasons()), quote=True)}'"
                         if row.flagged else "")
                cells = (row.period, esc(_join(row.predicted_by)) or "&ndash;",
                         *(esc(fmt_db(s)) for s in row.constant_share.values()),
                         f"{row.response_index:.3f}", f"{row.floor:.3f}",
                         "<b>flagged</b>" if row.flagged else "ok")
                rows.append(f"<tr{style}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
            parts.append("<table><thead><tr>" + head + "</tr></thead><tbody>" + "".join(rows)
                         + "</tbody></table>")
        parts.append(f"<div>{esc(self.verdict())}</div>")
        parts += [f"<div><i>note:</i> {esc(n)}</div>" for n in self.notes]
        return "\n".join(parts)


def to_db(share: float) -> float:
    """20 log10(share) in dB; -inf for a share of 0."""
    return 20.0 * math.log10(share) if share > 0 else -math.inf


def fmt_db(share: float) -> str:
    """A share as text in dB, e.g. '-12.3 dB', or '-inf dB' for 0."""
    db = to_db(share)
    return "-inf dB" if math.isinf(db) else f"{db:.1f} dB"


def _join(items) -> str:
    return ", ".join(str(i) for i in items)


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)
