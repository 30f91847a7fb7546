"""Small decoders and generators parameterised by their upsampling kind.

Every upsampling layer doubles height and width. The kinds are the keys of
:data:`nbhelpers.layers.UPSAMPLERS` (re-exported here), among them:

- ``'deconv3'``: ``ConvTranspose2d(k=3, s=2, padding=1, output_padding=1)``, uneven overlap
  (s does not divide k);
- ``'deconv4'``: ``ConvTranspose2d(k=4, s=2, padding=1)``, even overlap (DCGAN-style);
- ``'nearest'`` and ``'bilinear'``: resize-convolution, i.e. resize x2 then pad then a 3x3
  convolution (the article pads before the convolution so the border adds no artifact);
- ``'subpixel'``, ``'subpixel_icnr'``, ``'subpixel_icnr_blur'`` (notebook 05): sub-pixel
  convolution, without and with ICNR initialisation and a blur after the shuffle.

The layers themselves live in :mod:`nbhelpers.layers`; :func:`register_upsampler` adds kinds,
and every model here then accepts them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from ._validate import check_choice, check_int
from .layers import (
    UPSAMPLERS,
    ResizeConv2d,
    SubPixelConv2d,
    make_upsampler,
    register_upsampler,
)

__all__ = [
    "UPSAMPLERS", "ResizeConv2d", "SubPixelConv2d", "make_upsampler", "register_upsampler",
    "Decoder", "PatchAutoencoder", "CodeDecoder", "autoencoder", "code_decoder", "staged_generator",
    "MODELS", "make_model", "last_upsampler", "phase_taps", "phase_sums", "phase_map", "count_parameters",
]


class Decoder(nn.Module):
    """A stack of upsampling layers with ReLU between them; the last one outputs the image.

    Input (N, channels[0], H, W) -> output (N, out_channels, H * 2**len(channels), ...).
    The output is linear (no squashing), so the last layer's bias is free to give the
    average colour (fact 6).

    Args:
        kind: upsampling kind, a key of :data:`UPSAMPLERS`, or one kind per layer (a sequence
            as long as ``channels``, e.g. ``('nearest', 'deconv3', 'deconv3')``).
        channels: input channels of each upsampling layer, e.g. (32, 16) for two layers.
        out_channels: image channels (3 for RGB).
    """

    def __init__(self, kind: str | Sequence[str], channels: Sequence[int] = (32, 16),
                 out_channels: int = 3) -> None:
        super().__init__()
        chans = [check_int(f"channels[{i}]", c, 1) for i, c in enumerate(channels)]
        if not chans:
            raise ValueError("channels must list at least one layer's input channels")
        if isinstance(kind, str):
            kinds = [kind] * len(chans)
        else:
            kinds = list(kind)
            if len(kinds) != len(chans):
                raise ValueError(f"kind must be one kind or one per layer ({len(chans)}), "
                                 f"got {len(kinds)} kinds")
        for i, k in enumerate(kinds):
            check_choice("kind" if isinstance(kind, str) else f"kind[{i}]", k, tuple(UPSAMPLERS))
        outs = chans[1:] + [check_int("out_channels", out_channels, 1)]
        layers: list[nn.Module] = []
        for i, (k, cin, cout) in enumerate(zip(kinds, chans, outs)):
            layers.append(make_upsampler(k, cin, cout))
            if i < len(chans) - 1:
                layers.append(nn.ReLU())
        self.kind: str | tuple[str, ...] = kind if isinstance(kind, str) else tuple(kinds)
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class PatchAutoencoder(nn.Module):
    """Autoencoder for RGB patches: two stride-2 convolutions down, a :class:`Decoder` up.

    Input (N, 3, H, W) with H, W divisible by 4 -> output of the same shape.

    Args:
        kind: upsampling kind of the decoder (key of :data:`UPSAMPLERS`).
        channels: (channels of the code at H/4 x W/4, channels at H/2 x W/2); default (32, 16).
    """

    def __init__(self, kind: str = "deconv3", channels: Sequence[int] = (32, 16)) -> None:
        super().__init__()
        chans = [check_int(f"channels[{i}]", c, 1) for i, c in enumerate(channels)]
        if len(chans) != 2:
            raise ValueError(f"channels must be (code channels, middle channels), got {tuple(channels)}")
        code, middle = chans
        self.encoder = nn.Sequential(
            nn.Conv2d(3, middle, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(middle, code, 3, stride=2, padding=1),
            nn.ReLU(),
        )
        self.decoder = Decoder(kind, (code, middle), 3)
        self.kind = kind

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


class CodeDecoder(nn.Module):
    """Generator from a code vector (e.g. a colour or shape code) to an image.

    A linear layer maps the code to a (channels[0], base, base) feature map, then a
    :class:`Decoder` upsamples it: (N, code_dim) -> (N, out_channels, S, S) with
    S = base * 2**len(channels).

    Args:
        kind: upsampling kind (key of :data:`UPSAMPLERS`), or one per layer.
        code_dim: length of the code.
        channels: input channels of each upsampling layer.
        base: side of the first feature map.
        out_channels: image channels.
    """

    def __init__(
        self,
        kind: str | Sequence[str] = "deconv3",
        code_dim: int = 10,
        channels: Sequence[int] = (32, 16, 16),
        base: int = 4,
        out_channels: int = 3,
    ) -> None:
        super().__init__()
        self.code_dim = check_int("code_dim", code_dim, 1)
        self.base = check_int("base", base, 1)
        self.decoder = Decoder(kind, channels, out_channels)
        self.first_channels = int(channels[0])
        self.project = nn.Linear(self.code_dim, self.first_channels * self.base**2)
        self.kind = kind

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.project(code))
        return self.decoder(h.view(-1, self.first_channels, self.base, self.base))


def autoencoder(kind: str) -> PatchAutoencoder:
    """The notebook-03 patch autoencoder (32x32 RGB -> 8x8x32 code -> 32x32 RGB) of ``kind``."""
    return PatchAutoencoder(kind, (32, 16))


def code_decoder(kind: str, code_dim: int = 10) -> CodeDecoder:
    """The notebook-03 shape-code decoder ((N, code_dim) -> (N, 3, 32, 32)) of ``kind``."""
    return CodeDecoder(kind, code_dim, (32, 16, 16), base=4)


def staged_generator(
    stage_kinds: Sequence[str] = ("nearest", "deconv3", "deconv3"),
    code_dim: int = 16,
    channels: Sequence[int] = (32, 32, 16),
    base: int = 4,
    out_channels: int = 3,
) -> CodeDecoder:
    """A generator with one upsampling kind per stage, for the before-training experiment (fact 8).

    (N, code_dim) -> linear -> ReLU -> (N, channels[0], base, base) -> one x2 stage per entry of
    ``stage_kinds`` -> (N, out_channels, base * 2**len(stage_kinds), ...). E.g. the default
    maps 4x4 to 32x32 with deconvolution in the last two stages.
    """
    kinds = list(stage_kinds) if not isinstance(stage_kinds, str) else [stage_kinds]
    if len(kinds) != len(list(channels)):
        raise ValueError(f"stage_kinds and channels must have one entry per stage, got {len(kinds)} kinds "
                         f"and {len(list(channels))} channel counts")
    return CodeDecoder(kinds, code_dim, channels, base=base, out_channels=out_channels)


#: Model name -> constructor taking the upsampling kind, for notebooks that train several.
MODELS: dict[str, Callable[[str], nn.Module]] = {
    "autoencoder": autoencoder,
    "code_decoder": code_decoder,
}


def make_model(name: str, kind: str) -> nn.Module:
    """Build ``MODELS[name]`` with upsampling ``kind``; both names are validated."""
    check_choice("name", name, tuple(MODELS))
    check_choice("kind", kind, tuple(UPSAMPLERS))
    return MODELS[name](kind)


def last_upsampler(model: nn.Module) -> nn.Module:
    """The last upsampling layer of a model (ConvTranspose2d, ResizeConv2d, SubPixelConv2d or a
    registered kind)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    decoders = [m for m in model.modules() if isinstance(m, Decoder)]
    if decoders:
        return [m for m in decoders[-1].layers if not isinstance(m, nn.ReLU)][-1]
    kinds = (nn.ConvTranspose2d, ResizeConv2d, SubPixelConv2d)
    candidates = [m for m in model.modules() if isinstance(m, kinds)]
    if not candidates:
        raise ValueError("model has no upsampling layer (no Decoder, ConvTranspose2d, ResizeConv2d or "
                         "SubPixelConv2d)")
    return candidates[-1]


def phase_taps(kernel_size: int, stride: int, padding: int = 0) -> list[list[int]]:
    """Which kernel taps (1D) feed each output phase of a transposed convolution.

    Output position o receives tap t from input i when o = stride * i - padding + t, so its
    phase is (t - padding) mod stride. Entry r lists the taps of phase r (phase r = positions
    o with o mod stride == r). For k=3, s=2, p=1: [[1], [0, 2]].
    """
    k = check_int("kernel_size", kernel_size, 1)
    s = check_int("stride", stride, 1)
    p = check_int("padding", padding, 0)
    return [[t for t in range(k) if (t - p) % s == r] for r in range(s)]


def phase_sums(
    weight: torch.Tensor,
    stride: int = 2,
    padding: int = 1,
    channel_weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Per-output-phase sums of a transposed-convolution kernel: the *effective overlap*.

    For a constant input (every input channel c equal to ``channel_weights[c]``, default 1)
    the layer's output without bias is periodic; its value at phase (r, c) is the sum of the
    taps that feed that phase. With all-ones weights this is the coverage count of
    :func:`nbhelpers.coverage` (k=3, s=2: 1, 2, 2, 4); after learning, unequal sums mean
    the layer still paints a checkerboard onto flat regions.

    Args:
        weight: ConvTranspose2d weight, (C_in, C_out, k, k).
        stride, padding: the layer's stride and padding.
        channel_weights: optional (C_in,) input level per channel (e.g. mean activations).

    Returns:
        (C_out, stride, stride): entry [o, r, c] is the output of channel o at phase (r, c).
    """
    if not isinstance(weight, torch.Tensor) or weight.dim() != 4 or weight.shape[-1] != weight.shape[-2]:
        shape = tuple(weight.shape) if isinstance(weight, torch.Tensor) else type(weight).__name__
        raise ValueError(f"weight must be a ConvTranspose2d weight of shape (C_in, C_out, k, k), got {shape}")
    weight = weight.detach()
    cin = weight.shape[0]
    if channel_weights is None:
        channel_weights = torch.ones(cin, dtype=weight.dtype, device=weight.device)
    channel_weights = torch.as_tensor(channel_weights, dtype=weight.dtype, device=weight.device)
    if channel_weights.shape != (cin,):
        raise ValueError(f"channel_weights must have shape ({cin},) (one per input channel), "
                         f"got {tuple(channel_weights.shape)}")
    taps = phase_taps(weight.shape[-1], stride, padding)
    summed = torch.einsum("i,iokl->okl", channel_weights, weight)
    s = len(taps)
    out = torch.zeros(weight.shape[1], s, s, dtype=weight.dtype, device=weight.device)
    for r in range(s):
        for c in range(s):
            if taps[r] and taps[c]:
                out[:, r, c] = summed[:, taps[r]][:, :, taps[c]].sum(dim=(1, 2))
    return out


def phase_map(kernel_size: int, stride: int = 2, padding: int = 1) -> torch.Tensor:
    """(k, k) int tensor: the output phase index r * stride + c that each kernel tap feeds."""
    taps = phase_taps(kernel_size, stride, padding)
    phase_of = {t: r for r, ts in enumerate(taps) for t in ts}
    k = int(kernel_size)
    return torch.tensor([[phase_of[i] * int(stride) + phase_of[j] for j in range(k)] for i in range(k)])


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
