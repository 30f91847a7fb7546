"""Stacks of transposed convolutions: compounding periods and stride-1 dampening (facts 3, 4).

A stack of stride-s transposed convolutions paints a pattern of period prod(s): two
stride-2 layers give period 4, three give period 8, and the pattern holds structure at
*every* divisor of that period (2, 4 and 8). :func:`analyze_stack` measures that structure
one period at a time with ``checkerboard_index(..., exact=True)`` (what is new at each
period), and :func:`stride1_dampening` shows what a final stride-1 layer of size m does to it:
an all-ones layer is a box filter whose gain at 1/p is zero exactly when p divides m
(:func:`nbhelpers.measures.stride1_response`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from .._validate import check_choice, check_int, check_layers
from ..measures.overlap import IntOrSeq, _coverage, _effective_kernel_size
from ..measures.periodic import _structure_rms, checkerboard_index, divisor_periods
from ..measures.spectra import power_spectrum, radial_profile
from ..runtime import get_device


def _ripple(x: torch.Tensor, p: int, ndim: int) -> torch.Tensor:
    """Exact-period ripple relative to the mean: rms of the part of x of period exactly p / |mean|.

    This is what a stride-1 layer acts on linearly: a box filter of size m scales the mean by m
    and a period-p component by |H(1/p)|, so the ripple is multiplied by
    :func:`nbhelpers.measures.stride1_response`. Shape (...); inf where the mean is 0 but the
    ripple is not.
    """
    amplitude = _structure_rms(x, p, ndim, exact=True, over_batch=False)
    scale = x.mean(dim=tuple(range(-ndim, 0))).abs()
    ratio = amplitude / scale.clamp_min(1e-300)
    return torch.where(scale > 0, ratio, torch.where(amplitude > 0, math.inf, 0.0))


def stack_layers(
    kernel_sizes: IntOrSeq, strides: IntOrSeq, final_size: int | None = None
) -> tuple[list[int], list[int]]:
    """The (kernel sizes, strides) of a stack, with a stride-1 layer of ``final_size`` appended.

    ``final_size=None`` means no extra layer. Raises ``ValueError`` naming the argument for
    sizes < 1.
    """
    ks, ss = check_layers(kernel_sizes, strides)
    if final_size is not None:
        ks = ks + [check_int("final_size", final_size, 1)]
        ss = ss + [1]
    return ks, ss


def _random_kernels(ks: Sequence[int], seed: int, ndim: int, n_stack: int) -> list[torch.Tensor]:
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


def _check_length(length: object, period: int) -> int:
    if length is None:
        return period * max(1, math.ceil(64 / period))
    length = check_int("length", length, period)
    if length % period:
        raise ValueError(f"length must be a multiple of the period {period}, got {length}")
    return length


def _stack_response(ks: list[int], ss: list[int], n_stack: int, weights: str, seed: int, ndim: int,
                    length: int) -> torch.Tensor:
    """The core of :func:`stack_response` on validated arguments; float64 on the CPU."""
    period = math.prod(ss)
    lead = math.ceil((_effective_kernel_size(ks, ss) - 1) / period)
    n_in = lead + length // period + 1
    start = lead * period
    if weights == "ones":
        line = _coverage(ks, ss, n_in)[start : start + length]
        return torch.outer(line, line) if ndim == 2 else line
    signal = torch.ones((1, 1) + (n_in,) * ndim, dtype=torch.float64)
    transpose = F.conv_transpose1d if ndim == 1 else F.conv_transpose2d
    for kernel, s in zip(_random_kernels(ks, seed, ndim, n_stack), ss):
        signal = transpose(signal, kernel.view(1, 1, *kernel.shape), stride=s)
    return signal[(0, 0) + (slice(start, start + length),) * ndim]


def stack_response(
    kernel_sizes: IntOrSeq,
    strides: IntOrSeq,
    final_size: int | None = None,
    weights: str = "ones",
    seed: int = 0,
    *,
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
        ndim: 1 for a line (default), 2 for an image (keyword-only).
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
    length = _check_length(length, math.prod(ss))
    device = get_device() if device is None else torch.device(device)
    out = _stack_response(ks, ss, len(ks) - (final_size is not None), weights, seed, ndim, length)
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
        indices: (len(periods),) ``checkerboard_index(interior, d, ndim=1, exact=True)`` per period d.
        ripples: (len(periods),) exact-period ripple of ``interior`` relative to its mean, per period.
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


def _half_spectrum(line: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Frequencies 0..1/2 (cycles/sample) and the power of a real 1D signal there."""
    spectrum = power_spectrum(line, ndim=1)
    n = line.shape[-1]
    half = spectrum[n // 2 :]
    if n % 2 == 0:  # the Nyquist bin sits at index 0 of the centred spectrum
        half = torch.cat([half, spectrum[:1]])
    return torch.arange(len(half), dtype=torch.float64) / n, half


def _exact_indices(x: torch.Tensor, periods: list[int], ndim: int) -> torch.Tensor:
    return torch.tensor([float(checkerboard_index(x, p, ndim=ndim, exact=True)) for p in periods],
                        dtype=torch.float64)


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
    period = math.prod(ss)
    line = _stack_response(ks, ss, len(ks), "ones", 0, 1, _check_length(length, period))
    freqs, half = _half_spectrum(line)
    periods = divisor_periods(period)
    low, high = float(line.min()), float(line.max())
    result = StackAnalysis(
        kernel_sizes=ks, strides=ss, final_size=final_size, period=period,
        coverage=_coverage(ks, ss, n_in).round().to(torch.int64), interior=line, freqs=freqs,
        power=half, periods=periods, indices=_exact_indices(line, periods, 1),
        ripples=torch.stack([_ripple(line, p, 1) for p in periods]) if periods else torch.zeros(0),
        unevenness=math.inf if low <= 0 else high / low,
    )
    if with_2d:
        image = torch.outer(line, line)
        result.image = image
        result.power_2d = power_spectrum(image, ndim=2)
        result.radial_freqs, result.radial_power = radial_profile(result.power_2d)
        result.indices_2d = _exact_indices(image, periods, 2)
    return result


def stride1_dampening(
    kernel_sizes: IntOrSeq,
    strides: IntOrSeq,
    sizes: Sequence[int] = range(1, 7),
    periods: Sequence[int] | None = None,
    weights: str = "ones",
    seeds: Sequence[int] = (0,),
    *,
    ndim: int = 1,
) -> torch.Tensor:
    """How much of each period's ripple survives a final stride-1 layer, per layer size.

    For every size m and period p: the ripple of period exactly p relative to the mean (the rms
    of that part of the output over |mean|) of (stack + stride-1 layer of size m) divided by
    that of the stack alone, averaged over ``seeds`` (the ratio is taken per seed,
    with the same stack weights before and after). With all-ones weights it equals
    :func:`nbhelpers.measures.stride1_response` for periods with one harmonic pair (2, 3, 4,
    6), and a mix of the harmonics' gains otherwise; with random weights the box filter's
    zeros move away from 1/p, so ripples that ones would remove leak through.

    Args:
        kernel_sizes, strides: the stack, per layer, each >= 1.
        sizes: stride-1 layer sizes m >= 1.
        periods: periods p to measure; default every divisor > 1 of prod(strides).
        weights: 'ones' or 'random' (positive uniform, see :func:`stack_response`).
        seeds: seeds averaged over (only matters for 'random').
        ndim: 1 (default) or 2 (keyword-only).

    Returns:
        float64 tensor (len(sizes), len(periods)) on the CPU; NaN where the stack alone
        has no ripple at that period (nothing to dampen).
    """
    ks, ss = check_layers(kernel_sizes, strides)
    check_choice("weights", weights, ("ones", "random"))
    ndim = check_int("ndim", ndim, 1, 2)
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
    length = _check_length(None, period)
    ratios = torch.zeros(len(seed_list), len(ms), len(ps), dtype=torch.float64)
    for a, seed in enumerate(seed_list):
        before_signal = _stack_response(ks, ss, len(ks), weights, seed, ndim, length)
        before = torch.stack([_ripple(before_signal, p, ndim) for p in ps])
        for b, m in enumerate(ms):
            after_signal = _stack_response(ks + [m], ss + [1], len(ks), weights, seed, ndim, length)
            after = torch.stack([_ripple(after_signal, p, ndim) for p in ps])
            ratios[a, b] = torch.where(before > 1e-12, after / before.clamp_min(1e-300), math.nan)
    return ratios.mean(dim=0)
