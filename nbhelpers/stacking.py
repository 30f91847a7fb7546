"""Stacks of transposed convolutions: compounding periods and stride-1 dampening.

A stack of stride-s transposed convolutions paints a pattern of period prod(s): two
stride-2 layers give period 4, three give period 8, and the pattern holds structure at
*every* divisor of that period (2, 4 and 8). This module measures that structure one period
at a time and shows what a final stride-1 layer of size m does to it.

**Exact period.** A frequency a/N (cycles/pixel) of a length-N signal repeats with period
N / gcd(a, N); in 2D the period of (a, b) is the lcm of the two axes' periods. The part of a
signal with *exact* period p is the sum of its Fourier components whose period is p.
Over the divisors d > 1 of p these parts add up, in energy, to the whole period-p
checkerboard index: ``sum_d exact_period_index(x, d)**2 == checkerboard_index(x, p)**2``.

**Stride-1 dampening.** A stride-1 layer of size m with all-ones weights is a box filter;
its DFT at frequency f is sum_{t<m} exp(-2 pi i f t), of magnitude
|sin(pi f m) / sin(pi f)|. At f = a/p (a coprime to p) this is zero exactly when p divides
m, which is the "divides" rule of the Distill article (:func:`stride1_response`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from ._validate import check_choice, check_int, check_layers, check_tensor
from .metrics import power_spectrum, prepare_periodic, radial_profile
from .overlap import IntOrSeq, coverage
from .runtime import get_device

__all__ = [
    "StackAnalysis",
    "analyze_stack",
    "box_filter_response",
    "divisor_periods",
    "exact_period_amplitude",
    "exact_period_index",
    "period_ripple",
    "stack_layers",
    "stack_response",
    "stride1_dampening",
    "stride1_response",
]


# --------------------------------------------------------------------------------------
# The stride-1 layer as a box filter
# --------------------------------------------------------------------------------------


def stride1_response(period: int, size: int, harmonic: int = 1) -> float:
    """Gain of a stride-1 all-ones layer of ``size`` m at the frequency ``harmonic / period``.

    The layer is a box filter; its DFT at f is sum_{t<m} exp(-2 pi i f t). The gain is
    normalised by the gain at f = 0 (which is m), so it reads "what fraction of a period-p
    ripple survives, relative to the mean":

        |sin(pi f m)| / (m |sin(pi f)|),   f = harmonic / period (cycles/pixel).

    For a harmonic coprime to p it is exactly 0 when p divides m, and strictly between 0
    and 1 otherwise (for m >= 2); m = 1 leaves everything as it was (gain 1).

    Args:
        period: p >= 2, the artifact's period in output pixels.
        size: m >= 1, the stride-1 layer's kernel size.
        harmonic: a in 1..p-1; the fundamental a = 1 by default.

    Returns:
        A float in [0, 1]; exactly 0.0 when p divides a * m.
    """
    p = check_int("period", period, 2)
    m = check_int("size", size, 1)
    a = check_int("harmonic", harmonic, 1, p - 1)
    if (a * m) % p == 0:
        return 0.0
    f = a / p
    return abs(math.sin(math.pi * f * m)) / (m * abs(math.sin(math.pi * f)))


def box_filter_response(size: int, freqs: object) -> torch.Tensor:
    """Normalised magnitude response |H(f)| / m of a length-m box filter at ``freqs``.

    Args:
        size: m >= 1.
        freqs: frequencies in cycles/pixel, any shape (tensor or array-like).

    Returns:
        float64 tensor of the shape of ``freqs`` with values in [0, 1] (1 at f = 0).
    """
    m = check_int("size", size, 1)
    f = check_tensor("freqs", freqs, min_rank=0).to(torch.float64)
    num = torch.sin(torch.pi * f * m)
    den = m * torch.sin(torch.pi * f)
    near_integer = (f - f.round()).abs() < 1e-12
    return torch.where(near_integer, torch.ones_like(f), (num / torch.where(near_integer, 1.0, den)).abs())


# --------------------------------------------------------------------------------------
# Exact-period metrics
# --------------------------------------------------------------------------------------


def divisor_periods(period: int) -> list[int]:
    """The divisors d > 1 of ``period`` in increasing order: the periods a stack can show."""
    p = check_int("period", period, 1)
    return [d for d in range(2, p + 1) if p % d == 0]


def _frequency_periods(n: int, device: torch.device) -> torch.Tensor:
    """Period N / gcd(a, N) of each DFT bin a = 0..N-1 (bin 0 has period 1)."""
    a = torch.arange(n, device=device)
    return n // torch.gcd(a, torch.full_like(a, n))


def _exact_period_parts(x: object, period: int, ndim: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Energy at exact period p, non-DC energy, and the mean of x (each of shape (...))."""
    x, p, ndim = prepare_periodic(x, period, ndim)
    x = x.to(torch.float64)
    axes = tuple(range(-ndim, 0))
    energy = torch.fft.fftn(x, dim=axes).abs().pow(2)
    periods = [_frequency_periods(n, x.device) for n in x.shape[-ndim:]]
    if ndim == 1:
        combined = periods[0]
    else:
        combined = torch.lcm(periods[0].view(-1, 1), periods[1].view(1, -1))
    mask = (combined == p).to(energy.dtype)
    n = math.prod(x.shape[-ndim:])
    exact = (energy * mask).sum(dim=axes)
    dc = energy[(...,) + (0,) * ndim]
    total = energy.sum(dim=axes) - dc
    return exact / n**2, total / n**2, x.mean(dim=axes)


def exact_period_amplitude(x: torch.Tensor, period: int, ndim: int = 1) -> torch.Tensor:
    """Rms of the part of x whose period is exactly ``period`` (in the units of x).

    Args:
        x: (..., L) for ``ndim=1`` or (..., H, W) for ``ndim=2``; cropped to a multiple of
            the period along each axis (top-left aligned), as in ``checkerboard_index``.
        period: p >= 2, at most the signal size.

    Returns:
        float64 tensor of shape (...): one value per signal.
    """
    exact, _total, _mean = _exact_period_parts(x, period, ndim)
    return exact.sqrt()


def exact_period_index(
    x: torch.Tensor, period: int, ndim: int = 1, reduce: str = "mean"
) -> torch.Tensor:
    """Checkerboard index restricted to the frequencies of exact period ``period``.

    It is the rms of the exact-period part divided by the standard deviation of x
    (dimensionless, 0..1). Unlike ``checkerboard_index(x, 4)``, which also counts the
    period-2 structure, the exact index at 4 only counts what is *new* at period 4.
    Over the divisors d > 1 of p: sum_d exact_period_index(x, d)**2 equals
    checkerboard_index(x, p)**2.

    Args:
        x: (..., L) or (..., H, W) with ``ndim`` 1 or 2.
        period: p >= 2, at most the signal size.
        reduce: 'mean' averages over the leading dimensions; 'none' keeps shape (...).

    Returns:
        float64 tensor: a scalar for 'mean', shape (...) for 'none'; 0 for a constant signal.
    """
    check_choice("reduce", reduce, ("mean", "none"))
    exact, total, _mean = _exact_period_parts(x, period, ndim)
    index = torch.where(total > 0, (exact / total.clamp_min(1e-300)).sqrt(), torch.zeros_like(total))
    return index.mean() if reduce == "mean" else index


def period_ripple(x: torch.Tensor, period: int, ndim: int = 1) -> torch.Tensor:
    """Exact-period ripple relative to the mean: exact_period_amplitude(x, p) / |mean(x)|.

    This is the measure a stride-1 layer acts on linearly: a box filter of size m scales the
    mean by m and a period-p component by |H(1/p)|, so the ripple is multiplied by
    :func:`stride1_response`. Use it for non-negative signals such as coverage maps.

    Returns:
        float64 tensor of shape (...); ``inf`` where the mean is 0 but the ripple is not.
    """
    exact, _total, mean = _exact_period_parts(x, period, ndim)
    amplitude = exact.sqrt()
    scale = mean.abs()
    ratio = amplitude / scale.clamp_min(1e-300)
    return torch.where(scale > 0, ratio, torch.where(amplitude > 0, math.inf, 0.0))


# --------------------------------------------------------------------------------------
# Stacks with an optional final stride-1 layer
# --------------------------------------------------------------------------------------


def stack_layers(
    kernel_sizes: IntOrSeq, strides: IntOrSeq, final_size: int | None = None
) -> tuple[list[int], list[int]]:
    """The (kernel sizes, strides) of a stack, with a stride-1 layer of ``final_size`` appended.

    ``final_size=None`` (or 1 with all-ones weights, which changes nothing) means no extra
    layer. Raises ``ValueError`` naming the argument for sizes < 1.
    """
    ks, ss = check_layers(kernel_sizes, strides)
    if final_size is not None:
        ks = ks + [check_int("final_size", final_size, 1)]
        ss = ss + [1]
    return ks, ss


def _effective_length(ks: Sequence[int], ss: Sequence[int]) -> int:
    length, scale = 1, 1
    for k, s in zip(reversed(ks), reversed(ss)):
        length += scale * (k - 1)
        scale *= s
    return length


def _random_kernels(
    ks: Sequence[int], seed: int, ndim: int, n_stack: int
) -> list[torch.Tensor]:
    """Positive random kernels, uniform in [0, 1): stack layers first, then the final layer.

    The final layer's kernel is drawn from its own stream, so a stack with and without the
    final layer shares the same stack weights for the same seed.
    """
    gen = torch.Generator().manual_seed(seed)
    kernels = [torch.rand((k,) * ndim, generator=gen, dtype=torch.float64) for k in ks[:n_stack]]
    if len(ks) > n_stack:
        final_gen = torch.Generator().manual_seed(10_007 + seed)
        kernels.append(torch.rand((ks[-1],) * ndim, generator=final_gen, dtype=torch.float64))
    return kernels


def stack_response(
    kernel_sizes: IntOrSeq,
    strides: IntOrSeq,
    final_size: int | None = None,
    weights: str = "ones",
    seed: int = 0,
    ndim: int = 1,
    length: int | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Interior output of a transposed-convolution stack fed with an all-ones input.

    With ``weights='ones'`` this is the coverage map (how many paths reach each output),
    with a final stride-1 layer of ``final_size`` m when given. With ``weights='random'``
    every kernel is drawn uniformly from [0, 1) (positive, like paint) on the CPU from
    ``seed`` (k x k kernels in 2D), so every device sees the same layers.

    Only the periodic interior is returned: positions whose every window is full, starting
    at a multiple of the period P = prod(strides), so entry j has phase j mod P.

    Args:
        kernel_sizes, strides: per layer (an int applies to every layer), each >= 1.
        final_size: size m of a final stride-1 layer, or None for none.
        weights: 'ones' or 'random'.
        seed: seed of the random weights (ignored for 'ones').
        ndim: 1 for a line, 2 for an image.
        length: interior length along each axis, a multiple of P; default the smallest
            multiple of P that is >= 64.
        device: where to return the result; default :func:`nbhelpers.get_device`.

    Returns:
        float64 tensor (length,) or (length, length) (float32 on MPS, which has no float64).
    """
    ks, ss = stack_layers(kernel_sizes, strides, final_size)
    check_choice("weights", weights, ("ones", "random"))
    seed = check_int("seed", seed, 0)
    ndim = check_int("ndim", ndim, 1, 2)
    period = math.prod(ss)
    if length is None:
        length = period * max(1, math.ceil(64 / period))
    length = check_int("length", length, period)
    if length % period:
        raise ValueError(f"length must be a multiple of the period {period}, got {length}")
    device = get_device() if device is None else torch.device(device)
    n_stack = len(ks) - (final_size is not None)
    effective = _effective_length(ks, ss)
    lead = math.ceil((effective - 1) / period)
    n_in = lead + length // period + 1
    start = lead * period
    if weights == "ones":
        line = coverage(ks, ss, n_in=n_in, device="cpu").to(torch.float64)[start : start + length]
        out = torch.outer(line, line) if ndim == 2 else line
    else:
        signal = torch.ones((1, 1) + (n_in,) * ndim, dtype=torch.float64)
        transpose = F.conv_transpose1d if ndim == 1 else F.conv_transpose2d
        for kernel, s in zip(_random_kernels(ks, seed, ndim, n_stack), ss):
            signal = transpose(signal, kernel.view(1, 1, *kernel.shape), stride=s)
        window = (slice(start, start + length),) * ndim
        out = signal[(0, 0) + window]
    dtype = torch.float32 if device.type == "mps" else torch.float64
    return out.to(device=device, dtype=dtype)


@dataclass
class StackAnalysis:
    """Everything the notebook and the explorer show about one stack (all tensors on the CPU).

    Attributes:
        kernel_sizes, strides: the layers, including the final stride-1 layer if any.
        final_size: size of the final stride-1 layer, or None.
        period: P = prod(strides).
        coverage: (L,) full 1D coverage from ``n_in`` inputs, borders included.
        interior: (N,) periodic interior of the 1D output (:func:`stack_response`).
        freqs, power: (N // 2 + 1,) frequencies (cycles/pixel) and power of ``interior``.
        periods: divisors d > 1 of P.
        indices: (len(periods),) :func:`exact_period_index` of ``interior`` per period.
        ripples: (len(periods),) :func:`period_ripple` of ``interior`` per period.
        unevenness: max/min of ``interior`` (inf when some position gets nothing).
        image, power_2d, radial_freqs, radial_power, indices_2d: the 2D counterparts
            (None unless ``with_2d``): (N, N) interior, its centred power spectrum, the
            radial profile, and the exact-period indices of the image.
    """

    kernel_sizes: list[int]
    strides: list[int]
    final_size: int | None
    period: int
    coverage: torch.Tensor
    interior: torch.Tensor
    freqs: torch.Tensor
    power: torch.Tensor
    periods: list[int]
    indices: torch.Tensor
    ripples: torch.Tensor
    unevenness: float
    image: torch.Tensor | None = None
    power_2d: torch.Tensor | None = None
    radial_freqs: torch.Tensor | None = None
    radial_power: torch.Tensor | None = None
    indices_2d: torch.Tensor | None = field(default=None)

    @property
    def has_gaps(self) -> bool:
        """True when some interior output position receives no paint at all."""
        return math.isinf(self.unevenness)

    @property
    def label(self) -> str:
        """Short description such as 'k=3,s=2 x2 + m=2'."""
        pairs = list(zip(self.kernel_sizes, self.strides))
        if self.final_size is not None:
            pairs = pairs[:-1]
        if len(set(pairs)) == 1:
            k, s = pairs[0]
            text = f"k={k},s={s}" + (f" x{len(pairs)}" if len(pairs) > 1 else "")
        else:
            text = " | ".join(f"k={k},s={s}" for k, s in pairs)
        return text + (f" + m={self.final_size}" if self.final_size is not None else "")


def analyze_stack(
    kernel_sizes: IntOrSeq,
    strides: IntOrSeq,
    final_size: int | None = None,
    n_in: int = 8,
    length: int | None = None,
    with_2d: bool = False,
) -> StackAnalysis:
    """Coverage, spectrum and per-period indices of a stack (all-ones weights).

    Args:
        kernel_sizes, strides: per layer (an int applies to every layer), each >= 1.
        final_size: size m of a final stride-1 layer, or None.
        n_in: input length of the full coverage shown with its borders.
        length: length of the periodic interior analysed (see :func:`stack_response`).
        with_2d: also compute the 2D image, its power spectrum and radial profile.

    Returns:
        a :class:`StackAnalysis` whose tensors live on the CPU (small, for plotting).
    """
    ks, ss = stack_layers(kernel_sizes, strides, final_size)
    n_in = check_int("n_in", n_in, 1)
    cpu = torch.device("cpu")
    period = math.prod(ss)
    line = stack_response(kernel_sizes, strides, final_size, length=length, device=cpu)
    spectrum = power_spectrum(line, ndim=1)
    n = line.shape[-1]
    half = spectrum[n // 2 :]
    if n % 2 == 0:  # the Nyquist bin sits at index 0 of the centred spectrum
        half = torch.cat([half, spectrum[:1]])
    freqs = torch.arange(len(half), dtype=torch.float64) / n
    periods = divisor_periods(period)
    indices = torch.tensor([float(exact_period_index(line, p)) for p in periods], dtype=torch.float64)
    ripples = torch.tensor([float(period_ripple(line, p)) for p in periods], dtype=torch.float64)
    low, high = float(line.min()), float(line.max())
    ratio = math.inf if low <= 0 else high / low
    result = StackAnalysis(
        kernel_sizes=ks, strides=ss, final_size=final_size, period=period,
        coverage=coverage(ks, ss, n_in=n_in, device=cpu), interior=line, freqs=freqs,
        power=half, periods=periods, indices=indices, ripples=ripples, unevenness=ratio,
    )
    if with_2d:
        image = torch.outer(line, line)
        result.image = image
        result.power_2d = power_spectrum(image, ndim=2)
        result.radial_freqs, result.radial_power = radial_profile(result.power_2d, ndim=2)
        result.indices_2d = torch.tensor(
            [float(exact_period_index(image, p, ndim=2)) for p in periods], dtype=torch.float64
        )
    return result


def stride1_dampening(
    kernel_sizes: IntOrSeq,
    strides: IntOrSeq,
    sizes: Sequence[int] = range(1, 7),
    periods: Sequence[int] | None = None,
    weights: str = "ones",
    seeds: Sequence[int] = (0,),
    ndim: int = 1,
) -> torch.Tensor:
    """How much of each period's ripple survives a final stride-1 layer, per layer size.

    For every size m and period p: period_ripple(stack + stride-1 layer of size m, p)
    divided by period_ripple(stack alone, p), averaged over ``seeds`` (the ratio is taken
    per seed, with the same stack weights before and after). With all-ones weights it
    equals :func:`stride1_response` for periods with one harmonic pair (2, 3, 4, 6), and a
    mix of the harmonics' gains otherwise; with random weights the box filter's zeros move
    away from 1/p, so ripples that ones would remove leak through.

    Args:
        kernel_sizes, strides: the stack, per layer, each >= 1.
        sizes: stride-1 layer sizes m >= 1.
        periods: periods p to measure; default every divisor > 1 of prod(strides).
        weights: 'ones' or 'random' (positive uniform, see :func:`stack_response`).
        seeds: seeds averaged over (only matters for 'random').
        ndim: 1 or 2.

    Returns:
        float64 tensor (len(sizes), len(periods)) on the CPU; NaN where the stack alone
        has no ripple at that period (nothing to dampen).
    """
    ks, ss = check_layers(kernel_sizes, strides)
    period = math.prod(ss)
    ms = [check_int(f"sizes[{i}]", m, 1) for i, m in enumerate(sizes)]
    if not ms:
        raise ValueError("sizes must list at least one stride-1 layer size")
    ps = divisor_periods(period) if periods is None else [
        check_int(f"periods[{i}]", p, 2) for i, p in enumerate(periods)
    ]
    for p in ps:
        if period % p:
            raise ValueError(f"periods must divide the stack's period {period}, got {p}")
    seed_list = [check_int(f"seeds[{i}]", s, 0) for i, s in enumerate(seeds)]
    if not seed_list:
        raise ValueError("seeds must list at least one seed")
    cpu = torch.device("cpu")
    ratios = torch.zeros(len(seed_list), len(ms), len(ps), dtype=torch.float64)
    for a, seed in enumerate(seed_list):
        before_signal = stack_response(ks, ss, None, weights, seed, ndim, device=cpu)
        before = torch.stack([period_ripple(before_signal, p, ndim) for p in ps])
        for b, m in enumerate(ms):
            after_signal = stack_response(ks, ss, m, weights, seed, ndim, device=cpu)
            after = torch.stack([period_ripple(after_signal, p, ndim) for p in ps])
            ratios[a, b] = torch.where(before > 1e-12, after / before.clamp_min(1e-300), math.nan)
    return ratios.mean(dim=0)
