"""A flicker-free figure display for widgets.

The figure is rendered to PNG and written into one ``ipywidgets.Image``: each update replaces
the picture in place, so nothing piles up below the cell and nothing flickers, and it works
with the plain inline backend (no ipympl needed).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import ipywidgets as widgets
from matplotlib.figure import Figure


class FigureView:
    """Holds an ``ipywidgets.Image`` that shows the latest Figure drawn by ``draw``.

    Args:
        draw: callable that receives keyword arguments and returns a (new or reused) Figure.
    """

    def __init__(self, draw: Callable[..., Figure]):
        self.draw = draw
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.last_ms = float("nan")

    def show(self, **kwargs: object) -> float:
        """Draw with ``kwargs`` and put the picture in the widget; returns milliseconds taken."""
        start = time.perf_counter()
        fig = self.draw(**kwargs)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        self.image.value = buffer.getvalue()
        self.last_ms = 1000 * (time.perf_counter() - start)
        return self.last_ms
