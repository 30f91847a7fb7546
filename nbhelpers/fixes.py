"""Measurements for notebook 05: artifacts before training, reconstruction quality, borders.

Tensors in, tensors (or plain numbers) out; no plotting here. Costs (parameters, FLOPs,
time) live in :mod:`nbhelpers.cost`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ._validate import check_int, check_tensor
from .learning import predict
from .metrics import checkerboard_index
from .runtime import model_device, seed_everything
from .stacking import _frequency_periods


def _exact_period_mask(h: int, w: int, period: int, device: torch.device) -> torch.Tensor:
    rows = _frequency_periods(h, device)
    cols = _frequency_periods(w, device)
    return torch.lcm(rows.view(-1, 1), cols.view(1, -1)) == period


def batch_period_index(images: torch.Tensor, period: int, border: int = 0) -> float:
    """Batch-averaged checkerboard index restricted to the *exact* period ``period``.

    The images are cropped by ``border`` pixels on every side, then to a multiple of the
    period (top-left aligned). The exact-period part (DFT bins whose 2D period is exactly p,
    as in :func:`nbhelpers.exact_period_index`) is averaged over the batch, which keeps only
    the pattern every image shares, and its rms is divided by the rms (over the batch) of
    each image's standard deviation; the result is averaged over channels. Over the divisors
    d > 1 of p, the squares add up to ``checkerboard_index(x, p, reduce='batch')**2`` for
    one channel (test-checked), so the index at 4 counts only what is *new* at period 4.

    Args:
        images: (B, C, H, W) with B >= 1.
        period: p >= 2, at most the cropped size.
        border: pixels dropped on each side before measuring (>= 0), to keep border effects
            (which every image shares too) out of the number.

    Returns:
        The index (dimensionless, >= 0).
    """
    images = check_tensor("images", images, min_rank=4)
    if images.dim() != 4:
        raise ValueError(f"images must have shape (B, C, H, W), got {tuple(images.shape)}")
    period = check_int("period", period, 2)
    border = check_int("border", border, 0)
    h, w = images.shape[-2] - 2 * border, images.shape[-1] - 2 * border
    if min(h, w) < period:
        raise ValueError(f"period={period} and border={border} leave no room in images of spatial shape "
                         f"{tuple(images.shape[-2:])}")
    h, w = (h // period) * period, (w // period) * period
    x = images[..., border : border + h, border : border + w].to(torch.float64)
    spectrum = torch.fft.fft2(x)  # (B, C, h, w)
    mask = _exact_period_mask(h, w, period, x.device)
    shared = spectrum.mean(dim=0)[:, mask]  # (C, bins): the batch mean of a linear transform
    exact = shared.abs().pow(2).sum(dim=-1) / (h * w) ** 2
    var = x.var(dim=(-2, -1), unbiased=False).mean(dim=0)  # (C,)
    index = torch.where(var > 0, (exact / var.clamp_min(1e-300)).sqrt(), torch.zeros_like(var))
    return float(index.mean())


def batch_period_floor(shape: Sequence[int], period: int, batch: int, border: int = 0) -> float:
    """Expected :func:`batch_period_index` of white noise: sqrt(m / ((n - 1) * B)).

    m is the number of DFT bins of exact period p in the cropped (h, w) image, n = h * w and B
    the batch size: for noise, every non-DC bin carries the same expected energy and averaging
    B independent images divides the shared energy by B. Content without period-p structure
    sits near or below this floor; it is a reference, not a bound.

    Args:
        shape: spatial shape (H, W) before cropping.
        period: p >= 2.
        batch: number of images averaged (>= 1).
        border: pixels dropped on each side.
    """
    dims = [check_int(f"shape[{i}]", v, 1) for i, v in enumerate(shape)]
    if len(dims) != 2:
        raise ValueError(f"shape must be the spatial shape (H, W), got {tuple(dims)}")
    period = check_int("period", period, 2)
    batch = check_int("batch", batch, 1)
    border = check_int("border", border, 0)
    h, w = dims[0] - 2 * border, dims[1] - 2 * border
    if min(h, w) < period:
        raise ValueError(f"period={period} and border={border} leave no room in shape {tuple(dims)}")
    h, w = (h // period) * period, (w // period) * period
    m = int(_exact_period_mask(h, w, period, torch.device("cpu")).sum())
    return math.sqrt(m / ((h * w - 1) * batch))


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
    ``n_codes`` standard-normal codes and measure :func:`batch_period_index` at each period.

    Args:
        make_generator: builds a fresh (N, code_dim) -> (N, C, H, W) module.
        periods: periods to measure (each >= 2).
        seeds: one fresh generator per seed.
        n_codes: batch size B of random codes.
        code_dim: code length the generator expects.
        border: pixels dropped on each side.
        device: where to run (default: the CPU, so numbers do not depend on the device).

    Returns:
        (len(seeds), len(periods)) float64 tensor on the CPU.
    """
    periods = [check_int(f"periods[{i}]", p, 2) for i, p in enumerate(periods)]
    seeds = [check_int(f"seeds[{i}]", s, 0) for i, s in enumerate(seeds)]
    n_codes = check_int("n_codes", n_codes, 1)
    code_dim = check_int("code_dim", code_dim, 1)
    device = torch.device("cpu") if device is None else torch.device(device)
    out = torch.zeros(len(seeds), len(periods), dtype=torch.float64)
    for i, seed in enumerate(seeds):
        gen = seed_everything(seed)
        model = make_generator().to(device).eval()
        codes = torch.randn(n_codes, code_dim, generator=gen).to(device)
        images = model(codes)
        for j, p in enumerate(periods):
            out[i, j] = batch_period_index(images, p, border)
    return out


def _psnr_ssim(targets: torch.Tensor, outputs: torch.Tensor) -> tuple[float, float]:
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    t = targets.detach().to("cpu", torch.float64).clamp(0, 1).permute(0, 2, 3, 1).numpy()
    o = outputs.detach().to("cpu", torch.float64).clamp(0, 1).permute(0, 2, 3, 1).numpy()
    with np.errstate(divide="ignore"):  # a perfect reconstruction has PSNR = inf, not a warning
        psnr = [peak_signal_noise_ratio(a, b, data_range=1.0) for a, b in zip(t, o)]
    ssim = [structural_similarity(a, b, channel_axis=-1, data_range=1.0) for a, b in zip(t, o)]
    return float(sum(psnr) / len(psnr)), float(sum(ssim) / len(ssim))


def image_quality(targets: torch.Tensor, outputs: torch.Tensor) -> dict[str, float]:
    """Mean PSNR (dB) and SSIM of ``outputs`` against ``targets`` (scikit-image, data_range=1).

    Outputs are clipped to [0, 1] first (what a viewer would see); SSIM uses the RGB channels
    (``channel_axis``) and scikit-image's default 7x7 window.

    Args:
        targets, outputs: (N, 3, H, W) images in [0, 1], H, W >= 7.

    Returns:
        ``{'psnr': dB, 'ssim': 0..1}`` averaged over the N images.
    """
    targets = check_tensor("targets", targets, min_rank=4)
    outputs = check_tensor("outputs", outputs, min_rank=4)
    if targets.shape != outputs.shape or targets.dim() != 4:
        raise ValueError(f"targets and outputs must both have shape (N, C, H, W), got {tuple(targets.shape)} "
                         f"and {tuple(outputs.shape)}")
    if min(targets.shape[-2:]) < 7:
        raise ValueError(f"images must be at least 7x7 for SSIM's window, got {tuple(targets.shape[-2:])}")
    psnr, ssim = _psnr_ssim(targets, outputs)
    return {"psnr": psnr, "ssim": ssim}


@dataclass
class Evaluation:
    """What :func:`evaluate_reconstruction` measures for one trained model (held-out data).

    Attributes:
        index: batch-averaged checkerboard index of the outputs at period 2 (dimensionless).
        psnr: mean PSNR in dB.
        ssim: mean SSIM (0..1).
    """

    index: float
    psnr: float
    ssim: float


def evaluate_reconstruction(model: nn.Module, inputs: torch.Tensor, period: int = 2) -> Evaluation:
    """Checkerboard index, PSNR and SSIM of an autoencoder on ``inputs`` (N, 3, H, W) in [0, 1].

    The index is ``checkerboard_index(outputs, period, reduce='batch')`` on the raw outputs, as
    in :func:`nbhelpers.output_checkerboard_index`; PSNR/SSIM come from :func:`image_quality`.
    """
    inputs = check_tensor("inputs", inputs, min_rank=4)
    outputs = predict(model, inputs)
    quality = image_quality(inputs, outputs)
    index = float(checkerboard_index(outputs, period, reduce="batch"))
    return Evaluation(index=index, psnr=quality["psnr"], ssim=quality["ssim"])


def ring_mask(size: Sequence[int], width: int, device: torch.device | str | None = None) -> torch.Tensor:
    """Boolean (H, W) mask of the outer ring of ``width`` pixels (True on the ring)."""
    dims = [check_int(f"size[{i}]", v, 1) for i, v in enumerate(size)]
    if len(dims) != 2:
        raise ValueError(f"size must be (H, W), got {tuple(dims)}")
    width = check_int("width", width, 1)
    h, w = dims
    if 2 * width >= min(h, w):
        raise ValueError(f"width={width} leaves no interior in a {h}x{w} image (need 2*width < {min(h, w)})")
    mask = torch.ones(h, w, dtype=torch.bool, device=device)
    mask[width : h - width, width : w - width] = False
    return mask


def border_errors(outputs: torch.Tensor, targets: torch.Tensor, width: int = 2) -> dict[str, float]:
    """Mean squared error on the outer ring of ``width`` pixels and in the interior.

    Args:
        outputs, targets: (N, C, H, W), same shape.
        width: ring width in pixels (>= 1, 2 * width < min(H, W)).

    Returns:
        ``{'ring': mse, 'interior': mse, 'ratio': ring / interior}`` (pixel units squared).
    """
    outputs = check_tensor("outputs", outputs, min_rank=2)
    targets = check_tensor("targets", targets, min_rank=2)
    if outputs.shape != targets.shape:
        raise ValueError(f"outputs and targets must have the same shape, got {tuple(outputs.shape)} and "
                         f"{tuple(targets.shape)}")
    mask = ring_mask(outputs.shape[-2:], width, outputs.device)
    err = (outputs - targets.to(outputs.device)).pow(2)
    ring = float(err[..., mask].mean())
    interior = float(err[..., ~mask].mean())
    return {"ring": ring, "interior": interior, "ratio": ring / interior if interior > 0 else math.inf}


@torch.no_grad()
def flat_border_deviation(layer: nn.Module, c_in: int, size: int = 8, level: float = 1.0) -> torch.Tensor:
    """How far a layer's response to a constant input deviates from its interior value, by distance
    to the border.

    Feeds a constant (1, c_in, size, size) input of ``level`` and returns, for each distance d
    from the nearest edge (0 = the outermost ring), the mean absolute deviation of the output on
    that ring from the output at the centre, averaged over output channels. A layer that pads
    by reflection answers 0 everywhere; zero padding darkens the outer rings.

    Returns:
        (R,) tensor on the CPU, R = min(H_out, W_out) // 2 rings, in output units.
    """
    c_in = check_int("c_in", c_in, 1)
    size = check_int("size", size, 2)
    device = model_device(layer)
    out = layer(torch.full((1, c_in, size, size), float(level), device=device))[0]
    h, w = out.shape[-2:]
    centre = out[:, h // 2, w // 2].view(-1, 1, 1)
    dev = (out - centre).abs().mean(dim=0)
    rows = torch.arange(h, device=dev.device).view(-1, 1)
    cols = torch.arange(w, device=dev.device).view(1, -1)
    dist = torch.minimum(torch.minimum(rows, h - 1 - rows), torch.minimum(cols, w - 1 - cols))
    return torch.stack([dev[dist == d].mean() for d in range(min(h, w) // 2)]).cpu()


def error_by_border_distance(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean squared error as a function of the distance to the nearest image edge.

    Args:
        outputs, targets: (N, C, H, W), same shape.

    Returns:
        (R,) tensor on the CPU, R = min(H, W) // 2: entry d is the MSE over the pixels d pixels
        from the nearest edge (0 = the outermost ring), pixel units squared.
    """
    outputs = check_tensor("outputs", outputs, min_rank=4)
    targets = check_tensor("targets", targets, min_rank=4)
    if outputs.shape != targets.shape:
        raise ValueError(f"outputs and targets must have the same shape, got {tuple(outputs.shape)} and "
                         f"{tuple(targets.shape)}")
    h, w = outputs.shape[-2:]
    err = (outputs - targets.to(outputs.device)).pow(2).mean(dim=tuple(range(outputs.dim() - 2)))
    rows = torch.arange(h, device=err.device).view(-1, 1)
    cols = torch.arange(w, device=err.device).view(1, -1)
    dist = torch.minimum(torch.minimum(rows, h - 1 - rows), torch.minimum(cols, w - 1 - cols))
    return torch.stack([err[dist == d].mean() for d in range(min(h, w) // 2)]).cpu()


def format_table(rows: Sequence[Sequence[object]], header: Sequence[str], digits: int = 4) -> str:
    """A plain-text table with aligned columns (floats to ``digits`` significant digits).

    Args:
        rows: one sequence of cells per row, as long as ``header``.
        header: column titles.
        digits: significant digits of float cells.
    """
    digits = check_int("digits", digits, 1)
    header = [str(h) for h in header]

    def cell(v: object) -> str:
        if isinstance(v, float):
            return f"{v:.{digits}g}"
        return str(v)

    body = []
    for i, row in enumerate(rows):
        row = list(row)
        if len(row) != len(header):
            raise ValueError(f"rows[{i}] has {len(row)} cells but header has {len(header)} columns")
        body.append([cell(v) for v in row])
    widths = [max(len(r[j]) for r in [header, *body]) for j in range(len(header))]

    def numeric(text: str) -> bool:
        return any(ch.isdigit() for ch in text) and not any(ch.isalpha() and ch not in "e" for ch in text)

    # text columns align left, numeric columns right
    left = [j == 0 or not all(numeric(r[j]) for r in body) for j in range(len(header))]
    lines = ["  ".join(h.ljust(w) if lj else h.rjust(w) for h, w, lj in zip(header, widths, left))]
    lines.append("  ".join("-" * w for w in widths))
    for r in body:
        lines.append("  ".join(c.ljust(w) if lj else c.rjust(w) for c, w, lj in zip(r, widths, left)))
    return "\n".join(lines)
