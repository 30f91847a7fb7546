"""Ways to halve the resolution: strided convolutions, pooling and BlurPool (Zhang 2019).

Each design maps (N, C_in, H, W) to (N, C_out, H/2, W/2); notebook 04 compares the input
gradients they produce.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .._validate import check_choice, check_int

#: Ways to halve H and W, compared in notebook 04. ``stride2_k*``: one stride-2 convolution of
#: that kernel size; the others: a stride-1 3x3 convolution and ReLU, then average pooling, max
#: pooling, or BlurPool (a [1, 2, 1] x [1, 2, 1] / 16 blur, then keep every second pixel).
DOWNSAMPLING_DESIGNS: tuple[str, ...] = ("stride2_k3", "stride2_k4", "stride2_k2", "avgpool", "maxpool",
                                         "blurpool")


class BlurPool2d(nn.Module):
    """Anti-aliased subsampling (Zhang 2019): blur each channel, then keep every ``stride``-th pixel.

    The blur is the binomial filter [1, 2, 1] x [1, 2, 1] / 16 with reflect padding, applied to
    every channel separately (fixed, not learned). (N, C, H, W) -> (N, C, ceil(H/s), ceil(W/s)).
    """

    def __init__(self, channels: int, stride: int = 2) -> None:
        super().__init__()
        self.channels = check_int("channels", channels, 1)
        self.stride = check_int("stride", stride, 1)
        taps = torch.tensor([1.0, 2.0, 1.0])
        kernel = torch.outer(taps, taps) / 16.0
        self.register_buffer("kernel", kernel.expand(self.channels, 1, 3, 3).contiguous())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pad(x, (1, 1, 1, 1), mode="reflect")
        return F.conv2d(x, self.kernel, stride=self.stride, groups=self.channels)


def make_downsampler(design: str, in_channels: int, out_channels: int) -> nn.Sequential:
    """One block that maps (N, in_channels, H, W) to (N, out_channels, H/2, W/2), ReLU included.

    ``design`` is one of :data:`DOWNSAMPLING_DESIGNS`:

    - ``'stride2_k3'``: Conv2d(k=3, s=2, padding=1), ReLU (uneven: inputs get 1 or 2 taps per axis);
    - ``'stride2_k4'``: Conv2d(k=4, s=2, padding=1), ReLU (even: 2 taps per axis);
    - ``'stride2_k2'``: Conv2d(k=2, s=2), ReLU (no overlap: each input gets exactly one tap);
    - ``'avgpool'``, ``'maxpool'``: Conv2d(k=3, s=1, padding=1), ReLU, 2x2 average / max pooling;
    - ``'blurpool'``: Conv2d(k=3, s=1, padding=1), ReLU, :class:`BlurPool2d` (as Zhang 2019 does
      for strided convolutions).
    """
    check_choice("design", design, DOWNSAMPLING_DESIGNS)
    cin = check_int("in_channels", in_channels, 1)
    cout = check_int("out_channels", out_channels, 1)
    if design.startswith("stride2_k"):
        k = int(design[-1])
        return nn.Sequential(nn.Conv2d(cin, cout, k, stride=2, padding=(k - 1) // 2), nn.ReLU())
    pool: nn.Module = {
        "avgpool": lambda: nn.AvgPool2d(2),
        "maxpool": lambda: nn.MaxPool2d(2),
        "blurpool": lambda: BlurPool2d(cout, 2),
    }[design]()
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=1, padding=1), nn.ReLU(), pool)
