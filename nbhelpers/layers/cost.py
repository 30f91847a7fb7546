"""What an upsampling layer costs: parameters, FLOPs (counted with forward hooks), wall time,
and how many input pixels each output pixel sees.

FLOP convention: one multiply-accumulate = 2 FLOPs. Counted: ``nn.Conv2d``,
``nn.ConvTranspose2d`` and ``nn.Linear`` (2 * in-features * outputs, plus one add per output
for a bias), and :class:`nbhelpers.layers.Blur2d` (k*k adds per output). Not counted:
activations, resizing, padding and ``PixelShuffle`` (memory moves, a few operations per pixel).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import torch
from torch import nn

from .._validate import check_input_shape, check_int, check_model
from ..runtime import model_device
from .upsampling import Blur2d


def _conv_flops(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> int:
    if isinstance(module, nn.Conv2d):
        k = math.prod(module.kernel_size)
        macs = output.numel() * (module.in_channels // module.groups) * k
        return 2 * macs + (output.numel() if module.bias is not None else 0)
    if isinstance(module, nn.ConvTranspose2d):
        # every input value is multiplied into k*k*(c_out/groups) outputs; outputs that no
        # window reaches (none, with the padding used here) would cost nothing
        k = math.prod(module.kernel_size)
        macs = inputs[0].numel() * (module.out_channels // module.groups) * k
        return 2 * macs + (output.numel() if module.bias is not None else 0)
    if isinstance(module, nn.Linear):
        macs = output.numel() * module.in_features
        return 2 * macs + (output.numel() if module.bias is not None else 0)
    if isinstance(module, Blur2d):
        return output.numel() * module.kernel_size**2
    return 0


@torch.no_grad()
def count_flops(
    model: nn.Module, input_shape: Sequence[int], per_layer: bool = False
) -> int | dict[str, int]:
    """FLOPs of one forward pass of ``model`` on a batch of ``input_shape`` (batch first).

    Runs the model once on zeros of ``input_shape`` with forward hooks on every counted
    module (see the module docstring for the convention). With batch 1 the count is per input.

    Args:
        model: any module; it runs on the device of its parameters.
        input_shape: batch first, e.g. (1, 3, 32, 32) for one image, (1, 16) for one code.
        per_layer: return {module name: FLOPs} for the counted modules instead of the total.

    Returns:
        total FLOPs for the batch (an int), or the per-module dict.
    """
    check_model(model)
    shape = check_input_shape(input_shape)
    counts: dict[str, int] = {}
    handles = []
    for name, module in model.named_modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, Blur2d)):
            def hook(mod, inputs, output, name=name):  # noqa: ANN001 - torch hook signature
                counts[name or type(mod).__name__] = counts.get(name, 0) + _conv_flops(mod, inputs, output)
            handles.append(module.register_forward_hook(hook))
    device = model_device(model)
    was_training = model.training
    model.eval()
    try:
        model(torch.zeros(*shape, device=device))
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return counts if per_layer else sum(counts.values())


def time_forward_backward(
    model: nn.Module, input_shape: Sequence[int], repeats: int = 5, warmup: int = 2
) -> float:
    """Median wall time (seconds) of one forward + backward pass on a random batch.

    The loss is the mean of the output; gradients are cleared between runs. The device is
    that of the model's parameters (synchronised on CUDA before reading the clock). Timings
    on a shared CPU are noisy: compare kinds measured in the same run, and repeat.

    Args:
        model: the module to time.
        input_shape: batch first, e.g. (8, 64, 16, 16).
        repeats, warmup: timed runs (the median counts); untimed runs first.
    """
    check_model(model)
    shape = check_input_shape(input_shape)
    repeats = check_int("repeats", repeats, 1)
    warmup = check_int("warmup", warmup, 0)
    device = model_device(model)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(*shape, generator=gen).to(device)

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    times = []
    for i in range(warmup + repeats):
        model.zero_grad(set_to_none=True)
        sync()
        start = time.perf_counter()
        model(x).mean().backward()
        sync()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    model.zero_grad(set_to_none=True)
    times.sort()
    return times[len(times) // 2]


def input_footprint(layer: nn.Module, c_in: int, scale: int, size: int = 12) -> tuple[int, int]:
    """How many input pixels (along one axis) each output pixel depends on: (min, max) over phases.

    Back-propagates from one output pixel of each phase in the middle of a (1, c_in, size,
    size) random input and counts the input rows with a non-zero gradient. E.g. nearest
    resize-convolution with a 3x3 kernel at scale 4 sees only 1 input row for half its phases,
    while a 3x3 sub-pixel convolution always sees 3.

    Args:
        layer: upsampling layer (N, c_in, H, W) -> (N, C, scale*H, scale*W), random weights.
        c_in: its input channels.
        scale: its upsampling factor.
        size: side of the probe input (large enough that the middle is far from the borders).

    Returns:
        (fewest, most) input rows seen by one output pixel, over the scale output phases.
    """
    c_in = check_int("c_in", c_in, 1)
    s = check_int("scale", scale, 1)
    size = check_int("size", size, 3)
    device = model_device(layer)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(1, c_in, size, size, generator=gen).to(device).requires_grad_(True)
    out = layer(x)
    if out.shape[-2] != s * size:
        raise ValueError(f"layer maps {size} rows to {out.shape[-2]}, not scale={s} times as many")
    widths = []
    base = s * (size // 2)
    for r in range(s):
        (grad,) = torch.autograd.grad(out[0, :, base + r, base].abs().sum(), x, retain_graph=True)
        rows = grad[0].abs().sum(dim=(0, 2)) > 0
        widths.append(int(rows.sum()))
    return min(widths), max(widths)
