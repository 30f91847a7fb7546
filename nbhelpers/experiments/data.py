"""Datasets: natural patches cropped from images inside scikit-image, and coloured shapes.

Nothing is downloaded: the natural images are the files scikit-image ships inside its wheel
(``skimage.data``), and the shapes are drawn with torch. Every function is deterministic
given its ``seed`` (the random draws happen on the CPU, then the result moves to the device),
so the same seed gives the same pixels on every machine and device.

No cache is kept under ``data/``: loading the seven images and cropping a few thousand
patches takes well under a second, so a cache would save nothing measurable.

Shapes follow torch's convention: images are (N, 3, H, W), RGB, float32 in [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import torch
from torch.utils.data import TensorDataset

from .._validate import check_choice, check_int
from ..runtime import get_device

#: Colour images shipped inside scikit-image's wheel (no download needed), name -> loader name.
NATURAL_IMAGES: tuple[str, ...] = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "hubble_deep_field",
    "motorcycle_left",
    "immunohistochemistry",
)

#: Fraction of each image's width (its right-hand side) reserved for held-out patches.
HELDOUT_FRACTION = 0.25

SPLITS = ("train", "heldout")


def _device(device: torch.device | str | None) -> torch.device:
    return get_device() if device is None else torch.device(device)


@cache
def _load_uint8(name: str) -> np.ndarray:
    import skimage.data

    if name == "motorcycle_left":
        image = skimage.data.stereo_motorcycle()[0]
    else:
        image = getattr(skimage.data, name)()
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] < 3:
        raise RuntimeError(f"skimage.data.{name} is not an RGB image (shape {image.shape})")
    return np.ascontiguousarray(image[..., :3])


def _split_columns(width: int, size: int, split: str) -> tuple[int, int]:
    """Allowed range [low, high] of a crop's left column in ``split``."""
    boundary = int(round(width * (1.0 - HELDOUT_FRACTION)))
    if split == "train":
        return 0, boundary - size
    return boundary, width - size


def natural_patches(
    n: int,
    size: int = 32,
    split: str = "train",
    seed: int = 0,
    images: Sequence[str] | None = None,
    device: torch.device | str | None = None,
    return_origins: bool = False,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Random square crops of natural images, split by source region.

    Each image is cut at 75% of its width: ``split='train'`` crops lie entirely in the left
    part, ``split='heldout'`` crops entirely in the right part, so the two splits share no
    pixel. Each crop picks an image uniformly at random, then a uniformly random position.

    Args:
        n: number of patches (>= 1).
        size: side of the square crop in pixels (2 to 128).
        split: ``'train'`` or ``'heldout'``.
        seed: seed of the crop positions (same seed, same patches).
        images: subset of :data:`NATURAL_IMAGES` (default all of them).
        device: where the result lives (default :func:`get_device`).
        return_origins: also return where each crop came from.

    Returns:
        float32 tensor (n, 3, size, size), RGB in [0, 1]; with ``return_origins`` also an
        int64 tensor (n, 3) of (image index into ``images``, top row, left column), on the CPU.
    """
    n = check_int("n", n, 1)
    size = check_int("size", size, 2, 128)
    check_choice("split", split, SPLITS)
    seed = check_int("seed", seed, 0)
    names = tuple(NATURAL_IMAGES if images is None else images)
    if not names:
        raise ValueError("images must name at least one image of NATURAL_IMAGES, got an empty list")
    for i, name in enumerate(names):
        check_choice(f"images[{i}]", name, NATURAL_IMAGES)
    arrays = [_load_uint8(name) for name in names]
    gen = torch.Generator().manual_seed(seed * 2 + (split == "heldout"))
    which = torch.randint(len(names), (n,), generator=gen)
    u = torch.rand(n, 2, generator=gen, dtype=torch.float64)
    out = np.empty((n, size, size, 3), dtype=np.uint8)
    origins = torch.empty(n, 3, dtype=torch.int64)
    for i in range(n):
        image = arrays[int(which[i])]
        height, width = image.shape[:2]
        low, high = _split_columns(width, size, split)
        if high < low or height < size:
            raise ValueError(
                f"size={size} is too large for image {names[int(which[i])]!r} ({height}x{width}) "
                f"in split {split!r}"
            )
        top = int(u[i, 0] * (height - size + 1))
        left = low + int(u[i, 1] * (high - low + 1))
        out[i] = image[top : top + size, left : left + size]
        origins[i] = torch.tensor([int(which[i]), top, left])
    patches = torch.from_numpy(out).permute(0, 3, 1, 2).to(torch.float32).div(255.0)
    patches = patches.contiguous().to(_device(device))
    return (patches, origins) if return_origins else patches


# ----------------------------------------------------------------------------- coloured shapes

#: Meaning of the columns of :attr:`ColoredShapes.codes`.
SHAPE_CODE_FIELDS: tuple[str, ...] = (
    "bg_r", "bg_g", "bg_b", "fg_r", "fg_g", "fg_b", "center_y", "center_x", "radius", "is_square",
)


@dataclass
class ColoredShapes:
    """A batch of coloured shapes on coloured backgrounds.

    Attributes:
        images: float32 (N, 3, H, W), RGB in [0, 1].
        codes: float32 (N, 10), one row per image with the fields of :data:`SHAPE_CODE_FIELDS`:
            background RGB, shape RGB (both in [0, 1]), centre (row, column) and radius as
            fractions of the image size, and 1.0 for a square, 0.0 for a disc.
        mean_color: float32 (3,), the mean RGB over all pixels of ``images``.
    """

    images: torch.Tensor
    codes: torch.Tensor
    mean_color: torch.Tensor

    def __len__(self) -> int:
        return self.images.shape[0]

    def dataset(self) -> TensorDataset:
        """(code, image) pairs for training a decoder from code to image."""
        return TensorDataset(self.codes, self.images)


def render_shapes(codes: torch.Tensor, size: int = 32) -> torch.Tensor:
    """Draw the images that shape codes describe (anti-aliased edges, one pixel wide).

    Args:
        codes: (N, 10) with the fields of :data:`SHAPE_CODE_FIELDS`.
        size: image side in pixels (4 to 256).

    Returns:
        float32 (N, 3, size, size) on ``codes``' device, RGB in [0, 1].
    """
    size = check_int("size", size, 4, 256)
    if not isinstance(codes, torch.Tensor) or codes.dim() != 2 or codes.shape[1] != len(SHAPE_CODE_FIELDS):
        shape = tuple(codes.shape) if isinstance(codes, torch.Tensor) else type(codes).__name__
        raise ValueError(f"codes must be a tensor of shape (N, {len(SHAPE_CODE_FIELDS)}), got {shape}")
    codes = codes.to(torch.float32)
    pos = torch.arange(size, dtype=torch.float32, device=codes.device) + 0.5
    cy = codes[:, 6, None, None] * size
    cx = codes[:, 7, None, None] * size
    radius = codes[:, 8, None, None] * size
    dy = pos.view(1, -1, 1) - cy
    dx = pos.view(1, 1, -1) - cx
    disc = torch.sqrt(dy**2 + dx**2)
    square = torch.maximum(dy.abs(), dx.abs())
    is_square = codes[:, 9, None, None]
    dist = is_square * square + (1 - is_square) * disc
    alpha = (radius - dist + 0.5).clamp(0.0, 1.0).unsqueeze(1)
    bg = codes[:, 0:3, None, None]
    fg = codes[:, 3:6, None, None]
    return bg + alpha * (fg - bg)


def colored_shapes(
    n: int,
    size: int = 32,
    seed: int = 0,
    color_low: float = 0.0,
    color_high: float = 1.0,
    device: torch.device | str | None = None,
) -> ColoredShapes:
    """A deterministic batch of discs and squares on plain backgrounds, colours controlled.

    Background and shape colours are drawn independently and uniformly per channel in
    [color_low, color_high]; centres uniformly in the middle 60% of the image; radii in
    [size/8, size/3]; disc or square with equal probability.

    Args:
        n: number of images (>= 1).
        size: image side in pixels (4 to 256).
        seed: seed of every random draw (same seed, same images on every device).
        color_low, color_high: range of each colour channel, 0 <= low < high <= 1.
        device: where the result lives (default :func:`get_device`).

    Returns:
        :class:`ColoredShapes` with images (n, 3, size, size), codes (n, 10) and mean_color (3,).
    """
    n = check_int("n", n, 1)
    size = check_int("size", size, 4, 256)
    seed = check_int("seed", seed, 0)
    low, high = float(color_low), float(color_high)
    if not 0.0 <= low < high <= 1.0:
        raise ValueError(f"color_low and color_high must satisfy 0 <= color_low < color_high <= 1, got "
                         f"{color_low}, {color_high}")
    gen = torch.Generator().manual_seed(seed)
    colors = low + (high - low) * torch.rand(n, 6, generator=gen)
    centers = 0.2 + 0.6 * torch.rand(n, 2, generator=gen)
    radii = 1.0 / 8 + (1.0 / 3 - 1.0 / 8) * torch.rand(n, 1, generator=gen)
    is_square = (torch.rand(n, 1, generator=gen) < 0.5).to(torch.float32)
    codes = torch.cat([colors, centers, radii, is_square], dim=1).to(_device(device))
    images = render_shapes(codes, size)
    return ColoredShapes(images=images, codes=codes, mean_color=images.mean(dim=(0, 2, 3)))


def flat_color_codes(colors: torch.Tensor) -> torch.Tensor:
    """Shape codes whose image is a flat field of each colour (shape and background alike).

    Args:
        colors: (N, 3) RGB in [0, 1].

    Returns:
        float32 (N, 10) codes on ``colors``' device (centred square of radius 1/4, same colour
        as the background, so the rendered image is exactly flat).
    """
    if not isinstance(colors, torch.Tensor) or colors.dim() != 2 or colors.shape[1] != 3:
        shape = tuple(colors.shape) if isinstance(colors, torch.Tensor) else type(colors).__name__
        raise ValueError(f"colors must be a tensor of shape (N, 3) with RGB in [0, 1], got {shape}")
    colors = colors.to(torch.float32)
    n = colors.shape[0]
    geometry = torch.tensor([0.5, 0.5, 0.25, 1.0], device=colors.device).expand(n, 4)
    return torch.cat([colors, colors, geometry], dim=1)
