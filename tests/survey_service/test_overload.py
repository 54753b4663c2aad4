"""Overload: beyond the concurrency limit a request waits a bounded time, then gets 503 with
Retry-After and a page in its language (JSON under /api/); admitted requests always finish."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

import questionnaires as qn
from survey_service import i18n
from survey_service.app import create_app
from survey_service.headers import BASE_HEADERS
from survey_service.models import Response
from survey_service.overload import Overload
from survey_service.settings import Settings
from tests.factories import make_world, valid_answers

CITIZEN = qn.builtin_definition("citizen")


class Gate:
    """A slow route's hold: ``started`` once it runs, it returns when ``release`` is set."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()

    async def endpoint(self, request: Request) -> PlainTextResponse:
        self.started.set()
        while not self.release.is_set():
            await asyncio.sleep(0.005)
        return PlainTextResponse("slow done")


async def _fast(request: Request) -> PlainTextResponse:
    return PlainTextResponse("fast")


async def _boom(request: Request) -> PlainTextResponse:
    raise RuntimeError("boom")


async def _api(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


def _tiny_app(gate: Gate, limit: int = 1, queue_timeout: float = 0.1) -> Starlette:
    routes = [
        Route("/slow", gate.endpoint),
        Route("/fast", _fast, methods=["GET", "POST"]),
        Route("/s/ABC", _fast, methods=["GET", "POST"]),
        Route("/boom", _boom),
        Route("/api/v1/thing", _api),
        Route("/healthz", _fast),
        Route("/static/app.css", _fast),
    ]
    overload = Middleware(Overload, limit=limit, queue_timeout=queue_timeout, retry_after=5)
    return Starlette(routes=routes, middleware=[overload])


@contextmanager
def _holding(
    client: TestClient, gate: Gate, pool: ThreadPoolExecutor, path: str = "/slow"
) -> Iterator[Future[Any]]:
    """A request to ``path`` that holds a slot for the duration of the block."""
    held = pool.submit(client.get, path)
    assert gate.started.wait(5), "the slow request never started"
    try:
        yield held
    finally:
        gate.release.set()
        held.result(timeout=5)  # finished before the client (and its event loop) closes


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=4) as executor:
        yield executor


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.monotonic()
    result = call()
    return result, time.monotonic() - start


def test_beyond_the_limit_a_request_waits_then_gets_503_with_retry_after(
    pool: ThreadPoolExecutor,
) -> None:
    gate = Gate()
    with TestClient(_tiny_app(gate)) as client:
        with _holding(client, gate, pool) as held:
            refused, waited = _timed(lambda: client.get("/fast"))
            assert refused.status_code == 503
            assert refused.headers["Retry-After"] == "5"
            assert refused.headers["Cache-Control"] == "no-store"
            assert waited >= 0.1  # it queued for queue_timeout before giving up
            assert '<html lang="vi">' in refused.text
            assert i18n.translate("busy.title", "vi") in refused.text
            assert i18n.translate("busy.again", "vi") in refused.text
            assert "data-busy-form" not in refused.text  # a GET carried no answers
        first = held.result(timeout=5)
        assert first.status_code == 200 and first.text == "slow done"
        assert client.get("/fast").status_code == 200  # the slot is free again


def test_a_refused_post_says_the_answers_are_kept_in_the_asked_language(
    pool: ThreadPoolExecutor,
) -> None:
    gate = Gate()
    with TestClient(_tiny_app(gate)) as client:
        with _holding(client, gate, pool):
            refused = client.post("/s/ABC?lang=en&x=1", data={"q_a": "1"})
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
        assert refused.headers["Connection"] == "close"  # its body was never read
        text = refused.text
        assert '<html lang="en">' in text
        for key in ("busy.title", "busy.kept", "busy.back"):
            assert str(escape(i18n.translate(key, "en"))) in text
        assert str(escape(i18n.translate("busy.retry", "en", n=5))) in text
        # "back" is a plain GET of the form in the same language; with JS, history.back()
        assert 'action="/s/ABC"' in text and "data-history-back" in text
        assert '<input type="hidden" name="lang" value="en">' in text
        assert 'name="x"' not in text
        assert 'data-busy-form="/s/ABC"' in text
        assert '<script src="/static/form.js" defer></script>' in text
        assert "<script>" not in text and "style=" not in text  # the CSP allows neither


def test_a_refused_post_that_is_not_a_public_form_just_goes_back(
    pool: ThreadPoolExecutor,
) -> None:
    gate = Gate()
    with TestClient(_tiny_app(gate)) as client:
        with _holding(client, gate, pool):
            refused = client.post("/fast", data={"name": "x"})
        assert refused.status_code == 503
        assert str(escape(i18n.translate("busy.kept", "vi"))) not in refused.text
        assert i18n.translate("form.back", "vi") in refused.text
        assert "data-history-back" in refused.text and "data-busy-form" not in refused.text


def test_api_paths_get_json(pool: ThreadPoolExecutor) -> None:
    gate = Gate()
    with TestClient(_tiny_app(gate)) as client:
        with _holding(client, gate, pool):
            refused = client.get("/api/v1/thing")
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
        assert refused.json()["code"] == "overloaded"
        assert client.get("/api/v1/thing").json() == {"ok": True}


def test_a_queued_request_runs_when_a_slot_frees_in_time(pool: ThreadPoolExecutor) -> None:
    gate = Gate()
    with TestClient(_tiny_app(gate, queue_timeout=5.0)) as client:
        held = pool.submit(client.get, "/slow")
        assert gate.started.wait(5)
        queued = pool.submit(client.get, "/fast")
        time.sleep(0.2)
        assert not queued.done()  # waiting for the slot, not refused
        gate.release.set()
        assert held.result(timeout=5).status_code == 200
        assert queued.result(timeout=5).status_code == 200


def test_static_files_and_health_are_not_limited(pool: ThreadPoolExecutor) -> None:
    gate = Gate()
    with TestClient(_tiny_app(gate)) as client:
        with _holding(client, gate, pool):
            assert client.get("/static/app.css").status_code == 200
            assert client.get("/healthz").status_code == 200
            assert client.get("/fast").status_code == 503


def test_zero_turns_the_limit_off(pool: ThreadPoolExecutor) -> None:
    gate = Gate()
    with TestClient(_tiny_app(gate, limit=0)) as client:
        with _holding(client, gate, pool) as held:
            assert client.get("/fast").status_code == 200
        assert held.result(timeout=5).status_code == 200


def test_a_failing_request_gives_its_slot_back() -> None:
    gate = Gate()
    app = _tiny_app(gate)
    with TestClient(app, raise_server_exceptions=False) as client:
        for _ in range(3):
            assert client.get("/boom").status_code == 500
        assert client.get("/fast").status_code == 200


def _count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Response)).one())


def test_the_real_app_refuses_a_submission_when_full_and_takes_it_after(
    settings: Settings, engine: Engine, pool: ThreadPoolExecutor
) -> None:
    world = make_world(engine)
    limited = settings.model_copy(update={"max_concurrent_requests": 1, "queue_timeout": 0.1})
    app = create_app(limited, engine=engine)
    gate = Gate()
    app.add_route("/test-slow", gate.endpoint)  # a Starlette route: no access-table dependency
    fields = {**valid_answers(CITIZEN), "submission_id": "o" * 20, "lang": "vi"}
    with TestClient(app, raise_server_exceptions=False) as client:
        with _holding(client, gate, pool, "/test-slow"):
            refused = client.post(f"/s/{world.code}?lang=vi", data=fields, follow_redirects=False)
            assert client.get("/healthz").json() == {"status": "ok"}
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
        for name, value in BASE_HEADERS.items():  # inside SecurityHeaders: the CSP holds
            assert refused.headers[name] == value
        assert str(escape(i18n.translate("busy.kept", "vi"))) in refused.text
        assert f'data-busy-form="/s/{world.code}"' in refused.text
        assert _count(engine) == 0
        sent = client.post(f"/s/{world.code}?lang=vi", data=fields, follow_redirects=False)
        assert sent.status_code == 303
        assert sent.headers["location"] == f"/s/{world.code}/thanks?lang=vi"
        assert _count(engine) == 1


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = Settings()
    assert defaults.max_concurrent_requests == 100
    assert defaults.queue_timeout == 2.0 and defaults.overload_retry_after == 5
    monkeypatch.setenv("SURVEY_MAX_CONCURRENT_REQUESTS", "0")
    monkeypatch.setenv("SURVEY_QUEUE_TIMEOUT", "0.5")
    monkeypatch.setenv("SURVEY_OVERLOAD_RETRY_AFTER", "10")
    settings = Settings()
    assert settings.max_concurrent_requests == 0
    assert settings.queue_timeout == 0.5 and settings.overload_retry_after == 10
