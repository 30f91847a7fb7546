"""Automatic checks for the notebooks' exercises.

Each ``check_*`` function runs the student's function or class on several cases, including
cases the notebook never shows, and compares its *behaviour* with nbhelpers' own functions
(never with a stored answer). On success it prints a short confirmation; on failure it raises
:class:`ExerciseFailed` (an ``AssertionError``) saying which input was tried, what was
expected, what came back, and a nudge.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from ..experiments.stacking import analyze_stack
from ..layers.cost import count_flops
from ..layers.phases import phase_sums
from ..layers.upsampling import ResizeConv2d, SubPixelConv2d
from ..measures.overlap import coverage, unevenness
from ..measures.periodic import checkerboard_index, phase_ratio, polyphase_means
from .checking import ExerciseFailed, _call, _callable, _fail, _number, _ok

# ---------------------------------------------------------------------------------------------
# Notebook 01
# ---------------------------------------------------------------------------------------------

COVERAGE_CASES = [(3, 2, 4), (4, 2, 3), (5, 3, 4), (1, 2, 3), (2, 3, 2), (7, 4, 5), (6, 1, 2), (3, 3, 1)]


def check_coverage_by_hand(fn: Callable[[int, int, int], Sequence[int]]) -> None:
    """Check ``fn(kernel_size, stride, n_in) -> list of ints`` against :func:`coverage`."""
    exercise = "coverage_by_hand"
    _callable(exercise, fn)
    for k, s, n in COVERAGE_CASES:
        case = f"kernel_size={k}, stride={s}, n_in={n}"
        got = _call(exercise, fn, case, k, s, n)
        expected = coverage(k, s, n_in=n, device="cpu").tolist()
        try:
            got_list = [int(v) for v in (got.tolist() if isinstance(got, torch.Tensor) else got)]
        except (TypeError, ValueError):
            _fail(exercise, case, expected, got, "return a list of integers, one per output position.")
        if len(got_list) != len(expected):
            _fail(exercise, case, expected, got_list,
                  f"the output has (n_in - 1) * stride + kernel_size = {len(expected)} positions: "
                  "input i paints positions i*stride up to i*stride + kernel_size - 1.")
        if got_list != expected:
            _fail(exercise, case, expected, got_list,
                  "loop over the inputs i and add 1 to every output position in the window "
                  "[i*stride, i*stride + kernel_size).")
    _ok(exercise, len(COVERAGE_CASES))


def check_unevenness_formula(fn: Callable[[int, int], float]) -> None:
    """Check ``fn(kernel_size, stride) -> float`` against :func:`unevenness` for k <= 12, s <= 5."""
    exercise = "unevenness_formula"
    _callable(exercise, fn)
    cases = [(k, s) for s in range(1, 6) for k in range(1, 13)]
    for k, s in cases:
        case = f"kernel_size={k}, stride={s}"
        got = _call(exercise, fn, case, k, s)
        expected = unevenness(k, s)
        value = _number(exercise, case, expected, got, "a number (float('inf') for gaps)")
        if math.isinf(expected) != math.isinf(value) or (
            not math.isinf(expected) and abs(value - expected) > 1e-9
        ):
            nudge = ("when the kernel is shorter than the stride some outputs get no paint: "
                     "return float('inf').") if k < s else (
                "an interior output is covered by either floor(k/s) or ceil(k/s) windows.")
            _fail(exercise, case, expected, value, nudge)
    _ok(exercise, len(cases))


def check_checkerboard_index_by_hand(fn: Callable[[torch.Tensor, int], float]) -> None:
    """Check ``fn(image (H, W), period) -> float`` against :func:`checkerboard_index`."""
    exercise = "checkerboard_index_by_hand"
    _callable(exercise, fn)
    gen = torch.Generator().manual_seed(7)
    cases = []
    for h, w, p in [(8, 8, 2), (12, 9, 3), (16, 16, 4), (10, 10, 2), (7, 11, 2)]:
        image = torch.rand(h, w, generator=gen)
        image[::p, ::p] += 0.5  # a period-p pattern on top of noise
        cases.append((image, p))
    for image, p in cases:
        case = f"an image of shape {tuple(image.shape)} at period {p}"
        got = _call(exercise, fn, case, image.clone(), p)
        expected = checkerboard_index(image, p, ndim=2).item()
        value = _number(exercise, case, round(expected, 4), got, "a single number")
        if abs(value - expected) > 1e-4 * max(1.0, expected):
            means = polyphase_means(image, p, ndim=2)
            pop, sample = image.std(unbiased=False).item(), image.std().item()
            largest = (means - means.mean()).abs().max().item() / pop
            nudge = ("crop the image to a multiple of the period first (top-left corner), take the "
                     "mean of each image[r::p, c::p], subtract the mean of those means, and divide "
                     "their rms by image.std(unbiased=False).")
            if abs(value - expected * pop / sample) < 1e-4:
                nudge = "use the population standard deviation: image.std(unbiased=False)."
            elif abs(value - largest) < 1e-4:
                nudge = "take the rms (root of the mean of squares) of the periodic part, not its maximum."
            _fail(exercise, case, round(expected, 4), round(value, 4), nudge)
    _ok(exercise, len(cases))


# ---------------------------------------------------------------------------------------------
# Notebook 02
# ---------------------------------------------------------------------------------------------


def check_stack_periods(fn: Callable[[Sequence[int], Sequence[int]], Sequence[int]]) -> None:
    """Check ``fn(kernel_sizes, strides) -> sorted periods`` where the stack has structure."""
    exercise = "stack_periods"
    _callable(exercise, fn)
    cases = [([3, 3], [2, 2]), ([3, 3, 3], [2, 2, 2]), ([4, 4], [2, 2]), ([3], [3]), ([5, 3], [2, 2]),
             ([4, 3], [2, 2]), ([2, 2, 2], [2, 2, 2]), ([3, 4], [2, 2]), ([5], [3])]
    for ks, ss in cases:
        case = f"kernel_sizes={ks}, strides={ss}"
        got = _call(exercise, fn, case, list(ks), list(ss))
        stack = analyze_stack(ks, ss)
        expected = [p for p, v in zip(stack.periods, stack.indices.tolist()) if v > 1e-6]
        try:
            got_list = sorted(int(p) for p in got)
        except (TypeError, ValueError):
            _fail(exercise, case, expected, got, "return a list of integer periods.")
        if got_list != expected:
            extra = set(got_list) - set(expected)
            nudge = ("only the divisors of the product of the strides can appear; check each one "
                     "with the exact-period index of the interior coverage.")
            if extra and not expected:
                nudge = ("this stack's interior coverage is flat: every stride divides its kernel "
                         "size, so there is no period at all.")
            elif extra:
                nudge = (f"period(s) {sorted(extra)} divide the total stride but carry no structure "
                         "here: a period is present only when its exact-period index is non-zero.")
            _fail(exercise, case, expected, got_list, nudge)
    _ok(exercise, len(cases))


FLATTEN_CASES = [([3, 3], [2, 2], 12), ([3, 3, 3], [2, 2, 2], 17), ([4, 4], [2, 2], 12),
                 ([4, 3], [2, 2], 12), ([3, 4], [2, 2], 9), ([3, 3], [2, 3], 12), ([4], [3], 12),
                 ([7], [4], 13), ([5, 2], [3, 2], 13)]


def _flattening_sizes(kernel_sizes: Sequence[int], strides: Sequence[int], max_size: int) -> list[int]:
    """The sizes m in 1..max_size after which the stack's interior has no ripple left at any period,
    found by adding each final stride-1 layer of m ones and measuring (no rule assumed)."""
    def flat(m: int) -> bool:
        ripples = analyze_stack(list(kernel_sizes), list(strides), final_size=m).ripples
        return all(r < 1e-9 for r in ripples.tolist())

    return [m for m in range(1, max_size + 1) if flat(m)]


def check_flattening_sizes(fn: Callable[[Sequence[int], Sequence[int], int], Sequence[int]]) -> None:
    """Check ``fn(kernel_sizes, strides, max_size) -> sorted sizes m`` of a final stride-1 layer of
    ones that leave the stack's interior flat, against adding each such layer and measuring."""
    exercise = "flattening_sizes"
    _callable(exercise, fn)
    for ks, ss, top in FLATTEN_CASES:
        case = f"kernel_sizes={ks}, strides={ss}, max_size={top}"
        got = _call(exercise, fn, case, list(ks), list(ss), top)
        expected = _flattening_sizes(ks, ss, top)
        try:
            got_list = sorted(int(m) for m in got)
        except (TypeError, ValueError):
            _fail(exercise, case, expected, got, "return a list of integer sizes m.")
        if got_list != expected:
            total = math.prod(ss)
            nudge = ("m must be a multiple of every period the stack has (exercise 1), and of nothing "
                     "else: section 2's box filter removes period p exactly when p divides m.")
            if got_list == [m for m in range(1, top + 1) if m % total == 0]:
                nudge = (f"not every divisor of the total stride {total} is a period of this stack: "
                         "only the periods it actually has (exercise 1) need to divide m.")
            elif expected == list(range(1, top + 1)):
                nudge = ("this stack's interior is already flat (no period at all): every m keeps it "
                         "flat, m = 1 included.")
            elif got_list and all(total % m == 0 for m in got_list) and set(got_list) - set(expected):
                nudge = ("the rule is 'p divides m', not 'm divides p': a box of size 4 removes "
                         "periods 2 and 4.")
            elif set(expected) - set(got_list) <= {1, top} and set(got_list) <= set(expected):
                nudge = "the sizes run from 1 to max_size, both included."
            _fail(exercise, case, expected, got_list, nudge)
    _ok(exercise, len(FLATTEN_CASES), "A final layer fixes a stack only when its size fits every period.")


# ---------------------------------------------------------------------------------------------
# Notebook 03
# ---------------------------------------------------------------------------------------------


def check_flat_phase_sums(fn: Callable[[torch.Tensor, int, int], torch.Tensor]) -> None:
    """Check ``fn(kernel (k, k), stride, padding) -> (stride, stride)`` against ``phase_sums``."""
    exercise = "flat_phase_sums"
    _callable(exercise, fn)
    gen = torch.Generator().manual_seed(3)
    cases = [(3, 2, 1), (4, 2, 1), (5, 2, 2), (3, 3, 0), (4, 2, 0), (6, 3, 1)]
    for k, s, p in cases:
        kernel = torch.randn(k, k, generator=gen)
        case = f"a random {k}x{k} kernel, stride={s}, padding={p}"
        got = _call(exercise, fn, case, kernel.clone(), s, p)
        expected = phase_sums(kernel.view(1, 1, k, k), s, p)[0]
        got_t = torch.as_tensor(got, dtype=expected.dtype) if not isinstance(got, torch.Tensor) else got
        if tuple(got_t.shape) != (s, s):
            _fail(exercise, case, f"a tensor of shape {(s, s)}", f"shape {tuple(got_t.shape)}",
                  "one entry per output phase (row parity, column parity).")
        if not torch.allclose(got_t.to(expected.dtype).cpu(), expected, atol=1e-5):
            nudge = ("output position o receives tap t when o = stride*i - padding + t, so tap t "
                     "feeds phase (t - padding) mod stride along each axis; add up the taps of "
                     "each (row phase, column phase).")
            unpadded = phase_sums(kernel.view(1, 1, k, k), s, 0)[0]
            if torch.allclose(got_t.to(expected.dtype).cpu(), unpadded, atol=1e-5):
                nudge = "the padding shifts which phase a tap lands in: use (t - padding) mod stride."
            _fail(exercise, case, [[round(v, 3) for v in row] for row in expected.tolist()],
                  [[round(float(v), 3) for v in row] for row in got_t.tolist()], nudge)
    _ok(exercise, len(cases))


def check_resize_conv(layer_class: type) -> None:
    """Check a resize-convolution layer class ``layer_class(c_in, c_out)`` that doubles H and W."""
    exercise = "resize-convolution layer"
    if not isinstance(layer_class, type) or not issubclass(layer_class, nn.Module):
        raise ExerciseFailed(f"{exercise}: pass your nn.Module subclass itself, got {layer_class!r}")
    cases = [(3, 5, (2, 3, 5, 7)), (8, 2, (1, 8, 6, 6)), (1, 1, (4, 1, 3, 4))]
    for c_in, c_out, shape in cases:
        case = f"{layer_class.__name__}({c_in}, {c_out}) on an input of shape {shape}"
        torch.manual_seed(0)
        layer = _call(exercise, layer_class, case, c_in, c_out)
        if any(isinstance(m, (nn.ConvTranspose1d, nn.ConvTranspose2d)) for m in layer.modules()):
            raise ExerciseFailed(f"{exercise}: {case} contains a transposed convolution; resize first "
                                 "(e.g. F.interpolate(..., mode='nearest')), then convolve.")
        if not any(p.requires_grad for p in layer.parameters()):
            raise ExerciseFailed(f"{exercise}: {case} has no trainable parameters: the convolution "
                                 "after the resize is what the network learns.")
        x = torch.randn(shape)
        y = _call(exercise, layer, case, x)
        expected = (shape[0], c_out, 2 * shape[2], 2 * shape[3])
        if not isinstance(y, torch.Tensor) or tuple(y.shape) != expected:
            _fail(exercise, case, f"output shape {expected}",
                  f"shape {tuple(y.shape)}" if isinstance(y, torch.Tensor) else y,
                  "double the height and width with the resize, and pad the convolution so it keeps "
                  "the size (padding = kernel_size // 2).")
        flat = _call(exercise, layer, case, torch.ones(2, c_in, 8, 8)).detach()
        inner = flat[..., 2:-2, 2:-2]
        if inner.std() > 1e-5 and checkerboard_index(inner, 2, ndim=2, reduce="batch").item() > 1e-4:
            raise ExerciseFailed(
                f"{exercise}: on a constant input the interior of the output should be constant, but "
                f"it has a period-2 pattern (index {checkerboard_index(inner, 2, ndim=2).item():.3f}). "
                "Hint: resize with nearest or bilinear interpolation, then a stride-1 convolution."
            )
    _ok(exercise, len(cases), "A constant input stays constant: no checkerboard by construction.")


# ---------------------------------------------------------------------------------------------
# Notebook 04
# ---------------------------------------------------------------------------------------------


def check_input_gradient(fn: Callable[..., torch.Tensor]) -> None:
    """Check ``fn(grad_output, weight, stride, padding, input_size) -> grad_input`` against autograd.

    ``grad_output`` is (N, C_out, H', W'), ``weight`` the Conv2d weight (C_out, C_in, k, k),
    ``input_size`` the (H, W) of the convolution's input; the result is (N, C_in, H, W).
    """
    exercise = "input_gradient"
    _callable(exercise, fn)
    gen = torch.Generator().manual_seed(11)
    cases = [(3, 2, 1, 10), (3, 2, 1, 9), (4, 2, 1, 12), (2, 2, 0, 8), (5, 3, 2, 11), (3, 1, 1, 7)]
    for k, s, p, n in cases:
        weight = torch.randn(4, 3, k, k, generator=gen)
        x = torch.randn(2, 3, n, n, generator=gen, requires_grad=True)
        y = torch.nn.functional.conv2d(x, weight, stride=s, padding=p)
        grad_output = torch.randn(y.shape, generator=gen)
        (expected,) = torch.autograd.grad(y, x, grad_output)
        case = f"k={k}, stride={s}, padding={p}, input {n}x{n}"
        got = _call(exercise, fn, case, grad_output.clone(), weight.clone(), s, p, (n, n))
        if not isinstance(got, torch.Tensor) or tuple(got.shape) != tuple(expected.shape):
            shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
            _fail(exercise, case, f"a tensor of shape {tuple(expected.shape)}", shape,
                  "the backward pass of a strided convolution is F.conv_transpose2d with the same "
                  "weight, stride and padding; output_padding adds the rows and columns the "
                  "stride dropped: input size - ((H' - 1) * stride - 2 * padding + k).")
        if not torch.allclose(got.detach().cpu(), expected, atol=1e-4):
            _fail(exercise, case, "autograd's input gradient",
                  f"values off by up to {(got.detach().cpu() - expected).abs().max().item():.3g}",
                  "use the weight as it is (conv_transpose2d flips it for you) with the convolution's "
                  "own stride and padding.")
    _ok(exercise, len(cases), "The backward pass of a strided convolution is a transposed one.")


def check_smooth_downsampler(layer_class: type, seeds: Sequence[int] = range(6)) -> None:
    """Check a layer ``layer_class(c_in, c_out)`` that halves H and W with an even input gradient.

    Over several seeds, the strongest/weakest phase ratio of mean |input gradient| (for a random
    readout of the output) must average at most 1.25, and the batch-averaged gradient index at
    most half that of a stride-2, k=3 convolution measured the same way.
    """
    exercise = "checkerboard-free downsampling"
    if not isinstance(layer_class, type) or not issubclass(layer_class, nn.Module):
        raise ExerciseFailed(f"{exercise}: pass your nn.Module subclass itself, got {layer_class!r}")

    def gradients(make: Callable[[], nn.Module], seed: int, case: str) -> torch.Tensor:
        torch.manual_seed(seed)
        layer = _call(exercise, make, case)
        gen = torch.Generator().manual_seed(seed)
        x = torch.rand(16, 3, 32, 32, generator=gen, requires_grad=True)
        y = _call(exercise, layer, case, x)
        if not isinstance(y, torch.Tensor) or tuple(y.shape[-2:]) != (16, 16) or y.shape[1] != 8:
            _fail(exercise, case, "output shape (16, 8, 16, 16)",
                  tuple(y.shape) if isinstance(y, torch.Tensor) else y,
                  "halve height and width (e.g. a stride-1 convolution, then a pooling or blur-pool "
                  "layer with stride 2).")
        if not any(q.requires_grad for q in layer.parameters()):
            raise ExerciseFailed(f"{exercise}: {case} has no trainable parameters; keep a convolution.")
        (grad,) = torch.autograd.grad((y * torch.randn(y.shape, generator=gen)).sum(), x)
        return grad

    case = f"{layer_class.__name__}(3, 8) on random 32x32 inputs"
    ratios, indices, reference = [], [], []
    for seed in seeds:
        grad = gradients(lambda: layer_class(3, 8), seed, case)
        ratios.append(phase_ratio(grad.abs(), 2, ndim=2).item())
        indices.append(checkerboard_index(grad.abs(), 2, ndim=2, reduce="batch").item())
        strided = gradients(lambda: nn.Conv2d(3, 8, 3, stride=2, padding=1), seed, "reference")
        reference.append(checkerboard_index(strided.abs(), 2, ndim=2, reduce="batch").item())
    ratio = sum(ratios) / len(ratios)
    index = sum(indices) / len(indices)
    limit = 0.5 * sum(reference) / len(reference)
    if ratio > 1.25 or index > limit:
        _fail(exercise, case, f"phase ratio <= 1.25 and gradient index <= {limit:.3f}",
              f"phase ratio {ratio:.2f}, gradient index {index:.3f}",
              "some input pixels still get more gradient than their neighbours. Downsample with an "
              "operation that treats every input pixel alike: a stride-1 convolution followed by "
              "average pooling or a blur before subsampling (BlurPool), or a kernel size that the "
              "stride divides.")
    _ok(exercise, len(list(seeds)),
        f"Phase ratio {ratio:.2f} (a k=3, stride-2 convolution: about 2), gradient index {index:.3f}.")


# ---------------------------------------------------------------------------------------------
# Notebook 05
# ---------------------------------------------------------------------------------------------


def check_icnr(fn: Callable[[torch.Tensor, int], object]) -> None:
    """Check ``fn(weight (c_out*s*s, c_in, k, k), scale)`` fills the weight ICNR-style in place.

    Behavioural check: after ``fn``, a convolution with that weight followed by
    ``nn.PixelShuffle(scale)`` must give every one of the s*s output phases the same values,
    and the sub-kernel must be one drawn before (not zeros or a constant).
    """
    exercise = "icnr"
    _callable(exercise, fn)
    cases = [(2, 3, 4, 3), (3, 2, 1, 3), (2, 1, 2, 1), (4, 2, 3, 3)]
    for s, c_in, c_out, k in cases:
        case = f"scale={s}, weight of shape {(c_out * s * s, c_in, k, k)}"
        torch.manual_seed(s + c_in)
        conv = nn.Conv2d(c_in, c_out * s * s, k, padding=k // 2, bias=False)
        before = conv.weight.detach().clone()
        with torch.no_grad():
            _call(exercise, fn, case, conv.weight, s)
        weight = conv.weight.detach()
        if weight.abs().max() == 0 or weight.std() < 1e-6:
            _fail(exercise, case, "copies of one random sub-kernel", "all zeros or one constant",
                  "keep the random values of one sub-kernel and copy them, do not overwrite them.")
        sub = weight.view(c_out, s * s, c_in, k, k)[:, 0]
        if sub.abs().max() > 1.01 * before.abs().max():
            _fail(exercise, case, "sub-kernels drawn like a normal convolution's weights",
                  f"values up to {sub.abs().max():.3g}", "draw (or keep) one sub-kernel with the "
                  "usual initialisation and copy it.")
        y = nn.PixelShuffle(s)(conv(torch.randn(2, c_in, 5, 6)))
        phases = [y[..., r::s, c::s] for r in range(s) for c in range(s)]
        if not all(torch.allclose(p, phases[0], atol=1e-5) for p in phases[1:]):
            _fail(exercise, case, "all output phases identical after PixelShuffle", "phases that differ",
                  "PixelShuffle builds output channel c from input channels c*s*s ... c*s*s + s*s - 1: "
                  "the s*s copies of a sub-kernel must be adjacent (torch.repeat_interleave), not "
                  "interleaved with other channels (torch.repeat / cat).")
    _ok(exercise, len(cases), "A fresh ICNR sub-pixel layer paints no checkerboard.")


def check_upsampler_flops(fn: Callable[[str, int, int, int, int, int, int], int]) -> None:
    """Check ``fn(kind, c_in, c_out, height, width, scale, kernel_size) -> FLOPs`` by hand.

    ``kind`` is 'nearest' (resize, then a k x k convolution at the high resolution) or
    'subpixel' (a k x k convolution to c_out*s*s channels at the low resolution, then
    PixelShuffle). Compared with :func:`nbhelpers.layers.cost.count_flops` (2 FLOPs per multiply-add,
    plus one per output for the bias; resizing and shuffling are free).
    """
    exercise = "upsampler_flops"
    _callable(exercise, fn)
    cases = [("nearest", 3, 8, 8, 8, 2, 3), ("subpixel", 3, 8, 8, 8, 2, 3), ("nearest", 16, 4, 5, 7, 3, 5),
             ("subpixel", 16, 4, 5, 7, 3, 5), ("subpixel", 2, 2, 4, 4, 4, 1), ("nearest", 1, 1, 3, 3, 2, 1)]
    for kind, c_in, c_out, h, w, s, k in cases:
        case = f"kind={kind!r}, c_in={c_in}, c_out={c_out}, {h}x{w} input, scale={s}, kernel_size={k}"
        layer = (ResizeConv2d(c_in, c_out, s, "nearest", k, padding_mode="zeros") if kind == "nearest"
                 else SubPixelConv2d(c_in, c_out, s, k, icnr=False, padding_mode="zeros"))
        expected = count_flops(layer, (1, c_in, h, w))
        got = _call(exercise, fn, case, kind, c_in, c_out, h, w, s, k)
        value = _number(exercise, case, expected, got, "an integer number of FLOPs")
        if value != expected:
            nudge = ("count outputs x (2 x c_in x k x k) plus one add per output for the bias; the "
                     "resize-convolution's outputs are at the high resolution (s*h x s*w, c_out "
                     "channels), the sub-pixel convolution's at the low one (h x w, c_out*s*s).")
            if abs(2 * value - expected) <= 0.2 * expected:
                nudge = "a multiply-add counts as 2 FLOPs."
            _fail(exercise, case, expected, int(value), nudge)
    _ok(exercise, len(cases), "Same kernel, same FLOPs: sub-pixel's saving needs a wider resize kernel.")
