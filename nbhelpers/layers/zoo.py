"""Well-known architectures, written here small (no weights, nothing downloaded), to audit.

Each factory returns a freshly initialised ``nn.Module`` and :data:`ZOO` lists them with the
input shape (batch first) they expect. Widths are reduced so that a CPU audits them in well
under a second; the resolution-changing layers (kernel, stride, padding) are those of the
published designs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from .._validate import check_int


def dcgan_generator(latent_dim: int = 100, width: int = 16, channels: int = 3, size: int = 32) -> nn.Module:
    """DCGAN generator (Radford et al. 2016): (N, latent_dim, 1, 1) -> (N, channels, size, size).

    A k=4, s=1 projection to 4x4, then k=4, s=2, p=1 transposed convolutions (even overlap)
    with batch norm and ReLU, and a tanh output. ``size`` is 32 or 64 (3 or 4 stride-2 layers).
    """
    latent_dim = check_int("latent_dim", latent_dim, 1)
    width = check_int("width", width, 1)
    size = check_int("size", size, 8)
    if size & (size - 1) or size < 8:
        raise ValueError(f"size must be a power of two >= 8, got {size}")
    n_up = size.bit_length() - 3  # 4 -> size
    chans = [width * 2 ** (n_up - 1 - i) for i in range(n_up)] + [channels]
    layers: list[nn.Module] = [nn.ConvTranspose2d(latent_dim, chans[0], 4, 1, 0, bias=False),
                               nn.BatchNorm2d(chans[0]), nn.ReLU(True)]
    for i in range(n_up):
        last = i == n_up - 1
        layers.append(nn.ConvTranspose2d(chans[i], chans[i + 1], 4, 2, 1, bias=last))
        layers += [nn.Tanh()] if last else [nn.BatchNorm2d(chans[i + 1]), nn.ReLU(True)]
    return nn.Sequential(*layers)


class ResidualBlock(nn.Module):
    """Reflect-padded 3x3 conv - norm - ReLU - 3x3 conv - norm, plus the input (CycleGAN)."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), nn.InstanceNorm2d(channels),
            nn.ReLU(True), nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3),
            nn.InstanceNorm2d(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def resnet_generator(channels: int = 3, width: int = 16, blocks: int = 2) -> nn.Module:
    """pix2pix/CycleGAN ResNet generator (Johnson et al. 2016; Zhu et al. 2017), image to image.

    c7s1 - two k=3, s=2 downsampling convolutions - residual blocks - two k=3, s=2, p=1,
    output_padding=1 transposed convolutions (uneven overlap) - c7s1 - tanh.
    (N, channels, H, W) -> same shape, H and W divisible by 4.
    """
    width = check_int("width", width, 1)
    blocks = check_int("blocks", blocks, 0)
    return nn.Sequential(
        nn.ReflectionPad2d(3), nn.Conv2d(channels, width, 7), nn.InstanceNorm2d(width), nn.ReLU(True),
        nn.Conv2d(width, 2 * width, 3, 2, 1), nn.InstanceNorm2d(2 * width), nn.ReLU(True),
        nn.Conv2d(2 * width, 4 * width, 3, 2, 1), nn.InstanceNorm2d(4 * width), nn.ReLU(True),
        *[ResidualBlock(4 * width) for _ in range(blocks)],
        nn.ConvTranspose2d(4 * width, 2 * width, 3, 2, 1, output_padding=1),
        nn.InstanceNorm2d(2 * width), nn.ReLU(True),
        nn.ConvTranspose2d(2 * width, width, 3, 2, 1, output_padding=1),
        nn.InstanceNorm2d(width), nn.ReLU(True),
        nn.ReflectionPad2d(3), nn.Conv2d(width, channels, 7), nn.Tanh(),
    )


class UNet(nn.Module):
    """U-Net (Ronneberger et al. 2015): max-pool down path, 2x2 stride-2 up-convolutions.

    (N, in_channels, H, W) -> (N, out_channels, H, W), H and W divisible by 2**depth.
    The up-convolutions (k=2, s=2) do not overlap at all: each output phase has its own tap.
    """

    def __init__(self, in_channels: int = 3, out_channels: int = 3, width: int = 16, depth: int = 2):
        super().__init__()
        self.depth = check_int("depth", depth, 1, 5)
        width = check_int("width", width, 1)

        def double_conv(cin: int, cout: int) -> nn.Module:
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(True),
                                 nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(True))

        chans = [width * 2**i for i in range(self.depth + 1)]
        self.down = nn.ModuleList([double_conv(in_channels, chans[0])] +
                                  [double_conv(chans[i], chans[i + 1]) for i in range(self.depth)])
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ModuleList([nn.ConvTranspose2d(chans[i + 1], chans[i], 2, stride=2)
                                 for i in reversed(range(self.depth))])
        self.merge = nn.ModuleList([double_conv(2 * chans[i], chans[i]) for i in reversed(range(self.depth))])
        self.head = nn.Conv2d(chans[0], out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else self.pool(x))
            skips.append(x)
        x = skips.pop()
        for up, merge in zip(self.up, self.merge):
            x = merge(torch.cat([up(x), skips.pop()], dim=1))
        return self.head(x)


def unet(in_channels: int = 3, out_channels: int = 3, width: int = 16, depth: int = 2) -> nn.Module:
    """A :class:`UNet` with transposed-convolution up path."""
    return UNet(in_channels, out_channels, width, depth)


def espcn(channels: int = 3, scale: int = 3, width: int = 32) -> nn.Module:
    """ESPCN super-resolution (Shi et al. 2016): convolutions at low resolution, then PixelShuffle.

    (N, channels, H, W) -> (N, channels, scale*H, scale*W).
    """
    scale = check_int("scale", scale, 2)
    width = check_int("width", width, 1)
    return nn.Sequential(
        nn.Conv2d(channels, 2 * width, 5, padding=2), nn.Tanh(),
        nn.Conv2d(2 * width, width, 3, padding=1), nn.Tanh(),
        nn.Conv2d(width, channels * scale**2, 3, padding=1),
        nn.PixelShuffle(scale),
    )


class WaveGANGenerator(nn.Module):
    """WaveGAN-like 1D generator (Donahue et al. 2019): (N, latent_dim) -> (N, 1, 16 * 4**4).

    A dense layer to 16 samples, then four transposed convolutions with kernel 25, stride 4,
    padding 11, output_padding 1: large kernels that the stride does not divide (the audio
    version of the checkerboard: tones at multiples of the sample rate / 4, Pons et al. 2021).
    """

    def __init__(self, latent_dim: int = 100, width: int = 8):
        super().__init__()
        width = check_int("width", width, 1)
        self.width = width
        self.dense = nn.Linear(check_int("latent_dim", latent_dim, 1), 16 * 16 * width)
        chans = [16 * width, 8 * width, 4 * width, 2 * width, 1]
        layers: list[nn.Module] = []
        for i in range(4):
            layers.append(nn.ConvTranspose1d(chans[i], chans[i + 1], 25, stride=4, padding=11,
                                             output_padding=1))
            layers.append(nn.Tanh() if i == 3 else nn.ReLU(True))
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.dense(z)).view(z.shape[0], 16 * self.width, 16)
        return self.body(x)


def srgan_upsampler(channels: int = 3, width: int = 16, scale: int = 4) -> nn.Module:
    """SRGAN's upsampling tail (Ledig et al. 2017): 9x9 conv, then per factor 2 a
    ``Conv2d(width, 4 * width, 3) -> PixelShuffle(2) -> PReLU`` block, then a 9x9 conv.
    (N, channels, H, W) -> (N, channels, scale*H, scale*W); ``scale`` is 2, 4 or 8. The
    convolutions feeding the shuffles are freshly (not ICNR) initialised.
    """
    width = check_int("width", width, 1)
    scale = check_int("scale", scale, 2, 8)
    if scale & (scale - 1):
        raise ValueError(f"scale must be 2, 4 or 8, got {scale}")
    blocks: list[nn.Module] = []
    for _ in range(scale.bit_length() - 1):
        blocks += [nn.Conv2d(width, 4 * width, 3, padding=1), nn.PixelShuffle(2), nn.PReLU(width)]
    return nn.Sequential(nn.Conv2d(channels, width, 9, padding=4), nn.PReLU(width), *blocks,
                         nn.Conv2d(width, channels, 9, padding=4))


class LatentDecoder(nn.Module):
    """A latent-diffusion-VAE-style decoder whose upsampling is a functional call in ``forward``.

    Each up block does ``F.interpolate(x, scale_factor=2, mode="nearest")`` and then a 3x3
    convolution (a resize-convolution written inline, as in the Stable Diffusion VAE), so module
    hooks see only stride-1 convolutions. (N, latent, H, W) -> (N, channels, 2**ups * H, ...).
    """

    def __init__(self, latent: int = 4, channels: int = 3, width: int = 16, ups: int = 2):
        super().__init__()
        width = check_int("width", width, 1)
        self.ups = check_int("ups", ups, 1, 4)
        self.stem = nn.Conv2d(check_int("latent", latent, 1), width, 3, padding=1)
        self.convs = nn.ModuleList([nn.Conv2d(width, width, 3, padding=1) for _ in range(self.ups)])
        self.head = nn.Conv2d(width, check_int("channels", channels, 1), 3, padding=1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.stem(z)
        for conv in self.convs:
            x = torch.relu(conv(nn.functional.interpolate(x, scale_factor=2.0, mode="nearest")))
        return self.head(x)


def latent_decoder(latent: int = 4, channels: int = 3, width: int = 16, ups: int = 2) -> nn.Module:
    """A :class:`LatentDecoder`."""
    return LatentDecoder(latent, channels, width, ups)


def wavegan_generator(latent_dim: int = 100, width: int = 8) -> nn.Module:
    """A :class:`WaveGANGenerator`."""
    return WaveGANGenerator(latent_dim, width)


@dataclass(frozen=True)
class ZooEntry:
    """A zoo model: its factory, the input shape it expects (batch first) and a description."""

    factory: Callable[[], nn.Module]
    input_shape: tuple[int, ...]
    description: str


ZOO: dict[str, ZooEntry] = {
    "dcgan": ZooEntry(dcgan_generator, (1, 100, 1, 1), "DCGAN generator: k=4, s=2 deconvolutions"),
    "resnet": ZooEntry(resnet_generator, (1, 3, 32, 32),
                       "pix2pix/CycleGAN ResNet generator: k=3, s=2 convs and deconvolutions"),
    "unet": ZooEntry(unet, (1, 3, 32, 32), "U-Net: max pooling down, 2x2 up-convolutions"),
    "espcn": ZooEntry(espcn, (1, 3, 16, 16), "ESPCN: sub-pixel convolution (PixelShuffle x3)"),
    "wavegan": ZooEntry(wavegan_generator, (1, 100), "WaveGAN-like 1D generator: k=25, s=4"),
    "srgan": ZooEntry(srgan_upsampler, (1, 3, 16, 16),
                      "SRGAN upsampler: conv -> PixelShuffle(2) -> PReLU, twice"),
    "latent_decoder": ZooEntry(latent_decoder, (1, 4, 8, 8),
                               "VAE decoder with F.interpolate + conv inside forward (functional calls)"),
}
