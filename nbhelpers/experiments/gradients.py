"""Checkerboards in input gradients: measure them per downsampling design (fact 9).

:func:`input_gradients` takes the gradient of a classifier's loss with respect to its inputs;
:func:`measure_input_gradients` summarises it with the batch-averaged checkerboard index of
|gradient| and the ratio of the strongest to the weakest phase.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .._validate import check_model, check_tensor
from ..measures.periodic import checkerboard_index, phase_ratio, polyphase_means
from ..measures.spectra import high_frequency_share
from ..runtime import model_device


def image_source_task(
    n: int, size: int = 32, split: str = "train", seed: int = 0, device: torch.device | str | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """A small classification task: which scikit-image photograph did this patch come from?

    Patches and labels from :func:`nbhelpers.natural_patches` (``return_origins=True``); the
    label is the index of the source image in :data:`nbhelpers.experiments.data.NATURAL_IMAGES` (7 classes).

    Returns:
        (patches (n, 3, size, size) in [0, 1], labels int64 (n,)), both on ``device``.
    """
    from .data import natural_patches

    patches, origins = natural_patches(n, size, split, seed, device=device, return_origins=True)
    return patches, origins[:, 0].to(patches.device)


def input_gradients(
    model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor | None = None
) -> torch.Tensor:
    """Gradient of a classifier's loss (or of its summed logits) with respect to each input.

    With ``labels``: the gradient of the cross-entropy of each image with its label (summed over
    the batch, so each image's gradient is its own). Without: the gradient of the sum of all
    logits, a fixed linear readout. The model runs in eval mode; its parameters get no gradient.

    Args:
        model: maps (N, C, H, W) to logits (N, K).
        inputs: (N, C, H, W).
        labels: optional int64 (N,) class indices in [0, K).

    Returns:
        (N, C, H, W) input gradients on the model's device.
    """
    model = check_model(model)
    x = check_tensor("inputs", inputs, min_rank=4)
    if x.dim() != 4:
        raise ValueError(f"inputs must have shape (N, C, H, W), got {tuple(x.shape)}")
    device = model_device(model)
    x = x.detach().to(device).requires_grad_(True)
    was_training = model.training
    model.eval()
    try:
        logits = model(x)
        if labels is None:
            objective = logits.sum()
        else:
            n = x.shape[0]
            if not isinstance(labels, torch.Tensor) or labels.shape != (n,) or labels.is_floating_point():
                shape = tuple(labels.shape) if isinstance(labels, torch.Tensor) else type(labels).__name__
                raise ValueError(f"labels must be an integer tensor of shape ({x.shape[0]},), got {shape}")
            objective = F.cross_entropy(logits, labels.to(device), reduction="sum")
        (grad,) = torch.autograd.grad(objective, x)
    finally:
        model.train(was_training)
    return grad


@dataclass
class GradientArtifacts:
    """What :func:`measure_input_gradients` returns.

    Attributes:
        index: ``checkerboard_index(|grads|, period, ndim=2, reduce='batch')``: the pattern every
            image's gradient magnitude shares (magnitudes, because the sign of a gradient changes
            from image to image and signed patterns would cancel in the average); dimensionless.
        phase_ratio: ``phase_ratio(|grads|, period, ndim=2)``: strongest / weakest phase's mean
            |gradient|.
        phase_means: (p, p) mean |gradient| of each phase over the batch and channels, in
            gradient units.
        magnitude_map: (H, W) mean |gradient| over the batch and channels, in gradient units.
        high_frequency_share: share of the (signed) gradients' power above 0.35 cycles/pixel,
            mean over images and channels (:func:`nbhelpers.measures.high_frequency_share`):
            grid-independent, so it also sees max pooling's scattered gradient.
    """

    index: float
    phase_ratio: float
    phase_means: torch.Tensor
    magnitude_map: torch.Tensor
    high_frequency_share: float


def measure_input_gradients(
    model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor | None = None, period: int = 2
) -> GradientArtifacts:
    """Input gradients of ``model`` on ``inputs`` (:func:`input_gradients`) and their artifacts.

    Args:
        model: classifier (N, C, H, W) -> (N, K).
        inputs: (N, C, H, W).
        labels: optional (N,) class indices (gradient of the cross-entropy), else summed logits.
        period: period of the index and of the phases.

    Returns:
        :class:`GradientArtifacts` (tensors on the CPU).
    """
    grads = input_gradients(model, inputs, labels)
    magnitude = grads.abs()
    return GradientArtifacts(
        index=float(checkerboard_index(magnitude, period, ndim=2, reduce="batch")),
        phase_ratio=float(phase_ratio(magnitude, period, ndim=2)),
        phase_means=polyphase_means(magnitude, period, ndim=2).mean(dim=(0, 1)).cpu(),
        magnitude_map=magnitude.mean(dim=(0, 1)).cpu(),
        high_frequency_share=float(high_frequency_share(grads, 0.35, ndim=2).mean()),
    )
