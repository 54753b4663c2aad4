"""The PAR Index: scheme versions, the scheme each campaign scores a unit group with, appraisal
points, and computations."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from survey_service.models.base import JSONType, UTCDateTime, _str, utcnow


class ParScheme(SQLModel, table=True):
    """A stored version of a PAR scheme (criteria tree), identified by its content hash."""

    __tablename__ = "par_schemes"
    id: int | None = Field(default=None, primary_key=True)
    scheme_id: str = Field(sa_type=_str(64), index=True)
    group: str = Field(sa_type=_str(16))
    content_hash: str = Field(sa_type=_str(64), unique=True)
    definition: dict[str, Any] = Field(sa_type=JSONType)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CampaignScheme(SQLModel, table=True):
    """The scheme version a campaign scores one unit group with."""

    __tablename__ = "campaign_schemes"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "group"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaigns.id", ondelete="CASCADE")
    group: str = Field(sa_type=_str(16))
    par_scheme_id: int = Field(foreign_key="par_schemes.id", ondelete="RESTRICT")


class AppraisalStatus(StrEnum):
    """Where a unit's appraisal of one sub-criterion stands."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPRAISED = "appraised"
    FINAL = "final"


class AppraisalPoint(SQLModel, table=True):
    """A unit's self-assessed and appraised points for one appraisal sub-criterion."""

    __tablename__ = "appraisal_points"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "unit_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaigns.id", index=True, ondelete="CASCADE")
    unit_id: int = Field(foreign_key="units.id", ondelete="RESTRICT")
    code: str = Field(sa_type=_str(64))
    self_points: float | None = None
    evidence: str = Field(default="", sa_type=_str(4000))
    links: list[str] = Field(default_factory=list, sa_type=JSONType)
    appraised_points: float | None = None
    reviewer_comment: str = Field(default="", sa_type=_str(4000))
    status: AppraisalStatus = Field(default=AppraisalStatus.DRAFT, sa_type=_str(16))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ParComputation(SQLModel, table=True):
    """One computation of a campaign's PAR Index: what it used, and every unit's result."""

    __tablename__ = "par_computations"
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaigns.id", index=True, ondelete="CASCADE")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(sa_type=_str(254))
    schemes: dict[str, str] = Field(sa_type=JSONType)  # group → scheme content hash
    analysis_run_id: int | None = Field(
        default=None, foreign_key="analysis_runs.id", ondelete="SET NULL"
    )
    appraisal_checksum: str = Field(sa_type=_str(64))
    results: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    components: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    checksum: str = Field(sa_type=_str(64))
    published_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_by: str | None = Field(default=None, sa_type=_str(254))
