"""Find the layers that change a model's resolution during one forward pass, and describe them.

Only modules are seen: a resize done with ``torch.nn.functional.interpolate`` inside some
``forward`` is invisible to module hooks (use ``nn.Upsample`` or nbhelpers' ``ResizeConv2d``),
but its effect is still in the measured output index.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .._validate import check_input_shape
from ..layers.upsampling import ResizeConv1d, ResizeConv2d, SubPixelConv1d, SubPixelConv2d
from ..measures.overlap import _unevenness
from ..runtime import model_device

TRANSPOSED = (nn.ConvTranspose1d, nn.ConvTranspose2d)

CONVS = (nn.Conv1d, nn.Conv2d)

POOLS = (nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d)

RESIZES = (nn.Upsample, nn.UpsamplingNearest2d, nn.UpsamplingBilinear2d)

FIXES = (ResizeConv1d, ResizeConv2d, SubPixelConv1d, SubPixelConv2d)


def _tuple(value: object, n: int) -> tuple[int, ...]:
    if isinstance(value, (tuple, list)):
        return tuple(int(v) for v in value)
    return (int(value),) * n  # type: ignore[arg-type]


def _layer_unevenness(kernel: tuple[int, ...], stride: tuple[int, ...]) -> float:
    ratio = 1.0
    for k, s in zip(kernel, stride):
        ratio *= _unevenness([k], [s]) if s > 1 else 1.0
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


def find_resolution_changes(model: nn.Module, input_shape: Sequence[int]) -> tuple[list[dict], torch.Tensor]:
    """Run one forward pass with hooks and list the modules that change the resolution.

    Convolutions and transposed convolutions count only with a stride > 1 (a stride-1 layer
    changes the size only through its padding and cannot make a stride-periodic pattern).

    Returns ``(records, output)``: records in execution order, each a dict with the module, its
    qualified name, and spatial input/output sizes; output is the model's (first) output tensor.
    Raises ``ValueError`` naming ``input_shape`` when the model fails on it.
    """
    shape = check_input_shape(input_shape)
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
