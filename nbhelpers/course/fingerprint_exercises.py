"""Automatic checks for notebook 08's exercises (spectral fingerprints), like :mod:`.exercises`."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..experiments.fingerprints import spectral_loss, wilson_interval
from .checking import ExerciseFailed, _call, _callable, _fail, _ok

WILSON_CASES = [(8, 10), (0, 10), (10, 10), (50, 100), (97, 128), (3, 7), (250, 256)]


def check_wilson_interval(fn: Callable[[int, int], tuple[float, float]]) -> None:
    """Check ``fn(successes, n) -> (low, high)`` (95%) against :func:`wilson_interval`."""
    exercise = "wilson_interval"
    _callable(exercise, fn)
    for k, n in WILSON_CASES:
        case = f"successes={k}, n={n}"
        got = _call(exercise, fn, case, k, n)
        expected = tuple(round(v, 4) for v in wilson_interval(k, n))
        try:
            low, high = (float(v) for v in got)
        except (TypeError, ValueError):
            _fail(exercise, case, expected, got, "return a pair (low, high).")
        if abs(low - expected[0]) > 1e-3 or abs(high - expected[1]) > 1e-3:
            nudge = (
                "centre (p + z^2 / 2n) / (1 + z^2 / n), half-width z sqrt(p (1 - p) / n + z^2 / 4n^2) / "
                "(1 + z^2 / n), with p = successes / n and z = 1.96."
            )
            if k in (0, n) and (low < -1e-9 or high > 1 + 1e-9):
                nudge = "the Wilson interval never leaves [0, 1], even at 0 or n successes."
            elif abs((low + high) / 2 - k / n) < 1e-9 and k not in (0, n):
                nudge = "that is the normal (Wald) interval, centred on p; Wilson's centre moves towards 1/2."
            _fail(exercise, case, expected, (round(low, 4), round(high, 4)), nudge)
    _ok(exercise, len(WILSON_CASES))


def check_spectral_loss(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """Check ``fn(prediction, target) -> scalar`` against :func:`spectral_loss`: same value on
    random images, and a gradient that reaches the prediction."""
    exercise = "spectral_loss_by_hand"
    _callable(exercise, fn)
    gen = torch.Generator().manual_seed(8)
    shapes = [(2, 3, 16, 16), (3, 1, 32, 32), (1, 3, 24, 24)]
    for shape in shapes:
        case = f"random images of shape {shape}"
        target = torch.rand(shape, generator=gen)
        prediction = (target + 0.1 * torch.randn(shape, generator=gen)).requires_grad_(True)
        got = _call(exercise, fn, case, prediction, target)
        expected = float(spectral_loss(prediction.detach(), target))
        if not isinstance(got, torch.Tensor) or got.numel() != 1:
            _fail(exercise, case, round(expected, 5), got, "return a scalar tensor (one number).")
        if abs(float(got.detach()) - expected) > 1e-4 * max(1.0, expected):
            _fail(
                exercise,
                case,
                round(expected, 5),
                round(float(got.detach()), 5),
                "average the channels' power spectra (mean removed), take the ring averages by true "
                "frequency (radial_profile), drop DC, compare log10(P + 1e-6) of both, square, average.",
            )
        if not got.requires_grad:
            raise ExerciseFailed(
                f"{exercise}: for {case} the loss has no gradient: something was detached "
                "(.detach(), .numpy(), .item() or torch.no_grad()); the loss must stay "
                "a torch computation so training can use it."
            )
        (grad,) = torch.autograd.grad(got, prediction)
        if not bool(grad.abs().sum() > 0):
            _fail(exercise, case, "a non-zero gradient", "zero", "the loss must depend on the prediction.")
    _ok(exercise, len(shapes), "Its gradient reaches the prediction, so it can train a model.")
