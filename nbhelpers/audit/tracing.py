"""Find every resolution change a model makes during one forward pass: modules and functional calls.

Module hooks see layers (``nn.ConvTranspose2d``, ``nn.PixelShuffle``, ``nn.Upsample``, ...); a
:class:`torch.overrides.TorchFunctionMode` sees the functional calls a ``forward`` makes itself
(``F.interpolate``, ``F.conv_transpose1d/2d``, ``F.pixel_shuffle``, strided ``F.conv1d/2d``,
``F.max_pool1d/2d``, ``F.avg_pool1d/2d``), which hooks miss. Each change becomes a :class:`Site`
that says where it happened: the module's path, or ``path.forward`` for a call made inside that
module's ``forward``. A pixel shuffle also records the convolution that fed it (and whether
that convolution is ICNR-initialised), which decides whether it can paint a checkerboard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from .._validate import check_input_shape, check_model
from ..layers.convert import UpsampleConv1d, UpsampleConv2d
from ..layers.upsampling import ResizeConv1d, ResizeConv2d, SubPixelConv1d, SubPixelConv2d
from ..runtime import model_device
from .spacing import (
    Spacing,
    _repeated_channels,
    _resize_factors,
    _scaled,
    _size_factors,
    _slice_steps,
    _tensors,
)

TRANSPOSED = (nn.ConvTranspose1d, nn.ConvTranspose2d)
CONVS = (nn.Conv1d, nn.Conv2d)
POOLS = (nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d)
RESIZES = (nn.Upsample, nn.UpsamplingNearest2d, nn.UpsamplingBilinear2d)
UPSAMPLE_CONVS = (UpsampleConv1d, UpsampleConv2d)
FIXES = (ResizeConv1d, ResizeConv2d, SubPixelConv1d, SubPixelConv2d, *UPSAMPLE_CONVS)
SHUFFLES = (nn.PixelShuffle, nn.PixelUnshuffle)
# modules reported as a whole: the functional calls inside their forward are their own
WATCHED = (*TRANSPOSED, *CONVS, *POOLS, *RESIZES, *FIXES, *SHUFFLES)

_CONV_ARGS = ("input", "weight", "bias", "stride", "padding", "dilation", "groups")
_TRANSPOSED_ARGS = ("input", "weight", "bias", "stride", "padding", "output_padding", "groups", "dilation")
_POOL_ARGS = ("input", "kernel_size", "stride", "padding")
# functional calls that can change a resolution, with their positional parameters
FUNCTIONS: dict[str, tuple[str, ...]] = {
    "conv1d": _CONV_ARGS, "conv2d": _CONV_ARGS,
    "conv_transpose1d": _TRANSPOSED_ARGS, "conv_transpose2d": _TRANSPOSED_ARGS,
    "max_pool1d": _POOL_ARGS, "max_pool2d": _POOL_ARGS, "avg_pool1d": _POOL_ARGS, "avg_pool2d": _POOL_ARGS,
    "max_pool1d_with_indices": _POOL_ARGS, "max_pool2d_with_indices": _POOL_ARGS,
    "interpolate": ("input", "size", "scale_factor", "mode"),
    "pixel_shuffle": ("input", "upscale_factor"), "pixel_unshuffle": ("input", "downscale_factor"),
}
# functions that move samples between axes: a changed spatial shape means the spacing is lost
_REARRANGE = {"view", "reshape", "flatten", "unflatten", "permute", "transpose", "movedim", "moveaxis",
              "swapaxes", "swapdims", "unfold", "fold", "view_as", "reshape_as", "repeat", "t", "mT",
              "__getitem__", "as_strided", "unsqueeze", "squeeze"}
_ADAPTIVE = ("adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
             "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices")



@dataclass
class Feeder:
    """The convolution whose output a pixel shuffle rearranges (a sub-pixel convolution's conv)."""

    name: str
    module: nn.Module | None
    weight: torch.Tensor
    bias: torch.Tensor | None


@dataclass
class Site:
    """One resolution change in the forward pass.

    ``name`` is the module's path (``""`` for the model itself), or ``path.forward`` when the
    module's ``forward`` made a functional call; ``call`` is that call (``"F.interpolate"``)
    or ``""`` for a module. Sizes are spatial, (H, W) or (L,). ``kernel``/``stride``/
    ``padding`` are per axis (for a resize or shuffle: no kernel, the stride is the factor).
    """

    name: str
    kind: str
    module: nn.Module | None
    call: str
    input_size: tuple[int, ...]
    output_size: tuple[int, ...]
    kernel: tuple[int, ...] = ()
    stride: tuple[int, ...] = ()
    padding: tuple[int, ...] = ()
    groups: int = 1
    dilation: tuple[int, ...] = ()
    mode: str = ""
    feeder: Feeder | None = field(default=None, repr=False)
    in_spacing: Spacing | None = None
    out_spacing: Spacing | None = None
    repeated: bool = False  # a shuffle whose input repeats each channel r**d times (nearest upsampling)
    from_conv: bool = True  # a shuffle whose input a convolution made (possibly through elementwise ops)
    in_classifier: bool = False  # a shuffle in a model whose output has no spatial axes

    @property
    def up(self) -> bool:
        """True when the layer enlarges the signal."""
        n_in, n_out = 1, 1
        for a, b in zip(self.input_size, self.output_size):
            n_in, n_out = n_in * a, n_out * b
        return n_out > n_in


def _tuple(value: object, n: int, default: int = 1) -> tuple[int, ...]:
    if value is None or isinstance(value, str):
        return (default,) * n
    if isinstance(value, (tuple, list)):
        values = tuple(int(v) for v in value)
        return values if len(values) == n else (values[0],) * n
    return (int(value),) * n  # type: ignore[arg-type]


def _factors(a: Sequence[int], b: Sequence[int]) -> tuple[int, ...]:
    return tuple(max(x, y) // max(1, min(x, y)) for x, y in zip(a, b))


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


def _geometry(kind: str, n: int, get, sizes: tuple) -> dict:
    """kernel/stride/padding/groups/dilation/mode of a layer from its arguments or attributes."""
    if kind in ("conv", "transposed"):
        weight = get("weight")
        kernel = (tuple(weight.shape[2:]) if isinstance(weight, torch.Tensor)
                  else _tuple(get("kernel_size"), n))
        return {"kernel": kernel, "stride": _tuple(get("stride"), n), "padding": _tuple(get("padding"), n, 0),
                "groups": int(get("groups") or 1), "dilation": _tuple(get("dilation"), n)}
    if kind == "pool":
        kernel = _tuple(get("kernel_size"), n)
        stride = get("stride")
        stride = kernel if stride is None or stride == [] or stride == () else _tuple(stride, n)
        return {"kernel": kernel, "stride": stride, "padding": _tuple(get("padding"), n, 0)}
    mode = get("mode") if kind == "resize" else ""
    return {"stride": _factors(*sizes), "mode": str(mode or "nearest") if kind == "resize" else ""}


def _family(name: str) -> str:
    if name.startswith("conv_transpose"):
        return "transposed"
    if name.startswith("conv"):
        return "conv"
    if "pool" in name:
        return "pool"
    return "resize" if name == "interpolate" else "shuffle"


def _module_family(module: nn.Module) -> str:
    if isinstance(module, UPSAMPLE_CONVS):
        return "resize" if module.method == "resize" else "shuffle"
    if isinstance(module, TRANSPOSED):
        return "transposed"
    if isinstance(module, CONVS):
        return "conv"
    if isinstance(module, POOLS):
        return "pool"
    return "resize" if isinstance(module, (*RESIZES, ResizeConv1d, ResizeConv2d)) else "shuffle"


def _counts(family: str, geometry: dict) -> bool:
    """Strided layers, resizes and shuffles count; stride-1 convolutions and pools do not."""
    return family in ("resize", "shuffle") or any(s > 1 for s in geometry["stride"])


class _Tracer(TorchFunctionMode):
    """Records functional calls (with the module whose forward made them), conv outputs, and the
    sample spacing of every tensor on the data path from the input."""

    def __init__(self, names: dict[nn.Module, str]) -> None:
        super().__init__()
        self.names, self.stack, self.sites = names, [], []
        self.producers: dict[int, tuple[torch.Tensor, Feeder]] = {}
        self.tags: dict[int, tuple[torch.Tensor, Spacing]] = {}
        self.lineage: dict[int, torch.Tensor] = {}  # made by a convolution, then only elementwise ops
        self.latent_grid = False  # the input has no spatial axes: the first spatial tensor starts a grid
        self.module_inputs: dict[int, tuple[torch.Tensor, Spacing | None]] = {}

    # ---------------------------------------------------------------- spacing tags
    def tag(self, t: torch.Tensor) -> Spacing | None:
        found = self.tags.get(id(t))
        return found[1] if found is not None and found[0] is t else None

    def set_tag(self, t: torch.Tensor, tag: Spacing | None) -> None:
        if tag is not None and t.dim() >= 3 and len(tag[0]) == t.dim() - 2:
            self.tags[id(t)] = (t, tag)
        else:
            self.tags.pop(id(t), None)

    def _derive(self, name: str, family: str, bound: dict, inputs: list[torch.Tensor], y: torch.Tensor,
                geometry: dict | None) -> Spacing | None:
        """The spacing of ``y``, made by function ``name`` from ``inputs``."""
        n = y.dim() - 2
        x = bound.get("input")
        if not isinstance(x, torch.Tensor):
            x = inputs[0] if inputs else None
        if name in FUNCTIONS and x is not None and x.dim() == y.dim():
            tag = self.tag(x)
            if family in ("conv", "pool"):
                return _scaled(tag, [Fraction(s) for s in geometry["stride"]])
            if family == "transposed":
                return _scaled(tag, [Fraction(1, s) for s in geometry["stride"]])
            if family == "shuffle":
                r = Fraction(bound.get("upscale_factor") or bound.get("downscale_factor") or 1)
                return _scaled(tag, [1 / r if name == "pixel_shuffle" else r] * n)
            factors, exact = _resize_factors(bound, x, y)
            return _scaled(tag, factors, exact)
        if name in _ADAPTIVE and x is not None:
            return _scaled(self.tag(x), _size_factors(x, y), exact=False)
        if name == "__getitem__" and x is not None and x.dim() == y.dim():
            steps = _slice_steps(bound.get("index"), x.dim())
            if steps is not None:
                return _scaled(self.tag(x), [Fraction(v) for v in steps[2:]])
        same_rank = [t for t in inputs if t.dim() == y.dim() and self.tag(t) is not None]
        if not same_rank:
            if self.latent_grid and not self.tags and y.dim() >= 3:
                return (Fraction(1),) * n, True  # a latent vector becomes a map: its first grid
            return None
        if name in _REARRANGE and all(t.shape[2:] != y.shape[2:] for t in same_rank):
            return None
        same_rank.sort(key=lambda t: (t.shape[2:] != y.shape[2:], not self.tag(t)[1]))
        return self.tag(same_rank[0])

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        name = getattr(func, "__name__", "")
        bound = dict(zip(FUNCTIONS[name], args), **kwargs) if name in FUNCTIONS else \
            {"input": args[0] if args else None, "index": args[1] if len(args) > 1 else None}
        self._record(name, bound, args, kwargs, out)
        return out

    def _record(self, name: str, bound: dict, args: tuple, kwargs: dict, out: object) -> None:
        outputs = [t for t in (_tensors(out) if isinstance(out, (tuple, list)) else [out])
                   if isinstance(t, torch.Tensor)]
        if not outputs:
            return
        y = outputs[0]
        inputs = _tensors(list(args) + list(kwargs.values()))
        x = bound.get("input")
        family = _family(name) if name in FUNCTIONS else ""
        geometry = None
        if name in FUNCTIONS and isinstance(x, torch.Tensor) and x.dim() >= 3 and y.dim() >= 3:
            geometry = _geometry(family, x.dim() - 2, bound.get, (tuple(x.shape[2:]), tuple(y.shape[2:])))
        if y.dim() >= 3:
            self.set_tag(y, self._derive(name, family, bound, inputs, y, geometry))
            if family == "conv":
                self.lineage[id(y)] = y
            elif name not in FUNCTIONS and name not in _REARRANGE and any(
                    self.lineage.get(id(t)) is t and t.shape == y.shape for t in inputs):
                self.lineage[id(y)] = y
        if geometry is None:
            return
        owner = self.stack[-1] if self.stack else None
        path = self.names.get(owner, "") if owner is not None else ""
        if family == "conv":
            feeder = Feeder(path if isinstance(owner, CONVS) else f"{path or '(model)'}.forward",
                            owner if isinstance(owner, CONVS) else None, bound["weight"], bound.get("bias"))
            self.producers[id(y)] = (y, feeder)
        if any(isinstance(m, WATCHED) for m in self.stack):
            return  # a module reported as a whole (its own hook records it)
        sizes = (tuple(x.shape[2:]), tuple(y.shape[2:]))
        if (sizes[0] == sizes[1] and family != "shuffle") or not _counts(family, geometry):
            return
        call = "F." + name.replace("_with_indices", "")
        site = Site(f"{path or '(model)'}.forward", call, None, call, *sizes, **geometry,
                    in_spacing=self.tag(x), out_spacing=self.tag(y))
        if family == "shuffle":
            self._describe_shuffle(site, x, name == "pixel_shuffle")
        self.sites.append(site)

    def _describe_shuffle(self, site: Site, x: torch.Tensor, up: bool) -> None:
        site.feeder = self.feeder_of(x)
        if up:
            site.repeated = site.feeder is None and _repeated_channels(x, max(site.stride))
            site.from_conv = site.feeder is not None or self.lineage.get(id(x)) is x

    def feeder_of(self, x: torch.Tensor) -> Feeder | None:
        found = self.producers.get(id(x))
        return found[1] if found is not None and found[0] is x else None

    def pre_hook(self, module: nn.Module, inputs: tuple) -> None:
        self.stack.append(module)
        x = _first_tensor(inputs)
        if x is not None and isinstance(module, WATCHED):
            self.module_inputs[id(module)] = (x, self.tag(x))

    def hook(self, module: nn.Module, inputs: tuple, output: object) -> None:
        if self.stack and self.stack[-1] is module:
            self.stack.pop()
        if not isinstance(module, WATCHED) or any(isinstance(m, FIXES) for m in self.stack):
            return  # inside nbhelpers' own upsampling layers only the layer itself counts
        x, y = _first_tensor(inputs), _first_tensor(output)
        if x is None or y is None or x.dim() < 3 or y.dim() < 3:
            return
        sizes = (tuple(x.shape[2:]), tuple(y.shape[2:]))
        family = _module_family(module)
        n = x.dim() - 2
        geometry = _geometry(family, n, lambda key: getattr(module, key, None), sizes)
        if isinstance(module, FIXES) or (family == "resize" and getattr(module, "scale_factor", None)):
            scale = getattr(module, "scale", None) or getattr(module, "scale_factor", None)
            geometry["stride"] = _tuple(scale, n) if not isinstance(scale, float) or scale.is_integer() \
                else geometry["stride"]
        # the module's output spacing follows from its input's and its factor (whatever it did inside)
        entry = self.module_inputs.get(id(module))
        in_tag = entry[1] if entry is not None and entry[0] is x else self.tag(x)
        if family in ("conv", "pool"):
            out_tag = _scaled(in_tag, [Fraction(s) for s in geometry["stride"]])
        elif family == "resize" and not isinstance(module, FIXES) \
                and not getattr(module, "scale_factor", None):
            out_tag = _scaled(in_tag, _size_factors(x, y), exact=False)
        else:
            out_tag = _scaled(in_tag, [Fraction(1, s) for s in geometry["stride"]])
        self.set_tag(y, out_tag)
        if sizes[0] == sizes[1] and not isinstance(module, SHUFFLES) or not _counts(family, geometry):
            return
        site = Site(self.names.get(module, "") or type(module).__name__, type(module).__name__, module, "",
                    *sizes, **geometry, in_spacing=in_tag, out_spacing=out_tag)
        if isinstance(module, nn.PixelShuffle):
            self._describe_shuffle(site, x, True)
        self.sites.append(site)


@dataclass
class Trace:
    """What one traced forward pass saw: the sites, the (first) output and its sample spacing."""

    sites: list[Site]
    output: torch.Tensor
    output_spacing: Spacing | None
    input_spatial: bool


def trace(model: nn.Module, input_shape: Sequence[int]) -> Trace:
    """One forward pass on a seeded random input: the resolution changes and every spacing.

    Each tensor on the data path carries its sample spacing per spatial axis, in samples of the
    model's input: the product of the strides (x s) and upsampling factors (/ s) between the
    input and it, whatever the sizes and the padding. A size-based resize or an adaptive pool
    multiplies it by the size ratio and marks it inexact; a reshape that moves samples between
    axes loses it. When the input has no spatial axes (a latent vector), the first spatial
    tensor starts the grid with spacing 1.

    Args:
        model: any ``nn.Module``; called once without gradients.
        input_shape: one input's shape, batch first.

    Returns:
        a :class:`Trace`; raises ``ValueError`` naming ``input_shape`` when the model fails on it.
    """
    check_model(model)
    shape = check_input_shape(input_shape)
    device = model_device(model)
    names = {module: name for name, module in model.named_modules()}
    tracer = _Tracer(names)
    handles = [h for m in model.modules()
               for h in (m.register_forward_pre_hook(tracer.pre_hook), m.register_forward_hook(tracer.hook))]
    generator = torch.Generator().manual_seed(0)
    try:
        x = torch.randn(shape, generator=generator).to(device)
        tracer.latent_grid = x.dim() < 3
        tracer.set_tag(x, ((Fraction(1),) * (x.dim() - 2), True))
        with torch.no_grad(), tracer:
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
    if out.dim() < 3:
        for site in tracer.sites:
            site.in_classifier = True
    return Trace(tracer.sites, out, tracer.tag(out), len(shape) >= 3)


def find_resolution_changes(model: nn.Module, input_shape: Sequence[int]) -> tuple[list[Site], torch.Tensor]:
    """Run one forward pass and list every module and functional call that changes the resolution.

    Convolutions and pools count only with a stride > 1 (a stride-1 layer changes the size only
    through its padding and cannot make a stride-periodic pattern); resizes and pixel shuffles
    always count. Parts of nbhelpers' own upsampling layers are not listed separately.

    Args:
        model: any ``nn.Module``; called once on a seeded random input, without gradients.
        input_shape: one input's shape, batch first, e.g. (1, 3, 32, 32).

    Returns:
        ``(sites, output)``: :class:`Site` records in execution order, and the model's (first)
        output tensor. Raises ``ValueError`` naming ``input_shape`` when the model fails on it.
    """
    found = trace(model, input_shape)
    return found.sites, found.output
