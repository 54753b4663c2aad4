"""Flagged responses: coordinators review them and exclude or include them (audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from survey_service import web
from survey_service.deps import CsrfChecked, CurrentUser, DbId, SessionDep
from survey_service.services import audit, quality
from survey_service.services import campaigns as campaign_service

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("/campaigns/{campaign_id}/flags")
def flags_page(
    request: Request, campaign_id: DbId, session: SessionDep, user: CurrentUser
) -> Response:
    """The campaign's flagged and excluded responses (answers are not shown here)."""
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    rows = quality.flagged(session=session, campaign_id=campaign_id)
    return web.render(request, "admin/flags.html", {"campaign": campaign, "rows": rows})


@router.post("/responses/{response_id}/exclusion")
def set_exclusion(
    response_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    _csrf: CsrfChecked,
    excluded: Annotated[bool, Form()],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Exclude a response from the analysis, or include it again."""
    response, before = quality.set_exclusion(
        session=session, response_id=response_id, excluded=excluded, reason=reason
    )
    after = {"excluded": response.excluded, "excluded_reason": response.excluded_reason}
    audit.record(
        session=session,
        actor=user,
        action="response.exclusion",
        entity="response",
        entity_id=response_id,
        before=before,
        after=after,
    )
    return RedirectResponse(f"/admin/campaigns/{response.campaign_id}/flags", status_code=303)
