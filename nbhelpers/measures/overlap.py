"""Coverage maps of transposed convolutions: how much "paint" each output position gets.

A transposed convolution with kernel size k and stride s paints a k-wide window for every
input position, the windows s apart. With all-ones inputs and kernels the output counts how
many windows cover each position (for a stack of layers: how many paths reach it). The
count is periodic with period s (for a stack, the product of the strides) and is uneven
exactly when s does not divide k.

Every function here takes a stack's ``kernel_sizes`` and ``strides`` (an int applies to every
layer); ``ndim`` (1 by default: a line) is keyword-only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from .._validate import check_int, check_layers
from ..runtime import get_device

IntOrSeq = int | Sequence[int]


# ----------------------------------------------------------------------------- private cores
# (arguments already validated: lists of positive ints of equal length)


def _coverage(ks: Sequence[int], ss: Sequence[int], n_in: int) -> torch.Tensor:
    """1D coverage of the stack from ``n_in`` ones, float64 on the CPU (exact for counts)."""
    line = torch.ones(1, 1, n_in, dtype=torch.float64)
    for k, s in zip(ks, ss):
        line = F.conv_transpose1d(line, torch.ones(1, 1, k, dtype=torch.float64), stride=s)
    return line.reshape(-1)


def _effective_kernel_size(ks: Sequence[int], ss: Sequence[int]) -> int:
    length, scale = 1, 1
    for k, s in zip(reversed(ks), reversed(ss)):
        length += scale * (k - 1)
        scale *= s
    return length


def _interior(ks: Sequence[int], ss: Sequence[int]) -> torch.Tensor:
    """One period of the interior coverage, float64 on the CPU."""
    period = math.prod(ss)
    lead = math.ceil((_effective_kernel_size(ks, ss) - 1) / period)
    # interior positions j satisfy length - 1 <= j <= (n_in - 1) * period; keep >= 2 periods
    full = _coverage(ks, ss, lead + 3)
    return full[lead * period : (lead + 1) * period]


def _unevenness(ks: Sequence[int], ss: Sequence[int]) -> float:
    interior = _interior(ks, ss)
    low, high = float(interior.min()), float(interior.max())
    return math.inf if low == 0 else high / low


# ----------------------------------------------------------------------------- public functions


def coverage(
    kernel_sizes: IntOrSeq,
    strides: IntOrSeq,
    n_in: int = 8,
    *,
    ndim: int = 1,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Coverage map of a stack of transposed convolutions without padding.

    Args:
        kernel_sizes: kernel size per layer (an int applies to every layer), each >= 1.
        strides: stride per layer (an int applies to every layer), each >= 1.
        n_in: length of the all-ones input along each axis (>= 1).
        ndim: 1 for a line, 2 for an image (the outer product of the 1D maps).
        device: where to return it; default :func:`nbhelpers.get_device`.

    Returns:
        int64 tensor of shape (L,) for ``ndim=1`` or (L, L) for ``ndim=2``, where L follows
        L <- (L - 1) * s + k layer after layer starting from ``n_in``.
    """
    ks, ss = check_layers(kernel_sizes, strides)
    n_in = check_int("n_in", n_in, 1)
    ndim = check_int("ndim", ndim, 1, 2)
    device = get_device() if device is None else torch.device(device)
    counts = _coverage(ks, ss, n_in).round().to(torch.int64)
    if ndim == 2:
        counts = torch.outer(counts, counts)
    return counts.to(device)


def effective_kernel_size(kernel_sizes: IntOrSeq, strides: IntOrSeq) -> int:
    """Length of the single transposed convolution equivalent to the stack.

    A stack of transposed convolutions (all-ones kernels) equals one transposed convolution
    with stride prod(s) and a kernel of this length: k_L + s_L (k_{L-1} - 1) + ...
    """
    return _effective_kernel_size(*check_layers(kernel_sizes, strides))


def overlap_period(kernel_sizes: IntOrSeq, strides: IntOrSeq) -> int:
    """Period of the interior coverage pattern: the product of the strides."""
    _, ss = check_layers(kernel_sizes, strides)
    return math.prod(ss)


def interior_coverage(
    kernel_sizes: IntOrSeq, strides: IntOrSeq, *, device: torch.device | str | None = None
) -> torch.Tensor:
    """One period of the coverage pattern away from the borders.

    Returns an int64 tensor of shape (P,), P = :func:`overlap_period`, whose entry r is the
    coverage of interior output positions j with j mod P == r.
    """
    ks, ss = check_layers(kernel_sizes, strides)
    device = get_device() if device is None else torch.device(device)
    return _interior(ks, ss).round().to(torch.int64).to(device)


def unevenness(kernel_sizes: IntOrSeq, strides: IntOrSeq, *, ndim: int = 1) -> float:
    """Max/min of the coverage over the periodic interior (borders excluded).

    1.0 means every interior position gets the same paint (s divides k for one layer);
    ``inf`` when some interior position gets none (e.g. k < s leaves gaps). In 2D the map is
    the outer product of the 1D maps, so the ratio is the square of the 1D ratio.

    Returns:
        a float (dimensionless, >= 1).
    """
    ndim = check_int("ndim", ndim, 1, 2)
    return _unevenness(*check_layers(kernel_sizes, strides)) ** ndim


def unevenness_table(
    kernel_sizes: Sequence[int] = range(1, 9), strides: Sequence[int] = range(1, 5)
) -> torch.Tensor:
    """Unevenness of single layers on a grid: float64 tensor (len(kernel_sizes), len(strides))."""
    ks = [check_int(f"kernel_sizes[{i}]", k, 1) for i, k in enumerate(kernel_sizes)]
    ss = [check_int(f"strides[{j}]", s, 1) for j, s in enumerate(strides)]
    return torch.tensor([[_unevenness([k], [s]) for s in ss] for k in ks], dtype=torch.float64)


def window_starts(kernel_size: int, stride: int, n_in: int) -> list[tuple[int, int]]:
    """(start, stop) output interval painted by each input position of one layer (for diagrams)."""
    k = check_int("kernel_size", kernel_size, 1)
    s = check_int("stride", stride, 1)
    n = check_int("n_in", n_in, 1)
    return [(i * s, i * s + k) for i in range(n)]
