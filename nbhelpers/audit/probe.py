"""Probe a trained model whose code you cannot edit: does it paint a checkerboard?

:func:`probe` treats the model as a black box (it only calls ``model(x)``) and measures, at each
period p that its resolution-changing layers predict (plus 2):

1. **constant inputs**: the output for ``torch.full(input_shape, level)``. A clean upsampler maps
   a flat input to a flat output (up to its borders); a transposed convolution with uneven
   overlap paints its period-p pattern on it. The *share* at p is the rms of the output's
   non-DC period-p pattern (the p x p, or p, polyphase means minus their mean) divided by the
   rms of the output *including* its DC, after dropping a quarter of the output (at least
   p samples) on each side (zero padding at the borders is not a checkerboard). Pooled over
   signals (batch, channel) by energy: share = sqrt(sum of pattern mean squares / sum of
   output mean squares), so a near-silent channel cannot blow it up. Also reported in dB (20 log10 share).
2. **small random inputs** around the first level: the response d = model(base + z) -
   model(base) to ``scale``-sized perturbations z, and its batch-averaged checkerboard index
   (:func:`~nbhelpers.measures.periodic.checkerboard_index`, ``reduce='batch'``) against the
   white-noise floor. Averaging over zero-mean perturbations keeps only the pattern every
   response shares: for a linear model it cancels (the mean of J z is J times the mean of z),
   so this index catches what the nonlinearities rectify (e.g. a ReLU after a deconvolution),
   while step 1 catches the linear layers.

A period is flagged when either measure is above its threshold (:data:`SHARE_THRESHOLD`,
:data:`RESPONSE_FACTOR`). Step 1 assumes that a clean model maps a flat input to a flat output,
which holds for image-to-image and audio-to-audio models away from their borders, but not for a
generator whose first layer projects a latent vector to a spatial map (DCGAN's 1x1 -> 4x4):
that map is not flat by design, every later upsampling enlarges it into blocks, and the share
measures those blocks too. For such models read the response index. :class:`ProbeReport`
prints as a text table, shows as HTML in Jupyter and gives plain Python with ``to_dict()``.
"""

from __future__ import annotations

import html
import math
import numbers
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from .._validate import check_input_shape, check_int, check_model, check_positive
from ..measures.periodic import _prepare, checkerboard_floor, checkerboard_index, polyphase_means
from ..runtime import model_device
from .measure import audit
from .report import json_ready
from .tracing import _first_tensor

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
# The longest period measured (as in :func:`nbhelpers.audit.audit`).
MAX_PERIOD = 64


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
                                           else "no layer predicts it") + ")"
                 for r in self.rows if r.flagged]
        return "Verdict: checkerboard at " + "; ".join(parts) + "."

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


# ----------------------------------------------------------------------------- measures


def _border(sizes: Sequence[int], period: int) -> int:
    """Samples dropped on each side: a quarter of the shortest axis (at least p), so that the
    padding of every layer (which reaches deep into an upsampled output: a zero-padded 9x9
    convolution at a quarter of the resolution touches 16 output pixels) stays out; p when that
    leaves fewer than two periods; 0 when even p does."""
    n = min(sizes)
    wide = max(period, n // 4)
    if n - 2 * wide >= 2 * period:
        return wide
    return period if n - 2 * period >= 2 * period else 0


def _crop(y: torch.Tensor, ndim: int, period: int, border: int, common: int) -> torch.Tensor:
    """Drop ``border`` samples on each side, then keep a length that is a multiple of ``common``
    (the lcm of every measured period) when that leaves two periods, else a multiple of p.

    A length that is a multiple of q makes a period-q pattern drop out of the polyphase means
    at every p that q does not divide (no leakage of, e.g., a period-3 pattern into p=2).
    """
    keep = []
    for n in y.shape[-ndim:]:
        n -= 2 * border
        whole = (n // common) * common
        keep.append(slice(border, border + (whole if whole >= 2 * period else (n // period) * period)))
    return y[(Ellipsis, *keep)]


def periodic_share(y: torch.Tensor, period: int, *, ndim: int, border: int = 0) -> float:
    """Share of the output's rms (DC included) that is its non-DC period-p pattern.

    Args:
        y: (..., H, W) for ``ndim=2`` or (..., L) for ``ndim=1``; leading dimensions are
            separate signals (batch, channel).
        period: p >= 2.
        ndim: 1 or 2 (keyword-only, required).
        border: samples dropped on each side first (>= 0); then y is cropped to a multiple of p.

    Returns:
        sqrt(sum over signals of mean over phases of (m - mean(m))**2 / sum over signals of
        mean(y**2)), m the polyphase means (energy-weighted over signals); dimensionless, in
        [0, 1]; 0 for an all-zero y.
    """
    y, p, ndim = _prepare(y, period, ndim, border)  # validated, cropped by border and to a multiple of p
    y = y.to(torch.float64)
    axes = tuple(range(-ndim, 0))
    m = polyphase_means(y, p, ndim=ndim)
    pattern = (m - m.mean(dim=axes, keepdim=True)).pow(2).mean(dim=axes).sum()
    total = y.pow(2).mean(dim=axes).sum()
    return float((pattern / total).sqrt()) if total > 0 else 0.0


def _forward(model: nn.Module, x: torch.Tensor, what: str, shape: tuple[int, ...]) -> torch.Tensor:
    """model(x), its first tensor, with any failure turned into a ValueError that says what was tried."""
    try:
        out = _first_tensor(model(x))
    except Exception as exc:  # noqa: BLE001 - wrapped with the shape that was tried
        raise ValueError(f"the model failed on {what} of input_shape={shape}: "
                         f"{type(exc).__name__}: {exc}") from exc
    if out is None:
        raise ValueError(f"the model returned no tensor for {what} of input_shape={shape}")
    if out.dim() not in (3, 4):
        raise ValueError(f"probe needs a 1D (N, C, L) or 2D (N, C, H, W) output; the model returned "
                         f"shape {tuple(out.shape)} for input_shape={shape}")
    if not bool(torch.isfinite(out).all()):
        raise ValueError(f"the model's output contains NaN or infinite values for {what}")
    return out


# ----------------------------------------------------------------------------- periods


def _predicted(model: nn.Module, shape: tuple[int, ...], sizes: tuple[int, ...],
               notes: list[str]) -> dict[int, tuple[str, ...]]:
    """Period -> names of the layers that predict it at the output (audit), with 2 always in."""
    try:
        report = audit(model, shape, batch=2)
    except (ValueError, TypeError):
        raise
    except Exception as exc:  # noqa: BLE001 - wrapped with the shape that was tried
        raise ValueError(f"the model failed while being traced on input_shape={shape}: "
                         f"{type(exc).__name__}: {exc}") from exc
    by: dict[int, list[str]] = {2: []}
    for layer in report.layers:
        if layer.where == "output" and layer.period > 1:
            by.setdefault(layer.period, []).append(layer.name or "(model)")
    limit = min(MAX_PERIOD, min(sizes) // 2)
    dropped = sorted(p for p in by if p > limit)
    if dropped:
        notes.append(f"predicted period(s) {_join(dropped)} not measured: longer than "
                     f"{limit} (half the output size, at most {MAX_PERIOD})")
    return {p: tuple(by[p]) for p in sorted(by) if p <= limit}


def _given(periods: object, sizes: tuple[int, ...]) -> dict[int, tuple[str, ...]]:
    """Validate user-given periods: ints >= 2 that fit the output (<= half its size, <= 64)."""
    if isinstance(periods, (str, bytes)) or not isinstance(periods, Sequence) or not periods:
        raise TypeError(f"periods must be a non-empty sequence of integers >= 2, got {periods!r}")
    chosen = sorted({check_int(f"periods[{i}]", p, 2) for i, p in enumerate(periods)})
    limit = min(MAX_PERIOD, min(sizes) // 2)
    too_long = [p for p in chosen if p > limit]
    if too_long:
        raise ValueError(f"periods {too_long} do not fit the output of spatial size {sizes}: "
                         f"periods must be at most {limit} (half the smallest size, at most {MAX_PERIOD})")
    return {p: () for p in chosen}


def _check_levels(levels: object) -> tuple[float, ...]:
    if isinstance(levels, (str, bytes)) or not isinstance(levels, Sequence) or not levels:
        raise TypeError(f"levels must be a non-empty sequence of numbers, got {levels!r}")
    for v in levels:
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
            raise ValueError(f"levels must hold finite numbers, got {v!r}")
    return tuple(dict.fromkeys(float(v) for v in levels))


# ----------------------------------------------------------------------------- probe


def probe(
    model: nn.Module,
    input_shape: Sequence[int],
    *,
    periods: Sequence[int] | None = None,
    levels: Sequence[float] = (0.0, 1.0),
    scale: float = 0.01,
    batch: int = 8,
    seed: int = 0,
) -> ProbeReport:
    """Measure whether ``model`` paints a checkerboard, without changing its code.

    Args:
        model: any ``nn.Module`` whose (first) output is 1D (N, C, L) or 2D (N, C, H, W); it
            is put in eval mode and its mode restored afterwards; nothing is trained.
        input_shape: one input's shape with the batch first, e.g. (1, 100, 1, 1).
        periods: periods to measure (ints >= 2, at most half the output size). Default: 2 and
            every period a layer introduces at the output (:func:`~nbhelpers.audit.audit`).
        levels: values of the constant inputs (input units).
        scale: standard deviation of the random perturbations (input units).
        batch: number of perturbations (>= 1).
        seed: seed of the perturbations (>= 0), drawn on the CPU.

    Returns:
        a :class:`ProbeReport`: per period the constant-input shares (dimensionless, see
        :func:`periodic_share`), the response index and its floor, and whether it is flagged.
    """
    check_model(model)
    shape = check_input_shape(input_shape)
    levels = _check_levels(levels)
    scale = check_positive("scale", scale)
    batch = check_int("batch", batch, 1)
    seed = check_int("seed", seed, 0)
    device = model_device(model)
    dtype = next((t.dtype for t in model.parameters() if t.is_floating_point()), torch.get_default_dtype())
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            outs = {lv: _forward(model, torch.full(shape, lv, dtype=dtype, device=device),
                                 f"a constant input of level {lv:g}", shape) for lv in levels}
            base = torch.full((batch, *shape[1:]), levels[0], dtype=dtype, device=device)
            z = torch.randn(base.shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)
            response = (_forward(model, base + z.to(device) * scale, "a perturbed input", shape)
                        - _forward(model, base, "a constant input batch", shape))
        output_shape = tuple(outs[levels[0]].shape)
        report = ProbeReport(type(model).__name__, shape, output_shape)
        sizes = output_shape[2:]
        chosen = (_predicted(model, shape, sizes, report.notes) if periods is None
                  else _given(periods, sizes))
    finally:
        model.train(was_training)
    _fill(report, outs, response, chosen, scale)
    return report


def _fill(report: ProbeReport, outs: dict[float, torch.Tensor], response: torch.Tensor,
          chosen: dict[int, tuple[str, ...]], scale: float) -> None:
    """Measure every period into ``report.rows``; add notes for silent outputs and skipped crops."""
    sizes = report.output_shape[2:]
    ndim = len(sizes)
    if not chosen:
        report.notes.append(f"the output's spatial size {sizes} is too small to measure any period >= 2")
    for level, y in outs.items():
        if not bool(y.any()):
            report.notes.append(f"the output is all zeros for the constant input {level:g}: share 0")
    if not bool(response.any()):
        report.notes.append(f"the output does not respond to perturbations of scale {scale:g} around "
                            "the first level: response index 0")
    uncropped = []
    common = math.lcm(*chosen) if chosen else 1
    for p, names in chosen.items():
        b = _border(sizes, p)
        if b == 0:
            uncropped.append(p)
        shares = {level: periodic_share(_crop(y, ndim, p, b, common), p, ndim=ndim)
                  for level, y in outs.items()}
        d = _crop(response, ndim, p, b, common)
        index = float(checkerboard_index(d, p, ndim=ndim, reduce="batch"))
        floor = checkerboard_floor(d.shape[2:], p, batch=d.shape[0])
        flagged = max(shares.values()) > SHARE_THRESHOLD or index > RESPONSE_FACTOR * floor
        report.rows.append(ProbeRow(p, names, shares, index, floor, flagged))
    if uncropped:
        report.notes.append(f"period(s) {_join(uncropped)} measured without dropping the border "
                            "(the output is too small): zero-padding edges count")
