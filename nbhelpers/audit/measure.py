"""Audit a model: trace its resolution changes, describe each layer, measure the artifact.

:func:`audit` runs one forward pass with hooks (:mod:`.tracing`), computes each
resolution-changing layer's overlap unevenness and the period it introduces at the model's
output (upsampling) or at its input's gradient (downsampling), measures the checkerboard
index of the output (and of the input gradient) on random inputs, and suggests a fix per
offending layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import torch
from torch import nn

from .._validate import check_input_shape, check_int, check_model, check_positive, check_tensor
from ..measures.periodic import checkerboard_floor, checkerboard_index, phase_ratio
from ..runtime import model_device
from .advice import is_offending, layer_unevenness, suggestion
from .report import AuditReport, LayerReport, _hz
from .tracing import Site, Trace, _first_tensor, trace


def tones(period: int, rate: float) -> tuple[float, ...]:
    """Frequencies (Hz) of a period-``period`` pattern in a signal sampled at ``rate`` Hz.

    A pattern that repeats every p samples is a sum of tones at multiples of rate / p, up to
    the Nyquist frequency rate / 2 (included: period 2 is a tone at Nyquist).
    """
    return tuple(k * rate / period for k in range(1, period // 2 + 1))


def _whole(values: Sequence[Fraction]) -> int | None:
    """The largest of per-axis periods when every one is a whole number >= 1, else None."""
    if not values or any(v.denominator != 1 or v < 1 for v in values):
        return None
    return int(max(values))


def _from_sizes(site: Site, in_size: tuple[int, ...], out_size: tuple[int, ...]) -> int:
    """The old estimate from size ratios: only where a reshape lost the spacing."""
    if site.up:
        after = [o // max(1, r) for o, r in zip(out_size, site.output_size)] if out_size else [1]
        return max(1, max(site.stride) * max(after))
    before = [a // max(1, r) for a, r in zip(in_size, site.input_size)] if in_size else [1]
    return max(1, max(site.stride) * max(before))


def _period(site: Site, found: Trace, in_size: tuple[int, ...],
            out_size: tuple[int, ...]) -> tuple[int, list[str]]:
    """Period of one site's pattern (at the output for up, in the input gradient for down) and notes.

    Up: the site's input spacing over the output's; down: the site's output spacing (both in input
    samples, from the strides and factors on the data path, never from the sizes).
    """
    notes: list[str] = []
    is_resize = site.call == "F.interpolate" or site.mode != "" and site.kernel == ()
    if is_resize and (all(n == 1 for n in site.input_size) or all(n == 1 for n in site.output_size)):
        side = "from" if all(n == 1 for n in site.input_size) else "to"
        return 1, [f"a resize {side} 1x1 (a global map): no period"]
    if not site.up and all(n == 1 for n in site.output_size) and site.kernel \
            and all(k >= n for k, n in zip(site.kernel, site.input_size)):
        return 1, ["global pooling: no period"]
    tag, reference = (site.in_spacing, found.output_spacing) if site.up else (site.out_spacing, None)
    if tag is not None and (reference is not None or not site.up):
        values = [a / b for a, b in zip(tag[0], reference[0])] if reference is not None else list(tag[0])
        period = _whole(values)
        if period is None:
            notes.append("the spacing ratio " + "x".join(str(v) for v in values)
                         + " is not a whole number of samples: no single period")
            return 1, notes
        if not (tag[1] and (reference is None or reference[1])):
            notes.append("spacing from a size-based resize or adaptive pool (approximate)")
    elif site.up and (tag is None or reference is None) or not site.up and tag is None:
        period = _from_sizes(site, in_size, out_size)
        notes.append("period from sizes: a reshape lost the sample spacing")
    for n_in, n_out, s in zip(site.input_size, site.output_size, site.stride):
        if not site.up and s > 1 and site.kernel and n_in % s:
            notes.append(f"input size {n_in} not divisible by stride {s} (output {n_out})")
            break
        if site.up and s > 1 and n_out != s * n_in and site.kernel:
            notes.append(f"output size {n_out} is not {s} x {n_in} (cropped or padded)")
            break
    return period, notes


def audit(
    model: nn.Module,
    input_shape: Sequence[int],
    periods: Sequence[int] | None = None,
    batch: int = 16,
    seed: int = 0,
    sample_rate: float | None = None,
) -> AuditReport:
    """Audit ``model`` for checkerboard artifacts.

    Args:
        model: any ``nn.Module``; it is put in eval mode for the audit and restored afterwards.
        input_shape: one input's shape with the batch first, e.g. (1, 100, 1, 1) or (1, 3, 32, 32).
        periods: periods to measure (default: 2 and every period the layers introduce, <= 64).
        batch: random inputs used for the measured indices (batch-averaged).
        seed: seed of the random inputs.
        sample_rate: for audio: the rate in Hz of the model's **waveform**, its finest-sampled 1D
            signal: the output of a generator or upsampler, the input of a discriminator or
            encoder, both for an encoder-decoder (equal rates). Every tensor's rate follows from
            it and its sample spacing; each 1D layer that can paint a pattern (a row marked to
            act on) gets tones at multiples of rate / period up to Nyquist, at the output's rate
            for an upsampling layer and at the input's for a downsampling one. A resize paints no
            tone (its artifact is filtering, not tonal).

    Returns:
        an :class:`AuditReport`. Functional calls made inside a ``forward`` (``F.interpolate``,
        ``F.conv_transpose2d``, ``F.pixel_shuffle``, ...) are reported as ``path.forward``. Periods
        come from each tensor's cumulative stride from the input (see :func:`.tracing.trace`);
        where the sizes disagree (a non-divisible size, cropping), the row's ``note`` says so.
    """
    check_model(model)
    shape = check_input_shape(input_shape)
    batch = check_int("batch", batch, 2)
    rate = None if sample_rate is None else check_positive("sample_rate", sample_rate)
    was_training = model.training
    model.eval()
    try:
        found = trace(model, shape)
        output = found.output
        report = AuditReport(type(model).__name__, shape, tuple(output.shape), sample_rate=rate)
        in_size, out_size = shape[2:], tuple(output.shape[2:])
        rates = _rates(rate, found, in_size, out_size, report.notes)
        for i, site in enumerate(found.sites):
            ratio = layer_unevenness(site)
            period, notes = _period(site, found, in_size, out_size)
            where = "output" if site.up else "input gradient"
            if site.kind in ("AvgPool1d", "AvgPool2d", "F.avg_pool1d", "F.avg_pool2d") and ratio == 1:
                period = 1
            layer = LayerReport(
                index=i + 1, name=site.name, kind=site.kind, direction="up" if site.up else "down",
                kernel_size=site.kernel, stride=site.stride, padding=site.padding, input_size=site.input_size,
                output_size=site.output_size, unevenness=ratio, period=period, where=where,
                offending=is_offending(site), suggestion=suggestion(site, ratio), groups=site.groups,
                note="; ".join(notes))
            if rates is not None and len(site.input_size) == 1 and period > 1 and layer.offending:
                at = rates[0] if where == "output" else rates[1]
                if at is not None:
                    layer.tones_hz = tones(period, at)
            report.layers.append(layer)
        _measure(model, shape, report, periods, batch, seed)
    finally:
        model.train(was_training)
    return report


def _rates(rate: float | None, found: Trace, in_size: tuple[int, ...], out_size: tuple[int, ...],
           notes: list[str]) -> tuple[float | None, float | None] | None:
    """(output rate, input rate) in Hz from the waveform's rate; a note says which signal it is."""
    if rate is None:
        return None
    out_1d, in_1d = len(out_size) == 1, len(in_size) == 1 and found.input_spatial
    if not out_1d and not in_1d:
        notes.append("sample_rate applies to 1D (audio) signals; neither the input nor the output is 1D")
        return None
    spacing = found.output_spacing[0][0] if out_1d and found.output_spacing is not None else None
    if spacing is None and out_1d and in_1d:
        spacing = Fraction(in_size[0], out_size[0])
    if not out_1d or spacing is None:
        notes.append(f"sample_rate {_hz(rate)} Hz is the rate of the input (the model's waveform)")
        return None, rate
    if not in_1d:
        notes.append(f"sample_rate {_hz(rate)} Hz is the rate of the output (the model's waveform)")
        return rate, None
    if spacing < 1:  # the output is finer: it is the waveform
        notes.append(f"sample_rate {_hz(rate)} Hz is the rate of the output (the model's waveform); "
                     f"the input is at {_hz(rate * float(spacing))} Hz")
        return rate, rate * float(spacing)
    which = "input and output (the model's waveform)" if spacing == 1 else "input (the model's waveform)"
    notes.append(f"sample_rate {_hz(rate)} Hz is the rate of the {which}"
                 + ("" if spacing == 1 else f"; the output is at {_hz(rate / float(spacing))} Hz"))
    return rate / float(spacing), rate


def _periods(
    report: AuditReport, where: str, sizes: tuple[int, ...], periods: Sequence[int] | None
) -> list[int]:
    if periods is not None:
        chosen = {check_int("periods[i]", p, 2) for p in periods}
    else:
        chosen = {2} | {layer.period for layer in report.layers if layer.where == where and layer.period > 1}
    return sorted(p for p in chosen if p <= 64 and sizes and p <= min(sizes) // 2)


def _measure(model: nn.Module, shape: tuple[int, ...], report: AuditReport,
             periods: Sequence[int] | None, batch: int, seed: int) -> None:
    device = model_device(model)
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn((batch, *shape[1:]), generator=generator).to(device)
    out_sizes = report.output_shape[2:]
    spatial_out = len(out_sizes) in (1, 2)
    wants_gradient = any(layer.direction == "down" for layer in report.layers) and len(shape) - 2 in (1, 2)
    if not report.layers:
        return
    if wants_gradient:
        x.requires_grad_(True)
    with torch.set_grad_enabled(wants_gradient):
        output = _first_tensor(model(x))
    if spatial_out:
        ndim = len(out_sizes)
        still = _still(output.detach())
        chosen = _periods(report, "output", out_sizes, periods)
        if still and chosen:
            report.notes.append(f"the output {still}: no output index "
                                "(it would be float noise over float noise)")
        else:
            for p in chosen:
                report.output_index[p] = bounded_index(output.detach(), p, ndim)
        if report.output_index:
            report.output_floor = checkerboard_floor(out_sizes, 2, batch=batch)
    elif report.layers:
        report.notes.append("the output has no spatial dimensions: only gradients are measured")
    if wants_gradient:
        projection = torch.randn(output.shape, generator=generator).to(device)
        (grad,) = torch.autograd.grad((output * projection).sum(), x, allow_unused=True)
        in_sizes = shape[2:]
        ndim = len(in_sizes)
        chosen = _periods(report, "input gradient", in_sizes, periods)
        magnitude = torch.zeros_like(x) if grad is None else grad.abs()
        if chosen and not bool((magnitude > 0).any()):
            report.notes.append("the output does not depend on the input: no input-gradient index")
            return
        for p in chosen:
            report.gradient_index[p] = bounded_index(magnitude, p, ndim)
            report.gradient_phase_ratio[p] = phase_ratio(magnitude, p, ndim=ndim).item()
        if report.gradient_index:
            report.gradient_floor = checkerboard_floor(in_sizes, 2, batch=batch)


# relative change below which an output counts as not depending on its input (float32 rounding
# is ~6e-8 of the magnitude; 1e-6 leaves room for a few roundings)
STILL_TOLERANCE = 1e-6


def _still(y: torch.Tensor) -> str:
    """'' for an output that varies with its input and over space, else what is constant about it."""
    y = y.to(torch.float64)
    scale = float(y.abs().max())
    if scale == 0.0:
        return "is zero for every input"
    spread = float((y - y[:1]).abs().max())
    if spread <= STILL_TOLERANCE * scale:
        return f"does not depend on the input (it changes by at most {spread / scale:.1e} of its magnitude)"
    flat = y.flatten(2) if y.dim() > 2 else y
    variation = float((flat - flat.mean(dim=-1, keepdim=True)).abs().max())
    if variation <= STILL_TOLERANCE * scale:
        return f"is constant over space up to {variation / scale:.1e} of its magnitude"
    return ""


def bounded_index(x: torch.Tensor, period: int, ndim: int) -> float:
    """Batch-averaged checkerboard index of ``x`` (batch, ..., spatial), computed in float64, in [0, 1].

    The pattern averaged over the batch cannot hold more energy than the signals' mean variance,
    so the exact index is at most 1; float64 keeps rounding near 1e-16 of the values, and the
    result is clipped to [0, 1] so that rounding cannot report more than a pure pattern.

    Args:
        x: (B, C, L) or (B, C, H, W) (any float dtype, any device).
        period: p >= 2.
        ndim: 1 or 2 spatial axes.

    Returns:
        the index, dimensionless, 0 <= value <= 1.
    """
    x = check_tensor("x", x)  # a TypeError/ValueError naming x, not an AttributeError from .to
    value = float(checkerboard_index(x.to(torch.float64), period, ndim=ndim, reduce="batch"))
    return min(1.0, max(0.0, value))


def sample_outputs(
    model: nn.Module, input_shape: Sequence[int], batch: int = 16, seed: int = 0
) -> torch.Tensor:
    """The model's outputs for ``batch`` random inputs of ``input_shape`` (batch first), eval mode.

    Returns the (first) output tensor on the CPU, shape (batch, ...). The model's mode is
    restored afterwards.
    """
    check_model(model)
    shape = check_input_shape(input_shape)
    batch = check_int("batch", batch, 1)
    device = model_device(model)
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn((batch, *shape[1:]), generator=generator).to(device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = _first_tensor(model(x))
    except Exception as exc:  # noqa: BLE001 - wrapped with the shape that was tried
        raise ValueError(f"the model failed on a random input of input_shape={shape}: "
                         f"{type(exc).__name__}: {exc}") from exc
    finally:
        model.train(was_training)
    if out is None:
        raise ValueError(f"the model returned no tensor for input_shape={shape}")
    return out.detach().cpu()
