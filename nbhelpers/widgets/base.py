"""A flicker-free figure display for widgets.

The figure is rendered to PNG and written into one ``ipywidgets.Image``: each update replaces
the picture in place, so nothing piles up below the cell and nothing flickers, and it works
with the plain inline backend (no ipympl needed).
"""

from __future__ import annotations

import base64
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


class ExplorerBox(widgets.VBox):
    """The explorer's widget: a ``VBox`` whose saved output also carries the current picture as PNG.

    Live, Jupyter draws the widget; a saved notebook, a code host or ``make html`` shows the PNG
    the notebook left, so the explorer reads without a kernel or a network.

    Args:
        children: the explorer's controls, text and picture.
        view: the :class:`FigureView` whose latest picture is the still.
    """

    def __init__(self, children: list[widgets.Widget], view: FigureView) -> None:
        super().__init__(children)
        self._view = view

    def _repr_mimebundle_(self, **kwargs: object) -> dict:
        data = super()._repr_mimebundle_(**kwargs)
        if self._view.image.value:
            data["image/png"] = base64.b64encode(self._view.image.value).decode("ascii")
        return data
