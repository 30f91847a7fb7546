"""Checkerboards in gradients: the backward pass of a strided convolution (fact 9).

The gradient of a stride-s convolution with respect to its input is a stride-s *transposed*
convolution of the output gradient with the same weights, so everything notebooks 01-03 said
about uneven overlap applies to gradients: some input pixels collect more taps than their
neighbours. This module holds what notebook 04 measures:

- :func:`backward_as_transposed_convolution`: autograd's input gradient next to
  ``conv_transpose2d`` of the output gradient;
- :class:`DownsamplingCNN` and :data:`DOWNSAMPLING_DESIGNS`: small classifiers that differ only
  in how they halve the resolution (strided convolutions k=3, 4, 2; stride-1 convolution then
  average / max pooling; BlurPool, Zhang 2019);
- :func:`input_gradients`, :func:`gradient_checkerboard_index`, :func:`phase_gradient_means`,
  :func:`phase_gradient_ratio`: the artifact in input gradients;
- :func:`feature_visualization` with :func:`jitter_offsets`: DeepDream-style optimisation of an
  input, with and without random shifts;
- :func:`train_image_gan`: a directly parameterised image batch (no bias for or against
  checkerboards) trained against :class:`PatchDiscriminator` with a stride-2 or stride-1 first
  layer.

Tensors in, tensors out; no plotting here. Images are (N, C, H, W).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from ._validate import check_choice, check_int, check_model, check_tensor
from .metrics import checkerboard_index, polyphase_means
from .runtime import model_device

# ----------------------------------------------------------------------------- backward pass


@dataclass
class BackwardCheck:
    """What :func:`backward_as_transposed_convolution` returns.

    Attributes:
        autograd: input gradient from ``torch.autograd`` (N, C_in, H, W).
        transposed: ``conv_transpose2d(output_gradient, weight)`` with the layer's stride,
            padding and an ``output_padding`` that restores H, W; same shape.
        max_abs_difference: max |autograd - transposed| (a float, in gradient units).
    """

    autograd: torch.Tensor
    transposed: torch.Tensor
    max_abs_difference: float


def _check_conv(conv: object) -> nn.Conv2d:
    if not isinstance(conv, nn.Conv2d):
        raise TypeError(f"conv must be a torch.nn.Conv2d, got {type(conv).__name__}")
    if conv.padding_mode != "zeros" or isinstance(conv.padding, str):
        raise ValueError("conv must use numeric zero padding (padding_mode='zeros', padding an int or pair), "
                         f"got padding={conv.padding!r}, padding_mode={conv.padding_mode!r}")
    return conv


def backward_as_transposed_convolution(
    conv: nn.Conv2d, inputs: torch.Tensor, output_gradient: torch.Tensor | None = None, seed: int = 0
) -> BackwardCheck:
    """Input gradient of a convolution two ways: autograd, and a transposed convolution.

    For y = conv(x) and an upstream gradient g = dL/dy, dL/dx equals
    ``conv_transpose2d(g, conv.weight, stride, padding, output_padding, groups, dilation)``:
    the same weights, read the other way. The bias does not enter.

    Args:
        conv: a ``Conv2d`` with zero padding (any stride, dilation, groups).
        inputs: x, (N, C_in, H, W).
        output_gradient: g, the shape of ``conv(inputs)``; default standard normal noise drawn
            from a CPU generator seeded with ``seed`` (same numbers on every device).
        seed: seed of the default ``output_gradient``.

    Returns:
        :class:`BackwardCheck` with both gradients (N, C_in, H, W) and their max abs difference.
    """
    conv = _check_conv(conv)
    x = check_tensor("inputs", inputs, min_rank=4)
    if x.dim() != 4 or x.shape[1] != conv.in_channels:
        raise ValueError(f"inputs must have shape (N, {conv.in_channels}, H, W) for this conv, "
                         f"got {tuple(x.shape)}")
    device = conv.weight.device
    x = x.detach().to(device, conv.weight.dtype).requires_grad_(True)
    y = conv(x)
    if output_gradient is None:
        gen = torch.Generator().manual_seed(check_int("seed", seed, 0))
        g = torch.randn(y.shape, generator=gen).to(device, y.dtype)
    else:
        g = check_tensor("output_gradient", output_gradient, min_rank=4).to(device, y.dtype)
        if g.shape != y.shape:
            raise ValueError(f"output_gradient must have the shape of conv(inputs), {tuple(y.shape)}, "
                             f"got {tuple(g.shape)}")
    (autograd,) = torch.autograd.grad(y, x, g)
    stride, padding, dilation = conv.stride, conv.padding, conv.dilation
    k = conv.kernel_size
    output_padding = tuple(
        x.shape[2 + i] - ((y.shape[2 + i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (k[i] - 1) + 1)
        for i in range(2)
    )
    with torch.no_grad():
        transposed = F.conv_transpose2d(g, conv.weight, None, stride, padding, output_padding,
                                        conv.groups, dilation)
    diff = float((autograd - transposed).abs().max())
    return BackwardCheck(autograd=autograd.detach(), transposed=transposed, max_abs_difference=diff)


def readout_gradient(conv: nn.Conv2d, size: int = 16, readout: torch.Tensor | None = None) -> torch.Tensor:
    """Gradient of a readout of ``conv``'s output with respect to a (1, C_in, size, size) input.

    With the default readout (the sum of every output, i.e. an all-ones output gradient) and an
    all-ones kernel this is exactly the coverage map of the transposed convolution (k=3, s=2:
    1, 2, 4): each input pixel's gradient counts the output windows that read it.

    Args:
        conv: a ``Conv2d`` with zero padding.
        size: input side in pixels (>= kernel size).
        readout: optional output gradient, the shape of the conv's output; default all ones.

    Returns:
        (C_in, size, size) input gradient.
    """
    conv = _check_conv(conv)
    size = check_int("size", size, max(conv.kernel_size))
    x = torch.zeros(1, conv.in_channels, size, size, device=conv.weight.device)
    out_shape = conv(x).shape
    if readout is None:
        readout = torch.ones(out_shape, device=conv.weight.device)
    return backward_as_transposed_convolution(conv, x, readout).autograd[0]


# ----------------------------------------------------------------------------- downsampling designs

#: Ways to halve H and W, compared in notebook 04. ``stride2_k*``: one stride-2 convolution of
#: that kernel size; the others: a stride-1 3x3 convolution and ReLU, then average pooling, max
#: pooling, or BlurPool (a [1, 2, 1] x [1, 2, 1] / 16 blur, then keep every second pixel).
DOWNSAMPLING_DESIGNS: tuple[str, ...] = ("stride2_k3", "stride2_k4", "stride2_k2", "avgpool", "maxpool",
                                         "blurpool")


class BlurPool2d(nn.Module):
    """Anti-aliased subsampling (Zhang 2019): blur each channel, then keep every ``stride``-th pixel.

    The blur is the binomial filter [1, 2, 1] x [1, 2, 1] / 16 with reflect padding, applied to
    every channel separately (fixed, not learned). (N, C, H, W) -> (N, C, ceil(H/s), ceil(W/s)).
    """

    def __init__(self, channels: int, stride: int = 2) -> None:
        super().__init__()
        self.channels = check_int("channels", channels, 1)
        self.stride = check_int("stride", stride, 1)
        taps = torch.tensor([1.0, 2.0, 1.0])
        kernel = torch.outer(taps, taps) / 16.0
        self.register_buffer("kernel", kernel.expand(self.channels, 1, 3, 3).contiguous())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pad(x, (1, 1, 1, 1), mode="reflect")
        return F.conv2d(x, self.kernel, stride=self.stride, groups=self.channels)


def make_downsampler(design: str, in_channels: int, out_channels: int) -> nn.Sequential:
    """One block that maps (N, in_channels, H, W) to (N, out_channels, H/2, W/2), ReLU included.

    ``design`` is one of :data:`DOWNSAMPLING_DESIGNS`:

    - ``'stride2_k3'``: Conv2d(k=3, s=2, padding=1), ReLU (uneven: inputs get 1 or 2 taps per axis);
    - ``'stride2_k4'``: Conv2d(k=4, s=2, padding=1), ReLU (even: 2 taps per axis);
    - ``'stride2_k2'``: Conv2d(k=2, s=2), ReLU (no overlap: each input gets exactly one tap);
    - ``'avgpool'``, ``'maxpool'``: Conv2d(k=3, s=1, padding=1), ReLU, 2x2 average / max pooling;
    - ``'blurpool'``: Conv2d(k=3, s=1, padding=1), ReLU, :class:`BlurPool2d` (as Zhang 2019 does
      for strided convolutions).
    """
    check_choice("design", design, DOWNSAMPLING_DESIGNS)
    cin = check_int("in_channels", in_channels, 1)
    cout = check_int("out_channels", out_channels, 1)
    if design.startswith("stride2_k"):
        k = int(design[-1])
        return nn.Sequential(nn.Conv2d(cin, cout, k, stride=2, padding=(k - 1) // 2), nn.ReLU())
    pool: nn.Module = {
        "avgpool": lambda: nn.AvgPool2d(2),
        "maxpool": lambda: nn.MaxPool2d(2),
        "blurpool": lambda: BlurPool2d(cout, 2),
    }[design]()
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=1, padding=1), nn.ReLU(), pool)


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


def image_source_task(
    n: int, size: int = 32, split: str = "train", seed: int = 0, device: torch.device | str | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """A small classification task: which scikit-image photograph did this patch come from?

    Patches and labels from :func:`nbhelpers.natural_patches` (``return_origins=True``); the
    label is the index of the source image in :data:`nbhelpers.NATURAL_IMAGES` (7 classes).

    Returns:
        (patches (n, 3, size, size) in [0, 1], labels int64 (n,)), both on ``device``.
    """
    from .data import natural_patches

    patches, origins = natural_patches(n, size, split, seed, device=device, return_origins=True)
    return patches, origins[:, 0].to(patches.device)


# ----------------------------------------------------------------------------- input gradients




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


def _check_gradients(grads: object, period: int) -> tuple[torch.Tensor, int]:
    g = check_tensor("grads", grads, min_rank=4)
    if g.dim() != 4:
        raise ValueError(f"grads must have shape (N, C, H, W), got {tuple(g.shape)}")
    period = check_int("period", period, 2)
    if min(g.shape[-2:]) < period:
        raise ValueError(f"period must be at most the image size, got period={period} for {tuple(g.shape)}")
    return g, period


def gradient_checkerboard_index(grads: torch.Tensor, period: int = 2) -> float:
    """Batch-averaged checkerboard index of gradient *magnitudes* (dimensionless).

    ``checkerboard_index(|grads|, period, reduce='batch')``: the periodic part of each image's
    |gradient| is averaged over the batch before its rms, so only a pattern every image shares
    counts (the architecture's, not the content's). Magnitudes, because the sign of a gradient
    changes from image to image and signed periodic parts would cancel in the average.

    Args:
        grads: (N, C, H, W) input gradients, N >= 1.
        period: p >= 2 (2 for one stride-2 layer, 4 for two).
    """
    g, period = _check_gradients(grads, period)
    return float(checkerboard_index(g.abs(), period, reduce="batch"))


def phase_gradient_means(grads: torch.Tensor, period: int = 2) -> torch.Tensor:
    """Mean |gradient| of each phase (pixels with the same (i mod p, j mod p)).

    Args:
        grads: (N, C, H, W) input gradients.

    Returns:
        (p, p) mean |gradient| over the batch, the channels and the pixels of each phase, in
        gradient units (H, W cropped to a multiple of p).
    """
    g, period = _check_gradients(grads, period)
    return polyphase_means(g.abs(), period).mean(dim=(0, 1))


def phase_gradient_ratio(grads: torch.Tensor, period: int = 2) -> float:
    """How many times more gradient the strongest phase gets than the weakest.

    max / min of :func:`phase_gradient_means`: "some pixels get N times the gradient of their
    neighbours". 1 when every phase gets the same; ``inf`` when a phase gets none.
    """
    means = phase_gradient_means(grads, period)
    low = float(means.min())
    return float("inf") if low == 0 else float(means.max()) / low


@dataclass
class GradientArtifacts:
    """What :func:`measure_input_gradients` returns.

    Attributes:
        index: :func:`gradient_checkerboard_index` (dimensionless).
        phase_ratio: :func:`phase_gradient_ratio` (strongest / weakest phase mean |gradient|).
        phase_means: (p, p) :func:`phase_gradient_means`, in gradient units.
        magnitude_map: (H, W) mean |gradient| over the batch and channels, in gradient units.
    """

    index: float
    phase_ratio: float
    phase_means: torch.Tensor
    magnitude_map: torch.Tensor


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
    return GradientArtifacts(
        index=gradient_checkerboard_index(grads, period),
        phase_ratio=phase_gradient_ratio(grads, period),
        phase_means=phase_gradient_means(grads, period).cpu(),
        magnitude_map=grads.abs().mean(dim=(0, 1)).cpu(),
    )


def format_gradient_table(
    before: dict[tuple[str, int], GradientArtifacts], after: dict[tuple[str, int], GradientArtifacts]
) -> str:
    """A text table: one row per design, the index and phase ratio at init and after training.

    Args:
        before, after: (design, seed) -> :class:`GradientArtifacts` (same keys).

    Returns:
        Lines of text; each cell is the mean over seeds, with the per-seed range in brackets.
    """
    if set(before) != set(after):
        raise ValueError("before and after must have the same (design, seed) keys")
    designs = list(dict.fromkeys(d for d, _ in before))

    def cell(values: list[float]) -> str:
        return f"{sum(values) / len(values):.3f} [{min(values):.3f}-{max(values):.3f}]"

    titles = ("index, init", "index, trained", "ratio, init")
    header = f"{'design':11s} | " + " | ".join(f"{t:21s}" for t in titles) + " | ratio, trained"
    lines = [header, "-" * len(header)]
    for design in designs:
        keys = [k for k in before if k[0] == design]
        lines.append(" | ".join([
            f"{design:11s}",
            cell([before[k].index for k in keys]),
            cell([after[k].index for k in keys]),
            cell([before[k].phase_ratio for k in keys]),
            cell([after[k].phase_ratio for k in keys]),
        ]))
    return "\n".join(lines)


# ----------------------------------------------------------------------------- feature visualisation


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
    if not (isinstance(step_size, (int, float)) and step_size > 0):
        raise ValueError(f"step_size must be a positive number, got {step_size!r}")
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


def image_checkerboard_index(image: torch.Tensor, period: int = 2) -> float:
    """Checkerboard index of one image, averaged over its channels: (C, H, W) -> float.

    The image's smooth trend is not removed; an image with strong content therefore has a
    small index for the same checkerboard amplitude (the index is relative to the image's std).
    """
    img = check_tensor("image", image, min_rank=3)
    if img.dim() != 3:
        raise ValueError(f"image must have shape (C, H, W), got {tuple(img.shape)}")
    return float(checkerboard_index(img, check_int("period", period, 2), reduce="mean"))


# ----------------------------------------------------------------------------- discriminator -> generator


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

    def mean_index(self, from_step: int = 0) -> float:
        """Mean of the recorded index over steps >= ``from_step`` (smooths step-to-step noise)."""
        values = [v for s, v in zip(self.steps, self.index) if s >= from_step]
        if not values:
            raise ValueError(f"from_step must be at most the last recorded step {self.steps[-1]}, "
                             f"got {from_step}")
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
        progress: show a tqdm bar.
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
    for name, lr in (("lr_images", lr_images), ("lr_discriminator", lr_discriminator)):
        if not (isinstance(lr, (int, float)) and lr > 0):
            raise ValueError(f"{name} must be a positive number, got {lr!r}")
    check_choice("image_update", image_update, IMAGE_UPDATES)
    device = x.device
    torch.manual_seed(seed)
    disc = (make_discriminator or (lambda s: PatchDiscriminator(s, x.shape[1])))(first_stride).to(device)
    gen = torch.Generator().manual_seed(seed)
    noise = torch.randn(n_images, x.shape[1], x.shape[2] + 8, x.shape[3] + 8, generator=gen)
    smooth = F.avg_pool2d(F.avg_pool2d(noise, 5, 1), 5, 1)  # a smooth start, (n, C, H, W)
    start = x.mean() + x.std() * smooth / smooth.std()
    images = nn.Parameter(start.to(device))
    opt_d = torch.optim.Adam(disc.parameters(), lr=lr_discriminator, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam([images], lr=lr_images, betas=(0.5, 0.999)) if image_update == "adam" else None

    def index_now() -> float:
        return float(checkerboard_index(images.detach(), period, reduce="mean"))

    from tqdm.auto import tqdm

    recorded_steps, index = [0], [index_now()]
    d_losses, g_losses = [], []
    for step in tqdm(range(1, steps + 1), desc=f"GAN, first stride {first_stride}", leave=False,
                     disable=not progress, mininterval=0.5):
        batch = x[torch.randint(x.shape[0], (batch_size,), generator=gen).to(device)]
        opt_d.zero_grad(set_to_none=True)
        d_loss = F.softplus(-disc(batch)).mean() + F.softplus(disc(images.detach())).mean()
        d_loss.backward()
        opt_d.step()
        g_loss = F.softplus(-disc(images)).mean()
        if opt_g is None:
            (grad,) = torch.autograd.grad(g_loss, images)
            with torch.no_grad():
                images -= lr_images * grad / grad.abs().mean().clamp_min(1e-12)
        else:
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            opt_g.step()
        d_losses.append(float(d_loss.detach()))
        g_losses.append(float(g_loss.detach()))
        if step % record_every == 0:
            recorded_steps.append(step)
            index.append(index_now())
    return GanRun(images=images.detach(), steps=recorded_steps, index=index, discriminator_losses=d_losses,
                  generator_losses=g_losses, first_stride=first_stride)
