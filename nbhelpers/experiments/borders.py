"""Border artifacts: how padding makes a layer's output deviate near the image edges (notebook 05).
"""

from __future__ import annotations

import torch
from torch import nn

from .._validate import check_int, check_tensor
from ..runtime import model_device


@torch.no_grad()
def flat_border_deviation(layer: nn.Module, c_in: int, size: int = 8, level: float = 1.0) -> torch.Tensor:
    """How far a layer's response to a constant input deviates from its interior value, by distance
    to the border.

    Feeds a constant (1, c_in, size, size) input of ``level`` and returns, for each distance d
    from the nearest edge (0 = the outermost ring), the mean absolute deviation of the output on
    that ring from the output at the centre, averaged over output channels. A layer that pads
    by reflection answers 0 everywhere; zero padding darkens the outer rings.

    Returns:
        (R,) tensor on the CPU, R = min(H_out, W_out) // 2 rings, in output units.
    """
    c_in = check_int("c_in", c_in, 1)
    size = check_int("size", size, 2)
    device = model_device(layer)
    out = layer(torch.full((1, c_in, size, size), float(level), device=device))[0]
    h, w = out.shape[-2:]
    centre = out[:, h // 2, w // 2].view(-1, 1, 1)
    dev = (out - centre).abs().mean(dim=0)
    rows = torch.arange(h, device=dev.device).view(-1, 1)
    cols = torch.arange(w, device=dev.device).view(1, -1)
    dist = torch.minimum(torch.minimum(rows, h - 1 - rows), torch.minimum(cols, w - 1 - cols))
    return torch.stack([dev[dist == d].mean() for d in range(min(h, w) // 2)]).cpu()


def error_by_border_distance(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean squared error as a function of the distance to the nearest image edge.

    Args:
        outputs, targets: (N, C, H, W), same shape.

    Returns:
        (R,) tensor on the CPU, R = min(H, W) // 2: entry d is the MSE over the pixels d pixels
        from the nearest edge (0 = the outermost ring), pixel units squared.
    """
    outputs = check_tensor("outputs", outputs, min_rank=4)
    targets = check_tensor("targets", targets, min_rank=4)
    if outputs.shape != targets.shape:
        raise ValueError(f"outputs and targets must have the same shape, got {tuple(outputs.shape)} and "
                         f"{tuple(targets.shape)}")
    h, w = outputs.shape[-2:]
    err = (outputs - targets.to(outputs.device)).pow(2).mean(dim=tuple(range(outputs.dim() - 2)))
    rows = torch.arange(h, device=err.device).view(-1, 1)
    cols = torch.arange(w, device=err.device).view(1, -1)
    dist = torch.minimum(torch.minimum(rows, h - 1 - rows), torch.minimum(cols, w - 1 - cols))
    return torch.stack([err[dist == d].mean() for d in range(min(h, w) // 2)]).cpu()
