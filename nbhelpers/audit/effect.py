"""How much a fix lowers a model's checkerboard, measured over random initialisations.

One model's index before and after :func:`~.fix.replace_upsampling` is one number; whether a fix
helps more than the seed-to-seed spread of the index itself needs several initialisations. This
module redraws a model from each seed, audits it, fixes it with each kind, and audits the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from .._validate import check_input_shape, check_int
from ..runtime import seed_everything
from .fix import replace_upsampling
from .measure import audit


def fix_effect(
    factory: Callable[[], nn.Module],
    input_shape: Sequence[int],
    kinds: Sequence[str] = ("resize", "subpixel_icnr"),
    seeds: Sequence[int] = range(10),
    period: int = 2,
) -> dict[str, torch.Tensor]:
    """The output index of a model and of its fixes, one initialisation per seed.

    For each seed: ``seed_everything(seed)``, ``model = factory()``, then the audit's output index
    at ``period`` of the model and of ``replace_upsampling(model, kind)`` for each kind (the new
    layers are drawn right after the model, from the same seed).

    Args:
        factory: builds the model (e.g. ``ZOO['dcgan'].factory``).
        input_shape: one input's shape, batch first, as for :func:`~.measure.audit`.
        kinds: fixes to apply (``'resize'``, ``'subpixel_icnr'``).
        seeds: one initialisation per seed (>= 0).
        period: the period of the output index (>= 2).

    Returns:
        ``{'before': (S,), kind: (S,), ...}``: float64 tensors, one index per seed, in seed order.
    """
    input_shape = check_input_shape(input_shape)
    period = check_int("period", period, 2)
    seeds = [check_int(f"seeds[{i}]", s, 0) for i, s in enumerate(seeds)]
    if not callable(factory):
        raise TypeError(f"factory must be a callable that builds the model, got {type(factory).__name__}")
    if not seeds:
        raise ValueError("seeds must list at least one seed")
    out: dict[str, list[float]] = {"before": [], **{kind: [] for kind in kinds}}
    for seed in seeds:
        seed_everything(seed)
        model = factory()
        out["before"].append(audit(model, input_shape, periods=[period]).output_index[period])
        for kind in kinds:
            fixed = replace_upsampling(model, kind)
            out[kind].append(audit(fixed, input_shape, periods=[period]).output_index[period])
    return {key: torch.tensor(values, dtype=torch.float64) for key, values in out.items()}
