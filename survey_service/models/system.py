"""Tables the application keeps for itself (API tokens, the append-only audit log, rate
counters) and the generic ``Page`` list schema."""

from __future__ import annotations

import datetime as dt
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Field, SQLModel

from survey_service.models.base import JSONType, Role, UTCDateTime, _str, utcnow


class ApiToken(SQLModel, table=True):
    """A token for scripts: shown once, stored as a SHA-256 hash, scoped to a role, revocable."""

    __tablename__ = "api_tokens"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    name: str = Field(sa_type=_str(100))
    token_hash: str = Field(sa_type=_str(64), unique=True)
    role: Role = Field(sa_type=_str(16))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuditEntry(SQLModel, table=True):
    """One change made by a signed-in user: appended, never edited or deleted by the app."""

    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_id: int | None = Field(default=None, index=True)
    actor: str = Field(sa_type=_str(254))
    action: str = Field(sa_type=_str(64), index=True)
    entity: str = Field(sa_type=_str(32))
    entity_id: str = Field(sa_type=_str(64))
    before: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSONType)


@sa.event.listens_for(AuditEntry, "before_update")
@sa.event.listens_for(AuditEntry, "before_delete")
def _audit_is_append_only(_mapper: Any, _connection: Any, target: Any) -> None:
    """The audit log is append-only."""
    raise ValueError(f"audit entry {target.id} cannot be changed or deleted")


class RateCounter(SQLModel, table=True):
    """Requests counted per key and fixed time window (rate limits, login throttling)."""

    __tablename__ = "rate_counters"
    key: str = Field(sa_type=_str(128), primary_key=True)
    window: int = Field(primary_key=True)  # start of the window, seconds since the epoch
    count: int = 0


T = TypeVar("T")


class Page(BaseModel, Generic[T]):  # noqa: UP046 - PEP 695 generics need Python 3.12
    """A page of a list: ``{data, count}`` (STYLE.md rule 4)."""

    data: list[T]
    count: int
