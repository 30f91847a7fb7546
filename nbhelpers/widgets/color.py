"""The colour explorer: pick a target colour, see trained decoders paint it (fact 6)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure
from torch import nn

from ..experiments.learning import color_artifact_sweep, decode_colors
from ..plots.learning import plot_color_examples
from ..plots.style import to_numpy, to_rgb_image
from .base import ExplorerBox, FigureView, Frame
from .frames import compact_png, control, frame_set


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


NEAR = 0.08  # palette colours closer than this (RGB distance, 0-1 scale) to an earlier one are left out
# Colours a static page offers besides the starting one and the data's mean colour: black, white
# and grey, the primaries and the secondaries (from near the mean colour to far from it).
PALETTE = ("#808080", "#ffffff", "#000000", "#ff0000", "#00ff00", "#0000ff", "#ffff00", "#00ffff", "#ff00ff")


class ColorExplorer:
    """A ColorPicker wired to trained shape-code decoders; the picture updates in place.

    Args:
        models: kind -> trained decoder ((N, 10) codes -> (N, 3, H, W)).
        mean_color: (3,) the training data's mean colour in [0, 1] (the distance is measured from it).
        color: initial colour, '#rrggbb'.
        palette: the colours ('#rrggbb') whose pictures the saved output carries for static pages
            (:meth:`palette_frames`); default :data:`PALETTE`. The starting colour and the mean
            colour come first, a colour within :data:`NEAR` of an earlier one is left out; at most
            16 colours.

    ``widget`` is the box to display; ``update('#rrggbb')`` redraws and returns milliseconds.
    """

    def __init__(self, models: Mapping[str, nn.Module], mean_color: torch.Tensor, color: str = "#d02020",
                 palette: Sequence[str] = PALETTE):
        if not models:
            raise ValueError("models must map at least one kind to a trained decoder")
        self.models = dict(models)
        self.mean_color = torch.as_tensor(mean_color, dtype=torch.float32).cpu()
        if self.mean_color.shape != (3,):
            raise ValueError("mean_color must be an RGB triple of shape (3,), "
                             f"got {tuple(self.mean_color.shape)}")
        for c in (color, *palette):
            hex_to_rgb(c)
        colors: list[str] = []
        for c in [color.lower(), rgb_to_hex(self.mean_color), *(c.lower() for c in palette)]:
            if all(float((hex_to_rgb(c) - hex_to_rgb(kept)).norm()) >= NEAR for kept in colors):
                colors.append(c)  # a colour that looks like one already there adds nothing
        if len(colors) > 16:
            raise ValueError(f"palette: at most 16 colours with the starting and mean colours, "
                             f"got {len(colors)}")
        self.palette = sorted(colors, key=lambda c: float((hex_to_rgb(c) - self.mean_color).norm()))
        self._frames: dict | None = None
        self._figure: Figure | None = None
        self.view = FigureView(self._draw)
        self.picker = widgets.ColorPicker(value=color, description="target colour", concise=False,
                                          style={"description_width": "90px"})
        self.text = widgets.HTML()
        self.picker.observe(lambda change: self.update(change["new"]), names="value")
        self.widget = ExplorerBox([self.picker, self.text, self.view.image], self.view, static=self.settings)
        self.update(color)

    def settings(self) -> dict:
        """What a static page needs: the explorer's name, its colour, and the palette's frames.

        The pages cannot retrain the models, so the frames travel with the notebook's output
        (one full-colour PNG of about 25 KB per palette colour).
        """
        return {"explorer": "color", "settings": {"color": self.picker.value},
                "frames": self.palette_frames()}

    def palette_frames(self) -> dict:
        """The palette's pictures and texts as a frame set (:mod:`.frames`); computed once.

        Full-colour PNGs: the decoders' near-flat outputs differ by a few levels, which a palette
        would erase. The swatches are ordered by distance from the data's mean colour.
        """
        if self._frames is None:
            start = self.picker.value.lower()
            swatches = control("color", "target colour", self.palette,
                               start if start in self.palette else self.palette[0], kind="swatches")
            note = (f"{len(self.palette)} colours precomputed by the notebook's decoders, ordered by "
                    "distance from the data's mean colour; run the notebook to pick any colour.")
            self._frames = frame_set("color", [swatches], self._frame, note)
        return self._frames

    def _frame(self, color: str) -> tuple[bytes, str]:
        amps = self.measure(color)
        rgba = self.view.pixels(color=color, amplitudes=amps)
        return compact_png(rgba, colors=None), self._describe(color, amps)

    def _describe(self, color: str, amps: dict[str, float]) -> str:
        distance = float((hex_to_rgb(color) - self.mean_color).norm())
        parts = [f"distance from the data's mean colour {rgb_to_hex(self.mean_color)}: <b>{distance:.2f}</b>"]
        parts += [f"{kind}: amplitude <b>{amp:.4f}</b>" for kind, amp in amps.items()]
        return " &nbsp;|&nbsp; ".join(parts)

    def measure(self, color: str) -> dict[str, float]:
        """Kind -> checkerboard amplitude of that decoder's output for a flat ``color``."""
        rgb = hex_to_rgb(color).view(1, 3)
        return {kind: float(color_artifact_sweep(m, rgb, self.mean_color)[1][0])
                for kind, m in self.models.items()}

    def update(self, color: str) -> float:
        """Redraw for ``color`` ('#rrggbb'); returns compute + draw time in milliseconds."""
        amps = self.measure(color)
        self.text.value = self._describe(color, amps)
        return self.view.show(color=color, amplitudes=amps)

    def _draw(self, color: str, amplitudes: dict[str, float]) -> Frame:
        """The picture of :func:`plot_color_examples` for one colour, on one persistent Figure.

        The first call lays the figure out with that function; later calls change its images and
        titles in place, as it would draw them (5x faster than a new figure), and only those are
        redrawn over the cached rest (:class:`.base.LayeredCanvas`).
        """
        rgb = hex_to_rgb(color).view(1, 3)
        outputs = {kind: decode_colors(m, rgb).cpu() for kind, m in self.models.items()}
        if self._figure is None:
            self._figure = plot_color_examples(rgb, outputs, {k: [v] for k, v in amplitudes.items()},
                                               titles=[color])
            self._figure.draw_without_rendering()  # constrained layout places the panels once
            self._figure.set_layout_engine("none")
        axes = self._figure.axes
        swatch = to_numpy(rgb[0]).reshape(1, 1, 3).clip(0, 1)
        axes[0].images[0].set_data(np.broadcast_to(swatch, (8, 8, 3)))
        axes[0].title.set_text(color)
        for j, (kind, out) in enumerate(outputs.items()):
            picture, deviation_axes = axes[1 + 2 * j], axes[2 + 2 * j]
            picture.images[0].set_data(to_rgb_image(out[0]))
            label = picture.title.get_text().split("\n")[0]
            picture.title.set_text(f"{label}\namplitude {amplitudes[kind]:.4f}")
            deviation = to_numpy(out[0]) - to_numpy(out[0]).mean(axis=(1, 2), keepdims=True)
            gain = 0.5 / max(float(np.abs(deviation).max()), 1e-6)
            deviation_axes.images[0].set_data(np.clip(0.5 + gain * deviation.transpose(1, 2, 0), 0, 1))
            deviation_axes.title.set_text(f"deviation x{gain:.0f}")
        moving = [artist for ax in axes for artist in (ax.images[0], ax.title)]
        return Frame(self._figure, moving, "color")


def color_explorer(
    models: Mapping[str, nn.Module], mean_color: torch.Tensor, color: str = "#d02020",
    palette: Sequence[str] = PALETTE,
) -> widgets.VBox:
    """Build a :class:`ColorExplorer` and return its widget (display it as a cell's last line)."""
    return ColorExplorer(models, mean_color, color, palette).widget
