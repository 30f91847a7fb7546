"""Shape-compatible, checkerboard-free replacements for one transposed convolution.

:func:`replacement_for` builds the resize-convolution or ICNR sub-pixel convolution that maps
the same input shape to the same output shape as a given ``ConvTranspose1d/2d`` (groups kept);
:func:`unsupported_reason` says why a layer cannot be replaced. The model-level fix that uses
them, :func:`nbhelpers.audit.fix.replace_upsampling`, lives with the audit, which finds the layers.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .._validate import check_choice
from .upsampling import ResizeConv1d, ResizeConv2d, SubPixelConv1d, SubPixelConv2d

KINDS = ("resize", "subpixel_icnr")


class MatchLength(nn.Module):
    """Wrap an upsampling layer and crop or pad (replicate) its output by ``delta`` per axis.

    A transposed convolution maps size n to (n - 1) s - 2p + k + q = s n + delta; the
    replacements give s n, so this adds (or, for negative delta, removes) delta samples,
    split between both ends.
    """

    def __init__(self, inner: nn.Module, delta: int, ndim: int):
        super().__init__()
        self.inner, self.delta, self.ndim = inner, int(delta), int(ndim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.inner(x)
        if self.delta == 0:
            return y
        lo, hi = self.delta // 2, self.delta - self.delta // 2
        if self.delta > 0:
            return nn.functional.pad(y, (lo, hi) * self.ndim, mode="replicate")
        crop = [slice(None)] * (y.dim() - self.ndim) + [slice(-lo, y.shape[d] + hi)
                                                        for d in range(y.dim() - self.ndim, y.dim())]
        return y[tuple(crop)]

    def extra_repr(self) -> str:
        return f"delta={self.delta}"


def _odd(k: int) -> int:
    return max(3, k if k % 2 else k - 1)


def unsupported_reason(module: nn.ConvTranspose1d | nn.ConvTranspose2d) -> str | None:
    """Why :func:`replacement_for` cannot replace ``module`` (a sentence), or None if it can."""
    stride, kernel = module.stride, module.kernel_size
    if max(stride) < 2:
        return "stride 1: it does not upsample"
    if any(d != 1 for d in module.dilation):
        return (f"dilation {tuple(module.dilation)}: a dilated transposed convolution has no resize "
                "equivalent here")
    if len(set(stride)) != 1:
        return f"strides {tuple(stride)} differ by axis: the fixes scale every axis by one factor"
    if len(set(kernel)) != 1:
        return f"kernel {tuple(kernel)} differs by axis"
    deltas = {k - stride[0] - 2 * p + q for k, p, q in zip(kernel, module.padding, module.output_padding)}
    if len(deltas) != 1:
        return "padding differs by axis, so no single crop or pad restores the output size"
    return None


def replacement_for(
    module: nn.ConvTranspose1d | nn.ConvTranspose2d, kind: str = "resize"
) -> nn.Module | None:
    """The shape-compatible replacement of one transposed convolution, or None if unsupported.

    Supported: dilation 1, the same stride s > 1 and kernel along every axis, any groups (kept by
    the replacement's convolution; see :func:`unsupported_reason`). ``'resize'`` gives
    nearest resize by s then a stride-1 convolution (kernel k if odd, else k - 1, at least 3);
    ``'subpixel_icnr'`` gives a sub-pixel convolution whose low-resolution kernel spans the
    ceil(k / s) inputs the transposed convolution mixes (odd, at least 3), ICNR-initialised.
    Both pad by replication before convolving (a constant input stays constant).
    """
    check_choice("kind", kind, KINDS)
    if unsupported_reason(module) is not None:
        return None
    ndim = module.weight.dim() - 2
    s, k = module.stride[0], module.kernel_size[0]
    deltas = {k - s - 2 * p + q for p, q in zip(module.padding, module.output_padding)}
    c_in, c_out, g = module.in_channels, module.out_channels, module.groups
    if kind == "resize":
        size = _odd(k)
        layer = (ResizeConv2d(c_in, c_out, s, "nearest", size, padding_mode="replicate", groups=g)
                 if ndim == 2 else ResizeConv1d(c_in, c_out, s, "nearest", size, padding_mode="replicate",
                                                groups=g))
    else:
        size = _odd(math.ceil(k / s))
        layer = (SubPixelConv2d(c_in, c_out, s, size, icnr=True, padding_mode="replicate", groups=g)
                 if ndim == 2 else SubPixelConv1d(c_in, c_out, s, size, icnr=True, padding_mode="replicate",
                                                  groups=g))
    layer = layer.to(device=module.weight.device, dtype=module.weight.dtype)
    delta = deltas.pop()
    return layer if delta == 0 else MatchLength(layer, delta, ndim)
