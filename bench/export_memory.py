"""Peak memory of `survey export responses` in every format, on a SQLite database of synthetic
citizen responses (1,000,000 by default).

Each case runs in a fresh Python process and reports its own peak resident memory (VmHWM,
the same as ``ru_maxrss``). The baseline is a process that only iterates the rows with the
export's own keyset query, so the difference is what each writer costs. The target is under
300 MB per export. ``FORMAT+weights`` exports with the analysis weights
(``analysis_service.response_weights``, which reads only the weighting columns).

    .venv/bin/python bench/export_memory.py              # 1,000,000 rows: about 25 minutes
    .venv/bin/python bench/export_memory.py --rows 20000 # smoke run
    # one case at a time on a database kept between runs (built by the first run):
    .venv/bin/python bench/export_memory.py --keep /tmp/bench.db --cases sav
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = (
    "baseline",
    "csv",
    "json",
    "xlsx",
    "sav",
    "dta",
    "csv+weights",
    "sav+weights",
    "dta+weights",
)
TARGET_MB = 300


def peak_mb() -> float:
    """This process's peak resident set size, MB (VmHWM from /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _answers(rng: random.Random, questionnaire: object) -> str:
    import questionnaires as qn

    answers: dict[str, object] = {}
    for item in questionnaire.items:  # type: ignore[attr-defined]
        kind = item.type
        if kind is qn.ItemType.SCALE5:
            answers[item.id] = rng.randint(1, 5)
        elif kind in (qn.ItemType.SINGLE_CHOICE, qn.ItemType.YES_NO):
            answers[item.id] = rng.choice(questionnaire.choices(item)).value  # type: ignore[attr-defined]
        elif kind is qn.ItemType.MULTIPLE_CHOICE:
            options = [o.value for o in item.options]
            answers[item.id] = rng.sample(options, 2)
        elif kind is qn.ItemType.INTEGER:
            answers[item.id] = rng.randint(1, 5)
        elif kind is qn.ItemType.TEXT and rng.random() < 0.1:
            answers[item.id] = "Thủ tục còn rườm rà, cán bộ hướng dẫn nhiệt tình."
    return json.dumps(answers, ensure_ascii=False)


def build(path: Path, rows: int) -> int:
    """A migrated SQLite file with 20 units, a desk each, and ``rows`` citizen responses."""
    import questionnaires as qn
    from survey_service import db
    from survey_service.models import Unit, UnitGroup
    from tests.factories import make_world

    url = f"sqlite:///{path}"
    db.upgrade(url)
    engine = db.make_engine(url)
    world = make_world(engine)
    with db.session_scope(engine) as session:
        for n in range(2, 21):
            session.add(
                Unit(
                    code=f"U{n:02d}",
                    name_vi=f"Đơn vị {n}",
                    name_en=f"Unit {n}",
                    group=UnitGroup.DISTRICT,
                )
            )
    engine.dispose()
    rng = random.Random(7)
    questionnaire = qn.builtin_definition("citizen")
    pool = [_answers(rng, questionnaire) for _ in range(2000)]
    start = dt.datetime(2026, 3, 1)
    connection = sqlite3.connect(path)
    with connection:
        units = [r[0] for r in connection.execute("SELECT id FROM units")]
        connection.executemany(
            "INSERT INTO responses (campaign_id, questionnaire_version_id, unit_id, desk_id, "
            "channel, language, submitted_at, answers, client_submission_id, flags, excluded, "
            "excluded_reason) VALUES (?, ?, ?, ?, 'desk_qr', 'vi', ?, ?, ?, ?, 0, '')",
            (
                (
                    world.campaign_id,
                    world.version_id,
                    units[n % len(units)],
                    world.desk_id,
                    (start + dt.timedelta(seconds=n * 7)).isoformat(sep=" "),
                    pool[n % len(pool)],
                    f"bench-{n:09d}",
                    '["fast"]' if n % 97 == 0 else "[]",
                )
                for n in range(rows)
            ),
        )
    connection.close()
    return world.campaign_id


def run_case(case: str, path: Path, campaign_id: int, out_dir: Path) -> None:
    """Run one case in this process and print one JSON line: case, seconds, rows, peak MB."""
    from sqlmodel import Session

    from survey_service import db
    from survey_service.services import exports as export_service

    engine = db.make_engine(f"sqlite:///{path}")
    started = time.perf_counter()
    with Session(engine) as session:
        if case == "baseline":
            rows = _iterate(session, campaign_id)
        else:
            fmt, _, extra = case.partition("+")
            report = export_service.export(
                session=session,
                kind="responses",
                campaign_id=campaign_id,
                fmt=fmt,
                out=out_dir / f"responses-{case.replace('+', '-')}.{fmt}",
                weights=extra == "weights",
            )
            rows = report.rows
    seconds = time.perf_counter() - started
    print(json.dumps({"case": case, "seconds": seconds, "rows": rows, "peak_mb": peak_mb()}))


def _iterate(session: object, campaign_id: int) -> int:
    """The export's keyset query, rows read and dropped."""
    from sqlmodel import col, select

    from survey_service.models import Response

    count, last = 0, 0
    while True:
        page = session.exec(  # type: ignore[attr-defined]
            select(Response.id, Response.answers, Response.flags)
            .where(Response.campaign_id == campaign_id)
            .where(col(Response.id) > last)
            .order_by(col(Response.id))
            .limit(1000)
        ).all()
        if not page:
            return count
        count += len(page)
        last = page[-1][0]


def _existing(path: Path) -> tuple[int, int]:
    """The campaign and response count of a database built earlier."""
    connection = sqlite3.connect(path)
    try:
        campaign_id, rows = connection.execute(
            "SELECT campaign_id, count(*) FROM responses GROUP BY campaign_id"
        ).fetchone()
    finally:
        connection.close()
    return int(campaign_id), int(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument(
        "--keep", help="SQLite file to reuse (built with --rows when it does not exist yet)"
    )
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--campaign", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        run_case(args.case, Path(args.db), args.campaign, Path(args.out))
        return 0
    with tempfile.TemporaryDirectory(prefix="export-bench-") as folder:
        path = Path(args.keep) if args.keep else Path(folder) / "bench.db"
        if path.exists():
            campaign_id, rows = _existing(path)
            print(f"{rows} responses in {path} (kept)", flush=True)
        else:
            started = time.perf_counter()
            campaign_id = build(path, args.rows)
            size = path.stat().st_size / 1e6
            print(
                f"{args.rows} responses inserted in {time.perf_counter() - started:.0f} s "
                f"({size:.0f} MB SQLite file)",
                flush=True,
            )
        print("| case | rows | seconds | peak MB | file MB |\n|---|---:|---:|---:|---:|")
        failed = False
        for case in args.cases.split(","):
            command = [
                sys.executable,
                __file__,
                "--case",
                case,
                "--db",
                str(path),
                "--campaign",
                str(campaign_id),
                "--out",
                folder,
            ]
            done = subprocess.run(command, capture_output=True, text=True, env=os.environ)
            if done.returncode:
                print(f"| {case} | failed: {done.stderr.strip().splitlines()[-1:]} |", flush=True)
                failed = True
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            files = list(Path(folder).glob(f"responses-{case.replace('+', '-')}.*"))
            data = [f for f in files if not f.name.endswith(".codebook.csv")]
            file_mb = f"{data[0].stat().st_size / 1e6:.0f}" if data else "—"
            print(
                f"| {case} | {result['rows']} | {result['seconds']:.0f} | "
                f"{result['peak_mb']:.0f} | {file_mb} |",
                flush=True,
            )
            for f in files:
                f.unlink()
            failed |= result["peak_mb"] >= TARGET_MB
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main())
