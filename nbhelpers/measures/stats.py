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
