"""Fix what the audit finds: :func:`replace_upsampling` and its :class:`ConversionReport`.

A copy of the model gets, per upsampling layer:

- a strided ``ConvTranspose1d/2d`` (grouped too): replaced by a resize-convolution or an
  ICNR sub-pixel convolution with the same shapes (:func:`nbhelpers.layers.convert.replacement_for`);
- a pixel shuffle fed by a convolution: ICNR on that convolution (``'subpixel_icnr'``, plus a
  box blur with ``blur=True``), or the pair replaced by a resize-convolution (``'resize'``);
- nbhelpers' own sub-pixel layers without ICNR: the same;
- resizes (``nn.Upsample``, ``F.interpolate``, resize-convolutions): left alone, fine as they are.

Every layer that is not changed is listed with the reason (and warned about when it can paint
a checkerboard): functional calls inside a ``forward`` cannot be swapped, only modules can.
With ``input_shape`` the model is traced (:func:`.tracing.find_resolution_changes`), which also
finds functional calls and the convolution that feeds each pixel shuffle; without it, only
modules are seen and a pixel shuffle's convolution must come right before it in an
``nn.Sequential``.
"""

from __future__ import annotations

import copy
import html
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from .._validate import check_choice, check_input_shape, check_model
from ..layers.convert import KINDS, _odd, replacement_for, unsupported_reason, weight_norm_of
from ..layers.upsampling import (
    Blur2d,
    ResizeConv1d,
    ResizeConv2d,
    SubPixelConv1d,
    SubPixelConv2d,
    _icnr_pair_,
)
from .advice import is_icnr, is_offending, shuffle_role, suggestion
from .tracing import RESIZES, TRANSPOSED, UPSAMPLE_CONVS, Feeder, Site, _first_tensor, trace


@dataclass
class Conversion:
    """What :func:`replace_upsampling` did to one upsampling layer."""

    name: str
    layer: str  # what it was, e.g. "ConvTranspose2d k=3 s=2" or "PixelShuffle x2 (fed by conv '0')"
    action: str  # "replaced", "re-initialised" or "kept"
    detail: str  # the new layer, or the reason it was kept
    problem: bool = False  # kept although it can paint a checkerboard


@dataclass
class ConversionReport:
    """Every upsampling layer :func:`replace_upsampling` saw: what changed, what was kept and why."""

    kind: str
    traced: bool
    entries: list[Conversion] = field(default_factory=list)

    @property
    def changed(self) -> list[Conversion]:
        """The layers that were replaced or re-initialised."""
        return [e for e in self.entries if e.action != "kept"]

    @property
    def kept(self) -> list[Conversion]:
        """The layers left as they were, each with its reason."""
        return [e for e in self.entries if e.action == "kept"]

    def to_dict(self) -> dict:
        """Plain Python (JSON-serialisable)."""
        return asdict(self)

    def __str__(self) -> str:
        lines = [f"replace_upsampling(kind={self.kind!r}): {len(self.changed)} changed, {len(self.kept)} kept"
                 + ("" if self.traced else " (modules only: pass input_shape= to see functional calls)")]
        for e in self.entries:
            mark = "!" if e.problem else " "
            lines.append(f"{mark} {e.action:<14} {e.name} ({e.layer}): {e.detail}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr{' style=background:#fde0dc' if e.problem else ''}><td>{html.escape(e.name)}</td>"
            f"<td>{html.escape(e.layer)}</td><td>{e.action}</td><td>{html.escape(e.detail)}</td></tr>"
            for e in self.entries)
        return (f"<div><b>replace_upsampling</b>(kind={html.escape(self.kind)!r}): "
                f"{len(self.changed)} changed, {len(self.kept)} kept</div><table><thead><tr><th>layer</th>"
                f"<th>was</th><th>action</th><th>detail</th></tr></thead><tbody>{rows}</tbody></table>")


def _structural_sites(model: nn.Module) -> list[Site]:
    """Upsampling modules found without running the model (a shuffle's conv: its Sequential neighbour)."""
    sites = []
    for name, module in model.named_modules():
        if isinstance(module, (*TRANSPOSED, *RESIZES, ResizeConv1d, ResizeConv2d, SubPixelConv1d,
                               SubPixelConv2d, nn.PixelShuffle)):
            stride = getattr(module, "stride", None) or (getattr(module, "upscale_factor", 1),)
            sites.append(Site(name or type(module).__name__, type(module).__name__, module, "", (), (),
                              stride=tuple(stride)))
    for parent in model.modules():
        if isinstance(parent, nn.Sequential):
            children = list(parent)
            for before, after in zip(children, children[1:]):
                if isinstance(after, nn.PixelShuffle) and isinstance(before, nn.Conv2d):
                    for site in sites:
                        if site.module is after:
                            site.feeder = Feeder("", before, before.weight, before.bias)
    # parts of nbhelpers' own layers are not separate layers
    own = (SubPixelConv1d, SubPixelConv2d, ResizeConv1d, ResizeConv2d)
    inside = {sub for m in model.modules() if isinstance(m, own) for sub in m.modules() if sub is not m}
    return [s for s in sites if s.module not in inside
            and not (isinstance(s.module, TRANSPOSED) and max(s.module.stride) < 2)]


def _traced_sites(model: nn.Module, input_shape: Sequence[int]) -> tuple[list[Site], tuple[int, ...]]:
    was_training = model.training
    model.eval()
    try:
        found = trace(model, input_shape)
    finally:
        model.train(was_training)
    return [s for s in found.sites if s.up], tuple(found.output.shape)


def _copy(model: nn.Module) -> nn.Module:
    """``copy.deepcopy(model)``, also for a model whose weights are computed tensors that carry a graph
    (hook-based ``torch.nn.utils.weight_norm`` keeps ``weight`` as such a tensor after any forward
    with gradients): those are copied detached; the hooks recompute them at the next forward."""
    memo: dict[int, object] = {}
    for module in model.modules():
        for value in vars(module).values():
            computed = isinstance(value, torch.Tensor) and not isinstance(value, nn.Parameter)
            if computed and value.grad_fn is not None:
                memo[id(value)] = value.detach().clone()
    return copy.deepcopy(model, memo)


_NORM_API = {"hook": ("torch.nn.utils.weight_norm", "torch.nn.utils.remove_weight_norm(layer)"),
             "parametrize": ("torch.nn.utils.parametrizations.weight_norm",
                             "torch.nn.utils.parametrize.remove_parametrizations(layer, 'weight')")}


def _run_copy(converted: nn.Module, shape: tuple[int, ...], expected: tuple[int, ...],
              checks: dict[int, tuple[str, list[tuple[int, ...]]]]) -> None:
    """Run the converted copy once on a seeded random input; a clear error names the layer that fails
    or whose output size differs from the original layer's (``checks``: id(new module) -> (name,
    output sizes of the original, call by call))."""
    active: list[nn.Module] = []
    calls: dict[int, int] = {}
    problems: list[str] = []

    def pre(module: nn.Module, _inputs: tuple) -> None:
        active.append(module)

    def post(module: nn.Module, _inputs: tuple, output: object) -> None:
        if active and active[-1] is module:
            active.pop()
        name, sizes = checks[id(module)]
        i = calls.get(id(module), 0)
        calls[id(module)] = i + 1
        y = _first_tensor(output)
        if y is not None and i < len(sizes) and tuple(y.shape[2:]) != sizes[i]:
            problems.append(f"the replacement of '{name}' gives spatial size {tuple(y.shape[2:])} where the "
                            f"original gave {sizes[i]}")

    handles = [h for m in converted.modules() if id(m) in checks
               for h in (m.register_forward_pre_hook(pre), m.register_forward_hook(post))]
    was_training = converted.training
    converted.eval()
    x = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    try:
        x = x.to(next((p.device for p in converted.parameters()), torch.device("cpu")))
        with torch.no_grad():
            out = _first_tensor(converted(x))
    except Exception as exc:  # noqa: BLE001 - a clear error naming the layer, not a raw traceback
        where = f" in the replacement of '{checks[id(active[-1])][0]}'" if active else ""
        first = f" ({problems[0]})" if problems else ""
        raise ValueError(f"replace_upsampling: the converted model fails on input_shape={shape}"
                         f"{where}{first}: "
                         f"{type(exc).__name__}: {exc}") from exc
    finally:
        for handle in handles:
            handle.remove()
        converted.train(was_training)
    if problems:
        raise ValueError("replace_upsampling: the converted model changes shapes: " + "; ".join(problems))
    if out is None or tuple(out.shape) != expected:
        raise ValueError(f"replace_upsampling: the converted model returns shape "
                         f"{None if out is None else tuple(out.shape)} instead of {expected} for "
                         f"input_shape={shape}")


def _set(model: nn.Module, name: str, new: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, child, new)


def _path(model: nn.Module, module: nn.Module) -> str:
    return next((n for n, m in model.named_modules() if m is module), "")


def _feeder_name(model: nn.Module, feeder: Feeder) -> str:
    if feeder.module is not None:
        return f"conv '{_path(model, feeder.module)}'"
    return f"a functional conv in {feeder.name}"


def _fix_transposed(model: nn.Module, site: Site, kind: str) -> Conversion:
    module = site.module
    what = f"{site.kind} k={module.kernel_size[0]} s={module.stride[0]}" + \
        (f" groups={module.groups}" if module.groups > 1 else "")
    new = replacement_for(module, kind)
    if new is None:
        return Conversion(site.name, what, "kept", unsupported_reason(module) or "not supported", True)
    norm = weight_norm_of(module)
    _set(model, _path(model, module), new)
    inner = getattr(new, "inner", new)
    detail = (f"{type(inner).__name__}({inner.extra_repr()})"
              + (f", groups={module.groups}" if module.groups > 1 else "")
              + (f", output cropped/padded by {new.delta}" if new is not inner else ""))
    if norm is not None:
        api, removal = _NORM_API[norm[0]]
        detail += (f"; weight norm re-applied on its weight ({api}, dim={norm[1]}), so {removal} "
                   "still works")
    return Conversion(site.name, what, "replaced", detail)


def _fix_shuffle(model: nn.Module, site: Site, kind: str, blur: bool, traced: bool) -> Conversion:
    scale, feeder = max(site.stride), site.feeder
    what = f"{site.kind} x{scale}"
    if traced and shuffle_role(site) != "upsampling":
        return Conversion(site.name, what, "kept", suggestion(site, 1.0))
    if feeder is None:
        why = ("its input does not come straight from a convolution, so there is no kernel to "
               "initialise with ICNR" if traced else "no convolution right before it in an nn.Sequential: "
               "pass input_shape= so replace_upsampling can trace which convolution feeds it")
        return Conversion(site.name, what, "kept", why, True)
    what += f" fed by {_feeder_name(model, feeder)}"
    conv = feeder.module
    if not isinstance(feeder.weight, nn.Parameter):
        return Conversion(site.name, what, "kept", "the convolution's weight is computed in the forward "
                          "(e.g. weight normalisation), so it cannot be initialised here", True)
    if kind == "resize":
        if site.module is None or not isinstance(conv, nn.Conv2d) or conv.stride != (1, 1) \
                or conv.dilation != (1, 1) or (conv.out_channels // scale**2) % conv.groups:
            why = ("a functional pixel shuffle or convolution cannot be swapped (only modules can); "
                   "kind='subpixel_icnr' re-initialises the convolution instead")
            return Conversion(site.name, what, "kept", why, not is_icnr(feeder, scale, 2))
        size = _odd(conv.kernel_size[0])
        new = ResizeConv2d(conv.in_channels, conv.out_channels // scale**2, scale, "nearest", size,
                           padding_mode="replicate", groups=conv.groups).to(conv.weight.device)
        _set(model, _path(model, conv), new)
        _set(model, _path(model, site.module), nn.Identity())
        return Conversion(site.name, what, "replaced", f"ResizeConv2d({new.extra_repr()}), kernel {size}")
    if is_icnr(feeder, scale, feeder.weight.dim() - 2) and not blur:
        return Conversion(site.name, what, "kept", "already ICNR-initialised")
    _icnr_pair_(feeder.weight, feeder.bias, scale)
    detail = f"ICNR on {_feeder_name(model, feeder)}"
    if blur and site.module is not None:
        _set(model, _path(model, site.module), nn.Sequential(site.module, Blur2d(scale)))
        detail += f", then Blur2d({scale})"
    return Conversion(site.name, what, "re-initialised", detail)


def _fix_own_subpixel(model: nn.Module, site: Site, kind: str, blur: bool) -> Conversion:
    module = site.module
    what = f"{site.kind}(icnr={module.icnr})"
    if kind == "resize":
        conv = module.conv
        c_out = conv.out_channels // module.scale ** (conv.weight.dim() - 2)
        cls = ResizeConv2d if isinstance(module, SubPixelConv2d) else ResizeConv1d
        new = cls(conv.in_channels, c_out, module.scale, "nearest", conv.kernel_size[0],
                  padding_mode="replicate", groups=conv.groups).to(conv.weight.device)
        _set(model, _path(model, module), new)
        return Conversion(site.name, what, "replaced", f"{cls.__name__}({new.extra_repr()})")
    changes = []
    if not module.icnr:
        _icnr_pair_(module.conv.weight, module.conv.bias, module.scale)
        module.icnr = True
        changes.append("ICNR")
    if blur and isinstance(module, SubPixelConv2d) and isinstance(module.blur, nn.Identity):
        module.blur = Blur2d(module.scale)
        changes.append(f"Blur2d({module.scale})")
    if not changes:
        return Conversion(site.name, what, "kept", "already ICNR-initialised")
    return Conversion(site.name, what, "re-initialised", " and ".join(changes))


def _convert(model: nn.Module, site: Site, kind: str, blur: bool, traced: bool) -> Conversion:
    if isinstance(site.module, UPSAMPLE_CONVS):
        return Conversion(site.name, site.kind, "kept", "already a replacement made by replace_upsampling")
    if isinstance(site.module, TRANSPOSED):
        return _fix_transposed(model, site, kind)
    if site.kind in ("PixelShuffle", "F.pixel_shuffle"):
        return _fix_shuffle(model, site, kind, blur, traced)
    if isinstance(site.module, (SubPixelConv1d, SubPixelConv2d)):
        return _fix_own_subpixel(model, site, kind, blur)
    if site.call.startswith("F.conv_transpose"):
        why = (f"a functional call inside {site.name}: only modules can be swapped; write the resize "
               "and convolution into that forward (or use nbhelpers.layers.ResizeConv2d/1d there)")
        return Conversion(site.name, site.kind, "kept", why, True)
    return Conversion(site.name, site.kind, "kept",
                      "a resize: even by construction (followed by a convolution it is a resize-convolution)",
                      is_offending(site))


def replace_upsampling(
    model: nn.Module,
    kind: str = "resize",
    *,
    input_shape: Sequence[int] | None = None,
    blur: bool = False,
    return_report: bool = False,
) -> nn.Module | tuple[nn.Module, ConversionReport]:
    """A copy of ``model`` whose upsampling layers cannot paint a checkerboard at initialisation.

    Args:
        model: any ``nn.Module`` (not modified).
        kind: ``'resize'`` (nearest resize-convolution, the article's fix) or ``'subpixel_icnr'``
            (sub-pixel convolution with ICNR initialisation; for an existing pixel shuffle, ICNR
            on the convolution that feeds it).
        input_shape: one input's shape, batch first: trace the model, which also finds functional
            calls (reported, not changed) and the convolution feeding each pixel shuffle.
        blur: with ``'subpixel_icnr'``, a box blur of the scale after each 2D pixel shuffle
            (rules out a period that training could bring back).
        return_report: also return a :class:`ConversionReport`.

    Returns:
        the converted copy (same input shape -> same output shape; new layers freshly
        initialised: train or fine-tune it), or ``(copy, report)``. Every layer kept although it
        can paint a checkerboard is also warned about (``UserWarning``). The replacements accept
        the replaced layer's call, ``output_size=`` included. A weight-normalised transposed
        convolution (hook-based or parametrize-based) becomes a convolution whose weight gets the
        same normalisation, so the model's ``remove_weight_norm()`` code still works; the report
        says so. With ``input_shape`` the copy is run once: a ``ValueError`` names the layer whose
        replacement fails or changes a shape.
    """
    check_model(model)
    check_choice("kind", kind, KINDS)
    if not isinstance(blur, bool):
        raise TypeError(f"blur must be True or False, got {blur!r}")
    shape = None if input_shape is None else check_input_shape(input_shape)
    try:
        converted = _copy(model)
    except RuntimeError as exc:
        raise ValueError(f"replace_upsampling cannot copy this model: {exc}") from exc
    traced = shape is not None
    sites, expected = (_traced_sites(converted, shape) if shape is not None
                       else (_structural_sites(converted), ()))
    report = ConversionReport(kind, traced)
    done: set[int] = set()
    sizes: dict[int, list[tuple[int, ...]]] = {}
    for site in sites:
        if site.module is not None:
            sizes.setdefault(id(site.module), []).append(site.output_size)
    checks: dict[int, tuple[str, list[tuple[int, ...]]]] = {}
    for site in sites:
        if site.module is not None and id(site.module) in done:
            continue  # a module called twice is converted once
        done.add(id(site.module))
        path = _path(converted, site.module) if site.module is not None else ""
        entry = _convert(converted, site, kind, blur, traced)
        report.entries.append(entry)
        if entry.action == "replaced" and isinstance(site.module, TRANSPOSED):
            new = converted.get_submodule(path) if path else converted
            checks[id(new)] = (site.name, sizes[id(site.module)])
        if entry.problem:
            warnings.warn(f"replace_upsampling: kept {entry.name} ({entry.layer}): {entry.detail}",
                          stacklevel=2)
    if shape is not None:
        _run_copy(converted, shape, expected, checks)
    return (converted, report) if return_report else converted
