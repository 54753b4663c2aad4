"""A public form's pages: rendering a page of questions or the unit picker, the kept fresh desk
page filled in, the browser and draft cookies, and a posted form's values read for the
questionnaire (used by ``survey_service/routes/forms.py`` and the desk lane)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

import questionnaires as qn
from survey_service import web
from survey_service.models import Draft, Unit
from survey_service.services import drafts as draft_service
from survey_service.services import forms as form_service


def _numbers(q: qn.Questionnaire) -> dict[str, int]:
    return {item.id: n for n, item in enumerate(q.items, start=1)}


def _error_groups(errors: dict[str, str]) -> list[tuple[str, list[str]]]:
    """Errors grouped by message, keeping item order, so the summary stays short."""
    groups: dict[str, list[str]] = {}
    for item_id, message in errors.items():
        groups.setdefault(message, []).append(item_id)
    return list(groups.items())


def field_values(form: Any) -> Callable[[str], list[str]]:
    """A form's values by field name, gathered in one pass: Starlette's ``getlist`` walks every
    field for each name asked, and a questionnaire asks for each of its items (28 on the
    citizen form: a twentieth of a desk submission's time in the event loop)."""
    values: dict[str, list[str]] = {}
    for name, value in form.multi_items():
        values.setdefault(name, []).append(str(value))
    return lambda name: values.get(name, [])


BROWSER_COOKIE = "survey_browser"
HONEYPOT = "website"


def with_browser_cookie(response: Response, request: Request) -> bool:
    """Give a browser without one its random id (only ever stored as a keyed hash, for the
    repeat-browser flag); returns whether cookies are marked secure."""
    secure: bool = request.app.state.settings.secure_cookies
    if BROWSER_COOKIE not in request.cookies:
        response.set_cookie(
            BROWSER_COOKIE,
            secrets.token_urlsafe(18),
            max_age=365 * 86_400,
            httponly=True,
            samesite="lax",
            secure=secure,
            path="/",
        )
    return secure


def with_draft_cookie(
    response: Response, request: Request, target: form_service.FormTarget, draft: Draft | None
) -> Response:
    """Keep the draft in its cookie when it is stored, else delete it; the browser id too."""
    secure = with_browser_cookie(response, request)
    if draft is None or not draft_service.is_stored(draft):
        response.delete_cookie(draft_service.COOKIE, path=target.base_path)
    else:
        response.set_cookie(
            draft_service.COOKIE,
            draft.token,
            path=target.base_path,
            max_age=int(draft_service.LIFETIME.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=secure,
        )
    return response


def render_unit_picker(
    request: Request,
    session: Session,
    target: form_service.FormTarget,
    draft: Draft | None,
    lang: str,
    error: bool = False,
) -> Response:
    """The page where a form link's respondent picks the unit answered about."""
    ctx = {
        "target": target,
        "q": target.questionnaire,
        "units": form_service.choosable_units(session=session),
        "draft": draft,
        "submission_id": draft.submission_id if draft else secrets.token_urlsafe(18),
        "unit_error": error,
        "started": request.app.state.signer.stamp(),
    }
    status = 422 if error else 200
    response = web.render(request, "public/unit_picker.html", ctx, status_code=status, lang=lang)
    return with_draft_cookie(response, request, target, draft)


def render_page(
    request: Request,
    target: form_service.FormTarget,
    *,
    unit: Unit,
    page: str,
    answers: dict[str, Any],
    draft: Draft | None,
    lang: str,
    errors: dict[str, str] | None = None,
) -> Response:
    """A page of questions; the fresh first page of a desk is rendered once and kept."""
    q = target.questionnaire
    ctx_vars = form_service.context(unit)
    page_ids = form_service.pages(q, answers, ctx_vars)
    page = page if page in page_ids else page_ids[0]
    index = page_ids.index(page)
    fresh = draft is None and not errors and not answers and index == 0 and target.unit is not None
    cache: form_service.TargetCache = request.app.state.form_targets
    variant = page_variant(target.unit, lang) if target.unit is not None else ""
    if fresh and (kept := cache.page(target, variant)) is not None:
        return fresh_page(request, target, kept)  # kept while its entry expired unchanged
    sections = form_service.page_sections(q, page, answers, ctx_vars)
    on_page = {item.id for item in form_service.page_items(sections)}
    known = {k: v for k, v in answers.items() if k not in on_page} | ctx_vars
    ctx = {
        "target": target,
        "q": q,
        "unit": unit,
        "page": page,
        "page_number": index + 1,
        "page_count": len(page_ids),
        "sections": sections,
        "rendered": form_service.rendered_items(q, sections, answers, ctx_vars),
        "answers": answers,
        "errors": errors or {},
        "error_groups": _error_groups,
        "numbers": _numbers(q),
        "rules": form_service.browser_rules(q),
        "known": known,
        "draft": draft,
    }
    if fresh:
        # A fresh desk form is the same page for everyone at the desk but for its submission
        # id and start stamp: rendered once with slots for them, then only filled in.
        ctx |= {"submission_id": SUBMISSION_SLOT, "started": STARTED_SLOT}
        page_html = bytes(web.render(request, "public/form.html", ctx, lang=lang).body).decode()
        cache.keep_page(target, variant, page_html)
        return fresh_page(request, target, page_html)
    ctx |= {
        "submission_id": draft.submission_id if draft else secrets.token_urlsafe(18),
        "started": request.app.state.signer.stamp(),
    }
    status = 422 if errors else 200
    response = web.render(request, "public/form.html", ctx, status_code=status, lang=lang)
    return with_draft_cookie(response, request, target, draft)


SUBMISSION_SLOT = secrets.token_urlsafe(24)  # stand-ins no page text can contain
STARTED_SLOT = secrets.token_urlsafe(24)


def page_variant(unit: Unit, lang: str) -> str:
    """The kept-page key of a unit's fresh form in one language."""
    return f"{unit.id}:{lang}"


def fresh_page(request: Request, target: form_service.FormTarget, page_html: str) -> Response:
    """A fresh form page from its rendered text: a submission id and a start stamp of its own."""
    filled = page_html.replace(SUBMISSION_SLOT, secrets.token_urlsafe(18)).replace(
        STARTED_SLOT, request.app.state.signer.stamp()
    )
    return with_draft_cookie(HTMLResponse(filled), request, target, None)


def show_form(request: Request, session: Session, target: form_service.FormTarget) -> Response:
    """A form as opened: the draft's page to resume, the unit picker, or the fresh first page."""
    lang = web.request_language(request)
    draft = draft_service.find(
        session=session, token=request.cookies.get(draft_service.COOKIE), form_key=target.key
    )
    unit = target.unit or (session.get(Unit, draft.unit_id) if draft and draft.unit_id else None)
    if unit is None:
        return render_unit_picker(request, session, target, draft, lang)
    answers = dict(draft.answers) if draft else {}
    page = draft.page if draft else ""
    return render_page(
        request, target, unit=unit, page=page, answers=answers, draft=draft, lang=lang
    )
