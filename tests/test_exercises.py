"""Every check accepts a correct answer and rejects plausible wrong ones with a useful message."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nbhelpers.course import exercises as ex
from nbhelpers.course.checking import ExerciseFailed

# --- correct answers (written independently of the library, as a student would) -----------------


def coverage_ok(k, s, n):
    out = [0] * ((n - 1) * s + k)
    for i in range(n):
        for j in range(i * s, i * s + k):
            out[j] += 1
    return out


def unevenness_ok(k, s):
    return math.inf if k < s else math.ceil(k / s) / (k // s)


def index_ok(image, p):
    h, w = (image.shape[0] // p) * p, (image.shape[1] // p) * p
    image = image[:h, :w]
    means = torch.stack([torch.stack([image[r::p, c::p].mean() for c in range(p)]) for r in range(p)])
    part = means - means.mean()
    return (part.pow(2).mean().sqrt() / image.std(unbiased=False)).item()


def periods_ok(ks, ss):
    period = math.prod(ss)
    full = [1] * 12
    for k, s in zip(ks, ss):  # coverage of the stack by loops
        out = [0] * ((len(full) - 1) * s + k)
        for i, value in enumerate(full):
            for t in range(k):
                out[i * s + t] += value
        full = out
    one = torch.tensor(full[len(full) // 2 // period * period :][:period], dtype=torch.float64)
    n = len(one)
    spectrum = torch.fft.fft(one - one.mean()).abs()
    found = set()
    for a in range(1, n):
        if spectrum[a] > 1e-6:
            found.add(n // math.gcd(a, n))
    return sorted(found)


def flattening_ok(ks, ss, max_size):
    found = periods_ok(ks, ss)
    step = math.lcm(*found) if found else 1
    return [m for m in range(1, max_size + 1) if m % step == 0]


def flattening_by_total_stride(ks, ss, max_size):
    return [m for m in range(1, max_size + 1) if m % math.prod(ss) == 0]


def flattening_divisors(ks, ss, max_size):
    found = periods_ok(ks, ss)
    return [m for m in range(1, max_size + 1) if found and max(found) % m == 0]


def flattening_forgets_flat(ks, ss, max_size):
    return flattening_ok(ks, ss, max_size) if periods_ok(ks, ss) else []


def flattening_short_range(ks, ss, max_size):
    return flattening_ok(ks, ss, max_size - 1)


def phase_sums_ok(kernel, s, p):
    k = kernel.shape[0]
    out = torch.zeros(s, s)
    for a in range(k):
        for b in range(k):
            out[(a - p) % s, (b - p) % s] += kernel[a, b]
    return out


class ResizeConvOk(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1, padding_mode="replicate")

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2, mode="nearest"))


CORRECT = [
    (ex.check_coverage_by_hand, coverage_ok),
    (ex.check_unevenness_formula, unevenness_ok),
    (ex.check_checkerboard_index_by_hand, index_ok),
    (ex.check_stack_periods, periods_ok),
    (ex.check_flattening_sizes, flattening_ok),
    (ex.check_flat_phase_sums, phase_sums_ok),
    (ex.check_resize_conv, ResizeConvOk),
]


@pytest.mark.parametrize("check, answer", CORRECT, ids=[c.__name__ for c, _ in CORRECT])
def test_correct_answers_pass(check, answer, capsys):
    check(answer)
    assert "✓" in capsys.readouterr().out


# --- plausible wrong answers ------------------------------------------------------------------


class Deconv(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.up = nn.ConvTranspose2d(c_in, c_out, 4, 2, 1)

    def forward(self, x):
        return self.up(x)


class NoPadding(ResizeConvOk):
    def __init__(self, c_in, c_out):
        super().__init__(c_in, c_out)
        self.conv = nn.Conv2d(c_in, c_out, 3)


class FrozenBlur(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()

    def forward(self, x):
        return F.interpolate(x, scale_factor=2)


def index_sample_std(image, p):
    crop = image[: image.shape[0] // p * p, : image.shape[1] // p * p]
    return index_ok(image, p) * crop.std(unbiased=False).item() / crop.std().item()


def powers_of_the_stride(strides):
    return [strides[0] ** j for j in range(1, len(strides) + 1)]


def not_implemented(*args):
    raise NotImplementedError("Exercise")


WRONG = [
    (ex.check_coverage_by_hand, lambda k, s, n: [1] * (n * s), "positions"),
    (ex.check_coverage_by_hand, lambda k, s, n: coverage_ok(k, s, n)[:-1] + [0], "window"),
    (ex.check_unevenness_formula, lambda k, s: (k // s + 1) / (k // s) if k >= s else math.inf, "ceil"),
    (ex.check_unevenness_formula, lambda k, s: math.ceil(k / s) / max(1, k // s), "inf"),
    (ex.check_checkerboard_index_by_hand, lambda im, p: index_sample_std(im, p), "unbiased=False"),
    (ex.check_checkerboard_index_by_hand, lambda im, p: 0.0, "crop"),
    (ex.check_stack_periods, lambda ks, ss: [2], "divisors"),
    (ex.check_stack_periods, lambda ks, ss: powers_of_the_stride(ss), "flat"),
    (ex.check_flattening_sizes, flattening_by_total_stride, "total stride"),
    (ex.check_flattening_sizes, flattening_divisors, "p divides m"),
    (ex.check_flattening_sizes, flattening_forgets_flat, "already flat"),
    (ex.check_flattening_sizes, flattening_short_range, "both included"),
    (ex.check_flat_phase_sums, lambda kern, s, p: phase_sums_ok(kern, s, 0), "padding shifts"),
    (ex.check_flat_phase_sums, lambda kern, s, p: torch.full((s, s), kern.sum().item() / s**2), "tap t"),
    (ex.check_resize_conv, Deconv, "transposed convolution"),
    (ex.check_resize_conv, NoPadding, "padding"),
    (ex.check_resize_conv, FrozenBlur, "no trainable parameters"),
]


@pytest.mark.parametrize("check, answer, words", WRONG,
                         ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(WRONG)])
def test_wrong_answers_get_a_specific_hint(check, answer, words):
    with pytest.raises(ExerciseFailed) as info:
        check(answer)
    message = str(info.value)
    assert words in message, message


def test_each_check_rejects_at_least_two_wrong_answers():
    counts = {}
    for check, _, _ in WRONG:
        counts[check] = counts.get(check, 0) + 1
    assert all(counts.get(check, 0) >= 2 for check, _ in CORRECT)


def test_unfinished_exercise_is_a_clean_not_implemented_error():
    with pytest.raises(NotImplementedError, match="not implemented yet"):
        ex.check_coverage_by_hand(not_implemented)


def test_failures_are_assertion_errors_and_name_the_input():
    with pytest.raises(AssertionError, match="kernel_size=3, stride=2, n_in=4"):
        ex.check_coverage_by_hand(lambda k, s, n: [0])


def test_checks_do_not_contain_answers():
    import inspect

    source = inspect.getsource(ex)
    assert "### BEGIN SOLUTION" not in source
    assert "[1, 1, 2, 1, 2" not in source  # no pasted coverage lists


# --- notebook 04 --------------------------------------------------------------------------


def input_gradient_ok(grad_output, weight, stride, padding, input_size):
    k = weight.shape[-1]
    extra = [n - ((m - 1) * stride - 2 * padding + k) for n, m in zip(input_size, grad_output.shape[-2:])]
    return F.conv_transpose2d(grad_output, weight, stride=stride, padding=padding,
                              output_padding=tuple(extra))


class BlurDown(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1)

    def forward(self, x):
        return F.avg_pool2d(self.conv(x), 2)


class StridedK3(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x)


class SubsampleAfterConv(BlurDown):
    def forward(self, x):
        return self.conv(x)[..., ::2, ::2]


class NoDownsampling(BlurDown):
    def forward(self, x):
        return self.conv(x)


def test_notebook04_correct_answers(capsys):
    ex.check_input_gradient(input_gradient_ok)
    ex.check_smooth_downsampler(BlurDown)
    assert capsys.readouterr().out.count("✓") == 2


@pytest.mark.parametrize("answer, words", [
    (lambda g, w, s, p, size: F.conv_transpose2d(g, w, stride=s, padding=p), "output_padding"),
    (lambda g, w, s, p, size: input_gradient_ok(g, w.flip(-1, -2), s, p, size), "as it is"),
    (lambda g, w, s, p, size: F.interpolate(g, size=size)[:, :3], "values off"),
])
def test_input_gradient_wrong_answers(answer, words):
    with pytest.raises(ExerciseFailed, match=words):
        ex.check_input_gradient(answer)


@pytest.mark.parametrize("answer, words", [
    (StridedK3, "more gradient"), (SubsampleAfterConv, "more gradient"), (NoDownsampling, "halve"),
])
def test_smooth_downsampler_wrong_answers(answer, words):
    with pytest.raises(ExerciseFailed, match=words):
        ex.check_smooth_downsampler(answer)


# --- notebook 05 --------------------------------------------------------------------------


def icnr_ok(weight, scale):
    sub = weight[: weight.shape[0] // scale**2].clone()
    weight.copy_(sub.repeat_interleave(scale**2, dim=0))


def flops_ok(kind, c_in, c_out, h, w, s, k):
    if kind == "nearest":
        outputs = c_out * (s * h) * (s * w)
    else:
        outputs = c_out * s * s * h * w
    return outputs * (2 * c_in * k * k + 1)


def test_notebook05_correct_answers(capsys):
    ex.check_icnr(icnr_ok)
    ex.check_upsampler_flops(flops_ok)
    assert capsys.readouterr().out.count("✓") == 2


@pytest.mark.parametrize("answer, words", [
    (lambda w, s: w.copy_(w[: w.shape[0] // s**2].repeat(s**2, 1, 1, 1)), "repeat_interleave"),
    (lambda w, s: w.zero_(), "all zeros"),
    (lambda w, s: w.copy_(w[: w.shape[0] // s**2].repeat_interleave(s**2, dim=0) * 100), "usual"),
])
def test_icnr_wrong_answers(answer, words):
    with pytest.raises(ExerciseFailed, match=words):
        ex.check_icnr(answer)


@pytest.mark.parametrize("answer, words", [
    (lambda kind, c_in, c_out, h, w, s, k: c_out * h * w * (2 * c_in * k * k + 1), "high resolution"),
    (lambda kind, c_in, c_out, h, w, s, k: flops_ok(kind, c_in, c_out, h, w, s, k) // 2, "2 FLOPs"),
])
def test_flops_wrong_answers(answer, words):
    with pytest.raises(ExerciseFailed, match=words):
        ex.check_upsampler_flops(answer)
