"""Layers and models: the upsampling and downsampling layers, small models, and tools on models.

- :mod:`.upsampling`: ``deconvolution``, ``ResizeConv1d/2d``, ``SubPixelConv1d/2d`` (+ ICNR),
  ``Blur2d``; :mod:`.registry`: upsampling kinds by name (``UPSAMPLERS``, ``make_upsampler``);
- :mod:`.downsampling`: strided convolutions, pooling, ``BlurPool2d``;
- :mod:`.models`: the notebooks' decoders, generators and classifiers; :mod:`.zoo`: small
  versions of well-known architectures to audit;
- :mod:`.matrices`: 1D layers written out as matrices; :mod:`.phases`: which kernel taps feed
  which output phase;
- :mod:`.convert`: the replacement of one transposed convolution (``replacement_for``);
  :mod:`.cost`: parameters, FLOPs, time.
"""

from .cost import count_flops, input_footprint, time_forward_backward
from .downsampling import DOWNSAMPLING_DESIGNS, BlurPool2d, make_downsampler
from .models import autoencoder, code_decoder, count_parameters, downsampling_cnn, staged_generator
from .registry import UPSAMPLER_DESCRIPTIONS, UPSAMPLERS, make_upsampler, register_upsampler
from .upsampling import (
    Blur2d,
    ResizeConv1d,
    ResizeConv2d,
    SubPixelConv1d,
    SubPixelConv2d,
    deconvolution,
    icnr_,
    icnr_conv_,
)

__all__ = [
    "DOWNSAMPLING_DESIGNS", "UPSAMPLERS", "UPSAMPLER_DESCRIPTIONS", "Blur2d", "BlurPool2d", "ResizeConv1d",
    "ResizeConv2d", "SubPixelConv1d", "SubPixelConv2d", "autoencoder", "code_decoder", "count_flops",
    "count_parameters", "deconvolution", "downsampling_cnn", "icnr_", "icnr_conv_", "input_footprint",
    "make_downsampler", "make_upsampler", "register_upsampler", "staged_generator",
    "time_forward_backward",
]
