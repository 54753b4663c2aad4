"""Response weights for exports: every response's final weight and weighting rule, computed from
the weighting columns alone and held in numpy arrays."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
from sqlmodel import Session, select

from survey_service.models import AdminTotal, Channel, Invitation, QuestionnaireVersion, Response
from survey_service.services import campaigns as campaign_service
from survey_service.services import questionnaires as questionnaire_service
from survey_service.services import responses as response_service
from survey_service.services.analysis_inputs import _scales
from survey_service.services.analysis_runs import latest_run
from survey_service.services.analysis_settings import (
    RULE_DESIGN,
    RULE_EQUAL,
    RULE_POSTSTRATIFIED,
    AnalysisSettings,
    ExclusionPolicy,
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
