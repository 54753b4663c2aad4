"""The load benchmark's report: Markdown tables of submissions, form pages and the busy bare app,
and the verdict on each target at 100 clients (used by ``bench/load_submissions.py``)."""

from __future__ import annotations

from load_harness import Round

TARGET_RATE = 1_000.0  # accepted submissions per second
TARGET_P99_MS = 150.0
TARGET_SHARE = 0.40
TARGET_CLIENTS = 100


def fmt_rate(value: float) -> str:
    return f"{value:,.0f}"


def post_table(rows: list[tuple[str, int, Round, Round]]) -> list[str]:
    lines = [
        "| db | clients | accepted/s | 303/s | p50 ms | p99 ms | not 303 | bare req/s | "
        "bare p99 ms | share of ceiling |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for kind, clients, ours, bare in rows:
        assert ours.accepted is not None
        accepted = ours.accepted / ours.seconds
        ceiling = bare.count("303") / bare.seconds
        answered = ours.count("303") / ours.seconds
        lines.append(
            f"| {kind} | {clients} | {fmt_rate(accepted)} | {fmt_rate(answered)}"
            f" | {ours.p50_ms:.1f} | {ours.p99_ms:.1f} | {ours.other_text('303')}"
            f" | {fmt_rate(ceiling)} | {bare.p99_ms:.1f} | {accepted / ceiling:.1%} |"
        )
    return lines


def get_table(rows: list[tuple[str, int, Round, Round]]) -> list[str]:
    lines = [
        "| db | clients | pages/s | p50 ms | p99 ms | not 200 | bare req/s | bare p99 ms | "
        "share of ceiling |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for kind, clients, ours, bare in rows:
        rate = ours.count("200") / ours.seconds
        ceiling = bare.count("200") / bare.seconds
        lines.append(
            f"| {kind} | {clients} | {fmt_rate(rate)} | {ours.p50_ms:.1f} | {ours.p99_ms:.1f}"
            f" | {ours.other_text('200')} | {fmt_rate(ceiling)} | {bare.p99_ms:.1f}"
            f" | {rate / ceiling:.1%} |"
        )
    return lines


def busy_table(rows: list[tuple[int, Round, Round | None]]) -> list[str]:
    lines = [
        "| clients | POST req/s | POST p50 ms | POST p99 ms | GET req/s | GET p50 ms "
        "| GET p99 ms |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for clients, post, get in rows:
        cells = [fmt_rate(post.count("303") / post.seconds), f"{post.p50_ms:.1f}"]
        cells += [f"{post.p99_ms:.1f}"]
        if get is not None:
            cells += [fmt_rate(get.count("200") / get.seconds), f"{get.p50_ms:.1f}"]
            cells += [f"{get.p99_ms:.1f}"]
        else:
            cells += ["—"] * 3
        lines.append(f"| {clients} | " + " | ".join(cells) + " |")
    return lines


def verdicts(rows: list[tuple[str, int, Round, Round]]) -> tuple[list[str], bool]:
    lines, met = [], True
    for kind, clients, ours, bare in rows:
        if clients != TARGET_CLIENTS:
            continue
        assert ours.accepted is not None
        rate = ours.accepted / ours.seconds
        share = rate / (bare.count("303") / bare.seconds)
        checks = [
            (f"{fmt_rate(rate)} accepted/s >= {TARGET_RATE:,.0f}", rate >= TARGET_RATE),
            (f"p99 {ours.p99_ms:.0f} ms < {TARGET_P99_MS:.0f} ms", ours.p99_ms < TARGET_P99_MS),
            (f"{share:.1%} of the ceiling >= {TARGET_SHARE:.0%}", share >= TARGET_SHARE),
        ]
        for text, ok in checks:
            met &= ok
            lines.append(f"- {kind}, {clients} clients: {text}: {'met' if ok else 'MISSED'}")
    return lines, met
