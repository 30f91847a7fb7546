"""What one long run trains and measures, per task (used by :mod:`.longrun`).

Each runner takes a :class:`~.longrun.RunConfig`, a device and a progress flag, trains on one
CPU thread's worth of work exactly as its notebook does, and returns ``(checkpoints, seconds)``:
one dict of metrics per checkpoint step (step 0: the model at initialisation), and the training
wall time.

- ``autoencoder``: index (batch-averaged, period 2), PSNR, SSIM and MSE on the 256 held-out
  patches, the last upsampler's relative phase spread on flat inputs, and the training loss over
  the last 100 steps;
- ``colour``, ``colour-nobias``: for 64 flat target colours, the slope and Spearman correlation
  of the artifact amplitude against the colour's distance from the data's mean colour, and the
  mean amplitude;
- ``gan``: the images' period-2 index averaged over the second half of the steps so far;
- ``downsampling``: notebook 04's classifier of one downsampling design: held-out accuracy and its
  input gradients' index, phase ratio and high-frequency share;
- ``audio``: notebook 07's x4 audio upsampler (bandwidth extension, 4 -> 16 kHz) of one kind:
  its 4 kHz tone's prominence, high-band energy error, log-spectral distance and MSE on 64
  held-out clips (:func:`.audio.measure_upsampler`);
- ``fingerprint``: notebook 08's patch autoencoder of one kind (or with only its last upsampling
  layer swapped, e.g. ``deconv3_last_nearest``) under MSE or MSE plus a spectral loss: a spectral
  detector's accuracy (real vs reconstructed held-out patches) with its 95% interval, the index,
  PSNR and the high-band spectral gap (:func:`.fingerprints.measure_fingerprint`).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import torch
from torch import nn

from ..layers.models import autoencoder, code_decoder, downsampling_cnn, last_upsampler
from ..measures.periodic import checkerboard_index
from ..measures.quality import image_quality
from ..measures.stats import fit_line, rank_correlation
from ..runtime import seed_everything
from .data import colored_shapes, natural_patches
from .gan import train_image_gan
from .gradients import image_source_task, measure_input_gradients
from .learning import (
    color_artifact_sweep,
    color_grid,
    flat_response,
    layer_input_means,
    phase_spread,
    predict,
)
from .training import train

Measured = tuple[list[dict], float]


class RandomFeatures(nn.Module):
    """Fixed random convolutional features: conv 3x3 (3 -> 16), ReLU, 2x2 average pooling, conv 3x3
    (16 -> 32), ReLU. Drawn from seed 1234 on the CPU and frozen; nothing is downloaded."""

    def __init__(self) -> None:
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(1234)
            self.body = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
                                      nn.Conv2d(16, 32, 3, padding=1), nn.ReLU())
        self.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class PerceptualLoss(nn.Module):
    """MSE between :class:`RandomFeatures` of prediction and target: a loss that does not penalise
    a fine pixel pattern directly (the pooling averages a period-2 pattern away after one layer)."""

    def __init__(self) -> None:
        super().__init__()
        self.features = RandomFeatures()

    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return nn.functional.mse_loss(self.features(prediction), self.features(target))


def _train(config: object, model: nn.Module, data: object, loss: object, device: torch.device, progress: bool,
           measure: Callable[[nn.Module], dict]) -> tuple[nn.Module, list[dict], float]:
    measured: list[dict] = [{"step": 0, **measure(model)}]  # the model at initialisation
    history = train(model, data, loss=loss, steps=config.steps, batch_size=config.batch_size, lr=config.lr,
                    seed=config.seed, device=device, progress=progress, desc=config.name,
                    checkpoints=config.checkpoints,
                    on_checkpoint=lambda step, m: measured.append({"step": step, **measure(m)}))
    for entry in measured[1:]:
        tail = history.losses[max(0, entry["step"] - 100) : entry["step"]]
        entry["train_loss"] = sum(tail) / len(tail)
    return model, measured, history.seconds


def _phase_spread(model: nn.Module, inputs: torch.Tensor) -> float:
    """Relative spread of the last upsampler's flat response (notebook 03): rms over phases of the
    pattern it paints on a flat input at the levels it sees, over that response's mean magnitude."""
    layer = last_upsampler(model)
    response = flat_response(layer, layer_input_means(model, layer, inputs))
    return float((phase_spread(response) / response.abs().mean().clamp_min(1e-12)).mean())


def train_autoencoder(
    config: object, device: torch.device, progress: bool = True
) -> tuple[nn.Module, list[dict], float]:
    """The patch autoencoder of notebooks 03 and 05 (2048 training patches, 256 held out), trained
    and measured as a long run is; returns (trained model, checkpoints, seconds), so a notebook can
    train a short run live and compare it with the stored one."""
    patches = natural_patches(2048, size=32, split="train", seed=0, device=device)
    heldout = natural_patches(256, size=32, split="heldout", seed=0, device=device)

    def measure(model: nn.Module) -> dict:
        outputs = predict(model, heldout)
        quality = image_quality(heldout, outputs)
        index = float(checkerboard_index(outputs, 2, ndim=2, reduce="batch"))
        return {"index": index, "psnr": quality["psnr"], "ssim": quality["ssim"],
                "mse": float(nn.functional.mse_loss(outputs, heldout)),
                "phase_spread": _phase_spread(model, heldout)}

    loss = "mse" if config.loss == "mse" else PerceptualLoss().to(device)
    seed_everything(config.seed)
    return _train(config, autoencoder(config.kind), patches, loss, device, progress, measure)


def _without_biases(model: nn.Module) -> nn.Module:
    """Freeze every convolution's bias at zero (the colour ablation)."""
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)) and module.bias is not None:
            nn.init.zeros_(module.bias)
            module.bias.requires_grad_(False)
    return model


def train_colour(
    config: object, device: torch.device, progress: bool = True
) -> tuple[nn.Module, list[dict], float]:
    """Notebook 03's shape-code decoder, trained and measured as a long run is; ``colour-nobias``
    freezes its convolution biases at zero. Returns (trained model, checkpoints, seconds)."""
    shapes = colored_shapes(2048, size=32, seed=0, device=device)
    colors = color_grid(64, seed=0, device=device)

    def measure(model: nn.Module) -> dict:
        distance, amplitude = color_artifact_sweep(model, colors, shapes.mean_color)
        return {"slope": fit_line(distance, amplitude)[0], "spearman": rank_correlation(distance, amplitude),
                "amplitude": float(amplitude.mean())}

    seed_everything(config.seed)
    model = code_decoder(config.kind)
    if config.task == "colour-nobias":
        model = _without_biases(model)
    return _train(config, model, shapes.dataset(), "mse", device, progress, measure)


def run_autoencoder(config: object, device: torch.device, progress: bool) -> Measured:
    """Long-run form of :func:`train_autoencoder`."""
    return train_autoencoder(config, device, progress)[1:]


def run_colour(config: object, device: torch.device, progress: bool) -> Measured:
    """Long-run form of :func:`train_colour`."""
    return train_colour(config, device, progress)[1:]


@functools.lru_cache(maxsize=2)
def _downsampling_data(device: str) -> tuple[torch.Tensor, ...]:
    """Notebook 04's training and held-out patches with their labels, built once per device (0.5 s;
    a notebook trains six designs on them). Nothing writes into them: training indexes them."""
    return (*image_source_task(1024, size=32, split="train", seed=0, device=device),
            *image_source_task(256, size=32, split="heldout", seed=0, device=device))


def train_downsampling(
    config: object, device: torch.device, progress: bool = True
) -> tuple[nn.Module, list[dict], float]:
    """Notebook 04's classifier of one downsampling design (7 source images, 1024 training patches),
    trained and measured as a long run is: held-out accuracy and the artifacts of its input gradients
    (index of |gradient|, phase ratio, share of gradient power above 0.35 cycles/pixel). Returns
    (trained model, checkpoints, seconds)."""
    train_x, train_y, heldout_x, heldout_y = _downsampling_data(str(device))

    def measure(model: nn.Module) -> dict:
        found = measure_input_gradients(model, heldout_x, heldout_y)
        accuracy = float((predict(model, heldout_x).argmax(1) == heldout_y).float().mean())
        return {"index": found.index, "phase_ratio": found.phase_ratio,
                "high_frequency_share": found.high_frequency_share, "accuracy": accuracy}

    seed_everything(config.seed)
    model = downsampling_cnn(config.kind)
    data = (train_x, train_y)
    return _train(config, model, data, nn.functional.cross_entropy, device, progress, measure)


def run_downsampling(config: object, device: torch.device, progress: bool) -> Measured:
    """Long-run form of :func:`train_downsampling`."""
    return train_downsampling(config, device, progress)[1:]


def run_gan(config: object, device: torch.device, progress: bool) -> Measured:
    """Notebook 04's image GAN (16 images of free pixels against a stride-2 or stride-1 discriminator)."""
    real = natural_patches(1024, size=32, split="train", seed=0, device=device)
    stride = {"stride2": 2, "stride1": 1}[config.kind]
    start = time.perf_counter()
    result = train_image_gan(real, stride, steps=config.steps, record_every=10, seed=config.seed,
                             progress=progress)
    seconds = time.perf_counter() - start
    measured = [{"step": 0, "index": result.index[0]}]
    measured += [{"step": c, "index": result.mean_index(c // 2, c)} for c in config.checkpoints]
    return measured, seconds


def run_audio(config: object, device: torch.device, progress: bool) -> Measured:
    """Long-run form of :func:`.audio.train_audio_upsampler`."""
    from .audio import train_audio_upsampler

    return train_audio_upsampler(config, device, progress)[1:]


def run_fingerprint(config: object, device: torch.device, progress: bool) -> Measured:
    """Long-run form of :func:`.fingerprints.train_fingerprint`."""
    from .fingerprints import train_fingerprint

    return train_fingerprint(config, device, progress)[1:]


TASK_RUNNERS: dict[str, Callable[[object, torch.device, bool], Measured]] = {
    "autoencoder": run_autoencoder, "colour": run_colour, "colour-nobias": run_colour, "gan": run_gan,
    "downsampling": run_downsampling, "audio": run_audio, "fingerprint": run_fingerprint,
}
