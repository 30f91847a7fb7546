"""Matplotlib figures for the notebooks.

Every function here takes already-computed data (tensors or arrays) and returns a
``matplotlib.figure.Figure``; none of them runs an experiment. One module per topic,
re-exported here.
"""

from .overlap import (
    plot_coverage_1d,
    plot_coverage_2d,
    plot_coverage_grid,
    plot_index_vs_unevenness,
    plot_unevenness_table,
)
from .spectra import plot_metric_two_ways, plot_spectrum
from .style import FIGURE_DPI, new_figure, to_numpy, use_house_style

__all__ = [
    "FIGURE_DPI",
    "new_figure",
    "plot_coverage_1d",
    "plot_coverage_2d",
    "plot_coverage_grid",
    "plot_index_vs_unevenness",
    "plot_metric_two_ways",
    "plot_spectrum",
    "plot_unevenness_table",
    "to_numpy",
    "use_house_style",
]

# notebook 02: stacked deconvolutions, stride-1 dampening, layer matrices
from .stacking import (  # noqa: E402
    draw_period_indices,
    draw_spectrum_stems,
    plot_box_filter_response,
    plot_dampening,
    plot_layer_matrices,
    plot_stack_overview,
    plot_stride1_gallery,
)

__all__ += [
    "draw_period_indices",
    "draw_spectrum_stems",
    "plot_box_filter_response",
    "plot_dampening",
    "plot_layer_matrices",
    "plot_stack_overview",
    "plot_stride1_gallery",
]

# notebook 03: learning, bias and colour
from .learning import (  # noqa: E402
    plot_amplitude_vs_distance,
    plot_color_examples,
    plot_index_by_kind,
    plot_loss_histories,
    plot_phase_kernels,
    plot_reconstructions,
)

__all__ += [
    "plot_amplitude_vs_distance",
    "plot_color_examples",
    "plot_index_by_kind",
    "plot_loss_histories",
    "plot_phase_kernels",
    "plot_reconstructions",
]

# notebook 04: checkerboards in gradients
from .gradients import (  # noqa: E402
    plot_backward_identity,
    plot_feature_visualizations,
    plot_gan_index,
    plot_gradient_index_by_design,
    plot_gradient_magnitudes,
    plot_readout_gradients,
)

__all__ += [
    "plot_backward_identity",
    "plot_feature_visualizations",
    "plot_gan_index",
    "plot_gradient_index_by_design",
    "plot_gradient_magnitudes",
    "plot_readout_gradients",
]

# isort: split
# notebook 05: the fixes compared
from .fixes import (  # noqa: E402
    FIX_COLORS,
    FIX_LABELS,
    plot_border_comparison,
    plot_cost,
    plot_generator_periods,
    plot_quality_vs_artifacts,
    plot_radial_spectra,
    plot_zoomed_reconstructions,
)

__all__ += [
    "FIX_COLORS",
    "FIX_LABELS",
    "plot_border_comparison",
    "plot_cost",
    "plot_generator_periods",
    "plot_quality_vs_artifacts",
    "plot_radial_spectra",
    "plot_zoomed_reconstructions",
]

# isort: split
# notebook 06: audit your own model
from .audit import plot_index_before_after, plot_model_outputs, plot_signal_spectra  # noqa: E402

__all__ += ["plot_index_before_after", "plot_model_outputs", "plot_signal_spectra"]
