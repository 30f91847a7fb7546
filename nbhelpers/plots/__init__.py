"""Matplotlib figures (and text tables) of computed data.

Every function here takes already-computed data (tensors or arrays) and returns a
``matplotlib.figure.Figure`` (or, in :mod:`.tables`, text); none of them runs an experiment.
One module per topic: :mod:`.overlap`, :mod:`.spectra`, :mod:`.stacking`, :mod:`.learning`,
:mod:`.gradients`, :mod:`.fixes`, :mod:`.audit`, :mod:`.audio`, :mod:`.fingerprints`,
:mod:`.tables`; :mod:`.style` holds the house style and the one colour registry
(:func:`kind_color`: one colour per kind in every figure).
"""

from .audio import (
    plot_interpolation_response,
    plot_spectrograms,
    plot_tone_spectra,
)
from .audit import (
    plot_index_before_after,
    plot_model_outputs,
    plot_signal_spectra,
)
from .fingerprints import plot_fingerprint_profiles
from .fixes import (
    FIX_COLORS,
    FIX_LABELS,
    plot_border_comparison,
    plot_cost,
    plot_generator_periods,
    plot_radial_spectra,
    plot_zoomed_reconstructions,
)
from .gradients import (
    plot_backward_identity,
    plot_feature_visualizations,
    plot_gan_index,
    plot_gradient_index_by_design,
    plot_gradient_magnitudes,
    plot_high_frequency_share,
    plot_readout_gradients,
)
from .learning import (
    plot_amplitude_vs_distance,
    plot_color_examples,
    plot_phase_kernels,
    plot_reconstructions,
)
from .overlap import (
    plot_coverage_1d,
    plot_coverage_2d,
    plot_coverage_grid,
    plot_index_vs_unevenness,
    plot_unevenness_table,
)
from .spectra import (
    plot_metric_two_ways,
    plot_spectrum,
)
from .stacking import (
    draw_period_indices,
    draw_spectrum_stems,
    plot_box_filter_response,
    plot_dampening,
    plot_layer_matrices,
    plot_stack_overview,
    plot_stride1_gallery,
)
from .style import (
    FIGURE_DPI,
    KIND_COLORS,
    KIND_LABELS,
    MAX_FIGURE_WIDTH,
    kind_color,
    new_figure,
    to_numpy,
    use_house_style,
)
from .tables import (
    format_gradient_table,
    format_table,
    format_unevenness_table,
)
from .training import (
    interval95,
    plot_training_length,
)

__all__ = [
    "FIGURE_DPI",
    "FIX_COLORS",
    "FIX_LABELS",
    "KIND_COLORS",
    "KIND_LABELS",
    "MAX_FIGURE_WIDTH",
    "draw_period_indices",
    "draw_spectrum_stems",
    "format_gradient_table",
    "format_table",
    "format_unevenness_table",
    "interval95",
    "kind_color",
    "new_figure",
    "plot_amplitude_vs_distance",
    "plot_backward_identity",
    "plot_border_comparison",
    "plot_box_filter_response",
    "plot_color_examples",
    "plot_cost",
    "plot_coverage_1d",
    "plot_coverage_2d",
    "plot_coverage_grid",
    "plot_dampening",
    "plot_feature_visualizations",
    "plot_fingerprint_profiles",
    "plot_gan_index",
    "plot_generator_periods",
    "plot_gradient_index_by_design",
    "plot_gradient_magnitudes",
    "plot_high_frequency_share",
    "plot_index_before_after",
    "plot_index_vs_unevenness",
    "plot_interpolation_response",
    "plot_layer_matrices",
    "plot_metric_two_ways",
    "plot_model_outputs",
    "plot_phase_kernels",
    "plot_radial_spectra",
    "plot_readout_gradients",
    "plot_reconstructions",
    "plot_signal_spectra",
    "plot_spectrograms",
    "plot_spectrum",
    "plot_stack_overview",
    "plot_stride1_gallery",
    "plot_tone_spectra",
    "plot_training_length",
    "plot_unevenness_table",
    "plot_zoomed_reconstructions",
    "to_numpy",
    "use_house_style",
]
