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

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from .._validate import check_input_shape
from ..layers.upsampling import ResizeConv1d, ResizeConv2d, SubPixelConv1d, SubPixelConv2d
from ..runtime import model_device

TRANSPOSED = (nn.ConvTranspose1d, nn.ConvTranspose2d)
CONVS = (nn.Conv1d, nn.Conv2d)
POOLS = (nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d)
RESIZES = (nn.Upsample, nn.UpsamplingNearest2d, nn.UpsamplingBilinear2d)
FIXES = (ResizeConv1d, ResizeConv2d, SubPixelConv1d, SubPixelConv2d)
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
    """Records functional calls (with the module whose forward made them) and conv outputs."""

    def __init__(self, names: dict[nn.Module, str]) -> None:
        super().__init__()
        self.names, self.stack, self.sites = names, [], []
        self.producers: dict[int, tuple[torch.Tensor, Feeder]] = {}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        name = getattr(func, "__name__", "")
        if name in FUNCTIONS:
            bound = dict(zip(FUNCTIONS[name], args), **kwargs)
            self._record(name, bound, out)
        return out

    def _record(self, name: str, bound: dict, out: object) -> None:
        x, y = bound.get("input"), _first_tensor(out)
        if not isinstance(x, torch.Tensor) or y is None or x.dim() < 3 or y.dim() < 3:
            return
        owner = self.stack[-1] if self.stack else None
        path = self.names.get(owner, "") if owner is not None else ""
        family = _family(name)
        if family == "conv":
            feeder = Feeder(path if isinstance(owner, CONVS) else f"{path or '(model)'}.forward",
                            owner if isinstance(owner, CONVS) else None, bound["weight"], bound.get("bias"))
            self.producers[id(y)] = (y, feeder)
        if any(isinstance(m, WATCHED) for m in self.stack):
            return  # a module reported as a whole (its own hook records it)
        sizes = (tuple(x.shape[2:]), tuple(y.shape[2:]))
        geometry = _geometry(family, x.dim() - 2, bound.get, sizes)
        if sizes[0] == sizes[1] or not _counts(family, geometry):
            return
        call = "F." + name.replace("_with_indices", "")
        site = Site(f"{path or '(model)'}.forward", call, None, call, *sizes, **geometry)
        if family == "shuffle":
            site.feeder = self.feeder_of(x)
        self.sites.append(site)

    def feeder_of(self, x: torch.Tensor) -> Feeder | None:
        found = self.producers.get(id(x))
        return found[1] if found is not None and found[0] is x else None

    def pre_hook(self, module: nn.Module, _inputs: tuple) -> None:
        self.stack.append(module)

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
        geometry = _geometry(family, x.dim() - 2, lambda key: getattr(module, key, None), sizes)
        if sizes[0] == sizes[1] or not _counts(family, geometry):
            return
        site = Site(self.names.get(module, "") or type(module).__name__, type(module).__name__, module, "",
                    *sizes, **geometry)
        if isinstance(module, nn.PixelShuffle):
            site.feeder = self.feeder_of(x)
        self.sites.append(site)


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
    shape = check_input_shape(input_shape)
    device = model_device(model)
    names = {module: name for name, module in model.named_modules()}
    tracer = _Tracer(names)
    handles = [h for m in model.modules()
               for h in (m.register_forward_pre_hook(tracer.pre_hook), m.register_forward_hook(tracer.hook))]
    generator = torch.Generator().manual_seed(0)
    try:
        x = torch.randn(shape, generator=generator).to(device)
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
    return tracer.sites, out
