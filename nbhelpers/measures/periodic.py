"""Period-p structure in a signal: polyphase means, the checkerboard index and its noise floor.

The **checkerboard index at period p** of a signal x (the last ``ndim`` dimensions of a
tensor; every leading dimension, e.g. batch and channel, is a separate signal):

1. drop ``border`` samples on each side, crop to a multiple of p (top-left aligned) and split
   x into its p**ndim polyphase components (pixels with the same (i mod p, j mod p));
2. the periodic part is the array of their means minus its mean;
3. the index is the rms of the periodic part divided by the standard deviation of x.

Equivalently, index**2 is the fraction of the signal's non-DC energy that sits at the
aliasing frequencies (multiples of N/p, DC excluded) of its discrete Fourier transform
(:func:`aliasing_energy_fraction`). With ``exact=True`` only the frequencies whose period is
*exactly* p count (what is new at period 4, not the period-2 structure it also contains);
over the divisors d > 1 of p the squared exact indices add up to the index at p.

``ndim`` is keyword-only and has no default: an (H, W) tensor is an image for ``ndim=2`` and
H separate rows for ``ndim=1``, and no call can pick one silently.

Return types: every function of a tensor returns a tensor (0-dimensional when reduced; use
``float(...)`` for a number); :func:`checkerboard_floor` depends only on a shape and returns
a float.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from .._validate import check_choice, check_int, check_tensor

REDUCTIONS = ("mean", "none", "batch")


# ----------------------------------------------------------------------------- frequencies


def divisor_periods(period: int) -> list[int]:
    """The divisors d > 1 of ``period`` in increasing order: the periods a stack can show."""
    p = check_int("period", period, 1)
    return [d for d in range(2, p + 1) if p % d == 0]


def _bin_periods(n: int, device: torch.device | None = None) -> torch.Tensor:
    """Period n / gcd(a, n) of each DFT bin a = 0..n-1 of a length-n signal (bin 0: period 1)."""
    a = torch.arange(n, device=device)
    return n // torch.gcd(a, torch.full_like(a, n))


def _period_mask(sizes: Sequence[int], period: int, exact: bool, device: torch.device | None) -> torch.Tensor:
    """Boolean mask over the DFT bins of a signal of ``sizes``: the bins of period exactly p
    (``exact``) or of any period d > 1 that divides p (the aliasing frequencies)."""
    combined = torch.ones((), dtype=torch.long, device=device)
    for axis, n in enumerate(sizes):
        view = [1] * len(sizes)
        view[axis] = n
        combined = torch.lcm(combined, _bin_periods(n, device).view(view))
    if exact:
        return combined == period
    return (combined > 1) & (period % combined == 0)


# ----------------------------------------------------------------------------- validation


def _prepare(x: object, period: object, ndim: object, border: object = 0) -> tuple[torch.Tensor, int, int]:
    """Validate once at the public boundary; return x cropped by ``border`` and to a multiple of p."""
    ndim = check_int("ndim", ndim, 1, 2)
    x = check_tensor("x", x, min_rank=ndim)
    p = check_int("period", period, 2)
    b = check_int("border", border, 0)
    sizes = [n - 2 * b for n in x.shape[-ndim:]]
    if min(sizes) < p:
        raise ValueError(
            f"period={p} with border={b} does not fit the signal: x has spatial shape "
            f"{tuple(x.shape[-ndim:])} (the last {ndim} dimension(s) of {tuple(x.shape)}, ndim={ndim})"
        )
    crop = [slice(None)] * (x.dim() - ndim) + [slice(b, b + (n // p) * p) for n in sizes]
    return x[tuple(crop)], p, ndim


def _axes(ndim: int) -> tuple[int, ...]:
    return tuple(range(-ndim, 0))


# ----------------------------------------------------------------------------- private cores


def _polyphase_means(x: torch.Tensor, p: int, ndim: int) -> torch.Tensor:
    lead = x.shape[:-ndim]
    if ndim == 1:
        return x.reshape(*lead, -1, p).mean(dim=-2)
    h, w = x.shape[-2:]
    return x.reshape(*lead, h // p, p, w // p, p).mean(dim=(-4, -2))


def _periodic_part(x: torch.Tensor, p: int, ndim: int) -> torch.Tensor:
    means = _polyphase_means(x, p, ndim)
    return means - means.mean(dim=_axes(ndim), keepdim=True)


def _structure_rms(x: torch.Tensor, p: int, ndim: int, exact: bool, over_batch: bool) -> torch.Tensor:
    """Rms (in x's units) of the period-p structure of each signal of a cropped x; with
    ``over_batch`` the structure is averaged over the first dimension before the rms."""
    axes = _axes(ndim)
    if not exact:
        part = _periodic_part(x, p, ndim)
        if over_batch:
            part = part.mean(dim=0)
        return part.pow(2).mean(dim=axes).sqrt()
    spectrum = torch.fft.fftn(x.to(torch.float64), dim=axes)
    if over_batch:
        spectrum = spectrum.mean(dim=0)
    mask = _period_mask(x.shape[-ndim:], p, True, x.device)
    energy = (spectrum.abs().pow(2) * mask).sum(dim=axes)
    n = math.prod(x.shape[-ndim:])
    return (energy.sqrt() / n).to(x.dtype)


def _ratio(num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    """num / den, 0 where den is 0 (a constant signal has no pattern)."""
    return torch.where(den > 0, num / den.clamp_min(1e-30), torch.zeros_like(num))


# ----------------------------------------------------------------------------- public measures


def polyphase_means(x: torch.Tensor, period: int = 2, *, ndim: int) -> torch.Tensor:
    """Mean of each polyphase component.

    Args:
        x: (..., H, W) for ``ndim=2`` or (..., L) for ``ndim=1``.
        period: p >= 2, at most the signal size.
        ndim: 1 or 2 spatial dimensions (keyword-only, required).

    Returns:
        tensor (..., p, p) (or (..., p)): entry [r, c] is the mean of x[..., r::p, c::p] after
        cropping x to a multiple of p, in x's units.
    """
    x, p, ndim = _prepare(x, period, ndim)
    return _polyphase_means(x, p, ndim)


def periodic_part(x: torch.Tensor, period: int = 2, *, ndim: int) -> torch.Tensor:
    """Polyphase means minus their mean: the period-p pattern in x.

    Returns:
        tensor (..., p, p) or (..., p), in x's units; zero for a signal without period-p structure.
    """
    x, p, ndim = _prepare(x, period, ndim)
    return _periodic_part(x, p, ndim)


def checkerboard_amplitude(
    x: torch.Tensor, period: int = 2, *, ndim: int, exact: bool = False, border: int = 0
) -> torch.Tensor:
    """Rms of the period-p pattern of each signal, in the units of x.

    For x = smooth + a * checkerboard it recovers a. With ``exact=True`` only the part whose
    period is exactly p counts (its Fourier components of period p).

    Args:
        x: (..., H, W) or (..., L).
        period: p >= 2.
        ndim: 1 or 2 (keyword-only, required).
        exact: count only frequencies of period exactly p.
        border: samples dropped on each side before measuring (>= 0).

    Returns:
        tensor of shape (...): one amplitude per signal.
    """
    x, p, ndim = _prepare(x, period, ndim, border)
    return _structure_rms(x, p, ndim, bool(exact), over_batch=False)


def checkerboard_index(
    x: torch.Tensor,
    period: int = 2,
    *,
    ndim: int,
    reduce: str = "mean",
    exact: bool = False,
    border: int = 0,
) -> torch.Tensor:
    """Checkerboard index at ``period``: rms of the period-p pattern / standard deviation of x.

    Dimensionless, 0 for no period-p structure (up to :func:`checkerboard_floor`), 1 for a
    pure period-p pattern.

    Args:
        x: (..., H, W) for ``ndim=2`` or (..., L) for ``ndim=1``; leading dimensions are
            independent signals (e.g. batch, channel).
        period: p >= 2, at most the (cropped) signal size.
        ndim: 1 or 2 spatial dimensions (keyword-only, required).
        reduce: ``'mean'`` averages the per-signal indices; ``'none'`` keeps them, shape (...);
            ``'batch'`` averages the pattern over the first dimension (the batch) before the
            rms and divides by the rms over the batch of each signal's standard deviation, which
            keeps only the artifact every signal shares (the architecture's, not the content's),
            then averages over the remaining leading dimensions (e.g. channels).
        exact: count only the frequencies whose period is exactly p.
        border: samples dropped on each side before measuring (>= 0), to keep border effects out.

    Returns:
        float tensor: 0-dimensional for 'mean' and 'batch', shape (...) for 'none'.
    """
    check_choice("reduce", reduce, REDUCTIONS)
    x, p, ndim = _prepare(x, period, ndim, border)
    over_batch = reduce == "batch"
    if over_batch and x.dim() < ndim + 1:
        raise ValueError(f"reduce='batch' needs a batch dimension before the {ndim} spatial one(s), "
                         f"got shape {tuple(x.shape)}")
    var = x.var(dim=_axes(ndim), unbiased=False)
    if over_batch:
        var = var.mean(dim=0)
    index = _ratio(_structure_rms(x, p, ndim, bool(exact), over_batch), var.sqrt())
    return index if reduce == "none" else index.mean()


def checkerboard_floor(
    shape: Sequence[int], period: int = 2, *, exact: bool = False, batch: int = 1, border: int = 0
) -> float:
    """Expected :func:`checkerboard_index` of white noise of this spatial shape: sqrt(m / ((n - 1) B)).

    n is the number of samples after dropping ``border`` on each side and cropping to a multiple
    of p, m the number of DFT bins the index counts (p**d - 1 aliasing frequencies, or the bins
    of exact period p) and B the number of signals averaged by ``reduce='batch'``. Signals
    without period-p structure sit near or below it; it shrinks like 1 / sqrt(n B).

    Args:
        shape: spatial shape (L,) or (H, W).
        period, exact, border: as in :func:`checkerboard_index`.
        batch: B >= 1 (1 for a per-signal index).

    Returns:
        a float (it depends only on the shape).
    """
    dims = [check_int(f"shape[{i}]", n, 1) for i, n in enumerate(shape)]
    if not 1 <= len(dims) <= 2:
        raise ValueError(f"shape must be the spatial shape (L,) or (H, W), got {tuple(dims)}")
    p = check_int("period", period, 2)
    b = check_int("border", border, 0)
    batch = check_int("batch", batch, 1)
    sizes = [d - 2 * b for d in dims]
    if min(sizes) < p:
        raise ValueError(f"period={p} with border={b} does not fit the shape {tuple(dims)}")
    sizes = [(n // p) * p for n in sizes]
    m = int(_period_mask(sizes, p, bool(exact), None).sum())
    return math.sqrt(m / ((math.prod(sizes) - 1) * batch))


def aliasing_energy_fraction(x: torch.Tensor, period: int = 2, *, ndim: int) -> torch.Tensor:
    """Fraction of the non-DC spectral energy at the aliasing frequencies of ``period``.

    The aliasing frequencies are the multiples of N/p along each axis (DC excluded) of the
    spectrum of x cropped to a multiple of p. Computed with the FFT, independently of the
    polyphase means: it equals ``checkerboard_index(x, p, ndim=ndim, reduce='none') ** 2``.

    Returns:
        tensor of shape (...), values in [0, 1].
    """
    x, p, ndim = _prepare(x, period, ndim)
    axes = _axes(ndim)
    energy = torch.fft.fftn(x - x.mean(dim=axes, keepdim=True), dim=axes).abs().pow(2)
    aliased = energy[(...,) + tuple(slice(0, n, n // p) for n in x.shape[-ndim:])]
    return _ratio(aliased.sum(dim=axes), energy.sum(dim=axes))


def phase_ratio(x: torch.Tensor, period: int = 2, *, ndim: int) -> torch.Tensor:
    """How many times the strongest phase's mean exceeds the weakest's: max / min polyphase mean.

    The polyphase means are averaged over every leading dimension (batch, channels) first. For
    gradient magnitudes (pass ``grads.abs()``) it reads "some pixels get N times the gradient
    of their neighbours". 1 when every phase gets the same; inf when a phase gets nothing.

    Args:
        x: (..., H, W) or (..., L), non-negative (e.g. magnitudes).
        period: p >= 2.
        ndim: 1 or 2 (keyword-only, required).

    Returns:
        0-dimensional tensor (dimensionless, >= 1 for non-negative x).
    """
    x, p, ndim = _prepare(x, period, ndim)
    means = _polyphase_means(x, p, ndim).reshape(-1, *(p,) * ndim).mean(dim=0)
    low, high = means.min(), means.max()
    if not bool(high > 0):  # nothing anywhere: every phase gets the same
        return torch.ones_like(high)
    return torch.where(low > 0, high / low.clamp_min(1e-30), torch.full_like(high, math.inf))
