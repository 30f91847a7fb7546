"""Automatic checks for notebook 08's exercises (spectral fingerprints), like :mod:`.exercises`."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ..experiments.fingerprints import spectral_loss
from ..measures.spectra import power_spectrum
from .checking import ExerciseFailed, _call, _callable, _fail, _number, _ok

#: (amplitude, height, width) of the checkerboards the check measures (the notebook shows 1/255 on 32x32)
CHECKERBOARD_CASES = [(0.1, 8, 8), (0.02, 16, 24), (0.5, 12, 6), (1 / 255, 64, 64), (0.003, 48, 20),
                      (0.25, 2, 4)]


def checkerboard_image(amplitude: float, height: int, width: int, seed: int = 0) -> torch.Tensor:
    """A grey image (height, width), both even: a smooth background (a constant plus a ramp along the
    rows, which puts no power at the corner of the spectrum) plus ``amplitude * (-1) ** (i + j)``."""
    gen = torch.Generator().manual_seed(seed)
    i = torch.arange(height, dtype=torch.float64)[:, None]
    j = torch.arange(width, dtype=torch.float64)[None, :]
    level, slope = torch.rand(2, generator=gen, dtype=torch.float64).tolist()
    return 0.2 + 0.5 * level + 0.3 * slope * j / width + amplitude * (-1.0) ** (i + j)


def corner_power(image: torch.Tensor) -> float:
    """The power of ``image`` (H, W) in the bin at (-1/2, -1/2) cycles/pixel, where a period-2 checkerboard
    sits: :func:`power_spectrum` (``|FFT|**2 / (H * W)``, mean removed), its bin [0, 0] once centred."""
    return float(power_spectrum(image, ndim=2)[0, 0])


def check_checkerboard_power(fn: Callable[[float, int, int], float]) -> None:
    """Check ``fn(amplitude, height, width) -> power`` against the measured power of a checkerboard
    ``amplitude * (-1) ** (i + j)`` in its bin of :func:`power_spectrum`, on sizes the notebook never uses."""
    exercise = "checkerboard_power"
    _callable(exercise, fn)
    for a, h, w in CHECKERBOARD_CASES:
        case = f"amplitude={a:.4g}, height={h}, width={w}"
        measured = corner_power(checkerboard_image(a, h, w))
        value = _number(exercise, case, measured, _call(exercise, fn, case, a, h, w), "a number (the power)")
        if math.isclose(value, measured, rel_tol=1e-6):
            continue
        n = h * w
        mirror = "the checkerboard's frequency (-1/2, -1/2) is its own mirror image"
        wrong = {
            a**2: "the FFT sums all H·W pixels: the corner coefficient is a·H·W, and power_spectrum "
                  "divides its square by H·W only once.",
            (a * n) ** 2: "power_spectrum divides |FFT|² by the number of pixels, H·W.",
            a * n: "a power is an amplitude squared.",
            a**2 * n / 2: f"a cosine at another frequency splits its power between +f and -f, but {mirror}: "
                          "one bin holds it all.",
            a**2 * n / 4: f"{mirror} along both axes: one bin holds all of its power.",
        }
        nudge = next((why for guess, why in wrong.items() if math.isclose(value, guess, rel_tol=1e-6)),
                     "Parseval: the bins of power_spectrum add up to the image's energy, the sum of its "
                     "squared (mean-removed) pixels; how many bins does the checkerboard's energy share?")
        _fail(exercise, case, measured, value, nudge)
    _ok(exercise, len(CHECKERBOARD_CASES))


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
