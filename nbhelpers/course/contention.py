"""Shared cores: N copies of the notebooks' training at once, under the thread policy and without it.

Each copy is a separate Python process that trains the patch autoencoder of notebooks 03 and 05
(k=3 transposed convolutions, 2048 natural patches, batch 64) for a fixed number of steps and
reports the training's wall time (imports and data excluded). All copies of a round are started
together: each prepares, says it is ready, and the clock starts when every copy is ready. This
is what many students running the same notebook on one class server do to each other.

``python -m nbhelpers.course.contention`` prints the table; :func:`contention_table` is what
``make bench`` calls. Targets (issue 17): under the policy, each of 4 copies finishes within 3x
the time of one copy alone (a fair share of 2 cores is 2x), and one copy alone is at most 1.3x
slower than with torch's default thread count.
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

FAIR_FACTOR = 3.0  # 4 copies: each within 3x one copy alone
ALONE_FACTOR = 1.3  # one copy under the policy: within 1.3x of torch's default threads
DEFAULT_STEPS = 150


def worker(steps: int) -> dict:
    """Train the autoencoder for ``steps`` steps after a 'go' on stdin; seconds of training only."""
    import torch

    from nbhelpers.experiments.data import natural_patches
    from nbhelpers.experiments.training import train
    from nbhelpers.layers.models import autoencoder
    from nbhelpers.runtime import seed_everything

    seed_everything(0)
    patches = natural_patches(2048, size=32, split="train", seed=0, device="cpu")
    model = autoencoder("deconv3")
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.perf_counter()
    train(model, patches, steps=steps, progress=False, device="cpu")
    return {"seconds": time.perf_counter() - start, "threads": torch.get_num_threads()}


def run_round(copies: int, threads: str, steps: int = DEFAULT_STEPS) -> list[dict]:
    """Start ``copies`` workers together with ``NBHELPERS_THREADS=threads``; their results.

    ``threads``: ``''`` (the policy's default), a number, ``'auto'`` or ``'torch'`` (torch's own
    default thread count, what a plain PyTorch notebook uses).
    """
    env = dict(os.environ, NBHELPERS_THREADS=threads, NBHELPERS_DEVICE="cpu")
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
                     torch_counts: Sequence[int] = (1,)) -> tuple[list[dict], bool]:
    """Rounds under the policy for each count in ``counts`` and with torch's default threads for
    each in ``torch_counts``; returns (rows, targets met). A row: setting, copies, threads,
    median and slowest seconds, and the slowest over one policy copy alone."""
    rows = []
    for label, threads, group in (("policy", "", counts), ("torch default", "torch", torch_counts)):
        for n in group:
            results = run_round(n, threads, steps)
            times = [r["seconds"] for r in results]
            rows.append({"setting": label, "copies": n, "threads": results[0]["threads"],
                         "median_s": statistics.median(times), "max_s": max(times)})
    alone = next(r["max_s"] for r in rows if r["setting"] == "policy" and r["copies"] == 1)
    for row in rows:
        row["vs_alone"] = row["max_s"] / alone
    ok = True
    four = [r for r in rows if r["setting"] == "policy" and r["copies"] == 4]
    if four:
        ok &= four[0]["vs_alone"] <= FAIR_FACTOR
    default_alone = [r for r in rows if r["setting"] == "torch default" and r["copies"] == 1]
    if default_alone:
        ok &= alone <= ALONE_FACTOR * default_alone[0]["max_s"]
    return rows, ok


def format_table(rows: list[dict]) -> str:
    """Markdown table of :func:`contention_table`'s rows."""
    lines = ["| setting | copies at once | threads each | median (s) | slowest (s) | "
             "slowest / one policy copy |", "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['setting']} | {r['copies']} | {r['threads']} | {r['median_s']:.2f} | {r['max_s']:.2f} | "
              f"{r['vs_alone']:.2f}x |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: the contention table (exit 1 when a target is missed), or one worker."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    parser.add_argument("--copies", default="1,2,4", help="policy rounds, e.g. 1,2,4")
    parser.add_argument("--torch-copies", default="1", help="rounds with torch's default threads, e.g. 1,4")
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker)), flush=True)
        return 0
    counts = [int(c) for c in args.copies.split(",") if c]
    torch_counts = [int(c) for c in args.torch_copies.split(",") if c]
    rows, ok = contention_table(counts, args.steps, torch_counts)
    print(format_table(rows))
    print(f"targets: 4 copies within {FAIR_FACTOR:g}x one copy alone, one copy within {ALONE_FACTOR:g}x "
          f"of torch's default threads: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
