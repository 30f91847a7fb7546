"""Automatic checks for notebook 07's exercises (audio), in the manner of :mod:`.exercises`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from ..measures.audio import interpolation_theory
from .checking import _call, _callable, _fail, _number, _ok

TONE_CASES = [
    ([2], 16000),
    ([2, 2], 16000),
    ([4, 4], 16000),
    ([8, 2], 22050),
    ([3], 12000),
    ([2, 3], 24000),
    ([5, 2, 2], 20000),
]


def _audited_tones(strides: Sequence[int], rate: float) -> list[float]:
    """The tones :func:`nbhelpers.audit.audit` lists for a stack of k = 2s transposed convolutions."""
    from ..audit import audit

    layers: list[nn.Module] = []
    for s in strides:
        layers += [nn.ConvTranspose1d(2, 2, 2 * s, stride=s, padding=s // 2), nn.ReLU()]
    report = audit(nn.Sequential(*layers[:-1]), (1, 2, 64), sample_rate=rate, batch=2)
    return sorted({f for layer in report.layers for f in layer.tones_hz})


def check_tone_frequencies(fn: Callable[[Sequence[int], float], Sequence[float]]) -> None:
    """Check ``fn(strides, sample_rate) -> sorted tones in Hz`` against the audit of such a stack."""
    exercise = "tone_frequencies"
    _callable(exercise, fn)
    for strides, rate in TONE_CASES:
        case = f"strides={strides}, sample_rate={rate}"
        got = _call(exercise, fn, case, list(strides), rate)
        with torch.random.fork_rng(devices=[]):
            expected = _audited_tones(strides, rate)
        try:
            values = sorted(float(v) for v in got)
        except (TypeError, ValueError):
            _fail(exercise, case, expected, got, "return a list of frequencies in Hz.")
        if len(values) != len(expected) or any(abs(a - b) > 1e-6 for a, b in zip(values, expected)):
            nudge = (
                "layer i's period at the output is its stride times every later stride; its tones "
                "are the multiples of sample_rate / period up to sample_rate / 2 (Nyquist included). "
                "Collect them for every layer, without duplicates."
            )
            if len(strides) > 1 and len(values) == len(set(values)) and len(values) < len(expected):
                nudge = "the earlier layers count too: their periods are longer, their tones closer together."
            _fail(exercise, case, expected, values, nudge)
    _ok(exercise, len(TONE_CASES))


def check_nearest_gain(fn: Callable[[float, int, float], float]) -> None:
    """Check ``fn(frequency_hz, scale, output_rate) -> gain`` of nearest upsampling against theory
    (which ``F.interpolate`` matches to 1e-9, tested)."""
    exercise = "nearest_gain"
    _callable(exercise, fn)
    cases = [
        (f, s, r)
        for s, r in ((2, 16000), (4, 16000), (3, 24000))
        for f in (0.0, 500.0, 1900.0, 2500.0, 7000.0)
    ]
    for f, s, r in cases:
        case = f"frequency_hz={f}, scale={s}, output_rate={r}"
        got = _call(exercise, fn, case, f, s, r)
        expected = float(interpolation_theory("nearest", s, torch.tensor([f / r])))
        value = _number(exercise, case, round(expected, 4), got, "one number, the gain (1 = unchanged)")
        if abs(value - expected) > 1e-6:
            nudge = (
                "nearest upsampling repeats each sample `scale` times: a box of `scale` ones. Its gain "
                "at f cycles per output sample is |sin(pi f scale) / (scale sin(pi f))| (1 at f = 0); "
                "f = frequency_hz / output_rate."
            )
            if value < -1e-9:
                nudge = "a gain is a magnitude: take the absolute value."
            _fail(exercise, case, round(expected, 4), round(value, 4), nudge)
    _ok(exercise, len(cases))
