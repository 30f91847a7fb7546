"""Small statistics used to state claims: rank correlation and a least-squares line.

Both take 1D tensors or sequences and return Python floats (they summarise, they do not
measure a signal).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .._validate import check_tensor


def rank_correlation(a: object, b: object) -> float:
    """Spearman rank correlation of two equal-length 1D sequences (ties get average ranks).

    Used to ask whether a measured artifact "follows" a predicted quantity; in [-1, 1].
    """
    x = check_tensor("a", a).reshape(-1).to(torch.float64)
    y = check_tensor("b", b).reshape(-1).to(torch.float64)
    if x.numel() != y.numel() or x.numel() < 2:
        raise ValueError(
            f"a and b must have the same length >= 2, got {x.numel()} and {y.numel()}"
        )

    def ranks(v: torch.Tensor) -> torch.Tensor:
        order = torch.argsort(v)
        r = torch.empty_like(v)
        r[order] = torch.arange(v.numel(), dtype=v.dtype, device=v.device)
        for value in torch.unique(v):  # average ranks of ties
            tied = v == value
            r[tied] = r[tied].mean()
        return r

    rx, ry = ranks(x), ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    denom = (rx.pow(2).sum() * ry.pow(2).sum()).sqrt()
    return 0.0 if denom == 0 else float((rx * ry).sum() / denom)


def fit_line(x: torch.Tensor | Sequence[float], y: torch.Tensor | Sequence[float]) -> tuple[float, float]:
    """Least-squares line y = slope * x + intercept; returns (slope, intercept).

    Args:
        x, y: 1D, same length (>= 2), x not all equal.
    """
    x = check_tensor("x", x, min_rank=1).to(torch.float64).flatten().cpu()
    y = check_tensor("y", y, min_rank=1).to(torch.float64).flatten().cpu()
    if x.shape != y.shape or x.numel() < 2:
        raise ValueError(
            f"x and y must be 1D of the same length >= 2, got {tuple(x.shape)} and {tuple(y.shape)}"
        )
    xc = x - x.mean()
    denom = xc.pow(2).sum()
    if denom == 0:
        raise ValueError("x must not be constant (the slope is undefined)")
    slope = float((xc * (y - y.mean())).sum() / denom)
    return slope, float(y.mean() - slope * x.mean())


def ratio_interval(a: object, b: object, confidence: float = 0.95) -> tuple[float, float, float]:
    """Paired ratio a / b over seeds, with its confidence interval: (geometric mean, low, high).

    The log ratios log(a_i / b_i) of the n pairs (seed i of each group) are treated as a sample;
    the interval is their mean plus or minus Student's t quantile (n - 1 degrees of freedom) times
    their standard error, mapped back by exp. A ratio claim over seeds then reads "the lower end is
    at least t": it holds when the effect is larger than the seed-to-seed noise, not on one lucky
    seed.

    A noise control (the same kind against itself) must pair two *disjoint* groups of seeds (0-4
    with 5-9): paired within one group, in any order, the log ratios sum to exactly zero and the
    interval always contains 1, a control that fails by arithmetic. So ``b`` holding the same
    values as ``a`` in another order is rejected.

    Args:
        a, b: 1D, the same length n >= 2, positive (e.g. one index per seed).
        confidence: in (0, 1).

    Returns:
        (geometric mean ratio, lower end, upper end), floats > 0.
    """
    from scipy.stats import t

    x = check_tensor("a", a).reshape(-1).to(torch.float64).cpu()
    y = check_tensor("b", b).reshape(-1).to(torch.float64).cpu()
    if x.numel() != y.numel() or x.numel() < 2:
        raise ValueError(f"a and b must have the same length >= 2, got {x.numel()} and {y.numel()}")
    if bool((x <= 0).any() or (y <= 0).any()):
        raise ValueError("a and b must be positive (the ratio is taken in log space)")
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        raise ValueError(f"confidence must be a number between 0 and 1, got {confidence!r}")
    if torch.equal(x.sort().values, y.sort().values) and not torch.equal(x, y):
        raise ValueError("b holds the values of a in another order: their log ratios sum to zero, so the "
                         "interval contains 1 by arithmetic; pair two disjoint groups of seeds instead")
    logs = (x / y).log()
    n = logs.numel()
    half = float(t.ppf(0.5 + confidence / 2, n - 1)) * float(logs.std(unbiased=True)) / n ** 0.5
    mean = float(logs.mean())
    return float(torch.tensor(mean).exp()), float(torch.tensor(mean - half).exp()), \
        float(torch.tensor(mean + half).exp())
