"""The desk lane: the two requests a desk sees most, answered before FastAPI's routing.

At a campaign's peak nearly every request is a citizen at a desk opening the form or sending
it complete. Once storing went to the group commit, FastAPI's routing and dependency solving
were half the time of each; this ASGI middleware answers them without (see :class:`DeskLane`).
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from survey_service import web
from survey_service.asgi import replaying
from survey_service.deps import read_form
from survey_service.errors import DomainError
from survey_service.routes import form_pages, forms
from survey_service.services import drafts as draft_service
from survey_service.services import forms as form_service


class DeskLane:
    """ASGI middleware: a fresh desk form page from its kept text (:func:`kept_page`), and a
    desk form submitted complete that :func:`forms.in_one_go` takes.

    Only when nothing could call for an error page from FastAPI's handlers: the desk code must
    be remembered (else FastAPI's route looks it up, with its 404 or 410), and for submissions
    the rate limits off (a refusal is FastAPI's 429); the answer is otherwise the very same.
    Anything else goes on to FastAPI, with the body read so far given again. Installed inside
    the body limit, the overload guard and the security headers, so those hold as for every
    request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = DESK_PATH.match(scope["path"]) if scope["type"] == "http" else None
        if found is None or scope["method"] not in ("GET", "POST"):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        target = await forms.remembered_target(request, found.group(1))
        if scope["method"] == "GET":
            page = kept_page(request, target) if target is not None else None
            await (page(scope, receive, send) if page else self.app(scope, receive, send))
            return
        settings = request.app.state.settings
        kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if (
            target is None
            or settings.rate_limit_per_address
            or settings.rate_limit_per_desk
            or kind != URLENCODED  # what forms send; another body could not be given again
        ):
            await self.app(scope, receive, send)
            return
        try:
            form = await read_form(request)
        except DomainError:  # FastAPI's route reads it again and answers with the error page
            form = None
        answered = None if form is None else await forms.in_one_go(request, target, form)
        if answered is not None:
            await answered(scope, receive, send)
            return
        await self.app(scope, replaying(await request.body(), receive), send)


DESK_PATH = re.compile(r"^/s/([^/]+)$")
URLENCODED = "application/x-www-form-urlencoded"


def kept_page(request: Request, target: form_service.FormTarget) -> Response | None:
    """The fresh form page of a remembered desk code, from its kept text; None when there is
    a draft to resume or no kept page (FastAPI's route renders it, and keeps it)."""
    if target.unit is None or request.cookies.get(draft_service.COOKIE):
        return None
    cache: form_service.TargetCache = request.app.state.form_targets
    page_html = cache.page(
        target, form_pages.page_variant(target.unit, web.request_language(request))
    )
    if page_html is None:
        return None
    forms.refresh_soon(request, target.code)
    return form_pages.fresh_page(request, target, page_html)
