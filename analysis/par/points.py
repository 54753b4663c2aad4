"""PAR Index points of every unit: appraisal + survey points, index, rank, class, rank range.

For each unit (DOMAIN.md, "The problem"):

1. Appraisal points are entered per appraisal sub-criterion, between 0 and its maximum.
2. Survey points convert each survey sub-criterion's sub-index (0–100) by its rule
   (:class:`analysis.par.scheme.Conversion`): linear max × index/100; a thresholds table; or the
   A/B/C/D shares at 100 %/60 %/20 %/0 % of the maximum (DOMAIN.md, the provincial scoring tool).
3. total = appraisal + survey; index = total/maximum × 100; rank among the scheme's units by index,
   ties sharing the best rank (competition ranking 1, 2, 2, 4); class = the highest band whose
   minimum the index reaches; change = index − last year's index.
4. Rank range: survey points are estimates, so ranks are uncertain. Each survey sub-index is
   redrawn as estimate + SE × t_df (normal when df is unknown), clipped to 0–100; every draw
   recomputes all units' points, indices and ranks, and the central ``coverage`` share of each
   unit's simulated ranks is its plausible range (the simulation approach to rank intervals of
   Goldstein & Spiegelhalter 1996, "League tables and their limitations: statistical issues in
   comparisons of institutional performance", JRSS A 159(3); Marshall & Spiegelhalter 1998,
   "Reliability of league tables of in vitro fertilisation clinics", BMJ 316). Draws are
   independent across sub-criteria and units: a unit's sub-indices come from one sample and are
   positively correlated, so the range is a simplification, not an exact interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import stats  # type: ignore[import-untyped]

from analysis.par.scheme import TOLERANCE, Leaf, Scheme

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class SurveyInput:
    """A survey sub-index (0–100) with its standard error and degrees of freedom (None: normal)."""

    estimate: float
    se: float
    df: int | None = None


@dataclass(frozen=True)
class UnitScore:
    """One unit's PAR Index result; ``areas`` maps area code → (points, maximum) and
    ``criteria`` every sub-criterion code → its points, so totals can be checked line by line."""

    unit: str
    appraisal: float
    survey: float
    total: float
    maximum: float
    index: float
    rank: int
    class_label: dict[str, str] | None
    areas: dict[str, tuple[float, float]]
    change: float | None
    rank_low: int
    rank_high: int
    missing: tuple[str, ...]
    criteria: dict[str, float] = field(default_factory=dict)


def survey_points(leaf: Leaf, index: float) -> float:
    """The points a survey sub-criterion earns for a sub-index ``index`` on 0–100."""
    if not (np.isfinite(index) and -TOLERANCE <= index <= 100 + TOLERANCE):
        raise ValueError(f"criterion {leaf.code}: sub-index {index} lies outside 0–100.")
    return float(_points(leaf, np.array([index], dtype=np.float64))[0])


def _points(leaf: Leaf, index: Floats) -> Floats:
    """Vectorised conversion of sub-indices (clipped to 0–100) into the leaf's points."""
    if leaf.survey is None:
        raise ValueError(f"criterion {leaf.code} is not a survey sub-criterion.")
    conversion = leaf.survey.conversion
    clipped = np.clip(index, 0.0, 100.0)
    match conversion.kind:
        case "linear" | "abcd":
            # abcd: options scored 100/60/20/0, so the mean score is Σ share × (100, 60, 20, 0)
            share = clipped / 100.0
        case "thresholds":
            reached = [clipped + TOLERANCE >= minimum for minimum, _ in conversion.thresholds]
            share = np.select(reached, [s for _, s in conversion.thresholds], default=0.0)
    return np.asarray(leaf.max_points * share, np.float64)


def competition_ranks(indices: Floats) -> NDArray[np.int64]:
    """Ranks by index descending along the last axis, ties sharing the best rank (1, 2, 2, 4)."""
    rounded = np.round(np.asarray(indices, np.float64), 9)
    ranks = stats.rankdata(-rounded, method="min", axis=-1)
    return np.asarray(ranks, np.int64)


@dataclass(frozen=True)
class _Table:
    """Inputs laid out as arrays: units × leaves points and the survey cells to simulate."""

    units: list[str]
    leaves: tuple[Leaf, ...]
    fixed: Floats  # units × leaves: appraisal points (survey cells 0)
    cells: list[tuple[int, int, SurveyInput]]  # (unit, leaf, input) of each survey cell
    missing: list[tuple[str, ...]]


def _table(
    scheme: Scheme,
    appraisal: Mapping[str, Mapping[str, float]],
    survey: Mapping[str, Mapping[str, SurveyInput]],
) -> _Table:
    leaves = scheme.leaves()
    column = {leaf.code: j for j, leaf in enumerate(leaves)}
    units = sorted(set(appraisal) | set(survey))
    fixed = np.zeros((len(units), len(leaves)))
    cells: list[tuple[int, int, SurveyInput]] = []
    missing: list[tuple[str, ...]] = []
    for i, unit in enumerate(units):
        for code, points in appraisal.get(unit, {}).items():
            j = _column(column, leaves, unit, code, "appraisal")
            _check_points(unit, leaves[j], points)
            fixed[i, j] = points
        for code, given in survey.get(unit, {}).items():
            j = _column(column, leaves, unit, code, "survey")
            _check_input(unit, code, given)
            cells.append((i, j, given))
        entered = set(appraisal.get(unit, {})) | set(survey.get(unit, {}))
        missing.append(tuple(leaf.code for leaf in leaves if leaf.code not in entered))
    return _Table(units, leaves, fixed, cells, missing)


def _column(
    column: Mapping[str, int], leaves: Sequence[Leaf], unit: str, code: str, kind: str
) -> int:
    if code not in column:
        raise ValueError(f"unit {unit}: the scheme has no sub-criterion '{code}'.")
    j = column[code]
    if leaves[j].source != kind:
        raise ValueError(f"unit {unit}, criterion {code}: a {leaves[j].source} sub-criterion.")
    return j


def _check_points(unit: str, leaf: Leaf, points: float) -> None:
    if not (np.isfinite(points) and -TOLERANCE <= points <= leaf.max_points + TOLERANCE):
        raise ValueError(
            f"unit {unit}, criterion {leaf.code}: {points} points lie outside "
            f"0–{leaf.max_points:g}."
        )


def _check_input(unit: str, code: str, given: SurveyInput) -> None:
    if not (np.isfinite(given.estimate) and -TOLERANCE <= given.estimate <= 100 + TOLERANCE):
        raise ValueError(f"unit {unit}, criterion {code}: sub-index {given.estimate} not in 0–100.")
    if not (np.isfinite(given.se) and given.se >= 0):
        raise ValueError(f"unit {unit}, criterion {code}: the SE must be finite and ≥ 0.")
    if given.df is not None and given.df < 1:
        raise ValueError(f"unit {unit}, criterion {code}: degrees of freedom must be ≥ 1.")


def _points_matrix(table: _Table, estimates: Floats) -> Floats:
    """Points per draw × unit × leaf; survey cells from ``estimates`` (draw × cell)."""
    points = np.broadcast_to(table.fixed, (estimates.shape[0], *table.fixed.shape)).copy()
    for k, (i, j, _) in enumerate(table.cells):
        points[:, i, j] = _points(table.leaves[j], estimates[:, k])
    return points


def _draws(table: _Table, simulations: int, rng: np.random.Generator) -> Floats:
    """Simulated sub-indices: estimate + SE × t_df (or standard normal), draw × cell."""
    out = np.empty((simulations, len(table.cells)))
    for k, (_, _, given) in enumerate(table.cells):
        noise = (
            rng.standard_normal(simulations)
            if given.df is None
            else rng.standard_t(given.df, simulations)
        )
        out[:, k] = given.estimate + given.se * noise
    return np.clip(out, 0.0, 100.0)


def _rank_ranges(
    table: _Table,
    ranks: NDArray[np.int64],
    maximum: float,
    simulations: int,
    seed: int,
    coverage: float,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    if simulations == 0 or not table.cells:
        return ranks, ranks
    draws = _draws(table, simulations, np.random.default_rng(seed))
    indices = _points_matrix(table, draws).sum(axis=2) / maximum * 100.0
    simulated = competition_ranks(indices)  # simulations × units
    low = np.quantile(simulated, (1 - coverage) / 2, axis=0, method="lower").astype(np.int64)
    high = np.quantile(simulated, (1 + coverage) / 2, axis=0, method="higher").astype(np.int64)
    # the point rank always lies in its range
    return np.minimum(low, ranks), np.maximum(high, ranks)


def compute(
    scheme: Scheme,
    appraisal: Mapping[str, Mapping[str, float]],
    survey: Mapping[str, Mapping[str, SurveyInput]],
    *,
    previous: Mapping[str, float] | None = None,
    simulations: int = 2000,
    seed: int = 0,
    coverage: float = 0.95,
) -> list[UnitScore]:
    """Every unit's PAR Index result, best first (ties by unit name); see the module docstring.

    Units are the keys of ``appraisal`` and ``survey``; a sub-criterion without points scores 0
    and is listed in ``missing``. Points outside [0, max] raise ValueError naming unit and code.
    """
    if simulations < 0 or not 0 < coverage < 1:
        raise ValueError("simulations must be ≥ 0 and coverage lie in (0, 1).")
    table = _table(scheme, appraisal, survey)
    if not table.units:
        return []
    estimates = np.array([[given.estimate for _, _, given in table.cells]], dtype=np.float64)
    points = _points_matrix(table, estimates.reshape(1, len(table.cells)))[0]
    maximum = scheme.maximum
    indices = points.sum(axis=1) / maximum * 100.0
    ranks = competition_ranks(indices)
    low, high = _rank_ranges(table, ranks, maximum, simulations, seed, coverage)
    scores = [
        _score(scheme, table, points, i, int(ranks[i]), (int(low[i]), int(high[i])), previous)
        for i in range(len(table.units))
    ]
    return sorted(scores, key=lambda s: (s.rank, s.unit))


def _score(
    scheme: Scheme,
    table: _Table,
    points: Floats,
    i: int,
    rank: int,
    rank_range: tuple[int, int],
    previous: Mapping[str, float] | None,
) -> UnitScore:
    unit = table.units[i]
    row = points[i]
    is_survey = np.array([leaf.source == "survey" for leaf in table.leaves], dtype=bool)
    total = float(row.sum())
    index = total / scheme.maximum * 100.0
    band = scheme.class_of(index)
    areas = {
        area.code: (
            float(
                sum(row[j] for j, leaf in enumerate(table.leaves) if leaf.area_code == area.code)
            ),
            float(area.max_points),
        )
        for area in scheme.areas
    }
    before = None if previous is None else previous.get(unit)
    return UnitScore(
        unit=unit,
        appraisal=float(row[~is_survey].sum()),
        survey=float(row[is_survey].sum()),
        total=total,
        maximum=scheme.maximum,
        index=index,
        rank=rank,
        class_label=None if band is None else dict(band.label),
        areas=areas,
        change=None if before is None else index - float(before),
        rank_low=rank_range[0],
        rank_high=rank_range[1],
        missing=table.missing[i],
        criteria={leaf.code: float(row[j]) for j, leaf in enumerate(table.leaves)},
    )
