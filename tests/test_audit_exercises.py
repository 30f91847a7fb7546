"""Notebook 06's exercise check accepts the right rule and explains wrong ones."""

import math

import pytest
import torch

from nbhelpers.course.audit_exercises import (
    PERIOD_CASES,
    audited_periods,
    check_layer_periods,
    stack_model,
)
from nbhelpers.course.checking import ExerciseFailed

NOTEBOOK_EXAMPLE = [("resize", 3, 2), ("transposed", 3, 2), ("resize", 3, 2)]


def layer_periods(layers):
    periods, later = [], 1
    for kind, _, stride in reversed(layers):
        periods.append(None if kind in ("resize", "subpixel_icnr") else stride * later)
        later *= stride
    return periods[::-1]


def test_right_answer_passes(capsys):
    check_layer_periods(layer_periods)
    assert capsys.readouterr().out.count("✓ layer_periods") == 1


def test_the_rule_is_what_the_audit_reports_and_the_notebook_example_is_not_a_case():
    assert NOTEBOOK_EXAMPLE not in PERIOD_CASES
    assert audited_periods(NOTEBOOK_EXAMPLE) == layer_periods(NOTEBOOK_EXAMPLE) == [None, 4, None]
    for layers in PERIOD_CASES:
        assert audited_periods(layers) == layer_periods(layers), layers


def test_stack_model_multiplies_the_size_by_the_strides():
    for layers in PERIOD_CASES:
        total = math.prod(s for _, _, s in layers)
        out = stack_model(layers)(torch.zeros(1, 4, 4, 4))
        assert out.shape == (1, 4, 4 * total, 4 * total), layers
    with pytest.raises(ValueError, match="kind must be one of"):
        stack_model([("bilinear", 3, 2)])


def own_stride_only(layers):
    return [None if kind in ("resize", "subpixel_icnr") else s for kind, _, s in layers]


def strides_so_far(layers):
    out, before = [], 1
    for kind, _, s in layers:
        before *= s
        out.append(None if kind in ("resize", "subpixel_icnr") else before)
    return out


def only_uneven_paints(layers):
    return [p if not (kind == "transposed" and k % s == 0) else None
            for (kind, k, s), p in zip(layers, layer_periods(layers))]


def resize_paints_too(layers):
    later, out = 1, []
    for _, _, s in reversed(layers):
        out.append(s * later)
        later *= s
    return out[::-1]


@pytest.mark.parametrize("wrong, hint", [
    (own_stride_only, "later upsampling stretches"),
    (strides_so_far, "before"),
    (only_uneven_paints, "even overlap, yet"),
    (resize_paints_too, "paints no pattern of its own"),
    (lambda layers: layer_periods(layers)[:-1], "one entry per layer"),
    (lambda layers: 4, "one entry per layer: an integer"),
    (lambda layers: [2.5 for _ in layers], "an integer period, or None"),
])
def test_wrong_answers_fail_with_a_nudge(wrong, hint):
    with pytest.raises(ExerciseFailed, match=hint):
        check_layer_periods(wrong)


def test_unwritten_answer_and_a_call_instead_of_a_function():
    def stub(layers):
        raise NotImplementedError("Exercise: write the body of layer_periods")

    with pytest.raises(NotImplementedError, match="not implemented yet"):
        check_layer_periods(stub)
    with pytest.raises(ExerciseFailed, match="pass your function itself"):
        check_layer_periods([None, 4, None])
    with pytest.raises(ExerciseFailed, match="raised KeyError"):
        check_layer_periods(lambda layers: {}["x"])
