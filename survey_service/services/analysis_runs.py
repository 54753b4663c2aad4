"""Analysis runs: computed, stored with their settings and checksum, read back as tidy rows."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from sqlmodel import Session, col, select

import analysis
from analysis.indices import (
    IndexRow,
    IndexSettings,
    dimension_scores,
    satisfaction_indices,
)
from analysis.regression import INTERCEPT, key_drivers
from survey_service import errors
from survey_service.models import (
    AnalysisResult,
    AnalysisRun,
    QuestionnaireVersion,
    Unit,
)
from survey_service.services import campaigns as campaign_service
from survey_service.services.analysis_inputs import _prepare, _Prepared
from survey_service.services.analysis_settings import OFFICIAL, AnalysisSettings


def _index_settings(settings: AnalysisSettings, audience: str) -> IndexSettings:
    return IndexSettings(
        min_share=settings.min_share,
        min_n=settings.min_n,
        max_cv=settings.max_cv,
        confidence=settings.confidence,
        dimension_weights=settings.dimension_weights,
        suppress=audience == OFFICIAL,
        items=settings.items,
    )


def _drivers(prepared: _Prepared, settings: AnalysisSettings, notes: list[str]) -> list[IndexRow]:
    """Key drivers: the design-based regression of respondents' own overall satisfaction
    (the questionnaire's ``overall`` dimension) on their other dimension scores, pooled over
    the audience's units (analysis.key_drivers). One row per dimension, measure ``driver``."""
    means, _ = dimension_scores(prepared.scores, prepared.items, settings.min_share)
    outcome = means.pop("overall", None)
    if outcome is None or not means:
        return []
    try:
        fit = key_drivers(
            outcome,
            means,
            prepared.design,
            confidence=settings.confidence,
            lonely_psu=analysis.LonelyPSU.ADJUST,
        )
    except ValueError as exc:
        notes.append(f"{prepared.name}: no key-driver regression ({exc})")
        return []
    small = fit.n < settings.min_n
    hidden = small and prepared.name == OFFICIAL
    flags = ("small_n",) if small else ()
    rows = []
    for coefficient in fit.coefficients:
        if coefficient.name == INTERCEPT:
            continue
        rows.append(
            IndexRow(
                domain="",
                dimension=coefficient.name,
                item=None,
                measure="driver",
                estimate=None if hidden else coefficient.estimate,
                se=None if hidden else coefficient.se,
                ci_low=None if hidden else coefficient.ci_low,
                ci_high=None if hidden else coefficient.ci_high,
                n=fit.n,
                n_eff=None,
                deff=None,
                alpha=None,
                flags=flags,
                suppressed=hidden,
                df=fit.df,
                p_value=None if hidden else coefficient.p_value,
            )
        )
    return rows


def run_analysis(
    *, session: Session, campaign_id: int, actor: str, settings: AnalysisSettings | None = None
) -> AnalysisRun:
    """Compute and store every index of the campaign; returns the stored run."""
    settings = settings or AnalysisSettings()
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    pinned = campaign_service.pinned_versions(session=session, campaign=campaign)
    if not pinned:
        raise errors.Conflict(
            "Đợt khảo sát chưa gắn phiếu hỏi nào.", message_en="The campaign has no questionnaire."
        )
    versions = {v.id: v for v in session.exec(select(QuestionnaireVersion)).all()}
    notes: list[str] = []
    results: list[tuple[str, str, IndexRow]] = []
    drivers: list[tuple[str, str, IndexRow]] = []
    used = left_out = 0
    for audience, version in sorted(pinned.items()):
        prepared, dropped = _prepare(
            session, campaign_id, audience, version, versions, settings, notes
        )
        left_out += dropped
        if prepared is None:
            continue
        used += prepared.audience.weights.size
        rows = satisfaction_indices(
            prepared.scores,
            prepared.items,
            prepared.design,
            prepared.units,
            _index_settings(settings, audience),
            lonely_psu=analysis.LonelyPSU.ADJUST,
        )
        results += [(audience, prepared.audience.rules[int(row.domain)], row) for row in rows]
        drivers += [(audience, prepared.rule, row) for row in _drivers(prepared, settings, notes)]
    results += drivers
    run = AnalysisRun(
        campaign_id=campaign_id,
        created_by=actor,
        settings=settings.as_json(),
        exclusion_policy=settings.exclusion.value,
        responses_used=used,
        responses_left_out=left_out,
        notes=notes,
        checksum=checksum(settings.as_json(), results),
    )
    session.add(run)
    session.flush()
    assert run.id is not None
    session.add_all(_result(run.id, audience, rule, row) for audience, rule, row in results)
    session.flush()
    return run


def checksum(settings: dict[str, Any], results: Iterable[tuple[str, str, IndexRow]]) -> str:
    """SHA-256 of the settings and every result, so a published number can be re-verified."""
    payload = {
        "settings": settings,
        "results": [[audience, rule, *asdict(row).values()] for audience, rule, row in results],
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def latest_run(*, session: Session, campaign_id: int) -> AnalysisRun | None:
    """The campaign's most recent analysis run."""
    statement = (
        select(AnalysisRun)
        .where(AnalysisRun.campaign_id == campaign_id)
        .order_by(col(AnalysisRun.id).desc())
        .limit(1)
    )
    return session.exec(statement).first()


def get_run(*, session: Session, campaign_id: int, run_id: int | None) -> AnalysisRun:
    """A run of the campaign (the latest when ``run_id`` is None), or 404."""
    run = (
        latest_run(session=session, campaign_id=campaign_id)
        if run_id is None
        else session.get(AnalysisRun, run_id)
    )
    if run is None or run.campaign_id != campaign_id:
        raise errors.NotFound(
            "Chưa có kết quả phân tích.", message_en="No analysis run for this campaign."
        )
    return run


def run_results(*, session: Session, run_id: int) -> list[AnalysisResult]:
    """Every result of a run, ordered for display."""
    statement = (
        select(AnalysisResult)
        .where(AnalysisResult.run_id == run_id)
        .order_by(
            col(AnalysisResult.audience),
            col(AnalysisResult.unit_id),
            col(AnalysisResult.dimension),
            col(AnalysisResult.item),
            col(AnalysisResult.measure),
        )
    )
    return list(session.exec(statement).all())


def _result(run_id: int, audience: str, rule: str, row: IndexRow) -> AnalysisResult:
    return AnalysisResult(
        run_id=run_id,
        unit_id=int(row.domain) if row.domain else None,
        audience=audience,
        dimension=row.dimension,
        item=row.item,
        measure=row.measure,
        estimate=row.estimate,
        se=row.se,
        ci_low=row.ci_low,
        ci_high=row.ci_high,
        df=row.df,
        p_value=row.p_value,
        n=row.n,
        n_eff=row.n_eff,
        deff=row.deff,
        alpha=row.alpha,
        flags=list(row.flags),
        suppressed=row.suppressed,
        weighting=rule,
    )


def tidy(row: AnalysisResult, units: dict[int, Unit]) -> dict[str, Any]:
    """One result as a row of the tidy table (unit code and name included)."""
    unit = units.get(row.unit_id) if row.unit_id is not None else None
    return {
        "unit_id": row.unit_id,
        "unit_code": unit.code if unit else "",
        "unit_name": unit.name_vi if unit else "",
        "audience": row.audience,
        "dimension": row.dimension,
        "item": row.item,
        "measure": row.measure,
        "estimate": row.estimate,
        "se": row.se,
        "ci_low": row.ci_low,
        "ci_high": row.ci_high,
        "df": row.df,
        "p_value": row.p_value,
        "n": row.n,
        "n_eff": row.n_eff,
        "deff": row.deff,
        "alpha": row.alpha,
        "flags": list(row.flags),
        "suppressed": row.suppressed,
        "weighting": row.weighting,
    }


def unit_names(*, session: Session) -> dict[int, Unit]:
    """Units by id, for labelling results."""
    return {u.id: u for u in session.exec(select(Unit)).all() if u.id is not None}
