"""Upsampling layers as matrices: deconvolution vs resize-convolution.

Every upsampling layer without bias or nonlinearity is a linear map y = M @ x. Writing M out
(:func:`layer_matrix`) shows the difference between the two families:

* a stride-s **deconvolution** (transposed convolution) splits its k weights among the s
  output phases: each phase has its own weights, nothing ties the phases together, so their
  row sums (what a constant input produces) can differ -> a period-s pattern;
* **resize-convolution** (nearest or linear upsampling, then a stride-1 convolution) uses
  every weight in every phase: the phases share (tie) their parameters, and every row sums
  to the same value in the interior -> no period-s pattern from a constant input.

:func:`phase_parameters` counts the free parameters of each output phase and how many are
shared, from the layer's matrices for each basis weight vector.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from .._validate import check_choice, check_int, check_tensor
from ..runtime import get_device

__all__ = [
    "Deconvolution1d",
    "PhaseParameters",
    "deconvolution_1d",
    "layer_matrix",
    "phase_filters",
    "phase_parameters",
    "resize_convolution_1d",
]


def _layer_device(layer: object) -> torch.device | None:
    if isinstance(layer, nn.Module):
        for tensor in list(layer.parameters()) + list(layer.buffers()):
            return tensor.device
    return None


def _layer_dtype(layer: object) -> torch.dtype:
    if isinstance(layer, nn.Module):
        for tensor in layer.parameters():
            if tensor.is_floating_point():
                return tensor.dtype
    return torch.float32


def _apply(layer: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Run the layer on (B, 1, L) and return (B, L'), turning failures into clear errors."""
    try:
        with torch.no_grad():
            y = layer(x)
    except Exception as exc:  # noqa: BLE001 - re-raised with the shape contract spelled out
        raise ValueError(
            "layer_matrix feeds the layer a batch of 1D single-channel signals of shape "
            f"(batch, 1, n_in) = {tuple(x.shape)}; the layer raised {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"the layer must return a torch.Tensor, got {type(y).__name__}")
    if y.dim() == 0 or y.shape[0] != x.shape[0]:
        raise ValueError(
            f"the layer must keep the batch dimension: input {tuple(x.shape)} gave output "
            f"{tuple(y.shape)}"
        )
    return y.reshape(y.shape[0], -1)


def layer_matrix(
    layer: Callable[[torch.Tensor], torch.Tensor],
    n_in: int,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
    rtol: float = 1e-4,
    seed: int = 0,
) -> torch.Tensor:
    """Dense matrix M (n_out x n_in) of a linear 1D layer, so that layer(x) = M @ x.

    The layer is applied to the n_in basis vectors at once, as a batch of shape
    (n_in, 1, n_in) (batch, channel, length); column j of M is its response to the j-th
    basis vector (flattened if the layer returns several channels). Linearity is then
    checked: layer(0) must be 0 (no bias) and layer(a + 2b) must equal M @ (a + 2b) for a
    random pair (seeded), up to ``rtol`` relative to the output's scale.

    Args:
        layer: an ``nn.Module`` or function mapping (B, 1, n_in) to (B, C, n_out') tensors.
        n_in: input length (>= 1).
        device: where to build the basis; default the module's parameter device, else
            :func:`nbhelpers.get_device`.
        dtype: dtype of the basis; default the module's parameter dtype, else float32.
        rtol: tolerance of the linearity check.
        seed: seed of the random pair used for the check.

    Returns:
        (n_out, n_in) tensor on ``device``.

    Raises:
        TypeError: ``layer`` is not callable or does not return a tensor.
        ValueError: ``n_in`` < 1, the layer fails on (n_in, 1, n_in) input, or the layer is
            not linear (a bias or a nonlinearity).
    """
    if not callable(layer):
        raise TypeError(f"layer must be callable (an nn.Module or a function), got {type(layer).__name__}")
    n_in = check_int("n_in", n_in, 1)
    if device is None:
        device = _layer_device(layer) or get_device()
    device = torch.device(device)
    dtype = _layer_dtype(layer) if dtype is None else dtype
    basis = torch.eye(n_in, device=device, dtype=dtype).unsqueeze(1)
    matrix = _apply(layer, basis).T.contiguous()

    gen = torch.Generator().manual_seed(seed)
    a, b = torch.randn(2, n_in, generator=gen, dtype=torch.float64).to(device=device, dtype=dtype)
    probe = torch.stack([torch.zeros_like(a), a + 2 * b])
    out = _apply(layer, probe.unsqueeze(1))
    scale = max(float(matrix.abs().max()) * math.sqrt(n_in), 1e-12)
    zero_error = float(out[0].abs().max())
    if zero_error > rtol * scale:
        raise ValueError(
            f"the layer is not linear: it maps the zero input to a nonzero output (max "
            f"{zero_error:.3g}); remove its bias (bias=False) to take its matrix"
        )
    predicted = matrix @ probe[1]
    error = float((out[1] - predicted).abs().max())
    if out.shape[1] != matrix.shape[0] or error > rtol * scale:
        raise ValueError(
            "the layer is not linear: layer(a + 2b) differs from M @ (a + 2b) by "
            f"{error:.3g} (scale {scale:.3g}); a nonlinearity (e.g. ReLU) has no matrix"
        )
    return matrix


def _kernel(kernel_size: int, weight: object, device: torch.device) -> torch.Tensor:
    if weight is None:
        return torch.ones(kernel_size, device=device)
    w = check_tensor("weight", weight, min_rank=1)
    if w.dim() != 1 or w.shape[0] != kernel_size:
        raise ValueError(f"weight must have shape ({kernel_size},) = (kernel_size,), got {tuple(w.shape)}")
    return w.to(device=device, dtype=torch.float32)


class Deconvolution1d(nn.Module):
    """Single-channel transposed convolution without bias, cropped to ``stride * n`` outputs.

    The full output of length (n - 1) * s + k is cropped by ceil((k - s) / 2) on the left
    (zero-padded on the right when k < s), so the output is aligned with the resize-
    convolutions and has exactly s * n positions for an input of length n.
    """

    def __init__(self, kernel_size: int, stride: int):
        super().__init__()
        self.stride = stride
        self.conv = nn.ConvTranspose1d(1, 1, kernel_size, stride=stride, bias=False)
        self.left = max(0, math.ceil((kernel_size - stride) / 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, n) -> (B, 1, stride * n)."""
        y = self.conv(x)
        n_out = self.stride * x.shape[-1]
        y = y[..., self.left : self.left + n_out]
        return nn.functional.pad(y, (0, n_out - y.shape[-1]))


def deconvolution_1d(
    kernel_size: int = 3,
    scale: int = 2,
    weight: torch.Tensor | None = None,
    device: torch.device | str | None = None,
) -> Deconvolution1d:
    """A single-channel transposed convolution with stride ``scale`` and no bias, output length s * n.

    Args:
        kernel_size: k >= 1.
        scale: the upsampling factor s >= 1 (the transposed convolution's stride).
        weight: (k,) kernel; default all ones (the coverage count).

    Returns:
        a :class:`Deconvolution1d` on ``device`` mapping (B, 1, n) to (B, 1, s * n); its
        ``conv`` attribute is the ``nn.ConvTranspose1d``.
    """
    k = check_int("kernel_size", kernel_size, 1)
    s = check_int("scale", scale, 1)
    device = get_device() if device is None else torch.device(device)
    layer = Deconvolution1d(k, s).to(device)
    with torch.no_grad():
        layer.conv.weight.copy_(_kernel(k, weight, device).view(1, 1, k))
    return layer


def resize_convolution_1d(
    kernel_size: int = 3,
    scale: int = 2,
    mode: str = "nearest",
    weight: torch.Tensor | None = None,
    device: torch.device | str | None = None,
) -> nn.Sequential:
    """Resize-convolution in 1D: upsample by ``scale`` (nearest or linear), then convolve.

    The convolution has stride 1, no bias and zero 'same' padding, so an input of length n
    gives scale * n outputs. ``mode='linear'`` is the 1D case of bilinear resizing
    (``align_corners=False``).

    Args:
        kernel_size: k >= 1.
        scale: integer upsampling factor >= 1.
        mode: 'nearest' or 'linear'.
        weight: (k,) kernel; default all ones.

    Returns:
        ``nn.Sequential(nn.Upsample, nn.ConstantPad1d, nn.Conv1d)`` on ``device``,
        mapping (B, 1, n) to (B, 1, scale * n).
    """
    k = check_int("kernel_size", kernel_size, 1)
    factor = check_int("scale", scale, 1)
    check_choice("mode", mode, ("nearest", "linear"))
    device = get_device() if device is None else torch.device(device)
    extra = {"align_corners": False} if mode == "linear" else {}
    conv = nn.Conv1d(1, 1, k, bias=False).to(device)
    with torch.no_grad():
        conv.weight.copy_(_kernel(k, weight, device).view(1, 1, k))
    # 'same' zero padding written out (PyTorch warns about padding='same' with even k)
    pad = nn.ConstantPad1d(((k - 1) // 2, k // 2), 0.0)
    return nn.Sequential(nn.Upsample(scale_factor=factor, mode=mode, **extra), pad, conv)


def phase_filters(matrix: torch.Tensor, scale: int, radius: int | None = None) -> torch.Tensor:
    """The interior filter of each output phase: which inputs each phase mixes, with what weight.

    Output row i = scale * c + r (phase r) of an interior position c reads inputs near c;
    its entries at columns c - radius .. c + radius are the phase-r filter. Rows of the same
    phase are shifts of each other in the interior, so one row per phase suffices.

    Args:
        matrix: (n_out, n_in) with n_out = scale * n_in (as from the layers above).
        scale: the upsampling factor, i.e. the number of output phases, >= 1.
        radius: half-width of the window of inputs; default n_in // 4.

    Returns:
        (scale, 2 * radius + 1) tensor: row r is the phase-r filter, centred on input c.
    """
    m = check_tensor("matrix", matrix, min_rank=2)
    if m.dim() != 2:
        raise ValueError(f"matrix must be 2D (n_out, n_in), got shape {tuple(m.shape)}")
    p = check_int("scale", scale, 1)
    n_out, n_in = m.shape
    if n_out != p * n_in:
        raise ValueError(f"matrix must have scale * n_in rows: {p} * {n_in} != {n_out}")
    r = n_in // 4 if radius is None else check_int("radius", radius, 0)
    c = n_in // 2
    if c - r < 0 or c + r >= n_in:
        raise ValueError(f"radius={r} is too large for n_in={n_in}: need radius <= {min(c, n_in - 1 - c)}")
    return torch.stack([m[p * c + phase, c - r : c + r + 1] for phase in range(p)])


@dataclass(frozen=True)
class PhaseParameters:
    """Free parameters of each output phase of a layer family with k weights.

    Attributes:
        per_phase: free parameters of each phase's filter (rank of d filter / d weights).
        total: free parameters of all phases together (at most the number of weights).
        shared: sum(per_phase) - total; 0 means the phases are independent filters (any
            phase can change without the others), > 0 means weight tying.
    """

    per_phase: tuple[int, ...]
    total: int

    @property
    def shared(self) -> int:
        return sum(self.per_phase) - self.total


def phase_parameters(
    make_layer: Callable[..., Callable[[torch.Tensor], torch.Tensor]],
    kernel_size: int,
    scale: int,
    n_in: int = 16,
) -> PhaseParameters:
    """Count free parameters per distinct output phase of a layer family.

    The layer's matrix is linear in its k weights, so each phase's interior filter is
    J_r @ w for a matrix J_r (found by building the layer with each basis weight vector).
    The free parameters of phase r are rank(J_r); of all phases together, the rank of the
    stacked J_r. A deconvolution splits its weights among phases (sum of per-phase counts
    = k, nothing shared); a resize-convolution lets every phase use every weight (shared).

    Args:
        make_layer: builder called as ``make_layer(kernel_size=k, weight=w)``, e.g.
            :func:`deconvolution_1d` or ``functools.partial(resize_convolution_1d, mode=...)``.
        kernel_size: k >= 1.
        scale: the upsampling factor, i.e. the number of output phases, >= 1.
        n_in: input length used to read the interior filters (>= 4 * kernel_size is safe).

    Returns:
        :class:`PhaseParameters`.
    """
    if not callable(make_layer):
        raise TypeError(f"make_layer must be callable, got {type(make_layer).__name__}")
    k = check_int("kernel_size", kernel_size, 1)
    p = check_int("scale", scale, 1)
    n = check_int("n_in", n_in, 4)
    cpu = torch.device("cpu")
    columns = []
    for t in range(k):
        weight = torch.zeros(k)
        weight[t] = 1.0
        layer = make_layer(kernel_size=k, weight=weight, device=cpu)
        filters = phase_filters(layer_matrix(layer, n, device=cpu), p)  # (p, taps)
        columns.append(filters.to(torch.float64))
    jac = torch.stack(columns, dim=-1)  # (p, taps, k)
    per_phase = tuple(int(torch.linalg.matrix_rank(jac[r])) for r in range(p))
    total = int(torch.linalg.matrix_rank(jac.reshape(-1, k)))
    return PhaseParameters(per_phase=per_phase, total=total)
