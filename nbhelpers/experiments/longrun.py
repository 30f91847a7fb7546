"""Long runs: the trained experiments of notebooks 03, 04 and 05 at the lengths a student would try.

A run is declared by a :class:`RunConfig` (task, kind, loss, optimiser, steps, seed). Tasks:
``autoencoder`` (the patch autoencoder of notebooks 03 and 05, measured on the held-out patches:
index, PSNR, SSIM, MSE), ``colour`` and ``colour-nobias`` (notebook 03's shape-code decoder, the
second with its convolution biases frozen at zero: the artifact against the colour's distance
from the data's mean colour), and ``gan`` (notebook 04's image GAN, kind ``stride2`` or
``stride1``: the images' period-2 index), and ``downsampling`` (notebook 04's classifier of each
downsampling design: accuracy and its input gradients' index, phase ratio and high-frequency
share, measured from step 80), and ``audio`` (notebook 07's x4 audio upsampler of each kind, to
3000 steps: the 4 kHz tone's prominence, high-band energy error, log-spectral distance, MSE), and
``fingerprint`` (notebook 08's patch autoencoder of each kind, or with only its last upsampling
layer swapped, under MSE or MSE plus a spectral loss, to 3000 steps: a spectral detector's
accuracy on real vs reconstructed held-out patches, its 95% interval, index, PSNR, spectral gap).
A run trains one model from its seed exactly as the notebook does (same data, batch order, Adam,
learning rate), on one CPU thread, measures it at every checkpoint (100, 300, 1000, 3000 and
10000 steps; audio to 3000) and writes
``data/results/<name>.json`` with its provenance
(command, commit, torch version, device, threads, date, wall time). Finished runs are skipped,
so ``make results`` resumes where it stopped. Each file is written with its *replay* (the run's
first 20 steps, measured) and a *seal*; ``make results-check`` (:mod:`.resultcheck`) checks both,
independently of the CPU's rounding, and exits 1 naming every run that disagrees.

Losses: ``'mse'`` penalises every pixel, the checkerboard included; ``'perceptual'`` compares
fixed random convolutional features (no downloaded weights; 2x2 average pooling between the
layers), which do not penalise a fine pixel pattern directly, as adversarial and perceptual
losses of the article's GANs do not.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import torch

from ..runtime import get_device
from .resultcheck import check, replay_record, sealed
from .stored import results_dir, stored_result_files
from .tasks import TASK_RUNNERS

#: data/results of the checkout, or the copy shipped inside an installed wheel (see :mod:`.stored`)
RESULTS_DIR = results_dir()
CHECKPOINTS = (100, 300, 1000, 3000, 10000)
#: the seeds the trained claims are designed and thresholded on ...
DESIGN_SEEDS = (0, 1, 2, 3, 4)
#: ... and the fresh seeds they must also hold on ("designed on 0-4, confirmed on 5-9")
CONFIRM_SEEDS = (5, 6, 7, 8, 9)
SEEDS = DESIGN_SEEDS + CONFIRM_SEEDS
AUTOENCODER_KINDS = (
    "deconv3", "deconv4", "nearest", "bilinear", "subpixel", "subpixel_icnr", "subpixel_icnr_blur",
)
PERCEPTUAL_KINDS = ("deconv3", "deconv4", "nearest")
COLOUR_KINDS = ("deconv3", "nearest")
TASKS = ("autoencoder", "colour", "colour-nobias", "gan", "downsampling", "audio", "fingerprint")
AUDIO_KINDS = ("transposed", "subpixel", "nearest", "linear")
#: notebook 07's upsampler: Adam at 1e-3 on batches of 16 clips, measured to 3000 steps
AUDIO_CHECKPOINTS = (100, 300, 1000, 3000)
DOWNSAMPLING_DESIGNS = ("stride2_k3", "stride2_k4", "stride2_k2", "avgpool", "maxpool", "blurpool")
#: notebook 04 trains its classifiers for 80 steps; the long runs measure there too.
DOWNSAMPLING_CHECKPOINTS = (80, 300, 1000, 3000, 10000)
#: notebook 08's fingerprint runs, to 3000 steps; step 100 is kept so `make results-check` has a
#: checkpoint to compare (it re-runs to CHECKPOINTS[0]).
FINGERPRINT_CHECKPOINTS = (100, 300, 1000, 3000)
#: (kind, loss) of the fingerprint runs: every upsampling layer of one kind, only the last one
#: swapped for resize-convolution, and deconv3 with the spectral loss added.
FINGERPRINT_RUNS = (("deconv3", "mse"), ("nearest", "mse"), ("deconv3_last_nearest", "mse"),
                    ("deconv3_last_bilinear", "mse"), ("deconv3", "mse_spectral"))
@dataclass(frozen=True)
class RunConfig:
    """One declared run.

    Attributes:
        kind: the decoder's upsampling kind (a key of ``UPSAMPLERS``).
        seed: seeds the initialisation and the batch order.
        loss: ``'mse'`` or ``'perceptual'``.
        steps: optimisation steps (the last checkpoint).
        checkpoints: step counts at which the model is measured.
        task: ``'autoencoder'``: the 32x32 patch autoencoder of notebooks 03 and 05.
        optimiser, lr, batch_size: Adam at 3e-3 on batches of 32, as in the notebooks.
    """

    kind: str
    seed: int
    loss: str = "mse"
    steps: int = CHECKPOINTS[-1]
    checkpoints: tuple[int, ...] = CHECKPOINTS
    task: str = "autoencoder"
    optimiser: str = "adam"
    lr: float = 3e-3
    batch_size: int = 32

    @property
    def name(self) -> str:
        """File name stem, e.g. ``autoencoder-deconv3-mse-s0``."""
        return f"{self.task}-{self.kind}-{self.loss}-s{self.seed}"

    def shortened(self, steps: int) -> RunConfig:
        """The same run stopped at ``steps`` (for the check)."""
        kept = tuple(c for c in self.checkpoints if c <= steps)
        return RunConfig(self.kind, self.seed, self.loss, steps, kept,
                         self.task, self.optimiser, self.lr, self.batch_size)


def declared_runs() -> list[RunConfig]:
    """Every run of ``make results``, ten seeds each (:data:`SEEDS`: five to design the claims on,
    five to confirm them): each autoencoder kind under MSE, three under
    the perceptual loss, the colour decoders with and without biases, the GAN with each first stride,
    notebook 04's classifier with each downsampling design, notebook 07's audio upsampler of each kind,
    notebook 08's fingerprint autoencoders (:data:`FINGERPRINT_RUNS`)."""
    runs = [RunConfig(kind, seed) for kind in AUTOENCODER_KINDS for seed in SEEDS]
    runs += [RunConfig(kind, seed, "perceptual") for kind in PERCEPTUAL_KINDS for seed in SEEDS]
    runs += [RunConfig(kind, seed, task="colour") for kind in COLOUR_KINDS for seed in SEEDS]
    runs += [RunConfig("deconv3", seed, task="colour-nobias") for seed in SEEDS]
    runs += [RunConfig(kind, seed, "gan", task="gan") for kind in ("stride2", "stride1") for seed in SEEDS]
    runs += [RunConfig(design, seed, "cross_entropy", checkpoints=DOWNSAMPLING_CHECKPOINTS,
                       task="downsampling") for design in DOWNSAMPLING_DESIGNS for seed in SEEDS]
    runs += [RunConfig(kind, seed, steps=AUDIO_CHECKPOINTS[-1], checkpoints=AUDIO_CHECKPOINTS, task="audio",
                       lr=1e-3, batch_size=16) for kind in AUDIO_KINDS for seed in SEEDS]
    runs += [RunConfig(kind, seed, loss, steps=FINGERPRINT_CHECKPOINTS[-1],
                       checkpoints=FINGERPRINT_CHECKPOINTS, task="fingerprint")
             for kind, loss in FINGERPRINT_RUNS for seed in SEEDS]
    return runs


def check_runs() -> list[RunConfig]:
    """The subset ``make results-check`` replays: seed 0 of every kind of every task and loss."""
    return [c for c in declared_runs() if c.seed == 0]


# ----------------------------------------------------------------------------- one run


def run(config: RunConfig, device: torch.device | str | None = None, progress: bool = True) -> dict:
    """Train one run and measure it at its checkpoints (see :mod:`.tasks` for what each task measures).

    Returns:
        ``{"config": ..., "checkpoints": [{"step": ..., <metric>: ...}, ...], "provenance": ...}``,
        plain Python (JSON-ready).
    """
    device = get_device() if device is None else torch.device(device)
    measured, seconds = TASK_RUNNERS[config.task](config, device, progress)
    return {"config": asdict(config), "checkpoints": measured, "provenance": _provenance(device, seconds)}


def _provenance(device: torch.device, seconds: float) -> dict:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                                cwd=RESULTS_DIR.parent.parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    return {"command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]), "commit": commit,
            "torch": torch.__version__, "device": f"{device} ({name})", "threads": torch.get_num_threads(),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "wall_seconds": round(seconds, 1)}


# ----------------------------------------------------------------------------- many runs


def result_path(config: RunConfig, directory: Path = RESULTS_DIR) -> Path:
    """Where a run's result lives: ``<directory>/<name>.json``."""
    return Path(directory) / f"{config.name}.json"


def _run_and_store(config: RunConfig, directory: Path, progress: bool) -> str:
    torch.set_num_threads(1)  # one thread per process: the processes share the cores
    record = run(config, progress=progress)
    record["replay"] = replay_record(config, "cpu")  # where `make results-check` replays by default
    record = sealed(record)
    path = result_path(config, directory)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    tmp.replace(path)  # a run is either finished or absent
    return f"{config.name}: {record['provenance']['wall_seconds']} s"


def run_all(configs: Sequence[RunConfig], directory: Path = RESULTS_DIR, jobs: int = 2) -> list[str]:
    """Run every config whose result file is missing, ``jobs`` processes at a time (one thread each).

    Returns:
        one line per finished run.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    todo = [c for c in configs if not result_path(c, directory).exists()]
    print(f"{len(configs) - len(todo)} of {len(configs)} runs already stored; {len(todo)} to go", flush=True)
    if jobs <= 1:
        return [_run_and_store(c, directory, True) for c in todo]
    done = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for line in pool.map(_run_and_store, todo, [directory] * len(todo), [False] * len(todo)):
            print(line, flush=True)
            done.append(line)
    return done


def load_results(directory: Path = RESULTS_DIR, seeds: Sequence[int] | None = DESIGN_SEEDS) -> list[dict]:
    """The stored results of ``seeds`` (default the design seeds 0-4; :data:`CONFIRM_SEEDS` for the
    fresh seeds a claim is confirmed on; None for every stored seed), sorted by name."""
    records = [json.loads(p.read_text()) for p in stored_result_files(directory)]
    return records if seeds is None else [r for r in records if r["config"]["seed"] in set(seeds)]


def curves(
    results: Sequence[dict], task: str, loss: str, metric: str, first: int = 1
) -> tuple[list[int], dict[str, torch.Tensor]]:
    """One metric of stored runs as curves over training length, per kind.

    Args:
        results: as from :func:`load_results`.
        task, loss: which runs (e.g. ``'autoencoder'``, ``'mse'``).
        metric: a key of the checkpoints, e.g. ``'index'`` or ``'psnr'``.
        first: the earliest step kept (default 1: leave out the model at initialisation, step 0).

    Returns:
        (steps, {kind: float64 tensor (seeds, len(steps))}), seeds in increasing order; every run
        of a kind must have the same checkpoints.
    """
    chosen = [r for r in results if r["config"]["task"] == task and r["config"]["loss"] == loss]
    if not chosen:
        raise ValueError(f"no stored runs for task={task!r}, loss={loss!r}: run `make results`")
    steps = [c["step"] for c in chosen[0]["checkpoints"] if c["step"] >= first]
    table: dict[str, list[tuple[int, list[float]]]] = {}
    for r in chosen:
        kept = [c for c in r["checkpoints"] if c["step"] >= first]
        if [c["step"] for c in kept] != steps:
            raise ValueError(f"run {r['config']} has checkpoints {[c['step'] for c in kept]}, not {steps}")
        values = [c[metric] for c in kept]
        table.setdefault(r["config"]["kind"], []).append((r["config"]["seed"], values))
    return steps, {kind: torch.tensor([v for _, v in sorted(rows)], dtype=torch.float64)
                   for kind, rows in table.items()}


def add_replays(configs: Sequence[RunConfig], directory: Path = RESULTS_DIR) -> list[str]:
    """Give stored files written before replays and seals existed their replay (computed here, on the
    CPU) and their seal. It verifies nothing: use it once, on results you trust (e.g. that passed the
    step-100 re-run they were checked with then). Files that have a seal are left alone.

    Returns:
        the names of the files it changed.
    """
    changed = []
    for config in configs:
        path = result_path(config, directory)
        if not path.exists():
            continue
        record = json.loads(path.read_text())
        if "seal" in record:
            continue
        record["replay"] = replay_record(config, "cpu")
        path.write_text(json.dumps(sealed(record), indent=1) + "\n")
        changed.append(config.name)
        print(f"{config.name}: replay and seal added", flush=True)
    return changed


def main(argv: list[str] | None = None) -> int:
    """``make results`` (``run``) and ``make results-check`` (``check``); returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m nbhelpers.experiments.longrun",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("run", "check", "list", "add-replays"))
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "2")))
    parser.add_argument("--dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--all-seeds", action="store_true", help="check: replay every seed, not only seed 0")
    parser.add_argument("--device", default="cpu", help="check: where to replay (default cpu)")
    parser.add_argument("--one-per-task", action="store_true",
                        help="check: replay seed 0 of one kind per task only (every file is still checked)")
    args = parser.parse_args(argv)
    if args.command == "list":
        for config in declared_runs():
            print(config.name, "stored" if result_path(config, args.dir).exists() else "missing")
        return 0
    if args.command == "run":
        start = time.perf_counter()
        run_all(declared_runs(), args.dir, args.jobs)
        seconds = time.perf_counter() - start
        print(f"all {len(declared_runs())} runs stored in {args.dir} ({seconds:.0f} s this time)")
        return 0
    if args.command == "add-replays":
        add_replays(declared_runs(), args.dir)
        return 0
    report: list[str] = []
    replayed = declared_runs() if args.all_seeds else check_runs()
    if args.one_per_task:
        replayed = list({c.task: c for c in reversed(replayed)}.values())
    problems = check(declared_runs(), args.dir, replayed, args.device, report)
    for problem in problems:
        print(f"MISMATCH {problem}", file=sys.stderr)
    print(f"results-check: {report[0] if report else ''}; "
          f"{'all agree' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
