"""Feature visualisation: DeepDream-style optimisation of an input, with and without jitter.

Gradient ascent on an image to excite one channel inherits the checkerboard of the network's
input gradients; optimising at random offsets each step ("jitter") averages much of it away.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from .._validate import check_int, check_model, check_positive, check_tensor
from ..runtime import model_device


def jitter_offsets(steps: int, max_shift: int, seed: int = 0) -> torch.Tensor:
    """Random (row, column) shifts for jittered optimisation, deterministic given ``seed``.

    Args:
        steps: number of steps (>= 1).
        max_shift: shifts are uniform integers in [-max_shift, max_shift] (0 = no jitter).
        seed: seed of a CPU generator (same offsets on every device).

    Returns:
        int64 (steps, 2) on the CPU.
    """
    steps = check_int("steps", steps, 1)
    max_shift = check_int("max_shift", max_shift, 0)
    gen = torch.Generator().manual_seed(check_int("seed", seed, 0))
    return torch.randint(-max_shift, max_shift + 1, (steps, 2), generator=gen)


@dataclass
class FeatureVisualization:
    """What :func:`feature_visualization` returns.

    Attributes:
        image: the optimised input (C, H, W), unclipped, on the model's device.
        activations: the objective (mean activation of the channel) after every step.
        offsets: (steps, 2) jitter offsets used (all zero without jitter).
    """

    image: torch.Tensor
    activations: list[float] = field(default_factory=list)
    offsets: torch.Tensor | None = None


def feature_visualization(
    features: nn.Module,
    channel: int,
    size: int = 64,
    steps: int = 100,
    step_size: float = 0.02,
    max_shift: int = 0,
    seed: int = 0,
    in_channels: int = 3,
    start: torch.Tensor | None = None,
) -> FeatureVisualization:
    """Optimise an input image to excite one channel (DeepDream-style gradient ascent).

    Start from a grey image plus a little noise; each step roll the image by a jitter offset
    (:func:`jitter_offsets`; none when ``max_shift=0``), take the gradient of the channel's mean
    activation, roll the gradient back and move the image by ``step_size`` times the gradient
    divided by its mean magnitude (DeepDream's normalisation; unlike Adam it keeps the relative
    size of each pixel's gradient, which is what carries the artifact).

    Args:
        features: maps (1, in_channels, size, size) to feature maps (1, K, h, w).
        channel: which of the K channels to excite.
        size: image side in pixels.
        steps: optimisation steps.
        step_size: step in pixel units per step (> 0).
        max_shift: jitter range in pixels (0 = no jitter).
        seed: seeds the starting noise and the offsets.
        in_channels: image channels.
        start: optional starting image (in_channels, size, size), e.g. a photograph as DeepDream
            uses; default grey (0.5) plus noise of std 0.01.

    Returns:
        :class:`FeatureVisualization`.
    """
    features = check_model(features)
    size = check_int("size", size, 4)
    steps = check_int("steps", steps, 1)
    seed = check_int("seed", seed, 0)
    cin = check_int("in_channels", in_channels, 1)
    step_size = check_positive("step_size", step_size)
    offsets = jitter_offsets(steps, max_shift, seed)
    device = model_device(features)
    gen = torch.Generator().manual_seed(seed)
    if start is None:
        image = (0.5 + 0.01 * torch.randn(1, cin, size, size, generator=gen)).to(device)
    else:
        image = check_tensor("start", start, min_rank=3)
        if image.shape != (cin, size, size):
            raise ValueError(f"start must have shape ({cin}, {size}, {size}), got {tuple(image.shape)}")
        image = image.detach().to(device).unsqueeze(0)
    was_training = features.training
    features.eval()
    activations: list[float] = []
    try:
        n_channels = None
        for step in range(steps):
            dy, dx = (int(v) for v in offsets[step])
            x = torch.roll(image, (dy, dx), dims=(2, 3)).requires_grad_(True)
            maps = features(x)
            if n_channels is None:
                n_channels = maps.shape[1]
                check_int("channel", channel, 0, n_channels - 1)
            objective = maps[:, channel].mean()
            (grad,) = torch.autograd.grad(objective, x)
            grad = torch.roll(grad, (-dy, -dx), dims=(2, 3))
            image = image + step_size * grad / grad.abs().mean().clamp_min(1e-12)
            activations.append(float(objective.detach()))
    finally:
        features.train(was_training)
    return FeatureVisualization(image=image[0].detach(), activations=activations, offsets=offsets)


def excited_channels(features: nn.Module, images: torch.Tensor, k: int = 1) -> list[int]:
    """The ``k`` channels of ``features`` with the largest mean activation on ``images`` (N, C, H, W).

    Feature visualisation starts from these: a channel that the start image leaves at zero (a
    ReLU below threshold everywhere) has zero gradient and never moves.
    """
    features = check_model(features)
    x = check_tensor("images", images, min_rank=4)
    with torch.no_grad():
        acts = features(x.to(model_device(features))).mean(dim=(0, 2, 3))
    k = check_int("k", k, 1, acts.numel())
    return acts.argsort(descending=True)[:k].tolist()


def jitter_comparison(
    features: nn.Module,
    starts: torch.Tensor,
    max_shift: int = 8,
    steps: int = 50,
    step_size: float = 0.01,
) -> list[tuple[FeatureVisualization, FeatureVisualization]]:
    """Feature visualisation without and with jitter, from each of several start images.

    Start image j (a photograph, DeepDream-style) excites the j-th most excited channel
    (:func:`excited_channels` on all the starts); both runs use seed j.

    Args:
        features: maps (1, C, S, S) to feature maps.
        starts: (J, C, S, S) start images.
        max_shift, steps, step_size: as in :func:`feature_visualization`.

    Returns:
        J pairs (without jitter, with jitter).
    """
    x = check_tensor("starts", starts, min_rank=4)
    if x.dim() != 4 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"starts must have shape (J, C, S, S), got {tuple(x.shape)}")
    max_shift = check_int("max_shift", max_shift, 1)
    channels = excited_channels(features, x, x.shape[0])
    pairs = []
    for j, channel in enumerate(channels):
        runs = tuple(
            feature_visualization(features, channel, x.shape[-1], steps, step_size, shift, seed=j,
                                  in_channels=x.shape[1], start=x[j])
            for shift in (0, max_shift)
        )
        pairs.append(runs)
    return pairs  # type: ignore[return-value]
