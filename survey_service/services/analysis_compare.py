"""Comparisons of stored sub-indices: two units of a run, or one unit in two campaigns."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

import analysis
from analysis.indices import dimension_scores
from survey_service import errors
from survey_service.models import AnalysisResult, AnalysisRun, QuestionnaireVersion
from survey_service.services import campaigns as campaign_service
from survey_service.services.analysis_inputs import _prepare
from survey_service.services.analysis_runs import get_run
from survey_service.services.analysis_settings import AnalysisSettings


def _stored_cell(
    session: Session, run: AnalysisRun, unit_id: int, audience: str, dimension: str
) -> AnalysisResult:
    cell = session.exec(
        select(AnalysisResult)
        .where(AnalysisResult.run_id == run.id)
        .where(AnalysisResult.unit_id == unit_id)
        .where(AnalysisResult.audience == audience)
        .where(AnalysisResult.dimension == dimension)
        .where(AnalysisResult.measure == "score")
        .where(col(AnalysisResult.item).is_(None))
    ).first()
    if cell is None:
        raise errors.NotFound(
            "Không có chỉ số này trong lần phân tích.",
            message_en=f"Run {run.id} has no {audience} {dimension} index for unit {unit_id}.",
        )
    if cell.suppressed or cell.estimate is None or cell.se is None or cell.df is None:
        raise errors.Conflict(
            "Chỉ số bị ẩn hoặc không có số liệu nên không thể so sánh.",
            message_en=f"The {audience} {dimension} index of unit {unit_id} is suppressed or "
            "empty, so it cannot be compared.",
        )
    return cell


def compare(
    *,
    session: Session,
    campaign_id: int,
    audience: str,
    dimension: str,
    unit_id: int,
    other_unit_id: int | None = None,
    other_campaign_id: int | None = None,
) -> dict[str, Any]:
    """Difference of a mean score sub-index between two units of the campaign (same design, the
    covariance kept) or between this campaign and another one (another year: independent
    samples), with SE, CI and p-value. Suppressed cells cannot be compared."""
    if (other_unit_id is None) == (other_campaign_id is None):
        raise errors.InvalidInput(
            "Chọn một đơn vị khác hoặc một đợt khảo sát khác để so sánh.",
            message_en="Give exactly one of other_unit or other_campaign.",
        )
    run = get_run(session=session, campaign_id=campaign_id, run_id=None)
    first = _stored_cell(session, run, unit_id, audience, dimension)
    if other_campaign_id is not None:
        other_run = get_run(session=session, campaign_id=other_campaign_id, run_id=None)
        second = _stored_cell(session, other_run, unit_id, audience, dimension)
        difference = analysis.independent_difference(_estimate(first), _estimate(second))
        kind = "campaigns"
    else:
        assert other_unit_id is not None
        second = _stored_cell(session, run, other_unit_id, audience, dimension)
        difference = _unit_difference(session, run, audience, dimension, unit_id, other_unit_id)
        kind = "units"
    return {
        "kind": kind,
        "audience": audience,
        "dimension": dimension,
        "first": {"campaign_id": campaign_id, "unit_id": unit_id, "estimate": first.estimate},
        "second": {
            "campaign_id": other_campaign_id or campaign_id,
            "unit_id": other_unit_id or unit_id,
            "estimate": second.estimate,
        },
        "difference": difference.estimate,
        "se": difference.se,
        "ci_low": difference.ci_low,
        "ci_high": difference.ci_high,
        "df": difference.df,
        "p_value": difference.p_value,
    }


def _estimate(cell: AnalysisResult) -> analysis.Estimate:
    assert cell.estimate is not None and cell.se is not None and cell.df is not None
    return analysis.Estimate(
        cell.estimate, cell.se, cell.ci_low or 0.0, cell.ci_high or 0.0, cell.df, cell.n
    )


def _unit_difference(
    session: Session,
    run: AnalysisRun,
    audience: str,
    dimension: str,
    unit_id: int,
    other_unit_id: int,
) -> analysis.Difference:
    if dimension == "index":
        raise errors.InvalidInput(
            "Chỉ so sánh được từng khía cạnh giữa hai đơn vị.",
            message_en="Units are compared dimension by dimension; the overall index is not.",
        )
    campaign = campaign_service.get_campaign(session=session, campaign_id=run.campaign_id)
    version = campaign_service.pinned_version(session=session, campaign=campaign, audience=audience)
    versions = {v.id: v for v in session.exec(select(QuestionnaireVersion)).all()}
    settings = AnalysisSettings(**run.settings)
    prepared, _ = _prepare(session, run.campaign_id, audience, version, versions, settings, [])
    if prepared is None:
        raise errors.NotFound("Không có phiếu để so sánh.", message_en="No answers to compare.")
    means, _ = dimension_scores(prepared.scores, prepared.items, settings.min_share)
    return analysis.domain_difference(
        means[dimension],
        prepared.design,
        prepared.units,
        str(unit_id),
        str(other_unit_id),
        missing="exclude",
        confidence=settings.confidence,
        lonely_psu=analysis.LonelyPSU.ADJUST,
    )
