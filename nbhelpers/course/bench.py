"""Benchmark: wall time and peak memory of each notebook, and the widget update time.

Run ``make bench`` (or ``python -m nbhelpers.course.bench notebooks/*.ipynb``). Each notebook is
executed headless with nbclient in a fresh process, without writing it back; the peak
resident memory is the kernel's. Prints a Markdown table and checks the budgets (every
notebook <= 30 s, the whole suite <= 180 s, each explorer's updates <= 50 ms median and
<= 100 ms at the 95th percentile, and the shared-cores targets of :mod:`.contention`: four
concurrent trainings each within 3x one alone, one alone within 1.3x of torch's default
threads); exits 1 when a budget is exceeded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

NOTEBOOK_BUDGET_S = 30.0
SUITE_BUDGET_S = 180.0
WIDGET_BUDGET_MS = 50.0  # median update of each explorer
WIDGET_P95_BUDGET_MS = 100.0  # 95th percentile: the slow updates a user notices


def run_one(path: str) -> dict[str, float]:
    """Execute one notebook in this process's kernel child; returns seconds and peak MiB."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(Path(path).parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the kernel, reaped
    return {"seconds": seconds, "peak_mib": peak_kib / 1024}


def measure_notebook(path: str) -> dict[str, float]:
    """Run :func:`run_one` in a fresh Python process so memory peaks do not mix."""
    out = subprocess.run([sys.executable, "-m", "nbhelpers.course.bench", "--one", path],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        tail = (out.stderr or out.stdout).strip().splitlines()[-15:]
        raise RuntimeError(f"{path} failed to execute:\n" + "\n".join(tail))
    return json.loads(out.stdout.strip().splitlines()[-1])


def _summary(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {"median_ms": statistics.median(times), "p95_ms": times[int(0.95 * len(times))],
            "max_ms": times[-1], "n": len(times)}


def measure_widgets(repeats: int = 2) -> dict[str, dict[str, float]]:
    """Milliseconds per explorer update (compute + draw + PNG), per explorer, over many settings."""
    import matplotlib

    matplotlib.use("Agg")
    from nbhelpers.plots import use_house_style
    from nbhelpers.widgets import OverlapExplorer, StackExplorer

    use_house_style()
    overlap, stack = OverlapExplorer(), StackExplorer()
    overlap_times, stack_times = [], []
    for _ in range(repeats):
        for k in range(1, 9):
            for s in range(1, 5):
                for layers in (1, 2, 3):
                    for ndim in (1, 2):
                        overlap_times.append(overlap.update(k, s, layers, ndim))
                    final = None if k % 3 == 0 else k % 7
                    stack_times.append(stack.update([k] * layers, [s] * layers, final))
    return {"overlap explorer": _summary(overlap_times), "stack explorer": _summary(stack_times)}


def widget_verdict(summary: dict[str, float]) -> str:
    """'ok', or which widget budgets a :func:`measure_widgets` entry exceeds (median, p95)."""
    over = []
    if summary["median_ms"] > WIDGET_BUDGET_MS:
        over.append(f"median OVER {WIDGET_BUDGET_MS:.0f} ms")
    if summary["p95_ms"] > WIDGET_P95_BUDGET_MS:
        over.append(f"p95 OVER {WIDGET_P95_BUDGET_MS:.0f} ms")
    return ", ".join(over) or "ok"


def machine() -> str:
    """A one-line description of this machine."""
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{os.cpu_count()} cores, {cpu}, {gpu}, torch {torch.__version__}, {date.today()}"


def main(argv: list[str] | None = None) -> int:
    """Command line of ``make bench``; returns the exit status (1 when a budget is exceeded)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one)))
        return 0
    paths = args.notebooks or sorted(str(p) for p in Path("notebooks").glob("[0-9][0-9]_*.ipynb"))
    print(f"machine: {machine()}\n")
    print("| notebook | wall time (s) | peak memory (MiB) | budget |")
    print("|---|---:|---:|---|")
    ok, total = True, 0.0
    for path in paths:
        result = measure_notebook(path)
        total += result["seconds"]
        within = result["seconds"] <= NOTEBOOK_BUDGET_S
        ok &= within
        print(f"| {Path(path).name} | {result['seconds']:.1f} | {result['peak_mib']:.0f} | "
              f"{'ok' if within else f'OVER {NOTEBOOK_BUDGET_S:.0f} s'} |", flush=True)
    within = total <= SUITE_BUDGET_S
    ok &= within
    print(f"| **all** | {total:.1f} | | {'ok' if within else f'OVER {SUITE_BUDGET_S:.0f} s'} |")
    for name, widget in measure_widgets().items():
        verdict = widget_verdict(widget)
        ok &= verdict == "ok"
        print(f"\n{name} update: median {widget['median_ms']:.0f} ms, p95 {widget['p95_ms']:.0f} ms, "
              f"max {widget['max_ms']:.0f} ms over {widget['n']} updates ({verdict})")
    extra = _training_throughput()
    if extra:
        print(extra)
    ok &= _contention()
    print("\nall budgets met" if ok else "\nBUDGET EXCEEDED")
    return 0 if ok else 1


def _contention() -> bool:
    """Print the shared-cores table (:mod:`.contention`); True when its targets are met."""
    from .contention import ALONE_FACTOR, FAIR_FACTOR, contention_table, format_table

    rows, met = contention_table()
    print("\nshared cores: copies of the notebooks' training run at once (one thread each under the "
          "policy; torch's own thread count without it)")
    print(format_table(rows))
    print(f"targets: 4 copies within {FAIR_FACTOR:g}x one copy alone; one copy within {ALONE_FACTOR:g}x "
          f"of torch's default threads: {'met' if met else 'MISSED'}")
    return met


def _training_throughput() -> str:
    """Throughput of nbhelpers.experiments.training.train against a hand-written loop (one line)."""
    try:
        from nbhelpers.experiments.training import benchmark_training_loop  # noqa: PLC0415
    except ImportError:
        return ""
    result = benchmark_training_loop()
    return "training loop: " + ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
                                         for k, v in result.items())


if __name__ == "__main__":
    sys.exit(main())
