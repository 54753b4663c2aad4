"""Analysis: administrative totals, analysis runs and their results, and the schemas the API
shows them with."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Field, SQLModel

from survey_service.models.base import JSONType, UTCDateTime, _str, utcnow


class AdminTotal(SQLModel, table=True):
    """Dossiers a desk handled in the campaign period: the post-stratification target of its
    desk-QR responses (entered by coordinators; every change is audited)."""

    __tablename__ = "admin_totals"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "desk_id"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaigns.id", index=True, ondelete="CASCADE")
    desk_id: int = Field(foreign_key="desks.id", ondelete="CASCADE")
    dossiers: int = Field(ge=0)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AnalysisRun(SQLModel, table=True):
    """One computation of every index of a campaign, with the settings it used and a checksum."""

    __tablename__ = "analysis_runs"
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaigns.id", index=True, ondelete="CASCADE")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(sa_type=_str(254))
    settings: dict[str, Any] = Field(sa_type=JSONType)
    exclusion_policy: str = Field(sa_type=_str(32))
    responses_used: int = 0
    responses_left_out: int = 0
    notes: list[str] = Field(default_factory=list, sa_type=JSONType)
    checksum: str = Field(sa_type=_str(64))


class AnalysisResult(SQLModel, table=True):
    """One sub-index of a run: unit × audience × dimension (or item) × measure."""

    __tablename__ = "analysis_results"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="analysis_runs.id", index=True, ondelete="CASCADE")
    unit_id: int | None = Field(default=None, foreign_key="units.id", ondelete="RESTRICT")
    audience: str = Field(sa_type=_str(16))
    dimension: str = Field(sa_type=_str(64))
    item: str | None = Field(default=None, sa_type=_str(64))
    measure: str = Field(sa_type=_str(16))
    estimate: float | None = None
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    df: int | None = None
    p_value: float | None = None
    n: int = 0
    n_eff: float | None = None
    deff: float | None = None
    alpha: float | None = None
    flags: list[str] = Field(default_factory=list, sa_type=JSONType)
    suppressed: bool = False
    weighting: str = Field(sa_type=_str(64))


class AnalysisRunPublic(SQLModel):
    """A run's settings and provenance, as the API shows them."""

    id: int
    campaign_id: int
    created_at: dt.datetime
    created_by: str
    settings: dict[str, Any]
    exclusion_policy: str
    responses_used: int
    responses_left_out: int
    notes: list[str]
    checksum: str


class IndexPublic(SQLModel):
    """One row of the tidy table of sub-indices (key drivers: no unit, measure ``driver``)."""

    unit_id: int | None
    unit_code: str
    unit_name: str
    audience: str
    dimension: str
    item: str | None
    measure: str
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    df: int | None
    p_value: float | None
    n: int
    n_eff: float | None
    deff: float | None
    alpha: float | None
    flags: list[str]
    suppressed: bool
    weighting: str


class ComparisonPublic(BaseModel):
    """A difference between two sub-indices with its SE, confidence interval and p-value."""

    kind: str
    audience: str
    dimension: str
    first: dict[str, Any]
    second: dict[str, Any]
    difference: float
    se: float
    ci_low: float
    ci_high: float
    df: int
    p_value: float


class IndicesPage(BaseModel):
    """The tidy table of a run's sub-indices, with the run it came from."""

    data: list[IndexPublic]
    count: int
    run: AnalysisRunPublic
