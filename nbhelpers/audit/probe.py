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

import math
import numbers
from collections.abc import Sequence

import torch
from torch import nn

from .._validate import check_input_shape, check_int, check_model, check_positive
from ..measures.periodic import _prepare, checkerboard_floor, checkerboard_index, polyphase_means
from ..runtime import model_device
from .measure import audit
from .probe_report import (
    RESPONSE_FACTOR,
    SHARE_THRESHOLD,
    ProbeReport,
    ProbeRow,
    _join,
    fmt_db,
    to_db,
)
from .tracing import _first_tensor

__all__ = ["MAX_PERIOD", "RESPONSE_FACTOR", "SHARE_THRESHOLD", "ProbeReport", "ProbeRow", "fmt_db",
           "periodic_share", "probe", "to_db"]

# The longest period measured (as in :func:`nbhelpers.audit.audit`).
MAX_PERIOD = 64
# The smallest spatial size of the constant inputs (2D, 1D): zero padding spreads a border ramp
# through every layer, and in a small output the ramps of both sides meet in the middle and
# read as a pattern. A flat input has no content, so the probe makes it at least this large
# (for a fully convolutional model), whatever input_shape says.
FLAT_SIZE = {2: 32, 1: 256}


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


def _flat_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The constant inputs' shape: spatial sizes of at least :data:`FLAT_SIZE` when input_shape is a
    real signal (every spatial size >= 4; a 1 x 1 latent is left as it is)."""
    spatial = shape[2:]
    if len(spatial) not in FLAT_SIZE or min(spatial) < 4:
        return shape
    return (*shape[:2], *(max(n, FLAT_SIZE[len(spatial)]) for n in spatial))


def _constant_outputs(model: nn.Module, shape: tuple[int, ...], flat_shape: tuple[int, ...],
                      levels: tuple[float, ...], dtype: torch.dtype,
                      device: torch.device) -> dict[float, torch.Tensor]:
    """The outputs for constant inputs, at ``flat_shape`` when the model accepts it, else at ``shape``."""
    if flat_shape != shape:
        try:
            return {lv: _forward(model, torch.full(flat_shape, lv, dtype=dtype, device=device),
                                 f"a constant input of level {lv:g}", flat_shape) for lv in levels}
        except ValueError:
            pass  # not fully convolutional: measure at the given size
    return {lv: _forward(model, torch.full(shape, lv, dtype=dtype, device=device),
                         f"a constant input of level {lv:g}", shape) for lv in levels}


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
    flat_shape = _flat_shape(shape)
    try:
        with torch.no_grad():
            outs = _constant_outputs(model, shape, flat_shape, levels, dtype, device)
            base = torch.full((batch, *shape[1:]), levels[0], dtype=dtype, device=device)
            z = torch.randn(base.shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)
            response = (_forward(model, base + z.to(device) * scale, "a perturbed input", shape)
                        - _forward(model, base, "a constant input batch", shape))
        output_shape = (shape[0], *response.shape[1:])
        report = ProbeReport(type(model).__name__, shape, output_shape)
        sizes = output_shape[2:]
        flat_out = tuple(outs[levels[0]].shape[2:])
        if flat_out != sizes:
            report.notes.append(f"constant inputs measured at spatial size {flat_shape[2:]} "
                                f"(output {flat_out}): "
                                "zero-padding ramps from both borders meet inside small outputs")
        if periods is None:
            chosen = _predicted(model, shape, sizes, report.notes)
        else:
            chosen = _given(periods, sizes)
            predicted = _predicted(model, shape, sizes, [])
            chosen = {p: predicted.get(p, ()) for p in chosen}
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
        shares = {level: periodic_share(_crop(y, ndim, p, _border(tuple(y.shape[2:]), p), common), p,
                                        ndim=ndim)
                  for level, y in outs.items()}
        d = _crop(response, ndim, p, b, common)
        index = float(checkerboard_index(d, p, ndim=ndim, reduce="batch"))
        floor = checkerboard_floor(d.shape[2:], p, batch=d.shape[0])
        flagged = max(shares.values()) > SHARE_THRESHOLD or index > RESPONSE_FACTOR * floor
        report.rows.append(ProbeRow(p, names, shares, index, floor, flagged))
    if uncropped:
        report.notes.append(f"period(s) {_join(uncropped)} measured without dropping the border "
                            "(the output is too small): zero-padding edges count")
