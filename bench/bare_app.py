"""A bare ASGI app for the submission load benchmark: the ceiling of uvicorn on this machine.

It does no work: a GET answers 200 with a fixed small HTML page, a POST reads the whole body and
answers 303 to a fixed ``Location`` (what an accepted submission answers). Served exactly as
``survey serve`` serves the real app (``uvicorn.run`` with the same workers, the same automatic
loop and HTTP implementation — uvloop and httptools when installed — no proxy headers, the same
log level), so the real app's rate over this one is the share of the ceiling it reaches.

With ``--busy-ms N`` every request first spends N ms of CPU (a busy loop holding the GIL, as
a Python handler does): the best any handler of that cost can do under the same server, in
throughput and in p99 latency once the clients outnumber what the cores can serve.

    .venv/bin/python bench/bare_app.py --port 8099 --workers 2
    .venv/bin/python bench/bare_app.py --port 8098 --workers 2 --busy-ms 1
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

PAGE = b"<!doctype html><html lang='vi'><title>ok</title><p>ok</p></html>"
GET_HEADERS = [
    (b"content-type", b"text/html; charset=utf-8"),
    (b"content-length", str(len(PAGE)).encode()),
]
BUSY_SECONDS = float(os.environ.get("BARE_BUSY_MS", "0")) / 1000  # set by --busy-ms
POST_HEADERS = [
    (b"location", b"/s/BARE/thanks?lang=vi"),
    (b"content-length", b"0"),
]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """GET: 200 and a fixed page; POST: read the body, then 303; anything else: 405."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    if BUSY_SECONDS:
        until = time.perf_counter() + BUSY_SECONDS
        while time.perf_counter() < until:  # the work itself: CPU spent holding the GIL
            continue
    method = scope["method"]
    if method == "POST":
        more = True
        while more:  # consume the body, as the real app must
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 303, "headers": POST_HEADERS})
        await send({"type": "http.response.body", "body": b""})
    elif method in ("GET", "HEAD"):
        await send({"type": "http.response.start", "status": 200, "headers": GET_HEADERS})
        await send({"type": "http.response.body", "body": PAGE if method == "GET" else b""})
    else:
        await send({"type": "http.response.start", "status": 405, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--busy-ms", type=float, default=0, help="CPU spent per request")
    args = parser.parse_args()
    os.environ["BARE_BUSY_MS"] = str(args.busy_ms)  # the workers are started with it
    # The same call as survey_service.cli.cmd_serve, with this app instead of create_app.
    uvicorn.run(
        "bare_app:app",
        app_dir=str(Path(__file__).resolve().parent),
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=False,
        log_level=args.log_level,
    )


if __name__ == "__main__":
    main()
