"""ipywidgets explorers: sliders wired to nbhelpers' compute and plot functions."""

from .base import (
    FigureView,
)
from .color import (
    ColorExplorer,
    color_explorer,
)
from .overlap import (
    OverlapExplorer,
    overlap_explorer,
)
from .stacking import (
    StackExplorer,
    check_stack_settings,
    describe_stack,
)

__all__ = [
    "ColorExplorer",
    "FigureView",
    "OverlapExplorer",
    "StackExplorer",
    "check_stack_settings",
    "color_explorer",
    "describe_stack",
    "overlap_explorer",
]
