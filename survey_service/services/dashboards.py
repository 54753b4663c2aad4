"""What the dashboards show: fieldwork at a glance, counted in the database.

Counts only — never answers. Responses per day are campaign-wide (all audiences together), so no
daily series can be joined with a unit's few officials; per unit, counts are by audience.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from survey_service.models import (
    AnalysisResult,
    AnalysisRun,
    Campaign,
    CampaignStatus,
    Desk,
    ParComputation,
    QuestionnaireVersion,
    Response,
    Unit,
)
from survey_service.services import campaigns as campaign_service
from survey_service.services import questionnaires as questionnaire_service

QUIET_DAYS = 3


@dataclass(frozen=True)
class DeskActivity:
    """A desk's answers so far and when the last one came."""

    desk_id: int
    unit_id: int
    name_vi: str
    name_en: str
    responses: int
    last: dt.datetime | None
    quiet: bool


@dataclass(frozen=True)
class UnitActivity:
    """A unit's answers per audience."""

    unit_id: int
    code: str
    name_vi: str
    name_en: str
    by_audience: dict[str, int]

    @property
    def total(self) -> int:
        """All of the unit's answers."""
        return sum(self.by_audience.values())


@dataclass(frozen=True)
class FieldworkSummary:
    """A campaign's fieldwork at a glance."""

    total: int
    flagged: int
    excluded: int
    days: list[tuple[dt.date, int]]
    units: list[UnitActivity]
    desks: list[DeskActivity]
    audiences: list[str] = field(default_factory=list)

    @property
    def quiet_desks(self) -> list[DeskActivity]:
        """Active desks with no answer in the last ``QUIET_DAYS`` days (or none at all)."""
        return [d for d in self.desks if d.quiet]


def _day(value: object) -> dt.date:
    """SQLite's date() gives text, PostgreSQL's a date."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def fieldwork_summary(
    *, session: Session, campaign: Campaign, now: dt.datetime, quiet_days: int = QUIET_DAYS
) -> FieldworkSummary:
    """Counts per day, per unit and audience, per desk (with quiet desks), flags, exclusions."""
    where = Response.campaign_id == campaign.id
    length = (
        func.jsonb_array_length
        if session.get_bind().dialect.name == "postgresql"
        else func.json_array_length
    )
    total, flagged, excluded = session.exec(
        select(
            func.count(),
            func.coalesce(func.sum(sa.case((length(Response.flags) > 0, 1), else_=0)), 0),
            func.coalesce(func.sum(sa.case((col(Response.excluded), 1), else_=0)), 0),
        ).where(where)
    ).one()
    day = func.date(Response.submitted_at)
    days = sorted(
        (_day(d), int(n))
        for d, n in session.exec(select(day, func.count()).where(where).group_by(day)).all()
    )
    per_unit: dict[int, dict[str, int]] = defaultdict(dict)
    rows = session.exec(
        select(Response.unit_id, QuestionnaireVersion.audience, func.count())
        .join(
            QuestionnaireVersion, col(QuestionnaireVersion.id) == Response.questionnaire_version_id
        )
        .where(where)
        .group_by(Response.unit_id, QuestionnaireVersion.audience)
    ).all()
    audiences: set[str] = set()
    for unit_id, audience, count in rows:
        per_unit[unit_id][audience] = int(count)
        audiences.add(audience)
    units = [
        UnitActivity(u.id or 0, u.code, u.name_vi, u.name_en, per_unit.get(u.id or 0, {}))
        for u in session.exec(select(Unit).order_by(Unit.code)).all()
    ]
    desk_rows = session.exec(
        select(Response.desk_id, func.count(), func.max(Response.submitted_at))
        .where(where)
        .where(col(Response.desk_id).is_not(None))
        .group_by(Response.desk_id)
    ).all()
    by_desk = {desk_id: (int(n), _as_utc(last)) for desk_id, n, last in desk_rows}
    collecting = campaign.status == CampaignStatus.OPEN
    cutoff = now - dt.timedelta(days=quiet_days)
    desks = []
    for desk in session.exec(select(Desk).where(Desk.active).order_by(Desk.unit_id, Desk.id)):
        count, last = by_desk.get(desk.id, (0, None))
        quiet = collecting and (last is None or last < cutoff)
        desks.append(
            DeskActivity(desk.id or 0, desk.unit_id, desk.name_vi, desk.name_en, count, last, quiet)
        )
    return FieldworkSummary(
        int(total), int(flagged), int(excluded), days, units, desks, sorted(audiences)
    )


def _as_utc(value: object) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Distribution:
    """How one item was answered: the count per option (in the questionnaire's order)."""

    item: str
    labels: list[str]
    counts: list[int]
    suppressed: bool

    @property
    def total(self) -> int:
        """Answers counted."""
        return sum(self.counts)


def item_distribution(
    *,
    session: Session,
    campaign: Campaign,
    audience: str,
    item_id: str,
    lang: str,
    unit_id: int | None = None,
    min_n: int = 30,
) -> Distribution:
    """Counts per option of one item (excluded responses left out); for officials, fewer than
    ``min_n`` answers are suppressed, as every other output of officials' answers is."""
    version = campaign_service.pinned_version(session=session, campaign=campaign, audience=audience)
    questionnaire = questionnaire_service.parsed(version)
    item = questionnaire.item(item_id)
    options = list(questionnaire.choices(item))
    position = {str(option.value): index for index, option in enumerate(options)}
    labels = [option.label(lang) for option in options]
    if item.not_applicable is not None:
        position["na"] = len(options)
        labels.append(item.not_applicable.get(lang))
    counts = [0] * len(labels)
    ids = select(QuestionnaireVersion.id).where(QuestionnaireVersion.audience == audience)
    query = (
        select(Response.answers)
        .where(Response.campaign_id == campaign.id)
        .where(col(Response.questionnaire_version_id).in_(ids))
        .where(col(Response.excluded).is_(False))
    )
    if unit_id is not None:
        query = query.where(Response.unit_id == unit_id)
    for answers in session.exec(query.execution_options(yield_per=2000)):
        value = answers.get(item_id)
        values = value if isinstance(value, list) else [value]
        for one in values:
            index = position.get(str(one))
            if index is not None:
                counts[index] += 1
    hidden = audience == "official" and sum(counts) < min_n
    return Distribution(item_id, labels, [0] * len(counts) if hidden else counts, hidden)


@dataclass(frozen=True)
class EarlierRun:
    """Last year's sub-indices, for the year-over-year view."""

    year: int
    run_id: int
    cells: dict[tuple[str, int, str], float]  # (audience, unit id, dimension) → estimate


def earlier_run(*, session: Session, campaign: Campaign, measure: str) -> EarlierRun | None:
    """The sub-indices of the campaign a year before ``campaign``: the run its published PAR
    computation used, else its latest run. Suppressed cells (estimate None) are left out, so a
    hidden number never reappears as a change."""
    earlier = campaign_service.year_before(session=session, campaign=campaign)
    if not earlier:
        return None
    published = session.exec(
        select(ParComputation.analysis_run_id)
        .where(col(ParComputation.campaign_id).in_(earlier))
        .where(col(ParComputation.published_at).is_not(None))
        .where(col(ParComputation.analysis_run_id).is_not(None))
        .order_by(col(ParComputation.published_at).desc())
    ).first()
    run_id = (
        published
        or session.exec(
            select(AnalysisRun.id)
            .where(col(AnalysisRun.campaign_id).in_(earlier))
            .order_by(col(AnalysisRun.id).desc())
        ).first()
    )
    if run_id is None:
        return None
    rows = session.exec(
        select(
            AnalysisResult.audience,
            AnalysisResult.unit_id,
            AnalysisResult.dimension,
            AnalysisResult.estimate,
        )
        .where(AnalysisResult.run_id == run_id)
        .where(AnalysisResult.measure == measure)
        .where(col(AnalysisResult.item).is_(None))
        .where(col(AnalysisResult.unit_id).is_not(None))
        .where(col(AnalysisResult.estimate).is_not(None))
        .where(~col(AnalysisResult.suppressed))
    ).all()
    cells = {(a, int(u), d): float(e) for a, u, d, e in rows}
    return EarlierRun(campaign.year - 1, int(run_id), cells)
