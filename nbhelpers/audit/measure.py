"""Audit a model: trace its resolution changes, describe each layer, measure the artifact.

:func:`audit` runs one forward pass with hooks (:mod:`.tracing`), computes each
resolution-changing layer's overlap unevenness and the period it introduces at the model's
output (upsampling) or at its input's gradient (downsampling), measures the checkerboard
index of the output (and of the input gradient) on random inputs, and suggests a fix per
offending layer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from .._validate import check_input_shape, check_int, check_model
from ..measures.periodic import checkerboard_floor, checkerboard_index, phase_ratio
from ..runtime import model_device
from .report import AuditReport, LayerReport
from .tracing import (
    _describe,
    _first_tensor,
    _is_offending,
    _layer_unevenness,
    _suggestion,
    find_resolution_changes,
)


def audit(
    model: nn.Module,
    input_shape: Sequence[int],
    periods: Sequence[int] | None = None,
    batch: int = 16,
    seed: int = 0,
) -> AuditReport:
    """Audit ``model`` for checkerboard artifacts.

    Args:
        model: any ``nn.Module``; it is put in eval mode for the audit and restored afterwards.
        input_shape: one input's shape with the batch first, e.g. (1, 100, 1, 1) or (1, 3, 32, 32).
        periods: periods to measure (default: 2 and every period the layers introduce, <= 64).
        batch: random inputs used for the measured indices (batch-averaged).
        seed: seed of the random inputs.

    Returns:
        an :class:`AuditReport`.
    """
    check_model(model)
    shape = check_input_shape(input_shape)
    batch = check_int("batch", batch, 2)
    was_training = model.training
    model.eval()
    try:
        records, output = find_resolution_changes(model, shape)
        report = AuditReport(type(model).__name__, shape, tuple(output.shape))
        in_size, out_size = shape[2:], tuple(output.shape[2:])
        for i, rec in enumerate(records):
            module = rec["module"]
            n = len(rec["input_size"])
            kind, kernel, stride, padding = _describe(module, n)
            up = math.prod(rec["output_size"]) > math.prod(rec["input_size"])
            if not stride:  # resize modules, pixel shuffles: the scale factor
                ratio_sizes = [max(a, b) // max(1, min(a, b))
                               for a, b in zip(rec["input_size"], rec["output_size"])]
                stride = tuple(ratio_sizes)
            ratio = _layer_unevenness(kernel, stride) if kernel else 1.0
            if up:
                after = [o // max(1, r) for o, r in zip(out_size, rec["output_size"])] if out_size else [1]
                period, where = max(stride) * max(after), "output"
            else:
                before = [a // max(1, r) for a, r in zip(in_size, rec["input_size"])] if in_size else [1]
                period, where = max(stride) * max(before), "input gradient"
            if isinstance(module, (nn.AvgPool1d, nn.AvgPool2d)) and ratio == 1:
                period = 1
            offending = _is_offending(module)
            report.layers.append(LayerReport(
                index=i + 1, name=rec["name"], kind=kind, direction="up" if up else "down",
                kernel_size=kernel, stride=stride, padding=padding, input_size=rec["input_size"],
                output_size=rec["output_size"], unevenness=ratio, period=period, where=where,
                offending=offending,
                suggestion=_suggestion(module, kernel, stride, ratio)))
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
