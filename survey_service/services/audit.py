"""The audit log: who changed what, when, from what to what. Append-only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

from survey_service.models import AuditEntry, User


def snapshot(obj: SQLModel, *fields: str) -> dict[str, Any]:
    """The named fields of ``obj`` (all of them when none are named) as JSON-able values."""
    data = obj.model_dump(mode="json", warnings=False)  # enums are read back as plain strings
    return {k: data[k] for k in fields} if fields else data


def record(
    *,
    session: Session,
    actor: User | None,
    action: str,
    entity: str,
    entity_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_label: str = "system",
) -> AuditEntry:
    """Append one entry; ``actor`` None means the command line or the system."""
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        actor=actor.email if actor else actor_label,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=before,
        after=after,
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class AuditFilter:
    """What to show: an action prefix, an actor, a date range (inclusive, UTC)."""

    action: str = ""
    actor: str = ""
    since: dt.date | None = None
    until: dt.date | None = None

    def apply(self, query: Any) -> Any:
        if self.action:
            query = query.where(col(AuditEntry.action).startswith(self.action))
        if self.actor:
            query = query.where(func.lower(AuditEntry.actor) == self.actor.strip().lower())
        if self.since:
            start = dt.datetime.combine(self.since, dt.time(), dt.UTC)
            query = query.where(col(AuditEntry.at) >= start)
        if self.until:
            end = dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time(), dt.UTC)
            query = query.where(col(AuditEntry.at) < end)
        return query


def entries(
    *, session: Session, where: AuditFilter, offset: int = 0, limit: int = 100
) -> tuple[list[AuditEntry], int]:
    """A page of entries, newest first, and how many match in all."""
    total = session.exec(where.apply(select(func.count()).select_from(AuditEntry))).one()
    query = where.apply(select(AuditEntry)).order_by(col(AuditEntry.id).desc())
    return list(session.exec(query.offset(offset).limit(limit))), int(total)


def stream(*, session: Session, where: AuditFilter, batch: int = 500) -> Iterator[AuditEntry]:
    """Every matching entry, oldest first, read in batches (for exports)."""
    last = 0
    while True:
        query = where.apply(select(AuditEntry)).where(col(AuditEntry.id) > last)
        rows = list(session.exec(query.order_by(col(AuditEntry.id)).limit(batch)))
        if not rows:
            return
        yield from rows
        last = rows[-1].id or last
