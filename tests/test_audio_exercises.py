"""Notebook 07's exercise checks accept right answers and explain wrong ones."""

import inspect

import pytest

from nbhelpers.course import audio_exercises
from nbhelpers.course.audio_exercises import check_image_frequencies, check_tone_frequencies
from nbhelpers.course.checking import ExerciseFailed


def tone_frequencies(strides, sample_rate):
    tones, later = set(), 1
    for s in reversed(strides):
        period = s * later
        tones |= {k * sample_rate / period for k in range(1, period // 2 + 1)}
        later *= s
    return sorted(tones)


def image_frequencies(tone_hz, input_rate, scale):
    nyquist, found, k = scale * input_rate / 2, set(), 0
    while k * input_rate - tone_hz <= nyquist:
        found |= {f for f in (k * input_rate - tone_hz, k * input_rate + tone_hz) if 0 < f <= nyquist}
        k += 1
    return sorted(found)


def test_right_answers_pass(capsys):
    check_tone_frequencies(tone_frequencies)
    check_image_frequencies(image_frequencies)
    check_image_frequencies(lambda f, r, s: [float(v) for v in reversed(image_frequencies(f, r, s))])
    assert capsys.readouterr().out.count("✓") == 3


def test_the_notebook_case_is_not_among_the_checked_ones():
    assert (1500, 4000, 4) not in audio_exercises.IMAGE_CASES
    assert image_frequencies(1500, 4000, 4) == [1500, 2500, 5500, 6500]


def test_wrong_tone_answers_are_explained():
    def last_layer_only(strides, rate):
        return [k * rate / strides[-1] for k in range(1, strides[-1] // 2 + 1)]

    def below_nyquist(strides, rate):
        return [f for f in tone_frequencies(strides, rate) if f < rate / 2]

    with pytest.raises(ExerciseFailed, match="earlier layers count too"):
        check_tone_frequencies(last_layer_only)
    with pytest.raises(ExerciseFailed, match="Nyquist included"):
        check_tone_frequencies(below_nyquist)


@pytest.mark.parametrize("answer, words", [
    (lambda f, r, s: [f], "images through"),
    (lambda f, r, s: [f, r - f], "do not stop at the first one"),
    (lambda f, r, s: [f + k * r for k in range(s) if f + k * r <= s * r / 2], "mirrored"),
    (lambda f, r, s: image_frequencies(f, r, s) + [s * r - f], "none above"),
    (lambda f, r, s: [v for v in image_frequencies(f, r, s) if v != f], "tone itself"),
    (lambda f, r, s: [-f] + image_frequencies(f, r, s), "positive"),
    (lambda f, r, s: 42, "list of frequencies"),
])
def test_wrong_image_answers_get_a_specific_hint(answer, words):
    with pytest.raises(ExerciseFailed, match=words):
        check_image_frequencies(answer)


def test_unfinished_exercise_is_a_clean_not_implemented_error():
    def unfinished(*args):
        raise NotImplementedError("Exercise: write your code here")

    with pytest.raises(NotImplementedError, match="not implemented yet"):
        check_image_frequencies(unfinished)
    with pytest.raises(NotImplementedError, match="not implemented yet"):
        check_tone_frequencies(unfinished)


def test_the_checks_measure_instead_of_holding_the_answer():
    source = inspect.getsource(audio_exercises)
    assert "BEGIN SOLUTION" not in source
    assert "k * input_rate" not in source  # the expected frequencies come from a measured spectrum
