"""Small decoders and generators parameterised by their upsampling kind.

Every upsampling layer doubles height and width. The kinds are the keys of
:data:`nbhelpers.layers.registry.UPSAMPLERS`, among them:

- ``'deconv3'``: ``ConvTranspose2d(k=3, s=2, padding=1, output_padding=1)``, uneven overlap
  (s does not divide k);
- ``'deconv4'``: ``ConvTranspose2d(k=4, s=2, padding=1)``, even overlap (DCGAN-style);
- ``'nearest'`` and ``'bilinear'``: resize-convolution, i.e. resize x2 then pad then a 3x3
  convolution (the article pads before the convolution so the border adds no artifact);
- ``'subpixel'``, ``'subpixel_icnr'``, ``'subpixel_icnr_blur'`` (notebook 05): sub-pixel
  convolution, without and with ICNR initialisation and a blur after the shuffle.

The layers themselves live in :mod:`.upsampling`; :func:`.registry.register_upsampler` adds kinds,
and every model here then accepts them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from .._validate import check_choice, check_int
from .downsampling import DOWNSAMPLING_DESIGNS, make_downsampler
from .registry import UPSAMPLERS, make_upsampler
from .upsampling import ResizeConv2d, SubPixelConv2d


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


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


class DownsamplingCNN(nn.Module):
    """A small classifier whose only variable part is how it downsamples.

    ``len(channels)`` downsampling blocks (:func:`make_downsampler`), then global average
    pooling and a linear layer: (N, in_channels, H, W) -> logits (N, num_classes), with H and W
    divisible by 2**len(channels). :attr:`features` is the block stack, (N, channels[-1],
    H / 2**len(channels), W / 2**len(channels)), used for feature visualisation.

    Args:
        design: one of :data:`DOWNSAMPLING_DESIGNS`.
        channels: output channels of each block (default (16, 32): two halvings).
        num_classes: outputs of the linear layer.
        in_channels: image channels.
    """

    def __init__(self, design: str = "stride2_k3", channels: Sequence[int] = (16, 32), num_classes: int = 7,
                 in_channels: int = 3) -> None:
        super().__init__()
        check_choice("design", design, DOWNSAMPLING_DESIGNS)
        chans = [check_int(f"channels[{i}]", c, 1) for i, c in enumerate(channels)]
        if not chans:
            raise ValueError("channels must list at least one block's output channels")
        ins = [check_int("in_channels", in_channels, 1)] + chans[:-1]
        self.design = design
        self.features = nn.Sequential(*[make_downsampler(design, a, b) for a, b in zip(ins, chans)])
        self.head = nn.Linear(chans[-1], check_int("num_classes", num_classes, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=(2, 3)))


def downsampling_cnn(design: str, num_classes: int = 7) -> DownsamplingCNN:
    """The notebook-04 classifier of ``design``: 3 x 32 x 32 -> two halvings (16, 32 channels) -> logits."""
    return DownsamplingCNN(design, (16, 32), num_classes)


class PatchDiscriminator(nn.Module):
    """A small discriminator whose first layer is stride 2 or stride 1.

    Conv(3 -> 16, k=3, stride=``first_stride``, padding=1), LeakyReLU(0.2),
    Conv(16 -> 32, k=4, s=2, padding=1) (even overlap), LeakyReLU(0.2), global average pooling,
    Linear(32 -> 1): (N, 3, H, W) -> (N,) logits (real > 0).
    """

    def __init__(self, first_stride: int = 2, in_channels: int = 3, width: int = 16) -> None:
        super().__init__()
        self.first_stride = check_int("first_stride", first_stride, 1, 2)
        cin = check_int("in_channels", in_channels, 1)
        width = check_int("width", width, 1)
        self.body = nn.Sequential(
            nn.Conv2d(cin, width, 3, stride=self.first_stride, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
        )
        self.head = nn.Linear(2 * width, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x).mean(dim=(2, 3))).squeeze(1)


AUDIO_KINDS = ("transposed", "subpixel", "nearest", "linear")


def _audio_stage(kind: str, width: int) -> nn.Module:
    """One x2 upsampling stage of :func:`audio_upsampler`."""
    from .upsampling import ResizeConv1d, SubPixelConv1d

    if kind == "transposed":
        return nn.ConvTranspose1d(width, width, 4, stride=2, padding=1)  # k = 2s, as in MelGAN
    if kind == "subpixel":
        return SubPixelConv1d(width, width, 2, kernel_size=3, icnr=False)  # Pons et al.'s sub-pixel
    return ResizeConv1d(width, width, 2, kind, kernel_size=3)


def audio_upsampler(kind: str = "transposed", scale: int = 4, width: int = 16) -> nn.Module:
    """A small bandwidth-extension network: (N, 1, L) at rate r -> (N, 1, scale * L) at scale * r.

    A 9-tap convolution (1 -> width), log2(scale) x2 stages of ``kind`` (``'transposed'``: k=4, s=2
    transposed convolution; ``'subpixel'``: sub-pixel convolution without ICNR; ``'nearest'`` or
    ``'linear'``: resize then a 3-tap convolution), each followed by a LeakyReLU(0.2), and a 9-tap
    convolution back to one channel. ``scale`` is 2, 4 or 8.
    """
    check_choice("kind", kind, AUDIO_KINDS)
    scale = check_int("scale", scale, 2, 8)
    if scale & (scale - 1):
        raise ValueError(f"scale must be 2, 4 or 8, got {scale}")
    width = check_int("width", width, 1)
    layers: list[nn.Module] = [nn.Conv1d(1, width, 9, padding=4), nn.LeakyReLU(0.2)]
    for _ in range(scale.bit_length() - 1):
        layers += [_audio_stage(kind, width), nn.LeakyReLU(0.2)]
    return nn.Sequential(*layers, nn.Conv1d(width, 1, 9, padding=4))
