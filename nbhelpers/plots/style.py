"""House style for figures: 100 dpi, text of at least 9 pt, colour-blind-safe colours, one colour map."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import torch
from matplotlib.figure import Figure

FIGURE_DPI = 100
SEQUENTIAL_CMAP = "viridis"
DIVERGING_CMAP = "RdBu_r"
#: Okabe & Ito (2008) colours, distinguishable with the common colour-vision deficiencies.
COLORS = {
    "deconv": "#D55E00",
    "even": "#E69F00",
    "resize": "#0072B2",
    "neutral": "#7F7F7F",
}


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


def new_figure(
    nrows: int = 1, ncols: int = 1, width: float = 6.4, height: float = 3.6, **kwargs: object
) -> tuple[Figure, np.ndarray]:
    """A Figure not attached to pyplot (no pile-up in notebooks) and its axes array."""
    fig = Figure(figsize=(width, height), dpi=FIGURE_DPI, layout="constrained")
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
