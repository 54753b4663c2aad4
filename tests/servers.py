"""`survey serve` as a real subprocess, for the process-level reliability tests.

Each server runs in its own process group (its own session), so the tests can kill the parent
and every uvicorn worker at once with SIGKILL, as a crash or an OOM kill would, or stop them all
with SIGTERM. The server works in a temporary folder with its own ``var/`` and secret key, so it
writes nothing into the repository.

Also here: a fresh PostgreSQL schema (created, migrated and dropped) and a small HTTP helper
built on ``http.client`` (one keep-alive connection per client thread, redirects not followed).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from survey_service import db
from survey_service.settings import Settings

PG_URL = os.environ.get("SURVEY_TEST_POSTGRES_URL", "")
REQUIRE_PG = os.environ.get("SURVEY_REQUIRE_POSTGRES") == "1"

READY_TIMEOUT = 90.0  # seconds; generous, a loaded 2-core CI machine imports slowly
STOP_TIMEOUT = 20.0
SECRET_KEY = "process-test-secret-key-not-for-production"


def free_port() -> int:
    """A TCP port nobody listens on right now (the server binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _survey_command() -> list[str]:
    script = Path(sys.executable).parent / "survey"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "survey_service.cli"]


def server_env(
    root: Path, database_url: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of a test server: this one without any ``SURVEY_*`` variable, plus a
    var/ folder under ``root``, a fixed secret key, the database and rate limits off (unless
    ``extra`` says otherwise)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env |= {
        "SURVEY_VAR_DIR": str(root / "var"),
        "SURVEY_DATABASE_URL": database_url,
        "SURVEY_SECRET_KEY": SECRET_KEY,
        "SURVEY_RATE_LIMIT_PER_ADDRESS": "0",
        "SURVEY_RATE_LIMIT_PER_DESK": "0",
        "SURVEY_REDIS_URL": "",
        "PYTHONDONTWRITEBYTECODE": "1",  # no __pycache__ written next to the sources
        "PYTHONUNBUFFERED": "1",
    }
    return env | dict(extra or {})


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of the process group ``pgid``, read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces or parentheses
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) >= 3 and int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


@dataclass
class Server:
    """One running `survey serve` (parent and workers) in its own process group."""

    process: subprocess.Popen[bytes]
    port: int
    root: Path
    log_path: Path
    env: dict[str, str]
    workers: int
    stopped: bool = field(default=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pgid(self) -> int:
        return self.process.pid  # start_new_session=True: the parent leads its group

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def members(self) -> list[int]:
        """The live processes of this server's group (parent and workers)."""
        return _group_members(self.pgid)

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Wait until /healthz answers ok (and, with workers, every worker has started)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"survey serve exited with {self.process.returncode}:\n{self.log()}"
                )
            if self._healthy() and self._workers_started():
                return
            time.sleep(0.2)
        raise RuntimeError(f"survey serve was not ready within {timeout:.0f} s:\n{self.log()}")

    def _workers_started(self) -> bool:
        """Every uvicorn worker has logged its start-up (a single process logs it too)."""
        return self.log().count("Application startup complete") >= self.workers

    def _healthy(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                conn.request("GET", "/healthz")
                answer = conn.getresponse()
                return answer.status == 200 and json.loads(answer.read()) == {"status": "ok"}
            finally:
                conn.close()
        except (OSError, http.client.HTTPException, ValueError):
            return False

    def kill(self) -> None:
        """SIGKILL the whole group at once (parent and every worker), then reap the parent."""
        with suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)
        self._wait_group_gone()
        self.stopped = True

    def terminate(self) -> None:
        """Stop the group with SIGTERM; SIGKILL what is left after STOP_TIMEOUT."""
        if self.stopped:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=STOP_TIMEOUT)
        if self.members():
            with suppress(ProcessLookupError):
                os.killpg(self.pgid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT)
        self._wait_group_gone()
        self.stopped = True

    def _wait_group_gone(self) -> None:
        deadline = time.monotonic() + STOP_TIMEOUT
        while self.members():
            if time.monotonic() > deadline:
                raise RuntimeError(f"processes of group {self.pgid} survive: {self.members()}")
            time.sleep(0.05)


def start_server(
    root: Path,
    database_url: str,
    *,
    workers: int = 1,
    extra_env: Mapping[str, str] | None = None,
    name: str = "server",
    ready_timeout: float = READY_TIMEOUT,
) -> Server:
    """Start `survey serve --workers N` on a free port in a new process group, working in
    ``root`` (its var/ and log live there), and wait until it answers."""
    root.mkdir(parents=True, exist_ok=True)
    env = server_env(root, database_url, extra_env)
    last_error: Exception | None = None
    for attempt in range(3):  # a free port may be taken between choosing and binding it
        port = free_port()
        log_path = root / f"{name}-{port}-{attempt}.log"
        with log_path.open("wb") as out:
            process = subprocess.Popen(
                [
                    *_survey_command(),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    str(workers),
                    "--log-level",
                    "info",
                ],
                env=env,
                cwd=root,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(process, port, root, log_path, env, workers)
        try:
            server.wait_ready(ready_timeout)
            return server
        except RuntimeError as exc:
            server.terminate()
            last_error = exc
            if "address already in use" not in server.log().lower():
                raise
    assert last_error is not None
    raise last_error


def restart(
    server: Server, *, workers: int | None = None, ready_timeout: float = READY_TIMEOUT
) -> Server:
    """A new server with the same folder, database and settings (on a new port), with as many
    workers as before unless ``workers`` says otherwise."""
    assert server.stopped, "stop the old server first"
    database_url = server.env["SURVEY_DATABASE_URL"]
    extra = {k: v for k, v in server.env.items() if k.startswith("SURVEY_")}
    return start_server(
        server.root,
        database_url,
        workers=server.workers if workers is None else workers,
        extra_env=extra,
        name="restarted",
        ready_timeout=ready_timeout,
    )


# --- HTTP ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """The status and headers of one answer (the body only when it was an error)."""

    status: int
    headers: dict[str, str]
    body: str = ""


class Client:
    """One keep-alive HTTP/1.1 connection to a server, as one phone would hold."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.port = port
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        return self._conn

    def connect(self) -> None:
        """Open the connection now (before a barrier, so requests then fire together)."""
        self._connection().connect()

    def post_form(self, path: str, fields: Mapping[str, Any]) -> Answer:
        """POST ``fields`` form-encoded (lists as repeated fields); redirects are not followed.

        Raises ``OSError`` or ``http.client.HTTPException`` when the connection breaks; the
        connection is then dropped and the next call opens a new one.
        """
        body = urlencode(fields, doseq=True)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        conn = self._connection()
        try:
            conn.request("POST", path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
        except BaseException:
            self.close()
            raise
        text = data.decode("utf-8", "replace") if answer.status >= 400 else ""
        return Answer(answer.status, {k.lower(): v for k, v in answer.getheaders()}, text)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


# --- PostgreSQL -----------------------------------------------------------------------------------


def create_pg_schema(base_url: str) -> tuple[str, Callable[[], None]]:
    """A new PostgreSQL schema migrated to head: its URL (search_path set as conftest.py does)
    and a function that drops it. ``sa.exc.OperationalError`` when PostgreSQL is unreachable."""
    base = Settings(database_url=base_url).resolved_database_url
    schema = f"survey_proc_{uuid.uuid4().hex[:10]}"
    admin = db.make_engine(base)

    def drop() -> None:
        try:
            with admin.begin() as conn:
                # A killed server's backends end once they see their socket closed; never wait
                # forever on a lock one of them might still hold.
                conn.execute(sa.text("SET LOCAL lock_timeout = '30s'"))
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        finally:
            admin.dispose()

    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except BaseException:
        admin.dispose()
        raise
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}options=-csearch_path%3D{schema}"
    try:
        db.upgrade(url)
    except BaseException:
        drop()
        raise
    return url, drop


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema on ``SURVEY_TEST_POSTGRES_URL``, dropped afterwards; skipped when that is
    not set or unreachable, failed instead when ``SURVEY_REQUIRE_POSTGRES=1`` (as conftest.py)."""
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("SURVEY_REQUIRE_POSTGRES=1 but SURVEY_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL tests need SURVEY_TEST_POSTGRES_URL")
    try:
        url, drop = create_pg_schema(PG_URL)
    except sa.exc.OperationalError as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    try:
        yield url
    finally:
        drop()
