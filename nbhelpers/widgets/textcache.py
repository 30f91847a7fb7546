"""Faster text on matplotlib's Agg renderer: laid-out strings and glyph bitmaps are reused.

Text is most of an explorer's redraw (tick labels, axis labels, titles). Matplotlib 3.11's Agg
renderer lays each string out with FreeType/HarfBuzz and renders every glyph anew on every draw,
with a few numpy calls per glyph. Inside :func:`cached_text`, plain (non-math) text reuses

* the layout of a string (glyphs and their offsets), which depends only on the string, the font
  and the dpi, and
* each glyph's bitmap, which depends on the glyph, the font size, the rotation and where the
  glyph starts *within* a pixel (FreeType positions glyphs in 1/64 pixel; a move by whole pixels
  moves the bitmap by whole pixels, nothing else).

The glyphs are then blended onto the canvas by the very same ``draw_text_image`` calls, in the
same order, as matplotlib's own code does, so the pixels are identical to an uncached draw
(tests/test_widgets_base.py checks this against a plain draw). Other matplotlib versions (whose
Agg text code differs), math text and TeX are drawn the usual way.
"""

from __future__ import annotations

import math
import types
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib as mpl
import numpy as np
from matplotlib.backends import backend_agg
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.font_manager import fontManager, get_font

try:  # the glyph-by-glyph Agg text of matplotlib 3.11 (older versions lack these private methods)
    from matplotlib.ft2font import FT2Font, RenderMode

    SUPPORTED = (all(hasattr(FT2Font, name) for name in ("_layout", "_render_glyph", "_set_transform"))
                 and hasattr(RendererAgg, "_draw_text_glyphs_and_boxes")
                 and hasattr(backend_agg, "get_hinting_flag"))
except ImportError:  # pragma: no cover - older matplotlib
    SUPPORTED = False

MAX_LAYOUTS = 4096  # laid-out strings kept (a few hundred bytes each)
MAX_GLYPHS = 32768  # glyph bitmaps kept (~150 bytes each at 9-10 pt)

# rcParams that change which font a FontProperties resolves to, or how glyphs are rendered
_FONT_RC = ("font.family", "font.style", "font.variant", "font.weight", "font.stretch", "font.size",
            "font.serif", "font.sans-serif", "font.cursive", "font.fantasy", "font.monospace",
            "text.hinting", "text.hinting_factor", "text.kerning_factor", "text.antialiased")

_layouts: dict = {}
_glyphs: dict = {}
_heights: dict = {}


def clear() -> None:
    """Forget every cached layout, glyph bitmap and font height."""
    _layouts.clear()
    _glyphs.clear()
    _heights.clear()


def _font_settings() -> tuple:
    return tuple(repr(mpl.rcParams[key]) for key in _FONT_RC if key in mpl.rcParams)


def _draw_text(self: RendererAgg, gc, x, y, s, prop, angle, ismath=False, mtext=None):
    """``RendererAgg.draw_text`` with cached layouts and glyph bitmaps (same pixels)."""
    if ismath:
        return RendererAgg.draw_text(self, gc, x, y, s, prop, angle, ismath, mtext)
    flags = backend_agg.get_hinting_flag()
    features = mtext.get_fontfeatures() if mtext is not None else None
    language = mtext.get_language() if mtext is not None else None
    key = (s, tuple(prop.__dict__.values()), features, language, flags, self.dpi, self._text_settings)
    try:
        layout = _layouts.get(key)
    except TypeError:  # an unhashable setting: draw the usual way
        return RendererAgg.draw_text(self, gc, x, y, s, prop, angle, ismath, mtext)
    if layout is None:
        font = self._prepare_font(prop)
        items = font._layout(s, flags=flags, features=features, language=language)
        layout = (prop.get_size_in_points(),
                  tuple((item.ft_object, item.glyph_index, item.x, item.y) for item in items))
        if len(_layouts) >= MAX_LAYOUTS:
            _layouts.clear()
        _layouts[key] = layout
    size, glyphs = layout
    # as RendererAgg._draw_text_glyphs_and_boxes, for slant 0 and extend 1 (plain text)
    cos = math.cos(math.radians(angle))
    sin = math.sin(math.radians(angle))
    matrix = (0x10000 * np.array([[cos, -sin], [sin, cos]]) @ [[1, 0], [0, 1]]).round().astype(int)
    matrix_key = tuple(matrix.ravel().tolist())
    antialiased = gc.get_antialiased()
    height = self.height
    bottom = int(self.height)
    draw_image = self._renderer.draw_text_image
    for font, glyph_index, dx, dy in glyphs:  # dy is upwards
        # where FreeType places the glyph, in 1/64 pixel (FreeType's y is upwards)
        gx = round(0x40 * (x + dx * cos - dy * sin))
        gy = round(0x40 * (height - y + dx * sin + dy * cos))
        glyph_key = (font, size, self.dpi, glyph_index, matrix_key, gx & 63, gy & 63, flags, antialiased)
        cached = _glyphs.get(glyph_key)
        if cached is None:
            font.set_size(size, self.dpi)
            font._set_transform(matrix, [gx, gy])
            bitmap = font._render_glyph(glyph_index, flags,
                                        RenderMode.NORMAL if antialiased else RenderMode.MONO)
            buffer = bitmap.buffer
            if not antialiased:
                buffer *= 0xff
            cached = (buffer, bitmap.left - (gx >> 6), bitmap.top - (gy >> 6))
            if len(_glyphs) >= MAX_GLYPHS:
                _glyphs.clear()
            _glyphs[glyph_key] = cached
        buffer, left, top = cached
        # draw_text_image's y is downwards & the bitmap bottom side
        draw_image(buffer, left + (gx >> 6), bottom - (top + (gy >> 6)) + buffer.shape[0], 0, gc)
    return None


def _font_height_metrics(self: RendererAgg, prop) -> tuple:
    """(ascent, descent, line gap) of the font in pixels, as ``Text._get_layout`` computes them.

    ``Text._get_layout`` asks the renderer for this when it can (the PDF and PS renderers do);
    otherwise it reads the font's tables on every layout. Same numbers, computed once per font.
    The renderer's dpi is the figure's (a canvas's own renderer).
    """
    key = (tuple(prop.__dict__.values()), self.dpi, self._text_settings)
    try:
        metrics = _heights.get(key)
    except TypeError:
        return None, None, None
    if metrics is None:
        metrics = None, None, None
        font = get_font(fontManager._find_fonts_by_props(prop))
        possible = [
            ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
            ("hhea", "lineGap", "ascent", "descent"),
        ]
        for table_name, linegap_key, ascent_key, descent_key in possible:  # as in Text._get_layout
            table = font.get_sfnt_table(table_name)
            if table is None:
                continue
            fontsize = prop.get_size_in_points()
            units_per_em = font.get_sfnt_table("head")["unitsPerEm"]
            scale = 1 / units_per_em * fontsize * self.dpi / 72
            metrics = (table[ascent_key] * scale, -table[descent_key] * scale, table[linegap_key] * scale)
            break
        if len(_heights) >= MAX_LAYOUTS:
            _heights.clear()
        _heights[key] = metrics
    return metrics


@contextmanager
def cached_text(renderer: object) -> Iterator[None]:
    """Within the block, ``renderer`` (a plain ``RendererAgg``) draws text with the caches.

    Anything else (another renderer, another matplotlib version) draws as usual. The renderer
    is left as it was afterwards, so a ``savefig`` elsewhere draws text the usual way.
    """
    if not SUPPORTED or type(renderer) is not RendererAgg or "draw_text" in vars(renderer):
        yield
        return
    renderer._text_settings = _font_settings()
    renderer.draw_text = types.MethodType(_draw_text, renderer)
    # Text._get_layout (3.11) asks a renderer that has this method for the font's height
    renderer._get_font_height_metrics = types.MethodType(_font_height_metrics, renderer)
    try:
        yield
    finally:
        del renderer.draw_text
        vars(renderer).pop("_get_font_height_metrics", None)
