"""Upsampling layers: transposed convolution, resize-convolution, sub-pixel convolution (+ ICNR), blur.

Every layer here is a drop-in replacement for ``nn.ConvTranspose2d(c_in, c_out, 4, 2, 1)``: it
maps (N, c_in, H, W) to (N, c_out, scale*H, scale*W) for any H, W (odd or even).

- :func:`deconvolution`: ``nn.ConvTranspose2d`` with the padding that gives exactly scale x the
  input size (uneven overlap when the scale does not divide the kernel size);
- :class:`ResizeConv2d`: nearest or bilinear resize, pad, then a stride-1 convolution at the
  high resolution (the article's fix);
- :class:`SubPixelConv2d`: a convolution at the low resolution with ``c_out * scale**2``
  channels, then ``nn.PixelShuffle`` (Shi et al. 2016). With ``icnr=True`` (Aitken et al. 2017)
  the s*s sub-kernels start equal, so at initialisation the layer is *convolution, then nearest
  resize*: every s x s output block is constant and the layer paints no checkerboard. It also
  equals nearest resize followed by the same kernel dilated by s (see :func:`icnr_`);
- :class:`Blur2d`: a fixed s x s box filter (zero-order hold, Sugawara et al. 2019) that
  removes any period-s pattern; ``SubPixelConv2d(blur=True)`` applies it after the shuffle.

:data:`UPSAMPLERS` maps each kind name used in the notebooks to a factory
``f(c_in, c_out, scale)``; :func:`make_upsampler` builds one and :func:`register_upsampler`
adds kinds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from .._validate import check_choice, check_int

#: Padding modes accepted by the layers that pad before convolving.
PADDING_MODES = ("zeros", "reflect", "replicate")
RESIZE_MODES = ("nearest", "bilinear")

UpsamplerFactory = Callable[..., nn.Module]


def _pad(x: torch.Tensor, pad: int | tuple[int, ...], padding_mode: str) -> torch.Tensor:
    pads = (pad,) * 4 if isinstance(pad, int) else pad
    if not any(pads):
        return x
    mode = "constant" if padding_mode == "zeros" else padding_mode
    return nn.functional.pad(x, pads, mode=mode)


def deconvolution(c_in: int, c_out: int, kernel_size: int = 4, scale: int = 2) -> nn.ConvTranspose2d:
    """A transposed convolution with stride ``scale`` whose output is exactly scale x the input.

    Padding p and output padding q solve (H - 1) s - 2p + k + q = s H with the smallest p >= 0
    (k=3, s=2: p=1, q=1; k=4, s=2: p=1, q=0). Its overlap is uneven when s does not divide k.

    Args:
        c_in, c_out: channel counts (>= 1).
        kernel_size: k >= 1 with k + s - 1 >= s (any k works; q < s is checked).
        scale: stride s >= 1.

    Returns:
        ``nn.ConvTranspose2d`` mapping (N, c_in, H, W) to (N, c_out, sH, sW).
    """
    c_in = check_int("c_in", c_in, 1)
    c_out = check_int("c_out", c_out, 1)
    k = check_int("kernel_size", kernel_size, 1)
    s = check_int("scale", scale, 1)
    p = max(0, -(-(k - s) // 2))
    q = s - k + 2 * p
    if not 0 <= q < s:
        raise ValueError(f"kernel_size={k} cannot give exactly scale={s} x the input size")
    return nn.ConvTranspose2d(c_in, c_out, k, stride=s, padding=p, output_padding=q)


def _check_groups(groups: object, c_in: int, c_out: int) -> int:
    g = check_int("groups", groups, 1)
    if c_in % g or c_out % g:
        raise ValueError(f"groups={g} must divide c_in={c_in} and c_out={c_out}")
    return g



def _fitted(y: torch.Tensor, sizes: tuple[int, ...], output_size: Sequence[int] | None,
            geometry: tuple[tuple[int, ...], ...] | None) -> torch.Tensor:
    if output_size is None and geometry is None:
        return y
    from .convert import fit_output_size  # convert builds on this module

    return fit_output_size(y, sizes, output_size, geometry)

class _ResizeConv(nn.Module):
    """Resize by ``scale``, pad by ``padding_mode``, then a stride-1 convolution (1D or 2D)."""

    _conv: type[nn.Module] = nn.Conv2d
    _modes: tuple[str, ...] = RESIZE_MODES

    def __init__(self, c_in: int, c_out: int, scale: int, mode: str, kernel_size: int,
                 padding_mode: str, groups: int = 1) -> None:
        super().__init__()
        self.mode = str(check_choice("mode", mode, self._modes))
        self.scale = check_int("scale", scale, 1)
        kernel_size = check_int("kernel_size", kernel_size, 1)
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd so the output keeps its size, got {kernel_size}")
        self.padding_mode = str(check_choice("padding_mode", padding_mode, PADDING_MODES))
        self.pad = kernel_size // 2
        self.conv = self._conv(check_int("c_in", c_in, 1), check_int("c_out", c_out, 1), kernel_size,
                               groups=_check_groups(groups, c_in, c_out))

    # (kernel, stride, padding, output_padding) of the transposed convolution this layer replaces
    transposed_geometry: tuple[tuple[int, ...], ...] | None = None

    def forward(self, x: torch.Tensor, output_size: Sequence[int] | None = None) -> torch.Tensor:
        """(N, c_in, *size) -> (N, c_out, *(scale * size)); ``output_size`` as in ``nn.ConvTranspose2d``
        (see :func:`nbhelpers.layers.convert.fit_output_size`)."""
        sizes = tuple(x.shape[2:])
        if self.scale > 1:
            smooth = {} if self.mode == "nearest" else {"align_corners": False}
            x = nn.functional.interpolate(x, scale_factor=self.scale, mode=self.mode, **smooth)
        ndim = x.dim() - 2
        y = self.conv(_pad(x, (self.pad,) * (2 * ndim), self.padding_mode))
        return _fitted(y, sizes, output_size, self.transposed_geometry)

    def extra_repr(self) -> str:
        return f"scale={self.scale}, mode={self.mode!r}, padding_mode={self.padding_mode!r}"


class ResizeConv2d(_ResizeConv):
    """Resize by an integer factor, pad, then convolve (resize-convolution).

    Input (N, c_in, H, W) -> output (N, c_out, scale*H, scale*W).

    Args:
        c_in, c_out: channel counts (>= 1).
        scale: upsampling factor (>= 1).
        mode: ``'nearest'`` or ``'bilinear'`` interpolation (bilinear with ``align_corners=False``).
        kernel_size: odd size of the convolution after the resize (so the size is kept).
        padding_mode: how to pad before the convolution: ``'reflect'`` (default: no border
            artifact on flat inputs), ``'replicate'`` or ``'zeros'``. Reflect needs the resized
            input to be larger than the padding (kernel_size // 2).
        groups: convolution groups (dividing c_in and c_out), as in ``nn.Conv2d``.
    """

    def __init__(
        self,
        c_in: int,
        c_out: int,
        scale: int = 2,
        mode: str = "nearest",
        kernel_size: int = 3,
        padding_mode: str = "reflect",
        groups: int = 1,
    ) -> None:
        super().__init__(c_in, c_out, scale, mode, kernel_size, padding_mode, groups)


class Blur2d(nn.Module):
    """Fixed box filter of size ``kernel_size`` (stride 1, size kept): the zero-order hold.

    Each output is the mean of a k x k window whose bottom-right corner is the pixel itself
    (the input is padded k-1 pixels on top and left by ``padding_mode``), as in fastai's
    ``PixelShuffle_ICNR(blur=True)``. A box of size k maps any period-k pattern to its mean,
    so it removes the checkerboard of a stride-k layer exactly (Sugawara et al. 2019), at the
    price of a slight blur and a half-pixel shift for even k. No parameters.

    Input (N, C, H, W) -> output (N, C, H, W).
    """

    def __init__(self, kernel_size: int = 2, padding_mode: str = "replicate") -> None:
        super().__init__()
        self.kernel_size = check_int("kernel_size", kernel_size, 1)
        self.padding_mode = str(check_choice("padding_mode", padding_mode, PADDING_MODES))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = self.kernel_size
        if k == 1:
            return x
        x = _pad(x, (k - 1, 0, k - 1, 0), self.padding_mode)
        return nn.functional.avg_pool2d(x, k, stride=1)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, padding_mode={self.padding_mode!r}"


@torch.no_grad()
def icnr_(
    weight: torch.Tensor, scale: int = 2, init: Callable[[torch.Tensor], object] | None = None
) -> torch.Tensor:
    """ICNR initialisation (Aitken et al. 2017) of a sub-pixel convolution weight, in place.

    Draws one sub-kernel W0 of shape (c_out, c_in, k, k) with ``init`` (default: PyTorch's
    Conv2d default, Kaiming-uniform with a=sqrt(5)) and copies it to all scale**2 sub-pixel
    positions, so that after ``nn.PixelShuffle(scale)`` every output phase sees the same
    kernel: the layer equals conv(W0) followed by nearest resize. A 1D weight
    (c_out * scale, c_in, k), as used by :class:`SubPixelConv1d`, works the same way.

    Args:
        weight: (c_out * scale**2, c_in, k, k) Conv2d weight feeding ``nn.PixelShuffle(scale)``,
            or (c_out * scale, c_in, k) for a 1D sub-pixel convolution.
        scale: the shuffle factor s >= 1.
        init: in-place initialiser for the (c_out, c_in, k, k) sub-kernel.

    Returns:
        ``weight`` (modified in place).
    """
    s = check_int("scale", scale, 1)
    copies = s ** (weight.dim() - 2) if isinstance(weight, torch.Tensor) else 0
    if not isinstance(weight, torch.Tensor) or weight.dim() not in (3, 4) or weight.shape[0] % copies:
        shape = tuple(weight.shape) if isinstance(weight, torch.Tensor) else type(weight).__name__
        raise ValueError(f"weight must have shape (c_out * scale**2, c_in, k, k) (or (c_out * scale, "
                         f"c_in, k) in 1D) with scale={s}, got {shape}")
    sub = torch.empty((weight.shape[0] // copies, *weight.shape[1:]), dtype=weight.dtype,
                      device=weight.device)
    if init is None:
        nn.init.kaiming_uniform_(sub, a=5**0.5)
    else:
        init(sub)
    # PixelShuffle reads output channel c from input channels c*s*s ... c*s*s + s*s - 1
    weight.copy_(sub.repeat_interleave(copies, dim=0))
    return weight


@torch.no_grad()
def icnr_conv_(conv: nn.Conv1d | nn.Conv2d, scale: int = 2) -> nn.Conv1d | nn.Conv2d:
    """ICNR for an existing convolution that feeds a pixel shuffle: its weight and its bias.

    Use it on models you did not build with :class:`SubPixelConv2d`, e.g. the last Conv2d of an
    ESPCN before ``nn.PixelShuffle(scale)``: every group of scale**2 (1D: scale) output channels
    gets the same kernel and the same bias, so the fresh layer paints no period-scale pattern.
    Returns ``conv`` (modified in place).
    """
    if not isinstance(conv, (nn.Conv1d, nn.Conv2d)):
        raise TypeError(f"conv must be an nn.Conv1d or nn.Conv2d, got {type(conv).__name__}")
    _icnr_pair_(conv.weight, conv.bias, scale)
    return conv


@torch.no_grad()
def _icnr_pair_(weight: torch.Tensor, bias: torch.Tensor | None, scale: int) -> None:
    """ICNR on a weight (:func:`icnr_`) and the same bias for each group of scale**d outputs."""
    icnr_(weight, scale)
    if bias is not None:
        groups = bias.view(-1, check_int("scale", scale, 1) ** (weight.dim() - 2))
        groups.copy_(groups[:, :1].expand_as(groups))


class SubPixelConv2d(nn.Module):
    """Sub-pixel convolution: convolve at the low resolution, then ``nn.PixelShuffle``.

    A k x k convolution (padded by ``padding_mode``) maps c_in to c_out * scale**2 channels;
    the shuffle rearranges each group of scale**2 channels into a scale x scale block of one
    output channel (Shi et al. 2016). It equals a transposed convolution with kernel k*scale,
    so its overlap is even, but its s*s sub-kernels are independent: a random initialisation
    paints a checkerboard. ``icnr=True`` (:func:`icnr_`) starts all sub-kernels equal (and the
    biases of each group equal), so the fresh layer paints none. ``blur=True`` appends a
    :class:`Blur2d` of size scale (Sugawara et al.), which removes any period-scale pattern,
    trained or not.

    Input (N, c_in, H, W) -> output (N, c_out, scale*H, scale*W).

    Args:
        c_in, c_out: channel counts (>= 1).
        scale: upsampling factor (>= 1).
        kernel_size: odd size of the low-resolution convolution.
        icnr: ICNR initialisation (default True).
        blur: box blur of size scale after the shuffle.
        padding_mode: padding of the low-resolution convolution, ``'reflect'`` (default),
            ``'replicate'`` or ``'zeros'``.
        groups: groups of the low-resolution convolution (dividing c_in and c_out): output
            channel group j is painted from input group j, as in a grouped transposed convolution.
    """

    def __init__(
        self,
        c_in: int,
        c_out: int,
        scale: int = 2,
        kernel_size: int = 3,
        icnr: bool = True,
        blur: bool = False,
        padding_mode: str = "reflect",
        groups: int = 1,
    ) -> None:
        super().__init__()
        c_in = check_int("c_in", c_in, 1)
        c_out = check_int("c_out", c_out, 1)
        self.scale = check_int("scale", scale, 1)
        kernel_size = check_int("kernel_size", kernel_size, 1)
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd so the output keeps its size, got {kernel_size}")
        for name, flag in (("icnr", icnr), ("blur", blur)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be True or False, got {flag!r}")
        self.padding_mode = str(check_choice("padding_mode", padding_mode, PADDING_MODES))
        self.pad = kernel_size // 2
        self.icnr = icnr
        self.conv = nn.Conv2d(c_in, c_out * self.scale**2, kernel_size,
                              groups=_check_groups(groups, c_in, c_out))
        self.shuffle = nn.PixelShuffle(self.scale)
        self.blur: nn.Module = Blur2d(self.scale) if blur and self.scale > 1 else nn.Identity()
        if icnr:
            _icnr_pair_(self.conv.weight, self.conv.bias, self.scale)

    transposed_geometry: tuple[tuple[int, ...], ...] | None = None

    def forward(self, x: torch.Tensor, output_size: Sequence[int] | None = None) -> torch.Tensor:
        """(N, c_in, H, W) -> (N, c_out, scale H, scale W); ``output_size`` as in
        :meth:`ResizeConv2d.forward`."""
        y = self.blur(self.shuffle(self.conv(_pad(x, self.pad, self.padding_mode))))
        return _fitted(y, tuple(x.shape[2:]), output_size, self.transposed_geometry)

    def extra_repr(self) -> str:
        return f"scale={self.scale}, icnr={self.icnr}, padding_mode={self.padding_mode!r}"


class ResizeConv1d(_ResizeConv):
    """1D resize-convolution: resize a signal by ``scale``, pad, then convolve.

    Input (N, c_in, L) -> output (N, c_out, scale*L). ``mode`` is ``'nearest'`` or ``'linear'``;
    ``kernel_size`` is odd; ``padding_mode`` and ``groups`` as in :class:`ResizeConv2d`.
    """

    _conv = nn.Conv1d
    _modes = ("nearest", "linear")

    def __init__(self, c_in: int, c_out: int, scale: int = 2, mode: str = "nearest",
                 kernel_size: int = 3, padding_mode: str = "replicate", groups: int = 1) -> None:
        super().__init__(c_in, c_out, scale, mode, kernel_size, padding_mode, groups)


class SubPixelConv1d(nn.Module):
    """1D sub-pixel convolution: convolve to c_out * scale channels, then interleave them.

    Output sample ``l * scale + r`` of channel c comes from channel ``c * scale + r`` at ``l``
    (the 1D counterpart of ``nn.PixelShuffle``). ``icnr=True`` starts every phase with the same
    kernel and bias (:func:`icnr_`), so a fresh layer paints no period-``scale`` pattern.
    ``groups`` as in :class:`SubPixelConv2d`.

    Input (N, c_in, L) -> output (N, c_out, scale*L).
    """

    def __init__(self, c_in: int, c_out: int, scale: int = 2, kernel_size: int = 3, icnr: bool = True,
                 padding_mode: str = "replicate", groups: int = 1) -> None:
        super().__init__()
        self.c_out = check_int("c_out", c_out, 1)
        self.scale = check_int("scale", scale, 1)
        kernel_size = check_int("kernel_size", kernel_size, 1)
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd so the output keeps its size, got {kernel_size}")
        if not isinstance(icnr, bool):
            raise TypeError(f"icnr must be True or False, got {icnr!r}")
        self.padding_mode = str(check_choice("padding_mode", padding_mode, PADDING_MODES))
        self.pad = kernel_size // 2
        self.icnr = icnr
        c_in = check_int("c_in", c_in, 1)
        self.conv = nn.Conv1d(c_in, self.c_out * self.scale, kernel_size,
                              groups=_check_groups(groups, c_in, self.c_out))
        if icnr:
            _icnr_pair_(self.conv.weight, self.conv.bias, self.scale)

    transposed_geometry: tuple[tuple[int, ...], ...] | None = None

    def forward(self, x: torch.Tensor, output_size: Sequence[int] | None = None) -> torch.Tensor:
        """(N, c_in, L) -> (N, c_out, scale L); ``output_size`` as in :meth:`ResizeConv2d.forward`."""
        y = self.conv(_pad(x, (self.pad, self.pad), self.padding_mode))
        n, _, length = y.shape
        y = y.view(n, self.c_out, self.scale, length).permute(0, 1, 3, 2).reshape(n, self.c_out, -1)
        return _fitted(y, tuple(x.shape[2:]), output_size, self.transposed_geometry)

    def extra_repr(self) -> str:
        return f"scale={self.scale}, icnr={self.icnr}, padding_mode={self.padding_mode!r}"


