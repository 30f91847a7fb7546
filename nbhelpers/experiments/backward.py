"""The backward pass of a strided convolution is a transposed convolution (fact 9).

For y = conv(x) and an upstream gradient g = dL/dy, dL/dx equals ``conv_transpose2d(g,
conv.weight, stride, padding, output_padding, groups, dilation)``: the same weights read the
other way, so the uneven overlap of notebook 01 applies to input gradients: some input pixels
collect more taps than their neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .._validate import check_int, check_tensor


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
