"""Automatic checks for notebook 06's exercise (the audit), in the manner of :mod:`.exercises`.

The student predicts, for a stack of upsampling layers, the period each layer's pattern has at the
model's output, or ``None`` for a layer that paints none at initialisation. The check builds each
stack as a real model and compares the prediction with what :func:`nbhelpers.audit.audit` reports
for it (its ``period`` and ``offending`` columns), never with a stored answer.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Sequence

import torch
from torch import nn

from ..layers.upsampling import icnr_conv_
from .checking import _call, _callable, _fail, _ok

#: the upsampling kinds a layer description may name, as ``(kind, kernel_size, stride)``
KINDS = ("transposed", "resize", "subpixel", "subpixel_icnr")

#: stacks the check tries (first layer first); none of them is the notebook's example
PERIOD_CASES: list[list[tuple[str, int, int]]] = [
    [("transposed", 3, 2)],
    [("transposed", 4, 2), ("transposed", 4, 2), ("transposed", 4, 2)],
    [("resize", 3, 2), ("transposed", 4, 2)],
    [("transposed", 3, 2), ("resize", 3, 3)],
    [("subpixel", 3, 3), ("resize", 3, 2)],
    [("subpixel_icnr", 3, 2), ("transposed", 2, 2), ("resize", 3, 2)],
    [("transposed", 5, 3), ("subpixel", 3, 2), ("subpixel_icnr", 3, 2)],
    [("resize", 3, 4), ("transposed", 8, 4)],
    [("transposed", 2, 3), ("resize", 5, 2), ("subpixel", 1, 2)],
]


def _transposed(channels: int, kernel_size: int, stride: int) -> nn.ConvTranspose2d:
    """A transposed convolution that multiplies H and W by ``stride`` exactly."""
    padding = max(0, math.ceil((kernel_size - stride) / 2))
    output_padding = stride - kernel_size + 2 * padding  # in [0, stride): out = in * stride
    return nn.ConvTranspose2d(channels, channels, kernel_size, stride=stride, padding=padding,
                              output_padding=output_padding)


def stack_model(layers: Sequence[tuple[str, int, int]], channels: int = 4) -> nn.Sequential:
    """The model a list of ``(kind, kernel_size, stride)`` describes, with a ReLU between layers.

    ``'transposed'``: ``nn.ConvTranspose2d`` (kernel k, stride s, output exactly s times larger);
    ``'resize'``: ``nn.Upsample`` (nearest, ×s) then a k×k convolution (k odd);
    ``'subpixel'``: a k×k convolution to s² times the channels then ``nn.PixelShuffle(s)``;
    ``'subpixel_icnr'``: the same with the convolution started by ICNR (equal sub-kernels).
    Input (N, channels, H, W) -> output (N, channels, H·S, W·S), S the product of the strides.
    """
    parts: OrderedDict[str, nn.Module] = OrderedDict()
    for i, (kind, k, s) in enumerate(layers):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if kind == "transposed":
            parts[f"up{i}"] = _transposed(channels, k, s)
        elif kind == "resize":
            parts[f"up{i}"] = nn.Upsample(scale_factor=s, mode="nearest")
            parts[f"conv{i}"] = nn.Conv2d(channels, channels, k, padding=k // 2)
        else:
            conv = nn.Conv2d(channels, channels * s * s, k, padding=k // 2)
            parts[f"conv{i}"] = icnr_conv_(conv, s) if kind == "subpixel_icnr" else conv
            parts[f"up{i}"] = nn.PixelShuffle(s)
        if i < len(layers) - 1:
            parts[f"relu{i}"] = nn.ReLU()
    return nn.Sequential(parts)


def audited_periods(layers: Sequence[tuple[str, int, int]]) -> list[int | None]:
    """What :func:`nbhelpers.audit.audit` says of the stack ``layers`` describes: for each layer, the
    period of its pattern at the output when it is marked to act on, else ``None``."""
    from ..audit import audit

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = stack_model(layers)
        report = audit(model, (1, 4, 4, 4), batch=2)
    found = [row for row in report.layers if row.direction == "up"]
    if len(found) != len(layers):  # pragma: no cover - a bug in stack_model or the audit
        raise RuntimeError(f"the audit found {len(found)} upsampling layers in {layers}, "
                           f"expected {len(layers)}")
    return [row.period if row.offending else None for row in found]


def _entries(got: object) -> list[int | None] | None:
    """``got`` as a list of ints and ``None``s, or ``None`` when it is not one."""
    try:
        values = list(got)  # type: ignore[call-overload]
    except TypeError:
        return None
    out: list[int | None] = []
    for v in values:
        if v is None:
            out.append(None)
        elif isinstance(v, bool):
            return None
        else:
            try:
                number = float(v)
            except (TypeError, ValueError):
                return None
            if number != int(number):
                return None
            out.append(int(number))
    return out


def _nudge(layers: Sequence[tuple[str, int, int]], expected: list[int | None], got: list[int | None]) -> str:
    strides = [s for _, _, s in layers]
    for i, ((kind, k, s), want, have) in enumerate(zip(layers, expected, got)):
        if want is None and have is not None:
            what = "a nearest resize (then a convolution)" if kind == "resize" else \
                "a sub-pixel layer started with ICNR (equal sub-kernels)"
            return (f"layer {i} is {what}: every output phase computes the same thing, so at "
                    "initialisation it paints no pattern of its own: None.")
        if want is not None and have is None:
            if kind == "transposed" and k % s == 0:
                return (f"layer {i} (k={k}, s={s}) has even overlap, yet its random kernel gives each output "
                        "phase its own taps and sum: like the DCGAN of section 2, it still paints a pattern.")
            return (f"layer {i} ({kind}) gives each output phase its own weights: at initialisation it "
                    "paints a pattern at its stride.")
    painted = [want is not None for want in expected]
    own = [s if paints else None for s, paints in zip(strides, painted)]
    so_far = [math.prod(strides[: i + 1]) if paints else None for i, paints in enumerate(painted)]
    if got == own:
        return ("a later upsampling stretches an earlier layer's pattern: the period at the output "
                "is the layer's own stride times the strides of every layer after it (notebook 02).")
    if got == so_far:
        return ("the layers *before* a layer do not stretch its pattern, the ones after it do: "
                "multiply its stride by the strides that follow it.")
    return ("for each layer: None if it paints nothing at initialisation (a nearest resize, an ICNR "
            "sub-pixel layer), else its stride times the strides of every later layer.")


def check_layer_periods(fn: Callable[[list[tuple[str, int, int]]], Sequence[int | None]]) -> None:
    """Check ``fn(layers) -> [period or None per layer]`` against the audit of the model the layers
    describe (``(kind, kernel_size, stride)``, first layer first; kinds in :data:`KINDS`)."""
    exercise = "layer_periods"
    _callable(exercise, fn)
    for layers in PERIOD_CASES:
        case = f"layers={layers}"
        got = _call(exercise, fn, case, [tuple(layer) for layer in layers])
        expected = audited_periods(layers)
        values = _entries(got)
        if values is None:
            _fail(exercise, case, expected, got, "return a list with one entry per layer: an integer "
                  "period, or None.")
        if len(values) != len(layers):
            _fail(exercise, case, expected, values,
                  f"one entry per layer: {len(layers)} here, in the order given.")
        if values != expected:
            _fail(exercise, case, expected, values, _nudge(layers, expected, values))
    _ok(exercise, len(PERIOD_CASES), "The audit's period column is this rule, measured.")
