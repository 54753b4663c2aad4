"""The FastAPI application: routers, error pages, request size and concurrency limits, static
files."""

from __future__ import annotations

import gc
import logging
import re
from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.telemetry import TelemetryConfig
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from survey_service import clients, db, deps, errors, ratelimit, security, web
from survey_service.asgi import replaying
from survey_service.headers import BASE_HEADERS, SecurityHeaders
from survey_service.overload import Overload
from survey_service.routes import (
    accounts,
    admin,
    analysis,
    api,
    audit_log,
    dashboards,
    desk_lane,
    exports,
    fieldwork,
    forms,
    par,
    plans,
    public,
    quality,
    reports,
    results,
)
from survey_service.services import forms as form_service
from survey_service.settings import Settings
from survey_service.submission_writer import SubmissionWriter

log = logging.getLogger("survey_service")
STATIC_DIR = Path(__file__).parent / "static"


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/healthz"


def _error_response(
    request: Request, status: int, title_key: str, message: str | None, code: str
) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": message or code, "code": code}, status_code=status)
    ctx = {"title_key": title_key, "message": message, "status": status}
    return web.render(request, "public/error.html", ctx, status_code=status)


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.DomainError)
    lang = web.request_language(request)
    if isinstance(exc, errors.NotAuthenticated) and not _wants_json(request):
        target = quote(request.url.path + ("?" + request.url.query if request.url.query else ""))
        return RedirectResponse(f"/admin/login?next={target}", status_code=303)
    message = exc.text("en") if _wants_json(request) else exc.text(lang)
    response = _error_response(request, exc.status_code, exc.title_key, message, exc.code)
    if isinstance(exc, errors.TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    keys = {404: "error.not_found", 405: "error.method", 413: "error.payload_too_large"}
    key = keys.get(exc.status_code, "error.bad_request")
    detail = exc.detail if isinstance(exc.detail, str) else None
    response = _error_response(request, exc.status_code, key, detail, key.split(".")[1])
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if _wants_json(request):
        detail = [{"loc": e["loc"], "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return JSONResponse({"detail": detail, "code": "invalid_input"}, status_code=422)
    return _error_response(request, 400, "error.bad_request", None, "bad_request")


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if _wants_json(request):
        response: Response = JSONResponse(
            {"detail": "internal error", "code": "server_error"}, status_code=500
        )
        response.headers.update(BASE_HEADERS)
        return response
    ctx = {"title_key": "error.server", "message": None, "status": 500, "server": True}
    response = web.render(request, "public/error.html", ctx, status_code=500)
    # This handler runs in Starlette's ServerErrorMiddleware, outside SecurityHeaders.
    for name, value in BASE_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _nul_in_url(scope: Scope) -> bool:
    """A NUL character in the path or the query (PostgreSQL text cannot hold one)."""
    return "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b"")


def _nul_in_form(scope: Scope, body: bytes) -> bool:
    """A NUL character in a URL-encoded form body (multipart values are cleaned when read)."""
    kind = dict(scope["headers"]).get(b"content-type", b"")
    return kind.startswith(b"application/x-www-form-urlencoded") and (
        b"%00" in body or b"\x00" in body
    )


UPLOADS = re.compile(r"^/admin/campaigns/\d+/(frames|par/import)$")  # routes taking files


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, and NUL characters in URLs and
    URL-encoded forms with 400, before any route sees them."""

    def __init__(self, app: ASGIApp, limit: int, upload_limit: int) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _nul_in_url(scope):
            await self._refuse(scope, receive, send, status=400)
            return
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        if UPLOADS.match(scope.get("path", "")):
            await self._stream_upload(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if _nul_in_form(scope, body):
            await self._refuse(scope, receive, send, status=400)
            return
        await self.app(scope, replaying(body, receive), send)

    async def _stream_upload(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Frame uploads pass through unbuffered (Starlette spools files to disk), up to
        ``upload_limit`` bytes."""
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.upload_limit:
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.upload_limit:
                raise errors.PayloadTooLarge(message_en="The file is too large.")
            return message

        await self.app(scope, counted, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int = 413) -> None:
        request = Request(scope, receive)
        if status == 400:
            response = _error_response(
                request, 400, "error.bad_request", "NUL characters are not accepted.", "bad_request"
            )
        else:
            response = _error_response(
                request,
                413,
                "error.payload_too_large",
                f"At most {self.limit // 1024} KB may be sent.",
                "payload_too_large",
            )
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the application for ``settings`` (read from the environment when not given)."""
    settings = settings or Settings()
    off: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
    app = FastAPI(
        dependencies=[Depends(deps.authorize)],  # the access table decides for every route
        # Off unless asked for: FastAPI otherwise looks up OpenTelemetry's global providers on
        # every request (3 % of a desk submission's time in the event loop, with none set up).
        telemetry=None if settings.opentelemetry else off,
        title="PAR Survey",
        version="0.1.0",
        description="Survey collection and satisfaction measurement for the PAR Index.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine or db.make_engine(settings.resolved_database_url)
    app.state.signer = security.Signer(settings.resolved_secret_key, settings.session_max_age)
    clients.parse_trusted(settings.trusted_proxies)  # a bad SURVEY_TRUSTED_PROXIES stops start-up
    app.state.limiter = ratelimit.make_limiter(settings, app.state.engine)
    app.state.form_targets = form_service.TargetCache(settings.form_cache_seconds)
    app.state.submission_writer = SubmissionWriter(app.state.engine)
    app.add_exception_handler(errors.DomainError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _server_error)
    app.add_middleware(desk_lane.DeskLane)  # first added = innermost: inside every guard below
    app.add_middleware(
        BodyLimit, limit=settings.max_body_bytes, upload_limit=settings.max_upload_bytes
    )
    # level 6, zlib's default and what bench/page_weight.py budgets: Starlette's 9 took
    # 0.95 ms for a 36 KB form page against 0.66 ms, for 7 bytes less
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=6)
    app.add_middleware(  # outside the body limit: a refused request's body is never read
        Overload,
        limit=settings.max_concurrent_requests,
        queue_timeout=settings.queue_timeout,
        retry_after=settings.overload_retry_after,
    )
    app.add_middleware(SecurityHeaders)  # last added = outermost: covers 413s and every route
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(public.router)
    app.include_router(forms.router)
    app.include_router(admin.router)
    app.include_router(accounts.router)
    app.include_router(audit_log.router)
    app.include_router(quality.router)
    app.include_router(fieldwork.router)
    app.include_router(plans.router)
    app.include_router(api.router)
    app.include_router(analysis.router)
    app.include_router(analysis.api_router)
    app.include_router(par.router)
    app.include_router(par.api_router)
    app.include_router(results.router)
    app.include_router(dashboards.router)
    app.include_router(reports.router)
    app.include_router(exports.router)
    return app


def create_served_app() -> FastAPI:
    """:func:`create_app` for ``survey serve``'s worker processes, with every live desk code
    remembered (:meth:`~form_service.TargetCache.remember_all`), the public pages' templates
    compiled (:func:`web.compile_public_templates`), and every object made so far
    (the imported modules, the app, its templates and tables: some 250,000) moved out of the
    garbage collector's sight (:func:`gc.freeze`).

    Under load a full collection comes every few seconds, and walking those objects took a
    worker 200–300 ms each time, during which none of its requests moved: at 100 clients that
    alone put the submissions' p99 above 300 ms. They live as long as the process, so the
    collector has nothing to find among them. Not done in :func:`create_app`: a process that
    builds many apps (the tests) would keep the garbage of each for good.
    """
    app = create_app()
    try:
        with Session(app.state.engine) as session:
            app.state.form_targets.remember_all(session=session)
    except SQLAlchemyError as error:  # the requests look their codes up themselves
        log.warning("desk codes not remembered at start-up: %r", error)
    web.compile_public_templates()
    gc.collect()
    gc.freeze()
    return app
