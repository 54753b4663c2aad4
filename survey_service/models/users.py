"""Users: the people who sign in."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from survey_service.models.base import Role, UTCDateTime, _str, utcnow


class User(SQLModel, table=True):
    """A signed-in person: admin, coordinator, scorer or observer."""

    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_type=_str(254), unique=True, index=True)
    password_hash: str = Field(sa_type=_str(255))
    role: Role = Field(sa_type=_str(16))
    is_active: bool = True
    session_epoch: int = 0
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
