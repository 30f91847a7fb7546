"""Synthesized audio with real structure, nothing downloaded: plucked strings, chords, chirps, vowels.

All signals are float32 tensors at :data:`SAMPLE_RATE` (16 kHz) unless a ``sample_rate`` is given,
peak-normalised to 0.9, and deterministic for a seed:

- :func:`pluck`: a plucked string by the Karplus-Strong algorithm (a noise burst circulating in
  a delay line of one period, averaged each round trip: a harmonic tone that decays, brighter at
  the attack);
- :func:`chord`: several plucks, strummed a few milliseconds apart;
- :func:`chirp`: a sine sweeping linearly in frequency;
- :func:`vowel`: a glottal pulse train through formant resonances (source-filter model), e.g.
  /a/ with formants at 730, 1090 and 2440 Hz;
- :func:`sound_clips`: a batch of random clips of these four, for training and measuring;
- :func:`downsample`: an ideal low-pass then keeping every s-th sample (the low-rate input of a
  bandwidth-extension model), and :func:`band_limited_upsample`, its way back without new
  frequencies: the low-rate clip as it sounds, nothing above its Nyquist frequency.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from .._validate import check_int, check_positive

SAMPLE_RATE = 16000
VOWELS = {"a": (730.0, 1090.0, 2440.0), "i": (270.0, 2290.0, 3010.0), "u": (300.0, 870.0, 2240.0)}
_PEAK = 0.9


def _length(duration: float, sample_rate: float) -> int:
    n = round(check_positive("duration", duration) * check_positive("sample_rate", sample_rate))
    if n < 2:
        raise ValueError(f"duration={duration} s at sample_rate={sample_rate} gives fewer than 2 samples")
    return n


def _normalise(x: torch.Tensor) -> torch.Tensor:
    peak = x.abs().max()
    return (x * (_PEAK / peak) if peak > 0 else x).to(torch.float32)


def _check_frequency(name: str, frequency: float, sample_rate: float) -> float:
    f = check_positive(name, frequency)
    if f >= sample_rate / 2:
        raise ValueError(f"{name}={f} Hz must be below the Nyquist frequency {sample_rate / 2} Hz")
    return f


def pluck(
    frequency: float,
    duration: float = 0.5,
    *,
    sample_rate: float = SAMPLE_RATE,
    decay: float = 0.996,
    seed: int = 0,
) -> torch.Tensor:
    """A plucked string (Karplus-Strong): y[n] = decay * (y[n-N] + y[n-N-1]) / 2, y[:N+1] noise.

    Args:
        frequency: pitch in Hz (the delay line holds N = round(sample_rate / frequency) samples).
        duration: seconds. sample_rate: Hz. decay: loss per round trip, in (0, 1].
        seed: seeds the noise burst.

    Returns:
        (L,) float32, L = round(duration * sample_rate), peak 0.9.
    """
    n = _length(duration, sample_rate)
    period = max(2, round(sample_rate / _check_frequency("frequency", frequency, sample_rate)))
    if not 0 < decay <= 1:
        raise ValueError(f"decay must be in (0, 1], got {decay}")
    gen = torch.Generator().manual_seed(check_int("seed", seed, 0))
    y = torch.zeros(max(n, period + 1), dtype=torch.float64)
    burst = torch.rand(period + 1, generator=gen, dtype=torch.float64) * 2 - 1
    y[: period + 1] = burst - burst.mean()  # no DC: the string only rings at its harmonics
    start = period + 1
    while start < n:  # a block of `period` samples only reads samples before the block
        stop = min(start + period, n)
        y[start:stop] = (
            decay * 0.5 * (y[start - period : stop - period] + y[start - period - 1 : stop - period - 1])
        )
        start = stop
    return _normalise(y[:n])


def chord(
    frequencies: Sequence[float],
    duration: float = 0.5,
    *,
    sample_rate: float = SAMPLE_RATE,
    strum: float = 0.012,
    seed: int = 0,
) -> torch.Tensor:
    """Plucks of ``frequencies`` (Hz) started ``strum`` seconds apart and summed; (L,) float32."""
    if not frequencies:
        raise ValueError("frequencies must list at least one pitch in Hz")
    n = _length(duration, sample_rate)
    out = torch.zeros(n, dtype=torch.float64)
    for i, f in enumerate(frequencies):
        offset = min(n - 2, round(i * strum * sample_rate))
        out[offset:] += pluck(f, (n - offset) / sample_rate, sample_rate=sample_rate, seed=seed + i).double()
    return _normalise(out)


def chirp(
    start: float, stop: float, duration: float = 0.5, *, sample_rate: float = SAMPLE_RATE
) -> torch.Tensor:
    """sin(2 pi (f0 t + (f1 - f0) t^2 / (2 T))): frequency rising linearly from start to stop Hz; (L,)."""
    n = _length(duration, sample_rate)
    f0, f1 = (_check_frequency(name, f, sample_rate) for name, f in (("start", start), ("stop", stop)))
    t = torch.arange(n, dtype=torch.float64) / sample_rate
    total = n / sample_rate
    return _normalise(torch.sin(2 * math.pi * (f0 * t + (f1 - f0) * t**2 / (2 * total))))


def vowel(
    pitch: float,
    formants: Sequence[float] | str = "a",
    duration: float = 0.5,
    *,
    sample_rate: float = SAMPLE_RATE,
    bandwidth: float = 90.0,
) -> torch.Tensor:
    """A sung vowel: a pulse train at ``pitch`` Hz shaped by resonances at the ``formants`` (Hz, or a
    key of :data:`VOWELS`), each ``bandwidth`` Hz wide (applied in the frequency domain); (L,)."""
    n = _length(duration, sample_rate)
    peaks = VOWELS[formants] if isinstance(formants, str) and formants in VOWELS else formants
    if isinstance(peaks, str) or not peaks:
        raise ValueError(f"formants must be Hz values or one of {sorted(VOWELS)}, got {formants!r}")
    f0 = _check_frequency("pitch", pitch, sample_rate)
    t = torch.arange(n, dtype=torch.float64) / sample_rate
    source = torch.frac(t * f0) ** 4  # a sharp glottal pulse each period: all harmonics of f0
    freqs = torch.fft.rfftfreq(n, 1 / sample_rate, dtype=torch.float64)
    gain = sum(
        1 / (1 + ((freqs - _check_frequency("formant", f, sample_rate)) / (bandwidth / 2)) ** 2)
        for f in peaks
    )
    return _normalise(torch.fft.irfft(torch.fft.rfft(source - source.mean()) * gain, n))


def sound_clips(
    count: int, length: int = 4096, *, sample_rate: float = SAMPLE_RATE, seed: int = 0
) -> torch.Tensor:
    """``count`` random clips: plucks, chords, chirps and vowels in turn, random pitches (110-880 Hz).

    Returns:
        (count, 1, length) float32 at ``sample_rate``.
    """
    count, length = check_int("count", count, 1), check_int("length", length, 64)
    gen = torch.Generator().manual_seed(check_int("seed", seed, 0))
    duration = length / sample_rate
    clips = []
    for i in range(count):
        u = torch.rand(4, generator=gen, dtype=torch.float64).tolist()
        root = 110 * 2 ** (u[0] * 3)  # 110-880 Hz
        kind = i % 4
        if kind == 0:
            clip = pluck(
                root, duration, sample_rate=sample_rate, decay=0.99 + 0.009 * u[1], seed=seed * 7919 + i
            )
        elif kind == 1:
            ratios = (1, 2 ** (4 / 12), 2 ** (7 / 12)) if u[1] < 0.5 else (1, 2 ** (3 / 12), 2 ** (7 / 12))
            clip = chord([root * r for r in ratios], duration, sample_rate=sample_rate, seed=seed * 7919 + i)
        elif kind == 2:
            top = min(0.45 * sample_rate, root * 2 ** (2 + 3 * u[2]))
            clip = chirp(root, top, duration, sample_rate=sample_rate)
        else:
            clip = vowel(root, "aiu"[int(u[3] * 3) % 3], duration, sample_rate=sample_rate)
        clips.append(clip * (0.5 + 0.5 * u[2]))
    return torch.stack(clips)[:, None]


def downsample(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Ideal low-pass at the new Nyquist (FFT), then every ``factor``-th sample.

    (..., L) -> (..., L // factor).

    L must be a multiple of ``factor``. This is the low-rate input a bandwidth-extension model
    upsamples back; everything above sample_rate / (2 factor) is gone from it.
    """
    s = check_int("factor", factor, 1)
    if not isinstance(x, torch.Tensor) or x.dim() < 1 or x.shape[-1] % s:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must be a tensor (..., L) with L a multiple of factor={s}, got {shape}")
    n = x.shape[-1]
    spectrum = torch.fft.rfft(x.double(), dim=-1)
    spectrum[..., n // (2 * s) :] = 0
    return torch.fft.irfft(spectrum, n, dim=-1)[..., ::s].to(x.dtype)


def band_limited_upsample(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Ideal (band-limited) upsampling: the spectrum of x padded with zeros (FFT), times ``factor``.

    (..., L) -> (..., L * factor). The output holds x's frequencies at their level and nothing above
    x's Nyquist frequency: no images, unlike nearest or linear interpolation. It is how a low-rate
    clip sounds when played at the higher rate. ``downsample(band_limited_upsample(x, s), s)``
    returns x (for x with no energy at its own Nyquist bin).
    """
    s = check_int("factor", factor, 1)
    if not isinstance(x, torch.Tensor) or x.dim() < 1 or x.shape[-1] < 2 or not x.is_floating_point():
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must be a floating-point tensor (..., L) with L >= 2, got {shape}")
    n = x.shape[-1]
    spectrum = torch.fft.rfft(x.double(), dim=-1)
    if n % 2 == 0:  # the Nyquist bin is shared by +-n/2: split it between them once padded
        spectrum[..., -1] *= 0.5
    return (torch.fft.irfft(spectrum, n * s, dim=-1) * s).to(x.dtype)
