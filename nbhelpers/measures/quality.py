"""Image quality of a reconstruction: PSNR and SSIM from scikit-image."""

from __future__ import annotations

import numpy as np
import torch

from .._validate import check_tensor


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
