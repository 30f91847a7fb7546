"""nbhelpers: compute, plot and explore checkerboard artifacts of (transposed) convolutions.

The notebooks in ``notebooks/`` import from here. Compute functions take and return torch
tensors on :func:`get_device`; plotting lives in :mod:`nbhelpers.plots` and interactive
explorers in :mod:`nbhelpers.widgets`.
"""

from .metrics import (
    aliasing_energy_fraction,
    checkerboard_amplitude,
    checkerboard_floor,
    checkerboard_index,
    periodic_part,
    polyphase_means,
    power_spectrum,
    radial_profile,
    rank_correlation,
)
from .overlap import (
    coverage,
    effective_kernel_size,
    format_unevenness_table,
    interior_coverage,
    overlap_period,
    random_deconvolution_index,
    random_deconvolution_output,
    unevenness,
    unevenness_table,
    window_starts,
)
from .runtime import environment_problems, environment_report, get_device, seed_everything
from .signals import checkerboard, smooth_field

# isort: split
# notebook 02: stacked deconvolutions, stride-1 dampening, the matrix view
from .linear import (
    Deconvolution1d,
    PhaseParameters,
    deconvolution_1d,
    layer_matrix,
    phase_filters,
    phase_parameters,
    resize_convolution_1d,
)
from .stacking import (
    StackAnalysis,
    analyze_stack,
    box_filter_response,
    divisor_periods,
    exact_period_amplitude,
    exact_period_index,
    period_ripple,
    stack_layers,
    stack_response,
    stride1_dampening,
    stride1_response,
)

__version__ = "0.1.0"

__all__ = [
    "aliasing_energy_fraction",
    "checkerboard",
    "checkerboard_amplitude",
    "checkerboard_floor",
    "checkerboard_index",
    "coverage",
    "effective_kernel_size",
    "environment_problems",
    "environment_report",
    "format_unevenness_table",
    "get_device",
    "interior_coverage",
    "overlap_period",
    "random_deconvolution_index",
    "random_deconvolution_output",
    "periodic_part",
    "polyphase_means",
    "power_spectrum",
    "radial_profile",
    "rank_correlation",
    "seed_everything",
    "smooth_field",
    "unevenness",
    "unevenness_table",
    "window_starts",
    # notebook 02: stacked deconvolutions, stride-1 dampening, the matrix view
    "Deconvolution1d",
    "PhaseParameters",
    "StackAnalysis",
    "analyze_stack",
    "box_filter_response",
    "deconvolution_1d",
    "divisor_periods",
    "exact_period_amplitude",
    "exact_period_index",
    "layer_matrix",
    "period_ripple",
    "phase_filters",
    "phase_parameters",
    "resize_convolution_1d",
    "stack_layers",
    "stack_response",
    "stride1_dampening",
    "stride1_response",
]

# notebook 03: data, models, training, learned-model measurements
from .data import (  # noqa: E402
    NATURAL_IMAGES,
    ColoredShapes,
    colored_shapes,
    flat_color_codes,
    load_image,
    natural_patch_datasets,
    natural_patches,
    render_shapes,
)
from .learning import (  # noqa: E402
    color_artifact_sweep,
    color_grid,
    decode_colors,
    fit_line,
    flat_response,
    layer_input_means,
    output_checkerboard_index,
    phase_spread,
    predict,
)
from .models import (  # noqa: E402
    MODELS,
    UPSAMPLERS,
    CodeDecoder,
    Decoder,
    PatchAutoencoder,
    ResizeConv2d,
    autoencoder,
    code_decoder,
    count_parameters,
    last_upsampler,
    make_model,
    make_upsampler,
    phase_map,
    phase_sums,
    phase_taps,
    register_upsampler,
)
from .train import History, benchmark_training_loop, train, train_grid  # noqa: E402

__all__ += [
    "NATURAL_IMAGES", "ColoredShapes", "colored_shapes", "flat_color_codes", "load_image",
    "natural_patch_datasets", "natural_patches", "render_shapes",
    "color_artifact_sweep", "color_grid", "decode_colors", "fit_line", "flat_response",
    "layer_input_means", "output_checkerboard_index", "phase_spread", "predict",
    "MODELS", "UPSAMPLERS", "CodeDecoder", "Decoder", "PatchAutoencoder", "ResizeConv2d",
    "autoencoder", "code_decoder", "count_parameters", "last_upsampler", "make_model",
    "make_upsampler", "phase_map", "phase_sums", "phase_taps", "register_upsampler",
    "History", "benchmark_training_loop", "train", "train_grid",
]

# isort: split
# notebook 04: checkerboards in gradients
from .gradients import (  # noqa: E402
    DOWNSAMPLING_DESIGNS,
    IMAGE_UPDATES,
    BackwardCheck,
    BlurPool2d,
    DownsamplingCNN,
    FeatureVisualization,
    GanRun,
    GradientArtifacts,
    PatchDiscriminator,
    backward_as_transposed_convolution,
    downsampling_cnn,
    excited_channels,
    feature_visualization,
    format_gradient_table,
    gradient_checkerboard_index,
    image_checkerboard_index,
    image_source_task,
    input_gradients,
    jitter_comparison,
    jitter_offsets,
    make_downsampler,
    measure_input_gradients,
    phase_gradient_means,
    phase_gradient_ratio,
    readout_gradient,
    train_image_gan,
)

__all__ += [
    "DOWNSAMPLING_DESIGNS", "IMAGE_UPDATES", "BackwardCheck", "BlurPool2d", "DownsamplingCNN",
    "FeatureVisualization", "GanRun", "GradientArtifacts", "PatchDiscriminator",
    "backward_as_transposed_convolution", "downsampling_cnn", "excited_channels", "feature_visualization",
    "format_gradient_table", "gradient_checkerboard_index", "image_checkerboard_index", "image_source_task",
    "input_gradients", "jitter_comparison", "jitter_offsets", "make_downsampler", "measure_input_gradients",
    "phase_gradient_means", "phase_gradient_ratio", "readout_gradient", "train_image_gan",
]

# isort: split
# notebook 05: the fixes (resize-convolution, sub-pixel + ICNR, blur) compared
from .cost import count_flops, input_footprint, time_forward_backward  # noqa: E402
from .fixes import (  # noqa: E402
    Evaluation,
    batch_period_floor,
    batch_period_index,
    border_errors,
    error_by_border_distance,
    evaluate_reconstruction,
    flat_border_deviation,
    format_table,
    image_quality,
    random_generator_indices,
    ring_mask,
)
from .layers import (  # noqa: E402
    UPSAMPLER_DESCRIPTIONS,
    Blur2d,
    SubPixelConv2d,
    deconvolution,
    icnr_,
)
from .models import staged_generator  # noqa: E402

__all__ += [
    "count_flops", "input_footprint", "time_forward_backward",
    "Evaluation", "batch_period_floor", "batch_period_index", "border_errors", "error_by_border_distance",
    "evaluate_reconstruction", "flat_border_deviation", "format_table", "image_quality",
    "random_generator_indices", "ring_mask",
    "UPSAMPLER_DESCRIPTIONS", "Blur2d", "SubPixelConv2d", "deconvolution", "icnr_",
    "staged_generator",
]

# isort: split
# notebook 06: audit your own model
from .audit import AuditReport, LayerReport, audit, sample_outputs  # noqa: E402
from .convert import replace_upsampling  # noqa: E402
from .layers import ResizeConv1d, SubPixelConv1d, icnr_conv_  # noqa: E402

__all__ += ["AuditReport", "LayerReport", "audit", "replace_upsampling", "ResizeConv1d", "SubPixelConv1d",
            "icnr_conv_", "sample_outputs"]
