"""The PAR Index: schemes pinned per campaign, appraisal points, computations and publication.

A campaign scores each unit group (departments, districts) with a scheme version (the criteria
tree of ``analysis.par``), stored by content hash like questionnaires. Appraisal sub-criteria get
points entered per unit (self-assessed, then appraised by reviewers); survey sub-criteria take
their sub-index from the campaign's latest analysis run. A computation stores the scheme
versions, the analysis run and a checksum of the appraisal state it used, every unit's total,
index, rank, rank range and class, and the survey components; publishing freezes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from analysis import par
from survey_service import errors
from survey_service.models import (
    AnalysisResult,
    AppraisalPoint,
    AppraisalStatus,
    Campaign,
    CampaignScheme,
    CampaignStatus,
    ParComputation,
    ParScheme,
    Unit,
    utcnow,
)
from survey_service.services import analysis as analysis_service
from survey_service.services import campaigns as campaign_service

GROUPS = ("department", "district")


def scheme_version(*, session: Session, scheme: par.Scheme) -> ParScheme:
    """The stored version of ``scheme`` (stored now if new)."""
    digest = par.content_hash(scheme)
    row = session.exec(select(ParScheme).where(ParScheme.content_hash == digest)).first()
    if row is None:
        row = ParScheme(
            scheme_id=scheme.id,
            group=scheme.group,
            content_hash=digest,
            definition=scheme.model_dump(mode="json"),
        )
        session.add(row)
        session.flush()
    return row


_PARSED: dict[str, par.Scheme] = {}


def parsed(row: ParScheme) -> par.Scheme:
    """The scheme of a stored version (parsed once per process: versions never change)."""
    scheme = _PARSED.get(row.content_hash)
    if scheme is None:
        scheme = par.scheme_from_dict(row.definition)
        if par.content_hash(scheme) == row.content_hash:
            _PARSED[row.content_hash] = scheme
    return scheme


def scheme_row(*, session: Session, content_hash: str) -> ParScheme:
    """The stored scheme version with this content hash."""
    row = session.exec(select(ParScheme).where(ParScheme.content_hash == content_hash)).first()
    if row is None:
        raise errors.NotFound(message_en=f"No stored scheme {content_hash[:12]}.")
    return row


def pin_scheme(*, session: Session, campaign: Campaign, version: ParScheme) -> None:
    """Make the campaign score the version's unit group with it (refused once published)."""
    _refuse_if_published(session, campaign.id or 0)
    pin = session.exec(
        select(CampaignScheme)
        .where(CampaignScheme.campaign_id == campaign.id)
        .where(CampaignScheme.group == version.group)
    ).first()
    if pin is None:
        pin = CampaignScheme(
            campaign_id=campaign.id or 0, group=version.group, par_scheme_id=version.id or 0
        )
    else:
        pin.par_scheme_id = version.id or 0
    session.add(pin)
    session.flush()


def schemes(*, session: Session, campaign: Campaign) -> dict[str, tuple[ParScheme, par.Scheme]]:
    """The scheme of each unit group; the shipped example is pinned for a group without one."""
    out: dict[str, tuple[ParScheme, par.Scheme]] = {}
    for group in GROUPS:
        pin = session.exec(
            select(CampaignScheme)
            .where(CampaignScheme.campaign_id == campaign.id)
            .where(CampaignScheme.group == group)
        ).first()
        if pin is None:
            version = scheme_version(session=session, scheme=par.builtin_scheme(group))
            if campaign.status != CampaignStatus.PUBLISHED:
                pin_scheme(session=session, campaign=campaign, version=version)
        else:
            stored = session.get(ParScheme, pin.par_scheme_id)
            assert stored is not None
            version = stored
        out[group] = (version, parsed(version))
    return out


def _unit(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise errors.NotFound("Không tìm thấy đơn vị.", message_en=f"No unit {unit_id}.")
    return unit


def is_published(*, session: Session, campaign_id: int) -> bool:
    """Whether a computation of the campaign has been published (its numbers are frozen)."""
    return (
        session.exec(
            select(ParComputation.id)
            .where(ParComputation.campaign_id == campaign_id)
            .where(col(ParComputation.published_at).is_not(None))
        ).first()
        is not None
    )


def _refuse_if_published(session: Session, campaign_id: int) -> None:
    if is_published(session=session, campaign_id=campaign_id):
        raise errors.Conflict(
            "Kết quả đã công bố nên không thể thay đổi.",
            message_en="The campaign's results are published; its numbers are frozen.",
        )


def appraisal_leaves(scheme: par.Scheme) -> list[par.Leaf]:
    """The scheme's sub-criteria whose points are entered (not taken from the survey)."""
    return [leaf for leaf in scheme.leaves() if leaf.source == "appraisal"]


class AppraisalUpdate(BaseModel):
    """Fields of an appraisal entry to change (None leaves a field as it is)."""

    model_config = ConfigDict(extra="forbid")

    self_points: float | None = None
    evidence: str | None = Field(default=None, max_length=4000)
    links: list[str] | None = None
    appraised_points: float | None = None
    reviewer_comment: str | None = Field(default=None, max_length=4000)
    status: AppraisalStatus | None = None
    clear: tuple[str, ...] = ()  # fields to empty (points back to None, texts to "")

    @classmethod
    def from_form(cls, fields: dict[str, str]) -> AppraisalUpdate:
        """The update a submitted entry form asks for: a blank field empties it."""
        clear: list[str] = []
        values: dict[str, Any] = {}
        for name in ("self_points", "appraised_points"):
            text = fields.get(name, "").strip().replace(",", ".")
            if not text:
                clear.append(name)
                continue
            try:
                values[name] = float(text)
            except ValueError:
                raise errors.InvalidInput(
                    f"{text[:20]!r} không phải là số.", message_en=f"{text[:20]!r} is not a number."
                ) from None
        for name in ("evidence", "reviewer_comment"):
            text = fields.get(name, "").strip()
            if text:
                values[name] = text[:4000]
            else:
                clear.append(name)
        links = fields.get("links", "").split()
        if links:
            values["links"] = links[:50]
        else:
            clear.append("links")
        status = fields.get("status", "").strip()
        if status:
            if status not in {s.value for s in AppraisalStatus}:
                raise errors.InvalidInput(message_en=f"Unknown status {status[:20]!r}.")
            values["status"] = AppraisalStatus(status)
        return cls(**values, clear=tuple(clear))


FIELDS = ("self_points", "evidence", "links", "appraised_points", "reviewer_comment", "status")


def snapshot(point: AppraisalPoint | None) -> dict[str, Any] | None:
    if point is None:
        return None
    data = {name: getattr(point, name) for name in FIELDS}
    data["status"] = str(point.status)
    return data


def leaf_for(session: Session, campaign: Campaign, unit: Unit, code: str) -> par.Leaf:
    """The appraisal sub-criterion ``code`` of the unit's group scheme, or a clear error."""
    group = str(unit.group)
    if group not in GROUPS:
        raise errors.InvalidInput(
            "Đơn vị không thuộc nhóm được chấm điểm.",
            message_en=f"Unit {unit.code} is in group {group}, which no scheme scores.",
        )
    _, scheme = schemes(session=session, campaign=campaign)[group]
    for leaf in appraisal_leaves(scheme):
        if leaf.code == code:
            return leaf
    raise errors.InvalidInput(
        f"Không có tiêu chí thẩm định {code!r} trong bộ tiêu chí.",
        message_en=f"The {group} scheme has no appraisal sub-criterion {code!r}.",
    )


def set_appraisal(
    *, session: Session, campaign_id: int, unit_id: int, code: str, update: AppraisalUpdate
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Change one appraisal entry; points must lie in [0, maximum]. Returns (before, after)."""
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    _refuse_if_published(session, campaign_id)
    unit = _unit(session, unit_id)
    leaf = leaf_for(session, campaign, unit, code)
    for name in ("self_points", "appraised_points"):
        value = getattr(update, name)
        if value is not None and not 0 <= value <= leaf.max_points:
            raise errors.InvalidInput(
                f"Điểm của {code} phải từ 0 đến {leaf.max_points:g}.",
                message_en=f"Points for {code} must be between 0 and {leaf.max_points:g}; "
                f"{value:g} is not.",
            )
    unknown = sorted(set(update.clear) - set(FIELDS))
    if unknown:
        raise errors.InvalidInput(message_en=f"Unknown fields to clear: {', '.join(unknown)}.")
    point = session.exec(
        select(AppraisalPoint)
        .where(AppraisalPoint.campaign_id == campaign_id)
        .where(AppraisalPoint.unit_id == unit_id)
        .where(AppraisalPoint.code == code)
    ).first()
    before = snapshot(point)
    if point is None:
        point = AppraisalPoint(campaign_id=campaign_id, unit_id=unit_id, code=code)
    for name in FIELDS:
        value = getattr(update, name)
        if value is not None:
            setattr(point, name, value)
    for name in update.clear:
        setattr(point, name, None if name.endswith("points") else [] if name == "links" else "")
    point.updated_at = utcnow()
    session.add(point)
    session.flush()
    after = snapshot(point)
    assert after is not None
    return before, after


def appraisals(*, session: Session, campaign_id: int, unit_id: int) -> dict[str, AppraisalPoint]:
    """The unit's appraisal entries by sub-criterion code."""
    rows = session.exec(
        select(AppraisalPoint)
        .where(AppraisalPoint.campaign_id == campaign_id)
        .where(AppraisalPoint.unit_id == unit_id)
    ).all()
    return {row.code: row for row in rows}


# --- computation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cells:
    by_key: dict[tuple[int, str, str, str | None, str], AnalysisResult]

    def find(self, unit_id: int, source: Any) -> AnalysisResult | None:
        key = (unit_id, source.audience, source.dimension, source.item, source.measure)
        return self.by_key.get(key)


def _cells(session: Session, run_id: int) -> _Cells:
    rows = analysis_service.run_results(session=session, run_id=run_id)
    return _Cells(
        {
            (r.unit_id, r.audience, r.dimension, r.item, r.measure): r
            for r in rows
            if r.unit_id is not None
        }
    )


def compute(*, session: Session, campaign_id: int, actor: str) -> ParComputation:
    """Compute every unit's PAR Index from the latest analysis run and the appraised points."""
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    _refuse_if_published(session, campaign_id)
    run = analysis_service.latest_run(session=session, campaign_id=campaign_id)
    if run is None or run.id is None:
        raise errors.Conflict(
            "Cần chạy phân tích khảo sát trước khi tính Chỉ số.",
            message_en="Run the survey analysis first: survey points come from its sub-indices.",
        )
    cells = _cells(session, run.id)
    pinned = schemes(session=session, campaign=campaign)
    previous = _previous(session, campaign)
    points = session.exec(
        select(AppraisalPoint).where(AppraisalPoint.campaign_id == campaign_id)
    ).all()
    results: list[dict[str, Any]] = []
    components: list[dict[str, Any]] = []
    for group, (_, scheme) in pinned.items():
        units = session.exec(select(Unit).where(Unit.group == group).order_by(Unit.code)).all()
        if not units:
            continue
        by_code = {u.code: u for u in units}
        appraisal: dict[str, dict[str, float]] = {u.code: {} for u in units}
        ids = {u.id: u.code for u in units}
        for point in points:
            if point.unit_id in ids and point.appraised_points is not None:
                appraisal[ids[point.unit_id]][point.code] = point.appraised_points
        survey: dict[str, dict[str, par.SurveyInput]] = {u.code: {} for u in units}
        for unit in units:
            for leaf in scheme.leaves():
                if leaf.source != "survey" or leaf.survey is None:
                    continue
                cell = cells.find(unit.id or 0, leaf.survey)
                usable = cell is not None and cell.estimate is not None and cell.se is not None
                if usable:
                    assert cell is not None and cell.estimate is not None and cell.se is not None
                    survey[unit.code][leaf.code] = par.SurveyInput(cell.estimate, cell.se, cell.df)
                components.append(_component(unit, leaf, cell if usable else None))
        scored = par.compute(scheme, appraisal, survey, previous=previous, seed=campaign_id)
        for score in scored:
            unit = by_code[score.unit]
            results.append(_result(group, unit, score))
    appraisal_sum = _digest(
        sorted(
            (p.unit_id, p.code, p.appraised_points, str(p.status), p.updated_at.isoformat())
            for p in points
        )
    )
    hashes = {group: version.content_hash for group, (version, _) in pinned.items()}
    computation = ParComputation(
        campaign_id=campaign_id,
        created_by=actor,
        schemes=hashes,
        analysis_run_id=run.id,
        appraisal_checksum=appraisal_sum,
        results=results,
        components=components,
        checksum=_digest([hashes, run.checksum, appraisal_sum, results, components]),
    )
    session.add(computation)
    session.flush()
    return computation


def _component(unit: Unit, leaf: par.Leaf, cell: AnalysisResult | None) -> dict[str, Any]:
    source = leaf.survey
    assert source is not None
    estimate = cell.estimate if cell is not None else None
    return {
        "unit_id": unit.id,
        "unit_code": unit.code,
        "criterion": leaf.code,
        "path": list(leaf.path),
        "max_points": leaf.max_points,
        "audience": source.audience,
        "dimension": source.dimension,
        "item": source.item,
        "measure": source.measure,
        "conversion": source.conversion.kind,
        "estimate": estimate,
        "ci_low": cell.ci_low if cell is not None else None,
        "ci_high": cell.ci_high if cell is not None else None,
        "n": cell.n if cell is not None else None,
        "points": par.survey_points(leaf, estimate) if estimate is not None else None,
    }


def _result(group: str, unit: Unit, score: par.UnitScore) -> dict[str, Any]:
    return {
        "unit_id": unit.id,
        "unit_code": unit.code,
        "name_vi": unit.name_vi,
        "name_en": unit.name_en,
        "group": group,
        "appraisal": score.appraisal,
        "survey": score.survey,
        "total": score.total,
        "maximum": score.maximum,
        "index": score.index,
        "rank": score.rank,
        "rank_low": score.rank_low,
        "rank_high": score.rank_high,
        "class": score.class_label,
        "areas": {code: list(pair) for code, pair in score.areas.items()},
        "change": score.change,
        "missing": list(score.missing),
        "criteria": dict(score.criteria),
    }


def _previous(session: Session, campaign: Campaign) -> dict[str, float] | None:
    """Each unit's index in last year's campaign (its published computation, else its latest)."""
    ids = campaign_service.year_before(session=session, campaign=campaign)
    if not ids:
        return None
    rows = session.exec(
        select(ParComputation)
        .where(col(ParComputation.campaign_id).in_(ids))
        .order_by(col(ParComputation.published_at).is_(None), col(ParComputation.id).desc())
    ).all()
    if not rows:
        return None
    return {r["unit_code"]: float(r["index"]) for r in rows[0].results}


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def latest(*, session: Session, campaign_id: int) -> ParComputation | None:
    """The published computation of the campaign, else its most recent one."""
    return session.exec(
        select(ParComputation)
        .where(ParComputation.campaign_id == campaign_id)
        .order_by(col(ParComputation.published_at).is_(None), col(ParComputation.id).desc())
        .limit(1)
    ).first()


def publish(*, session: Session, campaign_id: int, actor: str) -> ParComputation:
    """Publish the latest computation: its numbers are frozen and shown to the public."""
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    _refuse_if_published(session, campaign_id)
    computation = latest(session=session, campaign_id=campaign_id)
    if computation is None:
        raise errors.Conflict(
            "Chưa có kết quả tính Chỉ số để công bố.",
            message_en="Nothing to publish: compute the PAR Index first.",
        )
    computation.published_at = utcnow()
    computation.published_by = actor
    session.add(computation)
    campaign_service.set_status(session=session, campaign=campaign, status=CampaignStatus.PUBLISHED)
    session.flush()
    return computation


def ranking(results: Iterable[dict[str, Any]], group: str) -> list[dict[str, Any]]:
    """A group's results by rank, then unit code."""
    return sorted(
        (r for r in results if r["group"] == group), key=lambda r: (r["rank"], r["unit_code"])
    )
