"""House style for figures: 100 dpi, text of at least 9 pt, at most 1,400 px wide, one colour per kind.

Every colour a figure uses is defined here and nowhere else in :mod:`nbhelpers.plots`
(``tests/test_colors.py`` checks it):

- :data:`KIND_COLORS`: one colour per *kind* (an upsampling or downsampling layer, a fingerprint
  variant, an audio upsampler), the same in every notebook. :func:`kind_color` looks a kind up and
  raises ``ValueError`` for one it does not know: no kind gets a leftover colour.
- :data:`NEUTRALS`: black, greys and white for references, context, text and outlines.
- palettes for categories that are not kinds (periods, phases, strides, ordered groups), each
  documented where it is defined.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import matplotlib as mpl
import numpy as np
import torch
from matplotlib.figure import Figure

FIGURE_DPI = 100
#: The widest a figure may be, in inches: 1,380 px at :data:`FIGURE_DPI`, so that the PNG a notebook
#: shows (cropped with a 0.1 in margin) stays within 1,400 px; wider figures shrink their text below
#: readable on a laptop screen. :func:`new_figure` and :func:`bare_figure` cap widths here.
MAX_FIGURE_WIDTH = 13.8
SEQUENTIAL_CMAP = "viridis"
DIVERGING_CMAP = "RdBu_r"
#: Sequential map for quantities that start at 0 or 1 and only grow (unevenness, surviving ripple).
HEAT_CMAP = "Reds"
GRAY_CMAP = "gray"
GRAY_REVERSED_CMAP = "gray_r"

# Okabe & Ito (2008): eight colours distinguishable with the common colour-vision deficiencies.
_VERMILLION, _ORANGE, _SKY_BLUE, _BLUISH_GREEN = "#d55e00", "#e69f00", "#56b4e9", "#009e73"
_BLUE, _REDDISH_PURPLE, _YELLOW, _BLACK = "#0072b2", "#cc79a7", "#f0e442", "#000000"
# Paul Tol's "muted" scheme (also colour-blind safe), for the kinds the eight above cannot cover.
_INDIGO, _TEAL, _GREEN, _OLIVE = "#332288", "#44aa99", "#117733", "#999933"
_SAND, _WINE, _PURPLE = "#ddcc77", "#882255", "#aa4499"

#: One colour per kind, the same in every notebook. Layers that are the same layer share a colour
#: (the audio ``transposed`` upsampler is a k=4, s=2 transposed convolution like ``deconv4``; the
#: GAN's stride-2 first layer is the k=3 stride-2 convolution ``stride2_k3``; audio ``linear``
#: resize is 1-D ``bilinear``). Kinds that share a figure (a group of :data:`KIND_GROUPS`) never
#: share a colour. Transposed convolutions are warm (uneven k=3 vermillion, even k=4 orange),
#: resize-convolutions blue and purple, sub-pixel convolutions teal, olive and green.
KIND_COLORS: dict[str, str] = {
    # image upsampling (notebooks 03, 05, 08; nbhelpers.layers.registry.UPSAMPLERS)
    "deconv3": _VERMILLION,
    "deconv4": _ORANGE,
    "nearest": _BLUE,
    "nearest_zeros": _SKY_BLUE,
    "bilinear": _REDDISH_PURPLE,
    "subpixel": _TEAL,
    "subpixel_blur": _SAND,
    "subpixel_icnr": _OLIVE,
    "subpixel_icnr_blur": _GREEN,
    # notebook 08's fingerprint variants: deconv3 with only its last layer swapped, and with the
    # spectral loss added (stored runs of kind deconv3 under loss "mse_spectral")
    "deconv3_last_nearest": _WINE,
    "deconv3_last_bilinear": _PURPLE,
    "deconv3_spectral": _INDIGO,
    # notebook 07's audio upsamplers (nbhelpers.layers.models.AUDIO_KINDS; nearest and subpixel above)
    "transposed": _ORANGE,
    "linear": _REDDISH_PURPLE,
    # notebook 06: a shipped model as designed (its transposed convolutions), before a fix
    "as_designed": _VERMILLION,
    # notebook 04's downsampling designs (nbhelpers.experiments.longrun.DOWNSAMPLING_DESIGNS)
    "stride2_k3": _VERMILLION,
    "stride2_k4": _ORANGE,
    "stride2_k2": _REDDISH_PURPLE,
    "avgpool": _BLUE,
    "maxpool": _SKY_BLUE,
    "blurpool": _BLUISH_GREEN,
    # notebook 04's GAN: the discriminator's first layer with stride 2 or 1
    "stride2": _VERMILLION,
    "stride1": _INDIGO,
}

#: What a legend calls each kind.
KIND_LABELS: dict[str, str] = {
    "deconv3": "deconv k=3 (uneven)",
    "deconv4": "deconv k=4 (even)",
    "nearest": "nearest resize-conv",
    "nearest_zeros": "nearest resize-conv, zero pad",
    "bilinear": "bilinear resize-conv",
    "subpixel": "sub-pixel",
    "subpixel_blur": "sub-pixel + blur",
    "subpixel_icnr": "sub-pixel + ICNR",
    "subpixel_icnr_blur": "sub-pixel + ICNR + blur",
    "deconv3_last_nearest": "deconv k=3, last layer nearest",
    "deconv3_last_bilinear": "deconv k=3, last layer bilinear",
    "deconv3_spectral": "deconv k=3, MSE + spectral loss",
    "transposed": "transposed k=4, s=2",
    "linear": "linear resize-conv",
    "as_designed": "as designed",
    "stride2_k3": "stride-2 conv k=3",
    "stride2_k4": "stride-2 conv k=4",
    "stride2_k2": "stride-2 conv k=2",
    "avgpool": "conv + avg pool",
    "maxpool": "conv + max pool",
    "blurpool": "conv + BlurPool",
    "stride2": "stride-2 first layer",
    "stride1": "stride-1 first layer",
}

#: Other names the notebooks and the audit use for a kind (besides its key and its label).
KIND_ALIASES: dict[str, str] = {
    "resize": "nearest",  # nbhelpers.audit's fix: a nearest resize-convolution
    "resize-convolution": "nearest",
    "as designed": "as_designed",
    "deconv3, MSE + spectral": "deconv3_spectral",
    "deconv3, mse_spectral": "deconv3_spectral",
}

#: Kinds that appear in one figure together; within a group every colour differs.
KIND_GROUPS: dict[str, tuple[str, ...]] = {
    "image upsampling (03, 05, 08)": (
        "deconv3", "deconv4", "nearest", "nearest_zeros", "bilinear", "subpixel", "subpixel_blur",
        "subpixel_icnr", "subpixel_icnr_blur", "deconv3_last_nearest", "deconv3_last_bilinear",
        "deconv3_spectral",
    ),
    "audio upsampling (07)": ("transposed", "subpixel", "nearest", "linear"),
    "fixes of a shipped model (06)": ("as_designed", "nearest", "subpixel_icnr"),
    "downsampling designs (04)": ("stride2_k3", "stride2_k4", "stride2_k2", "avgpool", "maxpool", "blurpool"),
    "GAN first layer (04)": ("stride2", "stride1"),
}

#: The only colours that are not a kind's: references (black), context and marks (greys), text on
#: heatmaps (black on light cells, white on dark ones).
NEUTRALS: dict[str, str] = {
    "reference": "#000000",  # what the data are compared with: targets, real images, the data's index
    "neutral": "#7f7f7f",  # marks and guide lines (a frequency, a noise floor, 1.0)
    "dark": "#4d4d4d",  # bars and lines that stand for no kind
    "context": "#bdbdbd",  # the other kinds, in small multiples
    "light": "#d9d9d9",  # hatching, empty cells
    "text_dark": "black",  # named: the explorers' tests read these names back
    "text_light": "white",
}

#: Roles in notebooks 01-02's explanations (kept for the explorers): the deconvolution's colour,
#: the even one's, the resize-convolution's and the neutral grey.
COLORS = {
    "deconv": KIND_COLORS["deconv3"],
    "even": KIND_COLORS["deconv4"],
    "resize": KIND_COLORS["nearest"],
    "neutral": NEUTRALS["neutral"],
}
#: Uneven overlap (s does not divide k) is marked in the uneven deconvolution's colour.
UNEVEN_COLOR = KIND_COLORS["deconv3"]

#: Periods (the 1/p marks and per-period bars of notebook 02), in order of the periods listed.
PERIOD_COLORS = (_VERMILLION, _REDDISH_PURPLE, _BLUISH_GREEN, _BLUE, _ORANGE, _SKY_BLUE, _BLACK)
#: Output phases of a stride-2 layer (0..3 in 2-D, notebook 03's kernels; 0..1 in 1-D row sums).
PHASE_COLORS = (_BLUISH_GREEN, _VERMILLION, _BLUE, _REDDISH_PURPLE)
#: Strides (notebook 01's index against unevenness).
STRIDE_COLORS = {2: _BLUE, 3: _BLUISH_GREEN, 4: _REDDISH_PURPLE}


def period_color(i: int) -> str:
    """The colour of the i-th period listed (:data:`PERIOD_COLORS`, repeating)."""
    return PERIOD_COLORS[i % len(PERIOD_COLORS)]


def phase_color(phase: int) -> str:
    """The colour of an output phase (:data:`PHASE_COLORS`, repeating)."""
    return PHASE_COLORS[int(phase) % len(PHASE_COLORS)]


def stride_color(stride: int) -> str:
    """The colour of a stride in :data:`STRIDE_COLORS`; ValueError for another stride."""
    if stride not in STRIDE_COLORS:
        raise ValueError(f"no colour for stride {stride!r}; strides with a colour: {sorted(STRIDE_COLORS)}")
    return STRIDE_COLORS[stride]


def ordered_colors(n: int) -> list[str]:
    """n colours for ordered groups that are not kinds (stack depths, model arrangements, scales):
    evenly spaced along the house colour map (:data:`SEQUENTIAL_CMAP`), dark to light, stopping
    before its palest end (which vanishes on white)."""
    cmap = mpl.colormaps[SEQUENTIAL_CMAP]
    return [mpl.colors.to_hex(cmap(0.8 * i / max(n - 1, 1))) for i in range(n)]


def _lookup(name: str) -> str | None:
    if name in KIND_COLORS:
        return name
    if name in KIND_ALIASES:
        return KIND_ALIASES[name]
    return _LABEL_TO_KIND.get(name)


_LABEL_TO_KIND = {label: kind for kind, label in KIND_LABELS.items()}


def kind_of(name: str) -> str:
    """The kind a series name stands for: a kind (``"deconv3"``), its label, an alias
    (:data:`KIND_ALIASES`), or any of these qualified as ``"<kind>, <anything>"`` or
    ``"<anything>: <kind>"`` (e.g. ``"deconv3, 100 steps"``, ``"2: stride-2 first layer"``).

    Raises:
        ValueError: for a name that is none of these.
    """
    if not isinstance(name, str):
        raise TypeError(f"a kind is a string, got {name!r}")
    found = _lookup(name)
    if found is None:
        for sep in (", ", ": "):
            for part in name.split(sep):
                found = _lookup(part.strip())
                if found is not None:
                    break
            if found is not None:
                break
    if found is None:
        raise ValueError(
            f"no colour registered for kind {name!r}: use one of {sorted(KIND_COLORS)} (or its label or "
            "'<kind>, <note>'), or add the kind to nbhelpers.plots.style.KIND_COLORS and KIND_LABELS"
        )
    return found


#: Losses whose stored runs are a kind of their own (notebook 08's spectral loss); under any other
#: loss a run keeps its layer's kind (and colour).
LOSS_VARIANTS = {"mse_spectral": "_spectral"}


def run_kind(kind: str, loss: str = "mse") -> str:
    """The registry kind of a stored run of ``kind`` under ``loss`` (``"deconv3"``, ``"mse_spectral"``
    -> ``"deconv3_spectral"``)."""
    return kind + LOSS_VARIANTS.get(loss, "")


def kind_color(kind: str) -> str:
    """The colour of a kind (or of a name :func:`kind_of` resolves), the same in every figure.

    Raises:
        ValueError: for a kind the registry does not know (it never hands out a spare colour).
    """
    return KIND_COLORS[kind_of(kind)]


def kind_label(name: str) -> str:
    """What a legend calls ``name``: a kind's label for a kind key, otherwise ``name`` itself."""
    return KIND_LABELS.get(name, name)


def registry_colors() -> set[str]:
    """Every colour a figure may draw a kind or a neutral in (lower-case hex)."""
    return {mpl.colors.to_hex(c) for c in (*KIND_COLORS.values(), *NEUTRALS.values())}


def use_house_style() -> None:
    """Set matplotlib defaults for the notebooks (dpi, font sizes, no top/right spines)."""
    mpl.rcParams.update(
        {
            "figure.dpi": FIGURE_DPI,
            "savefig.dpi": FIGURE_DPI,
            "figure.figsize": (6.4, 3.6),
            "font.size": 10,
            "axes.titlesize": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "image.cmap": SEQUENTIAL_CMAP,
            "figure.constrained_layout.use": True,
        }
    )
    _register_inline_png()


def _register_inline_png() -> None:
    """Make a bare Figure (not created through pyplot) display as a PNG in IPython/Jupyter."""
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing to register
        return
    shell = get_ipython()
    if shell is None:
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("png")


def bare_figure(width: float = 6.4, height: float = 3.6) -> Figure:
    """A Figure not attached to pyplot, at most :data:`MAX_FIGURE_WIDTH` inches wide (a wider
    request is capped there; constrained layout fits the panels in)."""
    if not (math.isfinite(width) and width > 0 and math.isfinite(height) and height > 0):
        raise ValueError(f"width and height must be positive inches, got {width!r} x {height!r}")
    return Figure(figsize=(min(width, MAX_FIGURE_WIDTH), height), dpi=FIGURE_DPI, layout="constrained")


def new_figure(
    nrows: int = 1, ncols: int = 1, width: float = 6.4, height: float = 3.6, **kwargs: object
) -> tuple[Figure, np.ndarray]:
    """A Figure not attached to pyplot (no pile-up in notebooks) and its (nrows, ncols) axes array.

    The width is capped at :data:`MAX_FIGURE_WIDTH` inches (1,380 px at 100 dpi).
    """
    fig = bare_figure(width, height)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    return fig, axes


def to_numpy(x: object) -> np.ndarray:
    """Tensor (any device) or array-like -> numpy array on the CPU, for plotting."""
    if isinstance(x, torch.Tensor):
        return x.detach().to("cpu", torch.float64 if x.is_floating_point() else x.dtype).numpy()
    return np.asarray(x)


def to_rgb_image(image: object) -> np.ndarray:
    """(3, H, W) tensor or array in [0, 1] -> (H, W, 3) numpy array clipped to [0, 1] for imshow."""
    return np.clip(to_numpy(image).transpose(1, 2, 0), 0.0, 1.0)


def hide_ticks(axes: object) -> None:
    """Remove the ticks of one Axes or of every Axes in an array or list (for image panels)."""
    for ax in np.ravel(np.asarray(axes, dtype=object)):
        ax.set_xticks([])
        ax.set_yticks([])


def wrap_label(label: str, width: int = 16) -> str:
    """A label on lines of about ``width`` characters, never broken inside a word (narrow panels)."""
    import textwrap

    return "\n".join(textwrap.wrap(label, width, break_on_hyphens=False)) or label


def text_color_on(value: float, cmap: str, vmin: float, vmax: float) -> str:
    """Black or white, whichever reads better on the colour ``value`` takes in ``cmap``."""
    if not vmax > vmin:
        return NEUTRALS["text_dark"]
    r, g, b, _ = mpl.colormaps[cmap](np.clip((value - vmin) / (vmax - vmin), 0, 1))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return NEUTRALS["text_dark"] if luminance > 0.45 else NEUTRALS["text_light"]


def legend_below(
    fig: Figure,
    handles: Iterable[object],
    labels: Iterable[str],
    ncol: int | None = None,
    where: str = "lower",
    **kwargs: object,
) -> None:
    """One legend for the whole figure, under the panels (``where="upper"``: above them), off the data.

    ``ncol`` defaults to as many columns as fit the figure's width; ``kwargs`` go to ``Figure.legend``.
    """
    handles, labels = list(handles), list(labels)
    if not handles:
        return
    kwargs = {"frameon": False, "fontsize": 9, "title_fontsize": 9} | kwargs
    ncol = ncol or legend_columns(fig, labels)
    fig.legend(handles, labels, loc=f"outside {where} center", ncol=ncol, **kwargs)


def legend_columns(fig: Figure, labels: list[str], fontsize: float = 9) -> int:
    """The most legend columns (split among columns as matplotlib splits them) that fit the figure's width."""
    from matplotlib.textpath import TextPath

    pixels = fig.get_figwidth() * fig.dpi
    em = fontsize * fig.dpi / 72  # pixels
    # text, then the handle (2 em), the gap to the text (0.8 em) and to the next column (2 em)
    widths = [TextPath((0, 0), label, size=fontsize).get_extents().width * fig.dpi / 72 + 4.8 * em
              for label in labels]
    for ncol in range(len(labels), 1, -1):
        rows, large = divmod(len(labels), ncol)  # matplotlib's split: the first `large` columns get one more
        sizes = [rows + 1] * large + [rows] * (ncol - large)
        starts = np.cumsum([0, *sizes])
        if sum(max(widths[a:b]) for a, b in zip(starts, starts[1:]) if b > a) <= 0.92 * pixels:
            return ncol
    return 1


def legend_outside(ax: object, **kwargs: object) -> None:
    """The Axes' legend to its right, outside the data (constrained layout makes room)."""
    kwargs = {"frameon": False, "fontsize": 9, "loc": "upper left", "bbox_to_anchor": (1.01, 1.0)} | kwargs
    ax.legend(**kwargs)


def unique_handles(axes: Iterable[object]) -> tuple[list[object], list[str]]:
    """The legend handles of several Axes, each label once, in order of appearance."""
    seen: dict[str, object] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(label, handle)
    return list(seen.values()), list(seen)


def colors_of(kinds: Iterable[str]) -> Mapping[str, str]:
    """{kind: colour} for several kinds (ValueError names the first unknown one)."""
    return {k: kind_color(k) for k in kinds}
