"""Checkerboard metrics: polyphase means, the checkerboard index, and power spectra.

The **checkerboard index at period p** of a signal x (the last ``ndim`` dimensions of a
tensor; every leading dimension, e.g. batch and channel, is a separate signal):

1. crop x to a multiple of p along each axis (top-left aligned) and split it into its
   p**ndim polyphase components (pixels with the same (i mod p, j mod p));
2. the periodic part is the array of their means minus its mean;
3. the index is the rms of the periodic part divided by the standard deviation of x.

Equivalently, index**2 is the fraction of the signal's non-DC energy that sits at the
aliasing frequencies (multiples of N/p, DC excluded) of its discrete Fourier transform
(:func:`aliasing_energy_fraction`). It is 0 for a signal with no period-p structure up to a
noise floor (:func:`checkerboard_floor`) and, for x = smooth + a * checkerboard, the rms of
the periodic part (:func:`checkerboard_amplitude`) recovers a.
"""

from __future__ import annotations

import math

import torch

from ._validate import check_choice, check_int, check_tensor


def prepare_periodic(
    x: object, period: int, ndim: int, name: str = "x"
) -> tuple[torch.Tensor, int, int]:
    """Validate (x, period, ndim) and crop x to a multiple of the period along each axis."""
    ndim = check_int("ndim", ndim, 1, 2)
    x = check_tensor(name, x, min_rank=ndim)
    period = check_int("period", period, 2)
    sizes = x.shape[-ndim:]
    if min(sizes) < period:
        raise ValueError(
            f"period must be at most the signal size along every axis: period={period} but "
            f"{name} has spatial shape {tuple(sizes)} (last {ndim} dimension(s) of {tuple(x.shape)})"
        )
    crop = [slice(None)] * (x.dim() - ndim) + [slice(0, (n // period) * period) for n in sizes]
    return x[tuple(crop)], period, ndim


def polyphase_means(x: torch.Tensor, period: int = 2, ndim: int = 2) -> torch.Tensor:
    """Mean of each polyphase component.

    Args:
        x: tensor (..., H, W) for ``ndim=2`` or (..., L) for ``ndim=1``.
        period: p >= 2, at most the signal size.

    Returns:
        (..., p, p) (or (..., p)): entry [r, c] is the mean of x[..., r::p, c::p] after
        cropping x to a multiple of p.
    """
    x, p, ndim = prepare_periodic(x, period, ndim)
    lead = x.shape[:-ndim]
    if ndim == 1:
        return x.reshape(*lead, -1, p).mean(dim=-2)
    h, w = x.shape[-2:]
    blocks = x.reshape(*lead, h // p, p, w // p, p)
    return blocks.mean(dim=(-4, -2))


def periodic_part(x: torch.Tensor, period: int = 2, ndim: int = 2) -> torch.Tensor:
    """Polyphase means minus their mean: the period-p pattern in x, shape (..., p, p) or (..., p)."""
    means = polyphase_means(x, period, ndim)
    axes = tuple(range(-ndim, 0))
    return means - means.mean(dim=axes, keepdim=True)


def _rms(t: torch.Tensor, ndim: int) -> torch.Tensor:
    return t.pow(2).mean(dim=tuple(range(-ndim, 0))).sqrt()


def checkerboard_amplitude(x: torch.Tensor, period: int = 2, ndim: int = 2) -> torch.Tensor:
    """Rms of the periodic part, in the units of x: shape (...) (one value per signal)."""
    return _rms(periodic_part(x, period, ndim), ndim)


def checkerboard_index(
    x: torch.Tensor, period: int = 2, reduce: str = "mean", ndim: int = 2
) -> torch.Tensor:
    """Checkerboard index at ``period`` (dimensionless, 0 = no period-p structure).

    Args:
        x: (..., H, W) for ``ndim=2`` or (..., L) for ``ndim=1``; leading dimensions are
            independent signals (e.g. batch, channel).
        period: p >= 2, at most the signal size.
        reduce: ``'mean'`` averages the per-signal indices into a scalar; ``'none'`` returns
            them with shape (...); ``'batch'`` averages the periodic parts over the first
            dimension (the batch) before taking the rms, which keeps only the artifact that
            every image shares and averages away image content; returns the mean over the
            remaining leading dimensions (e.g. channels) as a scalar.

    Returns:
        float tensor: a scalar for 'mean' and 'batch', shape (...) for 'none'. A constant
        signal has index 0.
    """
    check_choice("reduce", reduce, ("mean", "none", "batch"))
    x, period, ndim = prepare_periodic(x, period, ndim)
    axes = tuple(range(-ndim, 0))
    std = x.std(dim=axes, unbiased=False)
    part = periodic_part(x, period, ndim)
    if reduce == "batch":
        if x.dim() < ndim + 1:
            raise ValueError(
                "reduce='batch' needs a batch dimension: x must have shape (B, ..., H, W) "
                f"(or (B, ..., L) for ndim=1), got {tuple(x.shape)}"
            )
        rms = _rms(part.mean(dim=0), ndim)
        scale = std.pow(2).mean(dim=0).sqrt()
        index = torch.where(scale > 0, rms / scale.clamp_min(1e-30), torch.zeros_like(rms))
        return index.mean()
    rms = _rms(part, ndim)
    index = torch.where(std > 0, rms / std.clamp_min(1e-30), torch.zeros_like(rms))
    return index.mean() if reduce == "mean" else index


def checkerboard_floor(shape: tuple[int, ...] | list[int], period: int = 2) -> float:
    """Expected index of white noise of this spatial shape: sqrt((p**d - 1) / n).

    n is the number of pixels after cropping to a multiple of p and d = len(shape). Signals
    without period-p structure stay near or below it; it shrinks like 1/sqrt(n).
    """
    dims = [check_int(f"shape[{i}]", n, 1) for i, n in enumerate(shape)]
    if not 1 <= len(dims) <= 2:
        raise ValueError(f"shape must be the spatial shape (L,) or (H, W), got {tuple(dims)}")
    p = check_int("period", period, 2)
    if min(dims) < p:
        raise ValueError(f"period={p} is larger than the shape {tuple(dims)}")
    n = math.prod((d // p) * p for d in dims)
    return math.sqrt((p ** len(dims) - 1) / n)


def power_spectrum(x: torch.Tensor, ndim: int = 2, remove_mean: bool = True) -> torch.Tensor:
    """Power spectrum |FFT(x)|**2 / n over the last ``ndim`` dimensions, DC at the centre.

    Args:
        x: (..., H, W) or (..., L).
        remove_mean: subtract each signal's mean first so the DC bin does not dominate plots.

    Returns:
        float tensor of the same shape as x, ``fftshift``-ed: frequency 0 sits at index
        n // 2 along each axis, frequency f (cycles/pixel) at n // 2 + f * n.
    """
    ndim = check_int("ndim", ndim, 1, 2)
    x = check_tensor("x", x, min_rank=ndim)
    axes = tuple(range(-ndim, 0))
    if remove_mean:
        x = x - x.mean(dim=axes, keepdim=True)
    spectrum = torch.fft.fftn(x, dim=axes)
    n = math.prod(x.shape[-ndim:])
    return torch.fft.fftshift(spectrum.abs().pow(2) / n, dim=axes)


def radial_profile(spectrum: torch.Tensor, ndim: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    """Azimuthal average of a centred spectrum (as from :func:`power_spectrum`).

    Bins are integer distances r from the centre, up to the corners (a period-2 checkerboard
    sits at the corner, r = N / sqrt(2) for an N x N image).

    Returns:
        (frequencies, profile): frequencies in cycles/pixel, shape (R,), r / N for a square
        N x N spectrum (r / min(H, W) otherwise); profile of shape (..., R), the mean power in
        each ring (rings with no pixel get 0).
    """
    ndim = check_int("ndim", ndim, 1, 2)
    spectrum = check_tensor("spectrum", spectrum, min_rank=ndim)
    sizes = spectrum.shape[-ndim:]
    device = spectrum.device
    grids = torch.meshgrid(
        *[torch.arange(n, device=device, dtype=torch.float64) - n // 2 for n in sizes],
        indexing="ij",
    )
    radius = torch.sqrt(sum(g**2 for g in grids)).round().long().reshape(-1)
    n_bins = int(radius.max()) + 1
    flat = spectrum.reshape(*spectrum.shape[:-ndim], -1).to(torch.float64)
    counts = torch.bincount(radius, minlength=n_bins).to(torch.float64)
    sums = torch.zeros(*flat.shape[:-1], n_bins, dtype=torch.float64, device=device)
    sums.index_add_(-1, radius, flat)
    profile = torch.where(counts > 0, sums / counts.clamp_min(1), torch.zeros_like(sums))
    freqs = torch.arange(n_bins, dtype=torch.float64, device=device) / min(sizes)
    return freqs.to(spectrum.dtype), profile.to(spectrum.dtype)


def aliasing_energy_fraction(x: torch.Tensor, period: int = 2, ndim: int = 2) -> torch.Tensor:
    """Fraction of non-DC spectral energy at the aliasing frequencies of ``period``.

    The aliasing frequencies are the multiples of N/p along each axis (DC excluded), where
    the spectrum of the cropped signal (size a multiple of p) is taken. Equals
    ``checkerboard_index(x, period, 'none') ** 2``; shape (...).
    """
    x, period, ndim = prepare_periodic(x, period, ndim)
    axes = tuple(range(-ndim, 0))
    x = x - x.mean(dim=axes, keepdim=True)
    energy = torch.fft.fftn(x, dim=axes).abs().pow(2)
    sizes = x.shape[-ndim:]
    aliased = energy[(...,) + tuple(slice(0, n, n // period) for n in sizes)]
    total = energy.sum(dim=axes)
    alias = aliased.sum(dim=axes)
    return torch.where(total > 0, alias / total.clamp_min(1e-30), torch.zeros_like(total))


def rank_correlation(a: object, b: object) -> float:
    """Spearman rank correlation of two equal-length 1D sequences (ties get average ranks).

    Used to ask whether a measured artifact "follows" a predicted quantity; in [-1, 1].
    """
    x = check_tensor("a", a).reshape(-1).to(torch.float64)
    y = check_tensor("b", b).reshape(-1).to(torch.float64)
    if x.numel() != y.numel() or x.numel() < 2:
        raise ValueError(
            f"a and b must have the same length >= 2, got {x.numel()} and {y.numel()}"
        )

    def ranks(v: torch.Tensor) -> torch.Tensor:
        order = torch.argsort(v)
        r = torch.empty_like(v)
        r[order] = torch.arange(v.numel(), dtype=v.dtype, device=v.device)
        for value in torch.unique(v):  # average ranks of ties
            tied = v == value
            r[tied] = r[tied].mean()
        return r

    rx, ry = ranks(x), ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    denom = (rx.pow(2).sum() * ry.pow(2).sum()).sqrt()
    return 0.0 if denom == 0 else float((rx * ry).sum() / denom)
