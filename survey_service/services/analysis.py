"""Analysis runs: every sub-index of a campaign, computed, stored with its settings and checksum.

Per audience (the questionnaire pinned for it defines items and dimensions):

- **Which responses.** The exclusion policy says which are left out: those coordinators
  excluded (default), also every quality-flagged one, or none. If the audience has responses from
  sampled invitations, the analysis uses those (a probability sample) and leaves the audience's
  desk-QR and open-link responses out, with a note; otherwise it uses the desk-QR, link and paper
  responses.
- **Weights.** Invitation responses: design weight 1/π of their stratum times the non-response
  adjustment Σ_invited d / Σ_responded d within the stratum (Valliant, Dever & Kreuter 2018,
  ch. 13); strata and fpc (Σ d of the stratum's invitations, its population size) from the sample.
  Desk-QR responses: post-stratified per unit to the dossiers each desk handled in the period
  (administrative totals entered per campaign), with calibration-aware variances; a unit whose
  desks lack totals keeps equal weights (treated as a simple random sample of its users). The rule
  used is stored with every result.
- **Results.** ``analysis.satisfaction_indices`` per unit × dimension (and item) × measure; for
  officials every flagged cell (n below the minimum, CV above the maximum) is suppressed.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
from sqlmodel import Session, col, select

import analysis
import questionnaires as qn
from analysis.calibration import calibrate
from analysis.indices import (
    IndexRow,
    IndexSettings,
    ItemScale,
    dimension_scores,
    satisfaction_indices,
)
from analysis.regression import INTERCEPT, key_drivers
from questionnaires.scoring import item_score, score_range
from survey_service import errors
from survey_service.models import (
    AdminTotal,
    AnalysisResult,
    AnalysisRun,
    Channel,
    Desk,
    Invitation,
    QuestionnaireVersion,
    Response,
    Unit,
    utcnow,
)
from survey_service.services import campaigns as campaign_service
from survey_service.services import questionnaires as questionnaire_service
from survey_service.services import responses as response_service

OFFICIAL = "official"
RULE_DESIGN = "design_weights_nonresponse"
RULE_POSTSTRATIFIED = "poststratified_admin_totals"
RULE_EQUAL = "equal_weights_no_totals"


class ExclusionPolicy(StrEnum):
    """Which responses an analysis leaves out."""

    EXCLUDED = "excluded"
    EXCLUDED_AND_FLAGGED = "excluded_and_flagged"
    NONE = "none"


@dataclass(frozen=True)
class AnalysisSettings:
    """Everything that decides a run's numbers (stored with the run)."""

    exclusion: ExclusionPolicy = ExclusionPolicy.EXCLUDED
    min_n: int = 30
    max_cv: float = 0.3
    min_share: float = 0.5
    confidence: float = 0.95
    dimension_weights: dict[str, float] = field(default_factory=lambda: {"overall": 0.0})
    items: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "exclusion", ExclusionPolicy(self.exclusion))

    def as_json(self) -> dict[str, Any]:
        """The settings as stored (plain JSON)."""
        data = asdict(self)
        data["exclusion"] = self.exclusion.value
        return data


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


def desks_of_campaign(*, session: Session, campaign_id: int) -> list[tuple[Desk, int | None]]:
    """Every desk with the campaign's administrative total for it (None when not entered)."""
    totals = {
        t.desk_id: t.dossiers
        for t in session.exec(select(AdminTotal).where(AdminTotal.campaign_id == campaign_id))
    }
    desks = session.exec(select(Desk).order_by(col(Desk.unit_id), col(Desk.id))).all()
    return [(d, totals.get(d.id or 0)) for d in desks]


def set_total(
    *, session: Session, campaign_id: int, desk_id: int, dossiers: int | None
) -> tuple[int | None, int | None]:
    """Set (or clear with None) a desk's administrative total; returns (before, after)."""
    campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    if session.get(Desk, desk_id) is None:
        raise errors.NotFound("Không tìm thấy quầy.", message_en=f"No desk {desk_id}.")
    if dossiers is not None and dossiers < 0:
        raise errors.InvalidInput(
            "Số hồ sơ phải không âm.", message_en="The number of dossiers cannot be negative."
        )
    existing = session.exec(
        select(AdminTotal)
        .where(AdminTotal.campaign_id == campaign_id)
        .where(AdminTotal.desk_id == desk_id)
    ).first()
    before = existing.dossiers if existing else None
    if dossiers is None:
        if existing:
            session.delete(existing)
    elif existing:
        existing.dossiers = dossiers
        existing.updated_at = utcnow()
        session.add(existing)
    else:
        session.add(AdminTotal(campaign_id=campaign_id, desk_id=desk_id, dossiers=dossiers))
    session.flush()
    return before, dossiers


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


WEIGHT_BATCH = 20_000


class ResponseWeights(Mapping[int, tuple[float, str]]):
    """Response id → (final weight, weighting rule), held as sorted numpy arrays.

    A million responses take 18 MB (ids int64, weights float64, rule codes int16) where a dict
    of tuples would take hundreds. ``lookup`` finds a whole page of ids at once.
    """

    def __init__(self, ids: np.ndarray, weights: np.ndarray, codes: np.ndarray, rules: list[str]):
        order = np.argsort(ids, kind="stable")
        self.ids = np.ascontiguousarray(ids[order], dtype=np.int64)
        self.weights = np.ascontiguousarray(weights[order], dtype=np.float64)
        self.codes = np.ascontiguousarray(codes[order], dtype=np.int16)
        self.rules = list(rules)

    def _at(self, response_id: object) -> int:
        if not isinstance(response_id, int | np.integer):
            return -1
        at = int(np.searchsorted(self.ids, response_id))
        return at if at < self.ids.size and self.ids[at] == response_id else -1

    def __getitem__(self, response_id: int) -> tuple[float, str]:
        at = self._at(response_id)
        if at < 0:
            raise KeyError(response_id)
        return float(self.weights[at]), self.rules[int(self.codes[at])]

    def __contains__(self, response_id: object) -> bool:
        return self._at(response_id) >= 0

    def __iter__(self) -> Iterator[int]:
        return (int(i) for i in self.ids)

    def __len__(self) -> int:
        return int(self.ids.size)

    def lookup(self, response_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weights (NaN: none) and rule codes (−1: none) of many ids at once."""
        wanted = np.asarray(response_ids, dtype=np.int64)
        at = np.searchsorted(self.ids, wanted)
        inside = at < self.ids.size
        found = np.zeros(wanted.size, dtype=bool)
        found[inside] = self.ids[at[inside]] == wanted[inside]
        weights = np.full(wanted.size, np.nan)
        codes = np.full(wanted.size, -1, dtype=np.int16)
        weights[found] = self.weights[at[found]]
        codes[found] = self.codes[at[found]]
        return weights, codes


@dataclass
class _Columns:
    """The weighting columns of one audience's responses, in id order."""

    ids: np.ndarray  # int64
    units: np.ndarray  # int64
    desks: np.ndarray  # int64, −1 without a desk
    invitation: np.ndarray  # bool: channel is invitation
    strata: np.ndarray  # int64 codes into ``names`` (the stratum or "")
    design: np.ndarray  # float64 design weight, 0 when missing
    has_design: np.ndarray  # bool: design weight set and non-zero (truthy)
    excluded: np.ndarray  # bool
    flagged: np.ndarray  # bool: any quality flag
    names: list[str]


def _weight_columns(session: Session, campaign_id: int, version_ids: list[int]) -> _Columns:
    """Only the columns weighting needs, read in id-keyset batches of ``WEIGHT_BATCH`` rows."""
    strata: dict[str, int] = {}
    parts: list[tuple[np.ndarray, ...]] = []
    columns = (
        Response.id,
        Response.unit_id,
        Response.desk_id,
        Response.channel,
        Response.stratum,
        Response.design_weight,
        Response.excluded,
        Response.flags,
    )
    for page in response_service.pages(
        session, columns, campaign_id=campaign_id, version_ids=version_ids, size=WEIGHT_BATCH
    ):
        ids, units, desks, channels, stratum, design, excluded, flags = zip(*page, strict=True)
        size = len(page)
        parts.append(
            (
                np.fromiter(ids, np.int64, size),
                np.fromiter(units, np.int64, size),
                np.fromiter((-1 if d is None else d for d in desks), np.int64, size),
                np.fromiter((c == Channel.INVITATION for c in channels), bool, size),
                np.fromiter((strata.setdefault(s or "", len(strata)) for s in stratum), np.int64),
                np.fromiter((float(d or 0) for d in design), np.float64, size),
                np.fromiter((bool(d) for d in design), bool, size),
                np.fromiter((bool(e) for e in excluded), bool, size),
                np.fromiter((bool(f) for f in flags), bool, size),
            )
        )
        del page, ids, units, desks, channels, stratum, design, excluded, flags
    kinds = (np.int64, np.int64, np.int64, bool, np.int64, np.float64, bool, bool, bool)
    joined = [
        np.concatenate([p[n] for p in parts]) if parts else np.zeros(0, kind)
        for n, kind in enumerate(kinds)
    ]
    parts.clear()
    return _Columns(*joined, names=list(strata))


def _kept(columns: _Columns, policy: ExclusionPolicy) -> np.ndarray:
    """Rows the exclusion policy keeps (``_apply_policy``)."""
    if policy is ExclusionPolicy.NONE:
        return np.ones(columns.ids.size, dtype=bool)
    if policy is ExclusionPolicy.EXCLUDED:
        return ~columns.excluded
    return ~columns.excluded & ~columns.flagged


def _invited_sums(session: Session, campaign_id: int, audience: str) -> dict[str, float]:
    """Σ design weight of the audience's invitations per stratum (``_invitation_weights``)."""
    invited: dict[str, float] = defaultdict(float)
    rows = session.exec(
        select(Invitation.stratum, Invitation.design_weight)
        .where(Invitation.campaign_id == campaign_id)
        .where(Invitation.audience == audience)
        .execution_options(yield_per=WEIGHT_BATCH)
    )
    for stratum, weight in rows:
        invited[stratum] += weight
    return invited


def _sample_weights(invited: dict[str, float], columns: _Columns, rows: np.ndarray) -> np.ndarray:
    """d × max(Σ invited d / Σ responded d, 1) within the stratum, summed in id order as
    ``_invitation_weights`` sums (bincount adds in input order)."""
    codes = columns.strata[rows]
    design = columns.design[rows]
    responded = np.bincount(codes, weights=design, minlength=len(columns.names))
    factors = np.ones(len(columns.names))
    for code in np.unique(codes).tolist():
        total = float(responded[code])
        factors[code] = max(invited.get(columns.names[code], total) / total, 1.0)
    return np.asarray(design * factors[codes], dtype=np.float64)


def _desk_rules(
    totals: dict[int, int], columns: _Columns, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Weights and post-stratified flags of desk and link answers (``_desk_weights``): per unit,
    post-stratified to the dossiers of its desks when every desk has a total (weight
    dossiers / answers of the desk's cell), else equal weights 1."""
    units, desks = columns.units[rows], columns.desks[rows]
    unit_codes = np.unique(units, return_inverse=True)[1].reshape(-1)
    known = np.array([totals.get(int(d), 0) > 0 for d in desks.tolist()], dtype=bool)
    # a unit is post-stratified when none of its answers lacks a desk with a total
    lacking = np.bincount(unit_codes, weights=~known, minlength=unit_codes.max(initial=-1) + 1)
    stratified = lacking[unit_codes] == 0
    weights = np.ones(rows.size)
    cell_desks, cell_codes = np.unique(desks[stratified], return_inverse=True)
    counts = np.bincount(cell_codes.reshape(-1), minlength=cell_desks.size)
    targets = np.array([float(totals[int(d)]) for d in cell_desks.tolist()])
    if cell_desks.size:
        weights[stratified] = 1.0 * (targets / counts)[cell_codes.reshape(-1)]
    return weights, stratified


def response_weights(*, session: Session, campaign_id: int) -> ResponseWeights:
    """The final weight and weighting rule of every response the analysis uses, with the latest
    run's settings (its exclusion policy decides which responses have one); for exports.

    The same numbers as the analysis design (``_prepare``) without loading responses: only the
    weighting columns are read, in id batches, into numpy arrays (about 45 bytes a response).
    """
    run = latest_run(session=session, campaign_id=campaign_id)
    settings = AnalysisSettings(**run.settings) if run is not None else AnalysisSettings()
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    audiences = session.exec(select(QuestionnaireVersion.id, QuestionnaireVersion.audience)).all()
    statement = select(AdminTotal.desk_id, AdminTotal.dossiers)
    totals = dict(session.exec(statement.where(AdminTotal.campaign_id == campaign_id)).all())
    rules = [RULE_DESIGN, RULE_EQUAL, RULE_POSTSTRATIFIED]
    design_code, equal_code, stratified_code = range(3)
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    pinned = campaign_service.pinned_versions(session=session, campaign=campaign)
    for audience, version in sorted(pinned.items()):
        if not _scales(questionnaire_service.parsed(version)):
            continue  # ``_prepare`` weighs nothing for a questionnaire without scored items
        ids = [i for i, a in audiences if a == audience and i is not None]
        columns = _weight_columns(session, campaign_id, ids)
        kept = _kept(columns, settings.exclusion)
        sampled = kept & columns.invitation & columns.has_design
        if sampled.any():
            rows = np.flatnonzero(sampled)
            invited = _invited_sums(session, campaign_id, audience)
            weights = _sample_weights(invited, columns, rows)
            codes = np.full(rows.size, design_code, dtype=np.int16)
        else:
            rows = np.flatnonzero(kept)
            if not rows.size:
                continue
            weights, stratified = _desk_rules(totals, columns, rows)
            codes = np.where(stratified, stratified_code, equal_code).astype(np.int16)
        found.append((columns.ids[rows], weights, codes))
        del columns
    if not found:
        empty = np.zeros(0)
        return ResponseWeights(empty.astype(np.int64), empty, empty.astype(np.int16), rules)
    return ResponseWeights(
        np.concatenate([f[0] for f in found]),
        np.concatenate([f[1] for f in found]),
        np.concatenate([f[2] for f in found]),
        rules,
    )
