"""Notebook 07's exercise checks accept right answers and explain wrong ones."""

import math

import pytest

from nbhelpers.course.audio_exercises import check_nearest_gain, check_tone_frequencies
from nbhelpers.course.checking import ExerciseFailed


def tone_frequencies(strides, sample_rate):
    tones, later = set(), 1
    for s in reversed(strides):
        period = s * later
        tones |= {k * sample_rate / period for k in range(1, period // 2 + 1)}
        later *= s
    return sorted(tones)


def nearest_gain(frequency_hz, scale, output_rate):
    f = frequency_hz / output_rate
    return 1.0 if f == 0 else abs(math.sin(math.pi * f * scale) / (scale * math.sin(math.pi * f)))


def test_right_answers_pass(capsys):
    check_tone_frequencies(tone_frequencies)
    check_nearest_gain(nearest_gain)
    assert capsys.readouterr().out.count("✓") == 2


def test_wrong_answers_are_explained():
    def last_layer_only(strides, rate):
        return [k * rate / strides[-1] for k in range(1, strides[-1] // 2 + 1)]

    def below_nyquist(strides, rate):
        return [f for f in tone_frequencies(strides, rate) if f < rate / 2]

    with pytest.raises(ExerciseFailed, match="earlier layers count too"):
        check_tone_frequencies(last_layer_only)
    with pytest.raises(ExerciseFailed, match="Nyquist included"):
        check_tone_frequencies(below_nyquist)
    with pytest.raises(ExerciseFailed, match="magnitude"):
        check_nearest_gain(lambda f, s, r: -nearest_gain(f, s, r) if f else 1.0)
    continuous = lambda f, s, r: 1.0 if f == 0 else abs(math.sin(math.pi * f / r * s) / (math.pi * f / r * s))  # noqa: E731
    with pytest.raises(ExerciseFailed, match="box of `scale` ones"):
        check_nearest_gain(continuous)
    with pytest.raises(NotImplementedError, match="not implemented yet"):
        check_nearest_gain(lambda f, s, r: (_ for _ in ()).throw(NotImplementedError()))
