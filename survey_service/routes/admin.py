"""Admin pages: campaigns, units and desks, printable QR cards (sign-in: ``accounts.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

import questionnaires as qn
from survey_service import errors, i18n, qr, web
from survey_service.deps import (
    MAX_ID,
    CsrfChecked,
    CurrentUser,
    DbId,
    SessionDep,
    SettingsDep,
)
from survey_service.models import CampaignBase, CampaignStatus
from survey_service.services import audit
from survey_service.services import campaigns as campaign_service
from survey_service.services import desks as desk_service
from survey_service.services import form_links as link_service
from survey_service.services import questionnaires as questionnaire_service
from survey_service.services import units as unit_service

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("")
def admin_home() -> Response:
    """The admin area starts at the campaigns."""
    return RedirectResponse("/admin/campaigns", status_code=303)


# --- campaigns --------------------------------------------------------------------------------


@router.get("/campaigns")
def campaigns_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """Every campaign with its status."""
    ctx = {
        "campaigns": campaign_service.list_campaigns(session=session),
        "statuses": list(CampaignStatus),
        "form_error": None,
    }
    return web.render(request, "admin/campaigns.html", ctx)


@router.post("/campaigns")
def campaign_create(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    _csrf: CsrfChecked,
    year: Annotated[str, Form()] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    period_start: Annotated[str, Form()] = "",
    period_end: Annotated[str, Form()] = "",
) -> Response:
    """Add a draft campaign."""
    try:
        campaign_in = CampaignBase.model_validate(
            {
                "year": year,
                "name": name.strip(),
                "period_start": period_start or None,
                "period_end": period_end or None,
            }
        )
        campaign = campaign_service.create_campaign(session=session, campaign_in=campaign_in)
        audit.record(
            session=session,
            actor=user,
            action="campaign.create",
            entity="campaign",
            entity_id=campaign.id,
            after=audit.snapshot(campaign),
        )
    except (ValidationError, errors.InvalidInput) as exc:
        message = exc.text("en") if isinstance(exc, errors.DomainError) else _first_error(exc)
        ctx = {
            "campaigns": campaign_service.list_campaigns(session=session),
            "statuses": list(CampaignStatus),
            "form_error": message,
        }
        return web.render(request, "admin/campaigns.html", ctx, status_code=422)
    return RedirectResponse("/admin/campaigns", status_code=303)


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


@router.post("/campaigns/{campaign_id}/status")
def campaign_status(
    campaign_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    _csrf: CsrfChecked,
    status: Annotated[CampaignStatus, Form()],
) -> Response:
    """Open, close or publish a campaign."""
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    before = audit.snapshot(campaign, "status")
    campaign_service.set_status(session=session, campaign=campaign, status=status)
    audit.record(
        session=session,
        actor=user,
        action="campaign.status",
        entity="campaign",
        entity_id=campaign_id,
        before=before,
        after=audit.snapshot(campaign, "status"),
    )
    return RedirectResponse("/admin/campaigns", status_code=303)


@router.get("/campaigns/{campaign_id}")
def campaign_page(
    request: Request,
    campaign_id: DbId,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> Response:
    """A campaign: its questionnaire versions by audience and its form links."""
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    links = link_service.campaign_links(session=session, campaign_id=campaign_id)
    ctx = {
        "campaign": campaign,
        "pins": campaign_service.pinned_versions(session=session, campaign=campaign),
        "versions": questionnaire_service.list_versions(session=session),
        "links": [(link, settings.public_url(f"/f/{link.code}")) for link in links],
        "units": unit_service.unit_rows(session=session),
        "audiences": [a.value for a in qn.Audience],
    }
    return web.render(request, "admin/campaign.html", ctx)


@router.post("/campaigns/{campaign_id}/pins")
def campaign_pin(
    campaign_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    _csrf: CsrfChecked,
    version_id: Annotated[int, Form(ge=1, le=MAX_ID)],
) -> Response:
    """Make a stored questionnaire version the one the campaign uses for its audience."""
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    version = questionnaire_service.get_version(session=session, version_id=version_id)
    old = campaign_service.pinned_versions(session=session, campaign=campaign).get(version.audience)
    campaign_service.pin_questionnaire(session=session, campaign=campaign, version=version)
    audit.record(
        session=session,
        actor=user,
        action="campaign.pin",
        entity="campaign",
        entity_id=campaign_id,
        before={"audience": version.audience, "version_id": old.id if old else None},
        after={"audience": version.audience, "version_id": version.id},
    )
    return RedirectResponse(f"/admin/campaigns/{campaign_id}", status_code=303)


@router.post("/campaigns/{campaign_id}/links")
def link_create(
    campaign_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    _csrf: CsrfChecked,
    audience: Annotated[str, Form()],
    unit_id: Annotated[str, Form()] = "",
    label: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Add a form link for an audience (a fixed unit, or chosen by the respondent)."""
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    unit = (
        unit_service.get_unit(session=session, unit_id=int(unit_id))
        if unit_id.isdigit() and int(unit_id) <= MAX_ID
        else None
    )
    link = link_service.create_link(
        session=session, campaign=campaign, audience=audience, unit=unit, label=label
    )
    audit.record(
        session=session,
        actor=user,
        action="link.create",
        entity="form_link",
        entity_id=link.id,
        after=audit.snapshot(link, "campaign_id", "audience", "unit_id", "label", "code"),
    )
    return RedirectResponse(f"/admin/campaigns/{campaign_id}", status_code=303)


@router.post("/links/{link_id}/revoke")
def link_revoke(
    link_id: DbId, session: SessionDep, user: CurrentUser, _csrf: CsrfChecked
) -> Response:
    """Withdraw a form link."""
    link = link_service.revoke(session=session, link_id=link_id)
    audit.record(
        session=session,
        actor=user,
        action="link.revoke",
        entity="form_link",
        entity_id=link_id,
        after=audit.snapshot(link, "code", "revoked_at"),
    )
    return RedirectResponse(f"/admin/campaigns/{link.campaign_id}", status_code=303)


@router.get("/links/{link_id}/qr.png")
def link_qr_png(
    link_id: DbId, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> Response:
    """A form link's QR code as PNG."""
    link = link_service.get_link(session=session, link_id=link_id)
    return Response(qr.png(settings.public_url(f"/f/{link.code}")), media_type="image/png")


# --- units, desks and QR cards ----------------------------------------------------------------


@router.get("/units")
def units_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """Units with desk and response counts."""
    campaigns = campaign_service.list_campaigns(session=session)
    campaign = campaigns[0] if campaigns else None
    rows = unit_service.unit_rows(session=session, campaign_id=campaign.id if campaign else None)
    return web.render(request, "admin/units.html", {"rows": rows, "campaign": campaign})


@router.get("/units/{unit_id}")
def unit_page(request: Request, unit_id: DbId, session: SessionDep, user: CurrentUser) -> Response:
    """One unit's desks, their live codes and response counts."""
    unit = unit_service.get_unit(session=session, unit_id=unit_id)
    rows = desk_service.desk_rows(session=session, unit_id=unit_id)
    return web.render(request, "admin/unit.html", {"unit": unit, "rows": rows})


@router.post("/units/{unit_id}/desks")
def desk_create(
    unit_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    _csrf: CsrfChecked,
    name_vi: Annotated[str, Form(min_length=1, max_length=200)],
    name_en: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Add a desk (with a fresh code) to a unit."""
    unit = unit_service.get_unit(session=session, unit_id=unit_id)
    desk = desk_service.create_desk(session=session, unit=unit, name_vi=name_vi, name_en=name_en)
    audit.record(
        session=session,
        actor=user,
        action="desk.create",
        entity="desk",
        entity_id=desk.id,
        after=audit.snapshot(desk),
    )
    return RedirectResponse(f"/admin/units/{unit_id}", status_code=303)


@router.post("/desks/{desk_id}/rotate")
def desk_rotate(
    desk_id: DbId, session: SessionDep, user: CurrentUser, _csrf: CsrfChecked
) -> Response:
    """Replace a desk's code; the old card stops working."""
    desk = desk_service.get_desk(session=session, desk_id=desk_id)
    old = desk_service.live_code(session=session, desk=desk)
    new = desk_service.rotate_code(session=session, desk=desk)
    audit.record(
        session=session,
        actor=user,
        action="desk.rotate_code",
        entity="desk",
        entity_id=desk_id,
        before={"code": old.code if old else None},
        after={"code": new.code},
    )
    return RedirectResponse(f"/admin/units/{desk.unit_id}", status_code=303)


@router.post("/desks/{desk_id}/revoke")
def desk_revoke(
    desk_id: DbId, session: SessionDep, user: CurrentUser, _csrf: CsrfChecked
) -> Response:
    """Withdraw a desk's code without a replacement."""
    desk = desk_service.get_desk(session=session, desk_id=desk_id)
    old = desk_service.revoke_code(session=session, desk=desk)
    audit.record(
        session=session,
        actor=user,
        action="desk.revoke_code",
        entity="desk",
        entity_id=desk_id,
        before={"code": old.code if old else None},
        after={"code": None},
    )
    return RedirectResponse(f"/admin/units/{desk.unit_id}", status_code=303)


def _live_url(session: SessionDep, settings: SettingsDep, desk_id: int) -> str:
    desk = desk_service.get_desk(session=session, desk_id=desk_id)
    code = desk_service.live_code(session=session, desk=desk)
    if code is None:
        raise errors.NotFound(message_en="This desk has no live code; issue one first.")
    return settings.public_url(f"/s/{code.code}")


@router.get("/desks/{desk_id}/qr.png")
def desk_qr_png(
    desk_id: DbId, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> Response:
    """The desk's QR code as PNG."""
    return Response(qr.png(_live_url(session, settings, desk_id)), media_type="image/png")


@router.get("/desks/{desk_id}/qr.svg")
def desk_qr_svg(
    desk_id: DbId, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> Response:
    """The desk's QR code as SVG."""
    return Response(qr.svg(_live_url(session, settings, desk_id)), media_type="image/svg+xml")


@router.get("/qr-cards")
def qr_cards(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    unit_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """A4 sheets of QR cards (all desks, or one unit's), ready to print."""
    rows = [r for r in desk_service.desk_rows(session=session, unit_id=unit_id) if r.code]
    cards = [(row, settings.public_url(f"/s/{row.code}")) for row in rows]
    ctx = {"cards": cards, "t_vi": i18n.translator("vi")}
    return web.render(request, "admin/qr_cards.html", ctx)
