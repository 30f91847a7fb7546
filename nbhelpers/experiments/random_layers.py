"""Artifacts before any training: random transposed convolutions and random generators (fact 8).

Weights are drawn on the CPU from a seed, so every device sees the same layers and the
numbers agree up to float noise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from .._validate import check_int
from ..measures.periodic import checkerboard_index
from ..measures.signals import smooth_field
from ..runtime import get_device, seed_everything


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
    x = 1.0 + content * smooth_field((batch, channels, size, size), 2.0, seed=seed, ndim=2, device=device)
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
    s = check_int("stride", stride, 2)
    values = [
        checkerboard_index(
            random_deconvolution_output(kernel_size, s, seed=seed, weights=weights, **kwargs), s, ndim=2
        ).item()
        for seed in seeds
    ]
    return torch.tensor(values, dtype=torch.float64)


@torch.no_grad()
def random_generator_indices(
    make_generator: Callable[[], nn.Module],
    periods: Sequence[int] = (2, 4, 8),
    seeds: Sequence[int] = (0, 1, 2),
    n_codes: int = 64,
    code_dim: int = 16,
    border: int = 4,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Per-period batch index of a generator's outputs at its random initialisation (fact 8).

    For each seed: ``seed_everything(seed)``, build the generator (random weights), feed
    ``n_codes`` standard-normal codes (drawn on the CPU) and measure
    ``checkerboard_index(images, p, ndim=2, reduce='batch', exact=True, border=border)`` at each
    period p: the pattern every output shares, counting at p only what is new at p (so periods
    2, 4 and 8 are told apart).

    Args:
        make_generator: builds a fresh (N, code_dim) -> (N, C, H, W) module.
        periods: periods to measure (each >= 2).
        seeds: one fresh generator per seed.
        n_codes: batch size B of random codes.
        code_dim: code length the generator expects.
        border: pixels dropped on each side.
        device: where to run (default :func:`nbhelpers.get_device`; the numbers agree across
            devices up to float noise).

    Returns:
        (len(seeds), len(periods)) float64 tensor on the CPU.
    """
    periods = [check_int(f"periods[{i}]", p, 2) for i, p in enumerate(periods)]
    seeds = [check_int(f"seeds[{i}]", s, 0) for i, s in enumerate(seeds)]
    n_codes = check_int("n_codes", n_codes, 1)
    code_dim = check_int("code_dim", code_dim, 1)
    device = get_device() if device is None else torch.device(device)
    out = torch.zeros(len(seeds), len(periods), dtype=torch.float64)
    for i, seed in enumerate(seeds):
        gen = seed_everything(seed)
        model = make_generator().to(device).eval()
        codes = torch.randn(n_codes, code_dim, generator=gen).to(device)
        images = model(codes)
        for j, p in enumerate(periods):
            index = checkerboard_index(images, p, ndim=2, reduce="batch", exact=True, border=border)
            out[i, j] = float(index)
    return out
