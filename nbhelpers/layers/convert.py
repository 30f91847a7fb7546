"""Shape-compatible, checkerboard-free replacements for one transposed convolution.

:func:`replacement_for` builds the resize-convolution or ICNR sub-pixel convolution that maps
the same input shape to the same output shape as a given ``ConvTranspose1d/2d`` (groups kept);
:func:`unsupported_reason` says why a layer cannot be replaced. The model-level fix that uses
them, :func:`nbhelpers.audit.fix.replace_upsampling`, lives with the audit, which finds the layers.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import torch
from torch import nn

from .._validate import check_choice
from .upsampling import (
    ResizeConv1d,
    ResizeConv2d,
    SubPixelConv1d,
    SubPixelConv2d,
    _icnr_pair_,
)

KINDS = ("resize", "subpixel_icnr")

def fit_output_size(
    y: torch.Tensor,
    in_sizes: Sequence[int],
    output_size: Sequence[int] | None,
    geometry: tuple[tuple[int, ...], ...] | None,
) -> torch.Tensor:
    """Crop or pad (replicate, split between both ends) ``y`` to the size a transposed convolution gives.

    Args:
        y: the upsampled output, (N, C, L) or (N, C, H, W).
        in_sizes: the layer's input spatial size, (L,) or (H, W).
        output_size: as ``nn.ConvTranspose1d/2d.forward`` takes it: None, the spatial size, or
            the full shape (its last len(in_sizes) entries count).
        geometry: ``(kernel, stride, padding, output_padding)`` per axis of the transposed
            convolution this layer replaces, or None for a plain upsampling layer, whose size
            (scale x input) is then the only accepted ``output_size``.

    Returns:
        ``y`` cropped or padded to ``output_size`` (or, without it, to (n - 1) s - 2 p + k + q
        per axis); a ``ValueError`` names an ``output_size`` that the transposed convolution
        would reject as well (outside [(n - 1) s - 2 p + k, that + s - 1]).
    """
    ndim = len(in_sizes)
    now = tuple(y.shape[-ndim:])
    if geometry is None:
        low = high = default = now
    else:
        kernel, stride, padding, extra = geometry
        low = tuple((n - 1) * s - 2 * p + k for n, k, s, p in zip(in_sizes, kernel, stride, padding))
        high = tuple(lo + s - 1 for lo, s in zip(low, stride))
        default = tuple(lo + q for lo, q in zip(low, extra))
    if output_size is None:
        target = default
    else:
        if isinstance(output_size, torch.Size):
            output_size = tuple(output_size)
        if not isinstance(output_size, (tuple, list)) or len(output_size) not in (ndim, ndim + 2):
            raise ValueError(f"output_size must list {ndim} spatial sizes (or the full shape), "
                             f"got {output_size!r}")
        target = tuple(int(v) for v in output_size[-ndim:])
        if any(not lo <= t <= hi for t, lo, hi in zip(target, low, high)):
            raise ValueError(f"output_size {target} cannot be reached from input size {tuple(in_sizes)}: "
                             f"each size must lie between {low} and {high}")
    return crop_or_pad(y, target)


def crop_or_pad(y: torch.Tensor, target: Sequence[int]) -> torch.Tensor:
    """``y`` (N, C, *size) cropped or replicate-padded to spatial size ``target``, split between both
    ends (an odd extra sample goes to the end when padding, to the start when cropping)."""
    ndim = len(target)
    now = tuple(y.shape[-ndim:])
    if tuple(target) == now:
        return y
    for axis, (have, want) in enumerate(zip(now, target)):
        dim = y.dim() - ndim + axis
        delta = want - have
        lo = delta // 2 if delta > 0 else (1 - delta) // 2
        if delta < 0:
            y = y.narrow(dim, lo, want)
        elif delta > 0:
            pads = [0, 0] * (y.dim() - 2)
            index = 2 * (y.dim() - 1 - dim)
            pads[index], pads[index + 1] = lo, delta - lo
            y = nn.functional.pad(y, pads, mode="replicate")
    return y



class MatchLength(nn.Module):
    """Wrap an upsampling layer and crop or pad (replicate) its output by ``delta`` per axis.

    A transposed convolution maps size n to (n - 1) s - 2p + k + q = s n + delta; the
    replacements give s n, so this adds (or, for negative delta, removes) delta samples,
    split between both ends.
    """

    def __init__(self, inner: nn.Module, delta: int, ndim: int,
                 geometry: tuple[tuple[int, ...], ...] | None = None):
        super().__init__()
        self.inner, self.delta, self.ndim = inner, int(delta), int(ndim)
        # (kernel, stride, padding, output_padding) of the replaced layer: output_size= is honoured
        self.transposed_geometry = geometry

    def forward(self, x: torch.Tensor, output_size: Sequence[int] | None = None) -> torch.Tensor:
        """(N, C, *size) -> the inner layer's output, cropped or padded by ``delta`` per axis, or to
        ``output_size`` (as ``nn.ConvTranspose1d/2d`` takes it; see
        :func:`fit_output_size`)."""
        y = self.inner(x)
        sizes = tuple(x.shape[2:])
        if self.transposed_geometry is None:
            target = tuple(n + self.delta for n in y.shape[2:])
            if output_size is not None:
                fit_output_size(crop_or_pad(y, target), sizes, output_size, None)  # checks it
            return crop_or_pad(y, target)
        return fit_output_size(y, sizes, output_size, self.transposed_geometry)

    def extra_repr(self) -> str:
        return f"delta={self.delta}"


class _UpsampleConv:
    """Shared forward of :class:`UpsampleConv1d` and :class:`UpsampleConv2d` (a convolution subclass)."""

    scale: int
    method: str
    pad: int
    c_final: int
    transposed_geometry: tuple[tuple[int, ...], ...] | None

    def forward(self, x: torch.Tensor, output_size: Sequence[int] | None = None) -> torch.Tensor:
        """(N, c_in, *size) -> (N, c_out, *(scale * size)), fitted to the replaced layer's size or to
        ``output_size`` (see :func:`fit_output_size`)."""
        sizes = tuple(x.shape[2:])
        ndim = len(sizes)
        if self.method == "resize":
            x = nn.functional.interpolate(x, scale_factor=self.scale, mode="nearest")
        x = nn.functional.pad(x, (self.pad,) * (2 * ndim), mode="replicate")
        y = self._conv_forward(x, self.weight, self.bias)  # type: ignore[attr-defined]
        if self.method == "subpixel":
            if ndim == 2:
                y = nn.functional.pixel_shuffle(y, self.scale)
            else:
                n, _, length = y.shape
                y = y.view(n, self.c_final, self.scale, length).permute(0, 1, 3, 2)
                y = y.reshape(n, self.c_final, -1)
        return fit_output_size(y, sizes, output_size, self.transposed_geometry)

    def _setup(self, scale: int, method: str, kernel_size: int, c_out: int,
               geometry: tuple[tuple[int, ...], ...] | None) -> None:
        self.scale, self.method, self.pad, self.c_final = int(scale), method, kernel_size // 2, int(c_out)
        self.mode, self.icnr = "nearest", method == "subpixel"
        self.transposed_geometry = geometry
        if self.icnr:
            _icnr_pair_(self.weight, self.bias, self.scale)  # type: ignore[attr-defined]

    def extra_repr(self) -> str:
        return f"{nn.Conv1d.extra_repr(self)}, scale={self.scale}, method={self.method!r}"  # type: ignore[arg-type]


class UpsampleConv1d(_UpsampleConv, nn.Conv1d):
    """An ``nn.Conv1d`` that upsamples its input first: the replacement of a weight-normalised
    ``ConvTranspose1d``, whose own ``weight`` can carry the same normalisation.

    ``method='resize'``: nearest resize by ``scale``, replicate padding, convolution (kernel
    ``kernel_size``, odd) to c_out channels. ``method='subpixel'``: replicate padding, an
    ICNR-initialised convolution to c_out * scale channels, interleaved into scale phases.
    The output is fitted to the size of the transposed convolution given by ``geometry``
    (``(kernel, stride, padding, output_padding)``), or to ``output_size``.

    Input (N, c_in, L) -> output (N, c_out, about scale L).
    """

    def __init__(self, c_in: int, c_out: int, scale: int, method: str = "resize", kernel_size: int = 3,
                 groups: int = 1, geometry: tuple[tuple[int, ...], ...] | None = None) -> None:
        check_choice("method", method, ("resize", "subpixel"))
        super().__init__(c_in, c_out * (scale if method == "subpixel" else 1), kernel_size, groups=groups)
        self._setup(scale, method, kernel_size, c_out, geometry)


class UpsampleConv2d(_UpsampleConv, nn.Conv2d):
    """The 2D :class:`UpsampleConv1d` (sub-pixel: ``F.pixel_shuffle``): (N, c_in, H, W) -> (N, c_out,
    about scale H, scale W)."""

    def __init__(self, c_in: int, c_out: int, scale: int, method: str = "resize", kernel_size: int = 3,
                 groups: int = 1, geometry: tuple[tuple[int, ...], ...] | None = None) -> None:
        check_choice("method", method, ("resize", "subpixel"))
        super().__init__(c_in, c_out * (scale**2 if method == "subpixel" else 1), kernel_size, groups=groups)
        self._setup(scale, method, kernel_size, c_out, geometry)


def weight_norm_of(module: nn.Module) -> tuple[str, int | None] | None:
    """How ``module.weight`` is normalised: ``('hook', dim)`` for ``torch.nn.utils.weight_norm``,
    ``('parametrize', dim)`` for ``torch.nn.utils.parametrizations.weight_norm``, ``('other', None)``
    for any other computed weight (spectral norm, other parametrizations), None for a plain one."""
    from torch.nn.utils import parametrize
    from torch.nn.utils.weight_norm import WeightNorm

    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, WeightNorm) and hook.name == "weight":
            return "hook", hook.dim
        if getattr(hook, "name", None) == "weight":
            return "other", None
    if parametrize.is_parametrized(module, "weight"):
        chain = module.parametrizations.weight  # type: ignore[union-attr]
        found = [p for p in chain if type(p).__name__ == "_WeightNorm"]
        if len(chain) == 1 and found:
            return "parametrize", found[0].dim
        return "other", None
    return None


def apply_weight_norm(layer: nn.Module, style: str, dim: int | None) -> nn.Module:
    """``layer`` with its ``weight`` normalised as ``style`` ('hook' or 'parametrize') over ``dim``
    (None: over the whole tensor, as in torch, which stores it as -1)."""
    check_choice("style", style, ("hook", "parametrize"))
    if style == "hook":
        with warnings.catch_warnings():  # the model chose the older API; keep it, without its FutureWarning
            warnings.simplefilter("ignore", FutureWarning)
            return nn.utils.weight_norm(layer, dim=dim)
    return nn.utils.parametrizations.weight_norm(layer, dim=-1 if dim is None else dim)


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
    if weight_norm_of(module) == ("other", None):
        return ("its weight is computed in the forward by a parametrization or hook other than weight "
                "norm (e.g. spectral norm), which a replacement would silently drop")
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
    Both pad by replication before convolving (a constant input stays constant), fit their
    output to the transposed convolution's size and accept its ``output_size=`` argument. A
    weight-normalised layer (``torch.nn.utils.weight_norm`` or
    ``torch.nn.utils.parametrizations.weight_norm``) becomes an :class:`UpsampleConv1d`/``2d``
    whose own ``weight`` gets the same normalisation (so ``remove_weight_norm`` /
    ``remove_parametrizations(layer, 'weight')`` still work on it).
    """
    check_choice("kind", kind, KINDS)
    if unsupported_reason(module) is not None:
        return None
    ndim = module.weight.dim() - 2
    s, k = module.stride[0], module.kernel_size[0]
    deltas = {k - s - 2 * p + q for p, q in zip(module.padding, module.output_padding)}
    c_in, c_out, g = module.in_channels, module.out_channels, module.groups
    geometry = (tuple(module.kernel_size), tuple(module.stride), tuple(module.padding),
                tuple(module.output_padding))
    norm = weight_norm_of(module)
    if norm is not None:  # a convolution subclass whose own weight takes the same normalisation
        size = _odd(k) if kind == "resize" else _odd(math.ceil(k / s))
        cls = UpsampleConv2d if ndim == 2 else UpsampleConv1d
        new = cls(c_in, c_out, s, "resize" if kind == "resize" else "subpixel", size, g, geometry)
        new = new.to(device=module.weight.device, dtype=module.weight.dtype)
        return apply_weight_norm(new, norm[0], norm[1])
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
    if delta == 0:
        layer.transposed_geometry = geometry  # output_size= honoured as by the transposed convolution
        return layer
    return MatchLength(layer, delta, ndim, geometry)
