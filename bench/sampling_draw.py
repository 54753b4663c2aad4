"""Time and memory of a stratified draw from a large frame; exits with 1 when over the budget.

A synthetic frame of 5,000,000 rows in 1,000 strata (uniformly spread, so ~5,000 rows each)
with a log-normal size measure and a random sort key; a proportional allocation of n = 50,000.
Each case runs in its own Python process, so its peak memory (``ru_maxrss``) is its own:

- baselines: ``rng.permutation`` of every row (touching the whole frame once), and
  ``np.unique(labels, return_inverse=True)`` (the textbook way to group text labels);
- ``select`` with SRSWOR, SYSTEMATIC (sorted by the key) and PPS_SYSTEMATIC, for a frame whose
  strata are integer codes and for one whose strata are text labels ("unit-0001" …).

"cold" is the first call in a process (what the service pays once), the median over three
fresh processes; "warm" the best later call; "traced" is tracemalloc's peak of the call itself
(numpy reports its buffers to it); "peak" the highest process maximum of the three.
The budget is 3 s cold and 1.5 GB peak process memory per draw.

    .venv/bin/python bench/sampling_draw.py            # the full-size run, about 90 s
    .venv/bin/python bench/sampling_draw.py --rows 500000 --strata 100 --sample 5000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout, installed or not
    sys.path.insert(0, str(ROOT))

import sampling  # noqa: E402

SECONDS_BUDGET = 3.0
MEMORY_BUDGET_MB = 1500.0
CASES = [
    "baseline: rng.permutation",
    "baseline: np.unique(text, return_inverse)",
    "SRSWOR, integer codes",
    "SYSTEMATIC, integer codes",
    "PPS_SYSTEMATIC, integer codes",
    "SRSWOR, text labels",
    "SYSTEMATIC, text labels",
    "PPS_SYSTEMATIC, text labels",
]


def build_frame(rows: int, strata: int, text: bool) -> dict[str, Any]:
    """Stratum of each row (codes or labels), size measure, sort key, and the plan."""
    rng = np.random.default_rng(20260101)
    codes = rng.integers(0, strata, rows)
    labels = np.array([f"unit-{i:04d}" for i in range(strata)])
    return {
        "strata": labels[codes] if text else codes,
        "names": labels if text else np.arange(strata).astype(str),
        "counts": np.bincount(codes, minlength=strata),
        "measure": rng.lognormal(3.0, 1.5, rows),
        "key": rng.random(rows),
    }


def operation(case: str, frame: dict[str, Any], sample: int) -> Callable[[], int]:
    """A zero-argument call that does the case's work and returns the rows it selected."""
    population = dict(zip(frame["names"].tolist(), frame["counts"].tolist(), strict=True))
    plan = sampling.allocate(population, sample, sampling.Allocation.PROPORTIONAL)
    if case == "baseline: rng.permutation":
        return lambda: int(np.random.default_rng(7).permutation(frame["strata"].size).size)
    if case.startswith("baseline: np.unique"):
        return lambda: int(np.unique(frame["strata"], return_inverse=True)[0].size)
    method = sampling.SelectionMethod[case.split(",")[0]]
    sort_by = frame["key"] if method is sampling.SelectionMethod.SYSTEMATIC else None

    def draw() -> int:
        selection = sampling.select(
            frame["strata"],
            plan,
            method=method,
            rng=np.random.default_rng(7),
            size_measure=frame["measure"],
            sort_by=sort_by,
        )
        return int(selection.indices.size)

    return draw


def status_mb(field: str) -> float:
    """A memory line of /proc/self/status (VmRSS, VmHWM) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_case(case: str, rows: int, strata: int, sample: int) -> dict[str, Any]:
    """Measure one case in this process (the parent runs each case in a fresh one)."""
    frame = build_frame(rows, strata, text="text" in case)
    call = operation(case, frame, sample)
    frame_mb, before_peak_mb = status_mb("VmRSS"), status_mb("VmHWM")
    start = time.perf_counter()
    selected = call()
    cold = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    warm = min(_timed(call) for _ in range(2))
    tracemalloc.start()
    call()
    traced_mb = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return {
        "case": case,
        "cold_s": cold,
        "warm_s": warm,
        "frame_mb": frame_mb,
        "peak_mb": max(peak_mb, before_peak_mb),
        "traced_mb": traced_mb,
        "selected": selected,
    }


def _timed(call: Callable[[], int]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def machine() -> list[str]:
    """The facts that make numbers comparable: cores, memory, CPU, Python, numpy."""
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    total_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:"))
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    return [
        f"date: {dt.date.today().isoformat()}",
        f"nproc: {len(os.sched_getaffinity(0))} (cpu_count {os.cpu_count()})",
        f"memory: {total_kb / 1024**2:.1f} GiB",
        f"cpu: {cpu}",
        f"python: {platform.python_version()} ({sys.executable})",
        f"numpy: {np.__version__}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--strata", type=int, default=1_000)
    parser.add_argument("--sample", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per case")
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.rows, args.strata, args.sample)))
        return 0
    print("\n".join(machine()))
    print(f"frame: {args.rows:,} rows, {args.strata:,} strata, n = {args.sample:,}\n")
    results = [_repeated(case, args) for case in CASES]
    print(_table(results))
    over = [
        r["case"]
        for r in results
        if not r["case"].startswith("baseline")
        and (r["cold_s"] >= SECONDS_BUDGET or r["peak_mb"] >= MEMORY_BUDGET_MB)
    ]
    if over:
        print(f"\nover the budget ({SECONDS_BUDGET} s, {MEMORY_BUDGET_MB:.0f} MB): {over}")
    return 1 if over else 0


def _in_child(case: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, __file__, "--case", case, "--rows", str(args.rows)]
    command += ["--strata", str(args.strata), "--sample", str(args.sample)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _repeated(case: str, args: argparse.Namespace) -> dict[str, Any]:
    """Median cold time over fresh processes, best warm time, highest peak memory."""
    runs = [_in_child(case, args) for _ in range(args.repeats)]
    return {
        **runs[0],
        "cold_s": statistics.median(r["cold_s"] for r in runs),
        "warm_s": min(r["warm_s"] for r in runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
        "traced_mb": max(r["traced_mb"] for r in runs),
    }


def _table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| case | cold s | warm s | frame MB | peak MB | traced MB | output |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['case']} | {r['cold_s']:.2f} | {r['warm_s']:.2f} | {r['frame_mb']:.0f} "
            f"| {r['peak_mb']:.0f} | {r['traced_mb']:.0f} | {r['selected']:,} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
