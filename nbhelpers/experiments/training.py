"""Training loops: seeded, device-aware, with a progress bar, returning a loss history.

The loop draws mini-batches by indexing tensors that already sit on the device (no
``DataLoader`` worker overhead), so it runs as fast as a hand-written PyTorch loop:
:func:`benchmark_training_loop` measures both on the same model.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.data import TensorDataset

from .._validate import check_choice, check_int, check_positive
from ..runtime import get_device, seed_everything
from .progress import Progress

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
LOSSES: dict[str, LossFn] = {"mse": nn.functional.mse_loss, "l1": nn.functional.l1_loss}


@dataclass
class History:
    """What :func:`train` returns.

    Attributes:
        losses: training loss of every step (floats, in the loss's units).
        seconds: wall time of the loop.
        steps: number of optimisation steps.
    """

    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def steps(self) -> int:
        return len(self.losses)

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds > 0 else float("nan")

    def final_loss(self, last: int = 10) -> float:
        """Mean loss of the last ``last`` steps (smooths mini-batch noise)."""
        tail = self.losses[-max(1, int(last)):]
        return sum(tail) / len(tail)


def _as_tensors(data: object, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs, targets) on ``device``: a single tensor or 1-tensor dataset is an autoencoder task."""
    if isinstance(data, TensorDataset):
        tensors = tuple(data.tensors)
    elif isinstance(data, torch.Tensor):
        tensors = (data,)
    elif isinstance(data, (tuple, list)) and all(isinstance(t, torch.Tensor) for t in data):
        tensors = tuple(data)
    else:
        raise TypeError(
            "data must be a tensor (inputs = targets), a pair (inputs, targets) of tensors or a "
            f"TensorDataset, got {type(data).__name__}"
        )
    if not 1 <= len(tensors) <= 2:
        raise ValueError(f"data must hold 1 tensor (autoencoder) or 2 (inputs, targets), got {len(tensors)}")
    if len(tensors) == 2 and tensors[0].shape[0] != tensors[1].shape[0]:
        raise ValueError(f"data's inputs and targets must have the same length, got {tensors[0].shape[0]} "
                         f"and {tensors[1].shape[0]}")
    if tensors[0].shape[0] < 1:
        raise ValueError("data is empty")
    inputs = tensors[0].to(device)
    targets = tensors[-1].to(device)
    return inputs, targets


def _loss_fn(loss: str | LossFn) -> LossFn:
    if isinstance(loss, str):
        check_choice("loss", loss, tuple(LOSSES))
        return LOSSES[loss]
    if not callable(loss):
        raise TypeError(f"loss must be one of {list(LOSSES)} or a callable(prediction, target), got {loss!r}")
    return loss


Checkpoint = Callable[[int, nn.Module], None]


def train(
    model: nn.Module,
    data: torch.Tensor | tuple[torch.Tensor, torch.Tensor] | TensorDataset,
    loss: str | LossFn = "mse",
    steps: int | None = None,
    epochs: int | None = None,
    batch_size: int = 64,
    lr: float = 1e-3,
    seed: int = 0,
    device: torch.device | str | None = None,
    progress: bool = True,
    desc: str = "training",
    log_every: int = 25,
    checkpoints: Sequence[int] = (),
    on_checkpoint: Checkpoint | None = None,
) -> History:
    """Train ``model`` with Adam on mini-batches of ``data``; return the per-step losses.

    Args:
        model: any module; it is moved to ``device``, trained in train mode and returned to
            eval mode.
        data: a tensor (N, ...) (autoencoder: the target is the input), a pair
            (inputs (N, ...), targets (N, ...)) or a :class:`TensorDataset` of one or two tensors.
        loss: ``'mse'``, ``'l1'`` or a callable ``loss(prediction, target) -> scalar``.
        steps: number of optimisation steps; or give ``epochs`` (passes over the data).
        batch_size: examples per step (>= 1; capped at N).
        lr: Adam learning rate (> 0).
        seed: seeds the order of the mini-batches (a CPU generator, so the order is the same on
            every device). Seed the model's initialisation yourself before building it (see
            :func:`train_grid`).
        device: default :func:`get_device`.
        progress: show progress (:class:`.progress.Progress`: in Jupyter a line that ends as the
            run's summary, so a saved notebook shows a finished run; a tqdm bar elsewhere).
        desc: the bar's label.
        log_every: update the bar's loss display every this many steps (each update syncs the device).
        checkpoints: step counts (1..steps) after which ``on_checkpoint(step, model)`` is called,
            e.g. to measure the model at 300, 1000 and 3000 steps of one run. It must not change
            the model; training resumes in train mode.
        on_checkpoint: the callback.

    Returns:
        :class:`History` with ``losses`` (one float per step) and ``seconds``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if (steps is None) == (epochs is None):
        raise ValueError("give exactly one of steps or epochs (both >= 1)")
    device = get_device() if device is None else torch.device(device)
    inputs, targets = _as_tensors(data, device)
    batch_size = min(check_int("batch_size", batch_size, 1), inputs.shape[0])
    if steps is None:
        steps = check_int("epochs", epochs, 1) * (inputs.shape[0] // batch_size)
    steps = check_int("steps", steps, 1)
    marks = sorted({check_int(f"checkpoints[{i}]", c, 1, steps) for i, c in enumerate(checkpoints)})
    if marks and not callable(on_checkpoint):
        raise TypeError("checkpoints need on_checkpoint, a callable(step, model)")
    loop = _Loop(inputs, targets, _loss_fn(loss), batch_size, check_int("seed", seed, 0),
                 check_int("log_every", log_every, 1))
    model.to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=check_positive("lr", lr))
    return loop.run(model, optimizer, steps, desc, progress, marks, on_checkpoint)


@dataclass
class _Loop:
    """The training loop on validated arguments (mini-batches drawn on the device)."""

    inputs: torch.Tensor
    targets: torch.Tensor
    loss_fn: LossFn
    batch_size: int
    seed: int
    log_every: int

    def run(self, model: nn.Module, optimizer: torch.optim.Optimizer, steps: int, desc: str, progress: bool,
            marks: list[int], on_checkpoint: Checkpoint | None) -> History:
        n, device = self.inputs.shape[0], self.inputs.device
        per_epoch = n // self.batch_size
        gen = torch.Generator().manual_seed(self.seed)
        losses = torch.empty(steps, device=device)
        order = torch.empty(0, dtype=torch.long, device=device)
        bar = Progress(steps, desc, enabled=progress)
        start = time.perf_counter()
        for step in range(steps):
            position = (step % per_epoch) * self.batch_size
            if position == 0:
                order = torch.randperm(n, generator=gen).to(device)
            index = order[position : position + self.batch_size]
            optimizer.zero_grad(set_to_none=True)
            value = self.loss_fn(model(self.inputs[index]), self.targets[index])
            value.backward()
            optimizer.step()
            losses[step] = value.detach()
            if progress and (step + 1) % self.log_every == 0:
                bar.update(self.log_every, losses[step].item())
            if marks and step + 1 == marks[0]:
                on_checkpoint(marks.pop(0), model)
                model.train()
        final = float(losses[-1].item())  # waits for the device before the clock stops
        seconds = time.perf_counter() - start
        bar.close(f"{desc}: {steps} steps in {seconds:.1f} s, final loss {final:.4g}")
        model.eval()
        return History(losses=losses.cpu().tolist(), seconds=seconds)


def train_grid(
    make_model: Callable[[str], nn.Module],
    kinds: Sequence[str],
    seeds: Sequence[int],
    data: torch.Tensor | tuple[torch.Tensor, torch.Tensor] | TensorDataset,
    progress: bool = True,
    **train_kwargs: object,
) -> tuple[dict[tuple[str, int], nn.Module], dict[tuple[str, int], History]]:
    """Train one model per (kind, seed) on the same data.

    For each pair, :func:`seed_everything` (seed) runs before ``make_model(kind)``, so the
    initialisation and the batch order both follow the seed.

    Returns:
        (models, histories), both dicts keyed by (kind, seed); models are in eval mode on the
        training device.
    """
    kinds = list(kinds)
    seeds = [check_int(f"seeds[{i}]", s, 0) for i, s in enumerate(seeds)]
    if not kinds or not seeds:
        raise ValueError("kinds and seeds must each list at least one entry")
    models: dict[tuple[str, int], nn.Module] = {}
    histories: dict[tuple[str, int], History] = {}
    for kind in kinds:
        for seed in seeds:
            seed_everything(seed)
            model = make_model(kind)
            histories[kind, seed] = train(model, data, seed=seed, progress=progress,
                                          desc=f"{kind} seed {seed}", **train_kwargs)  # type: ignore[arg-type]
            models[kind, seed] = model
    return models, histories


def _plain_loop(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, steps: int,
                batch_size: int, lr: float, seed: int) -> float:
    """The hand-written reference loop: what a reader would type without helpers."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    n = inputs.shape[0]
    model.train()
    start = time.perf_counter()
    done = 0
    while done < steps:
        order = torch.randperm(n, generator=gen).to(inputs.device)
        for i in range(0, n - batch_size + 1, batch_size):
            index = order[i : i + batch_size]
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(inputs[index]), targets[index])
            loss.backward()
            optimizer.step()
            done += 1
            if done == steps:
                break
    float(loss.item())  # wait for the device
    return time.perf_counter() - start


def benchmark_training_loop(
    model: nn.Module | None = None,
    data: torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None = None,
    steps: int = 200,
    batch_size: int = 64,
    repeats: int = 3,
    device: torch.device | str | None = None,
) -> dict[str, float | str]:
    """Throughput of :func:`train` against a plain hand-written PyTorch loop on the same model.

    Both runs start from copies of the same model and see the same batches; each is timed
    ``repeats`` times after a warm-up and the best time counts (least disturbed by other load).

    Args:
        model: default the notebook-03 ``'deconv3'`` patch autoencoder.
        data: default 1024 natural 32x32 patches (autoencoder task).
        steps, batch_size, repeats: per timed run.
        device: default :func:`get_device`.

    Returns:
        dict with ``train_steps_per_s``, ``plain_steps_per_s`` and ``ratio`` (train / plain;
        the target is >= 0.9), plus ``steps``, ``batch_size`` and ``device`` (its name).
    """
    from ..layers.models import autoencoder
    from .data import natural_patches

    device = get_device() if device is None else torch.device(device)
    steps = check_int("steps", steps, 1)
    repeats = check_int("repeats", repeats, 1)
    if model is None:
        seed_everything(0)
        model = autoencoder("deconv3")
    if data is None:
        data = natural_patches(1024, 32, "train", seed=0, device=device)
    inputs, targets = _as_tensors(data, device)
    batch_size = min(check_int("batch_size", batch_size, 1), inputs.shape[0])
    model = model.to(device)
    warm = max(5, steps // 10)
    _plain_loop(copy.deepcopy(model), inputs, targets, warm, batch_size, 1e-3, 0)
    plain, ours = [], []
    for _ in range(repeats):
        plain.append(_plain_loop(copy.deepcopy(model), inputs, targets, steps, batch_size, 1e-3, 0))
        history = train(copy.deepcopy(model), (inputs, targets), steps=steps, batch_size=batch_size,
                        seed=0, device=device, progress=False)
        ours.append(history.seconds)
    train_rate = steps / min(ours)
    plain_rate = steps / min(plain)
    return {
        "train_steps_per_s": train_rate,
        "plain_steps_per_s": plain_rate,
        "ratio": train_rate / plain_rate,
        "steps": float(steps),
        "batch_size": float(batch_size),
        "device": str(device),
    }
