"""Overload protection: a bound on the requests one process runs at once.

Beyond ``limit`` requests in flight, a new request waits up to ``queue_timeout`` seconds for a
slot; if none frees up it is answered at once with 503 and ``Retry-After`` (a short page in the
request's language, JSON under ``/api/``) instead of queueing behind the others until the phone
or the proxy gives up. A request that got a slot always runs to its end: the 503 is decided
before the application sees anything, never in the middle of a request.

Static files and ``/healthz`` are not counted: the 503 page needs the stylesheet and form script,
and a health check that failed under load would make an orchestrator restart a process that is
busy but well, dropping the submissions it is working on.
"""

from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from survey_service import web

EXEMPT_PREFIXES = ("/static/",)
EXEMPT_PATHS = frozenset({"/healthz"})
JSON_PREFIX = "/api/"
PUBLIC_FORM = re.compile(r"^/[sif]/[^/]+$")  # desk QR, invitation and form-link forms


class Overload:
    """Pure ASGI middleware: at most ``limit`` HTTP requests at once (0 = no limit)."""

    def __init__(self, app: ASGIApp, *, limit: int, queue_timeout: float, retry_after: int) -> None:
        self.app = app
        self.limit = limit
        self.queue_timeout = max(queue_timeout, 0.0)
        self.retry_after = max(retry_after, 1)
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _semaphore(self) -> asyncio.Semaphore:
        """The semaphore of the running event loop (one per loop: asyncio primitives are bound
        to the loop they first wait on, and tests run one loop after another)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._slots is None:
            self._loop = loop
            self._slots = asyncio.Semaphore(self.limit)
        return self._slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.limit <= 0 or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        slots = self._semaphore()
        if slots.locked():  # full (or others already waiting): queue, for a bounded time
            try:
                await asyncio.wait_for(slots.acquire(), self.queue_timeout)
            except TimeoutError:
                await self._refuse(scope, receive, send)
                return
        else:  # fast path: a free slot is taken without creating a future
            await slots.acquire()
        try:
            await self.app(scope, receive, send)
        finally:
            slots.release()

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = busy_response(Request(scope, receive), self.retry_after)
        await response(scope, receive, send)


def busy_response(request: Request, retry_after: int) -> Response:
    """The 503 answer: JSON for the API, else a short page that sends the respondent back."""
    headers = {"Retry-After": str(retry_after), "Cache-Control": "no-store"}
    if request.method not in ("GET", "HEAD"):
        headers["Connection"] = "close"  # the body was not read: do not reuse the connection
    path = request.url.path
    if path.startswith(JSON_PREFIX):
        body = {
            "detail": f"The service is busy; try again in {retry_after} seconds.",
            "code": "overloaded",
        }
        return JSONResponse(body, status_code=503, headers=headers)
    # A refused POST came from a page still in the browser's history (for a public form, with
    # its answers also kept by form.js): go back to it. A refused GET: load it again.
    sent = request.method == "POST"
    query = parse_qsl(request.url.query, keep_blank_values=True)
    if sent:
        query = [(k, v) for k, v in query if k == "lang"]
    ctx = {
        "form_path": path,
        "query": query,
        "sent": sent,
        "kept": sent and PUBLIC_FORM.match(path) is not None,
        "retry_after": retry_after,
    }
    response = web.render(request, "public/busy.html", ctx, status_code=503)
    response.headers.update(headers)
    return response
