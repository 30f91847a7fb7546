"""The colour explorer: pick a target colour, see trained decoders paint it (fact 6)."""

from __future__ import annotations

from collections.abc import Mapping

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure
from torch import nn

from ..experiments.learning import color_artifact_sweep, decode_colors
from ..plots.learning import plot_color_examples
from .base import ExplorerBox, FigureView


def hex_to_rgb(color: str) -> torch.Tensor:
    """'#rrggbb' -> float32 (3,) RGB in [0, 1]."""
    if not isinstance(color, str) or len(color) != 7 or not color.startswith("#"):
        raise ValueError(f"color must be a hex string like '#ff8800', got {color!r}")
    try:
        values = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    except ValueError as exc:
        raise ValueError(f"color must be a hex string like '#ff8800', got {color!r}") from exc
    return torch.tensor(values, dtype=torch.float32) / 255.0


def rgb_to_hex(rgb: torch.Tensor) -> str:
    """(3,) RGB in [0, 1] -> '#rrggbb'."""
    values = [int(round(float(v) * 255)) for v in torch.as_tensor(rgb).clamp(0, 1).flatten()[:3]]
    return "#" + "".join(f"{v:02x}" for v in values)


class ColorExplorer:
    """A ColorPicker wired to trained shape-code decoders; the picture updates in place.

    Args:
        models: kind -> trained decoder ((N, 10) codes -> (N, 3, H, W)).
        mean_color: (3,) the training data's mean colour (the distance is measured from it).
        color: initial colour, '#rrggbb'.

    ``widget`` is the box to display; ``update('#rrggbb')`` redraws and returns milliseconds.
    """

    def __init__(self, models: Mapping[str, nn.Module], mean_color: torch.Tensor, color: str = "#d02020"):
        if not models:
            raise ValueError("models must map at least one kind to a trained decoder")
        self.models = dict(models)
        self.mean_color = torch.as_tensor(mean_color, dtype=torch.float32).cpu()
        hex_to_rgb(color)
        self.view = FigureView(self._draw)
        self.picker = widgets.ColorPicker(value=color, description="target colour", concise=False,
                                          style={"description_width": "90px"})
        self.text = widgets.HTML()
        self.picker.observe(lambda change: self.update(change["new"]), names="value")
        self.widget = ExplorerBox([self.picker, self.text, self.view.image], self.view)
        self.update(color)

    def measure(self, color: str) -> dict[str, float]:
        """Kind -> checkerboard amplitude of that decoder's output for a flat ``color``."""
        rgb = hex_to_rgb(color).view(1, 3)
        return {kind: float(color_artifact_sweep(m, rgb, self.mean_color)[1][0])
                for kind, m in self.models.items()}

    def update(self, color: str) -> float:
        """Redraw for ``color`` ('#rrggbb'); returns compute + draw time in milliseconds."""
        amps = self.measure(color)
        distance = float((hex_to_rgb(color) - self.mean_color).norm())
        parts = [f"distance from the data's mean colour {rgb_to_hex(self.mean_color)}: <b>{distance:.2f}</b>"]
        parts += [f"{kind}: amplitude <b>{amp:.4f}</b>" for kind, amp in amps.items()]
        self.text.value = " &nbsp;|&nbsp; ".join(parts)
        return self.view.show(color=color, amplitudes=amps)

    def _draw(self, color: str, amplitudes: dict[str, float]) -> Figure:
        rgb = hex_to_rgb(color).view(1, 3)
        outputs = {kind: decode_colors(m, rgb).cpu() for kind, m in self.models.items()}
        return plot_color_examples(rgb, outputs, {k: [v] for k, v in amplitudes.items()}, titles=[color])


def color_explorer(
    models: Mapping[str, nn.Module], mean_color: torch.Tensor, color: str = "#d02020"
) -> widgets.VBox:
    """Build a :class:`ColorExplorer` and return its widget (display it as a cell's last line)."""
    return ColorExplorer(models, mean_color, color).widget
