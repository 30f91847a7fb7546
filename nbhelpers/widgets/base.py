"""A flicker-free, fast figure display for widgets.

The figure is rendered to PNG and written into one ``ipywidgets.Image``: each update replaces
the picture in place, so nothing piles up below the cell and nothing flickers, and it works
with the plain inline backend (no ipympl needed).

Explorers redraw within a few tens of milliseconds on a 2-core CPU because

* the figure is drawn once per update (``savefig`` draws twice when a layout engine is set)
  and encoded by :func:`encode_png` (fast zlib level, no PNG filters);
* a ``draw`` may return a :class:`Frame`: a persistent Figure whose *still layer* (frames,
  fixed axes, titles that never change: most of the text, the slow part of matplotlib) is
  drawn once per ``still_key`` and cached as pixels, and whose *moving* artists are drawn on
  top of the cached pixels on every update (blitting, see :class:`LayeredCanvas`);
* the text that moves (tick labels, titles: still most of a redraw) reuses laid-out strings
  and glyph bitmaps across updates (:mod:`.textcache`; the same pixels as a plain draw).
"""

from __future__ import annotations

import base64
import io
import struct
import time
import warnings
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from .frames import EXPLORER_MIME
from .textcache import cached_text

PNG_LEVEL = 3  # zlib level: 1-3 cost the same here and 3 is ~7% smaller; 6 (the default) is 2x slower


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def encode_png(rgba: np.ndarray, dpi: float = 100.0, level: int = PNG_LEVEL) -> bytes:
    """PNG bytes of an (H, W, 4) uint8 RGBA picture (e.g. an Agg canvas's ``buffer_rgba()``).

    An opaque picture is written as RGB (alpha dropped), else as RGBA; rows are unfiltered and
    compressed at zlib ``level`` (fast: ~3 ms for 800 x 420 pixels on the 2-core AMD EPYC).
    ``dpi`` (dots per inch) goes into the pHYs chunk, as ``savefig`` does.
    """
    pixels = np.asarray(rgba)
    if pixels.ndim != 3 or pixels.shape[2] != 4 or pixels.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 4) uint8 array, got {pixels.shape} {pixels.dtype}")
    height, width = pixels.shape[:2]
    opaque = bool(pixels[..., 3].min() == 255)
    channels, color_type = (3, 2) if opaque else (4, 6)
    rows = np.empty((height, channels * width + 1), dtype=np.uint8)
    rows[:, 0] = 0  # filter type "None" on every row
    if opaque:  # Pillow drops the alpha bytes ~3x faster than a strided numpy copy
        rgb = Image.frombuffer("RGBA", (width, height), np.ascontiguousarray(pixels), "raw", "RGBA", 0, 1)
        rows[:, 1:] = np.asarray(rgb.convert("RGB")).reshape(height, channels * width)
    else:
        rows[:, 1:] = pixels.reshape(height, channels * width)
    deflate = zlib.compressobj(level)
    data = deflate.compress(memoryview(rows)) + deflate.flush()
    per_metre = int(round(dpi / 0.0254))
    return b"".join([
        b"\x89PNG\r\n\x1a\n",
        _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)),
        _png_chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
        _png_chunk(b"IDAT", data),
        _png_chunk(b"IEND", b""),
    ])


def _agg_canvas(fig: Figure) -> FigureCanvasAgg | None:
    """The figure's Agg canvas (attached when it has only the bare base canvas), else None."""
    if type(fig.canvas) is FigureCanvasBase:
        FigureCanvasAgg(fig)
    return fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else None


def figure_png(fig: Figure) -> bytes:
    """PNG bytes of a whole Figure, drawn once (like ``savefig(format="png")``, about twice as fast)."""
    canvas = _agg_canvas(fig)
    if canvas is None:  # an interactive backend's canvas: leave it alone
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    with cached_text(canvas.get_renderer()):
        canvas.draw()
    return encode_png(np.asarray(canvas.buffer_rgba()), dpi=fig.dpi)


def pin_xlabels(fig: Figure, axes: Sequence[Axes]) -> None:
    """Fix the x labels of ``axes`` where matplotlib's automatic placement puts them.

    The automatic placement measures every tick label on each draw; x tick labels have the
    same height whatever their text, so the label's place never changes (for a fixed layout)
    and measuring it once saves ~1 ms per axis and redraw. Draws the figure once (no output).
    """
    fig.draw_without_rendering()
    for ax in axes:
        label = ax.xaxis.label
        where = label.get_transform().transform(label.get_position())
        ax.xaxis.set_label_coords(*ax.transAxes.inverted().transform(where))


@dataclass
class Frame:
    """What a layered ``draw`` returns to :class:`FigureView`.

    Attributes:
        figure: the persistent Figure (the same object on every update).
        moving: artists of Axes, and whole Axes, that change between updates; they are drawn
            on every update over the cached still layer. The spines of their Axes are redrawn
            with them (so data never covers a frame line).
        still_key: hashable description of everything else (which panels are visible, fixed
            titles, messages...): the still layer is drawn again only when it changes.
    """

    figure: Figure
    moving: Sequence[Artist] = ()
    still_key: Hashable = None


def _axes_parts(ax: Axes) -> list[Artist]:
    """What ``Axes.draw`` draws, minus the background patch."""
    parts = [child for child in ax.get_children() if child is not ax.patch and not isinstance(child, Axes)]
    if not ax.axison:
        parts = [p for p in parts if p not in (ax.xaxis, ax.yaxis)]
    if not (ax.axison and ax.get_frame_on()):
        parts = [p for p in parts if p not in ax.spines.values()]
    return parts


class LayeredCanvas:
    """Draws a persistent Figure as a cached still layer plus the moving artists (blitting).

    Args:
        figure: the Figure; an Agg canvas is attached to it.
        cache_size: how many still layers (one per ``still_key``) are kept (~1.3 MB each for
            800 x 420 pixels), so that switching back to an earlier mode costs no full draw.
    """

    def __init__(self, figure: Figure, cache_size: int = 6):
        canvas = _agg_canvas(figure)
        self.figure = figure
        self.canvas = canvas if canvas is not None else FigureCanvasAgg(figure)
        self.cache_size = cache_size
        self._stills: OrderedDict[Hashable, object] = OrderedDict()
        self._renderer = None
        self._animated: list[Artist] = []
        self.full_draws = 0  # how many times the still layer was drawn (for tests and tuning)

    def _draw_order(self, moving: Sequence[Artist]) -> list[Artist]:
        """Moving artists expanded (Axes -> their parts, plus spines), in matplotlib's draw order."""
        groups: dict[Axes, list[Artist]] = {}
        for item in moving:
            ax = item if isinstance(item, Axes) else getattr(item, "axes", None)
            if ax is None or ax.figure is not self.figure:
                raise ValueError(f"moving artists must belong to an Axes of this figure: {item!r}")
            parts = groups.setdefault(ax, [])
            parts.extend(_axes_parts(ax) if item is ax else [item])
        order = []
        for ax in sorted(groups, key=self.figure.axes.index):
            if not ax.get_visible():  # a hidden panel draws nothing, as in a full draw
                continue
            spines = list(ax.spines.values()) if ax.axison and ax.get_frame_on() else []
            parts = list(dict.fromkeys(groups[ax] + spines))
            order += sorted(parts, key=lambda a: a.get_zorder())  # stable, like Axes.draw
        return order

    def _key(self, moving: Sequence[Artist], still_key: Hashable) -> Hashable:
        """The still layer's identity: the caller's key, what moves, and where the axes are."""
        return (still_key, tuple(id(m) for m in moving),
                tuple(ax.get_position().bounds for ax in self.figure.axes if ax.get_visible()))

    def rgba(self, moving: Sequence[Artist], still_key: Hashable = None) -> np.ndarray:
        """Draw the figure (still layer from the cache when it can) and return its (H, W, 4) pixels."""
        order = self._draw_order(moving)
        keep = {id(a) for a in order}
        for artist in self._animated:
            if id(artist) not in keep:
                artist.set_animated(False)
        for artist in order:
            artist.set_animated(True)
        self._animated = order
        for ax in self.figure.axes:
            ax.apply_aspect()
            ax.get_xlim()  # brings a pending autoscale up to date, as Axes.draw does
        key = self._key(moving, still_key)
        renderer = self.canvas.get_renderer()
        if renderer is not self._renderer:  # new size or dpi: the cached pixels do not fit
            self._stills.clear()
            self._renderer = renderer
        with cached_text(renderer):
            if key in self._stills:
                self._stills.move_to_end(key)
                self.canvas.restore_region(self._stills[key])
            else:
                self.canvas.draw()  # also runs a layout engine, which may move the axes
                self.full_draws += 1
                self._stills[self._key(moving, still_key)] = self.canvas.copy_from_bbox(self.figure.bbox)
                while len(self._stills) > self.cache_size:
                    self._stills.popitem(last=False)
            for artist in order:
                artist.draw(renderer)
        return np.asarray(self.canvas.buffer_rgba())

    def png(self, moving: Sequence[Artist], still_key: Hashable = None) -> bytes:
        """PNG bytes of the figure (see :meth:`rgba`)."""
        return encode_png(self.rgba(moving, still_key), dpi=self.figure.dpi)


class FigureView:
    """Holds an ``ipywidgets.Image`` that shows the latest Figure drawn by ``draw``.

    Args:
        draw: callable that receives keyword arguments and returns a Figure (drawn whole) or a
            :class:`Frame` (a persistent Figure drawn in layers, much faster).
    """

    def __init__(self, draw: Callable[..., Figure | Frame]):
        self.draw = draw
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.last_ms = float("nan")
        self.layers: LayeredCanvas | None = None

    def _layered(self, result: Frame) -> LayeredCanvas:
        if self.layers is None or self.layers.figure is not result.figure:
            self.layers = LayeredCanvas(result.figure)
        return self.layers

    def show(self, **kwargs: object) -> float:
        """Draw with ``kwargs`` and put the picture in the widget; returns milliseconds taken."""
        start = time.perf_counter()
        result = self.draw(**kwargs)
        if isinstance(result, Frame):
            png = self._layered(result).png(result.moving, result.still_key)
        else:
            png = figure_png(result)
        self.image.value = png
        self.last_ms = 1000 * (time.perf_counter() - start)
        return self.last_ms

    def pixels(self, **kwargs: object) -> np.ndarray:
        """Draw with ``kwargs`` and return the picture as (H, W, 4) uint8 RGBA, leaving the widget alone.

        The same pixels :meth:`show` would encode (what static pages embed, see
        :mod:`nbhelpers.widgets.frames`); a copy, so later draws do not change it.
        """
        result = self.draw(**kwargs)
        if isinstance(result, Frame):
            return self._layered(result).rgba(result.moving, result.still_key).copy()
        canvas = _agg_canvas(result) or FigureCanvasAgg(result)
        with cached_text(canvas.get_renderer()):
            canvas.draw()
        return np.asarray(canvas.buffer_rgba()).copy()


class ExplorerBox(widgets.VBox):
    """The explorer's widget: a ``VBox`` whose saved output also carries the current picture as PNG.

    Live, Jupyter draws the widget; a saved notebook, a code host or ``make html`` shows the PNG
    the notebook left, so the explorer reads without a kernel or a network.

    Args:
        children: the explorer's controls, text and picture.
        view: the :class:`FigureView` whose latest picture is the still.
        static: called when the output is saved; returns what a static page needs to rebuild the
            explorer: ``{"explorer": name, "settings": {...}}``, plus ``"frames"`` (a frame set,
            :mod:`.frames`) when the page cannot render them itself. Saved under
            :data:`.frames.EXPLORER_MIME`, a mimetype JupyterLab ignores.
    """

    def __init__(self, children: list[widgets.Widget], view: FigureView,
                 static: Callable[[], dict] | None = None) -> None:
        super().__init__(children)
        self._view = view
        self._static = static

    def _repr_mimebundle_(self, **kwargs: object) -> dict:
        data = super()._repr_mimebundle_(**kwargs)
        if self._view.image.value:
            data["image/png"] = base64.b64encode(self._view.image.value).decode("ascii")
            if self._static is not None:
                try:
                    data[EXPLORER_MIME] = self._static()
                except Exception as exc:  # the live widget must show even if the static extra fails
                    warnings.warn(f"the explorer's output carries no static-page data: {exc!r}", stacklevel=2)
        return data
