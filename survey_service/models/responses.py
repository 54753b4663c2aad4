"""Responses: one respondent's answers, and the schema the API returns them with."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from survey_service.models.base import Channel, JSONType, UTCDateTime, _str, utcnow


class ResponseBase(SQLModel):
    campaign_id: int = Field(foreign_key="campaigns.id", index=True, ondelete="RESTRICT")
    questionnaire_version_id: int = Field(
        foreign_key="questionnaire_versions.id", ondelete="RESTRICT"
    )
    unit_id: int = Field(foreign_key="units.id", index=True, ondelete="RESTRICT")
    desk_id: int | None = Field(default=None, foreign_key="desks.id", ondelete="RESTRICT")
    channel: Channel = Field(sa_type=_str(16))
    language: str = Field(default="vi", sa_type=_str(8))
    submitted_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    answers: dict[str, Any] = Field(sa_type=JSONType)


class Response(ResponseBase, table=True):
    """One respondent's answers; stored exactly once per client submission id.

    ``client_hash`` and ``browser_hash`` are keyed hashes (never the address or cookie itself),
    kept for a limited period to spot repeats, and never kept for officials' answers.
    """

    __tablename__ = "responses"
    # the desk-burst check counts a desk's recent answers on every desk-QR submission
    __table_args__ = (sa.Index("ix_responses_desk_submitted", "desk_id", "submitted_at"),)
    id: int | None = Field(default=None, primary_key=True)
    client_submission_id: str = Field(sa_type=_str(64), unique=True)
    started_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    flags: list[str] = Field(default_factory=list, sa_type=JSONType)
    excluded: bool = False
    excluded_reason: str = Field(default="", sa_type=_str(500))
    client_hash: str | None = Field(default=None, sa_type=_str(64), index=True)
    browser_hash: str | None = Field(default=None, sa_type=_str(64), index=True)
    stratum: str | None = Field(default=None, sa_type=_str(200))
    design_weight: float | None = None


class ResponsePublic(ResponseBase):
    id: int
    flags: list[str]
    excluded: bool
