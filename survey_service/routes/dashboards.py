"""Dashboards: fieldwork at a glance for coordinators (counts, never answers)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select

from survey_service import charts, errors, i18n, web
from survey_service.deps import MAX_ID, CurrentUser, DbId, SessionDep
from survey_service.models import SamplePlan, Unit, utcnow
from survey_service.services import campaigns as campaign_service
from survey_service.services import dashboards, fieldwork
from survey_service.services import questionnaires as questionnaire_service

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
            "plans": _plan_progress(session, campaign_id, lang),
        },
    )


def _plan_progress(session: Session, campaign_id: int, lang: str) -> list[dict[str, Any]]:
    """Per drawn sample plan: every unit's response rate so far against the rate the plan
    expected when it sized the sample (a chart and the numbers)."""
    plans = session.exec(
        select(SamplePlan)
        .where(SamplePlan.campaign_id == campaign_id)
        .where(col(SamplePlan.drawn_at).is_not(None))
        .order_by(col(SamplePlan.id))
    ).all()
    out = []
    for plan in plans:
        assert plan.id is not None
        units = fieldwork.by_unit(session=session, plan_id=plan.id, campaign_id=campaign_id)
        expected = plan.response_rate * 100
        chart = charts.interval_chart(
            [(u.name, u.response_rate * 100 if u.issued else None, None, None) for u in units],
            title=i18n.translate("dash.rate_title", lang, plan=plan.name),
            axis_label=i18n.translate("dash.rate_axis", lang),
            lang=lang,
            reference=expected,
            reference_label=i18n.translate("dash.rate_expected", lang),
        )
        out.append({"plan": plan, "units": units, "expected": expected, "chart": chart})
    return out


@router.get("/campaigns/{campaign_id}/answers")
def answer_distribution(
    request: Request,
    campaign_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    audience: Annotated[str, Query(max_length=16)] = "citizen",
    item: Annotated[str | None, Query(max_length=64)] = None,
    unit: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """How one item was answered, city-wide or in one unit (officials: hidden below 30)."""
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    lang = web.request_language(request)
    pinned = campaign_service.pinned_versions(session=session, campaign=campaign)
    if audience not in pinned:
        raise errors.NotFound(message_en=f"The campaign has no {audience[:16]} questionnaire.")
    questionnaire = questionnaire_service.parsed(pinned[audience])
    choosable = [i for i in questionnaire.items if questionnaire.choices(i)]
    chosen = item or (choosable[0].id if choosable else None)
    if chosen is not None and chosen not in {i.id for i in choosable}:
        raise errors.NotFound(message_en=f"No item {chosen[:64]!r} with options.")
    result = chart = None
    if chosen is not None:
        result = dashboards.item_distribution(
            session=session,
            campaign=campaign,
            audience=audience,
            item_id=chosen,
            lang=lang,
            unit_id=unit,
        )
        if not result.suppressed and result.total:
            text = questionnaire.item(chosen).text.get(lang)
            chart = charts.distribution(result.labels, result.counts, title=text, lang=lang)
    return web.render(
        request,
        "admin/answers.html",
        {
            "campaign": campaign,
            "audiences": sorted(pinned),
            "audience": audience,
            "items": choosable,
            "item": chosen,
            "unit": unit,
            "units": session.exec(select(Unit).order_by(Unit.code)).all(),
            "result": result,
            "chart": chart,
        },
    )
