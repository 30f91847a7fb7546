"""Shared cores: N copies of the notebooks' training at once, per thread-policy context and without it.

Each copy is a separate Python process that trains the patch autoencoder of notebooks 03 and 05
(k=3 transposed convolutions, 2048 natural patches, batch 64) for a fixed number of steps and
reports the training's wall time (imports and data excluded). All copies of a round are started
together: each prepares, says it is ready, and the clock starts when every copy is ready. This
is what many students running the same notebook on one class server do to each other.

The settings (:data:`SETTINGS`) are the workers' environments: the policy on a personal machine
(no JupyterHub variable), the policy on a shared server (``JUPYTERHUB_USER`` set, as JupyterHub
sets it) and torch's default thread count (``NBHELPERS_THREADS=torch``, a plain PyTorch notebook).
Whatever this process's own environment says about threads or hubs is removed first.

``python -m nbhelpers.course.contention`` prints the table; :func:`contention_table` is what
``make bench`` calls. Targets (:func:`check_targets`): one copy alone under the personal policy
at most 1.3x slower than with torch's default threads, and under the shared-server policy each
of 4 copies at once within 3x one copy alone (a fair share of 2 cores is 2x).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

from nbhelpers.runtime import HUB_MARKERS, SHARED_VAR, THREADS_VAR

FAIR_FACTOR = 3.0  # shared-server policy, 4 copies: each within 3x one copy alone
ALONE_FACTOR = 1.3  # personal policy, one copy alone: within 1.3x of torch's default threads
DEFAULT_STEPS = 150
# setting -> (row label, what the workers' environment gets on top of a clean one)
SETTINGS: dict[str, tuple[str, dict[str, str]]] = {
    "personal": ("policy, personal machine", {}),
    "shared": ("policy, shared server", {"JUPYTERHUB_USER": "contention-bench"}),
    "torch": ("torch default", {THREADS_VAR: "torch"}),
}


def worker(steps: int) -> dict:
    """Train the autoencoder for ``steps`` steps after a 'go' on stdin; seconds of training only."""
    import torch

    from nbhelpers.experiments.data import natural_patches
    from nbhelpers.experiments.training import train
    from nbhelpers.layers.models import autoencoder
    from nbhelpers.runtime import seed_everything, thread_policy

    seed_everything(0)
    patches = natural_patches(2048, size=32, split="train", seed=0, device="cpu")
    model = autoencoder("deconv3")
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.perf_counter()
    train(model, patches, steps=steps, progress=False, device="cpu")
    return {"seconds": time.perf_counter() - start, "threads": torch.get_num_threads(),
            "context": thread_policy().context}


def worker_environment(setting: str) -> dict[str, str]:
    """This process's environment without thread or hub variables, plus ``setting``'s (:data:`SETTINGS`)."""
    if setting not in SETTINGS:
        raise ValueError(f"setting must be one of {', '.join(SETTINGS)}, got {setting!r}")
    drop = {THREADS_VAR, SHARED_VAR, *HUB_MARKERS}
    env = {key: value for key, value in os.environ.items() if key not in drop}
    return {**env, "NBHELPERS_DEVICE": "cpu", **SETTINGS[setting][1]}


def run_round(copies: int, setting: str, steps: int = DEFAULT_STEPS) -> list[dict]:
    """Start ``copies`` workers together in ``setting``'s environment (:data:`SETTINGS`); their results."""
    env = worker_environment(setting)
    command = [sys.executable, "-m", "nbhelpers.course.contention", "--worker", str(steps)]
    procs = [subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
             for _ in range(copies)]
    try:
        for proc in procs:
            if proc.stdout.readline().strip() != "ready":
                raise RuntimeError("a contention worker failed before it was ready")
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        return [json.loads(proc.communicate(timeout=600)[0].strip().splitlines()[-1]) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()


def contention_table(counts: Sequence[int] = (1, 2, 4), steps: int = DEFAULT_STEPS,
                     torch_counts: Sequence[int] = (1,),
                     personal_counts: Sequence[int] = (1,)) -> tuple[list[dict], bool]:
    """Rounds of ``personal_counts`` copies under the personal policy, ``counts`` under the
    shared-server policy and ``torch_counts`` with torch's default threads; returns (rows,
    targets met). A row: setting, label, copies, threads, median and slowest seconds, and the
    slowest over one copy alone in the same setting (None without a one-copy round)."""
    rows = []
    for setting, group in (("personal", personal_counts), ("shared", counts), ("torch", torch_counts)):
        for n in group:
            results = run_round(n, setting, steps)
            times = [r["seconds"] for r in results]
            rows.append({"setting": setting, "label": SETTINGS[setting][0], "copies": n,
                         "threads": results[0]["threads"], "median_s": statistics.median(times),
                         "max_s": max(times)})
    for row in rows:
        alone = _slowest(rows, row["setting"], 1)
        row["vs_alone"] = None if alone is None else row["max_s"] / alone
    return rows, all(check["met"] for check in check_targets(rows))


def _slowest(rows: list[dict], setting: str, copies: int) -> float | None:
    """The slowest copy's seconds in the round of ``copies`` copies in ``setting``, None if not run."""
    return next((r["max_s"] for r in rows if r["setting"] == setting and r["copies"] == copies), None)


def check_targets(rows: list[dict]) -> list[dict]:
    """The targets the rows allow judging: each a dict with ``name``, ``ratio``, ``limit``,
    ``met`` and ``text`` (one line with the numbers). A target whose rounds were not run is left out."""
    checks = []
    targets = (("alone", ("personal", 1), ("torch", 1), ALONE_FACTOR,
                "one copy alone, personal policy {a:.2f} s vs torch's default {b:.2f} s"),
               ("fair", ("shared", 4), ("shared", 1), FAIR_FACTOR,
                "4 copies at once, shared-server policy: slowest {a:.2f} s vs {b:.2f} s alone"))
    for name, top, bottom, limit, text in targets:
        a, b = _slowest(rows, *top), _slowest(rows, *bottom)
        if a is None or b is None:
            continue
        ratio = a / b
        checks.append({"name": name, "ratio": ratio, "limit": limit, "met": ratio <= limit,
                       "text": text.format(a=a, b=b) + f": {ratio:.2f}x (target <= {limit:g}x)"})
    return checks


def format_targets(rows: list[dict]) -> str:
    """One line per target of :func:`check_targets`: its numbers and 'met' or 'MISSED'."""
    return "\n".join(f"target: {c['text']}: {'met' if c['met'] else 'MISSED'}" for c in check_targets(rows))


def format_table(rows: list[dict]) -> str:
    """Markdown table of :func:`contention_table`'s rows."""
    lines = ["| setting | copies at once | threads each | median (s) | slowest (s) | "
             "slowest / one copy alone, same setting |", "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        ratio = "" if r["vs_alone"] is None else f"{r['vs_alone']:.2f}x"
        lines.append(f"| {r['label']} | {r['copies']} | {r['threads']} | {r['median_s']:.2f} | "
                     f"{r['max_s']:.2f} | {ratio} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: the contention table (exit 1 when a target is missed), or one worker."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    parser.add_argument("--copies", default="1,2,4", help="rounds under the shared-server policy, e.g. 1,2,4")
    parser.add_argument("--personal-copies", default="1", help="rounds under the personal policy, e.g. 1")
    parser.add_argument("--torch-copies", default="1", help="rounds with torch's default threads, e.g. 1,4")
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker)), flush=True)
        return 0

    def counts(text: str) -> list[int]:
        return [int(c) for c in text.split(",") if c]

    rows, ok = contention_table(counts(args.copies), args.steps, counts(args.torch_copies),
                                counts(args.personal_copies))
    print(format_table(rows))
    print(format_targets(rows) or "targets: not judged (they need 1 personal and 1 torch copy, "
                                  "or 1 and 4 shared copies)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
