"""Measures: what a layer's overlap is, and how much period-p structure a signal holds.

- :mod:`.overlap`: coverage maps and unevenness of transposed-convolution stacks;
- :mod:`.periodic`: polyphase means, the checkerboard index (``exact=``, ``border=``,
  ``reduce=``), its white-noise floor, the phase ratio;
- :mod:`.spectra`: power spectrum, radial profile, box-filter gain;
- :mod:`.signals`: synthetic signals with known ground truth;
- :mod:`.quality`: PSNR and SSIM;
- :mod:`.stats`: rank correlation, a least-squares line and a paired ratio's interval, for stating claims.

Functions of a signal take ``ndim`` (1 or 2) as a required keyword: nothing guesses whether
(H, W) is an image or H rows.
"""

from .overlap import (
    coverage,
    effective_kernel_size,
    interior_coverage,
    overlap_period,
    unevenness,
    unevenness_table,
    window_starts,
)
from .periodic import (
    aliasing_energy_fraction,
    checkerboard_amplitude,
    checkerboard_floor,
    checkerboard_index,
    divisor_periods,
    periodic_part,
    phase_ratio,
    polyphase_means,
)
from .quality import image_quality
from .signals import checkerboard, smooth_field
from .spectra import (
    box_filter_response,
    high_frequency_share,
    power_spectrum,
    radial_profile,
    stride1_response,
)
from .stats import fit_line, rank_correlation, ratio_interval

__all__ = [
    "aliasing_energy_fraction", "box_filter_response", "checkerboard", "checkerboard_amplitude",
    "checkerboard_floor", "checkerboard_index", "coverage", "divisor_periods", "effective_kernel_size",
    "fit_line", "high_frequency_share", "image_quality", "interior_coverage", "overlap_period",
    "periodic_part", "phase_ratio", "polyphase_means", "power_spectrum", "radial_profile",
    "rank_correlation", "ratio_interval", "smooth_field", "stride1_response", "unevenness",
    "unevenness_table",
    "window_starts",
]
