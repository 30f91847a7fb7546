"""Measures of audio artifacts: spectra in Hz, tone prominence, interpolation responses, distances.

- :func:`average_spectrum`: Welch's power spectrum (Hann frames, averaged over frames and signals);
- :func:`spectrogram`: the log-power STFT, for pictures;
- :func:`tone_prominence`: how far a frequency's power stands above its neighbourhood, in dB (the
  measure of a *tonal* artifact, Pons et al. 2021), and :func:`spectral_peaks`, every frequency
  that stands out;
- :func:`interpolation_response`: the measured gain of ``F.interpolate`` upsampling per frequency
  (the *filtering* artifact) and :func:`interpolation_theory`: nearest ~ sinc, linear ~ sinc^2;
- :func:`log_spectral_distance` and :func:`band_energy_error`: how far an output's spectrum is from
  its target's, overall and in one band (e.g. the high band a bandwidth extension must create).
"""

from __future__ import annotations

import math

import torch

from .._validate import check_int, check_positive, check_tensor


def _frames(x: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    x = check_tensor("x", x, 1)
    n_fft = check_int("n_fft", n_fft, 4)
    if x.shape[-1] < n_fft:
        raise ValueError(f"x has {x.shape[-1]} samples, fewer than n_fft={n_fft}")
    window = torch.hann_window(n_fft, dtype=torch.float64, device=x.device)
    frames = x.double().reshape(-1, x.shape[-1]).unfold(-1, n_fft, check_int("hop", hop, 1))
    return torch.fft.rfft(frames * window, dim=-1).abs().pow(2) / window.pow(2).sum()


def average_spectrum(
    x: torch.Tensor, sample_rate: float, n_fft: int = 1024
) -> tuple[torch.Tensor, torch.Tensor]:
    """Welch power spectrum of signals x (..., L): Hann frames of ``n_fft`` at half overlap.

    Returns:
        (freqs (n_fft // 2 + 1,) in Hz, power (n_fft // 2 + 1,) float64, mean over frames and
        signals; units of x squared per bin).
    """
    power = _frames(x, n_fft, n_fft // 2).mean(dim=(0, 1))
    freqs = torch.fft.rfftfreq(n_fft, 1 / check_positive("sample_rate", sample_rate), dtype=torch.float64)
    return freqs, power.cpu()


def spectrogram(
    x: torch.Tensor, sample_rate: float, n_fft: int = 512, hop: int = 128
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Log-power spectrogram of one signal x (L,): (dB (freqs, frames), freqs in Hz, frame times in s)."""
    x = check_tensor("x", x, 1)
    if x.dim() != 1:
        raise ValueError(f"x must be one signal (L,), got shape {tuple(x.shape)}")
    power = _frames(x, n_fft, hop)[0].T
    rate = check_positive("sample_rate", sample_rate)
    freqs = torch.fft.rfftfreq(n_fft, 1 / rate, dtype=torch.float64)
    times = (torch.arange(power.shape[1], dtype=torch.float64) * hop + n_fft / 2) / rate
    return 10 * torch.log10(power.clamp_min(1e-12)).cpu(), freqs, times


def _neighbourhood(power: torch.Tensor, width: int) -> torch.Tensor:
    """Median power of the ``width`` bins on each side of every bin (itself and its direct
    neighbours excluded, so the bin's own leakage does not count), reflected at the ends."""
    padded = torch.cat([power[1 : width + 2].flip(0), power, power[-width - 2 : -1].flip(0)])
    windows = padded.unfold(0, 2 * width + 3, 1)
    neighbours = torch.cat([windows[:, :width], windows[:, width + 3 :]], dim=1)
    return neighbours.median(dim=1).values


def tone_prominence(freqs: torch.Tensor, power: torch.Tensor, tone_hz: float, width: int = 8) -> float:
    """dB by which the power at the bin nearest ``tone_hz`` exceeds the median of its neighbourhood
    (``width`` bins each side, the bin's direct neighbours excluded). 0 dB: no tone there."""
    check_positive("tone_hz", tone_hz)
    k = int(torch.argmin((freqs - tone_hz).abs()))
    k_max = int(torch.argmax(power[max(0, k - 1) : k + 2])) + max(0, k - 1)  # the tone may straddle bins
    level = _neighbourhood(power, check_int("width", width, 1))[k_max]
    return float(10 * torch.log10(power[k_max].clamp_min(1e-30) / level.clamp_min(1e-30)))


def spectral_peaks(
    freqs: torch.Tensor, power: torch.Tensor, threshold_db: float = 10.0, width: int = 8
) -> list[float]:
    """Frequencies (Hz) of local maxima standing ``threshold_db`` above their neighbourhood; DC excluded."""
    prominence = 10 * torch.log10(power.clamp_min(1e-30) / _neighbourhood(power, width).clamp_min(1e-30))
    local = torch.ones_like(power, dtype=torch.bool)
    local[1:] &= power[1:] >= power[:-1]
    local[:-1] &= power[:-1] >= power[1:]
    found = (prominence >= threshold_db) & local
    found[0] = False
    return [float(f) for f in freqs[found]]


def interpolation_response(mode: str, scale: int, n_fft: int = 4096) -> tuple[torch.Tensor, torch.Tensor]:
    """Measured gain of ``F.interpolate(x, scale_factor=scale, mode=mode)`` per output frequency.

    Upsamples one impulse: the output is the interpolation kernel, whose spectrum (divided by the
    scale, so a constant keeps gain 1) is the gain a sinusoid of that frequency gets.

    Returns:
        (freqs in cycles per *output* sample, 0 .. 0.5, gain >= 0), both float64 (n_fft // 2 + 1,).
    """
    if mode not in ("nearest", "linear"):
        raise ValueError(f"mode must be 'nearest' or 'linear', got {mode!r}")
    s = check_int("scale", scale, 1)
    n_in = check_int("n_fft", n_fft, 16) // s
    impulse = torch.zeros(1, 1, n_in, dtype=torch.float64)
    impulse[..., n_in // 2] = 1
    extra = {} if mode == "nearest" else {"align_corners": False}
    kernel = torch.nn.functional.interpolate(impulse, scale_factor=s, mode=mode, **extra)[0, 0]
    gain = torch.fft.rfft(kernel, n=n_in * s).abs() / s
    return torch.fft.rfftfreq(n_in * s, dtype=torch.float64), gain


def interpolation_theory(mode: str, scale: int, freqs: torch.Tensor) -> torch.Tensor:
    """The gain of nearest and linear upsampling by ``scale``, f in cycles per output sample.

    Nearest repeats each sample s times: a box of s taps, gain |D_s(f)| = |sin(pi f s) /
    (s sin(pi f))| (the periodic sinc). Linear interpolation (``align_corners=False``) weighs the two
    nearest inputs: a triangle, box * box, gain D_s(f)^2 (a sinc^2); for even s its taps sit half a
    sample off the grid, one more two-tap average: times |cos(pi f)|.
    """
    if mode not in ("nearest", "linear"):
        raise ValueError(f"mode must be 'nearest' or 'linear', got {mode!r}")
    s = check_int("scale", scale, 1)
    f = torch.as_tensor(freqs, dtype=torch.float64)
    safe = torch.where(f == 0, torch.ones_like(f), f)
    box = torch.where(
        f == 0, torch.ones_like(f), torch.sin(math.pi * safe * s) / (s * torch.sin(math.pi * safe))
    )
    if mode == "nearest":
        return box.abs()
    return box.pow(2) * (torch.cos(math.pi * f).abs() if s % 2 == 0 else 1.0)


def log_spectral_distance(output: torch.Tensor, target: torch.Tensor, n_fft: int = 512) -> float:
    """sqrt(mean over frames, bins and signals of (10 log10 P_out - 10 log10 P_target)^2), in dB."""
    if output.shape != target.shape:
        raise ValueError(f"output {tuple(output.shape)} and target {tuple(target.shape)} differ in shape")
    a, b = _frames(output, n_fft, n_fft // 4), _frames(target, n_fft, n_fft // 4)
    floor = 1e-10 * float(b.max())
    diff = 10 * torch.log10(a + floor) - 10 * torch.log10(b + floor)
    return float(diff.pow(2).mean().sqrt())


def band_energy_error(
    output: torch.Tensor,
    target: torch.Tensor,
    sample_rate: float,
    low_hz: float,
    high_hz: float | None = None,
) -> float:
    """10 log10(energy of output / energy of target) in the band [low_hz, high_hz) Hz (default up to
    Nyquist): 0 dB when the band's energy is right, negative when the output lacks it."""
    if output.shape != target.shape:
        raise ValueError(f"output {tuple(output.shape)} and target {tuple(target.shape)} differ in shape")
    rate = check_positive("sample_rate", sample_rate)
    freqs = torch.fft.rfftfreq(output.shape[-1], 1 / rate, dtype=torch.float64)
    band = (freqs >= low_hz) & (freqs < (high_hz if high_hz is not None else rate))
    if not bool(band.any()):
        raise ValueError(f"no frequency bin in [{low_hz}, {high_hz}) Hz at sample_rate={rate}")
    energy = [torch.fft.rfft(v.double(), dim=-1).abs().pow(2)[..., band].sum() for v in (output, target)]
    return float(10 * torch.log10(energy[0].clamp_min(1e-30) / energy[1].clamp_min(1e-30)))
