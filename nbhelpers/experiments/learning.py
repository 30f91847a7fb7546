"""Measure what trained decoders do: effective overlap after learning, artifacts, colour.

Facts 6 and 7 (notebook 03) and the reconstruction quality of notebook 05. No plotting here.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .._validate import check_int, check_model, check_tensor
from ..measures.periodic import checkerboard_amplitude, checkerboard_index, polyphase_means
from ..measures.quality import image_quality
from ..runtime import model_device
from .data import flat_color_codes


@torch.no_grad()
def predict(model: nn.Module, inputs: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Run ``model`` in eval mode on ``inputs`` (N, ...) in chunks; returns outputs (N, ...)."""
    model = check_model(model)
    inputs = check_tensor("inputs", inputs, min_rank=2)
    batch_size = check_int("batch_size", batch_size, 1)
    was_training = model.training
    model.eval()
    device = model_device(model)
    outs = [model(inputs[i : i + batch_size].to(device)) for i in range(0, inputs.shape[0], batch_size)]
    model.train(was_training)
    return torch.cat(outs)


@torch.no_grad()
def layer_input_means(model: nn.Module, layer: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """Mean activation of each input channel of ``layer`` while ``model`` runs on ``inputs``.

    Returns:
        (C_in,) tensor: the per-channel level of the feature map that ``layer`` receives.
    """
    model = check_model(model)
    seen: list[torch.Tensor] = []
    handle = layer.register_forward_hook(lambda _m, args, _out: seen.append(args[0].mean(dim=(0, 2, 3))))
    try:
        predict(model, inputs)
    finally:
        handle.remove()
    if not seen:
        raise ValueError("layer did not run when model ran on inputs: is it part of model?")
    return torch.stack(seen).mean(dim=0)


@torch.no_grad()
def flat_response(
    layer: nn.Module, channel_levels: torch.Tensor, period: int = 2, size: int = 8
) -> torch.Tensor:
    """The pattern an upsampling layer paints onto a flat input: effective overlap.

    Feeds a constant feature map (channel c equal to ``channel_levels[c]``) of ``size`` x
    ``size`` through ``layer``, subtracts the response to zeros (the bias), drops a border of
    ``period`` pixels and returns the polyphase means. For a ConvTranspose2d this equals
    :func:`nbhelpers.layers.phases.phase_sums` with those channel weights; for nearest
    resize-convolution every phase gets the same value.

    Args:
        layer: maps (1, C_in, size, size) to (1, C_out, H', W').
        channel_levels: (C_in,) input level per channel (e.g. :func:`layer_input_means`).
        period: the layer's stride.
        size: side of the flat input.

    Returns:
        (C_out, period, period): output (without bias) at each phase, in output units.
    """
    levels = check_tensor("channel_levels", channel_levels, min_rank=1)
    period = check_int("period", period, 2)
    size = check_int("size", size, 3)
    device = model_device(layer) if next(layer.parameters(), None) is not None else levels.device
    levels = levels.to(device)
    flat = levels.view(1, -1, 1, 1).expand(1, levels.shape[0], size, size).contiguous()
    out = layer(flat) - layer(torch.zeros_like(flat))
    b = period
    interior = out[0, :, b:-b, b:-b]
    return polyphase_means(interior, period, ndim=2)


def phase_spread(response: torch.Tensor) -> torch.Tensor:
    """Rms over phases of a flat response minus its mean, per output channel.

    Args:
        response: (C, p, p) from :func:`flat_response` or :func:`nbhelpers.layers.phases.phase_sums`.

    Returns:
        (C,) amplitude of the checkerboard the layer paints on flat regions, in output units.
    """
    response = check_tensor("response", response, min_rank=2)
    centred = response - response.mean(dim=(-2, -1), keepdim=True)
    return centred.pow(2).mean(dim=(-2, -1)).sqrt()


@torch.no_grad()
def decode_colors(model: nn.Module, colors: torch.Tensor) -> torch.Tensor:
    """Outputs of a shape-code decoder asked for flat fields of ``colors`` (N, 3) -> (N, 3, H, W)."""
    colors = check_tensor("colors", colors, min_rank=2)
    if colors.dim() != 2 or colors.shape[1] != 3:
        raise ValueError(f"colors must have shape (N, 3) with RGB in [0, 1], got {tuple(colors.shape)}")
    return predict(model, flat_color_codes(colors.to(model_device(check_model(model)))))


def color_grid(n: int = 64, seed: int = 0, device: torch.device | str | None = None) -> torch.Tensor:
    """``n`` colours drawn uniformly from the RGB cube, deterministic: (n, 3) in [0, 1]."""
    n = check_int("n", n, 1)
    gen = torch.Generator().manual_seed(check_int("seed", seed, 0))
    colors = torch.rand(n, 3, generator=gen)
    return colors if device is None else colors.to(device)


def color_artifact_sweep(
    model: nn.Module, colors: torch.Tensor, mean_color: torch.Tensor, period: int = 2
) -> tuple[torch.Tensor, torch.Tensor]:
    """Artifact amplitude against the distance of each target colour from the data's mean colour.

    The decoder is asked for a flat field of each colour; the amplitude is the rms of its
    output's periodic part (:func:`nbhelpers.measures.checkerboard_amplitude`), rms over the three
    channels, in pixel units (0-1 scale).

    Args:
        model: a shape-code decoder ((N, 10) -> (N, 3, H, W)).
        colors: (N, 3) target colours.
        mean_color: (3,) the training data's mean colour.

    Returns:
        (distances (N,), amplitudes (N,)) on the CPU; distances are Euclidean in RGB.
    """
    mean_color = check_tensor("mean_color", mean_color, min_rank=1)
    if mean_color.shape != (3,):
        raise ValueError(f"mean_color must have shape (3,), got {tuple(mean_color.shape)}")
    outputs = decode_colors(model, colors)
    amplitude = checkerboard_amplitude(outputs, period, ndim=2).pow(2).mean(dim=1).sqrt()
    distance = (colors.to(torch.float32).cpu() - mean_color.cpu()).norm(dim=1)
    return distance, amplitude.cpu()


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

    The index is ``checkerboard_index(outputs, period, ndim=2, reduce='batch')`` on the raw
    outputs (the pattern every output shares); PSNR/SSIM come from
    :func:`nbhelpers.measures.image_quality`.
    """
    inputs = check_tensor("inputs", inputs, min_rank=4)
    outputs = predict(model, inputs)
    quality = image_quality(inputs, outputs)
    index = float(checkerboard_index(outputs, period, ndim=2, reduce="batch"))
    return Evaluation(index=index, psnr=quality["psnr"], ssim=quality["ssim"])
