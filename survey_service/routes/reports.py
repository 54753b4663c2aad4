"""Unit reports (printable) and the moderation of free-text comments that may appear in them."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import col, select

from survey_service import errors, web
from survey_service.deps import CsrfChecked, CurrentUser, DbId, SessionDep
from survey_service.models import AnalysisResult, CommentStatus, Unit
from survey_service.models import Response as ResponseRow
from survey_service.services import analysis as analysis_service
from survey_service.services import audit, comments
from survey_service.services import campaigns as campaign_service
from survey_service.services import par as par_service
from survey_service.services import questionnaires as questionnaire_service

router = APIRouter(prefix="/admin", include_in_schema=False)
ItemId = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


@router.get("/campaigns/{campaign_id}/comments")
def comments_page(
    request: Request, campaign_id: DbId, session: SessionDep, user: CurrentUser
) -> Response:
    """Comments waiting for a decision, then the latest decisions."""
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    waiting = comments.comments(session=session, campaign_id=campaign_id, status=None)
    decided = [
        c
        for c in comments.comments(session=session, campaign_id=campaign_id, limit=400)
        if c.status is not None
    ][:100]
    units = analysis_service.unit_names(session=session)
    return web.render(
        request,
        "admin/comments.html",
        {"campaign": campaign, "waiting": waiting, "decided": decided, "units": units},
    )


@router.post("/comments/{response_id}/{item_id}")
def moderate_comment(
    response_id: DbId,
    item_id: ItemId,
    session: SessionDep,
    user: CurrentUser,
    _csrf: CsrfChecked,
    show: Annotated[bool, Form()],
) -> Response:
    """Show a comment in reports, or hide it (audited)."""
    before, after = comments.moderate(
        session=session, response_id=response_id, item_id=item_id, show=show, actor=user.email
    )
    audit.record(
        session=session,
        actor=user,
        action="comment.moderate",
        entity="comment",
        entity_id=f"{response_id}/{item_id}",
        before={"status": before},
        after={"status": after},
    )
    response = session.get(ResponseRow, response_id)
    assert response is not None  # moderate() found it
    return RedirectResponse(f"/admin/campaigns/{response.campaign_id}/comments", status_code=303)


@router.get("/campaigns/{campaign_id}/units/{unit_id}/report")
def unit_report(
    request: Request, campaign_id: DbId, unit_id: DbId, session: SessionDep, user: CurrentUser
) -> Response:
    """One unit's printable report: index, class, rank range, areas, strongest and weakest
    items, comparison with its group, and the comments a coordinator has allowed."""
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise errors.NotFound("Không tìm thấy đơn vị.", message_en=f"No unit {unit_id}.")
    computation = par_service.latest(session=session, campaign_id=campaign_id)
    par_row = None
    areas: list[dict[str, Any]] = []
    group_mean = None
    if computation is not None:
        par_row = next((r for r in computation.results if r["unit_id"] == unit_id), None)
        if par_row is not None:
            peers = [r["index"] for r in computation.results if r["group"] == par_row["group"]]
            group_mean = sum(peers) / len(peers)
            scheme = par_service.parsed(
                par_service.scheme_row(
                    session=session, content_hash=computation.schemes[par_row["group"]]
                )
            )
            areas = [
                {"title": a.title, "points": par_row["areas"][a.code][0], "max": a.max_points}
                for a in scheme.areas
                if a.code in par_row["areas"]
            ]
    run = analysis_service.latest_run(session=session, campaign_id=campaign_id)
    strongest: list[dict[str, Any]] = []
    weakest: list[dict[str, Any]] = []
    dimensions: list[dict[str, Any]] = []
    if run is not None and run.id is not None:
        texts = _texts(session, campaign)
        strongest, weakest = _items(session, texts, run.id, unit_id)
        dimensions = _dimensions(session, texts, run.id, unit)
    shown = comments.comments(
        session=session, campaign_id=campaign_id, unit_id=unit_id, status=CommentStatus.SHOWN
    )
    return web.render(
        request,
        "admin/unit_report.html",
        {
            "campaign": campaign,
            "unit": unit,
            "par": par_row,
            "areas": areas,
            "group_mean": group_mean,
            "strongest": strongest,
            "weakest": weakest,
            "dimensions": dimensions,
            "comments": shown,
        },
    )


def _texts(session: Any, campaign: Any) -> dict[str, dict[str, Any]]:
    """Audience → item or dimension id → its text (questionnaire of the campaign)."""
    out: dict[str, dict[str, Any]] = {}
    for audience, version in campaign_service.pinned_versions(
        session=session, campaign=campaign
    ).items():
        questionnaire = questionnaire_service.parsed(version)
        out[audience] = {i.id: i.text for i in questionnaire.items}
        out[audience].update({d.id: d.title for d in questionnaire.dimensions})
    return out


def _items(
    session: Any, texts: dict[str, dict[str, Any]], run_id: int, unit_id: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The unit's three best and three worst items by mean score (suppressed cells left out)."""
    rows = session.exec(
        select(AnalysisResult)
        .where(AnalysisResult.run_id == run_id)
        .where(AnalysisResult.unit_id == unit_id)
        .where(col(AnalysisResult.item).is_not(None))
        .where(AnalysisResult.measure == "score")
        .where(col(AnalysisResult.estimate).is_not(None))
    ).all()
    ranked = sorted(rows, key=lambda r: r.estimate)
    described = [
        {
            "audience": r.audience,
            "text": texts.get(r.audience, {}).get(r.item),
            "item": r.item,
            "estimate": r.estimate,
            "ci_low": r.ci_low,
            "ci_high": r.ci_high,
            "n": r.n,
        }
        for r in ranked
    ]
    return list(reversed(described[-3:])), described[:3]


def _dimensions(
    session: Any, texts: dict[str, dict[str, Any]], run_id: int, unit: Unit
) -> list[dict[str, Any]]:
    """The unit's dimension sub-indices beside the mean of its group's units."""
    group_ids = {u.id for u in session.exec(select(Unit).where(Unit.group == unit.group))}
    rows = session.exec(
        select(AnalysisResult)
        .where(AnalysisResult.run_id == run_id)
        .where(col(AnalysisResult.item).is_(None))
        .where(AnalysisResult.measure == "score")
        .where(col(AnalysisResult.unit_id).in_(group_ids))
    ).all()
    peers: dict[tuple[str, str], list[float]] = defaultdict(list)
    own: dict[tuple[str, str], AnalysisResult] = {}
    for row in rows:
        key = (row.audience, row.dimension)
        if row.estimate is not None:
            peers[key].append(row.estimate)
        if row.unit_id == unit.id:
            own[key] = row
    out = []
    for key in sorted(own):
        row = own[key]
        values = peers.get(key, [])
        out.append(
            {
                "audience": key[0],
                "dimension": key[1],
                "title": texts.get(key[0], {}).get(key[1]),
                "estimate": row.estimate,
                "ci_low": row.ci_low,
                "ci_high": row.ci_high,
                "suppressed": row.suppressed,
                "group": sum(values) / len(values) if values else None,
            }
        )
    return out
