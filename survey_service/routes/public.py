"""Public routes: the desk QR form, its thank-you page, health."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import text

import questionnaires as qn
from survey_service import i18n, web
from survey_service.deps import FormDep, SessionDep
from survey_service.models import Channel
from survey_service.services import campaigns as campaign_service
from survey_service.services import desks as desk_service
from survey_service.services import questionnaires as questionnaire_service
from survey_service.services import responses as response_service

router = APIRouter()

CITIZEN = qn.Audience.CITIZEN.value


@router.get("/healthz", include_in_schema=True, tags=["health"])
def healthz(session: SessionDep) -> dict[str, str]:
    """Liveness and database reachability."""
    session.execute(text("SELECT 1"))
    return {"status": "ok"}


@router.get("/", include_in_schema=False)
def home(request: Request) -> Response:
    """A short page saying what this service is."""
    return web.render(request, "public/home.html")


def _desk_form_context(session: SessionDep, code: str) -> dict[str, Any]:
    found = desk_service.find_by_code(session=session, code=code)
    campaign = campaign_service.collecting_campaign(session=session)
    version = campaign_service.pinned_version(session=session, campaign=campaign, audience=CITIZEN)
    questionnaire = questionnaire_service.parsed(version)
    return {
        "found": found,
        "campaign": campaign,
        "version": version,
        "questionnaire": questionnaire,
        "numbers": {item.id: n for n, item in enumerate(questionnaire.items, start=1)},
        "error_groups": _error_groups,
    }


def _error_groups(errors: dict[str, str]) -> list[tuple[str, list[str]]]:
    """Errors grouped by message, keeping item order, so the summary stays short."""
    groups: dict[str, list[str]] = {}
    for item_id, message in errors.items():
        groups.setdefault(message, []).append(item_id)
    return list(groups.items())


@router.get("/s/{code}", include_in_schema=False)
def desk_form(request: Request, code: str, session: SessionDep) -> Response:
    """The citizen questionnaire for the desk behind ``code``."""
    ctx = _desk_form_context(session, code)
    ctx.update(answers={}, errors={}, submission_id=secrets.token_urlsafe(18))
    return web.render(request, "public/form.html", ctx)


@router.post("/s/{code}", include_in_schema=False)
def desk_submit(request: Request, code: str, session: SessionDep, form: FormDep) -> Response:
    """Store the answers (once per submission id) and go to the thank-you page."""
    lang = i18n.pick_language(str(form.get("lang") or request.query_params.get("lang") or "vi"))
    ctx = _desk_form_context(session, code)
    questionnaire: qn.Questionnaire = ctx["questionnaire"]
    raw = qn.from_form(questionnaire, lambda name: [str(v) for v in form.getlist(name)])
    submission = response_service.Submission(
        campaign=ctx["campaign"],
        version=ctx["version"],
        unit_id=ctx["found"].unit.id,
        desk_id=ctx["found"].desk.id,
        channel=Channel.DESK_QR,
        language=lang,
    )
    submission_id = str(form.get("submission_id") or "")
    try:
        response_service.submit(
            session=session, submission=submission, client_submission_id=submission_id, raw=raw
        )
    except qn.AnswersInvalid as exc:
        ctx.update(answers=raw, errors=exc.by_item(lang), submission_id=submission_id)
        return web.render(request, "public/form.html", ctx, status_code=422, lang=lang)
    found = ctx["found"]
    return RedirectResponse(f"/s/{found.code}/thanks?lang={lang}", status_code=303)


@router.get("/s/{code}/thanks", include_in_schema=False)
def desk_thanks(request: Request, code: str, session: SessionDep) -> Response:
    """Thanks after a submission."""
    found = desk_service.find_by_code(session=session, code=code)
    return web.render(request, "public/thanks.html", {"found": found})
