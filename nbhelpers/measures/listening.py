"""Clips ready to listen to and compare: no DC offset, no clicks, the same loudness.

A model's raw output is a poor thing to play. An untrained upsampler's output can be mostly a
constant offset (DC): a loudspeaker jumps to it at the first sample and back at the last, two
loud clicks. And ``IPython.display.Audio(..., normalize=True)`` scales each clip to its own peak,
so clips that are compared differ in loudness by whatever their crest factors differ by (10 dB
and more), and a quiet artifact is judged at a level it never has. :func:`listening_clips`
prepares a set of clips the way a listening test does:

1. remove the DC offset: a constant, the clip's mean weighted by the fade envelope, so that the
   faded clip's mean is exactly 0 and nothing else changes;
2. fade in and out over ``fade_ms`` (a raised-cosine ramp from exactly 0), so no clip starts or
   stops with a jump;
3. scale every compared clip to the same RMS, ``rms_db`` dB re full scale (full scale is
   amplitude 1, so -20 dB is an RMS of 0.1);
4. if any clip would then peak above ``max_peak`` (it would clip), turn *every* clip down by the
   same factor, so their loudness stays matched, and report by how much (``limited_db``).

A clip can instead keep its level relative to another one, boosted by a stated gain
(``relative={name: (reference, gain_db)}``): an artifact isolated from a model's output, played
20 dB louder than it sits in that output, so the listener hears what it is.

:func:`dbfs` is the level used throughout: 20 log10(RMS), in dB re full scale.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass

import torch

from .._validate import check_positive


def dbfs(x: torch.Tensor) -> float:
    """Level of a signal x (L,) in dB re full scale: 20 log10(sqrt(mean(x^2))); -inf when silent."""
    if not isinstance(x, torch.Tensor) or x.dim() != 1 or x.numel() == 0:
        raise ValueError(f"x must be one non-empty signal (L,), got {getattr(x, 'shape', type(x).__name__)}")
    rms = float(x.double().pow(2).mean().sqrt())
    return 20 * math.log10(rms) if rms > 0 else -math.inf


def raised_cosine_fade(length: int, fade: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Envelope (length,): 0.5 - 0.5 cos(pi n / fade) rising over the first ``fade`` samples from
    exactly 0, 1 in between, and the mirror image falling to exactly 0 at the last sample."""
    if isinstance(length, bool) or not isinstance(length, numbers.Integral) or length < 2:
        raise ValueError(f"length must be an integer >= 2, got {length!r}")
    if isinstance(fade, bool) or not isinstance(fade, numbers.Integral) or not 0 <= 2 * fade <= length:
        raise ValueError(f"fade must be an integer between 0 and length / 2 = {length // 2}, got {fade!r}")
    envelope = torch.ones(int(length), dtype=dtype)
    if fade:
        ramp = 0.5 - 0.5 * torch.cos(math.pi * torch.arange(int(fade), dtype=torch.float64) / fade)
        envelope[:fade] = ramp.to(dtype)
        envelope[-fade:] = ramp.flip(0).to(dtype)
    return envelope


@dataclass(frozen=True)
class ListeningClips:
    """Clips prepared by :func:`listening_clips`.

    Attributes:
        clips: name -> (L,) float32 in [-max_peak, max_peak], in the order given; play each with
            ``IPython.display.Audio(clip.numpy(), rate=sample_rate, normalize=False)``.
        sample_rate: Hz.
        rms_db: the compared clips' common level, dB re full scale, after any limiting.
        target_rms_db: the level asked for.
        limited_db: how far every clip was turned down together so that no peak exceeds
            ``max_peak`` (0 when none had to be).
        dc: name -> the offset removed, in the input's units.
        dc_of_peak: name -> that offset as a share of the input clip's peak |x|: where the offset
            would have sat, in full scale, had the clip been played peak-normalised.
        gain_db: name -> the gain applied after the offset was removed (dB).
        relative: name -> (reference clip, gain_db) for clips played relative to another.
        level_db: name -> each prepared clip's level, dB re full scale.
        peak: name -> each prepared clip's largest |sample|.
        fade_ms: the fades' length (ms).
    """

    clips: dict[str, torch.Tensor]
    sample_rate: float
    rms_db: float
    target_rms_db: float
    limited_db: float
    dc: dict[str, float]
    dc_of_peak: dict[str, float]
    gain_db: dict[str, float]
    relative: dict[str, tuple[str, float]]
    level_db: dict[str, float]
    peak: dict[str, float]
    fade_ms: float

    def report(self) -> str:
        """What was done, in words: the common level, any limiting, the largest mean left, and per
        clip the offset removed (as a share of its peak) and the level it plays at."""
        limited = (f"every clip turned down {self.limited_db:.1f} dB together so that none clips"
                   if self.limited_db > 0 else "none had to be turned down")
        mean = max(abs(float(c.double().mean())) for c in self.clips.values())
        lines = [f"{len(self.clips)} clips: offset removed (largest |mean| left {mean:.0e}), "
                 f"{self.fade_ms:g} ms fades, compared clips at {self.rms_db:.1f} dB re full scale "
                 f"({limited}; loudest peak {max(self.peak.values()):.2f})"]
        width = max(map(len, self.clips))
        for name in self.clips:
            extra = ""
            if name in self.relative:
                ref, gain = self.relative[name]
                extra = f": its level in '{ref}' {gain:+.0f} dB"
            lines.append(f"  {name:<{width}}  offset removed {self.dc_of_peak[name]:4.2f} of its peak; "
                         f"plays at {self.level_db[name]:6.1f} dB{extra}")
        return "\n".join(lines)


def _check_clip(name: str, clip: object) -> torch.Tensor:
    if not isinstance(clip, torch.Tensor) or clip.dim() != 1 or not clip.is_floating_point():
        shape = tuple(clip.shape) if isinstance(clip, torch.Tensor) else type(clip).__name__
        raise ValueError(f"clip {name!r} must be one floating-point signal (L,), got {shape}")
    if not bool(torch.isfinite(clip).all()):
        raise ValueError(f"clip {name!r} holds NaN or infinite samples")
    return clip.detach().double().cpu()


def _check_settings(clips: object, rms_db: object, fade_ms: object, max_peak: object,
                    relative: Mapping[str, tuple[str, float]] | None) -> dict:
    """listening_clips' argument checks; returns ``relative`` as a dict."""
    if not isinstance(clips, Mapping) or not clips:
        raise ValueError("clips must be a non-empty mapping name -> signal (L,)")
    if isinstance(rms_db, bool) or not isinstance(rms_db, numbers.Real) or not -200 < rms_db < 0:
        raise ValueError(f"rms_db must be a level below full scale, in (-200, 0) dB, got {rms_db!r}")
    if isinstance(fade_ms, bool) or not isinstance(fade_ms, numbers.Real) or not 0 <= fade_ms < math.inf:
        raise ValueError(f"fade_ms must be a finite number of milliseconds >= 0, got {fade_ms!r}")
    if isinstance(max_peak, bool) or not isinstance(max_peak, numbers.Real) or not 0 < max_peak <= 1:
        raise ValueError(f"max_peak must be in (0, 1] (full scale is 1), got {max_peak!r}")
    relative = dict(relative or {})
    for name, entry in relative.items():
        if name not in clips:
            raise ValueError(f"relative names {name!r}, which is not one of the clips {list(clips)}")
        if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], numbers.Real)
                and math.isfinite(entry[1])):
            raise ValueError(f"relative[{name!r}] must be (reference clip, gain in dB), got {entry!r}")
        if entry[0] not in clips or entry[0] in relative:
            raise ValueError(f"relative[{name!r}]: the reference {entry[0]!r} must be one of the compared "
                             f"clips {[n for n in clips if n not in relative]}")
    return relative


def listening_clips(
    clips: Mapping[str, torch.Tensor],
    sample_rate: float,
    *,
    rms_db: float = -20.0,
    fade_ms: float = 10.0,
    max_peak: float = 0.99,
    relative: Mapping[str, tuple[str, float]] | None = None,
) -> ListeningClips:
    """Prepare clips for listening side by side: DC removed, faded, loudness matched, never clipping.

    Args:
        clips: name -> signal (L,) float (any length, at least two fades long), in any units.
        sample_rate: Hz, the same for every clip.
        rms_db: the level every compared clip is scaled to, dB re full scale (< 0; full scale is
            amplitude 1).
        fade_ms: length of the raised-cosine fade in and out, in milliseconds (>= 0).
        max_peak: the largest |sample| allowed, in (0, 1]. If a clip would exceed it at ``rms_db``,
            every clip is turned down by the same factor (``limited_db`` in the result says how far).
        relative: name -> (reference, gain_db): that clip is not matched; it gets the reference's
            gain times ``gain_db`` dB (its level relative to the reference is kept, then boosted).
            The reference must be a compared clip.

    Returns:
        :class:`ListeningClips`: the prepared (L,) float32 clips and what was done to them.

    Raises:
        ValueError: an empty ``clips``, a clip that is not a finite 1D float tensor, is shorter
            than two fades, or is silent once its offset is removed; a bad level, fade or peak; a
            ``relative`` entry naming a missing or non-compared clip.
    """
    rate = check_positive("sample_rate", sample_rate)
    relative = _check_settings(clips, rms_db, fade_ms, max_peak, relative)
    fade = round(fade_ms * rate / 1000)

    centred, dc, dc_of_peak = {}, {}, {}
    for name, clip in clips.items():
        x = _check_clip(name, clip)
        if x.numel() < max(2, 2 * fade):
            raise ValueError(f"clip {name!r} has {x.numel()} samples, fewer than two {fade_ms:g} ms fades "
                             f"({2 * fade} samples at {rate:g} Hz)")
        envelope = raised_cosine_fade(x.numel(), fade)
        # the offset whose removal leaves the *faded* clip with mean exactly 0: the mean weighted by
        # the fade envelope (the plain mean when there is no fade)
        offset = float((x * envelope).sum() / envelope.sum())
        y = (x - offset) * envelope
        if float(y.abs().max()) == 0:
            raise ValueError(f"clip {name!r} is silent once its DC offset is removed: nothing to play")
        peak_in = float(x.abs().max())
        centred[name], dc[name], dc_of_peak[name] = y, offset, abs(offset) / peak_in

    def rms(v: torch.Tensor) -> float:
        return float(v.pow(2).mean().sqrt())

    target = 10 ** (rms_db / 20)
    scale = {name: target / rms(y) for name, y in centred.items() if name not in relative}
    for name, (ref, gain) in relative.items():
        scale[name] = scale[ref] * 10 ** (gain / 20)
    loudest = max(scale[name] * float(y.abs().max()) for name, y in centred.items())
    limit = min(1.0, max_peak / loudest)
    out = {name: (centred[name] * scale[name] * limit).to(torch.float32) for name in clips}
    # float32 rounding must not push a sample past the limit
    out = {name: y.clamp(-max_peak, max_peak) for name, y in out.items()}
    return ListeningClips(
        clips=out,
        sample_rate=rate,
        rms_db=rms_db + 20 * math.log10(limit),
        target_rms_db=float(rms_db),
        limited_db=max(0.0, -20 * math.log10(limit)),
        dc=dc,
        dc_of_peak=dc_of_peak,
        gain_db={name: 20 * math.log10(scale[name] * limit) for name in clips},
        relative=relative,
        level_db={name: dbfs(y) for name, y in out.items()},
        peak={name: float(y.abs().max()) for name, y in out.items()},
        fade_ms=float(fade_ms),
    )

