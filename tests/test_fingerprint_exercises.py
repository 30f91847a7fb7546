"""Notebook 08's exercise checks accept right answers and explain wrong ones."""

import math

import pytest
import torch

from nbhelpers.course.checking import ExerciseFailed
from nbhelpers.course.fingerprint_exercises import check_spectral_loss, check_wilson_interval
from nbhelpers.measures.spectra import power_spectrum, radial_profile


def wilson(k, n, z=1.96):
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def by_hand(prediction, target):
    levels = []
    for x in (prediction, target):
        _, profile = radial_profile(power_spectrum(x.double(), ndim=2).mean(dim=1))
        levels.append(torch.log10(profile[:, 1:] + 1e-6))
    return (levels[0] - levels[1]).pow(2).mean()


def test_right_answers_pass(capsys):
    check_wilson_interval(wilson)
    check_spectral_loss(by_hand)
    assert capsys.readouterr().out.count("✓") == 2


def test_wrong_answers_are_explained():
    def wald(k, n):
        p = k / n
        half = 1.96 * math.sqrt(p * (1 - p) / n)
        return p - half, p + half

    with pytest.raises(ExerciseFailed, match="Wald"):
        check_wilson_interval(wald)
    with pytest.raises(ExerciseFailed, match="no gradient"):
        check_spectral_loss(lambda p, t: by_hand(p.detach(), t))
    with pytest.raises(ExerciseFailed, match="radial_profile"):
        check_spectral_loss(lambda p, t: (p - t).pow(2).mean())
