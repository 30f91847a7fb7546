"""Notebook 07's experiments: tonal artifacts of 1D upsampling stacks, and a trained x4 upsampler.

- :func:`upsampling_stack`: a stack of random 1D upsampling layers (transposed convolutions of
  given kernels and strides, or sub-pixel convolutions) with biases and ReLUs, as the early layers
  of a vocoder are at initialisation;
- :func:`stack_tones`: its predicted tones (from :func:`nbhelpers.audit.audit` with a sample rate)
  against the peaks measured in its output spectrum;
- :func:`bandwidth_data` and :func:`train_audio_upsampler`: the bandwidth-extension task (clips at
  16 kHz from their 4 kHz version), trained as the long runs are, and :func:`measure_upsampler`:
  tone prominence at the artifact frequency, high-band energy error, log-spectral distance, MSE.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from .._validate import check_int, check_layers, check_positive
from ..layers.models import audio_upsampler
from ..layers.upsampling import SubPixelConv1d
from ..measures.audio import (
    average_spectrum,
    band_energy_error,
    log_spectral_distance,
    spectral_peaks,
    tone_prominence,
)
from ..runtime import seed_everything
from .learning import predict
from .sounds import SAMPLE_RATE, downsample, sound_clips

SCALE = 4  # the upsampler's factor: 4 kHz in, 16 kHz out
TONE_HZ = SAMPLE_RATE / 4  # the period-4 tone of the first x2 stage (and every multiple: Nyquist)
HIGH_BAND_HZ = SAMPLE_RATE / (2 * SCALE)  # above the input's Nyquist: what the model must create


def upsampling_stack(
    kernels: Sequence[int], strides: Sequence[int], kind: str = "transposed", width: int = 8, seed: int = 0
) -> nn.Module:
    """Random 1D upsampling layers with biases, ReLU between them: (N, width, L) -> (N, 1, L * prod(s)).

    ``kind='transposed'``: ``ConvTranspose1d(k, s, padding=(k - s) // 2)`` per layer (the output
    length is s L when k - s is even); ``'subpixel'``: a sub-pixel convolution of scale s (kernel
    3, no ICNR) per layer, ``kernels`` ignored. Initialised from ``seed``.
    """
    ks, ss = check_layers(kernels, strides)
    if kind not in ("transposed", "subpixel"):
        raise ValueError(f"kind must be 'transposed' or 'subpixel', got {kind!r}")
    width = check_int("width", width, 1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(check_int("seed", seed, 0))
        layers: list[nn.Module] = []
        for i, (k, s) in enumerate(zip(ks, ss)):
            out = 1 if i == len(ks) - 1 else width
            if kind == "subpixel":
                layers.append(SubPixelConv1d(width, out, s, kernel_size=3, icnr=False, padding_mode="zeros"))
            else:
                layers.append(nn.ConvTranspose1d(width, out, k, stride=s, padding=(k - s) // 2))
            if i < len(ks) - 1:
                layers.append(nn.ReLU())
    return nn.Sequential(*layers)


@dataclass
class StackTones:
    """Predicted tones of a stack and what its output spectrum shows."""

    predicted: list[float]  # Hz, below Nyquist, from the audit
    prominence: dict[float, float]  # predicted tone -> dB above its neighbourhood
    peaks: list[float]  # every frequency standing `threshold_db` above its neighbourhood
    unpredicted: list[float]  # peaks farther than one bin from every predicted tone
    freqs: torch.Tensor
    power: torch.Tensor


def stack_tones(
    model: nn.Module,
    input_shape: Sequence[int],
    sample_rate: float = SAMPLE_RATE,
    batch: int = 32,
    threshold_db: float = 10.0,
    n_fft: int = 2048,
    seed: int = 0,
) -> StackTones:
    """Audit ``model`` at ``sample_rate`` (its output's rate) for the tones its layers predict, then
    measure the average spectrum of its outputs for ``batch`` white-noise inputs: each predicted
    tone's prominence and every peak above ``threshold_db``."""
    from ..audit import audit

    rate = check_positive("sample_rate", sample_rate)
    report = audit(model, input_shape, sample_rate=rate, batch=2)
    predicted = sorted({f for layer in report.layers for f in layer.tones_hz if f < rate / 2})
    gen = torch.Generator().manual_seed(check_int("seed", seed, 0))
    x = torch.rand((check_int("batch", batch, 1), *tuple(input_shape)[1:]), generator=gen)
    with torch.no_grad():
        out = model.eval()(x)
    freqs, power = average_spectrum(out, rate, n_fft)
    bin_hz = rate / n_fft
    peaks = spectral_peaks(freqs, power, threshold_db)
    unpredicted = [p for p in peaks if all(abs(p - f) > 1.01 * bin_hz for f in predicted) and p < rate / 2]
    return StackTones(
        predicted, {f: tone_prominence(freqs, power, f) for f in predicted}, peaks, unpredicted, freqs, power
    )


def bandwidth_data(count: int = 1024, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs (count, 1, 1024) at 4 kHz, targets (count, 1, 4096) at 16 kHz) from :func:`sound_clips`."""
    targets = sound_clips(count, 4096, seed=seed)
    return downsample(targets, SCALE), targets


def measure_upsampler(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
    """Artifact and quality numbers of an upsampler's outputs for ``inputs`` against ``targets``:
    ``tone_db`` (prominence at 4 kHz, the first stage's period-4 tone, of the outputs' average
    spectrum), ``high_band_db`` (energy error above 2 kHz), ``lsd`` (log-spectral distance, dB), ``mse``."""
    with torch.no_grad():
        outputs = predict(model, inputs).cpu()
    freqs, power = average_spectrum(outputs, SAMPLE_RATE, 2048)
    return {
        "tone_db": tone_prominence(freqs, power, TONE_HZ),
        "high_band_db": band_energy_error(outputs, targets, SAMPLE_RATE, HIGH_BAND_HZ),
        "lsd": log_spectral_distance(outputs, targets),
        "mse": float(nn.functional.mse_loss(outputs, targets)),
    }


def train_audio_upsampler(
    config: object, device: torch.device, progress: bool = True
) -> tuple[nn.Module, list[dict], float]:
    """The x4 upsampler of ``config.kind`` trained on 1024 clips under MSE, measured at the config's
    checkpoints on 64 held-out clips; returns (model, checkpoints, seconds) as the long runs store them."""
    from .tasks import _train

    inputs, targets = bandwidth_data(1024, seed=0)
    held_in, held_target = bandwidth_data(64, seed=1)
    seed_everything(config.seed)
    model = audio_upsampler(config.kind)
    return _train(
        config,
        model,
        (inputs, targets),
        "mse",
        device,
        progress,
        lambda m: measure_upsampler(m, held_in, held_target),
    )
