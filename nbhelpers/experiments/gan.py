"""A stride-2 discriminator puts period-2 structure into images it trains (fact 9).

The "generator" is a batch of images whose pixels are free parameters: it has no
architecture, so it is neither biased for nor against checkerboards, and whatever period-2
structure appears comes from the discriminator's gradients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .._validate import check_choice, check_int, check_positive, check_tensor
from ..layers.models import PatchDiscriminator
from ..measures.periodic import checkerboard_index
from .progress import Progress

#: How :func:`train_image_gan` moves the pixels: ``'normalized'`` gradient descent (the gradient
#: divided by its mean magnitude, which keeps each pixel's relative share) or ``'adam'`` (which
#: rescales every pixel's step separately).
IMAGE_UPDATES: tuple[str, ...] = ("normalized", "adam")


@dataclass
class GanRun:
    """What :func:`train_image_gan` returns.

    Attributes:
        images: the generated batch after training (N, C, H, W), on the training device.
        steps: the steps at which the index was recorded (0 = before training).
        index: period-2 checkerboard index (per-image, averaged over the batch) at those steps.
        discriminator_losses, generator_losses: one float per step.
        first_stride: the discriminator's first-layer stride.
    """

    images: torch.Tensor
    steps: list[int]
    index: list[float]
    discriminator_losses: list[float]
    generator_losses: list[float]
    first_stride: int

    def mean_index(self, from_step: int = 0, to_step: int | None = None) -> float:
        """Mean of the recorded index over steps from ``from_step`` to ``to_step`` (default: the
        last), both included: smooths step-to-step noise."""
        last = self.steps[-1] if to_step is None else to_step
        values = [v for s, v in zip(self.steps, self.index) if from_step <= s <= last]
        if not values:
            raise ValueError(f"from_step..to_step must include a recorded step (recorded up to "
                             f"{self.steps[-1]}), got {from_step}..{last}")
        return sum(values) / len(values)


def train_image_gan(
    real: torch.Tensor,
    first_stride: int,
    n_images: int = 16,
    steps: int = 100,
    batch_size: int = 16,
    lr_images: float = 0.004,
    lr_discriminator: float = 2e-3,
    record_every: int = 10,
    period: int = 2,
    seed: int = 0,
    progress: bool = True,
    make_discriminator: Callable[[int], nn.Module] | None = None,
    image_update: str = "normalized",
) -> GanRun:
    """Train a directly parameterised image batch against a discriminator.

    The "generator" is the batch of ``n_images`` images itself, each pixel a free parameter
    starting from a smooth random field (a blurred noise image): it has no architecture, so
    it is neither biased for nor against checkerboards. Whatever period-2 structure appears
    comes from the discriminator's gradients. Each step: one discriminator step (Adam,
    non-saturating GAN loss: real vs the current images) and one image step (Adam on the
    pixels, loss ``softplus(-D(images))``). The period-2 index of the images (per image, mean
    over images and channels) is recorded every ``record_every`` steps.

    Args:
        real: real images (M, C, H, W) (e.g. natural patches).
        first_stride: 2 or 1, the discriminator's first-layer stride
            (:class:`PatchDiscriminator`), or the argument to ``make_discriminator``.
        n_images: size of the generated batch.
        steps: training steps.
        batch_size: real images per discriminator step.
        lr_images, lr_discriminator: Adam learning rates (> 0).
        record_every: record the index every this many steps.
        period: period of the recorded index.
        seed: seeds the discriminator, the starting images and the real batches.
        progress: show progress (a line that ends as the run's summary in Jupyter).
        make_discriminator: optional factory ``first_stride -> nn.Module`` mapping images to (N,) logits.

    Returns:
        :class:`GanRun`.
    """
    x = check_tensor("real", real, min_rank=4)
    if x.dim() != 4:
        raise ValueError(f"real must have shape (M, C, H, W), got {tuple(x.shape)}")
    first_stride = check_int("first_stride", first_stride, 1)
    n_images = check_int("n_images", n_images, 1)
    steps = check_int("steps", steps, 1)
    batch_size = min(check_int("batch_size", batch_size, 1), x.shape[0])
    record_every = check_int("record_every", record_every, 1)
    period = check_int("period", period, 2)
    seed = check_int("seed", seed, 0)
    lr_images = check_positive("lr_images", lr_images)
    lr_discriminator = check_positive("lr_discriminator", lr_discriminator)
    check_choice("image_update", image_update, IMAGE_UPDATES)
    torch.manual_seed(seed)
    disc = (make_discriminator or (lambda s: PatchDiscriminator(s, x.shape[1])))(first_stride).to(x.device)
    gen = torch.Generator().manual_seed(seed)
    images = nn.Parameter(_smooth_start(x, n_images, gen))
    opt_d = torch.optim.Adam(disc.parameters(), lr=lr_discriminator, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam([images], lr=lr_images, betas=(0.5, 0.999)) if image_update == "adam" else None

    def index_now() -> float:
        return float(checkerboard_index(images.detach(), period, ndim=2, reduce="mean"))

    run = GanRun(images=images, steps=[0], index=[index_now()], discriminator_losses=[], generator_losses=[],
                 first_stride=first_stride)
    bar = Progress(steps, f"GAN, first stride {first_stride}, seed {seed}", enabled=progress)
    for step in range(1, steps + 1):
        bar.update(1)
        batch = x[torch.randint(x.shape[0], (batch_size,), generator=gen).to(x.device)]
        d_loss, g_loss = _gan_step(disc, images, batch, opt_d, opt_g, lr_images)
        run.discriminator_losses.append(d_loss)
        run.generator_losses.append(g_loss)
        if step % record_every == 0:
            run.steps.append(step)
            run.index.append(index_now())
    bar.close(f"GAN, first stride {first_stride}, seed {seed}: {steps} steps, period-2 index "
              f"{run.index[0]:.3f} -> {run.index[-1]:.3f}")
    run.images = images.detach()
    return run


def _smooth_start(x: torch.Tensor, n_images: int, gen: torch.Generator) -> torch.Tensor:
    """A batch of blurred noise images with the mean and spread of ``x``: (n, C, H, W) on x's device."""
    noise = torch.randn(n_images, x.shape[1], x.shape[2] + 8, x.shape[3] + 8, generator=gen)
    smooth = F.avg_pool2d(F.avg_pool2d(noise, 5, 1), 5, 1).to(x.device)
    return x.mean() + x.std() * smooth / smooth.std()


def _gan_step(disc: nn.Module, images: nn.Parameter, batch: torch.Tensor, opt_d: torch.optim.Optimizer,
              opt_g: torch.optim.Optimizer | None, lr_images: float) -> tuple[float, float]:
    """One discriminator step and one image step; returns the two losses."""
    opt_d.zero_grad(set_to_none=True)
    d_loss = F.softplus(-disc(batch)).mean() + F.softplus(disc(images.detach())).mean()
    d_loss.backward()
    opt_d.step()
    g_loss = F.softplus(-disc(images)).mean()
    if opt_g is None:  # normalised gradient descent: keeps each pixel's relative share
        (grad,) = torch.autograd.grad(g_loss, images)
        with torch.no_grad():
            images -= lr_images * grad / grad.abs().mean().clamp_min(1e-12)
    else:
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
    return float(d_loss.detach()), float(g_loss.detach())
