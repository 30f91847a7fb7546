"""Automatic checks for notebook 07's exercises (audio), in the manner of :mod:`.exercises`."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from .checking import _call, _callable, _fail, _ok

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


IMAGE_CASES = [
    (700, 4000, 4),
    (1000, 8000, 2),
    (300, 1000, 3),
    (1200, 5000, 5),
    (440, 2000, 8),
    (2500, 16000, 3),
    (3900, 8000, 2),
]


def _measured_images(tone_hz: int, input_rate: int, scale: int) -> list[float]:
    """The frequencies (Hz) in the spectrum of one second of a cosine at ``tone_hz``, sampled at
    ``input_rate`` and upsampled by ``scale`` with ``F.interpolate`` (nearest): measured, 1 Hz bins."""
    n = torch.arange(input_rate, dtype=torch.float64)
    tone = torch.cos(2 * math.pi * tone_hz * n / input_rate)[None, None]
    out = nn.functional.interpolate(tone, scale_factor=scale, mode="nearest")[0, 0]
    spectrum = torch.fft.rfft(out).abs()
    freqs = torch.fft.rfftfreq(out.numel(), 1 / (scale * input_rate), dtype=torch.float64)
    return [float(f) for f in freqs[spectrum > 1e-6 * spectrum.max()]]


def check_image_frequencies(fn: Callable[[float, float, int], Sequence[float]]) -> None:
    """Check ``fn(tone_hz, input_rate, scale) -> sorted frequencies in Hz`` against the spectrum of a
    tone upsampled with ``F.interpolate`` (nearest), on cases the notebook does not show."""
    exercise = "image_frequencies"
    _callable(exercise, fn)
    for tone, rate, scale in IMAGE_CASES:
        case = f"tone_hz={tone}, input_rate={rate}, scale={scale}"
        got = _call(exercise, fn, case, tone, rate, scale)
        expected = _measured_images(tone, rate, scale)
        try:
            values = sorted(float(v) for v in got)
        except (TypeError, ValueError):
            _fail(exercise, case, expected, got, "return a list of frequencies in Hz.")
        if len(values) == len(expected) and all(abs(a - b) < 1e-6 for a, b in zip(values, expected)):
            continue
        nyquist = scale * rate / 2
        has = {round(v, 6) for v in values}
        if any(v <= 0 for v in values):
            nudge = "frequencies are positive: list each one once, as a positive number of Hz."
        elif any(v > nyquist + 1e-6 for v in values):
            nudge = (f"the output runs at scale * input_rate = {scale * rate} Hz, so it holds frequencies up "
                     f"to half of that ({nyquist:g} Hz), none above.")
        elif round(float(tone), 6) not in has:
            nudge = "the tone itself is still in the output: list it too."
        elif len(values) <= 1:
            nudge = ("interpolation keeps the tone and lets its images through: which other frequencies, "
                     "sampled at input_rate, give exactly the same samples as the tone?")
        elif round(float(rate - tone), 6) in has and len(values) < len(expected):
            nudge = ("the images do not stop at the first one: the spectrum of a signal sampled at "
                     "input_rate repeats every input_rate, up to the output's Nyquist frequency.")
        else:
            nudge = ("a cosine is even: a frequency mirrored about a multiple of input_rate gives the same "
                     "samples as one shifted by it. Each multiple of input_rate has an image on each side.")
        _fail(exercise, case, expected, values, nudge)
    _ok(exercise, len(IMAGE_CASES))
