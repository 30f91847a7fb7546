"""Precomputed frames of an explorer, for pages without a kernel (``make html``).

A *frame set* is a JSON-able dict that a static page turns back into working controls with a small
inline script (:mod:`nbhelpers.course.static_explorers`)::

    {"explorer": "overlap",
     "controls": [{"name": "stride", "label": "stride", "kind": "range",
                   "values": [1, 2, 3, 4], "labels": ["1", "2", "3", "4"], "index": 1}, ...],
     "images": ["<base64 PNG>", ...],                 # each distinct picture once
     "frames": {"0|1|0|0": [image number, "<html text>"], ...},
     "note": "what the page's controls cover"}

A frame's key is the index of each control's value, in control order, joined by ``|``. Every
combination of the controls' values has a frame (:func:`check_frame_set` checks it), so every
position of the page's controls shows a picture.
"""

from __future__ import annotations

import base64
import io
import itertools
from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image

# Outputs of an explorer carry {"explorer": name, "settings": {...}} (and, for the colour explorer,
# its frame set under "frames") under this mimetype, which JupyterLab and nbconvert ignore.
EXPLORER_MIME = "application/vnd.nbhelpers.explorer+json"
CONTROL_KINDS = ("range", "toggle", "swatches")
PALETTE_COLORS = 64  # enough for a colour map; line and bar plots look the same with 16


def compact_png(rgba: np.ndarray, colors: int | None = PALETTE_COLORS) -> bytes:
    """Small PNG bytes of an (H, W, 4) uint8 RGBA picture (an opaque plot), for embedding many.

    Args:
        rgba: (H, W, 4) uint8 pixels, e.g. a canvas's ``buffer_rgba()``; alpha is dropped.
        colors: palette size, 2-256: the picture is mapped to that many colours without dithering
            (3-4x smaller than full colour for plots; 16 or fewer are packed 4 bits a pixel);
            ``None`` keeps full RGB (pictures with subtle shading, such as a decoder's near-flat
            output).

    Returns:
        PNG bytes (zlib level 6: level 9 is 7x slower for 15% less).
    """
    pixels = np.asarray(rgba)
    if pixels.ndim != 3 or pixels.shape[2] != 4 or pixels.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 4) uint8 array, got {pixels.shape} {pixels.dtype}")
    if colors is not None and not (isinstance(colors, int) and 2 <= colors <= 256):
        raise ValueError(f"colors must be a whole number in 2..256 or None, got {colors!r}")
    picture = Image.fromarray(np.ascontiguousarray(pixels), "RGBA").convert("RGB")
    options = {}
    if colors is not None:
        picture = picture.quantize(colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        picture.putpalette(_exact_palette(np.asarray(picture), pixels))
        if colors <= 16:
            options["bits"] = 4
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=6, **options)
    return buffer.getvalue()


def _exact_palette(index: np.ndarray, rgba: np.ndarray) -> bytes:
    """Each palette entry set to the commonest true colour among its pixels.

    The octree's own entries are bucket centres (white comes out as 254): plots are mostly flat
    colours, which this keeps exact.
    """
    rgb = rgba[..., :3].reshape(-1, 3).astype(np.uint32)
    keys = (index.ravel().astype(np.uint32) << 24) | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]
    unique, counts = np.unique(keys, return_counts=True)
    bucket = unique >> 24
    order = np.lexsort((counts, bucket))  # by bucket, commonest last
    last = np.r_[bucket[order][1:] != bucket[order][:-1], True]
    best = unique[order][last]
    palette = np.zeros((256, 3), dtype=np.uint8)
    palette[best >> 24] = np.stack([(best >> 16) & 255, (best >> 8) & 255, best & 255], axis=1)
    return palette.tobytes()


def control(name: str, label: str, values: Sequence[object], value: object, kind: str = "range",
            labels: Sequence[str] | None = None) -> dict:
    """One control of a frame set: its values (ints or strings) and the one it starts at.

    Args:
        name: identifier (the explorer's argument it sets).
        label: what the page prints next to it.
        values: every value it can take, in order.
        value: the starting value; must be one of ``values``.
        kind: ``"range"`` (a slider), ``"toggle"`` (buttons) or ``"swatches"`` (colour buttons:
            the values are ``'#rrggbb'`` strings).
        labels: text shown for each value (default: the value).
    """
    values = list(values)
    if kind not in CONTROL_KINDS:
        raise ValueError(f"kind must be one of {list(CONTROL_KINDS)}, got {kind!r}")
    if not values or any(not isinstance(v, (int, str)) or isinstance(v, bool) for v in values):
        raise ValueError(f"{name}: values must be a non-empty list of ints or strings, got {values!r}")
    if value not in values:
        raise ValueError(f"{name}: the starting value {value!r} is not one of {values}")
    labels = [str(v) for v in values] if labels is None else [str(t) for t in labels]
    if len(labels) != len(values):
        raise ValueError(f"{name}: {len(labels)} labels for {len(values)} values")
    return {"name": name, "label": label, "kind": kind, "values": values, "labels": labels,
            "index": values.index(value)}


def frame_key(indices: Sequence[int]) -> str:
    """The key of the frame whose controls sit at these value indices: ``'0|3|1'``."""
    return "|".join(str(int(i)) for i in indices)


def frame_set(explorer: str, controls: Sequence[dict], render: Callable[..., tuple[bytes, str]],
              note: str) -> dict:
    """Render every combination of the controls' values into a frame set.

    Args:
        explorer: the explorer's name (``"overlap"``, ``"stack"``, ``"color"``).
        controls: from :func:`control`.
        render: called with one keyword argument per control (its value); returns the PNG bytes
            and the HTML text of that setting.
        note: one sentence for the page: what the controls cover.

    Returns:
        The frame set (module docstring); identical pictures are stored once.
    """
    if not controls:
        raise ValueError("a frame set needs at least one control")
    images: list[str] = []
    seen: dict[bytes, int] = {}
    frames: dict[str, list] = {}
    for indices in itertools.product(*(range(len(c["values"])) for c in controls)):
        png, text = render(**{c["name"]: c["values"][i] for c, i in zip(controls, indices)})
        if png not in seen:
            seen[png] = len(images)
            images.append(base64.b64encode(png).decode("ascii"))
        frames[frame_key(indices)] = [seen[png], text]
    return {"explorer": explorer, "controls": list(controls), "images": images, "frames": frames,
            "note": note}


def check_frame_set(frames: object) -> dict:
    """``frames`` if it is a complete frame set (every combination has a frame), else ValueError."""
    if not isinstance(frames, dict):
        raise ValueError(f"a frame set must be a dict, got {type(frames).__name__}")
    missing = {"explorer", "controls", "images", "frames", "note"} - set(frames)
    if missing:
        raise ValueError(f"frame set lacks {sorted(missing)}")
    controls = frames["controls"]
    if not isinstance(controls, list) or not controls:
        raise ValueError("a frame set needs at least one control")
    for c in controls:
        if not isinstance(c, dict) or c.get("kind") not in CONTROL_KINDS:
            raise ValueError(f"bad control {c!r}")
        if not c.get("values") or len(c.get("labels", ())) != len(c["values"]):
            raise ValueError(f"control {c.get('name')!r}: values and labels do not match")
        if not isinstance(c.get("index"), int) or not 0 <= c["index"] < len(c["values"]):
            raise ValueError(f"control {c.get('name')!r}: starting index out of range")
    n_images = len(frames["images"])
    for indices in itertools.product(*(range(len(c["values"])) for c in controls)):
        frame = frames["frames"].get(frame_key(indices))
        if not (isinstance(frame, list) and len(frame) == 2 and isinstance(frame[0], int)
                and 0 <= frame[0] < n_images):
            raise ValueError(f"frame set {frames['explorer']!r}: no valid frame for setting "
                             f"{frame_key(indices)}")
    return frames


def start_frame(frames: dict) -> list:
    """The [image number, text] of the setting the controls start at."""
    return frames["frames"][frame_key([c["index"] for c in frames["controls"]])]
