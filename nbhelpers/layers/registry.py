"""Upsampling kinds by name: the factories the models and notebooks build layers from.

:data:`UPSAMPLERS` maps each kind name to a factory ``f(c_in, c_out, scale)``;
:func:`make_upsampler` builds one and :func:`register_upsampler` adds kinds, which every
model of :mod:`nbhelpers.layers.models` then accepts.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from torch import nn

from .._validate import check_choice, check_int
from .upsampling import ResizeConv2d, SubPixelConv2d, deconvolution

UpsamplerFactory = Callable[..., nn.Module]


#: Upsampling kind -> factory ``f(c_in, c_out, scale)`` returning a layer that multiplies H and
#: W by ``scale``. The names are the ones the notebooks use.
UPSAMPLERS: dict[str, UpsamplerFactory] = {
    "deconv3": lambda cin, cout, s: deconvolution(cin, cout, 3, s),
    "deconv4": lambda cin, cout, s: deconvolution(cin, cout, 4, s),
    "nearest": lambda cin, cout, s: ResizeConv2d(cin, cout, s, "nearest"),
    "bilinear": lambda cin, cout, s: ResizeConv2d(cin, cout, s, "bilinear"),
    "nearest_zeros": lambda cin, cout, s: ResizeConv2d(cin, cout, s, "nearest", padding_mode="zeros"),
    "subpixel": lambda cin, cout, s: SubPixelConv2d(cin, cout, s, icnr=False),
    "subpixel_blur": lambda cin, cout, s: SubPixelConv2d(cin, cout, s, icnr=False, blur=True),
    "subpixel_icnr": lambda cin, cout, s: SubPixelConv2d(cin, cout, s, icnr=True),
    "subpixel_icnr_blur": lambda cin, cout, s: SubPixelConv2d(cin, cout, s, icnr=True, blur=True),
}

#: One line per kind, for tables and legends.
UPSAMPLER_DESCRIPTIONS: dict[str, str] = {
    "deconv3": "transposed convolution k=3 (uneven overlap)",
    "deconv4": "transposed convolution k=4 (even overlap)",
    "nearest": "nearest resize, reflect pad, 3x3 convolution",
    "bilinear": "bilinear resize, reflect pad, 3x3 convolution",
    "nearest_zeros": "nearest resize, zero pad, 3x3 convolution",
    "subpixel": "sub-pixel 3x3 convolution + PixelShuffle, random init",
    "subpixel_blur": "sub-pixel, random init, then 2x2 box blur",
    "subpixel_icnr": "sub-pixel with ICNR init",
    "subpixel_icnr_blur": "sub-pixel with ICNR init, then 2x2 box blur",
}


def _accepts_scale(factory: Callable[..., object]) -> bool:
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: assume the full form
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 3 or any(p.kind == p.VAR_POSITIONAL for p in params)


def register_upsampler(name: str, factory: UpsamplerFactory, overwrite: bool = False) -> None:
    """Add an upsampling kind to :data:`UPSAMPLERS` (every model then accepts it).

    Args:
        name: the kind's name.
        factory: ``factory(c_in, c_out, scale)`` returning a module that maps (N, c_in, H, W)
            to (N, c_out, scale*H, scale*W). A two-argument ``factory(c_in, c_out)`` is accepted
            too; it must double H and W and is then only available for scale 2.
        overwrite: replace an existing kind of that name.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, got {name!r}")
    if not callable(factory):
        raise TypeError(f"factory must be callable as factory(c_in, c_out, scale), got {factory!r}")
    if name in UPSAMPLERS and not overwrite:
        raise ValueError(f"upsampling kind {name!r} already exists; pass overwrite=True to replace it")
    if not _accepts_scale(factory):
        two_args = factory

        def factory(cin: int, cout: int, s: int) -> nn.Module:  # noqa: F811 - wraps the 2-arg form
            if s != 2:
                raise ValueError(f"upsampling kind {name!r} was registered without a scale argument; "
                                 f"it only supports scale=2, got scale={s}")
            return two_args(cin, cout)

    UPSAMPLERS[name] = factory


def make_upsampler(kind: str, c_in: int, c_out: int, scale: int = 2) -> nn.Module:
    """A layer of upsampling ``kind`` mapping (N, c_in, H, W) to (N, c_out, scale*H, scale*W).

    Args:
        kind: a key of :data:`UPSAMPLERS` ('deconv3', 'deconv4', 'nearest', 'bilinear',
            'nearest_zeros', 'subpixel', 'subpixel_blur', 'subpixel_icnr', 'subpixel_icnr_blur',
            or a registered one).
        c_in, c_out: channel counts (>= 1).
        scale: upsampling factor (>= 1).
    """
    check_choice("kind", kind, tuple(UPSAMPLERS))
    c_in = check_int("c_in", c_in, 1)
    c_out = check_int("c_out", c_out, 1)
    return UPSAMPLERS[kind](c_in, c_out, check_int("scale", scale, 1))
