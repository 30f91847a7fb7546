"""Coverage maps of transposed convolutions: how much "paint" each output position gets.

A transposed convolution with kernel size k and stride s paints a k-wide window for every
input position, the windows s apart. With all-ones inputs and kernels the output counts how
many windows cover each position (for a stack of layers: how many paths reach it). The
count is periodic with period s (for a stack, the product of the strides) and is uneven
exactly when s does not divide k.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from ._validate import check_int, check_layers
from .runtime import get_device

IntOrSeq = int | Sequence[int]


def coverage(
    kernel_sizes: IntOrSeq,
    strides: IntOrSeq,
    n_in: int = 8,
    ndim: int = 1,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Coverage map of a stack of transposed convolutions without padding.

    Args:
        kernel_sizes: kernel size per layer (an int applies to every layer), each >= 1.
        strides: stride per layer (an int applies to every layer), each >= 1.
        n_in: length of the all-ones input along each axis (>= 1).
        ndim: 1 for a line, 2 for an image (the outer product of the 1D maps).
        device: where to compute; default :func:`nbhelpers.get_device`.

    Returns:
        int64 tensor of shape (L,) for ``ndim=1`` or (L, L) for ``ndim=2``, where L follows
        L <- (L - 1) * s + k layer after layer starting from ``n_in``.
    """
    ks, ss = check_layers(kernel_sizes, strides)
    n_in = check_int("n_in", n_in, 1)
    ndim = check_int("ndim", ndim, 1, 2)
    device = get_device() if device is None else torch.device(device)
    # float64 is exact for these integer counts; MPS has no float64, so count on the CPU there.
    work_device = device if device.type != "mps" else torch.device("cpu")
    line = torch.ones(1, 1, n_in, dtype=torch.float64, device=work_device)
    for k, s in zip(ks, ss):
        kernel = torch.ones(1, 1, k, dtype=torch.float64, device=work_device)
        line = F.conv_transpose1d(line, kernel, stride=s)
    counts = line.reshape(-1).round().to(torch.int64)
    if ndim == 2:
        counts = torch.outer(counts, counts)
    return counts.to(device)


def effective_kernel_size(kernel_sizes: IntOrSeq, strides: IntOrSeq) -> int:
    """Length of the single transposed convolution equivalent to the stack.

    A stack of transposed convolutions (all-ones kernels) equals one transposed convolution
    with stride prod(s) and a kernel of this length: k_L + s_L (k_{L-1} - 1) + ...
    """
    ks, ss = check_layers(kernel_sizes, strides)
    length, scale = 1, 1
    for k, s in zip(reversed(ks), reversed(ss)):
        length += scale * (k - 1)
        scale *= s
    return length


def overlap_period(kernel_sizes: IntOrSeq, strides: IntOrSeq) -> int:
    """Period of the interior coverage pattern: the product of the strides."""
    _, ss = check_layers(kernel_sizes, strides)
    return math.prod(ss)


def interior_coverage(
    kernel_sizes: IntOrSeq, strides: IntOrSeq, device: torch.device | str | None = None
) -> torch.Tensor:
    """One period of the coverage pattern away from the borders.

    Returns an int64 tensor of shape (P,), P = :func:`overlap_period`, whose entry r is the
    coverage of interior output positions j with j mod P == r.
    """
    ks, ss = check_layers(kernel_sizes, strides)
    period = math.prod(ss)
    length = effective_kernel_size(ks, ss)
    # Interior positions j satisfy length - 1 <= j <= (n_in - 1) * period; keep >= 2 periods.
    n_in = math.ceil((length - 1) / period) + 3
    full = coverage(ks, ss, n_in=n_in, device=device)
    start = math.ceil((length - 1) / period) * period
    return full[start : start + period]


def unevenness(kernel_sizes: IntOrSeq, strides: IntOrSeq, ndim: int = 1) -> float:
    """Max/min of the coverage over the periodic interior (borders excluded).

    1.0 means every interior position gets the same paint (s divides k for one layer);
    ``inf`` when some interior position gets none (e.g. k < s leaves gaps). For ``ndim=2``
    the ratio is the square of the 1D ratio, since the 2D map is an outer product.
    """
    ndim = check_int("ndim", ndim, 1, 2)
    interior = interior_coverage(kernel_sizes, strides).to(torch.float64)
    low, high = float(interior.min()), float(interior.max())
    ratio = math.inf if low == 0 else high / low
    return ratio**ndim


def unevenness_table(
    kernel_sizes: Sequence[int] = range(1, 9), strides: Sequence[int] = range(1, 5)
) -> torch.Tensor:
    """Unevenness of single layers on a grid: float64 tensor (len(kernel_sizes), len(strides))."""
    ks = [check_int("kernel_sizes[i]", k, 1) for k in kernel_sizes]
    ss = [check_int("strides[j]", s, 1) for s in strides]
    return torch.tensor([[unevenness(k, s) for s in ss] for k in ks], dtype=torch.float64)


def format_unevenness_table(
    kernel_sizes: Sequence[int] = range(1, 9), strides: Sequence[int] = range(1, 5)
) -> str:
    """The grid of :func:`unevenness_table` as aligned text (rows k, columns s; 'gaps' for inf)."""
    table = unevenness_table(kernel_sizes, strides)
    header = "k \\ s " + "".join(f"{s:>7d}" for s in strides)
    lines = [header]
    for k, row in zip(kernel_sizes, table.tolist()):
        cells = "".join(f"{'gaps':>7s}" if math.isinf(v) else f"{v:7.3f}" for v in row)
        lines.append(f"{k:>5d} " + cells)
    return "\n".join(lines)


def window_starts(kernel_size: int, stride: int, n_in: int) -> list[tuple[int, int]]:
    """(start, stop) output interval painted by each input position of one layer (for diagrams)."""
    k = check_int("kernel_size", kernel_size, 1)
    s = check_int("stride", stride, 1)
    n = check_int("n_in", n_in, 1)
    return [(i * s, i * s + k) for i in range(n)]


def random_deconvolution_output(
    kernel_size: int,
    stride: int,
    seed: int = 0,
    channels: int = 32,
    size: int = 24,
    content: float = 2.0,
    weights: str = "positive",
    batch: int = 8,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Output of one random-weight transposed convolution (no bias) on smooth random images.

    The input is ``1 + content * smooth_field`` (mean 1, so there is "paint" to spread) with
    ``channels`` channels; the layer maps them to one output channel. ``weights='positive'``
    draws kernel entries uniformly from [0, 1) (paint is added, as in the coverage count);
    ``weights='default'`` uses PyTorch's default (zero-mean) initialisation. Weights are drawn
    on the CPU from ``seed``, so every device sees the same layer.

    Returns:
        (batch, 1, H', W') interior of the output (border of k - 1 removed on every side).
    """
    from .signals import smooth_field

    k = check_int("kernel_size", kernel_size, 1)
    s = check_int("stride", stride, 1)
    channels = check_int("channels", channels, 1)
    size = check_int("size", size, 2)
    batch = check_int("batch", batch, 1)
    if weights not in ("positive", "default"):
        raise ValueError(f"weights must be 'positive' or 'default', got {weights!r}")
    device = get_device() if device is None else torch.device(device)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layer = torch.nn.ConvTranspose2d(channels, 1, k, stride=s, bias=False)
        if weights == "positive":
            torch.nn.init.uniform_(layer.weight, 0.0, 1.0)
    layer = layer.to(device)
    x = 1.0 + content * smooth_field((batch, channels, size, size), 2.0, seed=seed, device=device)
    with torch.no_grad():
        y = layer(x)
    stop = (size - 1) * s + 1
    return y[..., k - 1 : stop, k - 1 : stop]


def random_deconvolution_index(
    kernel_size: int,
    stride: int,
    seeds: Sequence[int] = range(5),
    weights: str = "positive",
    **kwargs: object,
) -> torch.Tensor:
    """Checkerboard index at period ``stride`` of :func:`random_deconvolution_output`, per seed.

    Returns a float tensor of shape (len(seeds),) on the CPU (index averaged over the batch).
    """
    from .metrics import checkerboard_index

    s = check_int("stride", stride, 2)
    values = [
        checkerboard_index(
            random_deconvolution_output(kernel_size, s, seed=seed, weights=weights, **kwargs), s
        ).item()
        for seed in seeds
    ]
    return torch.tensor(values, dtype=torch.float64)
