"""Frames and sample plans in the admin pages and the API: upload, plan, preview, draw."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import select

from survey_service import errors, web
from survey_service.deps import CsrfChecked, CurrentUser, DbId, SessionDep
from survey_service.models import Invitation, InvitationStatus, Page, SamplePlan
from survey_service.services import audit
from survey_service.services import campaigns as campaign_service
from survey_service.services import frames as frame_service
from survey_service.services import sample_plans as plan_service

router = APIRouter()


def _draw(session: SessionDep, user: CurrentUser, plan_id: int, audience: str) -> tuple[Any, int]:
    """Draw a plan (audited); the plan and how many units were selected."""
    plan = plan_service.get_plan(session=session, plan_id=plan_id)
    drawn = plan_service.draw(session=session, plan=plan, audience=audience)
    audit.record(
        session=session,
        actor=user,
        action="plan.draw",
        entity="plan",
        entity_id=plan_id,
        after={"seed": plan.seed, "units": drawn},
    )
    return plan, drawn


def _store(session: SessionDep, user: CurrentUser, plan: SamplePlan) -> None:
    """Store a plan, check it previews, audit it."""
    plan_service.create_plan(session=session, plan=plan)
    plan_service.preview(session=session, plan=plan)
    audit.record(
        session=session,
        actor=user,
        action="plan.create",
        entity="plan",
        entity_id=plan.id,
        after=audit.snapshot(plan),
    )


def _plans(session: SessionDep, campaign_id: int) -> list[SamplePlan]:
    query = select(SamplePlan).where(SamplePlan.campaign_id == campaign_id)
    return list(session.exec(query.order_by(SamplePlan.id)))


def _page(request: Request, session: SessionDep, campaign_id: int, **extra: object) -> Response:
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    plans = _plans(session, campaign_id)
    previews = {plan.id: plan_service.preview(session=session, plan=plan) for plan in plans[-3:]}
    ctx = {
        "campaign": campaign,
        "frames": frame_service.list_frames(session=session, campaign_id=campaign_id),
        "plans": plans,
        "previews": previews,
        "report": None,
        "plan_error": None,
    } | extra
    status = 422 if extra.get("report") or extra.get("plan_error") else 200
    return web.render(request, "admin/plans.html", ctx, status_code=status)


@router.get("/admin/campaigns/{campaign_id}/plans", include_in_schema=False)
def plans_page(
    request: Request, campaign_id: DbId, session: SessionDep, user: CurrentUser
) -> Response:
    """The campaign's frames and sample plans, with previews of the latest plans."""
    return _page(request, session, campaign_id)


@router.post("/admin/campaigns/{campaign_id}/frames", include_in_schema=False)
def frame_upload(
    request: Request,
    campaign_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    _csrf: CsrfChecked,
    file: UploadFile,
    audience: Annotated[str, Form(max_length=16)],
    name: Annotated[str, Form(min_length=1, max_length=200)],
) -> Response:
    """Import an uploaded frame (CSV or XLSX); bad rows are listed and nothing is stored."""
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    suffix = Path(file.filename or "frame.csv").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise errors.InvalidInput(message_en="Upload a .csv or .xlsx file.")
    with tempfile.NamedTemporaryFile(suffix=suffix) as spooled:
        shutil.copyfileobj(file.file, spooled)
        spooled.flush()
        report = frame_service.import_frame(
            session=session,
            campaign=campaign,
            audience=audience,
            name=name,
            path=Path(spooled.name),
            actor=user,
        )
    if report.frame_id is None:
        return _page(request, session, campaign_id, report=report)
    return RedirectResponse(f"/admin/campaigns/{campaign_id}/plans", status_code=303)


@router.post("/admin/campaigns/{campaign_id}/plans", include_in_schema=False)
def plan_create(
    request: Request,
    campaign_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    _csrf: CsrfChecked,
    frame_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
    name: Annotated[str, Form(min_length=1, max_length=200)],
    seed: Annotated[int, Form(ge=0, le=2**62)],
    strata: Annotated[str, Form(max_length=200)] = "",
    moe: Annotated[float | None, Form(gt=0, lt=1)] = None,
    total_n: Annotated[int | None, Form(ge=1, le=10_000_000)] = None,
    allocation: Annotated[str, Form(max_length=16)] = "proportional",
    minimum: Annotated[int, Form(ge=0, le=100_000)] = 0,
    response_rate: Annotated[float, Form(gt=0, le=1)] = 1.0,
    reserve_share: Annotated[float, Form(ge=0, le=1)] = 0.0,
) -> Response:
    """Store a plan; its preview appears on the page."""
    plan = SamplePlan(
        campaign_id=campaign_id,
        frame_id=frame_id,
        name=name.strip(),
        seed=seed,
        strata_vars=[v.strip() for v in strata.split(",") if v.strip()],
        moe=moe,
        total_n=total_n,
        allocation=allocation,
        minimum=minimum,
        response_rate=response_rate,
        reserve_share=reserve_share,
    )
    try:
        _store(session, user, plan)
    except errors.InvalidInput as exc:
        session.rollback()
        return _page(request, session, campaign_id, plan_error=exc.text("en"))
    return RedirectResponse(f"/admin/campaigns/{campaign_id}/plans", status_code=303)


@router.post("/admin/plans/{plan_id}/draw", include_in_schema=False)
def plan_draw(
    plan_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    _csrf: CsrfChecked,
    audience: Annotated[str, Form(max_length=16)] = "citizen",
) -> Response:
    """Draw the plan and invite its main sample."""
    plan, drawn = _draw(session, user, plan_id, audience)
    return RedirectResponse(f"/admin/campaigns/{plan.campaign_id}/fieldwork", status_code=303)


@router.post("/admin/invitations/{invitation_id}/status", include_in_schema=False)
def invitation_status(
    invitation_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    _csrf: CsrfChecked,
    status: Annotated[InvitationStatus, Form()],
) -> Response:
    """Mark an invitation refused or unreachable (or issued again)."""
    invitation = session.get(Invitation, invitation_id)
    if invitation is None:
        raise errors.NotFound(message_en=f"No invitation {invitation_id}.")
    if invitation.status == InvitationStatus.COMPLETED or status == InvitationStatus.COMPLETED:
        raise errors.Conflict(message_en="Only answering completes an invitation.")
    before = {"status": invitation.status}
    invitation.status = status
    session.add(invitation)
    audit.record(
        session=session,
        actor=user,
        action="invitation.status",
        entity="invitation",
        entity_id=invitation_id,
        before=before,
        after={"status": status.value},
    )
    return Response(status_code=204)


class StratumPreviewPublic(BaseModel):
    stratum: str
    population: int
    sample: int
    reserve: int
    expected_moe: float


@router.get(
    "/api/v1/plans/{plan_id}/preview", response_model=Page[StratumPreviewPublic], tags=["api"]
)
def plan_preview(
    plan_id: DbId, session: SessionDep, user: CurrentUser
) -> Page[StratumPreviewPublic]:
    """A plan's sizes per stratum: N_h, n_h, reserve and the expected margin of error."""
    plan = plan_service.get_plan(session=session, plan_id=plan_id)
    rows = plan_service.preview(session=session, plan=plan)
    data = [StratumPreviewPublic.model_validate(r, from_attributes=True) for r in rows]
    return Page[StratumPreviewPublic](data=data, count=len(data))


class PlanCreate(BaseModel):
    """A sample plan as the API takes it (the same fields as the admin form)."""

    frame_id: int = Field(ge=1, le=2_147_483_647)
    name: str = Field(min_length=1, max_length=200)
    seed: int = Field(ge=0, le=2**62)
    strata_vars: list[str] = Field(default_factory=list, max_length=5)
    moe: float | None = Field(default=None, gt=0, lt=1)
    total_n: int | None = Field(default=None, ge=1, le=10_000_000)
    allocation: str = "proportional"
    stddev: dict[str, float] | None = Field(default=None, max_length=100_000)
    cost: dict[str, float] | None = Field(default=None, max_length=100_000)
    minimum: int = Field(default=0, ge=0, le=100_000)
    response_rate: float = Field(default=1.0, gt=0, le=1)
    reserve_share: float = Field(default=0.0, ge=0, le=1)


class PlanPublic(PlanCreate):
    id: int
    campaign_id: int
    drawn_at: dt.datetime | None


@router.post(
    "/api/v1/campaigns/{campaign_id}/plans",
    response_model=PlanPublic,
    status_code=201,
    tags=["api"],
)
def api_plan_create(
    campaign_id: DbId, plan_in: PlanCreate, session: SessionDep, user: CurrentUser
) -> PlanPublic:
    """Store a sample plan (preview it at /api/v1/plans/{id}/preview)."""
    campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    plan = SamplePlan(campaign_id=campaign_id, **plan_in.model_dump())
    _store(session, user, plan)
    return PlanPublic.model_validate(plan, from_attributes=True)


class DrawResult(BaseModel):
    plan_id: int
    units: int


@router.post("/api/v1/plans/{plan_id}/draw", response_model=DrawResult, tags=["api"])
def api_plan_draw(
    plan_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    audience: Annotated[str, Query(pattern="^(citizen|business|official)$")] = "citizen",
) -> DrawResult:
    """Draw a plan and invite its main sample (409 if it was drawn already)."""
    plan, drawn = _draw(session, user, plan_id, audience)
    return DrawResult(plan_id=plan_id, units=drawn)
