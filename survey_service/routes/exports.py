"""Export downloads in the admin pages: the file is written to a temporary folder, streamed,
and deleted once sent. Who may download what is decided by ``access.POLICY`` (responses:
scorer+; indices and PAR results: observer+)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from survey_service import errors
from survey_service.deps import CurrentUser, DbId, SessionDep
from survey_service.models import User
from survey_service.services import audit
from survey_service.services import exports as export_service

router = APIRouter(prefix="/admin", include_in_schema=False)
BASE = "/campaigns/{campaign_id}/export"


def _refuse_responses(kind: str) -> None:
    """The open routes serve indices and PAR results; responses have routes of their own."""
    if kind == "responses":
        raise errors.NotFound(message_en="Responses are exported from their own route.")


def _download(
    session: SessionDep, user: User, campaign_id: int, kind: str, fmt: str, codebook: bool
) -> FileResponse:
    export_service.check(kind, fmt)
    folder = Path(tempfile.mkdtemp(prefix="survey-export-"))
    out = folder / f"{kind}-{campaign_id}.{fmt}"
    try:
        if codebook:
            path = export_service.codebook(
                session=session, kind=kind, campaign_id=campaign_id, fmt=fmt, out=out
            )
        else:
            report = export_service.export(
                session=session, kind=kind, campaign_id=campaign_id, fmt=fmt, out=out
            )
            path = report.path
            if kind == "responses":
                audit.record(
                    session=session,
                    actor=user,
                    action="export.responses",
                    entity="campaign",
                    entity_id=campaign_id,
                    after={"format": fmt, "rows": report.rows},
                )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    media = "text/csv; charset=utf-8" if codebook else export_service.MEDIA_TYPES[fmt]
    return FileResponse(
        path,
        media_type=media,
        filename=path.name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


@router.get(BASE + "/responses.{fmt}.codebook.csv")
def responses_codebook(
    campaign_id: DbId, fmt: str, session: SessionDep, user: CurrentUser
) -> FileResponse:
    """The codebook of a responses export (no answers in it)."""
    return _download(session, user, campaign_id, "responses", fmt, codebook=True)


@router.get(BASE + "/{kind}.{fmt}.codebook.csv")
def export_codebook(
    campaign_id: DbId, kind: str, fmt: str, session: SessionDep, user: CurrentUser
) -> FileResponse:
    """The codebook of an indices or PAR results export."""
    _refuse_responses(kind)
    return _download(session, user, campaign_id, kind, fmt, codebook=True)


@router.get(BASE + "/responses.{fmt}")
def responses_export(
    campaign_id: DbId, fmt: str, session: SessionDep, user: CurrentUser
) -> FileResponse:
    """Every response but officials', with weights and flags (audited)."""
    return _download(session, user, campaign_id, "responses", fmt, codebook=False)


@router.get(BASE + "/{kind}.{fmt}")
def export_file(
    campaign_id: DbId, kind: str, fmt: str, session: SessionDep, user: CurrentUser
) -> FileResponse:
    """The latest run's tidy indices or the latest PAR computation's results."""
    _refuse_responses(kind)
    return _download(session, user, campaign_id, kind, fmt, codebook=False)
