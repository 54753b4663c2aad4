"""PAR computations: every unit's index computed from the latest analysis run and the appraised
points, stored with its inputs' checksums, read back, ranked and published."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from analysis import par
from survey_service import errors
from survey_service.models import (
    AnalysisResult,
    AppraisalPoint,
    Campaign,
    CampaignStatus,
    ParComputation,
    Unit,
    utcnow,
)
from survey_service.services import analysis as analysis_service
from survey_service.services import campaigns as campaign_service
from survey_service.services.par_schemes import _refuse_if_published, schemes


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
