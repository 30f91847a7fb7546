"""Explorers that work without a kernel: precomputed frames behind plain HTML controls.

``make html`` (:mod:`nbhelpers.course.site`) replaces each explorer's saved output with a block
that holds the explorer's frames (:mod:`nbhelpers.widgets.frames`: a picture and the explorer's
text per setting) and a small inline script that builds sliders, toggle buttons or colour swatches
and swaps the picture when one moves: no kernel, no network, no CDN, and it works from
``file://``.

Where the frames come from:

* the overlap and stack explorers are deterministic functions of their settings, so the site
  renders every frame itself with the explorer's own drawing code
  (:func:`nbhelpers.widgets.overlap.overlap_frames`, :func:`nbhelpers.widgets.stacking.stack_frames`),
  starting from the settings the saved output names (:data:`~nbhelpers.widgets.frames.EXPLORER_MIME`)
  or, in an output saved before explorers named them, from the literal arguments of the
  explorer's call in the cell's source;
* the colour explorer needs the models the notebook trained, so its frames travel with the
  notebook's output (:meth:`nbhelpers.widgets.color.ColorExplorer.palette_frames`); an output
  without them keeps its saved picture.
"""

from __future__ import annotations

import ast
import html
import inspect
import json
import sys
from collections.abc import Callable

from ..widgets.frames import EXPLORER_MIME, check_frame_set, start_frame

EXPLORER_CLASS = "nbh-explorer"


# The calls a notebook makes to show an explorer -> (explorer name, callable whose signature binds them).
def _overlap_signature(kernel_size: int = 3, stride: int = 2, layers: int = 1, ndim: int = 1) -> None:
    """overlap_explorer's and OverlapExplorer's settings (OverlapExplorer's n_in is not one)."""


def _stack_signature(kernel_sizes: object = (3, 3), strides: object = (2, 2),
                     final_size: object = None) -> None:
    """StackExplorer's settings (its n_in is not one)."""


EXPLORER_CALLS: dict[str, tuple[str, Callable[..., None]]] = {
    "overlap_explorer": ("overlap", _overlap_signature),
    "OverlapExplorer": ("overlap", _overlap_signature),
    "StackExplorer": ("stack", _stack_signature),
}


def _renderers() -> dict[str, Callable[..., dict]]:
    from ..widgets.overlap import overlap_frames
    from ..widgets.stacking import stack_frames

    def stack(kernel_sizes=(3, 3), strides=(2, 2), final_size=None) -> dict:  # lists from JSON: hashable
        return stack_frames(tuple(kernel_sizes), tuple(strides), final_size)

    return {"overlap": overlap_frames, "stack": stack}


def explorer_call(source: str) -> dict | None:
    """The explorer a cell's code shows, from its call with literal arguments, or None.

    Args:
        source: a code cell's source, e.g. ``"overlap_explorer(kernel_size=3, stride=2)"``.

    Returns:
        ``{"explorer": "overlap" | "stack", "settings": {argument: value}}`` (the arguments given,
        tuples as lists) for the first call to ``overlap_explorer``, ``OverlapExplorer`` or
        ``StackExplorer`` whose arguments are all literals and all settings; None when there is
        no such call (the colour explorer's frames are never recomputed from code).
    """
    if not isinstance(source, str):
        raise ValueError(f"source must be a cell's code as a string, got {type(source).__name__}")
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics and the like: not an explorer call we can read
        return None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        if name not in EXPLORER_CALLS:
            continue
        explorer, signature = EXPLORER_CALLS[name]
        try:
            args = [ast.literal_eval(a) for a in node.args]
            kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
            bound = inspect.signature(signature).bind(*args, **kwargs)
        except (ValueError, TypeError, SyntaxError):  # a variable, **kwargs or an unknown argument
            continue
        settings = {k: list(v) if isinstance(v, tuple) else v for k, v in bound.arguments.items()}
        return {"explorer": explorer, "settings": settings}
    return None


def explorer_frames(data: dict, source: str = "") -> dict | None:
    """The frame set of one saved output, or None when it is not an explorer the page can drive.

    Args:
        data: the output's mimebundle (``output["data"]``).
        source: the code of the cell that made it (read when the bundle does not name its explorer).

    Returns:
        A complete frame set (:func:`nbhelpers.widgets.frames.check_frame_set`): the bundle's own
        (the colour explorer), or rendered now from the settings it names or the cell's call.
        Raises ValueError for a malformed saved frame set or settings the explorer rejects.
    """
    if not isinstance(data, dict):
        raise ValueError(f"data must be an output's mimebundle (a dict), got {type(data).__name__}")
    if "image/png" not in data:  # not an explorer's saved output
        return None
    saved = data.get(EXPLORER_MIME)
    if isinstance(saved, dict) and "frames" in saved:
        return check_frame_set(saved["frames"])
    described = saved if isinstance(saved, dict) and "settings" in saved else explorer_call(source)
    if described is None:
        return None
    render = _renderers().get(described.get("explorer"))
    if render is None:  # e.g. a colour explorer saved before it carried frames
        return None
    return check_frame_set(render(**described["settings"]))


def explorer_html(frames: dict) -> str:
    """The static explorer: its starting picture and text, a note, and its frames as JSON.

    The controls are built by :data:`EXPLORER_SCRIPT` (a page without scripts shows the picture
    and the text of the starting setting). ``frames`` must be a complete frame set.
    """
    frames = check_frame_set(frames)
    image, text = start_frame(frames)
    data = json.dumps(frames, separators=(",", ":")).replace("</", "<\\/")  # cannot end the script
    name = html.escape(str(frames["explorer"]))
    return (f'<div class="{EXPLORER_CLASS}" data-explorer="{name}">'
            '<div class="nbh-controls" role="group" aria-label="explorer settings"></div>'
            f'<div class="nbh-text">{text}</div>'
            f'<img class="nbh-picture" alt="the {name} explorer\'s picture for the chosen setting" '
            f'src="data:image/png;base64,{frames["images"][image]}">'
            f'<p class="nbh-note">{html.escape(frames["note"])}</p>'
            f'<script type="application/json" class="nbh-frames">{data}</script></div>')


def static_explorer_outputs(nb: dict) -> int:
    """Replace, in place, each explorer output that has frames by :func:`explorer_html`.

    Args:
        nb: a notebook (nbformat dict or node), its widget views still in the outputs.

    Returns:
        How many explorers were replaced. An explorer whose frames cannot be made keeps its saved
        picture, with a warning on stderr.
    """
    replaced = 0
    for cell in nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "application/vnd.jupyter.widget-view+json" not in data and EXPLORER_MIME not in data:
                continue
            try:
                frames = explorer_frames(data, source)
            except (ValueError, TypeError) as exc:
                print(f"warning: an explorer keeps its saved picture: {exc}", file=sys.stderr)
                continue
            if frames is not None:
                output["data"] = {"text/html": explorer_html(frames)}
                output.setdefault("metadata", {})
                replaced += 1
    return replaced


EXPLORER_CSS = (
    ".nbh-explorer{border:1px solid #ddd;border-radius:4px;padding:.5em;margin:.3em 0;max-width:100%;"
    "box-sizing:border-box;font-family:sans-serif}"
    ".nbh-controls{display:flex;flex-wrap:wrap;gap:.4em 1.5em;align-items:center;margin-bottom:.4em}"
    ".nbh-control{display:flex;flex-wrap:wrap;align-items:center;gap:.3em}"
    ".nbh-control input[type=range]{width:9em;max-width:60vw}.nbh-control output{min-width:2.5em}"
    ".nbh-control button{font:inherit;padding:.15em .6em;border:1px solid #999;border-radius:3px;"
    "background:#f4f4f4}"
    ".nbh-control button[aria-pressed=true]{background:#333;color:#fff}"
    ".nbh-control button.nbh-swatch{width:1.9em;height:1.9em;padding:0}"
    ".nbh-control button.nbh-swatch[aria-pressed=true]{outline:3px solid #333;outline-offset:1px}"
    ".nbh-picture{display:block;max-width:100%;height:auto}"
    ".nbh-note{font-size:.85em;color:#555;margin:.3em 0 0}"
)

# One script per page, after the explorers: builds each one's controls from its frame set and
# shows the frame of the chosen setting (the key is each control's value index, joined by "|").
EXPLORER_SCRIPT = """<script>
(function () {
  "use strict";
  function setup(box) {
    var spec = JSON.parse(box.querySelector("script.nbh-frames").textContent);
    var img = box.querySelector("img.nbh-picture"), text = box.querySelector(".nbh-text");
    var panel = box.querySelector(".nbh-controls"), marks = [];
    var state = spec.controls.map(function (c) { return c.index; });
    function show() {
      var frame = spec.frames[state.join("|")];
      img.src = "data:image/png;base64," + spec.images[frame[0]];
      text.innerHTML = frame[1];
      box.setAttribute("data-setting", state.join("|"));
      marks.forEach(function (mark) { mark(); });
    }
    spec.controls.forEach(function (c, i) {
      var group = document.createElement(c.kind === "range" ? "label" : "div");
      var name = document.createElement("span");
      group.className = "nbh-control";
      name.textContent = c.label;
      group.append(name);
      if (c.kind === "range") {
        var input = document.createElement("input"), out = document.createElement("output");
        input.type = "range"; input.min = 0; input.max = c.values.length - 1; input.step = 1;
        input.value = c.index; input.setAttribute("data-control", c.name);
        input.addEventListener("input", function () { state[i] = Number(input.value); show(); });
        marks.push(function () {
          input.value = state[i]; out.textContent = c.labels[state[i]];
          input.setAttribute("aria-valuetext", c.labels[state[i]]);
        });
        group.append(input, out);
      } else {
        group.setAttribute("role", "group"); group.setAttribute("aria-label", c.label);
        c.values.forEach(function (value, j) {
          var button = document.createElement("button");
          button.type = "button"; button.setAttribute("data-control", c.name);
          if (c.kind === "swatches") {
            button.className = "nbh-swatch"; button.style.background = value;
            button.title = c.labels[j]; button.setAttribute("aria-label", c.labels[j]);
          } else {
            button.textContent = c.labels[j];
          }
          button.addEventListener("click", function () { state[i] = j; show(); });
          marks.push(function () { button.setAttribute("aria-pressed", String(state[i] === j)); });
          group.append(button);
        });
      }
      panel.append(group);
    });
    show();
  }
  document.querySelectorAll(".nbh-explorer").forEach(setup);
})();
</script>"""
