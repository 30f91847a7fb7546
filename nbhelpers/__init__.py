"""nbhelpers: compute, plot and explore checkerboard artifacts of (transposed) convolutions.

The names a reader uses most are importable from here; everything else lives in the
subpackage of its concept:

- :mod:`nbhelpers.measures`: overlap, the checkerboard index, spectra, test signals, quality;
- :mod:`nbhelpers.layers`: upsampling/downsampling layers, models, the zoo, conversion, cost;
- :mod:`nbhelpers.experiments`: data, training and each notebook's experiments;
- :mod:`nbhelpers.audit`: audit a model (``python -m nbhelpers.audit`` on the command line);
- :mod:`nbhelpers.plots` (figures) and :mod:`nbhelpers.widgets` (explorers);
- :mod:`nbhelpers.course`: exercise checks, student versions, the static site, the benchmark.

Compute functions take and return torch tensors and run on :func:`get_device` (CUDA when
present, ``NBHELPERS_DEVICE`` overrides); functions given a model run on the model's device.
Importing the package sets torch's CPU threads by :func:`nbhelpers.runtime.thread_policy`: one
thread on a shared server (JupyterHub, or ``NBHELPERS_SHARED=1``) so processes sharing cores do not
collapse, the usable cores (up to 4) on a personal machine; ``NBHELPERS_THREADS`` overrides both.
"""

from .audit import AuditReport, audit, replace_upsampling, sample_outputs
from .experiments.data import colored_shapes, natural_patches
from .experiments.gradients import input_gradients
from .experiments.learning import predict
from .experiments.training import train, train_grid
from .layers.cost import count_flops
from .layers.downsampling import BlurPool2d
from .layers.models import autoencoder, count_parameters
from .layers.registry import UPSAMPLERS, make_upsampler
from .layers.upsampling import (
    Blur2d,
    ResizeConv1d,
    ResizeConv2d,
    SubPixelConv1d,
    SubPixelConv2d,
    deconvolution,
    icnr_,
    icnr_conv_,
)
from .measures.overlap import coverage, unevenness
from .measures.periodic import (
    aliasing_energy_fraction,
    checkerboard_amplitude,
    checkerboard_floor,
    checkerboard_index,
    periodic_part,
    phase_ratio,
    polyphase_means,
)
from .measures.quality import image_quality
from .measures.signals import checkerboard, smooth_field
from .measures.spectra import power_spectrum, radial_profile
from .runtime import apply_thread_policy as _apply_thread_policy
from .runtime import get_device, seed_everything

_THREADS = _apply_thread_policy()  # by context: shared server 1 thread, personal the usable cores

__version__ = "0.2.0"

__all__ = [
    # runtime
    "get_device", "seed_everything",
    # measures
    "coverage", "unevenness", "checkerboard_index", "checkerboard_amplitude", "checkerboard_floor",
    "polyphase_means", "periodic_part", "aliasing_energy_fraction", "phase_ratio", "power_spectrum",
    "radial_profile", "smooth_field", "checkerboard", "image_quality",
    # layers and models
    "deconvolution", "ResizeConv1d", "ResizeConv2d", "SubPixelConv1d", "SubPixelConv2d", "Blur2d",
    "BlurPool2d", "icnr_", "icnr_conv_", "UPSAMPLERS", "make_upsampler", "autoencoder", "count_parameters",
    "count_flops",
    # experiments
    "natural_patches", "colored_shapes", "train", "train_grid", "predict", "input_gradients",
    # audit
    "audit", "AuditReport", "sample_outputs", "replace_upsampling",
]
