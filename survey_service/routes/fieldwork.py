"""Fieldwork: sample plans' progress, reserves, mail-merge files and printable letters."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlmodel import Session, col, select

from survey_service import i18n, qr, web
from survey_service.db import session_scope
from survey_service.deps import CsrfChecked, CurrentUser, DbId, SessionDep, SettingsDep
from survey_service.models import FrameContact, Invitation, SamplePlan, SampleUnit, Unit
from survey_service.services import audit, fieldwork
from survey_service.services import campaigns as campaign_service
from survey_service.services import sample_plans as plan_service

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("/campaigns/{campaign_id}/fieldwork")
def fieldwork_page(
    request: Request, campaign_id: DbId, session: SessionDep, user: CurrentUser
) -> Response:
    """Every drawn plan of the campaign: progress per unit and per stratum."""
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    plans = session.exec(
        select(SamplePlan).where(SamplePlan.campaign_id == campaign_id).order_by(SamplePlan.id)
    ).all()
    progress = [
        (
            plan,
            fieldwork.by_unit(session=session, plan_id=plan.id, campaign_id=campaign_id),
            fieldwork.by_stratum(session=session, plan_id=plan.id),
        )
        for plan in plans
        if plan.id is not None and plan.drawn_at is not None
    ]
    return web.render(request, "admin/fieldwork.html", {"campaign": campaign, "progress": progress})


@router.post("/plans/{plan_id}/release")
def release(
    plan_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    _csrf: CsrfChecked,
    stratum: Annotated[str, Form(max_length=200)],
    audience: Annotated[str, Form(max_length=16)] = "citizen",
) -> Response:
    """Release a stratum's reserve replicate (its response rate lags)."""
    plan = plan_service.get_plan(session=session, plan_id=plan_id)
    count = plan_service.release_reserve(
        session=session, plan=plan, stratum=stratum, audience=audience
    )
    audit.record(
        session=session,
        actor=user,
        action="plan.release_reserve",
        entity="plan",
        entity_id=plan_id,
        after={"stratum": stratum, "released": count},
    )
    return RedirectResponse(f"/admin/campaigns/{plan.campaign_id}/fieldwork", status_code=303)


def _invitations(session: Session, plan_id: int) -> list[tuple[Invitation, str, dict[str, Any]]]:
    rows = session.exec(
        select(Invitation, Unit.code, FrameContact.contact)
        .join(SampleUnit, col(SampleUnit.id) == Invitation.sample_unit_id)
        .join(Unit, col(Unit.id) == Invitation.unit_id)
        .outerjoin(FrameContact, col(FrameContact.frame_row_id) == SampleUnit.frame_row_id)
        .where(SampleUnit.plan_id == plan_id)
        .order_by(col(Invitation.id))
    ).all()
    return [(inv, code, contact or {}) for inv, code, contact in rows]


@router.get("/plans/{plan_id}/invitations.csv")
def invitations_csv(
    request: Request,
    plan_id: DbId,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> Response:
    """The mail-merge file: code, link, unit and contact of each released invitation.

    Contact data leaves the system here (to send letters), so every download is audited.
    """
    plan = plan_service.get_plan(session=session, plan_id=plan_id)
    audit.record(
        session=session,
        actor=user,
        action="plan.export_invitations",
        entity="plan",
        entity_id=plan_id,
        after={"campaign_id": plan.campaign_id},
    )
    session.commit()
    engine = request.app.state.engine

    def lines() -> Iterator[bytes]:
        yield "\ufeff".encode()
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(
            ["code", "url", "unit_code", "stratum", "status", "phone", "email", "address"]
        )
        with session_scope(engine) as reader:
            for inv, unit_code, contact in _invitations(reader, plan_id):
                writer.writerow(
                    [
                        inv.code,
                        settings.public_url(f"/i/{inv.code}"),
                        unit_code,
                        inv.stratum,
                        inv.status,
                        contact.get("phone", ""),
                        contact.get("email", ""),
                        contact.get("address", ""),
                    ]
                )
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()

    headers = {"Content-Disposition": f'attachment; filename="invitations-plan-{plan_id}.csv"'}
    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/plans/{plan_id}/letters")
def letters(
    request: Request,
    plan_id: DbId,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> Response:
    """Printable invitation letters, one per A4 page, with the link and its QR code."""
    plan_service.get_plan(session=session, plan_id=plan_id)
    rows = [
        (inv, settings.public_url(f"/i/{inv.code}"))
        for inv, _, _ in _invitations(session, plan_id)
        if inv.status in ("issued", "opened")
    ]
    ctx = {"rows": rows, "t_vi": i18n.translator("vi")}
    return web.render(request, "admin/letters.html", ctx)


@router.get("/invitations/{invitation_id}/qr.svg")
def invitation_qr(
    invitation_id: DbId, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> Response:
    """An invitation's QR code (for its letter)."""
    invitation = session.get(Invitation, invitation_id)
    if invitation is None:
        return Response(status_code=404)
    return Response(
        qr.svg(settings.public_url(f"/i/{invitation.code}")), media_type="image/svg+xml"
    )
