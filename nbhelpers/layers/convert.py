"""Replace a model's transposed convolutions with checkerboard-free upsampling layers.

:func:`replace_upsampling` returns a copy of a model in which every ``ConvTranspose1d/2d``
with a stride > 1 is replaced by a resize-convolution or an ICNR-initialised sub-pixel
convolution that maps the same input shape to the same output shape. Everything else (other
layers, their weights, the model's class and forward) is left as it is. The replacements are
freshly initialised: train (or fine-tune) the converted model.
"""

from __future__ import annotations

import copy
import math
import warnings

import torch
from torch import nn

from .._validate import check_choice, check_model
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


def replacement_for(
    module: nn.ConvTranspose1d | nn.ConvTranspose2d, kind: str = "resize"
) -> nn.Module | None:
    """The shape-compatible replacement of one transposed convolution, or None if unsupported.

    Supported: groups 1, dilation 1, the same stride s > 1 along every axis. ``'resize'`` gives
    nearest resize by s then a stride-1 convolution (kernel k if odd, else k - 1, at least 3);
    ``'subpixel_icnr'`` gives a sub-pixel convolution whose low-resolution kernel spans the
    ceil(k / s) inputs the transposed convolution mixes (odd, at least 3), ICNR-initialised.
    Both pad by replication before convolving (a constant input stays constant).
    """
    check_choice("kind", kind, KINDS)
    ndim = module.weight.dim() - 2
    stride, kernel = module.stride, module.kernel_size
    if module.groups != 1 or any(d != 1 for d in module.dilation) or len(set(stride)) != 1 \
            or len(set(kernel)) != 1 or stride[0] < 2:
        return None
    s, k = stride[0], kernel[0]
    deltas = {k - s - 2 * p + q for p, q in zip(module.padding, module.output_padding)}
    if len(deltas) != 1:
        return None
    c_in, c_out = module.in_channels, module.out_channels
    if kind == "resize":
        size = _odd(k)
        layer = (ResizeConv2d(c_in, c_out, s, "nearest", size, padding_mode="replicate") if ndim == 2
                 else ResizeConv1d(c_in, c_out, s, "nearest", size, padding_mode="replicate"))
    else:
        size = _odd(math.ceil(k / s))
        layer = (SubPixelConv2d(c_in, c_out, s, size, icnr=True, padding_mode="replicate") if ndim == 2
                 else SubPixelConv1d(c_in, c_out, s, size, icnr=True, padding_mode="replicate"))
    layer = layer.to(device=module.weight.device, dtype=module.weight.dtype)
    delta = deltas.pop()
    return layer if delta == 0 else MatchLength(layer, delta, ndim)


def replace_upsampling(model: nn.Module, kind: str = "resize") -> nn.Module:
    """A copy of ``model`` with every strided transposed convolution replaced by a fix.

    Args:
        model: any ``nn.Module`` (not modified).
        kind: ``'resize'`` (nearest resize-convolution, the article's fix) or
            ``'subpixel_icnr'`` (sub-pixel convolution with ICNR initialisation).

    Returns:
        the converted copy: same input shape -> same output shape. Transposed convolutions that
        cannot be replaced (grouped, dilated, anisotropic strides) are kept, with a warning.
    """
    check_model(model)
    check_choice("kind", kind, KINDS)
    converted = copy.deepcopy(model)
    targets = [(name, m) for name, m in converted.named_modules()
               if isinstance(m, (nn.ConvTranspose1d, nn.ConvTranspose2d)) and max(m.stride) > 1]
    for name, module in targets:
        new = replacement_for(module, kind)
        if new is None:
            warnings.warn(f"replace_upsampling: kept {name} ({module}): only groups=1, dilation=1 "
                          "and equal strides are replaced", stacklevel=2)
            continue
        parent_name, _, child = name.rpartition(".")
        parent = converted.get_submodule(parent_name) if parent_name else converted
        setattr(parent, child, new)
    return converted
