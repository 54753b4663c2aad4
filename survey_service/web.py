"""HTML rendering: the Jinja2 environment, the language of a request, CSRF cookies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from survey_service import i18n, security

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
# Autoescape always on (STYLE.md rule 10).
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
    autoescape=True,
)
templates = Jinja2Templates(env=_env)


def compile_public_templates() -> None:
    """Compile the public pages' templates now (some 100 ms), not on the first requests.

    For a worker started at a peak (:func:`survey_service.app.create_served_app`): Jinja
    compiles a template on its first use, and the first form page requests, arriving together
    in many threads, each compiled the same ones (the form's questions alone take 60 ms).
    """
    for name in [*_env.list_templates(filter_func=lambda n: n.startswith("public/")), "base.html"]:
        _env.get_template(name)


def request_language(request: Request) -> str:
    """The language asked for by ``?lang=`` (Vietnamese by default)."""
    return i18n.pick_language(request.query_params.get("lang"))


def csrf_token(request: Request) -> str:
    """The CSRF form token of this browser, creating its cookie nonce on first use."""
    nonce = request.cookies.get(security.CSRF_COOKIE) or getattr(request.state, "csrf_nonce", None)
    if nonce is None:
        nonce = security.new_nonce()
        request.state.csrf_nonce = nonce
    signer: security.Signer = request.app.state.signer
    return signer.csrf_token(nonce)


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    lang: str | None = None,
) -> Response:
    """Render template ``name`` with the language helpers, CSRF token and signed-in user."""
    lang = lang or request_language(request)
    ctx: dict[str, Any] = {
        "lang": lang,
        "t": i18n.translator(lang),
        "user": getattr(request.state, "user", None),
        "csrf_token": lambda: csrf_token(request),
    }
    ctx.update(context or {})
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    nonce = getattr(request.state, "csrf_nonce", None)
    if nonce is not None and security.CSRF_COOKIE not in request.cookies:
        settings = request.app.state.settings
        response.set_cookie(
            security.CSRF_COOKIE,
            nonce,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            path="/",
        )
    return response
