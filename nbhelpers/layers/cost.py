"""What an upsampling layer costs: parameters, FLOPs (counted per function call), wall time,
and how many input pixels each output pixel sees.

FLOP convention of :func:`count_flops`: one multiply-accumulate = 2 FLOPs, counted wherever the
call is made (an ``nn`` layer's forward or a functional call in any module's forward), in 1D, 2D
and 3D:

- convolutions (``F.conv1d/2d/3d``, so ``nn.Conv1d/2d/3d``): c_in/groups * k MACs per output
  value (k = product of the kernel sizes), plus 1 add per output value for a bias;
- transposed convolutions (``F.conv_transpose1d/2d/3d``): every *input* value is multiplied into
  k * c_out/groups outputs (one MAC each), plus 1 add per output value for a bias;
- ``F.linear`` (``nn.Linear``): in_features MACs per output value, plus 1 add for a bias;
- matrix products (``torch.matmul``, ``@``, ``mm``, ``bmm``): inner size MACs per output value;
- average pooling (``F.avg_pool1d/2d/3d``, e.g. :class:`nbhelpers.layers.Blur2d`): k adds per
  output value (k = window size).

Not counted: activations, resizing (``F.interpolate``, any mode), padding, ``PixelShuffle``,
normalisation, max pooling and elementwise arithmetic (memory moves or a few operations per value),
nor ``addmm``/``einsum``/attention kernels. Apart from the bias adds and average pooling this is
what ``torch.utils.flop_counter.FlopCounterMode`` counts for the same calls (it counts no bias).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from .._validate import check_input_shape, check_int, check_model
from ..runtime import model_device

_CONVS = {F.conv1d: "conv1d", F.conv2d: "conv2d", F.conv3d: "conv3d"}
_TRANSPOSED = {F.conv_transpose1d: "conv_transpose1d", F.conv_transpose2d: "conv_transpose2d",
               F.conv_transpose3d: "conv_transpose3d"}
_POOLS = {F.avg_pool1d: ("avg_pool1d", 1), F.avg_pool2d: ("avg_pool2d", 2), F.avg_pool3d: ("avg_pool3d", 3)}
_MATMULS = {torch.matmul: "matmul", torch.Tensor.matmul: "matmul", torch.Tensor.__matmul__: "matmul",
            torch.mm: "mm", torch.Tensor.mm: "mm", torch.bmm: "bmm", torch.Tensor.bmm: "bmm"}


def _arg(args: tuple, kwargs: dict, index: int, name: str, default: object = None) -> object:
    """Argument ``name`` of a torch call, given by position ``index`` or by keyword."""
    return args[index] if len(args) > index else kwargs.get(name, default)


def _call_flops(func: Callable, args: tuple, kwargs: dict, out: object) -> tuple[str, int] | None:
    """(function name, FLOPs) of one counted torch call (module docstring), or None if not counted.

    ``out`` is the call's result; the weights are (c_out, c_in/groups, *k) for a convolution,
    (c_in, c_out/groups, *k) for a transposed one and (out_features, in_features) for ``linear``.
    """
    if not isinstance(out, torch.Tensor):
        return None
    if func in _CONVS or func in _TRANSPOSED or func is F.linear:
        x, weight = _arg(args, kwargs, 0, "input"), _arg(args, kwargs, 1, "weight")
        bias = _arg(args, kwargs, 2, "bias")
        adds = out.numel() if bias is not None else 0
        if func is F.linear:
            return "linear", 2 * out.numel() * weight.shape[-1] + adds
        per_value = weight.shape[1] * math.prod(weight.shape[2:])  # MACs per output (input) value
        if func in _CONVS:
            return _CONVS[func], 2 * out.numel() * per_value + adds
        return _TRANSPOSED[func], 2 * x.numel() * per_value + adds
    if func in _MATMULS:
        return _MATMULS[func], 2 * out.numel() * _arg(args, kwargs, 0, "input").shape[-1]
    if func in _POOLS:
        name, ndim = _POOLS[func]
        size = _arg(args, kwargs, 1, "kernel_size")
        size = tuple(size) if isinstance(size, (tuple, list)) else (size,)
        return name, out.numel() * math.prod(size if len(size) == ndim else size * ndim)
    return None


class _CountingMode(TorchFunctionMode):
    """Adds the FLOPs of every counted call to ``counts[(module path, function name)]``; the path
    is the top of ``where``, the stack of the modules whose forward is running."""

    def __init__(self, where: list[str]) -> None:
        super().__init__()
        self.where = where
        self.counts: dict[tuple[str, str], int] = {}

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204 - torch API
        kwargs = kwargs or {}
        out = func(*args, **kwargs)  # this mode is off while it runs: nested calls are not seen
        counted = _call_flops(func, args, kwargs, out)
        if counted is not None:
            key = (self.where[-1], counted[0])
            self.counts[key] = self.counts.get(key, 0) + counted[1]
        return out


def _layer_names(counts: dict[tuple[str, str], int], root: str) -> dict[str, int]:
    """{(module path, function): FLOPs} -> {name: FLOPs}: a module's path (``root`` for the model
    itself) if its own forward makes one kind of counted call, else ``'<path>.<function>()'`` each
    (``'<function>()'`` at the top)."""
    kinds: dict[str, set[str]] = {}
    for path, func in counts:
        kinds.setdefault(path, set()).add(func)
    named: dict[str, int] = {}
    for (path, func), flops in counts.items():
        if len(kinds[path]) == 1:
            key = path or root
        else:
            key = f"{path}.{func}()" if path else f"{func}()"
        named[key] = named.get(key, 0) + flops
    return named


@torch.no_grad()
def count_flops(
    model: nn.Module, input_shape: Sequence[int], per_layer: bool = False
) -> int | dict[str, int]:
    """FLOPs of one forward pass of ``model`` on a batch of ``input_shape`` (batch first).

    Runs the model once, in eval mode, on zeros of ``input_shape`` and counts every convolution,
    transposed convolution, linear layer, matrix product and average pooling it calls, in 1D, 2D
    or 3D, as a module or functionally (see the module docstring: 2 FLOPs per multiply-add, 1 per
    output for a bias; resizing, padding, shuffling and activations are free). The count is for
    the whole batch: with batch 1 it is per input.

    Args:
        model: any module; it runs on the device of its parameters.
        input_shape: batch first, e.g. (1, 3, 32, 32) for one image, (1, 1, 4096) for one signal,
            (1, 16) for one code.
        per_layer: return {name: FLOPs} instead of the total. A name is the path of the module
            whose forward made the calls (``'decoder.layers.0.conv'``; the class name for the model
            itself); a module whose own forward calls several kinds of counted function gets one
            entry per kind, ``'<path>.<function>()'`` (``'conv2d()'`` for the model itself).
            Modules that count nothing are left out; the values add up to the total.

    Returns:
        total FLOPs for the batch (an int), or the per-layer dict (in the order of first call).
    """
    check_model(model)
    shape = check_input_shape(input_shape)
    where = [""]  # paths of the modules whose forward is running, innermost last

    def enter(mod: nn.Module, inputs: tuple, name: str = "") -> None:
        where.append(name)

    def leave(mod: nn.Module, inputs: tuple, output: object) -> None:
        where.pop()  # returns None: the output is left alone

    handles = []
    for name, module in model.named_modules():
        handles.append(module.register_forward_pre_hook(functools.partial(enter, name=name)))
        handles.append(module.register_forward_hook(leave))
    device = model_device(model)
    was_training = model.training
    model.eval()
    try:
        with _CountingMode(where) as mode:
            model(torch.zeros(*shape, device=device))
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    counts = _layer_names(mode.counts, type(model).__name__)
    return counts if per_layer else sum(counts.values())


def time_forward_backward(
    model: nn.Module, input_shape: Sequence[int], repeats: int = 5, warmup: int = 2
) -> float:
    """Median wall time (seconds) of one forward + backward pass on a random batch.

    The loss is the mean of the output; gradients are cleared between runs. The device is
    that of the model's parameters (synchronised on CUDA before reading the clock). Timings
    on a shared CPU are noisy: compare kinds measured in the same run, and repeat.

    Args:
        model: the module to time.
        input_shape: batch first, e.g. (8, 64, 16, 16).
        repeats, warmup: timed runs (the median counts); untimed runs first.
    """
    check_model(model)
    shape = check_input_shape(input_shape)
    repeats = check_int("repeats", repeats, 1)
    warmup = check_int("warmup", warmup, 0)
    device = model_device(model)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(*shape, generator=gen).to(device)

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    times = []
    for i in range(warmup + repeats):
        model.zero_grad(set_to_none=True)
        sync()
        start = time.perf_counter()
        model(x).mean().backward()
        sync()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    model.zero_grad(set_to_none=True)
    times.sort()
    return times[len(times) // 2]


def input_footprint(layer: nn.Module, c_in: int, scale: int, size: int = 12) -> tuple[int, int]:
    """How many input pixels (along one axis) each output pixel depends on: (min, max) over phases.

    Back-propagates from one output pixel of each phase in the middle of a (1, c_in, size,
    size) random input and counts the input rows with a non-zero gradient. E.g. nearest
    resize-convolution with a 3x3 kernel at scale 4 sees only 1 input row for half its phases,
    while a 3x3 sub-pixel convolution always sees 3.

    Args:
        layer: upsampling layer (N, c_in, H, W) -> (N, C, scale*H, scale*W), random weights.
        c_in: its input channels.
        scale: its upsampling factor.
        size: side of the probe input (large enough that the middle is far from the borders).

    Returns:
        (fewest, most) input rows seen by one output pixel, over the scale output phases.
    """
    c_in = check_int("c_in", c_in, 1)
    s = check_int("scale", scale, 1)
    size = check_int("size", size, 3)
    device = model_device(layer)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(1, c_in, size, size, generator=gen).to(device).requires_grad_(True)
    out = layer(x)
    if out.shape[-2] != s * size:
        raise ValueError(f"layer maps {size} rows to {out.shape[-2]}, not scale={s} times as many")
    widths = []
    base = s * (size // 2)
    for r in range(s):
        (grad,) = torch.autograd.grad(out[0, :, base + r, base].abs().sum(), x, retain_graph=True)
        rows = grad[0].abs().sum(dim=(0, 2)) > 0
        widths.append(int(rows.sum()))
    return min(widths), max(widths)
