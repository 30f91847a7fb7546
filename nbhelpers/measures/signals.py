"""Synthetic test signals with known ground truth: smooth fields and checkerboards."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from .._validate import check_int, check_positive
from ..runtime import get_device


def _shape(shape: int | Sequence[int]) -> tuple[int, ...]:
    if isinstance(shape, int):
        shape = (shape,)
    dims = tuple(check_int(f"shape[{i}]", n, 1) for i, n in enumerate(shape))
    if not dims:
        raise ValueError("shape must have at least one dimension")
    return dims


def smooth_field(
    shape: int | Sequence[int],
    correlation_length: float = 4.0,
    seed: int = 0,
    *,
    ndim: int,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Gaussian-smoothed white noise with zero mean and unit standard deviation per signal.

    Args:
        shape: (..., H, W) for ``ndim=2`` or (..., L) for ``ndim=1``.
        correlation_length: Gaussian blur sigma in pixels (> 0); larger means smoother.
        seed: seed of the noise (the result is the same on every device up to float noise).
        ndim: 1 or 2 spatial dimensions, the last ones of ``shape`` (keyword-only, required).

    Returns:
        float32 tensor of ``shape`` on ``device`` (default :func:`get_device`).
    """
    dims = _shape(shape)
    ndim = check_int("ndim", ndim, 1, 2)
    if len(dims) < ndim:
        raise ValueError(f"shape must have at least {ndim} dimensions for ndim={ndim}, got {dims}")
    correlation_length = check_positive("correlation_length", correlation_length)
    device = get_device() if device is None else torch.device(device)
    gen = torch.Generator().manual_seed(seed)
    noise = torch.randn(dims, generator=gen, dtype=torch.float32).to(device)
    radius = max(1, int(3 * correlation_length))
    taps = torch.arange(-radius, radius + 1, dtype=torch.float32, device=device)
    kernel = torch.exp(-0.5 * (taps / correlation_length) ** 2)
    kernel = (kernel / kernel.sum()).view(1, 1, -1)
    flat = noise.reshape(-1, *dims[-ndim:])
    for axis in range(ndim):
        moved = flat.movedim(-1 - axis, -1)
        lead = moved.shape[:-1]
        line = moved.reshape(-1, 1, moved.shape[-1])
        line = F.conv1d(F.pad(line, (radius, radius), mode="circular"), kernel)
        flat = line.reshape(*lead, -1).movedim(-1, -1 - axis)
    field = flat.reshape(dims)
    axes = tuple(range(-ndim, 0))
    field = field - field.mean(dim=axes, keepdim=True)
    return field / field.std(dim=axes, unbiased=False, keepdim=True).clamp_min(1e-12)


def checkerboard(
    shape: int | Sequence[int],
    period: int = 2,
    amplitude: float = 1.0,
    *,
    ndim: int,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """A zero-mean periodic pattern whose periodic part has rms ``amplitude``.

    For period 2 in 2D it is ``amplitude * (-1)**(i + j)``; for other periods it is a
    cosine at the period's highest frequency along each axis, ``cos(2 pi i / p)`` etc.,
    normalised so that its rms equals ``amplitude``. Shape as given; float32.
    """
    dims = _shape(shape)
    period = check_int("period", period, 2)
    ndim = check_int("ndim", ndim, 1, 2)
    if len(dims) < ndim:
        raise ValueError(f"shape must have at least {ndim} dimensions for ndim={ndim}, got {dims}")
    device = get_device() if device is None else torch.device(device)
    pattern = torch.ones((), device=device)
    for axis in range(ndim):
        n = dims[len(dims) - ndim + axis]
        idx = torch.arange(n, dtype=torch.float32, device=device)
        wave = torch.cos(2 * torch.pi * idx / period)
        view = [1] * ndim
        view[axis] = n
        pattern = pattern * wave.view(view)
    pattern = pattern - pattern.mean()
    pattern = pattern / pattern.pow(2).mean().sqrt().clamp_min(1e-12)
    return (amplitude * pattern).expand(dims).clone()
