"""Questionnaires and campaigns: stored questionnaire versions, campaigns and the versions they
pin, form links, and unfinished drafts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from survey_service.models.base import CampaignStatus, JSONType, UTCDateTime, _str, utcnow


class QuestionnaireVersion(SQLModel, table=True):
    """One version of a questionnaire, identified by the hash of its content; never edited."""

    __tablename__ = "questionnaire_versions"
    id: int | None = Field(default=None, primary_key=True)
    questionnaire_id: str = Field(sa_type=_str(64), index=True)
    audience: str = Field(sa_type=_str(16))
    content_hash: str = Field(sa_type=_str(64), unique=True)
    definition: dict[str, Any] = Field(sa_type=JSONType)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class QuestionnaireVersionPublic(SQLModel):
    id: int
    questionnaire_id: str
    audience: str
    content_hash: str
    definition: dict[str, Any]
    created_at: dt.datetime


@sa.event.listens_for(QuestionnaireVersion, "before_update")
def _versions_are_never_changed(_mapper: Any, _connection: Any, target: Any) -> None:
    """A stored version may carry responses: a changed questionnaire is a new version."""
    raise ValueError(
        f"questionnaire version {target.id} cannot be changed in place; store a new version"
    )


class CampaignBase(SQLModel):
    year: int = Field(ge=2000, le=2100, index=True)
    name: str = Field(sa_type=_str(200), min_length=1)
    status: CampaignStatus = Field(default=CampaignStatus.DRAFT, sa_type=_str(16))
    period_start: dt.date | None = None
    period_end: dt.date | None = None


class Campaign(CampaignBase, table=True):
    """One annual survey round."""

    __tablename__ = "campaigns"
    id: int | None = Field(default=None, primary_key=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CampaignPublic(CampaignBase):
    id: int


class CampaignQuestionnaire(SQLModel, table=True):
    """The questionnaire version a campaign pins for one audience."""

    __tablename__ = "campaign_questionnaires"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "audience"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaigns.id", ondelete="CASCADE")
    audience: str = Field(sa_type=_str(16))
    questionnaire_version_id: int = Field(
        foreign_key="questionnaire_versions.id", ondelete="RESTRICT"
    )


class FormLink(SQLModel, table=True):
    """A shareable, revocable link to one audience's form in a campaign (``/f/{code}``).

    With a unit the answers rate that unit; without one the respondent picks the unit from a list.
    """

    __tablename__ = "form_links"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=_str(16), unique=True, index=True)
    campaign_id: int = Field(foreign_key="campaigns.id", index=True, ondelete="CASCADE")
    audience: str = Field(sa_type=_str(16))
    unit_id: int | None = Field(default=None, foreign_key="units.id", ondelete="RESTRICT")
    label: str = Field(default="", sa_type=_str(200))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class Draft(SQLModel, table=True):
    """An unfinished form kept for 24 hours so a respondent can resume on the same phone."""

    __tablename__ = "drafts"
    token: str = Field(sa_type=_str(64), primary_key=True)
    form_key: str = Field(sa_type=_str(40))
    submission_id: str = Field(sa_type=_str(64))
    unit_id: int | None = Field(default=None, foreign_key="units.id", ondelete="CASCADE")
    page: str = Field(default="", sa_type=_str(64))
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    started_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)
