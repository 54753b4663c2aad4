"""Submission load: desk-QR submissions and form pages per second under `survey serve`.

For SQLite and/or PostgreSQL it seeds the demo (`survey demo --no-responses`) into a fresh
database, starts `survey serve --workers N` with the rate limits off (0), and drives it with wrk
(Debian's package: `apt-get install -y wrk`; benchmark only, never CI):

* POST rounds: one complete valid citizen submission per request, each with its own
  ``submission_id``, spread over every desk code (``bench/wrk/submit.lua``); accepted
  submissions are the ``responses`` rows the round added, counted in the database afterwards;
* GET rounds: the desk form page ``/s/{code}`` over every desk code (``bench/wrk/form_page.lua``,
  with ``Accept-Encoding: gzip`` as phones send it).

Beside them, in the same run and under the same uvicorn settings (workers, automatic loop and
HTTP implementation, log level), a bare ASGI app with a fixed response (``bench/bare_app.py``)
takes the same requests: its rate is the ceiling, and ours is reported as a share of it. Targets
at 100 clients: >= 1,000 accepted submissions/s, p99 < 150 ms, >= 40 % of the ceiling.

    .venv/bin/python bench/load_submissions.py                     # both databases, 10 s rounds
    .venv/bin/python bench/load_submissions.py --db sqlite --connections 10 --duration 3

PostgreSQL: a database ``survey_bench_<random>`` is created on the server of ``--pg-url`` and
dropped at the end. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

import questionnaires as qn
from survey_service import db
from survey_service.models import Response
from survey_service.services import desks as desk_service
from survey_service.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the harness beside this script
from load_harness import (  # noqa: E402
    ROOT,
    STAGGER_MS,
    Round,
    Server,
    clean_env,
    machine,
    run_prefix,
    run_wrk,
    start_server,
    wait_ready,
)
from load_report import (  # noqa: E402
    TARGET_CLIENTS,
    busy_table,
    get_table,
    post_table,
    verdicts,
)

SURVEY = Path(sys.executable).parent / "survey"


# ---------------------------------------------------------------------------------------------
# Databases


@dataclass
class Target:
    """One database with the demo and `survey serve` in front of it."""

    db: str
    url: str
    engine: Engine
    server: Server
    codes: Path  # one desk code a line
    body: Path  # the form-encoded answers, without submission_id
    code_count: int


def sqlite_url(tmp: Path) -> str:
    return f"sqlite:///{tmp / 'bench-sqlite' / 'survey.db'}"


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh database on the server of ``admin_url``, dropped afterwards."""
    name = "survey_bench_" + secrets.token_hex(4)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urllib.parse.urlsplit(admin_url)
    try:
        yield urllib.parse.urlunsplit(parts._replace(path="/" + name))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def valid_fields(questionnaire: qn.Questionnaire) -> list[tuple[str, str]]:
    """Form fields answering every required item (the fourth choice where there is one)."""
    fields: list[tuple[str, str]] = []
    for item in questionnaire.items:
        if not item.required:
            continue
        name = qn.form_field(item.id)
        if item.type is qn.ItemType.INTEGER:
            fields.append((name, str(item.min if item.min is not None else 1)))
        elif item.type is qn.ItemType.TEXT:
            fields.append((name, "ok"))
        else:
            choices = questionnaire.choices(item)
            pick = 0 if item.type is qn.ItemType.MULTIPLE_CHOICE else min(3, len(choices) - 1)
            fields.append((name, str(choices[pick].value)))
    return fields


def count_responses(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Response)).one())


def settled_count(engine: Engine, timeout: float = 10.0) -> int:
    """The response count once requests still in flight after wrk stopped have finished."""
    last = count_responses(engine)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = count_responses(engine)
        if now == last:
            return now
        last = now
    return last


def prepare(
    kind: str,
    url: str,
    tmp: Path,
    args: argparse.Namespace,
    logs: Path,
    stack: contextlib.ExitStack,
) -> Target:
    """Seed the demo, start `survey serve`, check one submission is accepted (303, one row)."""
    env = clean_env(
        {
            "SURVEY_DATABASE_URL": url,
            "SURVEY_VAR_DIR": str(tmp / f"var-{kind}"),
            "SURVEY_RATE_LIMIT_PER_ADDRESS": "0",  # 0 = no limit (ratelimit._FixedWindow.hit)
            "SURVEY_RATE_LIMIT_PER_DESK": "0",
            "SURVEY_REDIS_URL": "",
        }
    )
    (tmp / f"var-{kind}").mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(SURVEY), "demo", "--no-responses"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    engine = db.make_engine(Settings(database_url=url).resolved_database_url)
    stack.callback(engine.dispose)
    with Session(engine) as session:
        codes = [row.code for row in desk_service.desk_rows(session=session) if row.code]
    codes_file = tmp / f"codes-{kind}.txt"
    codes_file.write_text("\n".join(codes) + "\n")
    server = start_server(
        f"survey-{kind}",
        [str(SURVEY), "serve", "--workers", str(args.workers), "--log-level", args.log_level],
        env,
        logs,
    )
    stack.callback(server.stop)  # before the database is dropped (the stack unwinds backwards)
    wait_ready(server, "/healthz")
    # A form page gives the signed "started" stamp a phone sends back (valid for a day).
    with urllib.request.urlopen(f"{server.url}/s/{codes[0]}", timeout=10) as reply:
        page = reply.read().decode()
    stamp = re.search(r'name="started" value="([^"]+)"', page)
    fields = valid_fields(qn.builtin_definition("citizen"))
    fields += [("lang", "vi"), ("started", stamp.group(1) if stamp else "")]
    body = urllib.parse.urlencode(fields)
    body_file = tmp / f"body-{kind}.txt"
    body_file.write_text(body + "\n")
    before = count_responses(engine)
    status, location = post_once(server.url, codes[0], body + "&submission_id=" + "check" * 5)
    after = count_responses(engine)
    if status != 303 or after != before + 1:
        raise RuntimeError(
            f"{kind}: the check submission answered {status} ({location}), rows {before}→{after}"
        )
    return Target(kind, url, engine, server, codes_file, body_file, len(codes))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def post_once(base: str, code: str, body: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(
        f"{base}/s/{code}",
        data=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    try:
        with opener.open(request, timeout=10) as reply:
            return reply.status, reply.headers.get("Location", "")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", "")


# ---------------------------------------------------------------------------------------------
# Rounds


def post_round(
    url: str, target: Target, connections: int, threads: int, seconds: float, engine: Engine | None
) -> Round:
    before = count_responses(engine) if engine is not None else 0
    result = run_wrk(
        url,
        "submit.lua",
        [str(target.codes), str(target.body), run_prefix()],
        connections,
        threads,
        seconds,
    )
    if engine is not None:
        # Rows committed while wrk ran (it has just exited); the few requests still in flight
        # are stored afterwards and counted in the next round's "before", not in this rate.
        result.accepted = count_responses(engine) - before
        result.extra["stored"] = settled_count(engine) - before
    return result


def get_round(url: str, target: Target, connections: int, threads: int, seconds: float) -> Round:
    return run_wrk(url, "form_page.lua", [str(target.codes)], connections, threads, seconds)


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", default="10,100,500", help="comma-separated")
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk round")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--warmup", type=float, default=2, help="seconds per server and kind")
    parser.add_argument("--pause", type=float, default=1, help="seconds of rest between rounds")
    parser.add_argument("--log-level", default="warning", help="uvicorn's, for every server")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-get", action="store_true", help="skip the form page rounds")
    parser.add_argument(
        "--stagger-ms",
        type=int,
        default=STAGGER_MS,
        help="each client's first request waits a random 0..N ms (0: all start in one burst)",
    )
    parser.add_argument(
        "--busy-ms",
        type=float,
        default=1.0,
        help="also measure a bare app spending this much CPU a request (0: not)",
    )
    args = parser.parse_args(argv)
    connections = [int(x) for x in args.connections.split(",") if x.strip()]
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    seconds = args.duration
    os.environ["WRK_STAGGER_MS"] = str(args.stagger_ms)  # read by report.lua in every wrk run

    print(f"# Submission load, {dt.date.today().isoformat()}")
    print(f"Machine: {machine()}")
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True)
    changed = len(dirty.stdout.splitlines())
    print(f"Code: {head.stdout.decode().strip() or '?'}, {changed} uncommitted paths")
    print(
        f"Servers: {args.workers} worker(s) each, uvicorn log level {args.log_level}; "
        f"wrk {args.threads} threads, {seconds:g} s a round, clients start over "
        f"{args.stagger_ms} ms; rate limits 0 (off)"
    )
    sys.stdout.flush()

    servers: list[Server] = []
    targets: list[Target] = []
    post_rows: list[tuple[str, int, Round, Round]] = []
    get_rows: list[tuple[str, int, Round, Round]] = []
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="load-bench-")))
        logs = tmp / "logs"
        logs.mkdir()

        def start_bare(name: str, extra: list[str]) -> Server:
            script = str(Path(__file__).resolve().parent / "bare_app.py")
            argv = [sys.executable, script, "--workers", str(args.workers)]
            argv += ["--log-level", args.log_level, *extra]
            server = start_server(name, argv, clean_env({}), logs)
            servers.append(server)
            stack.callback(server.stop)
            wait_ready(server, "/")
            return server

        bare = start_bare("bare", [])
        busy = start_bare("bare-busy", ["--busy-ms", str(args.busy_ms)]) if args.busy_ms else None
        for kind in kinds:
            if kind == "sqlite":
                url = sqlite_url(tmp)
                (tmp / "bench-sqlite").mkdir()
            else:
                url = stack.enter_context(postgres_database(args.pg_url))
            target = prepare(kind, url, tmp, args, logs, stack)
            servers.append(target.server)
            targets.append(target)
            print(f"{kind}: {target.code_count} desk codes; one submission answered 303 and stored")
            sys.stdout.flush()

        first = targets[0]
        for warm_url, engine_or_none in [(bare.url, None)] + [
            (t.server.url, t.engine) for t in targets
        ]:
            if args.warmup > 0:
                target = next((t for t in targets if t.server.url == warm_url), first)
                post_round(warm_url, target, 10, args.threads, args.warmup, engine_or_none)
                if not args.no_get:
                    get_round(warm_url, target, 10, args.threads, args.warmup)

        busy_rows: list[tuple[int, Round, Round | None]] = []
        for clients in connections:
            bare_post = post_round(bare.url, first, clients, args.threads, seconds, None)
            time.sleep(args.pause)
            if busy is not None:
                busy_post = post_round(busy.url, first, clients, args.threads, seconds, None)
                time.sleep(args.pause)
                busy_get = None
                if not args.no_get:
                    busy_get = get_round(busy.url, first, clients, args.threads, seconds)
                    time.sleep(args.pause)
                busy_rows.append((clients, busy_post, busy_get))
            bare_get = None
            if not args.no_get:
                bare_get = get_round(bare.url, first, clients, args.threads, seconds)
                time.sleep(args.pause)
            for target in targets:
                url = target.server.url
                if bare_get is not None:
                    ours_get = get_round(url, target, clients, args.threads, seconds)
                    get_rows.append((target.db, clients, ours_get, bare_get))
                    time.sleep(args.pause)
                ours_post = post_round(url, target, clients, args.threads, seconds, target.engine)
                post_rows.append((target.db, clients, ours_post, bare_post))
                time.sleep(args.pause)
                print(
                    f"  {target.db} {clients} clients: "
                    f"{(ours_post.accepted or 0) / ours_post.seconds:,.0f} accepted/s, "
                    f"p99 {ours_post.p99_ms:.0f} ms; "
                    f"bare {bare_post.count('303') / bare_post.seconds:,.0f} req/s",
                    flush=True,
                )

        print("\nSubmissions (POST /s/{code}, accepted = rows added in the database):\n")
        print("\n".join(post_table(post_rows)))
        if get_rows:
            print("\nForm pages (GET /s/{code}, Accept-Encoding: gzip):\n")
            print("\n".join(get_table(get_rows)))
        if busy_rows:
            print(f"\nA bare app spending {args.busy_ms:g} ms of CPU per request (same server):\n")
            print("\n".join(busy_table(busy_rows)))
        lines, met = verdicts(post_rows)
        print(f"\nTargets at {TARGET_CLIENTS} clients:")
        print("\n".join(lines) if lines else f"- (no round at {TARGET_CLIENTS} clients)")
        for server in servers:
            text = server.log.read_text(errors="replace")
            problems = [x for x in text.splitlines() if "Traceback" in x or "ERROR" in x]
            if problems:
                print(f"\n{server.name}: {len(problems)} error lines in its log: {problems[0]}")
                start = text.find(problems[0])
                print(text[start : start + 4000])
    return 0 if met and lines else 1


if __name__ == "__main__":
    sys.exit(main())
