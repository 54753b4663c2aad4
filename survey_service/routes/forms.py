"""The public forms: ``/s/{code}`` (desk QR, citizens) and ``/f/{code}`` (form links).

Works without JavaScript: paging, skip logic and validation happen on the server; the optional
``static/form.js`` shows or hides conditional questions live and saves drafts as people answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

import questionnaires as qn
from survey_service import clients, i18n, ratelimit, web
from survey_service.deps import FormDep, SessionDep
from survey_service.errors import Gone
from survey_service.models import Draft, Unit
from survey_service.routes.form_pages import (
    BROWSER_COOKIE,
    HONEYPOT,
    field_values,
    render_page,
    render_unit_picker,
    show_form,
    with_browser_cookie,
    with_draft_cookie,
)
from survey_service.services import desks as desk_service
from survey_service.services import drafts as draft_service
from survey_service.services import form_links as link_service
from survey_service.services import forms as form_service
from survey_service.services import invitations as invitation_service
from survey_service.services import responses as response_service
from survey_service.submission_writer import SubmissionWriter

router = APIRouter(include_in_schema=False)
logger = logging.getLogger(__name__)


def _pick_unit(
    request: Request,
    session: Session,
    target: form_service.FormTarget,
    draft: Draft,
    form: Any,
    lang: str,
) -> Response:
    choosable = {u.id: u for u in form_service.choosable_units(session=session)}
    raw = str(form.get("unit_id") or "")
    unit = choosable.get(int(raw)) if raw.isdigit() else None
    if unit is None:
        return render_unit_picker(request, session, target, draft, lang, error=True)
    draft_service.save(
        session=session, draft=draft, answers=draft.answers, page="", unit_id=unit.id
    )
    return render_page(
        request, target, unit=unit, page="", answers=draft.answers, draft=draft, lang=lang
    )


def _hash(request: Request, purpose: str, value: str | None) -> str | None:
    secret = request.app.state.settings.resolved_secret_key
    return clients.keyed_hash(secret, purpose, value) if value else None


def _rate_limit(request: Request, target: form_service.FormTarget) -> None:
    """Per address (phones behind one carrier address share it, so it is generous) and per
    form code (a desk's QR or a link), counted in the database or Redis."""
    settings = request.app.state.settings
    limiter = request.app.state.limiter
    address = clients.address_bucket(clients.request_client(request))
    by_address = "form-addr:" + clients.keyed_hash(
        settings.resolved_secret_key, "ratelimit", address
    )
    ratelimit.check(limiter, by_address, settings.rate_limit_per_address, 60)
    ratelimit.check(limiter, "form-code:" + target.key, settings.rate_limit_per_desk, 60)


def _submission(
    request: Request,
    target: form_service.FormTarget,
    unit: Unit,
    lang: str,
    started_at: dt.datetime | None,
    honeypot: bool,
) -> response_service.Submission:
    assert unit.id is not None
    address = clients.address_bucket(clients.request_client(request))
    return response_service.Submission(
        campaign=target.campaign,
        version=target.version,
        unit_id=unit.id,
        desk_id=target.desk.id if target.desk else None,
        channel=target.channel,
        language=lang,
        started_at=started_at,
        client_hash=_hash(request, "response-client", address),
        browser_hash=_hash(request, "response-browser", request.cookies.get(BROWSER_COOKIE)),
        honeypot=honeypot,
        stratum=target.stratum,
        design_weight=target.design_weight,
    )


def _submit(
    request: Request,
    session: Session,
    target: form_service.FormTarget,
    *,
    draft: Draft,
    unit: Unit,
    answers: dict[str, Any],
    lang: str,
    honeypot: bool,
) -> Response:
    response_service.submit(
        session=session,
        submission=_submission(request, target, unit, lang, draft.started_at, honeypot),
        client_submission_id=draft.submission_id,
        raw=answers,
        context=form_service.context(unit),
        checked=True,
    )
    if target.invitation_id is not None:
        invitation_service.complete(session=session, invitation_id=target.invitation_id)
    draft_service.discard(session=session, draft=draft)
    # Commit here, not when the request ends: the database's one write lock is then held from
    # the INSERT to this COMMIT only, not while the thread waits for its turn to finish the
    # request (measured: with 20 phones at once, 5× the answers per second on SQLite).
    session.commit()
    redirect = RedirectResponse(f"{target.base_path}/thanks?lang={lang}", status_code=303)
    return with_draft_cookie(redirect, request, target, None)


def _post(
    request: Request, session: Session, target: form_service.FormTarget, form: Any
) -> Response:
    lang = i18n.pick_language(str(form.get("lang") or web.request_language(request)))
    if str(form.get("action") or "submit") != "save":
        _rate_limit(request, target)  # autosaves store no response and are not counted
    posted_sid = str(form.get("submission_id") or "")
    if response_service.find_submitted(session=session, client_submission_id=posted_sid):
        return RedirectResponse(f"{target.base_path}/thanks?lang={lang}", status_code=303)
    token = str(form.get("draft") or "") or request.cookies.get(draft_service.COOKIE)
    draft = draft_service.find(session=session, token=token, form_key=target.key)
    if draft is None:
        response_service.check_submission_id(posted_sid)
        started = request.app.state.signer.stamped_time(str(form.get("started") or ""))
        draft = draft_service.start(
            session=session,
            form_key=target.key,
            submission_id=posted_sid,
            started_at=started,
            stored=False,  # kept only if the form goes on (a page, an error, an autosave)
        )
    action = str(form.get("action") or "submit")
    if action == "unit" and target.unit is None:
        return _pick_unit(request, session, target, draft, form, lang)
    unit = target.unit or (session.get(Unit, draft.unit_id) if draft.unit_id else None)
    if unit is None:
        return render_unit_picker(request, session, target, draft, lang)
    return _post_page(
        request, session, target, draft=draft, unit=unit, form=form, lang=lang, action=action
    )


def _post_page(
    request: Request,
    session: Session,
    target: form_service.FormTarget,
    *,
    draft: Draft,
    unit: Unit,
    form: Any,
    lang: str,
    action: str,
) -> Response:
    q = target.questionnaire
    ctx_vars = form_service.context(unit)
    page = str(form.get("page") or form_service.ALL)
    items = form_service.page_items(form_service.page_sections(q, page, draft.answers, ctx_vars))
    posted = qn.from_form(q, field_values(form), items)
    answers = {k: v for k, v in draft.answers.items() if k not in {i.id for i in items}} | posted
    page_ids = form_service.pages(q, answers, ctx_vars)
    page = page if page in page_ids else page_ids[0]
    index = page_ids.index(page)

    def keep(at: str) -> None:
        draft_service.save(session=session, draft=draft, answers=answers, page=at, unit_id=unit.id)

    def show(at: str, errors: dict[str, str] | None = None) -> Response:
        return render_page(
            request,
            target,
            unit=unit,
            page=at,
            answers=answers,
            draft=draft,
            lang=lang,
            errors=errors,
        )

    if action == "save":
        if draft.page and draft.page != page:
            # a late autosave from a page the respondent has already left: keep the newer state
            return with_draft_cookie(Response(status_code=204), request, target, draft)
        keep(page)
        return with_draft_cookie(Response(status_code=204), request, target, draft)
    if action == "back":
        keep(page_ids[max(index - 1, 0)])
        return show(page_ids[max(index - 1, 0)])
    clean, errors = qn.check_answers(q, answers, ctx_vars)
    here = qn.errors_within(errors, {i.id for i in items})
    if here:
        keep(page)
        return show(page, qn.AnswersInvalid(here).by_item(lang))
    if action == "next" and index + 1 < len(page_ids):
        keep(page_ids[index + 1])
        return show(page_ids[index + 1])
    if errors:  # an earlier page needs attention (e.g. a question that skip logic now asks)
        first = q.section_of(errors[0].item_id).id
        at = first if first in page_ids else page_ids[0]
        keep(at)
        return show(at, qn.AnswersInvalid(errors).by_item(lang))
    honeypot = bool(str(form.get(HONEYPOT) or "").strip())
    return _submit(
        request,
        session,
        target,
        draft=draft,
        unit=unit,
        answers=clean,  # checked just now, against this unit's context: not checked again
        lang=lang,
        honeypot=honeypot,
    )


def _thanks(request: Request, target_unit: Unit | None, desk: Any) -> Response:
    return web.render(request, "public/thanks.html", {"unit": target_unit, "desk": desk})


@router.get("/s/{code}")
def desk_form(request: Request, code: str, session: SessionDep) -> Response:
    """The citizen questionnaire for the desk behind ``code``."""
    return show_form(request, session, _desk_target(request, session, code))


@router.post("/s/{code}")
async def desk_post(request: Request, code: str, session: SessionDep, form: FormDep) -> Response:
    """A page of answers for the desk form: next, back, save or submit.

    The common case at a desk, the one-page citizen form submitted complete, takes the
    :func:`in_one_go` lane; everything else goes the usual way in a worker thread.
    """
    cache: form_service.TargetCache = request.app.state.form_targets
    target = await remembered_target(request, code)
    if target is None and cache.seconds > 0:  # looked up (and remembered) in a worker thread
        target = await run_in_threadpool(_look_up, request, code)
    if target is not None:
        stored = await in_one_go(request, target, form)
        if stored is not None:
            return stored
    return await run_in_threadpool(_desk_post, request, session, code, form)


def _look_up(request: Request, code: str) -> form_service.FormTarget:
    """What ``code`` opens, in a session of its own that gives its connection back at once:
    the request's would hold one while its submission waits for the group commit, and with
    enough such requests the writer would find the pool empty (seen: a standstill at 100
    clients)."""
    with Session(request.app.state.engine) as session:
        return _desk_target(request, session, code)


_refreshes: dict[form_service.TargetCache, asyncio.Future[None]] = {}  # running ones, held


def refresh_soon(request: Request, code: str) -> asyncio.Future[None] | None:
    """Look a desk code in use up again in the background before it expires (with every other
    code due, :meth:`~form_service.TargetCache.refresh`). Returns the refresh of this process's
    cache running now, begun here or before, if any."""
    cache: form_service.TargetCache = request.app.state.form_targets
    loop = asyncio.get_running_loop()
    if cache.refresh_due(code):
        running = loop.run_in_executor(None, _refresh, request.app.state.engine, cache)
        _refreshes[cache] = running
        running.add_done_callback(lambda done: _refresh_done(cache, done))
    running = _refreshes.get(cache)
    return running if running is not None and running.get_loop() is loop else None


def _refresh_done(cache: form_service.TargetCache, done: asyncio.Future[None]) -> None:
    if _refreshes.get(cache) is done:
        del _refreshes[cache]
    if not done.cancelled() and (error := done.exception()) is not None:
        logger.warning("looking desk codes up again failed: %r", error)


async def remembered_target(request: Request, code: str) -> form_service.FormTarget | None:
    """What a desk code opens, with no I/O in the event loop: its fresh cache entry; or, when
    the entry has expired (no request used the code for a while), the entry the shared refresh
    looked up again in a worker thread, together with every other code due. After a quiet
    spell the first requests for a hundred desks thus cost one query, not a hundred lookups
    through FastAPI's route. None when not remembered (the route looks the code up)."""
    cache: form_service.TargetCache = request.app.state.form_targets
    target = cache.peek(code)
    if target is None and cache.remembers(code):
        running = refresh_soon(request, code)
        if running is not None:
            with contextlib.suppress(Exception):  # logged by _refresh_done; the route tries
                await asyncio.shield(running)  # a request gone does not cancel the refresh
            target = cache.peek(code)
    return target


def _refresh(engine: Any, cache: form_service.TargetCache) -> None:
    with Session(engine) as session:
        cache.refresh(session=session)


def _desk_post(request: Request, session: Session, code: str, form: Any) -> Response:
    return _post(request, session, _desk_target(request, session, code), form)


async def in_one_go(
    request: Request, target: form_service.FormTarget, form: Any
) -> Response | None:
    """A one-page form answered in one go and submitted complete, with no draft to resume (how
    citizens answer at a desk): checked in the event loop and stored by the process's group
    commit (``survey_service/submission_writer.py``), with no thread trip or transaction of its
    own. None for anything else (a page, a draft, an autosave, a unit to pick, answers with
    errors, a malformed submission id): the usual path answers those, as before.

    A repeat of a stored submission is stored no second time (the INSERT … ON CONFLICT DO
    NOTHING sees it) and is thanked like the first.
    """
    refresh_soon(request, target.code)
    unit, q = target.unit, target.questionnaire
    posted_sid = str(form.get("submission_id") or "")
    if (
        unit is None
        or target.invitation_id is not None
        or q.layout is not qn.Layout.ONE_PAGE
        or str(form.get("action") or "submit") != "submit"
        or str(form.get("page") or form_service.ALL) != form_service.ALL
        or form.get("draft")
        or request.cookies.get(draft_service.COOKIE)
        or not response_service.SUBMISSION_ID.match(posted_sid)
    ):
        return None
    ctx_vars = form_service.context(unit)
    items = form_service.page_items(form_service.page_sections(q, form_service.ALL, {}, ctx_vars))
    posted = qn.from_form(q, field_values(form), items)
    clean, errors = qn.check_answers(q, posted, ctx_vars)
    if errors:
        return None
    settings = request.app.state.settings
    if settings.rate_limit_per_address > 0 or settings.rate_limit_per_desk > 0:
        await run_in_threadpool(_rate_limit, request, target)  # the database or Redis counts
    lang = i18n.pick_language(str(form.get("lang") or web.request_language(request)))
    started = request.app.state.signer.stamped_time(str(form.get("started") or ""))
    honeypot = bool(str(form.get(HONEYPOT) or "").strip())
    submission = _submission(request, target, unit, lang, started, honeypot)
    writer: SubmissionWriter = request.app.state.submission_writer
    await writer.store(response_service.prepare(submission, posted_sid, q, clean))
    redirect = RedirectResponse(f"{target.base_path}/thanks?lang={lang}", status_code=303)
    with_browser_cookie(redirect, request)  # no draft cookie came, so none to delete
    return redirect


def _desk_target(request: Request, session: Session, code: str) -> form_service.FormTarget:
    cache: form_service.TargetCache = request.app.state.form_targets
    return cache.desk_target(session=session, code=code)


@router.get("/s/{code}/thanks")
def desk_thanks(request: Request, code: str, session: SessionDep) -> Response:
    """Thanks after a desk submission."""
    found = desk_service.find_by_code(session=session, code=code)
    return _thanks(request, found.unit, found.desk)


@router.get("/i/{code}")
def invitation_form(request: Request, code: str, session: SessionDep) -> Response:
    """The questionnaire of a single-use invitation."""
    target = form_service.invitation_target(session=session, code=code)
    assert target.invitation_id is not None
    invitation_service.mark_opened(session=session, invitation_id=target.invitation_id)
    return show_form(request, session, target)


@router.post("/i/{code}")
def invitation_post(request: Request, code: str, session: SessionDep, form: FormDep) -> Response:
    """A page of answers for an invitation; submitting uses the invitation up."""
    sid = str(form.get("submission_id") or "")
    lang = i18n.pick_language(str(form.get("lang") or "vi"))
    thanks = RedirectResponse(f"/i/{code}/thanks?lang={lang}", status_code=303)
    if response_service.find_submitted(session=session, client_submission_id=sid):
        # a retry of the submission that used the invitation up: thank, do not refuse
        return thanks
    try:
        target = form_service.invitation_target(session=session, code=code)
        return _post(request, session, target, form)
    except Gone:
        # A double tap that reached two app processes at once: the other request stored this
        # very submission and used the invitation up while this one was on its way. Look again
        # in a fresh transaction; only a different submission is refused.
        session.rollback()
        if sid and response_service.find_submitted(session=session, client_submission_id=sid):
            return thanks
        raise


@router.get("/i/{code}/thanks")
def invitation_thanks(request: Request, code: str) -> Response:
    """Thanks after answering an invitation (the code is used up by now)."""
    return _thanks(request, None, None)


@router.get("/f/{code}")
def link_form(request: Request, code: str, session: SessionDep) -> Response:
    """The questionnaire behind a form link."""
    return show_form(request, session, form_service.link_target(session=session, code=code))


@router.post("/f/{code}")
def link_post(request: Request, code: str, session: SessionDep, form: FormDep) -> Response:
    """A page of answers for a form link: unit, next, back, save or submit."""
    return _post(request, session, form_service.link_target(session=session, code=code), form)


@router.get("/f/{code}/thanks")
def link_thanks(request: Request, code: str, session: SessionDep) -> Response:
    """Thanks after a form-link submission."""
    link_service.find_live(session=session, code=code)
    return _thanks(request, None, None)
