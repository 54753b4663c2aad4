"""Comment moderation: whether a free-text answer may be shown."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from survey_service.models.base import UTCDateTime, _str, utcnow


class CommentStatus(StrEnum):
    """Whether a free-text answer may be shown: nothing is shown before a coordinator says so."""

    SHOWN = "shown"
    HIDDEN = "hidden"


class CommentModeration(SQLModel, table=True):
    """A coordinator's decision on one free-text answer (e.g. it names a person: hidden)."""

    __tablename__ = "comment_moderation"
    __table_args__ = (sa.UniqueConstraint("response_id", "item_id"),)
    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="responses.id", index=True, ondelete="CASCADE")
    item_id: str = Field(sa_type=_str(64))
    status: CommentStatus = Field(sa_type=_str(16))
    moderated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    moderated_by: str = Field(sa_type=_str(254))
