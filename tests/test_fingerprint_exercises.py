"""Notebook 08's exercise checks accept right answers and explain wrong ones."""

import pytest
import torch

from nbhelpers.course.checking import ExerciseFailed
from nbhelpers.course.fingerprint_exercises import (
    CHECKERBOARD_CASES,
    check_checkerboard_power,
    check_spectral_loss,
    checkerboard_image,
    corner_power,
)
from nbhelpers.measures.spectra import power_spectrum, radial_profile


def by_hand(prediction, target):
    levels = []
    for x in (prediction, target):
        _, profile = radial_profile(power_spectrum(x.double(), ndim=2).mean(dim=1))
        levels.append(torch.log10(profile[:, 1:] + 1e-6))
    return (levels[0] - levels[1]).pow(2).mean()


def test_right_answers_pass(capsys):
    check_checkerboard_power(lambda a, h, w: a * a * h * w)
    check_spectral_loss(by_hand)
    assert capsys.readouterr().out.count("✓") == 2


def test_the_checkerboard_cases_are_not_the_notebooks_and_measure_the_checkerboard_alone():
    assert all((h, w) != (32, 32) for _, h, w in CHECKERBOARD_CASES)
    image = checkerboard_image(0.1, 16, 16, seed=3)
    assert corner_power(image) == pytest.approx(0.1**2 * 256, rel=1e-9)
    background = checkerboard_image(0.0, 16, 16, seed=3)
    assert corner_power(background) < 1e-20  # the background adds nothing at the corner
    assert float(power_spectrum(background, ndim=2).sum()) > 0.01  # but it is not flat


@pytest.mark.parametrize(("wrong", "hint"), [
    (lambda a, h, w: a * a, "sums all"),
    (lambda a, h, w: (a * h * w) ** 2, "divides"),
    (lambda a, h, w: a * h * w, "amplitude squared"),
    (lambda a, h, w: a * a * h * w / 2, "mirror"),
    (lambda a, h, w: a * a * h * w / 4, "mirror"),
    (lambda a, h, w: a * a * h * w / 3, "Parseval"),
    (lambda a, h, w: "big", "return a number"),
])
def test_wrong_checkerboard_powers_are_explained(wrong, hint):
    with pytest.raises(ExerciseFailed, match=hint):
        check_checkerboard_power(wrong)


def test_wrong_spectral_losses_are_explained():
    with pytest.raises(ExerciseFailed, match="no gradient"):
        check_spectral_loss(lambda p, t: by_hand(p.detach(), t))
    with pytest.raises(ExerciseFailed, match="radial_profile"):
        check_spectral_loss(lambda p, t: (p - t).pow(2).mean())


def test_an_exercise_not_written_yet_says_so():
    def stub(a, h, w):
        raise NotImplementedError

    with pytest.raises(NotImplementedError, match="not implemented yet"):
        check_checkerboard_power(stub)
