"""Audit a model: trace its resolution changes, describe each layer, measure the artifact.

:func:`audit` runs one forward pass with hooks (:mod:`.tracing`), computes each
resolution-changing layer's overlap unevenness and the period it introduces at the model's
output (upsampling) or at its input's gradient (downsampling), measures the checkerboard
index of the output (and of the input gradient) on random inputs, and suggests a fix per
offending layer.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .._validate import check_input_shape, check_int, check_model, check_positive
from ..measures.periodic import checkerboard_floor, checkerboard_index, phase_ratio
from ..runtime import model_device
from .advice import is_offending, layer_unevenness, suggestion
from .report import AuditReport, LayerReport
from .tracing import _first_tensor, find_resolution_changes


def tones(period: int, rate: float) -> tuple[float, ...]:
    """Frequencies (Hz) of a period-``period`` pattern in a signal sampled at ``rate`` Hz.

    A pattern that repeats every p samples is a sum of tones at multiples of rate / p, up to
    the Nyquist frequency rate / 2 (included: period 2 is a tone at Nyquist).
    """
    return tuple(k * rate / period for k in range(1, period // 2 + 1))


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
        sample_rate: for audio (1D outputs): the output's sample rate in Hz. The period p of
            each 1D layer that can paint a pattern (a row marked to act on) then also becomes
            tones at multiples of sample_rate / p up to Nyquist (for a downsampling layer, at the
            input's rate). A resize paints no tone (its artifact is filtering, not tonal).

    Returns:
        an :class:`AuditReport`. Functional calls made inside a ``forward`` (``F.interpolate``,
        ``F.conv_transpose2d``, ``F.pixel_shuffle``, ...) are reported as ``path.forward``.
    """
    check_model(model)
    shape = check_input_shape(input_shape)
    batch = check_int("batch", batch, 2)
    rate = None if sample_rate is None else check_positive("sample_rate", sample_rate)
    was_training = model.training
    model.eval()
    try:
        sites, output = find_resolution_changes(model, shape)
        report = AuditReport(type(model).__name__, shape, tuple(output.shape), sample_rate=rate)
        in_size, out_size = shape[2:], tuple(output.shape[2:])
        for i, site in enumerate(sites):
            ratio = layer_unevenness(site)
            if site.up:
                after = [o // max(1, r) for o, r in zip(out_size, site.output_size)] if out_size else [1]
                period, where = max(site.stride) * max(after), "output"
            else:
                before = [a // max(1, r) for a, r in zip(in_size, site.input_size)] if in_size else [1]
                period, where = max(site.stride) * max(before), "input gradient"
            if site.kind in ("AvgPool1d", "AvgPool2d", "F.avg_pool1d", "F.avg_pool2d") and ratio == 1:
                period = 1
            layer = LayerReport(
                index=i + 1, name=site.name, kind=site.kind, direction="up" if site.up else "down",
                kernel_size=site.kernel, stride=site.stride, padding=site.padding, input_size=site.input_size,
                output_size=site.output_size, unevenness=ratio, period=period, where=where,
                offending=is_offending(site), suggestion=suggestion(site, ratio), groups=site.groups)
            if rate is not None and len(site.input_size) == 1 and period > 1 and layer.offending:
                scale = 1.0 if where == "output" else (in_size[0] / out_size[0] if out_size else 1.0)
                layer.tones_hz = tones(period, rate * scale)
            report.layers.append(layer)
        if rate is not None and len(out_size) != 1:
            report.notes.append("sample_rate applies to 1D (audio) outputs; this output is not 1D")
        _measure(model, shape, report, periods, batch, seed)
    finally:
        model.train(was_training)
    return report


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
        for p in _periods(report, "output", out_sizes, periods):
            report.output_index[p] = checkerboard_index(output.detach(), p, ndim=ndim, reduce="batch").item()
        if report.output_index:
            report.output_floor = checkerboard_floor(out_sizes, 2, batch=batch)
    elif report.layers:
        report.notes.append("the output has no spatial dimensions: only gradients are measured")
    if wants_gradient:
        projection = torch.randn(output.shape, generator=generator).to(device)
        (grad,) = torch.autograd.grad((output * projection).sum(), x)
        in_sizes = shape[2:]
        ndim = len(in_sizes)
        for p in _periods(report, "input gradient", in_sizes, periods):
            magnitude = grad.abs()
            report.gradient_index[p] = checkerboard_index(magnitude, p, ndim=ndim, reduce="batch").item()
            report.gradient_phase_ratio[p] = phase_ratio(magnitude, p, ndim=ndim).item()
        if report.gradient_index:
            report.gradient_floor = checkerboard_floor(in_sizes, 2, batch=batch)


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
