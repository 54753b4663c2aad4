"""Analysis inputs: an audience's responses read, filtered by the exclusion policy, weighted
and scored, ready for estimation."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlmodel import Session, col, select

import analysis
import questionnaires as qn
from analysis.calibration import calibrate
from analysis.indices import ItemScale
from questionnaires.scoring import item_score, score_range
from survey_service.models import (
    AdminTotal,
    Channel,
    Invitation,
    QuestionnaireVersion,
    Response,
)
from survey_service.services import questionnaires as questionnaire_service
from survey_service.services.analysis_settings import (
    RULE_DESIGN,
    RULE_EQUAL,
    RULE_POSTSTRATIFIED,
    AnalysisSettings,
    ExclusionPolicy,
)


@dataclass
class _Audience:
    rows: list[Response]
    weights: np.ndarray
    strata: np.ndarray
    fpc: np.ndarray | None
    cells: np.ndarray | None
    targets: dict[str, float]
    rules: dict[int, str]


@dataclass
class _Prepared:
    """One audience ready for estimation: its rows' weights, design, scores and unit labels."""

    name: str
    audience: _Audience
    items: list[ItemScale]
    scores: dict[str, np.ndarray]
    design: analysis.Design
    units: np.ndarray

    @property
    def rule(self) -> str:
        """The weighting rule(s) of the audience, for results that pool its units."""
        return "+".join(sorted(set(self.audience.rules.values())))[:64]


def _prepare(
    session: Session,
    campaign_id: int,
    audience: str,
    version: QuestionnaireVersion,
    versions: dict[int | None, Any],
    settings: AnalysisSettings,
    notes: list[str],
) -> tuple[_Prepared | None, int]:
    """The audience's kept answers, weighted and scored; and how many were left out."""
    questionnaire = questionnaire_service.parsed(version)
    responses = _responses(session, campaign_id, audience, versions)
    kept, dropped = _apply_policy(responses, settings.exclusion)
    if not kept:
        notes.append(f"{audience}: no responses to analyse.")
        return None, dropped
    weighted = _weights(session, campaign_id, audience, kept, notes)
    dropped += len(kept) - len(weighted.rows)
    items = _scales(questionnaire)
    if not items:
        notes.append(f"{audience}: the questionnaire has no scored items.")
        return None, dropped
    scores = _scores(weighted.rows, items, versions)
    design = analysis.Design(weighted.weights, strata=weighted.strata, fpc=weighted.fpc)
    if weighted.cells is not None:
        design = calibrate(design, {"cell": weighted.cells}, {"cell": weighted.targets})
    units = np.array([str(r.unit_id) for r in weighted.rows])
    return _Prepared(audience, weighted, items, scores, design, units), dropped


def _responses(
    session: Session, campaign_id: int, audience: str, versions: dict[int | None, Any]
) -> list[Response]:
    ids = [i for i, v in versions.items() if v.audience == audience]
    statement = (
        select(Response)
        .where(Response.campaign_id == campaign_id)
        .where(col(Response.questionnaire_version_id).in_(ids))
        .order_by(col(Response.id))
    )
    return list(session.exec(statement).all())


def _apply_policy(rows: list[Response], policy: ExclusionPolicy) -> tuple[list[Response], int]:
    if policy is ExclusionPolicy.NONE:
        kept = rows
    elif policy is ExclusionPolicy.EXCLUDED:
        kept = [r for r in rows if not r.excluded]
    else:
        kept = [r for r in rows if not r.excluded and not r.flags]
    return kept, len(rows) - len(kept)


def _weights(
    session: Session, campaign_id: int, audience: str, rows: list[Response], notes: list[str]
) -> _Audience:
    sampled = [r for r in rows if r.channel == Channel.INVITATION and r.design_weight]
    if sampled:
        if len(sampled) < len(rows):
            notes.append(
                f"{audience}: {len(rows) - len(sampled)} responses outside the sample "
                "(desk QR, links, paper) are left out; the sample's design weights are used."
            )
        return _invitation_weights(session, campaign_id, audience, sampled)
    return _desk_weights(session, campaign_id, rows)


def _invitation_weights(
    session: Session, campaign_id: int, audience: str, rows: list[Response]
) -> _Audience:
    invited: dict[str, float] = defaultdict(float)
    for invitation in session.exec(
        select(Invitation)
        .where(Invitation.campaign_id == campaign_id)
        .where(Invitation.audience == audience)
    ):
        invited[invitation.stratum] += invitation.design_weight
    responded: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        responded[row.stratum or ""] += float(row.design_weight or 0)
        counts[row.stratum or ""] += 1
    weights = []
    for row in rows:
        stratum = row.stratum or ""
        factor = invited.get(stratum, responded[stratum]) / responded[stratum]
        weights.append(float(row.design_weight or 0) * max(factor, 1.0))
    population = [max(invited.get(r.stratum or "", 0.0), counts[r.stratum or ""]) for r in rows]
    return _Audience(
        rows=rows,
        weights=np.array(weights),
        strata=np.array([r.stratum or "" for r in rows]),
        fpc=np.array(population, dtype=float),
        cells=None,
        targets={},
        rules={r.unit_id: RULE_DESIGN for r in rows},
    )


def _desk_weights(session: Session, campaign_id: int, rows: list[Response]) -> _Audience:
    totals = {
        t.desk_id: t.dossiers
        for t in session.exec(select(AdminTotal).where(AdminTotal.campaign_id == campaign_id))
    }
    by_unit: dict[int, list[Response]] = defaultdict(list)
    for row in rows:
        by_unit[row.unit_id].append(row)
    rules: dict[int, str] = {}
    cells: list[str] = []
    targets: dict[str, float] = {}
    for unit_id, members in by_unit.items():
        desks = {r.desk_id for r in members}
        if None not in desks and all(totals.get(d, 0) > 0 for d in desks):
            rules[unit_id] = RULE_POSTSTRATIFIED
            for desk in desks:
                assert desk is not None
                targets[f"desk:{desk}"] = float(totals[desk])
        else:
            rules[unit_id] = RULE_EQUAL
            targets[f"unit:{unit_id}"] = float(len(members))
    for row in rows:
        poststratified = rules[row.unit_id] == RULE_POSTSTRATIFIED
        cells.append(f"desk:{row.desk_id}" if poststratified else f"unit:{row.unit_id}")
    return _Audience(
        rows=rows,
        weights=np.ones(len(rows)),
        strata=np.array([str(r.unit_id) for r in rows]),
        fpc=None,
        cells=np.array(cells),
        targets=targets,
        rules=rules,
    )


def _scales(questionnaire: qn.Questionnaire) -> list[ItemScale]:
    scales = []
    for item in questionnaire.items:
        if not item.dimension:
            continue
        span = score_range(questionnaire, item)
        if span is None or span[0] == span[1]:
            continue
        levels = sorted({s for s in (_scores_of(questionnaire, item)) if s is not None})
        top_two = levels[-2] if len(levels) >= 2 else levels[-1]
        scales.append(ItemScale(item.id, item.dimension, span[0], span[1], top_two))
    return scales


def _scores_of(questionnaire: qn.Questionnaire, item: Any) -> list[float | None]:
    return [item_score(questionnaire, item, o.value) for o in questionnaire.choices(item)]


def _scores(
    rows: list[Response], scales: list[ItemScale], versions: dict[int | None, Any]
) -> dict[str, np.ndarray]:
    parsed: dict[int, qn.Questionnaire] = {}
    out = {s.item: np.full(len(rows), np.nan) for s in scales}
    for index, row in enumerate(rows):
        version_id = row.questionnaire_version_id
        if version_id not in parsed:
            parsed[version_id] = questionnaire_service.parsed(versions[version_id])
        questionnaire = parsed[version_id]
        for scale in scales:
            try:
                item = questionnaire.item(scale.item)
            except KeyError:
                continue
            score = item_score(questionnaire, item, row.answers.get(scale.item))
            if score is not None:
                out[scale.item][index] = score
    return out
