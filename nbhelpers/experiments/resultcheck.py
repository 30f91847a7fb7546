"""``make results-check``: do the stored long runs still belong to this code, untouched?

Training amplifies rounding. The same float32 run on two CPUs (or with other vector kernels, or
another thread count) agrees to 1e-5 at initialisation (2e-4 where a max pool's arg-max ties), to
2.3e-4 after 20 steps, and by step 100 it can differ by 60% (the spectral-loss run: index 0.028
on the Intel Xeon that stored it, 0.046 on an AMD EPYC with its AVX2 kernels, 0.053 with
``ATEN_CPU_CAPABILITY=default``). A check
that re-runs a stored trajectory and compares the end of it therefore tests the CPU, not the code.
This check does three things instead, none of which depends on the CPU's rounding:

1. **The seal.** ``make results`` writes every result file with ``seal``, the SHA-256 of the
   file's canonical JSON (everything but the seal). A number edited by hand, anywhere in the file
   (any checkpoint, any seed), no longer matches its seal. This catches edits; it is not security
   (anyone can recompute a seal), and it is said so.
2. **The declaration.** The stored config equals the run that ``declared_runs()`` declares now:
   the same kind, loss, optimiser, learning rate, batch size, steps and checkpoints.
3. **The replay.** Each file also stores its *replay*: the same run (same data, seed, batch order,
   model, loss and optimiser) stopped after :data:`REPLAY_STEPS` steps and measured there with
   every measure of its task. The check re-runs it and compares the model at initialisation (step 0)
   with the stored step-0 checkpoint and step 20 with the replay, within :data:`REPLAY_TOLERANCE`.
   Any change to the code path that made the run changes these numbers far beyond rounding: a
   learning rate 10% higher moves some step-20 measure of every one of the 30 checked runs by at
   least 0.95% (measured), a loss, data order, architecture or measure change by more.

The tolerance sits between the two sizes it must separate, both measured on the 30 seed-0 runs
(one per task, kind and loss) on a 2-core AMD EPYC, torch 2.13.0 (see the README, *Long runs*):
rounding moves a step-0 or step-20 measure by at most 2.3e-4 relative across ``ATEN_CPU_CAPABILITY=avx2``
and ``default`` and 1 or 2 threads, and a 10% learning-rate change by at least 9.5e-3. The
relative tolerance 1.5e-3 is about their geometric mean: 6.5x above the rounding, 6.3x below the
smallest effect. Measures that sit at zero up to float noise (the phase spread of a layer that
paints no pattern: 1e-12 +- 1e-7) and counts (accuracies over 256 examples, rank correlations)
get an absolute floor instead, far above the noise and below a real change.

What it cannot do: say that a stored step-3000 number is what this machine would compute. A
chaotic trajectory is not reproducible bit for bit across machines; the trained claims are
therefore stated over five seeds, and seed noise (index ratios 0.39-2.53 between seeds at 3000
steps) is far larger than the rounding.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import torch

from ..runtime import cpu_name

#: steps of the replay: late enough that the optimiser, the loss and the data order have acted on
#: every measure, early enough that rounding has not grown (2.3e-4 at most, measured).
REPLAY_STEPS = 20
#: relative tolerance of every replayed measure (see the module docstring for the measurement).
REPLAY_RELATIVE = 1.5e-3
#: absolute floors, per measure: a value passes within max(REPLAY_RELATIVE * |stored|, floor).
#: Near-zero measures (phase_spread of a resize layer, 1e-12 +- 1e-7) and counts need one.
REPLAY_FLOOR = {
    "index": 1e-6, "phase_spread": 1e-6, "mse": 1e-9, "psnr": 1e-3, "ssim": 1e-5, "train_loss": 1e-9,
    "slope": 1e-8, "amplitude": 1e-8, "spearman": 1e-3, "phase_ratio": 1e-5, "high_frequency_share": 1e-6,
    "accuracy": 0.01, "tone_db": 1e-3, "high_band_db": 1e-3, "lsd": 1e-3, "detector_accuracy": 0.01,
    "detector_low": 0.01, "detector_high": 0.01, "detector_n_correct": 2.5, "detector_n_test": 0.0,
    "spectral_gap_db": 1e-3, "spectral_offset_db": 1e-3,
}


# ----------------------------------------------------------------------------- the seal


def seal_of(record: dict) -> str:
    """SHA-256 (hex, prefixed ``sha256:``) of ``record`` without its ``seal``, as canonical JSON
    (sorted keys, no spaces; floats as Python writes them, which read back exactly; an infinite PSNR
    as ``Infinity``, as the result files hold it)."""
    body = {k: v for k, v in record.items() if k != "seal"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def sealed(record: dict) -> dict:
    """``record`` with its ``seal`` (a new dict)."""
    return {**{k: v for k, v in record.items() if k != "seal"}, "seal": seal_of(record)}


# ----------------------------------------------------------------------------- the replay


def computed_on(device: torch.device) -> dict:
    """Where a replay was computed: device, CPU model, vector kernels, threads, torch version."""
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_name()
    return {"device": f"{device} ({name})", "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "threads": torch.get_num_threads(), "torch": torch.__version__}


def replay_config(config: object) -> object:
    """The run ``config`` stopped after :data:`REPLAY_STEPS` steps, measured there."""
    from .longrun import RunConfig

    fields = {**asdict(config), "steps": REPLAY_STEPS, "checkpoints": (REPLAY_STEPS,)}
    return RunConfig(**fields)


def replay(config: object, device: torch.device | str = "cpu") -> tuple[dict, dict]:
    """Re-run ``config`` for :data:`REPLAY_STEPS` steps on ``device`` (TF32 off on CUDA).

    Returns:
        (measures of the model at initialisation, measures after REPLAY_STEPS steps), each a dict
        of floats without ``step``.
    """
    from .longrun import run

    device = torch.device(device)
    flags = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    try:  # TF32 rounds to 10 bits: far beyond the tolerance
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
        measured = run(replay_config(config), device=device, progress=False)["checkpoints"]
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = flags
    start, end = ({k: v for k, v in m.items() if k != "step"} for m in (measured[0], measured[-1]))
    return start, end


def replay_record(config: object, device: torch.device | str = "cpu") -> dict:
    """What a result file stores as ``replay``: the step-REPLAY_STEPS measures and where they were
    computed (the step-0 measures are the file's first checkpoint already)."""
    _, end = replay(config, device)
    return {"steps": REPLAY_STEPS, "measured": end, "computed_on": computed_on(torch.device(device))}


def deviations(stored: dict, fresh: dict) -> dict[str, float]:
    """Per measure common to both (and known to :data:`REPLAY_FLOOR`): |fresh - stored| over its
    tolerance, max(REPLAY_RELATIVE * |stored|, floor). Above 1 fails."""
    out = {}
    for metric in sorted(set(stored) & set(fresh) & set(REPLAY_FLOOR)):
        old, new = stored[metric], fresh[metric]
        if not (math.isfinite(old) and math.isfinite(new)):  # e.g. PSNR = inf: must agree exactly
            out[metric] = 0.0 if old == new else math.inf
            continue
        limit = max(REPLAY_RELATIVE * abs(old), REPLAY_FLOOR[metric])
        difference = abs(new - old)
        out[metric] = difference / limit if limit > 0 else (0.0 if difference == 0 else math.inf)
    return out


def live_deviation(live: Sequence[dict], stored: dict) -> float:
    """How far a run trained in a notebook is from a stored run, in tolerances: the largest
    :func:`deviations` ratio of its step-0 and step-:data:`REPLAY_STEPS` measures against the stored
    step-0 checkpoint and the stored replay. At most 1 when the live run is the stored one, on any
    CPU (rounding has not grown by step 20); far above 1 for another seed.

    Args:
        live: the live run's checkpoints (dicts with ``step``), including steps 0 and REPLAY_STEPS,
            as the notebooks' ``train_*`` functions return them.
        stored: a stored result (with ``checkpoints`` and ``replay``), e.g. from ``load_results()``.

    Returns:
        a float >= 0.
    """
    by_step = {c["step"]: c for c in live}
    if 0 not in by_step or REPLAY_STEPS not in by_step:
        raise ValueError(f"live must hold the checkpoints of steps 0 and {REPLAY_STEPS}, got steps "
                         f"{sorted(by_step)}: train with checkpoints=({REPLAY_STEPS}, ...)")
    pairs = ((stored["checkpoints"][0], by_step[0]), (stored["replay"]["measured"], by_step[REPLAY_STEPS]))
    return max(max(deviations(old, new).values(), default=0.0) for old, new in pairs)


def _replay_problems(name: str, stored: dict, start: dict, end: dict) -> tuple[list[str], float]:
    problems, largest = [], 0.0
    pairs = ((0, stored["checkpoints"][0], start), (REPLAY_STEPS, stored["replay"]["measured"], end))
    for step, old, new in pairs:
        missing = sorted((set(old) & set(REPLAY_FLOOR)) - set(new))
        problems += [f"{name}: the code no longer measures {m!r} at step {step}" for m in missing]
        for metric, ratio in deviations(old, new).items():
            largest = max(largest, ratio)
            if ratio > 1:
                problems.append(f"{name}: {metric} at step {step}: stored {old[metric]:.7g}, this code "
                                f"{new[metric]:.7g} ({ratio:.3g}x the tolerance): the stored run no longer "
                                "matches the code; re-run it with `make results`")
    return problems, largest


# ----------------------------------------------------------------------------- the check


def stored_problems(configs: Sequence[object], directory: Path) -> list[str]:
    """Seal and declaration of every run in ``configs``: each problem names its run."""
    from .longrun import result_path

    problems = []
    for config in configs:
        path = result_path(config, directory)
        if not path.exists():
            problems.append(f"{config.name}: no stored result at {path}; run `make results`")
            continue
        record = json.loads(path.read_text())
        if "seal" not in record or "replay" not in record:
            problems.append(f"{config.name}: stored without a seal or replay (written before they existed); "
                            "run `make results` for it")
        elif record["seal"] != seal_of(record):
            problems.append(f"{config.name}: {path.name} was edited after `make results` wrote it (its seal "
                            "does not match its contents); restore it (git checkout) or re-run it")
        declared = json.loads(json.dumps(asdict(config)))
        if record.get("config") != declared:
            changed = sorted(k for k in declared if record.get("config", {}).get(k) != declared[k])
            problems.append(f"{config.name}: stored with another configuration than the code declares "
                            f"({', '.join(changed)}); re-run it with `make results`")
    return problems


def check(configs: Sequence[object], directory: Path, replayed: Sequence[object],
          device: torch.device | str = "cpu", report: list[str] | None = None) -> list[str]:
    """:func:`stored_problems` of ``configs``, then replay each of ``replayed`` and compare.

    Args:
        configs: every declared run (their files are sealed and declared).
        directory: where the result files are.
        replayed: the runs to replay (``make results-check``: seed 0 of each task, kind and loss).
        device: where to replay (default the CPU, where the stored replays were computed).
        report: when given, gets one summary line (how many, the largest deviation over tolerance).

    Returns:
        problems, each naming its run (empty when everything holds).
    """
    from .longrun import result_path

    problems = stored_problems(configs, directory)
    broken = {p.split(":", 1)[0] for p in problems}
    largest, where, count = 0.0, "", 0
    for config in replayed:
        if config.name in broken:
            continue
        stored = json.loads(result_path(config, directory).read_text())
        start, end = replay(config, device)
        found, worst = _replay_problems(config.name, stored, start, end)
        problems += found
        count += 1
        if worst >= largest:
            largest, where = worst, config.name
    if report is not None:
        report.append(f"{len(configs)} stored runs checked for seal and declaration; {count} replayed to "
                      f"step {REPLAY_STEPS} on {computed_on(torch.device(device))}: largest deviation "
                      f"{largest:.3g}x its tolerance ({where})")
    return problems
