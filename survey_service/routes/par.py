"""The PAR Index in the admin pages and the API: results, components, appraisal entry."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlmodel import col, select

from survey_service import errors, web
from survey_service.deps import CsrfChecked, CurrentUser, DbId, FormDep, SessionDep
from survey_service.models import AuditEntry, Unit
from survey_service.services import audit, par_files
from survey_service.services import campaigns as campaign_service
from survey_service.services import par as par_service

router = APIRouter(prefix="/admin", include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["api"])


def _computation_json(computation: Any) -> dict[str, Any]:
    return {
        "id": computation.id,
        "campaign_id": computation.campaign_id,
        "created_at": computation.created_at.isoformat(),
        "created_by": computation.created_by,
        "schemes": computation.schemes,
        "analysis_run_id": computation.analysis_run_id,
        "appraisal_checksum": computation.appraisal_checksum,
        "checksum": computation.checksum,
        "published_at": computation.published_at.isoformat() if computation.published_at else None,
    }


def _latest(session: Any, campaign_id: int) -> Any:
    campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    computation = par_service.latest(session=session, campaign_id=campaign_id)
    if computation is None:
        raise errors.NotFound(
            "Chưa tính Chỉ số cho đợt khảo sát này.",
            message_en="The PAR Index of this campaign has not been computed.",
        )
    return computation


@api_router.get("/campaigns/{campaign_id}/par")
def par_results(campaign_id: DbId, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Every unit's total, index, rank, rank range, class and area breakdown (the published
    computation, else the latest), with what the computation used."""
    computation = _latest(session, campaign_id)
    return {
        "data": computation.results,
        "count": len(computation.results),
        "computation": _computation_json(computation),
    }


@api_router.get("/campaigns/{campaign_id}/par/components")
def par_components(campaign_id: DbId, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """The survey components: unit, criterion, sub-index used, estimate, CI, points."""
    computation = _latest(session, campaign_id)
    return {
        "data": computation.components,
        "count": len(computation.components),
        "computation": _computation_json(computation),
    }


@router.get("/campaigns/{campaign_id}/par")
def par_page(
    request: Request, campaign_id: DbId, session: SessionDep, user: CurrentUser
) -> Response:
    """Ranking tables per group, with the buttons to compute and publish."""
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    computation = par_service.latest(session=session, campaign_id=campaign_id)
    groups = []
    if computation is not None:
        for group in par_service.GROUPS:
            rows = par_service.ranking(computation.results, group)
            if rows:
                groups.append({"group": group, "rows": rows})
    return web.render(
        request,
        "admin/par.html",
        {"campaign": campaign, "computation": computation, "groups": groups},
    )


@router.post("/campaigns/{campaign_id}/par/import")
def par_import(
    request: Request,
    campaign_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    _csrf: CsrfChecked,
    file: UploadFile,
) -> Response:
    """Import a filled-in appraisal workbook: every row valid, or nothing stored and every
    problem listed by row and column."""
    if not (file.filename or "").lower().endswith(".xlsx"):
        raise errors.InvalidInput(
            "Vui lòng tải lên tệp .xlsx.", message_en="Upload the .xlsx appraisal workbook."
        )
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as spooled:
        shutil.copyfileobj(file.file, spooled)
        spooled.flush()
        report = par_files.import_workbook(
            session=session,
            campaign_id=campaign_id,
            path=Path(spooled.name),
            actor=user,
            actor_label=user.email,
        )
    if report.problems:
        campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
        computation = par_service.latest(session=session, campaign_id=campaign_id)
        return web.render(
            request,
            "admin/par.html",
            {
                "campaign": campaign,
                "computation": computation,
                "groups": [],
                "problems": report.problems,
            },
            status_code=422,
        )
    unit = session.exec(select(Unit).where(Unit.code == report.unit_code)).one()
    return RedirectResponse(
        f"/admin/campaigns/{campaign_id}/par/units/{unit.id}?imported={report.changed}",
        status_code=303,
    )


@router.post("/campaigns/{campaign_id}/par/compute")
def par_compute(
    campaign_id: DbId, session: SessionDep, user: CurrentUser, _csrf: CsrfChecked
) -> Response:
    """Compute the PAR Index now (audited)."""
    computation = par_service.compute(session=session, campaign_id=campaign_id, actor=user.email)
    return _audited(session, user, "par.compute", campaign_id, computation)


@router.post("/campaigns/{campaign_id}/par/publish")
def par_publish(
    campaign_id: DbId, session: SessionDep, user: CurrentUser, _csrf: CsrfChecked
) -> Response:
    """Publish the latest computation; its numbers freeze (audited)."""
    computation = par_service.publish(session=session, campaign_id=campaign_id, actor=user.email)
    return _audited(session, user, "par.publish", campaign_id, computation)


def _audited(session: Any, user: Any, action: str, campaign_id: int, computation: Any) -> Response:
    """Record a computation or publication in the audit log and go back to the PAR page."""
    audit.record(
        session=session,
        actor=user,
        action=action,
        entity="campaign",
        entity_id=campaign_id,
        after={"computation_id": computation.id, "checksum": computation.checksum},
    )
    return RedirectResponse(f"/admin/campaigns/{campaign_id}/par", status_code=303)


def _unit_context(session: Any, campaign_id: int, unit_id: int) -> dict[str, Any]:
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    unit = session.get(Unit, unit_id)
    if unit is None or str(unit.group) not in par_service.GROUPS:
        raise errors.NotFound("Không tìm thấy đơn vị.", message_en=f"No scored unit {unit_id}.")
    _, scheme = par_service.schemes(session=session, campaign=campaign)[str(unit.group)]
    entries = par_service.appraisals(session=session, campaign_id=campaign_id, unit_id=unit_id)
    leaves = par_service.appraisal_leaves(scheme)
    prefix = f"{campaign_id}/{unit.code}/"
    history = session.exec(
        select(AuditEntry)
        .where(AuditEntry.action == "appraisal.set")
        .where(col(AuditEntry.entity_id).startswith(prefix))
        .order_by(col(AuditEntry.id).desc())
        .limit(200)
    ).all()
    return {
        "campaign": campaign,
        "unit": unit,
        "scheme": scheme,
        "leaves": leaves,
        "entries": entries,
        "history": history,
        "published": par_service.is_published(session=session, campaign_id=campaign_id),
    }


@router.get("/campaigns/{campaign_id}/par/units/{unit_id}")
def appraisal_page(
    request: Request, campaign_id: DbId, unit_id: DbId, session: SessionDep, user: CurrentUser
) -> Response:
    """A unit's appraisal sub-criteria: self-assessed and appraised points, and their history."""
    return web.render(request, "admin/appraisal.html", _unit_context(session, campaign_id, unit_id))


@router.post("/campaigns/{campaign_id}/par/units/{unit_id}")
def appraisal_save(
    campaign_id: DbId,
    unit_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    _csrf: CsrfChecked,
    form: FormDep,
) -> Response:
    """Save one sub-criterion's entry from the form (points, evidence, comment, status)."""
    code = str(form.get("code", ""))
    update = par_service.AppraisalUpdate.from_form(
        {key: str(value) for key, value in form.multi_items() if key != "csrf_token"}
    )
    before, after = par_service.set_appraisal(
        session=session, campaign_id=campaign_id, unit_id=unit_id, code=code, update=update
    )
    unit = session.get(Unit, unit_id)
    assert unit is not None
    audit.record(
        session=session,
        actor=user,
        action="appraisal.set",
        entity="appraisal",
        entity_id=f"{campaign_id}/{unit.code}/{code}",
        before=before,
        after=after,
    )
    return RedirectResponse(
        f"/admin/campaigns/{campaign_id}/par/units/{unit_id}#c-{code}", status_code=303
    )


@router.get("/campaigns/{campaign_id}/par/units/{unit_id}/template.xlsx")
def appraisal_template(
    campaign_id: DbId, unit_id: DbId, session: SessionDep, user: CurrentUser
) -> Response:
    """The unit's appraisal workbook to fill in offline."""
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise errors.NotFound("Không tìm thấy đơn vị.", message_en=f"No unit {unit_id}.")
    data = par_files.template(session=session, campaign_id=campaign_id, unit_code=unit.code)
    name = f"appraisal-{campaign_id}-{unit.code}.xlsx"
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
