"""What each traced resolution change means: its overlap unevenness, whether it can paint a
checkerboard, and what to do about it (the audit's "suggestion" column)."""

from __future__ import annotations

from torch import nn

from ..layers.upsampling import ResizeConv1d, ResizeConv2d, SubPixelConv1d, SubPixelConv2d
from ..measures.overlap import _unevenness
from .tracing import CONVS, TRANSPOSED, UPSAMPLE_CONVS, Feeder, Site

_ICNR_TOLERANCE = 1e-6  # relative: ICNR copies one sub-kernel exactly, float noise is ~1e-7


def layer_unevenness(site: Site) -> float:
    """Max/min coverage of the layer's overlap (product over axes); 1 without a kernel."""
    ratio = 1.0
    for k, s in zip(site.kernel, site.stride):
        ratio *= _unevenness([k], [s]) if s > 1 else 1.0
    return ratio


def is_icnr(feeder: Feeder | None, scale: int, ndim: int) -> bool:
    """True when the convolution feeding a shuffle by ``scale`` has equal sub-kernels and biases."""
    if feeder is None:
        return False
    copies = scale**ndim
    weight = feeder.weight.detach()
    if weight.shape[0] % copies:
        return False
    groups = weight.reshape(weight.shape[0] // copies, copies, -1)
    tolerance = _ICNR_TOLERANCE * float(weight.abs().max().clamp_min(1e-30))
    same = bool(((groups - groups[:, :1]).abs() <= tolerance).all())
    if feeder.bias is not None:
        bias = feeder.bias.detach().reshape(-1, copies)
        same = same and bool(((bias - bias[:, :1]).abs() <= tolerance + 1e-12).all())
    return same


def _shuffle_icnr(site: Site) -> bool:
    scale = max(site.stride) if site.stride else 1
    return is_icnr(site.feeder, scale, len(site.input_size))


def shuffle_role(site: Site) -> str:
    """What a pixel shuffle does: 'nearest' (its input repeats each channel r**d times: nearest
    upsampling), 'folding' (it folds patches back: no convolution made its input, or the model is a
    classifier) or 'upsampling' (a sub-pixel convolution)."""
    if site.repeated:
        return "nearest"
    if not site.from_conv or site.in_classifier:
        return "folding"
    return "upsampling"


def is_offending(site: Site) -> bool:
    """Layers whose design can paint (or, for strided convolutions and max pools, route) a pattern."""
    module = site.module
    if isinstance(module, (SubPixelConv1d, SubPixelConv2d)):
        return not module.icnr
    if isinstance(module, UPSAMPLE_CONVS):
        return False  # a resize-convolution, or an ICNR sub-pixel one made by replace_upsampling
    if site.kind in ("PixelShuffle", "F.pixel_shuffle"):
        return shuffle_role(site) == "upsampling" and not _shuffle_icnr(site)
    return isinstance(module, (*TRANSPOSED, *CONVS)) or site.call in (
        "F.conv_transpose1d", "F.conv_transpose2d", "F.conv1d", "F.conv2d")


def _transposed_advice(site: Site, ratio: float) -> str:
    s, k = max(site.stride), site.kernel[0]
    fix = ("edit the forward to resize then convolve (nbhelpers.layers.ResizeConv2d/1d): "
           "replace_upsampling swaps modules, not calls") if site.call else \
        "replace with resize-convolution or ICNR sub-pixel (replace_upsampling)"
    if ratio > 1:
        return (f"uneven overlap (k={k} not divisible by s={s}): {fix}, or use a kernel divisible "
                "by the stride")
    return f"even overlap, but learned or random kernels can still paint a period-{s} pattern: {fix}"


def _shuffle_advice(site: Site) -> str:
    feeder, role = site.feeder, shuffle_role(site)
    if role == "nearest":
        return ("ok: its input repeats each channel, so this shuffle is nearest upsampling (even by "
                "construction; followed by a convolution it is a resize-convolution)")
    if role == "folding":
        why = ("inside a classifier (the output has no spatial axes)" if site.in_classifier
               else "no convolution made its input")
        return (f"not an upsampling layer: it folds patches back into space ({why}); it paints no "
                "sub-pixel pattern of its own, nothing to initialise")
    if feeder is None:
        return ("sub-pixel convolution: initialise the convolution before it with ICNR "
                "(nbhelpers.layers.icnr_conv_), optionally blur after it")
    if _shuffle_icnr(site):
        return (f"ok at initialisation: {feeder.name} is ICNR (equal sub-kernels); training can bring a "
                "period back (add a blur after the shuffle to rule it out)")
    return (f"sub-pixel convolution fed by {feeder.name}, whose sub-kernels differ: ICNR "
            "(replace_upsampling(model, 'subpixel_icnr')) or a resize-convolution")


def suggestion(site: Site, ratio: float) -> str:
    """One sentence: what this layer does to the checkerboard and what to do about it."""
    module, s = site.module, max(site.stride) if site.stride else 1
    if isinstance(module, UPSAMPLE_CONVS):
        return ("ok: resize-convolution (even by construction)" if module.method == "resize" else
                "sub-pixel convolution with ICNR init: even at initialisation; training can bring a "
                "period back")
    if isinstance(module, TRANSPOSED) or site.call.startswith("F.conv_transpose"):
        return _transposed_advice(site, ratio)
    if isinstance(module, CONVS) or site.call in ("F.conv1d", "F.conv2d"):
        if ratio > 1:
            return (f"its gradient is a transposed conv with uneven overlap: blur before the "
                    f"stride (BlurPool) or use k divisible by {s}")
        return "strided conv: gradients can checkerboard; blur before the stride (BlurPool)"
    if isinstance(module, (ResizeConv1d, ResizeConv2d)):
        return "ok: resize-convolution (even by construction)"
    if isinstance(module, (SubPixelConv1d, SubPixelConv2d)):
        return ("sub-pixel convolution" + (" with ICNR init: even at initialisation; training can "
                "bring a period back (add blur=True to rule it out)" if module.icnr else
                ": initialise with ICNR (icnr=True) or add blur=True"))
    if site.kind in ("PixelShuffle", "F.pixel_shuffle"):
        return _shuffle_advice(site)
    if isinstance(module, (nn.MaxPool1d, nn.MaxPool2d)) or site.call.startswith("F.max_pool"):
        return "max pooling routes gradient to one pixel per window; average or blur pooling is smoother"
    if site.call == "F.interpolate" or site.mode:
        return (f"ok: {site.mode} resize (even by construction; followed by a convolution it is a "
                "resize-convolution)")
    return "ok"
