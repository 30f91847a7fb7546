"""Audit a model for checkerboard artifacts: which layer causes them, at which period, what to do.

:func:`audit` runs one forward pass with hooks, finds every resolution-changing module in
execution order (transposed convolutions, strided convolutions, resize modules, pixel
shuffles, pooling), computes each one's overlap unevenness and the artifact period it
introduces at the model's output (for upsampling layers) or at its input's gradient (for
downsampling layers), measures the checkerboard index of the output (and of the input gradient)
on random inputs, and suggests a fix per offending layer.

Only modules are seen: a resize done with ``torch.nn.functional.interpolate`` inside some
``forward`` is invisible to hooks (use ``nn.Upsample`` or nbhelpers' ``ResizeConv2d``), but
its effect is still in the measured output index.

Command line::

    python -m nbhelpers.audit package.module:factory --input-shape 1,100,1,1

prints the text report of ``factory()``'s model (exit status 2 on an import error or a shape
mismatch).
"""

from __future__ import annotations

import argparse
import html
import importlib
import math
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from ._validate import check_int, check_model
from .gradients import gradient_checkerboard_index, phase_gradient_ratio
from .layers import ResizeConv1d, ResizeConv2d, SubPixelConv1d, SubPixelConv2d
from .metrics import checkerboard_floor, checkerboard_index, polyphase_means
from .overlap import unevenness
from .runtime import model_device

TRANSPOSED = (nn.ConvTranspose1d, nn.ConvTranspose2d)
CONVS = (nn.Conv1d, nn.Conv2d)
POOLS = (nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d)
RESIZES = (nn.Upsample, nn.UpsamplingNearest2d, nn.UpsamplingBilinear2d)
FIXES = (ResizeConv1d, ResizeConv2d, SubPixelConv1d, SubPixelConv2d)


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

    def short(self) -> str:
        """k/s/p summary, e.g. 'k=3 s=2 p=1'."""
        def fmt(v: tuple[int, ...]) -> str:
            return str(v[0]) if len(set(v)) == 1 else "x".join(map(str, v))

        if not self.kernel_size:
            return f"x{fmt(self.stride)}"
        return f"k={fmt(self.kernel_size)} s={fmt(self.stride)} p={fmt(self.padding)}"


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

    @property
    def offending(self) -> list[LayerReport]:
        """The layers with a suggestion to act on."""
        return [layer for layer in self.layers if layer.offending]

    def to_dict(self) -> dict:
        """Plain-Python version for tools (JSON-serialisable; inf becomes the string 'inf')."""
        def clean(value):
            if isinstance(value, float) and math.isinf(value):
                return "inf"
            if isinstance(value, dict):
                return {str(k): clean(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [clean(v) for v in value]
            return value

        return clean(asdict(self))

    def __str__(self) -> str:
        lines = [f"Checkerboard audit of {self.model_name}: input {self.input_shape} -> output "
                 f"{self.output_shape}"]
        if not self.layers:
            lines.append("No resolution-changing layer found: this model cannot create "
                         "stride-periodic artifacts (no transposed or strided convolution, "
                         "resize, pixel shuffle or pooling ran in the forward pass).")
        else:
            header = f"{'#':>2}  {'layer':<22} {'type':<16} {'k/s/p':<16} {'size':<16} " \
                     f"{'uneven':>7} {'period':>7}  suggestion"
            lines += [header, "-" * len(header)]
            for layer in self.layers:
                size = f"{_size(layer.input_size)}->{_size(layer.output_size)}"
                period = f"{layer.period} {'out' if layer.where == 'output' else 'grad'}" \
                    if layer.period > 1 else "-"
                mark = "!" if layer.offending else " "
                lines.append(f"{layer.index:>2}{mark} {layer.name[:22]:<22} {layer.kind[:16]:<16} "
                             f"{layer.short()[:16]:<16} {size[:16]:<16} {_ratio(layer.unevenness):>7} "
                             f"{period:>7}  {layer.suggestion}")
        if self.output_index:
            lines.append("Measured checkerboard index of the output (random inputs, batch-averaged): "
                         + ", ".join(f"p={p}: {v:.3f}" for p, v in self.output_index.items())
                         + (f" (noise floor {self.output_floor:.3f})" if self.output_floor else ""))
        if self.gradient_index:
            lines.append("Input gradient (batch-averaged index of |gradient|): "
                         + ", ".join(f"p={p}: {v:.3f}" for p, v in self.gradient_index.items())
                         + (f" (noise floor {self.gradient_floor:.3f})" if self.gradient_floor else "")
                         + "; strongest/weakest phase of mean |gradient| "
                         + ", ".join(f"p={p}: {v:.2f}x" for p, v in self.gradient_phase_ratio.items()))
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)

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
                cells = (layer.index, esc(layer.name), esc(layer.kind), esc(layer.short()),
                         f"{_size(layer.input_size)} &rarr; {_size(layer.output_size)}",
                         _ratio(layer.unevenness), period, esc(layer.suggestion))
                rows.append(f"<tr{style}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
            parts.append("<table><thead><tr>" + head + "</tr></thead><tbody>" + "".join(rows)
                         + "</tbody></table>")
        measured = []
        if self.output_index:
            measured.append("output index " + ", ".join(
                f"p={p}: <b>{v:.3f}</b>" for p, v in self.output_index.items())
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


def _size(size: tuple[int, ...]) -> str:
    return "x".join(map(str, size))


def _ratio(value: float) -> str:
    return "gaps" if math.isinf(value) else f"{value:.3g}"


def _tuple(value: object, n: int) -> tuple[int, ...]:
    if isinstance(value, (tuple, list)):
        return tuple(int(v) for v in value)
    return (int(value),) * n  # type: ignore[arg-type]


def _layer_unevenness(kernel: tuple[int, ...], stride: tuple[int, ...]) -> float:
    ratio = 1.0
    for k, s in zip(kernel, stride):
        ratio *= unevenness(k, s) if s > 1 else 1.0
    return ratio


def _describe(module: nn.Module, n: int) -> tuple[str, tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """(kind, kernel, stride, padding) for a module acting on n spatial dimensions."""
    kind = type(module).__name__
    if isinstance(module, (*TRANSPOSED, *CONVS, *POOLS)):
        kernel = _tuple(module.kernel_size, n)
        stride = _tuple(module.stride if module.stride is not None else module.kernel_size, n)
        padding = _tuple(module.padding if not isinstance(module.padding, str) else 0, n)
        return kind, kernel, stride, padding
    return kind, (), (), ()


def _suggestion(module: nn.Module, kernel: tuple[int, ...], stride: tuple[int, ...], ratio: float) -> str:
    s = max(stride) if stride else 1
    if isinstance(module, TRANSPOSED):
        if ratio > 1:
            return (f"uneven overlap (k={kernel[0]} not divisible by s={s}): replace with "
                    "resize-convolution or ICNR sub-pixel (replace_upsampling), or use a kernel "
                    "divisible by the stride")
        return ("even overlap, but learned or random kernels can still paint a period-"
                f"{s} pattern: resize-convolution or ICNR sub-pixel removes it by construction")
    if isinstance(module, CONVS):
        if ratio > 1:
            return (f"its gradient is a transposed conv with uneven overlap: blur before the "
                    f"stride (BlurPool) or use k divisible by {s}")
        return "strided conv: gradients can checkerboard; blur before the stride (BlurPool)"
    if isinstance(module, (ResizeConv1d, ResizeConv2d)):
        return "ok: resize-convolution (even by construction)"
    if isinstance(module, (SubPixelConv1d, SubPixelConv2d)):
        return ("sub-pixel convolution" + (" with ICNR init: even at initialisation; training can "
                "bring a period back (add blur=True to rule it out)" if module.icnr else
                ": initialise with ICNR (icnr=True) or add blur=True"))
    if isinstance(module, nn.PixelShuffle):
        return "sub-pixel convolution: initialise the conv before it with ICNR (optionally blur)"
    if isinstance(module, (nn.MaxPool1d, nn.MaxPool2d)):
        return "max pooling routes gradient to one pixel per window; average or blur pooling is smoother"
    return "ok"


def _is_offending(module: nn.Module) -> bool:
    """Layers whose design can paint (or, for strided convolutions, route) a periodic pattern."""
    if isinstance(module, (SubPixelConv1d, SubPixelConv2d)):
        return not module.icnr
    return isinstance(module, (*TRANSPOSED, *CONVS, nn.PixelShuffle))


def _first_tensor(value: object) -> torch.Tensor | None:
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (tuple, list)):
        for item in value:
            found = _first_tensor(item)
            if found is not None:
                return found
    if isinstance(value, dict):
        for item in value.values():
            found = _first_tensor(item)
            if found is not None:
                return found
    return None


def _check_shape(input_shape: object) -> tuple[int, ...]:
    if isinstance(input_shape, torch.Size):
        input_shape = tuple(input_shape)
    if not isinstance(input_shape, (tuple, list)) or not input_shape:
        raise TypeError(f"input_shape must be a tuple of ints with the batch first, e.g. (1, 3, 32, 32), "
                        f"got {input_shape!r}")
    return tuple(check_int(f"input_shape[{i}]", v, 1) for i, v in enumerate(input_shape))


def find_resolution_changes(model: nn.Module, input_shape: Sequence[int]) -> tuple[list[dict], torch.Tensor]:
    """Run one forward pass with hooks and list the modules that change the resolution.

    Convolutions and transposed convolutions count only with a stride > 1 (a stride-1 layer
    changes the size only through its padding and cannot make a stride-periodic pattern).

    Returns ``(records, output)``: records in execution order, each a dict with the module, its
    qualified name, and spatial input/output sizes; output is the model's (first) output tensor.
    Raises ``ValueError`` naming ``input_shape`` when the model fails on it.
    """
    shape = _check_shape(input_shape)
    device = model_device(model)
    records: list[dict] = []
    names = {module: name for name, module in model.named_modules()}
    watched = (*TRANSPOSED, *CONVS, *POOLS, *RESIZES, *FIXES, nn.PixelShuffle, nn.PixelUnshuffle)
    # inside nbhelpers' own upsampling layers only the layer itself counts, not its parts
    inside_fix = {sub for m in model.modules() if isinstance(m, FIXES) for sub in m.modules() if sub is not m}

    def hook(module: nn.Module, inputs: tuple, output: object) -> None:
        x, y = _first_tensor(inputs), _first_tensor(output)
        if x is None or y is None or x.dim() < 3 or y.dim() < 3:
            return
        strided = not isinstance(module, (*TRANSPOSED, *CONVS)) or any(
            s > 1 for s in _tuple(module.stride, x.dim() - 2))
        if strided and tuple(x.shape[2:]) != tuple(y.shape[2:]):
            records.append({"module": module, "name": names.get(module, "?") or type(module).__name__,
                            "input_size": tuple(x.shape[2:]), "output_size": tuple(y.shape[2:])})

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, watched) and m not in inside_fix]
    generator = torch.Generator().manual_seed(0)
    try:
        x = torch.randn(shape, generator=generator).to(device)
        with torch.no_grad():
            output = model(x)
    except Exception as exc:  # noqa: BLE001 - wrapped with the shape that was tried
        raise ValueError(f"the model failed on a random input of input_shape={shape}: "
                         f"{type(exc).__name__}: {exc}") from exc
    finally:
        for handle in handles:
            handle.remove()
    out = _first_tensor(output)
    if out is None:
        raise ValueError(f"the model returned no tensor for input_shape={shape}")
    return records, out


def audit(
    model: nn.Module,
    input_shape: Sequence[int],
    periods: Sequence[int] | None = None,
    batch: int = 16,
    seed: int = 0,
) -> AuditReport:
    """Audit ``model`` for checkerboard artifacts.

    Args:
        model: any ``nn.Module``; it is put in eval mode for the audit and restored afterwards.
        input_shape: one input's shape with the batch first, e.g. (1, 100, 1, 1) or (1, 3, 32, 32).
        periods: periods to measure (default: 2 and every period the layers introduce, <= 64).
        batch: random inputs used for the measured indices (batch-averaged).
        seed: seed of the random inputs.

    Returns:
        an :class:`AuditReport`.
    """
    check_model(model)
    shape = _check_shape(input_shape)
    batch = check_int("batch", batch, 2)
    was_training = model.training
    model.eval()
    try:
        records, output = find_resolution_changes(model, shape)
        report = AuditReport(type(model).__name__, shape, tuple(output.shape))
        in_size, out_size = shape[2:], tuple(output.shape[2:])
        for i, rec in enumerate(records):
            module = rec["module"]
            n = len(rec["input_size"])
            kind, kernel, stride, padding = _describe(module, n)
            up = math.prod(rec["output_size"]) > math.prod(rec["input_size"])
            if not stride:  # resize modules, pixel shuffles: the scale factor
                ratio_sizes = [max(a, b) // max(1, min(a, b))
                               for a, b in zip(rec["input_size"], rec["output_size"])]
                stride = tuple(ratio_sizes)
            ratio = _layer_unevenness(kernel, stride) if kernel else 1.0
            if up:
                after = [o // max(1, r) for o, r in zip(out_size, rec["output_size"])] if out_size else [1]
                period, where = max(stride) * max(after), "output"
            else:
                before = [a // max(1, r) for a, r in zip(in_size, rec["input_size"])] if in_size else [1]
                period, where = max(stride) * max(before), "input gradient"
            if isinstance(module, (nn.AvgPool1d, nn.AvgPool2d)) and ratio == 1:
                period = 1
            offending = _is_offending(module)
            report.layers.append(LayerReport(
                index=i + 1, name=rec["name"], kind=kind, direction="up" if up else "down",
                kernel_size=kernel, stride=stride, padding=padding, input_size=rec["input_size"],
                output_size=rec["output_size"], unevenness=ratio, period=period, where=where,
                offending=offending,
                suggestion=_suggestion(module, kernel, stride, ratio)))
        _measure(model, shape, report, periods, batch, seed)
    finally:
        model.train(was_training)
    return report


def _periods(
    report: AuditReport, where: str, sizes: tuple[int, ...], periods: Sequence[int] | None
) -> list[int]:
    if periods is not None:
        chosen = {check_int("periods[i]", p, 2) for p in periods}
    else:
        chosen = {2} | {layer.period for layer in report.layers if layer.where == where and layer.period > 1}
    return sorted(p for p in chosen if p <= 64 and sizes and p <= min(sizes) // 2)


def _measure(model: nn.Module, shape: tuple[int, ...], report: AuditReport,
             periods: Sequence[int] | None, batch: int, seed: int) -> None:
    device = model_device(model)
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn((batch, *shape[1:]), generator=generator).to(device)
    out_sizes = report.output_shape[2:]
    spatial_out = len(out_sizes) in (1, 2)
    wants_gradient = any(layer.direction == "down" for layer in report.layers) and len(shape) - 2 in (1, 2)
    if not report.layers:
        return
    if wants_gradient:
        x.requires_grad_(True)
    with torch.set_grad_enabled(wants_gradient):
        output = _first_tensor(model(x))
    if spatial_out:
        ndim = len(out_sizes)
        for p in _periods(report, "output", out_sizes, periods):
            report.output_index[p] = checkerboard_index(output.detach(), p, reduce="batch", ndim=ndim).item()
        if report.output_index:
            report.output_floor = checkerboard_floor(out_sizes, 2) / math.sqrt(batch)
    elif report.layers:
        report.notes.append("the output has no spatial dimensions: only gradients are measured")
    if wants_gradient:
        projection = torch.randn(output.shape, generator=generator).to(device)
        (grad,) = torch.autograd.grad((output * projection).sum(), x)
        in_sizes = shape[2:]
        ndim = len(in_sizes)
        for p in _periods(report, "input gradient", in_sizes, periods):
            if ndim == 2:
                report.gradient_index[p] = gradient_checkerboard_index(grad, p)
                report.gradient_phase_ratio[p] = phase_gradient_ratio(grad, p)
            else:  # 1D signals: the same measures on |gradient| over (N, C, L)
                report.gradient_index[p] = checkerboard_index(grad.abs(), p, reduce="batch", ndim=1).item()
                means = polyphase_means(grad.abs(), p, ndim=1).mean(dim=(0, 1))
                report.gradient_phase_ratio[p] = (means.max() / means.min().clamp_min(1e-30)).item()
        if report.gradient_index:
            report.gradient_floor = checkerboard_floor(in_sizes, 2) / math.sqrt(batch)


def sample_outputs(
    model: nn.Module, input_shape: Sequence[int], batch: int = 16, seed: int = 0
) -> torch.Tensor:
    """The model's outputs for ``batch`` random inputs of ``input_shape`` (batch first), eval mode.

    Returns the (first) output tensor on the CPU, shape (batch, ...). The model's mode is
    restored afterwards.
    """
    check_model(model)
    shape = _check_shape(input_shape)
    batch = check_int("batch", batch, 1)
    device = model_device(model)
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn((batch, *shape[1:]), generator=generator).to(device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = _first_tensor(model(x))
    except Exception as exc:  # noqa: BLE001 - wrapped with the shape that was tried
        raise ValueError(f"the model failed on a random input of input_shape={shape}: "
                         f"{type(exc).__name__}: {exc}") from exc
    finally:
        model.train(was_training)
    if out is None:
        raise ValueError(f"the model returned no tensor for input_shape={shape}")
    return out.detach().cpu()


def _load_factory(spec: str):
    if ":" not in spec:
        raise ValueError(f"expected package.module:factory, got {spec!r}")
    module_name, attr = spec.split(":", 1)
    module = importlib.import_module(module_name)
    factory = module
    for part in attr.split("."):
        factory = getattr(factory, part)
    return factory


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m nbhelpers.audit",
        description="Audit a model for checkerboard artifacts. FACTORY is package.module:callable "
                    "returning an nn.Module (or an nn.Module itself).")
    parser.add_argument("factory")
    parser.add_argument("--input-shape", required=True,
                        help="one input's shape, batch first, comma-separated, e.g. 1,100,1,1")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0,
                        help="seed for the model's initialisation and the random inputs")
    args = parser.parse_args(argv)
    try:
        shape = tuple(int(v) for v in args.input_shape.split(","))
    except ValueError:
        print(f"error: --input-shape must be comma-separated integers, got {args.input_shape!r}",
              file=sys.stderr)
        return 2
    try:
        factory = _load_factory(args.factory)
    except (ImportError, AttributeError, ValueError) as exc:
        print(f"error: cannot load {args.factory!r}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    torch.manual_seed(args.seed)
    model = factory if isinstance(factory, nn.Module) else factory()
    if not isinstance(model, nn.Module):
        print(f"error: {args.factory} returned {type(model).__name__}, not an nn.Module", file=sys.stderr)
        return 2
    try:
        report = audit(model, shape, batch=args.batch, seed=args.seed)
    except (ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
