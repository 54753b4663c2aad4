"""Speed of the analysis engine against samplics and svy, on the same data in one process.

1. One stratified mean with its SE: 1,000,000 rows, 50 strata, element sampling, weights and
   fpc (population per stratum): ``analysis.mean(y, analysis.Design(w, strata, fpc))`` against
   samplics' ``TaylorEstimator(PopParam.mean).estimate``. Targets: relative difference of the
   estimate and SE at most 1e-9 (asserted), ours at least 10 times faster.
2. The per-unit part of a campaign: 30 items x 70 units (domains), 1,000,000 rows, 100 strata,
   5 % of answers missing: ``Domains(design, unit).mean(item, missing="exclude")`` for every
   item against svy's ``sample.estimation.mean(items, by="unit", drop_nulls=True, deff="wr")``.
   svy needs about 8 s per item at this size, so by default it runs on 3 of the 30 items (all
   rows) and its 30-item time is extrapolated linearly: Sample build + 10 x the 3-item
   estimation (svy's time is linear in the number of items). Estimates, SEs, design effects
   and n are compared where both ran (relative 1e-9, asserted); svy's domain degrees of
   freedom (PSUs holding the domain − strata) differ from ours (the design's), a documented
   convention that moves only the confidence limits.
3. A whole campaign, if ``analysis`` exports ``satisfaction_indices``: 1,000,000 responses over
   3 audiences, 30 items each in 6 dimensions, 70 units, 100 strata, every sub-index with SE.
   Target under 2 s. Skipped with a message while the function is not exported.

Each time is the best of ``--repeats`` calls (``time.perf_counter``), input data built
beforehand; "peak MB" is how far the process's resident peak (VmHWM, reset through
/proc/self/clear_refs before each call) rose above its resident size during the call, the
highest over the repetitions. Comparators are benchmark-only dependencies, in a venv of their
own (bench/README.md):

    /tmp/bench-venv/bin/python bench/analysis_speed.py             # full size, about 3 minutes
    /tmp/bench-venv/bin/python bench/analysis_speed.py --rows 100000 --repeats 1   # smoke run

Exit status 1 when a speed target is missed or a comparison could not run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout, installed or not
    sys.path.insert(0, str(ROOT))

import analysis  # noqa: E402
from analysis.domains import Domains  # noqa: E402

MAX_RELATIVE = 1e-9
MIN_SPEEDUP = 10.0
CAMPAIGN_SECONDS = 2.0
UNITS = 70
ITEMS = 30
AUDIENCES = {"citizen": (0.60, 50), "business": (0.25, 30), "official": (0.15, 20)}


@dataclass
class Row:
    """One line of the results table."""

    case: str
    ours: Timing
    other: Timing | None = None
    relative: float | None = None
    target: str = ""
    met: bool | None = None


@dataclass
class Timing:
    """Best time over the repetitions, memory of one more call, and the last result."""

    seconds: float
    traced_mb: float
    rss_mb: float
    result: Any


def measure(call: Callable[[], Any], repeats: int) -> Timing:
    """Best of ``repeats`` timed calls, then one untimed call to measure its memory."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    before = _reset_peak()
    tracemalloc.start()
    call()
    traced = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return Timing(best, traced, _status_mb("VmHWM") - before, result)


def _reset_peak() -> float:
    """Reset VmHWM to the current resident size (Linux ≥ 4.0); NaN where that is refused."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return float("nan")
    return _status_mb("VmRSS")


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def relative(ours: Any, theirs: Any) -> float:
    """Largest |ours − theirs| / |theirs| over the pairs."""
    a, b = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    return float(np.max(np.abs(a - b) / np.abs(b)))


def stratified_sample(rows: int, strata: int, seed: int) -> dict[str, Any]:
    """Stratum codes, population sizes N_h, weights N_h/n_h with a non-response spread."""
    rng = np.random.default_rng(seed)
    h = rng.integers(0, strata, rows)
    n_h = np.bincount(h, minlength=strata)
    population = np.round(n_h / rng.uniform(0.02, 0.5, strata))
    weights = (population / np.maximum(n_h, 1))[h] * rng.lognormal(0.0, 0.3, rows)
    return {"h": h, "n_h": n_h, "N_h": population, "fpc": population[h], "w": weights, "rng": rng}


# 1. One stratified mean ------------------------------------------------------------------------


def one_mean(rows: int, repeats: int) -> list[Row]:
    """analysis.mean against samplics' TaylorEstimator on the same stratified sample."""
    data = stratified_sample(rows, 50, seed=1)
    y = data["rng"].normal(50.0 + 0.2 * data["h"], 10.0)
    w, h, fpc = data["w"], data["h"], data["fpc"]
    ours = measure(lambda: analysis.mean(y, analysis.Design(w, strata=h, fpc=fpc)), repeats)
    design = analysis.Design(w, strata=h, fpc=fpc)
    alone = measure(lambda: analysis.mean(y, design), repeats)
    rows_out = [Row("1. mean alone, design built once (ours only)", alone)]
    theirs = _samplics_mean(y, data, repeats)
    if theirs is None:
        return [
            Row(
                "1. stratified mean + SE vs samplics (not run)",
                ours,
                target="samplics missing",
                met=False,
            ),
            *rows_out,
        ]
    estimate, se = theirs.result
    diff = max(relative(ours.result.estimate, estimate), relative(ours.result.se, se))
    print(f"1. ours     estimate {ours.result.estimate!r} se {ours.result.se!r}")
    print(f"   samplics estimate {estimate!r} se {se!r}   relative difference {diff:.1e}")
    assert diff <= MAX_RELATIVE, f"ours and samplics differ by {diff:.2e} (relative)"
    speedup = theirs.seconds / ours.seconds
    head = Row(
        "1. stratified mean + SE (Design + mean) vs samplics",
        ours,
        theirs,
        diff,
        f"rel ≤ 1e-9; ≥ {MIN_SPEEDUP:.0f}x",
        speedup >= MIN_SPEEDUP,
    )
    return [head, *rows_out]


def _samplics_mean(y: Any, data: dict[str, Any], repeats: int) -> Timing | None:
    try:
        from samplics import PopParam, TaylorEstimator
    except ImportError:
        print("1. samplics is not installed (bench/requirements-analysis.txt): skipped")
        return None
    # samplics multiplies each stratum's variance by fpc[h] as given: it wants 1 − n_h/N_h
    # (expansion.py, _taylor_variance), where analysis.Design takes N_h per row.
    correction = {
        int(k): float(1 - n / big)
        for k, (n, big) in enumerate(zip(data["n_h"], data["N_h"], strict=True))
    }

    def run() -> tuple[float, float]:
        estimator = TaylorEstimator(PopParam.mean)
        estimator.estimate(y=y, samp_weight=data["w"], stratum=data["h"], fpc=correction)
        return float(estimator.point_est), float(estimator.stderror)

    return measure(run, repeats)


# 2. 30 items x 70 units ------------------------------------------------------------------------


def unit_means(rows: int, repeats: int, svy_items: int) -> list[Row]:
    """Domains.mean for every item against svy's domain means on the same sample."""
    data = stratified_sample(rows, 100, seed=2)
    rng = data["rng"]
    names = np.array([f"unit-{i:02d}" for i in range(UNITS)])
    units = names[rng.integers(0, UNITS, rows)]
    scores = rng.integers(1, 6, (ITEMS, rows)).astype(np.float64)
    scores[rng.random((ITEMS, rows)) < 0.05] = np.nan
    w, h, fpc = data["w"], data["h"], data["fpc"]

    def ours_for(count: int) -> Callable[[], list[Any]]:
        def run() -> list[Any]:
            split = Domains(analysis.Design(w, strata=h, fpc=fpc), units)
            return [split.mean(scores[i], missing="exclude") for i in range(count)]

        return run

    full = measure(ours_for(ITEMS), repeats)
    part = measure(ours_for(svy_items), repeats)
    label = f"2. {ITEMS} items x {UNITS} units (Design + Domains + means)"
    theirs = _svy_means(scores, units, data, repeats, svy_items)
    if theirs is None:
        return [Row(label + " vs svy (not run)", full, target="svy missing", met=False)]
    build, estimation, results = theirs
    diff = _compare_domains(part.result, results)
    assert diff <= MAX_RELATIVE, f"ours and svy differ by {diff:.2e} (relative)"
    measured = Timing(
        build.seconds + estimation.seconds,
        max(build.traced_mb, estimation.traced_mb),
        max(build.rss_mb, estimation.rss_mb),
        None,
    )
    nan = float("nan")
    extrapolated = Timing(build.seconds + estimation.seconds * ITEMS / svy_items, nan, nan, None)
    return [
        Row(
            f"2. {svy_items} items x {UNITS} units (Design + Domains + means) vs svy, both run",
            part,
            measured,
            diff,
            "rel ≤ 1e-9 (estimate, se, deff; n equal)",
        ),
        Row(label + f" vs svy extrapolated from {svy_items} items", full, extrapolated),
    ]


def _svy_means(
    scores: Any, units: Any, data: dict[str, Any], repeats: int, count: int
) -> tuple[Timing, Timing, list[Any]] | None:
    try:
        import polars as pl
        import svy
    except ImportError:
        print("2. svy is not installed (bench/requirements-analysis.txt): skipped")
        return None
    items = [f"q{i:02d}" for i in range(ITEMS)]
    columns = {"w": data["w"], "h": data["h"], "N": data["fpc"], "unit": units}
    frame = pl.DataFrame({**columns, **dict(zip(items, scores, strict=True))})
    frame = frame.with_columns(pl.col(items).fill_nan(None))  # svy skips nulls, not NaN
    design = svy.Design(stratum="h", wgt="w", pop_size="N")
    build = measure(lambda: svy.Sample(frame, design), repeats)
    sample = build.result
    estimation = measure(
        lambda: sample.estimation.mean(items[:count], by="unit", drop_nulls=True, deff="wr"),
        repeats,
    )
    return build, estimation, [r.to_polars() for r in estimation.result]


def _compare_domains(ours: list[Any], theirs: list[Any]) -> float:
    """Largest relative difference of estimate, SE and deff; n must be equal."""
    worst = 0.0
    for mine, table in zip(ours, theirs, strict=True):
        table = table.sort("unit")
        if table["unit"].to_list() != mine.labels.tolist():
            raise AssertionError("svy and ours list different units")
        if not np.array_equal(table["n"].to_numpy(), mine.n):
            raise AssertionError("svy and ours count different respondents per unit")
        for ours_key, svy_key in (("estimate", "est"), ("se", "se"), ("deff", "deff")):
            worst = max(worst, relative(getattr(mine, ours_key), table[svy_key].to_numpy()))
    first = theirs[0].sort("unit")
    print(
        f"2. {first['unit'][0]}, item q00: ours estimate {float(ours[0].estimate[0])!r} "
        f"se {float(ours[0].se[0])!r}; svy {first['est'][0]!r} se {first['se'][0]!r}; "
        f"df ours {ours[0].df}, svy {first['df'][0]} (convention)"
    )
    print(
        f"   largest relative difference over {len(ours)} items x {ours[0].labels.size} units "
        f"(estimate, se, deff): {worst:.1e}"
    )
    return worst


# 3. A whole campaign (hook) --------------------------------------------------------------------


def campaign(rows: int, repeats: int) -> list[Row]:
    """satisfaction_indices for 3 audiences, when analysis exports it."""
    indices = getattr(analysis, "satisfaction_indices", None)
    if indices is None:
        print("3. analysis does not export satisfaction_indices yet: campaign skipped")
        return []
    inputs = [
        _audience(rows, share, strata, seed)
        for seed, (share, strata) in enumerate(AUDIENCES.values(), start=3)
    ]

    def runner(with_items: bool) -> Callable[[], int]:
        def run() -> int:
            count = 0
            settings = analysis.IndexSettings(items=with_items)
            for scores, items, w, h, fpc, units in inputs:
                design = analysis.Design(w, strata=h, fpc=fpc)
                count += len(indices(scores, items, design, units, settings))
            return count

        return run

    rows_out = []
    for with_items in (False, True):
        timing = measure(runner(with_items), repeats)
        what = "sub-indices (dimensions + overall, score and top-two)"
        if with_items:
            what = "sub-indices and every item's mean and top-two share"
        print(f"3. campaign, {what}: {timing.result:,} index rows")
        rows_out.append(
            Row(
                f"3. campaign: {rows:,} responses, 3 audiences, {what}",
                timing,
                target=f"< {CAMPAIGN_SECONDS:.0f} s" if not with_items else "(no target)",
                met=timing.seconds < CAMPAIGN_SECONDS if not with_items else None,
            )
        )
    return rows_out


def _audience(rows: int, share: float, strata: int, seed: int) -> tuple[Any, ...]:
    """One audience's scores (30 items, 6 dimensions of 5, 5 % missing), design and units."""
    size = int(rows * share)
    data = stratified_sample(size, strata, seed)
    rng = data["rng"]
    scale = getattr(analysis, "ItemScale", None)
    if scale is None:
        from analysis.indices import ItemScale as scale
    items = [scale(f"q{i:02d}", f"dimension-{i // 5}", 1, 5, 4) for i in range(ITEMS)]
    scores = {}
    for item in items:
        values = rng.integers(1, 6, size).astype(np.float64)
        values[rng.random(size) < 0.05] = np.nan
        scores[item.item] = values
    units = np.array([f"unit-{i:02d}" for i in range(UNITS)])[rng.integers(0, UNITS, size)]
    return scores, items, data["w"], data["h"], data["fpc"], units


# Report ----------------------------------------------------------------------------------------


def machine() -> list[str]:
    """The facts that make numbers comparable: date, CPU, cores, Python, numpy, comparators."""
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
        f"cpu: {cpu}",
        f"cores: {len(os.sched_getaffinity(0))} usable (cpu_count {os.cpu_count()})",
        f"python: {platform.python_version()} ({sys.executable})",
        f"numpy: {np.__version__}; {_versions()}",
    ]


def _versions() -> str:
    from importlib import metadata

    found = []
    for name in ("scipy", "samplics", "svy", "svy-rs", "polars"):
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} absent")
    return ", ".join(found)


def table(rows: list[Row]) -> str:
    """Markdown table; memory as ours / other, "—" where not measured."""
    lines = [
        "| case | ours s | other s | speed-up | traced MB | RSS rise MB | rel. diff | target |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        other = r.other or Timing(float("nan"), float("nan"), float("nan"), None)
        ratio = other.seconds / r.ours.seconds
        traced = f"{_number(r.ours.traced_mb, 0)} / {_number(other.traced_mb, 0)}"
        rss = f"{_number(r.ours.rss_mb, 0)} / {_number(other.rss_mb, 0)}"
        diff = "—" if r.relative is None else f"{r.relative:.1e}"
        verdict = {None: "", True: " (met)", False: " (MISSED)"}[r.met]
        lines.append(
            f"| {r.case} | {_number(r.ours.seconds, 3)} | {_number(other.seconds, 3)} "
            f"| {_number(ratio, 1)}{'x' if np.isfinite(ratio) else ''} | {traced} | {rss} "
            f"| {diff} | {r.target}{verdict} |"
        )
    return "\n".join(lines)


def _number(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}" if np.isfinite(value) else "—"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of every case")
    parser.add_argument("--repeats", type=int, default=3, help="calls per case, best is kept")
    parser.add_argument("--svy-items", type=int, default=3, help="items svy runs on (≤ 30)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=FutureWarning)  # samplics: "archived"
    print("\n".join(machine()))
    print(f"rows: {args.rows:,}; best of {args.repeats}\n")
    rows = one_mean(args.rows, args.repeats)
    rows += unit_means(args.rows, args.repeats, min(args.svy_items, ITEMS))
    rows += campaign(args.rows, args.repeats)
    print()
    print(table(rows))
    return 1 if any(r.met is False for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
