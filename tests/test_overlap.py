import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import nbhelpers.measures as nbhelpers
from nbhelpers.measures import coverage, interior_coverage, unevenness
from nbhelpers.plots.tables import format_unevenness_table


def brute_force_coverage(kernel_sizes, strides, n_in):
    """Count paths by explicit loops: out[j] = sum_i in[i] * [i*s <= j < i*s + k]."""
    counts = [1] * n_in
    for k, s in zip(kernel_sizes, strides):
        out = [0] * ((len(counts) - 1) * s + k)
        for i, c in enumerate(counts):
            for j in range(i * s, i * s + k):
                out[j] += c
        counts = out
    return counts


def brute_force_coverage_2d(kernel_sizes, strides, n_in):
    """2D paths by explicit loops: every input pixel paints a k x k square at (i*s, j*s)."""
    counts = [[1] * n_in for _ in range(n_in)]
    for k, s in zip(kernel_sizes, strides):
        n = (len(counts) - 1) * s + k
        out = [[0] * n for _ in range(n)]
        for i, row in enumerate(counts):
            for j, c in enumerate(row):
                for a in range(i * s, i * s + k):
                    for b in range(j * s, j * s + k):
                        out[a][b] += c
        counts = out
    return counts


layers = st.lists(st.tuples(st.integers(1, 7), st.integers(1, 4)), min_size=1, max_size=3)


@settings(max_examples=60, deadline=None)
@given(layers=layers, n_in=st.integers(1, 9))
def test_coverage_matches_brute_force(layers, n_in):
    ks, ss = [k for k, _ in layers], [s for _, s in layers]
    cov = coverage(ks, ss, n_in=n_in)
    assert cov.dtype == torch.int64
    assert cov.tolist() == brute_force_coverage(ks, ss, n_in)


@settings(max_examples=30, deadline=None)
@given(layers=layers, n_in=st.integers(1, 6))
def test_coverage_2d_matches_brute_force(layers, n_in):
    ks, ss = [k for k, _ in layers], [s for _, s in layers]
    assert coverage(ks, ss, n_in=n_in, ndim=2).tolist() == brute_force_coverage_2d(ks, ss, n_in)


@settings(max_examples=40, deadline=None)
@given(layers=layers)
def test_interior_pattern_is_periodic_and_matches_long_map(layers):
    ks, ss = [k for k, _ in layers], [s for _, s in layers]
    period = nbhelpers.overlap_period(ks, ss)
    length = nbhelpers.effective_kernel_size(ks, ss)
    n_in = math.ceil(length / period) + 6
    full = brute_force_coverage(ks, ss, n_in)
    inner = full[length - 1 : (n_in - 1) * period + 1]
    one_period = interior_coverage(ks, ss)
    assert len(one_period) == period
    for j, value in enumerate(inner, start=length - 1):
        assert value == one_period[j % period].item()


def test_article_examples():
    assert coverage(3, 2, n_in=4).tolist() == [1, 1, 2, 1, 2, 1, 2, 1, 1]
    assert sorted(interior_coverage(3, 2).tolist()) == [1, 2]
    assert interior_coverage(4, 2).tolist() == [2, 2]
    assert sorted(interior_coverage(5, 2).tolist()) == [2, 3]
    assert sorted(set(coverage(3, 2, n_in=5, ndim=2).flatten().tolist())) == [1, 2, 4]


def test_output_length_formula():
    assert len(coverage([3, 4, 5], [2, 2, 3], n_in=7)) == (((7 - 1) * 2 + 3 - 1) * 2 + 4 - 1) * 3 + 5


@pytest.mark.parametrize("k", range(1, 9))
@pytest.mark.parametrize("s", range(1, 5))
def test_unevenness_rule(k, s):
    ratio = unevenness(k, s)
    if k < s:
        assert ratio == math.inf
    elif k % s == 0:
        assert ratio == 1.0
    else:
        assert ratio > 1.0
        assert ratio == pytest.approx(math.ceil(k / s) / math.floor(k / s))
    if k >= s:  # the 2D ratio, read off a brute-force 2D map's interior
        grid = brute_force_coverage_2d([k], [s], 8)
        inner = [v for row in grid[k - 1 : 7 * s + 1] for v in row[k - 1 : 7 * s + 1]]
        assert unevenness(k, s, ndim=2) == pytest.approx(max(inner) / min(inner))


def test_stack_unevenness_compounds():
    assert unevenness([3, 3], [2, 2]) == 3.0  # interior pattern 3,2,3,1
    assert unevenness([4, 4], [2, 2]) == 1.0
    assert nbhelpers.overlap_period([3, 3, 3], [2, 2, 2]) == 8


def test_effective_kernel_size():
    assert nbhelpers.effective_kernel_size(3, 2) == 3
    assert nbhelpers.effective_kernel_size([3, 3], [2, 2]) == 3 + 2 * 2


def test_tables():
    table = nbhelpers.unevenness_table(range(1, 4), range(1, 3))
    assert table.shape == (3, 2)
    assert table[2, 1] == 2.0 and math.isinf(table[0, 1])
    text = format_unevenness_table(table, range(1, 4), range(1, 3))
    assert "gaps" in text and "2.000" in text
    assert nbhelpers.window_starts(3, 2, 3) == [(0, 3), (2, 5), (4, 7)]


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        (dict(kernel_sizes=0, strides=2), ValueError, "kernel_sizes"),
        (dict(kernel_sizes=3, strides=0), ValueError, "strides"),
        (dict(kernel_sizes=2.5, strides=2), TypeError, "kernel_sizes"),
        (dict(kernel_sizes=[3, 3], strides=[2, 2, 2]), ValueError, "same length"),
        (dict(kernel_sizes=[], strides=2), ValueError, "at least one"),
        (dict(kernel_sizes="3", strides=2), TypeError, "kernel_sizes"),
        (dict(kernel_sizes=3, strides=2, n_in=0), ValueError, "n_in"),
        (dict(kernel_sizes=3, strides=2, ndim=3), ValueError, "ndim"),
        (dict(kernel_sizes=[3, True], strides=2), TypeError, "kernel_sizes"),
    ],
)
def test_bad_input_names_the_argument(kwargs, error, words):
    with pytest.raises(error, match=words):
        coverage(**kwargs)


def test_unevenness_bad_input():
    with pytest.raises(ValueError, match="strides"):
        unevenness(3, -1)
