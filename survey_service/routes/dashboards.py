"""Dashboards: fieldwork at a glance for coordinators (counts, never answers)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from survey_service import charts, i18n, web
from survey_service.deps import CurrentUser, DbId, SessionDep
from survey_service.models import utcnow
from survey_service.services import campaigns as campaign_service
from survey_service.services import dashboards

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("/campaigns/{campaign_id}/dashboard")
def fieldwork_dashboard(
    request: Request, campaign_id: DbId, session: SessionDep, user: CurrentUser
) -> Response:
    """Answers per day, per unit and audience, per desk; desks gone quiet; flagged answers."""
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    summary = dashboards.fieldwork_summary(session=session, campaign=campaign, now=utcnow())
    lang = web.request_language(request)
    days = (
        charts.daily_counts(
            [d for d, _ in summary.days[-60:]],
            [n for _, n in summary.days[-60:]],
            title=i18n.translate("dash.per_day", lang),
            lang=lang,
            axis_label=i18n.translate("dash.responses", lang),
        )
        if summary.days
        else None
    )
    return web.render(
        request,
        "admin/dashboard.html",
        {
            "campaign": campaign,
            "summary": summary,
            "quiet_days": dashboards.QUIET_DAYS,
            "charts": {"days": days},
        },
    )
