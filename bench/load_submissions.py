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
import json
import os
import platform
import re
import secrets
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
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

ROOT = Path(__file__).resolve().parent.parent
WRK_DIR = Path(__file__).resolve().parent / "wrk"
SURVEY = Path(sys.executable).parent / "survey"
TARGET_RATE = 1_000.0  # accepted submissions per second
TARGET_P99_MS = 150.0
TARGET_SHARE = 0.40
TARGET_CLIENTS = 100


# ---------------------------------------------------------------------------------------------
# Machine and processes


def machine() -> str:
    """nproc, CPU model, memory, Python, uvicorn and its loop/HTTP implementation, wrk."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.1f} GiB RAM"
    import uvicorn

    extras = []
    for name in ("uvloop", "httptools"):
        try:
            module = __import__(name)
            extras.append(f"{name} {getattr(module, '__version__', '?')}")
        except ImportError:
            extras.append(f"no {name}")
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    wrk_version = (wrk.stdout or wrk.stderr).split("[")[0].strip() or "wrk"
    return (
        f"{os.cpu_count()} CPUs (nproc {_nproc()}), {model}{memory}, "
        f"Python {platform.python_version()}, uvicorn {uvicorn.__version__} "
        f"({', '.join(extras)}), {wrk_version}"
    )


def _nproc() -> str:
    result = subprocess.run(["nproc"], capture_output=True, text=True)
    return result.stdout.strip() or "?"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """This environment without any SURVEY_ setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env.update(extra)
    return env


@dataclass
class Server:
    """A server we started, in its own process group (so its workers stop with it)."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)  # the group is ours: start_new_session
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def start_server(name: str, argv: list[str], env: dict[str, str], logs: Path) -> Server:
    port = free_port()
    log = logs / f"{name}.log"
    handle = log.open("wb")
    process = subprocess.Popen(
        [*argv, "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    handle.close()
    return Server(name, port, process, log)


def wait_ready(server: Server, path: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited:\n{server.log.read_text()[-3000:]}")
        with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError):
            with urllib.request.urlopen(server.url + path, timeout=2) as reply:
                if reply.status == 200:
                    return
        time.sleep(0.3)
    raise RuntimeError(f"{server.name} not ready after {timeout:.0f} s")


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
# wrk


@dataclass
class Round:
    """One wrk run, as its report.lua done() printed it."""

    requests: int
    seconds: float
    statuses: dict[str, int]
    errors: dict[str, int]
    p50_ms: float
    p99_ms: float
    accepted: int | None = None  # rows added (POST rounds on the real app)
    extra: dict[str, Any] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return self.statuses.get(status, 0)

    def others(self, expected: str) -> int:
        """Responses with another status than ``expected``, plus socket errors and timeouts."""
        wrong = sum(n for s, n in self.statuses.items() if s != expected)
        sockets = sum(v for k, v in self.errors.items() if k != "status")
        return wrong + sockets

    def other_text(self, expected: str) -> str:
        parts = [f"{n} × {s}" for s, n in sorted(self.statuses.items()) if s != expected]
        parts += [f"{v} {k}" for k, v in self.errors.items() if k != "status" and v]
        return ", ".join(parts) if parts else "0"


STAGGER_MS = 500  # --stagger-ms default: each client's first request waits a random 0..this


def run_wrk(
    url: str, script: str, args: list[str], connections: int, threads: int, seconds: float
) -> Round:
    threads = min(threads, connections)
    # report.lua's staggered start (WRK_STAGGER_MS, set by main from --stagger-ms) needs the
    # connections of one thread: wrk gives each thread connections // threads.
    env = {**os.environ, "WRK_FIRST": str(connections // threads)}
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "30s",
        "-s",
        str(WRK_DIR / script),
        url,
        "--",
        *args,
    ]
    result = subprocess.run(argv, capture_output=True, text=True, check=True, env=env)
    line = next((x for x in result.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no WRK_JSON line:\n{result.stdout}\n{result.stderr}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    return Round(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        statuses=data["statuses"],
        errors=data["errors"],
        p50_ms=data["latency_us"]["p50"] / 1000,
        p99_ms=data["latency_us"]["p99"] / 1000,
    )


def run_prefix() -> str:
    """A submission_id prefix unique to one wrk run ([A-Za-z0-9], 12 characters)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(12))


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
# Report


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
