"""Small replicas of patterns found in models people ship, written from their public descriptions.

Each is a freshly initialised ``nn.Module`` (no weights, nothing downloaded), small enough to
audit on a CPU in well under a second, that keeps the part of the published design the audit
has to get right:

- :class:`HifiGanLike`: a HiFi-GAN-style vocoder: weight-normalised ``ConvTranspose1d`` layers
  (kernel 2s, padding s/2) called with ``output_size=``, upsampling mel frames 8 x 8 x 2 x 2 = 256
  times, and a ``remove_weight_norm()`` method (hook-based or parametrize-based weight norm);
- :class:`PaddedDownsampler`: a diffusion-VAE-style encoder whose stride-2 convolutions (padding
  0) are preceded by ``F.pad(x, (0, 1, 0, 1))``;
- :func:`resnet18_like`: a ResNet-18-shaped classifier (stride-2 stem, max pool, three stride-2
  stages, global average pool), narrow;
- :class:`PooledSegmentationHead`: a segmentation head with an image-pooling branch that
  interpolates a global average back to the feature size (DeepLabv3's ASPP pooling);
- :class:`RepeatShuffleUpsampler`: nearest upsampling written as a channel repeat and a pixel shuffle;
- :class:`PatchFoldingClassifier`: a classifier that splits an image into patches with
  ``F.pixel_unshuffle``, mixes each patch's channels with a linear layer and folds them back with
  ``F.pixel_shuffle``.
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F
from torch import nn

from .._validate import check_choice, check_int

WEIGHT_NORMS = ("parametrize", "hook", "none")


def _normed(layer: nn.Module, style: str) -> nn.Module:
    if style == "parametrize":
        return nn.utils.parametrizations.weight_norm(layer)
    if style == "hook":
        with warnings.catch_warnings():  # the older API on purpose: models in use still call it
            warnings.simplefilter("ignore", FutureWarning)
            return nn.utils.weight_norm(layer)
    return layer


class HifiGanLike(nn.Module):
    """A HiFi-GAN-style generator: mel frames (N, mels, T) -> waveform (N, 1, 256 T), in [-1, 1].

    conv_pre (k=7) -> per rate s in ``rates``: leaky ReLU, weight-normalised
    ``ConvTranspose1d(k=2s, s, p=s/2)`` called as ``up(x, output_size=...)``, one
    weight-normalised residual convolution (k=3) -> leaky ReLU -> conv_post (k=7) -> tanh.

    Args:
        mels: input channels (mel bands).
        width: channels after conv_pre (halved at every upsampling, at least 1).
        rates: upsampling factors (even, >= 2); their product is the hop length in samples.
        weight_norm: ``'parametrize'`` (torch.nn.utils.parametrizations.weight_norm),
            ``'hook'`` (the older torch.nn.utils.weight_norm) or ``'none'``.
    """

    def __init__(self, mels: int = 16, width: int = 32, rates: tuple[int, ...] = (8, 8, 2, 2),
                 weight_norm: str = "parametrize") -> None:
        super().__init__()
        self.style = str(check_choice("weight_norm", weight_norm, WEIGHT_NORMS))
        mels, width = check_int("mels", mels, 1), check_int("width", width, 1)
        self.rates = tuple(check_int("rates[i]", r, 2) for r in rates)
        if any(r % 2 for r in self.rates):
            raise ValueError(f"rates must be even (kernel 2s, padding s/2), got {rates}")
        self.conv_pre = _normed(nn.Conv1d(mels, width, 7, padding=3), self.style)
        self.ups, self.res = nn.ModuleList(), nn.ModuleList()
        c = width
        for r in self.rates:
            c_out = max(1, c // 2)
            self.ups.append(_normed(nn.ConvTranspose1d(c, c_out, 2 * r, r, padding=r // 2), self.style))
            self.res.append(_normed(nn.Conv1d(c_out, c_out, 3, padding=1), self.style))
            c = c_out
        self.conv_post = _normed(nn.Conv1d(c, 1, 7, padding=3), self.style)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        x = self.conv_pre(mel)
        for up, res, r in zip(self.ups, self.res, self.rates):
            x = F.leaky_relu(x, 0.1)
            x = up(x, output_size=(x.shape[-1] * r,))
            x = x + res(F.leaky_relu(x, 0.1))
        return torch.tanh(self.conv_post(F.leaky_relu(x, 0.1)))

    def remove_weight_norm(self) -> None:
        """Fold the weight norm into plain weights, as vocoders do before inference."""
        for layer in (self.conv_pre, *self.ups, *self.res, self.conv_post):
            if self.style == "parametrize":
                nn.utils.parametrize.remove_parametrizations(layer, "weight")
            elif self.style == "hook":
                nn.utils.remove_weight_norm(layer)


class PaddedDownsampler(nn.Module):
    """A diffusion-VAE-style encoder: (N, 3, H, W) -> (N, 2 latent, H / 4, W / 4) for H, W divisible by 4.

    conv_in (k=3, p=1), then ``downs`` times: ``F.pad(x, (0, 1, 0, 1))`` and a stride-2
    convolution with kernel 3 and padding 0 (the asymmetric padding keeps H / 2 exactly), then
    a 1 x 1 convolution to the latent's mean and log-variance.
    """

    def __init__(self, width: int = 8, latent: int = 4, downs: int = 2) -> None:
        super().__init__()
        width, latent = check_int("width", width, 1), check_int("latent", latent, 1)
        self.conv_in = nn.Conv2d(3, width, 3, padding=1)
        self.downs = nn.ModuleList(nn.Conv2d(width, width, 3, stride=2, padding=0)
                                   for _ in range(check_int("downs", downs, 1)))
        self.conv_out = nn.Conv2d(width, 2 * latent, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv_in(x)
        for down in self.downs:
            x = down(F.pad(x, (0, 1, 0, 1)))
            x = F.silu(x)
        return self.conv_out(x)


class _BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.downsample = (nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))
                           if stride != 1 or c_in != c_out else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.downsample(x))


def resnet18_like(classes: int = 10, width: int = 8) -> nn.Module:
    """A ResNet-18-shaped classifier: (N, 3, H, W) -> (N, classes) logits.

    Stem conv (k=7, s=2, p=3) and max pool (k=3, s=2, p=1), four stages of two basic blocks
    (the first block of stages 2-4 with stride 2 and a 1 x 1 stride-2 shortcut), global
    average pool, linear. Cumulative strides 2, 4, 4, 8, 16, 32 whatever H and W.
    """
    width = check_int("width", width, 1)
    widths = [width, 2 * width, 4 * width, 8 * width]
    layers: list[nn.Module] = [nn.Conv2d(3, width, 7, 2, 3, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
                               nn.MaxPool2d(3, 2, 1)]
    c = width
    for i, w in enumerate(widths):
        layers.append(nn.Sequential(_BasicBlock(c, w, 1 if i == 0 else 2), _BasicBlock(w, w, 1)))
        c = w
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, check_int("classes", classes, 1))]
    return nn.Sequential(*layers)


class PooledSegmentationHead(nn.Module):
    """Segmentation with an image-pooling branch: (N, 3, H, W) -> (N, classes, H, W), H, W divisible by 4.

    Two stride-2 convolutions make features at H / 4; a branch averages them globally
    (``F.adaptive_avg_pool2d(x, 1)``), applies a 1 x 1 convolution and interpolates the 1 x 1
    map back to the feature size; both are concatenated, mixed, and bilinearly resized x4.
    """

    def __init__(self, width: int = 8, classes: int = 3) -> None:
        super().__init__()
        width = check_int("width", width, 1)
        self.backbone = nn.Sequential(nn.Conv2d(3, width, 3, 2, 1), nn.ReLU(),
                                      nn.Conv2d(width, width, 3, 2, 1),
                                      nn.ReLU())
        self.pool_conv = nn.Conv2d(width, width, 1)
        self.classify = nn.Conv2d(2 * width, check_int("classes", classes, 1), 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.backbone(x)
        pooled = torch.relu(self.pool_conv(F.adaptive_avg_pool2d(features, 1)))
        pooled = F.interpolate(pooled, size=features.shape[-2:], mode="bilinear", align_corners=False)
        logits = self.classify(torch.cat([features, pooled], dim=1))
        return F.interpolate(logits, scale_factor=4, mode="bilinear", align_corners=False)


class RepeatShuffleUpsampler(nn.Module):
    """Nearest upsampling by ``scale`` written as a channel repeat then a pixel shuffle.

    (N, C, H, W) -> conv (k=3) -> each channel repeated scale**2 times in place
    (``repeat_interleave``) -> ``F.pixel_shuffle`` -> conv (k=3): (N, C, scale H, scale W).
    Every scale x scale block of the shuffle's output is one value: exactly nearest upsampling.
    """

    def __init__(self, channels: int = 4, scale: int = 2) -> None:
        super().__init__()
        self.scale = check_int("scale", scale, 2)
        channels = check_int("channels", channels, 1)
        self.conv_in = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv_out = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv_in(x).repeat_interleave(self.scale**2, dim=1)
        return self.conv_out(F.pixel_shuffle(x, self.scale))


class PatchFoldingClassifier(nn.Module):
    """A classifier that mixes pixels within patches: (N, 3, H, W) -> (N, classes), H, W divisible
    by ``patch``.

    ``F.pixel_unshuffle`` splits the image into patch x patch blocks (as channels), a linear
    layer mixes each block (channels last), ``F.pixel_shuffle`` folds the blocks back, then a
    stride-1 convolution, a global average and a linear layer classify.
    """

    def __init__(self, patch: int = 4, width: int = 8, classes: int = 10) -> None:
        super().__init__()
        self.patch = check_int("patch", patch, 2)
        c = 3 * self.patch**2
        self.mix = nn.Linear(c, c)
        self.conv = nn.Conv2d(3, check_int("width", width, 1), 3, padding=1)
        self.head = nn.Linear(width, check_int("classes", classes, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        patches = F.pixel_unshuffle(x, self.patch)
        mixed = F.gelu(self.mix(patches.permute(0, 2, 3, 1))).permute(0, 3, 1, 2)
        y = torch.relu(self.conv(F.pixel_shuffle(mixed, self.patch)))
        return self.head(y.mean(dim=(2, 3)))
