"""The audit log, for everyone signed in (observers included): a page, a CSV export, the API."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel
from sqlmodel import Session

from survey_service import web
from survey_service.db import session_scope
from survey_service.deps import MAX_ID, CurrentUser, SessionDep
from survey_service.models import AuditEntry, Page
from survey_service.services import audit

router = APIRouter()


def audit_filter(
    action: Annotated[str, Query(max_length=64)] = "",
    actor: Annotated[str, Query(max_length=254)] = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> audit.AuditFilter:
    """The filter given in the query string."""
    return audit.AuditFilter(action=action.strip(), actor=actor.strip(), since=since, until=until)


FilterDep = Annotated[audit.AuditFilter, Depends(audit_filter)]


@router.get("/admin/audit", include_in_schema=False)
def audit_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    where: FilterDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Entries, newest first, 100 a page."""
    rows, total = audit.entries(session=session, where=where, offset=(page - 1) * 100)
    query = request.url.query
    ctx = {"rows": rows, "total": total, "page": page, "where": where, "query": query}
    return web.render(request, "admin/audit.html", ctx)


COLUMNS = ("id", "at", "actor", "action", "entity", "entity_id", "before", "after")


def _csv_lines(session: Session, where: audit.AuditFilter) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for entry in audit.stream(session=session, where=where):
        row: list[Any] = [
            entry.id,
            entry.at.isoformat(),
            entry.actor,
            entry.action,
            entry.entity,
            entry.entity_id,
        ]
        row += [
            json.dumps(v, ensure_ascii=False) if v is not None else ""
            for v in (entry.before, entry.after)
        ]
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


@router.get("/admin/audit.csv", include_in_schema=False)
def audit_csv(request: Request, user: CurrentUser, where: FilterDep) -> Response:
    """The filtered log as CSV (UTF-8 with BOM, so Excel reads Vietnamese), streamed."""
    engine = request.app.state.engine

    def body() -> Iterator[bytes]:
        yield "\ufeff".encode()
        with session_scope(engine) as session:
            for line in _csv_lines(session, where):
                yield line.encode("utf-8")

    headers = {"Content-Disposition": 'attachment; filename="audit-log.csv"'}
    return StreamingResponse(body(), media_type="text/csv; charset=utf-8", headers=headers)


class AuditEntryPublic(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@router.get("/api/v1/audit", response_model=Page[AuditEntryPublic], tags=["api"])
def audit_api(
    session: SessionDep,
    user: CurrentUser,
    where: FilterDep,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[AuditEntryPublic]:
    """Audit entries, newest first; ``count`` is the number matching the filter."""
    rows, total = audit.entries(session=session, where=where, offset=offset, limit=limit)
    data = [AuditEntryPublic.model_validate(r, from_attributes=True) for r in rows]
    return Page[AuditEntryPublic](data=data, count=total)


__all__ = ["AuditEntry", "router"]
