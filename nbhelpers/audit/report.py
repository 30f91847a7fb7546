"""What the audit found: one :class:`LayerReport` per resolution-changing layer, an :class:`AuditReport`.

``str(report)`` is a text table, Jupyter shows an HTML table, ``report.to_dict()`` gives plain
Python for tools.
"""

from __future__ import annotations

import html
import math
from dataclasses import asdict, dataclass, field


@dataclass
class LayerReport:
    """One resolution-changing module, as found by :func:`audit`.

    Sizes are spatial (H, W) or (L,); ``period`` is where its artifact shows: at the model's
    output for upsampling layers, in the gradient at the model's input for downsampling layers
    (``where`` says which); 1 means none.
    """

    index: int
    name: str
    kind: str
    direction: str  # "up" or "down"
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    input_size: tuple[int, ...]
    output_size: tuple[int, ...]
    unevenness: float
    period: int
    where: str
    offending: bool
    suggestion: str
    groups: int = 1
    tones_hz: tuple[float, ...] = ()
    note: str = ""  # where sizes disagree with strides, or why there is no period

    def short(self) -> str:
        """k/s/p summary, e.g. 'k=3 s=2 p=1'."""
        def fmt(v: tuple[int, ...]) -> str:
            return str(v[0]) if len(set(v)) == 1 else "x".join(map(str, v))

        if not self.kernel_size:
            return f"x{fmt(self.stride)}"
        groups = f" g={self.groups}" if self.groups > 1 else ""
        return f"k={fmt(self.kernel_size)} s={fmt(self.stride)} p={fmt(self.padding)}{groups}"

    def tones(self, limit: int = 4) -> str:
        """The layer's tones in Hz, e.g. '4000, 8000 Hz', at most ``limit`` then a count."""
        shown = ", ".join(_hz(f) for f in self.tones_hz[:limit])
        more = f" ... ({len(self.tones_hz)} tones)" if len(self.tones_hz) > limit else ""
        return f"{shown} Hz{more}" if self.tones_hz else ""


@dataclass
class AuditReport:
    """What :func:`audit` found. ``str(report)`` is a text table, Jupyter shows an HTML table."""

    model_name: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    layers: list[LayerReport] = field(default_factory=list)
    output_index: dict[int, float] = field(default_factory=dict)
    output_floor: float | None = None
    gradient_index: dict[int, float] = field(default_factory=dict)
    gradient_phase_ratio: dict[int, float] = field(default_factory=dict)
    gradient_floor: float | None = None
    notes: list[str] = field(default_factory=list)
    sample_rate: float | None = None

    @property
    def offending(self) -> list[LayerReport]:
        """The layers with a suggestion to act on."""
        return [layer for layer in self.layers if layer.offending]

    def to_dict(self) -> dict:
        """Plain-Python version for tools (JSON-serialisable; inf becomes the string 'inf')."""
        return json_ready(asdict(self))

    def __str__(self) -> str:
        lines = [f"Checkerboard audit of {self.model_name}: input {self.input_shape} -> output "
                 f"{self.output_shape}"]
        if not self.layers:
            lines.append("No resolution-changing layer found: this model cannot create "
                         "stride-periodic artifacts (no transposed or strided convolution, "
                         "resize, pixel shuffle or pooling ran in the forward pass).")
        else:
            rows = self._rows()
            widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
            right = (0, 5, 6)
            for j, row in enumerate(rows):
                cells = [c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(row, widths))]
                lines.append("  ".join(cells) + "  " + row[-1])
                if j == 0:
                    lines.append("-" * len(lines[-1]))
            lines += [f"  #{layer.index} {layer.name}: {layer.note}" for layer in self.layers if layer.note]
        tonal = [layer for layer in self.layers if layer.tones_hz]
        if tonal:
            lines.append(f"Tones at a sample rate of {_hz(self.sample_rate or 0)} Hz (multiples of "
                         "rate / period up to Nyquist):")
            lines += [f"  #{layer.index} {layer.name}: period {layer.period} -> {layer.tones()}"
                      for layer in tonal]
        if self.output_index:
            lines.append("Measured checkerboard index of the output (random inputs, batch-averaged): "
                         + ", ".join(f"p={p}{self._hz_of(p)}: {v:.3f}" for p, v in self.output_index.items())
                         + (f" (noise floor {self.output_floor:.3f})" if self.output_floor else ""))
        if self.gradient_index:
            lines.append("Input gradient (batch-averaged index of |gradient|): "
                         + ", ".join(f"p={p}: {v:.3f}" for p, v in self.gradient_index.items())
                         + (f" (noise floor {self.gradient_floor:.3f})" if self.gradient_floor else "")
                         + "; strongest/weakest phase of mean |gradient| "
                         + ", ".join(f"p={p}: {v:.2f}x" for p, v in self.gradient_phase_ratio.items()))
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)

    def _rows(self) -> list[list[str]]:
        """Header and one row per layer, every cell whole: [#, layer, type, k/s/p, size, uneven,
        period, suggestion]; '!' after the number marks a layer to act on."""
        rows = [["#", "layer", "type", "k/s/p", "size", "uneven", "period", "suggestion"]]
        for layer in self.layers:
            period = (f"{layer.period} {'out' if layer.where == 'output' else 'grad'}"
                      if layer.period > 1 else "-")
            rows.append([f"{layer.index}{'!' if layer.offending else ' '}", layer.name, layer.kind,
                         layer.short(),
                         f"{_size(layer.input_size)}->{_size(layer.output_size)}", _ratio(layer.unevenness),
                         period, layer.suggestion])
        return rows

    def to_markdown(self) -> str:
        """The report as Markdown: a title line, a table (nothing cut), then tones, indices and notes."""
        lines = [f"**Checkerboard audit of {self.model_name}**: input {self.input_shape} -> output "
                 f"{self.output_shape}", ""]
        if not self.layers:
            lines.append("No resolution-changing layer found: this model cannot create "
                         "stride-periodic artifacts.")
        else:
            rows = self._rows()
            rows[0].insert(7, "note")
            for row, layer in zip(rows[1:], self.layers):
                row.insert(7, layer.note)
            lines.append("| " + " | ".join(rows[0]) + " |")
            lines.append("|" + "|".join("---" for _ in rows[0]) + "|")
            lines += ["| " + " | ".join(c.strip().replace("|", "\\|") for c in row) + " |"
                      for row in rows[1:]]
        text = str(self).splitlines()
        starts = ("Tones", "  #", "Measured", "Input gradient", "note:")
        rest = [line for line in text if line.startswith(starts)
                and not (line.startswith("  #") and ": period" not in line)]
        if rest:
            lines += ["", *(f"- {line.strip()}" for line in rest)]
        return "\n".join(lines)

    def _hz_of(self, period: int) -> str:
        """' (4000 Hz)' for a 1D output with a sample rate: the lowest tone of that period."""
        if self.sample_rate is None or len(self.output_shape) != 3:
            return ""
        return f" ({_hz(self.sample_rate / period)} Hz)"

    def _repr_html_(self) -> str:
        esc = html.escape
        parts = [f"<div><b>Checkerboard audit of {esc(self.model_name)}</b>: input "
                 f"{self.input_shape} &rarr; output {self.output_shape}</div>"]
        if not self.layers:
            parts.append("<p>No resolution-changing layer found: this model cannot create "
                         "stride-periodic artifacts.</p>")
        else:
            head = "".join(f"<th>{h}</th>" for h in ("#", "layer", "type", "k / s / p", "size",
                                                      "unevenness", "period", "suggestion"))
            rows = []
            for layer in self.layers:
                style = " style='background:#fde0dc'" if layer.offending else ""
                where = "at output" if layer.where == "output" else "in input gradient"
                period = f"{layer.period} {where}" if layer.period > 1 else "&ndash;"
                if layer.tones_hz:
                    period += f"<br><small>{esc(layer.tones())}</small>"
                if layer.note:
                    period += f"<br><small><i>{esc(layer.note)}</i></small>"
                cells = (layer.index, esc(layer.name), esc(layer.kind), esc(layer.short()),
                         f"{_size(layer.input_size)} &rarr; {_size(layer.output_size)}",
                         _ratio(layer.unevenness), period, esc(layer.suggestion))
                rows.append(f"<tr{style}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
            parts.append("<table><thead><tr>" + head + "</tr></thead><tbody>" + "".join(rows)
                         + "</tbody></table>")
        measured = []
        if self.output_index:
            measured.append("output index " + ", ".join(
                f"p={p}{esc(self._hz_of(p))}: <b>{v:.3f}</b>" for p, v in self.output_index.items())
                + (f" (floor {self.output_floor:.3f})" if self.output_floor else ""))
        if self.gradient_index:
            measured.append("input-gradient index " + ", ".join(
                f"p={p}: <b>{v:.3f}</b>" for p, v in self.gradient_index.items())
                + "; phase ratio of |gradient| " + ", ".join(
                f"p={p}: {v:.2f}x" for p, v in self.gradient_phase_ratio.items()))
        if measured:
            parts.append("<div>Measured on random inputs: " + "; ".join(measured) + "</div>")
        parts += [f"<div><i>note:</i> {esc(n)}</div>" for n in self.notes]
        return "\n".join(parts)


def _hz(value: float) -> str:
    """A frequency without rounding away what the comb needs: at most two decimals (86.13, 5512.5, 4000)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def json_ready(value: object) -> object:
    """``value`` with dict keys as strings, tuples as lists and +-inf as 'inf' / '-inf' (for JSON)."""
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    return value


def _size(size: tuple[int, ...]) -> str:
    return "x".join(map(str, size))


def _ratio(value: float) -> str:
    return "gaps" if math.isinf(value) else f"{value:.3g}"
