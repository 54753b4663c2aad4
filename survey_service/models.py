"""Database tables (SQLModel) and the schemas the API returns.

Naming follows STYLE.md rule 4: ``XBase`` / ``X(table=True)`` / ``XPublic``. Enumerations are
stored as short strings so that adding a value needs no database type change.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always read back time-zone aware (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use utcnow()")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value


def utcnow() -> dt.datetime:
    """The current time, UTC, aware."""
    return dt.datetime.now(dt.UTC)


class UnitGroup(StrEnum):
    """The PAR Index ranks departments and districts separately (DOMAIN.md)."""

    DEPARTMENT = "department"
    DISTRICT = "district"


class CampaignStatus(StrEnum):
    """A campaign's life: configured, collecting answers, closed, results published."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    PUBLISHED = "published"


class Channel(StrEnum):
    """How a response reached us."""

    DESK_QR = "desk_qr"
    INVITATION = "invitation"
    PAPER = "paper"
    OPEN_LINK = "open_link"


class Role(StrEnum):
    """Roles, from most to least powerful."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"
    SCORER = "scorer"
    OBSERVER = "observer"


ROLE_RANK = {Role.OBSERVER: 0, Role.SCORER: 1, Role.COORDINATOR: 2, Role.ADMIN: 3}


def _str(length: int) -> Any:
    return sa.String(length)


# --- units and desks -------------------------------------------------------------------------


class UnitBase(SQLModel):
    code: str = Field(sa_type=_str(16), unique=True, index=True)
    name_vi: str = Field(sa_type=_str(200))
    name_en: str = Field(sa_type=_str(200))
    group: UnitGroup = Field(sa_type=_str(16))
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    successor_code: str | None = Field(default=None, sa_type=_str(16))


class Unit(UnitBase, table=True):
    """A department or district; reorganisations close a unit and name its successor."""

    __tablename__ = "units"
    id: int | None = Field(default=None, primary_key=True)


class UnitPublic(UnitBase):
    id: int


class DeskBase(SQLModel):
    unit_id: int = Field(foreign_key="units.id", index=True, ondelete="RESTRICT")
    name_vi: str = Field(sa_type=_str(200))
    name_en: str = Field(sa_type=_str(200))
    active: bool = True


class Desk(DeskBase, table=True):
    """A one-stop counter (bộ phận một cửa) of a unit."""

    __tablename__ = "desks"
    id: int | None = Field(default=None, primary_key=True)


class DeskCode(SQLModel, table=True):
    """A short code printed in a desk's QR card; rotating revokes the old one and adds a new one."""

    __tablename__ = "desk_codes"
    id: int | None = Field(default=None, primary_key=True)
    desk_id: int = Field(foreign_key="desks.id", index=True, ondelete="CASCADE")
    code: str = Field(sa_type=_str(16), unique=True, index=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- questionnaires and campaigns ------------------------------------------------------------


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


# --- responses --------------------------------------------------------------------------------


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


# --- users ------------------------------------------------------------------------------------


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


T = TypeVar("T")


# --- sampling: frames, plans, invitations ------------------------------------------------------


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


class Page(BaseModel, Generic[T]):  # noqa: UP046 - PEP 695 generics need Python 3.12
    """A page of a list: ``{data, count}`` (STYLE.md rule 4)."""

    data: list[T]
    count: int
