"""Which kernel taps feed which output phase of a transposed convolution: effective overlap.

With a constant input, a transposed convolution's output (without bias) at phase (r, c) is
the sum of the taps that feed that phase. Equal sums mean no pattern on flat regions; after
learning, unequal sums mean the layer still paints a checkerboard there.
"""

from __future__ import annotations

import torch

from .._validate import check_int


def phase_taps(kernel_size: int, stride: int, padding: int = 0) -> list[list[int]]:
    """Which kernel taps (1D) feed each output phase of a transposed convolution.

    Output position o receives tap t from input i when o = stride * i - padding + t, so its
    phase is (t - padding) mod stride. Entry r lists the taps of phase r (phase r = positions
    o with o mod stride == r). For k=3, s=2, p=1: [[1], [0, 2]].
    """
    k = check_int("kernel_size", kernel_size, 1)
    s = check_int("stride", stride, 1)
    p = check_int("padding", padding, 0)
    return [[t for t in range(k) if (t - p) % s == r] for r in range(s)]


def phase_sums(
    weight: torch.Tensor,
    stride: int = 2,
    padding: int = 1,
    channel_weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Per-output-phase sums of a transposed-convolution kernel: the *effective overlap*.

    For a constant input (every input channel c equal to ``channel_weights[c]``, default 1)
    the layer's output without bias is periodic; its value at phase (r, c) is the sum of the
    taps that feed that phase. With all-ones weights this is the coverage count of
    :func:`nbhelpers.coverage` (k=3, s=2: 1, 2, 2, 4); after learning, unequal sums mean
    the layer still paints a checkerboard onto flat regions.

    Args:
        weight: ConvTranspose2d weight, (C_in, C_out, k, k).
        stride, padding: the layer's stride and padding.
        channel_weights: optional (C_in,) input level per channel (e.g. mean activations).

    Returns:
        (C_out, stride, stride): entry [o, r, c] is the output of channel o at phase (r, c).
    """
    if not isinstance(weight, torch.Tensor) or weight.dim() != 4 or weight.shape[-1] != weight.shape[-2]:
        shape = tuple(weight.shape) if isinstance(weight, torch.Tensor) else type(weight).__name__
        raise ValueError(f"weight must be a ConvTranspose2d weight of shape (C_in, C_out, k, k), got {shape}")
    weight = weight.detach()
    cin = weight.shape[0]
    if channel_weights is None:
        channel_weights = torch.ones(cin, dtype=weight.dtype, device=weight.device)
    channel_weights = torch.as_tensor(channel_weights, dtype=weight.dtype, device=weight.device)
    if channel_weights.shape != (cin,):
        raise ValueError(f"channel_weights must have shape ({cin},) (one per input channel), "
                         f"got {tuple(channel_weights.shape)}")
    taps = phase_taps(weight.shape[-1], stride, padding)
    summed = torch.einsum("i,iokl->okl", channel_weights, weight)
    s = len(taps)
    out = torch.zeros(weight.shape[1], s, s, dtype=weight.dtype, device=weight.device)
    for r in range(s):
        for c in range(s):
            if taps[r] and taps[c]:
                out[:, r, c] = summed[:, taps[r]][:, :, taps[c]].sum(dim=(1, 2))
    return out


def phase_map(kernel_size: int, stride: int = 2, padding: int = 1) -> torch.Tensor:
    """(k, k) int tensor: the output phase index r * stride + c that each kernel tap feeds."""
    taps = phase_taps(kernel_size, stride, padding)
    phase_of = {t: r for r, ts in enumerate(taps) for t in ts}
    k = int(kernel_size)
    return torch.tensor([[phase_of[i] * int(stride) + phase_of[j] for j in range(k)] for i in range(k)])
