"""Sampling: frames and their members' contact data, sample plans and drawn units, invitations."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from survey_service.models.base import JSONType, UTCDateTime, _str, utcnow


class Frame(SQLModel, table=True):
    """A population list (sampling frame) of one audience, imported for a campaign."""

    __tablename__ = "frames"
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaigns.id", index=True, ondelete="CASCADE")
    audience: str = Field(sa_type=_str(16))
    name: str = Field(sa_type=_str(200))
    row_count: int = 0
    imported_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    contacts_purged_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class FrameRow(SQLModel, table=True):
    """One member of a frame: its unit, stratum and attributes (never contact data)."""

    __tablename__ = "frame_rows"
    __table_args__ = (sa.UniqueConstraint("frame_id", "external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    frame_id: int = Field(foreign_key="frames.id", index=True, ondelete="CASCADE")
    external_id: str = Field(sa_type=_str(100))
    unit_id: int = Field(foreign_key="units.id", index=True, ondelete="RESTRICT")
    attributes: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)


class FrameContact(SQLModel, table=True):
    """The contact data of a frame member: only here, deleted after fieldwork."""

    __tablename__ = "frame_contacts"
    frame_row_id: int = Field(foreign_key="frame_rows.id", primary_key=True, ondelete="CASCADE")
    contact: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)


class SamplePlan(SQLModel, table=True):
    """How to sample a frame: strata, precision or size, allocation, reserve, seed."""

    __tablename__ = "sample_plans"
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaigns.id", index=True, ondelete="CASCADE")
    frame_id: int = Field(foreign_key="frames.id", index=True, ondelete="CASCADE")
    name: str = Field(sa_type=_str(200))
    strata_vars: list[str] = Field(default_factory=list, sa_type=JSONType)
    moe: float | None = None
    total_n: int | None = None
    confidence: float = 0.95
    allocation: str = Field(default="proportional", sa_type=_str(16))
    # S_h and c_h per stratum label, for Neyman and optimal allocation
    stddev: dict[str, float] | None = Field(default=None, sa_type=JSONType)
    cost: dict[str, float] | None = Field(default=None, sa_type=JSONType)
    minimum: int = 0
    response_rate: float = 1.0
    reserve_share: float = 0.0
    seed: int = 0
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    drawn_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class SampleUnit(SQLModel, table=True):
    """A drawn frame member with its inclusion probability and design weight."""

    __tablename__ = "sample_units"
    __table_args__ = (sa.UniqueConstraint("plan_id", "frame_row_id"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="sample_plans.id", index=True, ondelete="CASCADE")
    frame_row_id: int = Field(foreign_key="frame_rows.id", ondelete="CASCADE")
    stratum: str = Field(sa_type=_str(200))
    inclusion_probability: float
    design_weight: float
    replicate: int = 0  # 0: the main sample; 1, 2, …: reserve replicates
    released: bool = True


class InvitationStatus(StrEnum):
    """Where an invitation stands."""

    ISSUED = "issued"
    OPENED = "opened"
    COMPLETED = "completed"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"


class Invitation(SQLModel, table=True):
    """A single-use code for one sampled respondent (``/i/{code}``).

    The response never points back here; for officials, completion keeps no time either.
    """

    __tablename__ = "invitations"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=_str(32), unique=True, index=True)
    campaign_id: int = Field(foreign_key="campaigns.id", index=True, ondelete="CASCADE")
    audience: str = Field(sa_type=_str(16))
    unit_id: int = Field(foreign_key="units.id", index=True, ondelete="RESTRICT")
    sample_unit_id: int | None = Field(
        default=None, foreign_key="sample_units.id", ondelete="SET NULL"
    )
    stratum: str = Field(sa_type=_str(200))
    design_weight: float
    status: InvitationStatus = Field(default=InvitationStatus.ISSUED, sa_type=_str(16))
    issued_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    opened_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
