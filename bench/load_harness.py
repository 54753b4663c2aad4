"""The load benchmark's harness: the machine's description, servers started in process groups of
their own and stopped with them, and wrk runs read back through ``bench/wrk/report.lua``
(used by ``bench/load_submissions.py``)."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import secrets
import signal
import socket
import string
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WRK_DIR = Path(__file__).resolve().parent / "wrk"


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
