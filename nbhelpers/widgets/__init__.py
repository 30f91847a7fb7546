"""ipywidgets explorers: sliders wired to nbhelpers' compute and plot functions."""

from .base import FigureView
from .overlap import OverlapExplorer, overlap_explorer

__all__ = ["FigureView", "OverlapExplorer", "overlap_explorer"]

# notebook 02: the stack explorer
from .stacking import StackExplorer, check_stack_settings, describe_stack, stack_explorer  # noqa: E402

__all__ += ["StackExplorer", "check_stack_settings", "describe_stack", "stack_explorer"]

# notebook 03: colour explorer
from .color import ColorExplorer, color_explorer  # noqa: E402

__all__ += ["ColorExplorer", "color_explorer"]
