"""Spectra: the power spectrum, its azimuthal (radial) average, and the gain of a box filter.

Frequencies are in cycles per sample (cycles/pixel): 0 is the mean, 0.5 the fastest pattern a
grid can hold (period 2). A period-p artifact puts its power at multiples of 1/p.
"""

from __future__ import annotations

import math

import torch

from .._validate import check_int, check_tensor


def power_spectrum(x: torch.Tensor, *, ndim: int, remove_mean: bool = True) -> torch.Tensor:
    """Power spectrum |FFT(x)|**2 / n over the last ``ndim`` dimensions, DC at the centre.

    Args:
        x: (..., H, W) for ``ndim=2`` or (..., L) for ``ndim=1``.
        ndim: 1 or 2 (keyword-only, required).
        remove_mean: subtract each signal's mean first so the DC bin does not dominate plots.

    Returns:
        float tensor of the shape of x, ``fftshift``-ed: frequency 0 sits at index n // 2 along
        each axis of length n, frequency f (cycles/sample) at n // 2 + f * n. Units: x's squared.
    """
    ndim = check_int("ndim", ndim, 1, 2)
    x = check_tensor("x", x, min_rank=ndim)
    axes = tuple(range(-ndim, 0))
    if remove_mean:
        x = x - x.mean(dim=axes, keepdim=True)
    spectrum = torch.fft.fftn(x, dim=axes)
    n = math.prod(x.shape[-ndim:])
    return torch.fft.fftshift(spectrum.abs().pow(2) / n, dim=axes)


def radial_profile(spectrum: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Azimuthal average of a centred 2D spectrum (as from :func:`power_spectrum`, ``ndim=2``).

    Each bin (i, j) of an H x W spectrum has the frequency sqrt(fy**2 + fx**2) in cycles/pixel,
    fy = (i - H//2) / H and fx = (j - W//2) / W, so non-square images are measured in the same
    units as square ones. Rings are 1 / min(H, W) wide (the coarser axis' resolution); a
    period-2 checkerboard sits in the ring at sqrt(2)/2 for every H and W.

    Args:
        spectrum: (..., H, W) centred power spectrum.

    Returns:
        (frequencies, profile): frequencies (R,) in cycles/pixel, the centres r / min(H, W) of
        the rings up to the corner; profile (..., R), the mean power in each ring (0 for a ring
        that holds no bin).
    """
    spectrum = check_tensor("spectrum", spectrum, min_rank=2)
    h, w = spectrum.shape[-2:]
    device = spectrum.device
    fy = (torch.arange(h, device=device, dtype=torch.float64) - h // 2) / h
    fx = (torch.arange(w, device=device, dtype=torch.float64) - w // 2) / w
    radius = torch.sqrt(fy.view(-1, 1) ** 2 + fx.view(1, -1) ** 2)
    step = 1.0 / min(h, w)
    ring = (radius / step).round().long().reshape(-1)
    n_rings = int(ring.max()) + 1
    flat = spectrum.reshape(*spectrum.shape[:-2], -1).to(torch.float64)
    counts = torch.bincount(ring, minlength=n_rings).to(torch.float64)
    sums = torch.zeros(*flat.shape[:-1], n_rings, dtype=torch.float64, device=device)
    sums.index_add_(-1, ring, flat)
    profile = torch.where(counts > 0, sums / counts.clamp_min(1), torch.zeros_like(sums))
    freqs = torch.arange(n_rings, dtype=torch.float64, device=device) * step
    return freqs.to(spectrum.dtype), profile.to(spectrum.dtype)


def high_frequency_share(x: torch.Tensor, cutoff: float = 0.35, *, ndim: int) -> torch.Tensor:
    """Fraction of a signal's (non-DC) power at frequencies above ``cutoff`` cycles/sample.

    Grid-independent, unlike the checkerboard index: a pattern at any phase and any high
    frequency counts, e.g. the gradient max pooling routes to the arg-max pixel of each window.
    The frequency of a bin is its radial frequency sqrt(fy**2 + fx**2) (|f| in 1D). White noise
    spreads its power evenly, so its share is the fraction of bins above the cut-off (about 0.61
    for 0.35 in 2D): compare with ``high_frequency_share(noise, cutoff, ndim=...)``.

    Args:
        x: (..., H, W) for ``ndim=2`` or (..., L) for ``ndim=1``.
        cutoff: frequency in cycles/sample, between 0 and sqrt(ndim) / 2.
        ndim: 1 or 2 (keyword-only, required).

    Returns:
        tensor of shape (...), values in [0, 1]; 0 for a constant signal.
    """
    ndim = check_int("ndim", ndim, 1, 2)
    x = check_tensor("x", x, min_rank=ndim)
    highest = math.sqrt(ndim) / 2
    if isinstance(cutoff, bool) or not isinstance(cutoff, (int, float)) or not 0 < cutoff < highest:
        raise ValueError(f"cutoff must be a frequency between 0 and {highest:.3g} cycles/sample, "
                         f"got {cutoff!r}")
    axes = tuple(range(-ndim, 0))
    power = torch.fft.fftn(x - x.mean(dim=axes, keepdim=True), dim=axes).abs().pow(2)
    freqs = [torch.fft.fftfreq(n, device=x.device) for n in x.shape[-ndim:]]
    grid = torch.meshgrid(*freqs, indexing="ij")
    high = (torch.sqrt(sum(g**2 for g in grid)) > cutoff).to(power.dtype)
    total = power.sum(dim=axes)
    share = (power * high).sum(dim=axes) / total.clamp_min(1e-30)
    return torch.where(total > 0, share, torch.zeros_like(share))


def box_filter_response(size: int, freqs: object) -> torch.Tensor:
    """Normalised magnitude response |H(f)| / m of a length-m box filter (all-ones, stride 1).

    |H(f)| / m = |sin(pi f m)| / (m |sin(pi f)|), and 1 at integer f.

    Args:
        size: m >= 1.
        freqs: frequencies in cycles/sample, any shape (tensor or array-like).

    Returns:
        float64 tensor of the shape of ``freqs`` with values in [0, 1] (1 at f = 0).
    """
    m = check_int("size", size, 1)
    f = check_tensor("freqs", freqs, min_rank=0).to(torch.float64)
    num = torch.sin(torch.pi * f * m)
    den = m * torch.sin(torch.pi * f)
    near_integer = (f - f.round()).abs() < 1e-12
    return torch.where(near_integer, torch.ones_like(f), (num / torch.where(near_integer, 1.0, den)).abs())


def stride1_response(period: int, size: int, harmonic: int = 1) -> float:
    """Gain of a stride-1 all-ones layer of ``size`` m at the frequency ``harmonic / period``.

    The layer is a box filter; relative to its gain at f = 0 (which is m), a period-p ripple
    keeps the fraction |sin(pi f m)| / (m |sin(pi f)|), f = harmonic / period. For a harmonic
    coprime to p it is exactly 0 when p divides m (the Distill article's "divides" rule), and
    strictly between 0 and 1 otherwise (m >= 2); m = 1 keeps everything (gain 1).

    Args:
        period: p >= 2, the artifact's period in output samples.
        size: m >= 1, the stride-1 layer's kernel size.
        harmonic: a in 1..p-1; the fundamental a = 1 by default.

    Returns:
        a float in [0, 1]; exactly 0.0 when p divides a * m.
    """
    p = check_int("period", period, 2)
    m = check_int("size", size, 1)
    a = check_int("harmonic", harmonic, 1, p - 1)
    if (a * m) % p == 0:
        return 0.0
    f = a / p
    return abs(math.sin(math.pi * f * m)) / (m * abs(math.sin(math.pi * f)))
