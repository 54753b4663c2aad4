"""Frame import: a 1,000,000-row citizen CSV into SQLite, against reading the same CSV alone.

    .venv/bin/python bench/frame_import.py [--rows 1000000]   # exit status 1 over 60 s

It seeds the demo (`survey demo`) into a temporary SQLite file for its units and campaign, writes
a citizen CSV (random units, fields, channels, dates in both accepted formats, contacts on most
rows), then runs each measurement in a child process of its own, so that its peak resident memory
(``ru_maxrss``) is its own:

- baseline: read the CSV with the csv module, nothing else;
- refused import: the same file plus one bad last row, so every row is checked and nothing stored;
- import: ``frames.import_frame`` and the commit, then the rows and contacts are counted.

"before" is the child's peak after its imports and set-up, so "peak − before" is what the work
itself added.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 60.0
FIELDS = [
    "Hộ tịch",
    "Đất đai",
    "Xây dựng",
    "Đăng ký kinh doanh",
    "Lao động - Thương binh và Xã hội",
    "Tư pháp - Chứng thực",
    "Tài nguyên và Môi trường",
    "Y tế",
    "Giáo dục",
    "Giao thông vận tải",
]
CHANNELS = ["trực tiếp", "trực tuyến", "bưu chính", ""]
HEADER = ["external_id", "unit", "field", "channel", "completed_on", "phone", "email", "address"]


def peak_kib() -> int:
    """This process's peak resident memory, KiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def seed_demo(var_dir: Path) -> None:
    """Run `survey demo` into ``var_dir`` (its SQLite file holds units and a campaign)."""
    env = {**os.environ, "SURVEY_VAR_DIR": str(var_dir), "SURVEY_DATABASE_URL": ""}
    script = Path(sys.executable).parent / "survey"
    subprocess.run([str(script), "demo"], env=env, capture_output=True, check=True, timeout=300)


def unit_codes(database: Path) -> list[str]:
    with sqlite3.connect(database) as conn:
        return [code for (code,) in conn.execute("SELECT code FROM units ORDER BY code")]


def write_citizens(path: Path, rows: int, codes: list[str], seed: int = 2026) -> None:
    """A citizen frame of ``rows`` dossiers; dates ISO or DD/MM/YYYY, contacts on most rows."""
    rng = random.Random(seed)
    start = dt.date(2026, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            day = start + dt.timedelta(days=rng.randrange(300))
            date = day.isoformat() if rng.random() < 0.7 else day.strftime("%d/%m/%Y")
            phone = f"09{rng.randrange(10**8):08d}" if rng.random() < 0.9 else ""
            email = f"nguoidan{i}@example.vn" if rng.random() < 0.3 else ""
            address = f"{rng.randrange(1, 500)} Đường số {rng.randrange(1, 60)}" if i % 2 else ""
            unit, field, channel = rng.choice(codes), rng.choice(FIELDS), rng.choice(CHANNELS)
            writer.writerow([f"HS-2026-{i:07d}", unit, field, channel, date, phone, email, address])


# --- children: one measurement each ---------------------------------------------------------


def child_baseline(csv_path: Path) -> dict[str, float]:
    before = peak_kib()
    started = time.perf_counter()
    with csv_path.open(encoding="utf-8", newline="") as handle:
        rows = sum(1 for _ in csv.reader(handle)) - 1
    return {"seconds": time.perf_counter() - started, "rows": rows, "before": before}


def child_import(csv_path: Path) -> dict[str, float]:
    import sqlalchemy as sa
    from sqlmodel import select

    from survey_service import db
    from survey_service.models import Campaign
    from survey_service.services import frames as frame_service

    engine = db.make_engine(os.environ["SURVEY_DATABASE_URL"])
    with db.session_scope(engine) as session:
        campaign = session.exec(select(Campaign)).first()
    before = peak_kib()
    started = time.perf_counter()
    with db.session_scope(engine) as session:
        report = frame_service.import_frame(
            session=session, campaign=campaign, audience="citizen", name="bench", path=csv_path
        )
    seconds = time.perf_counter() - started
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM frame_rows")).scalar_one()
        contacts = conn.execute(sa.text("SELECT count(*) FROM frame_contacts")).scalar_one()
    return {
        "seconds": seconds,
        "rows": report.rows,
        "errors": report.error_count,
        "stored": stored,
        "contacts": contacts,
        "before": before,
    }


def run_child(kind: str, csv_path: Path, database: Path) -> dict[str, float]:
    env = {**os.environ, "SURVEY_DATABASE_URL": f"sqlite:///{database}"}
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(csv_path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


# --- report -----------------------------------------------------------------------------------


def environment() -> str:
    """Date, CPUs, memory, Python and SQLite: what the numbers depend on."""
    memory = "?"
    if Path("/proc/meminfo").exists():
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024**2:.1f} GiB"
    return (
        f"{dt.date.today().isoformat()}, {os.cpu_count()} CPUs, {memory} RAM, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def line(name: str, result: dict[str, float]) -> str:
    rate = result["rows"] / result["seconds"]
    peak, before = result["peak"] / 1024, result["before"] / 1024
    return (
        f"| {name} | {result['seconds']:.1f} | {rate:,.0f} | {peak:.0f} | {before:.0f} | "
        f"{peak - before:.0f} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", choices=["baseline", "import"])
    parser.add_argument("file", nargs="?")
    args = parser.parse_args()
    if args.child:
        work = child_baseline if args.child == "baseline" else child_import
        result = work(Path(args.file))
        print(json.dumps({**result, "peak": peak_kib()}))
        return 0
    with tempfile.TemporaryDirectory(prefix="frame-import-") as tmp:
        var_dir = Path(tmp) / "var"
        seed_demo(var_dir)
        database = var_dir / "survey.db"
        good, bad = Path(tmp) / "citizens.csv", Path(tmp) / "citizens-bad.csv"
        started = time.perf_counter()
        write_citizens(good, args.rows, unit_codes(database))
        written = time.perf_counter() - started
        shutil.copyfile(good, bad)
        with bad.open("a", encoding="utf-8") as handle:
            handle.write("HS-bad,NO-SUCH-UNIT,Hộ tịch,,2026-02-30,,,\n")
        size = good.stat().st_size / 1e6
        baseline = run_child("baseline", good, database)
        refused = run_child("import", bad, database)
        imported = run_child("import", good, database)
    print(
        f"Frame import, {args.rows:,} citizen rows ({size:.0f} MB CSV, written in {written:.0f} s)"
    )
    print(environment())
    print("| run | wall s | rows/s | peak MiB | before MiB | peak − before MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    print(line("baseline: csv.reader only", baseline))
    print(line("refused import (check pass only)", refused))
    print(line("import (check + insert + commit)", imported))
    print(
        f"refused: {refused['errors']:.0f} errors, {refused['stored']:.0f} rows stored; "
        f"imported: {imported['stored']:.0f} rows, {imported['contacts']:.0f} contacts"
    )
    ok = imported["seconds"] < TARGET_SECONDS and imported["stored"] == args.rows
    print(f"target: under {TARGET_SECONDS:.0f} s: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
