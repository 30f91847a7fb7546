"""Argument checks shared by the public functions.

Every public function validates its arguments here, so that a user mistake is a
`ValueError`/`TypeError` that names the argument and the allowed range, never a
traceback from deep inside torch.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import torch


def check_int(name: str, value: object, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int, or raise naming ``name`` and the range [low, high]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_floating_point():
            value = int(value.item())
        else:
            raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if low is not None and value < low or high is not None and value > high:
        if high is None:
            allowed = f">= {low}"
        elif low is None:
            allowed = f"<= {high}"
        else:
            allowed = f"between {low} and {high}"
        raise ValueError(f"{name} must be an integer {allowed}, got {value}")
    return value


def check_int_list(name: str, value: object, low: int = 1) -> list[int]:
    """Accept an int or a non-empty sequence of ints (one per layer) and return a list."""
    if isinstance(value, (str, bytes)) or not (
        isinstance(value, (numbers.Integral, Sequence)) or isinstance(value, torch.Tensor)
    ):
        raise TypeError(
            f"{name} must be an integer or a sequence of integers (one per layer), got {value!r}"
        )
    if isinstance(value, torch.Tensor):
        value = value.tolist()
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return [check_int(name, value, low)]
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer or a sequence of integers, got {value!r}")
    items = list(value)  # type: ignore[arg-type]
    if not items:
        raise ValueError(f"{name} must have at least one entry (one per layer), got an empty list")
    return [check_int(f"{name}[{i}]", v, low) for i, v in enumerate(items)]


def check_positive(name: str, value: object) -> float:
    """Return ``value`` as a float, or raise naming ``name`` unless it is a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def check_layers(kernel_sizes: object, strides: object) -> tuple[list[int], list[int]]:
    """Validate a stack of (kernel size, stride) pairs; a single int broadcasts to every layer."""
    ks = check_int_list("kernel_sizes", kernel_sizes)
    ss = check_int_list("strides", strides)
    if len(ks) == 1 and len(ss) > 1:
        ks = ks * len(ss)
    elif len(ss) == 1 and len(ks) > 1:
        ss = ss * len(ks)
    if len(ks) != len(ss):
        raise ValueError(
            "kernel_sizes and strides must have the same length (one entry per layer), "
            f"got {len(ks)} kernel sizes and {len(ss)} strides"
        )
    return ks, ss


def check_choice(name: str, value: object, choices: Sequence[object]) -> object:
    """Raise unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def check_tensor(name: str, x: object, min_rank: int = 1, finite: bool = True) -> torch.Tensor:
    """Accept a tensor (or array-like) of rank >= ``min_rank`` with finite values; return a
    floating-point tensor."""
    if not isinstance(x, torch.Tensor):
        try:
            x = torch.as_tensor(x)
        except Exception as exc:  # noqa: BLE001 - re-raised with a clear message
            raise TypeError(f"{name} must be a torch.Tensor or array-like, got {type(x).__name__}") from exc
    if x.dtype == torch.bool or x.is_complex():
        raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
    if not x.is_floating_point():
        x = x.to(torch.float32)
    if x.dim() < min_rank:
        raise ValueError(
            f"{name} must have at least {min_rank} dimension(s), got shape {tuple(x.shape)}"
        )
    if finite and not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def check_input_shape(input_shape: object) -> tuple[int, ...]:
    """Validate a batch-first input shape such as (1, 3, 32, 32) or (1, 100); return it as a tuple."""
    if isinstance(input_shape, torch.Size):
        input_shape = tuple(input_shape)
    if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, Sequence):
        raise TypeError(f"input_shape must be a tuple of ints with the batch first, e.g. (1, 3, 32, 32), "
                        f"got {input_shape!r}")
    shape = tuple(check_int(f"input_shape[{i}]", v, 1) for i, v in enumerate(input_shape))
    if len(shape) < 2:
        raise ValueError(f"input_shape must list the batch first and at least one more dimension, e.g. "
                         f"(1, 3, 32, 32), got {shape}")
    return shape


def check_model(model: object, name: str = "model") -> torch.nn.Module:
    """Raise ``TypeError`` unless ``model`` is an ``nn.Module``; return it."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(model).__name__}")
    return model
