"""Weighted satisfaction sub-indices per domain (unit) and dimension, with an overall index.

From raw item scores (already reversed where an item is negatively worded, "not applicable" and
unanswered as NaN):

1. Item score on 0–100: (x − low)/(high − low)·100, so a 5-point item gives (x − 1)/4·100.
2. Top-two: whether the answer is at the two highest levels of its scale (SIPAS reports element
   indices as the share answering Hài lòng or Rất hài lòng; DOMAIN.md).
3. Respondent dimension score: the mean 0–100 score of the dimension's answered items, kept only
   when at least ``min_share`` of them were answered (else missing); likewise the share of the
   answered items in the top two.
4. Sub-index: the design-based mean of the respondent scores in each domain
   (``analysis.domains``), with SE, CI, n, design effect and effective n.
5. Overall index: Σ_k a_k·S_k / Σ_k a_k over the dimensions the domain has, a_k from
   configuration (equal by default); its linearised variable is the same combination of the
   dimensions' linearised variables (Wolter 2007, *Introduction to Variance Estimation*, 2nd ed.,
   §6.2; Lohr 2022, *Sampling: Design and Analysis*, 3rd ed., §9.1).
6. Cronbach's α of each dimension's items in each domain (``analysis.reliability``).
7. Small cells: n below ``min_n`` or a coefficient of variation above ``max_cv`` flags a result
   (the NCHS standard treats a relative SE above 30 % as unreliable: Parker et al. 2017, *NCHS
   Data Presentation Standards for Proportions*, Vital Health Stat 2(175)); with ``suppress``
   flagged results carry no numbers at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis.design import Design, LonelyPSU
from analysis.domains import DomainEstimates, Domains, Linearised
from analysis.estimators import Missing

Floats = NDArray[np.float64]
OVERALL = "index"


@dataclass(frozen=True)
class ItemScale:
    """A scored item: its dimension, score range and the lowest score of its top two levels."""

    item: str
    dimension: str
    low: float
    high: float
    top_two: float

    def __post_init__(self) -> None:
        if not self.high > self.low:
            raise ValueError(f"item {self.item}: the highest score must exceed the lowest.")
        if not self.low <= self.top_two <= self.high:
            raise ValueError(f"item {self.item}: the top-two threshold lies outside its range.")


@dataclass(frozen=True)
class IndexSettings:
    """How sub-indices are formed and when a cell is too small to show."""

    min_share: float = 0.5
    min_n: int = 30
    max_cv: float = 0.3
    confidence: float = 0.95
    dimension_weights: Mapping[str, float] = field(default_factory=dict)
    suppress: bool = False
    items: bool = True

    def __post_init__(self) -> None:
        if not 0 < self.min_share <= 1:
            raise ValueError("min_share must lie in (0, 1].")
        if self.min_n < 1 or not self.max_cv > 0:
            raise ValueError("min_n must be at least 1 and max_cv positive.")
        bad = sorted(k for k, v in self.dimension_weights.items() if not (v >= 0 and v < np.inf))
        if bad:
            raise ValueError(f"dimension weights must be finite and non-negative: {bad}.")

    def weight(self, dimension: str) -> float:
        """The dimension's weight in the overall index (1 when not configured)."""
        return float(self.dimension_weights.get(dimension, 1.0))


@dataclass(frozen=True)
class IndexRow:
    """One result: a domain × dimension (or item, or the overall index) × measure.

    ``measure`` is ``score`` (mean on 0–100) or ``top_two`` (percentage in the top two levels).
    Numbers are None when suppressed or when the domain has no answers.
    """

    domain: str
    dimension: str
    item: str | None
    measure: str
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    n_eff: float | None
    deff: float | None
    alpha: float | None
    flags: tuple[str, ...]
    suppressed: bool
    df: int | None = None
    p_value: float | None = None


def rescale(scores: Any, low: float, high: float) -> Floats:
    """(x − low)/(high − low)·100; NaN stays NaN."""
    values = np.asarray(scores, dtype=np.float64)
    return np.asarray((values - low) / (high - low) * 100.0, np.float64)


def dimension_scores(
    scores: Mapping[str, Any], items: Sequence[ItemScale], min_share: float = 0.5
) -> tuple[dict[str, Floats], dict[str, Floats]]:
    """Per dimension, each respondent's mean 0–100 score and top-two percentage of answered items.

    A respondent who answered fewer than ``min_share`` of a dimension's items gets NaN.
    """
    by_dimension: dict[str, list[ItemScale]] = {}
    for scale in items:
        by_dimension.setdefault(scale.dimension, []).append(scale)
    means: dict[str, Floats] = {}
    tops: dict[str, Floats] = {}
    for dimension, members in by_dimension.items():
        total = count = top = None
        for scale in members:
            raw = _column(scores, scale.item)
            answered = ~np.isnan(raw)
            scaled = np.where(answered, rescale(raw, scale.low, scale.high), 0.0)
            high = answered & (raw >= scale.top_two - 1e-9)
            total = scaled if total is None else total + scaled
            count = answered.astype(np.int64) if count is None else count + answered
            top = high.astype(np.int64) if top is None else top + high
        assert total is not None and count is not None and top is not None
        enough = (count >= min_share * len(members) - 1e-9) & (count > 0)
        safe = np.maximum(count, 1)
        means[dimension] = np.where(enough, total / safe, np.nan)
        tops[dimension] = np.where(enough, top / safe * 100.0, np.nan)
    return means, tops


def satisfaction_indices(
    scores: Mapping[str, Any],
    items: Sequence[ItemScale],
    design: Design,
    domains: Any,
    settings: IndexSettings | None = None,
    *,
    lonely_psu: LonelyPSU | str = LonelyPSU.FAIL,
) -> list[IndexRow]:
    """Every sub-index of every domain: dimensions, the overall index and (optionally) items."""
    settings = settings or IndexSettings()
    if not items:
        raise ValueError("no scored items: a sub-index needs at least one item with a dimension.")
    split = Domains(design, domains, lonely_psu=lonely_psu)
    means, tops = dimension_scores(scores, items, settings.min_share)
    rows: list[IndexRow] = []
    alphas = _alphas(scores, items, design, split)
    parts: dict[str, tuple[Linearised, Linearised]] = {}
    for dimension in means:
        score = split.linearise(means[dimension], missing=Missing.EXCLUDE)
        top = split.linearise(tops[dimension], missing=Missing.EXCLUDE)
        parts[dimension] = (score, top)
        for measure, part in (("score", score), ("top_two", top)):
            result = split.estimates(part, confidence=settings.confidence)
            rows += _rows(result, dimension, None, measure, settings, alphas.get(dimension))
    for index, measure in enumerate(("score", "top_two")):
        joined = _combine(split, {d: p[index] for d, p in parts.items()}, settings)
        result = split.estimates(joined, confidence=settings.confidence)
        rows += _rows(result, OVERALL, None, measure, settings, None)
    if settings.items:
        for scale in items:
            raw = _column(scores, scale.item)
            shares = np.where(np.isnan(raw), np.nan, (raw >= scale.top_two - 1e-9) * 100.0)
            for measure, values in (
                ("score", rescale(raw, scale.low, scale.high)),
                ("top_two", shares),
            ):
                result = split.mean(values, missing=Missing.EXCLUDE, confidence=settings.confidence)
                rows += _rows(result, scale.dimension, scale.item, measure, settings, None)
    return rows


def _column(scores: Mapping[str, Any], item: str) -> Floats:
    if item not in scores:
        raise ValueError(f"no scores given for item {item}.")
    return np.asarray(scores[item], dtype=np.float64)


def _combine(
    split: Domains, parts: Mapping[str, Linearised], settings: IndexSettings
) -> Linearised:
    """Σ_k a_k S_k/Σ_k a_k over the dimensions each domain has; z combines the same way."""
    size = len(split.labels)
    present = {d: np.isfinite(p.estimate) & (settings.weight(d) > 0) for d, p in parts.items()}
    total = sum((np.where(present[d], settings.weight(d), 0.0) for d in parts), np.zeros(size))
    share = {
        d: np.where(
            total > 0,
            np.where(present[d], settings.weight(d), 0.0) / np.where(total > 0, total, 1.0),
            0.0,
        )
        for d in parts
    }
    estimate = np.where(
        total > 0,
        sum((share[d] * np.nan_to_num(p.estimate) for d, p in parts.items()), np.zeros(size)),
        np.nan,
    )
    codes = np.maximum(split.codes, 0)
    z = sum((share[d][codes] * p.z for d, p in parts.items()), np.zeros(split.design.n))
    observed = np.zeros(split.design.n, dtype=bool)
    for p in parts.values():
        observed |= p.observed
    weights = split.design.weights * observed
    observed_codes = np.where(observed, split.codes, 0)
    weight_sums = np.asarray(
        np.bincount(observed_codes, weights=weights, minlength=size), np.float64
    )
    counts = np.asarray(
        np.bincount(observed_codes, weights=observed.astype(np.float64), minlength=size),
        np.float64,
    )
    return Linearised(estimate, np.asarray(z, np.float64), observed, weight_sums, counts)


def _alphas(
    scores: Mapping[str, Any], items: Sequence[ItemScale], design: Design, split: Domains
) -> dict[str, dict[int, float | None]]:
    """Cronbach's α of each dimension's items in each domain (None when undefined).

    The same α as ``analysis.cronbach_alpha`` on each domain's complete, weighted rows, from
    per-domain weighted moments (one pass per item instead of one call per domain).
    """
    out: dict[str, dict[int, float | None]] = {}
    by_dimension: dict[str, list[ItemScale]] = {}
    for scale in items:
        by_dimension.setdefault(scale.dimension, []).append(scale)
    size = len(split.labels)
    for dimension, members in by_dimension.items():
        out[dimension] = {}
        if len(members) < 2:
            continue
        columns = [rescale(_column(scores, s.item), s.low, s.high) for s in members]
        complete = split.codes >= 0
        for column in columns:
            complete &= ~np.isnan(column)
        codes = split.codes[complete]
        weights = design.weights[complete]
        weight_sums = np.asarray(np.bincount(codes, weights=weights, minlength=size), np.float64)
        counts = np.bincount(codes, minlength=size)
        item_variances = np.zeros(size)
        total = np.zeros(codes.size)
        for column in columns:
            values = column[complete]
            total += values
            item_variances += _variances(codes, weights, values, weight_sums)
        total_variance = _variances(codes, weights, total, weight_sums)
        k = len(members)
        for code in range(size):
            if counts[code] < 2 or not total_variance[code] > 1e-12 * (1 + total_variance.max()):
                out[dimension][code] = None
            else:
                ratio = item_variances[code] / total_variance[code]
                out[dimension][code] = float(k / (k - 1) * (1 - ratio))
    return out


def _variances(
    codes: NDArray[np.intp], weights: Floats, values: Floats, weight_sums: Floats
) -> Floats:
    """Weighted variance Σw(x − x̄)²/Σw of ``values`` in every domain (two passes)."""
    size = weight_sums.size
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.bincount(codes, weights=weights * values, minlength=size) / weight_sums
        spread = values - means[codes]
        return np.asarray(
            np.bincount(codes, weights=weights * spread * spread, minlength=size) / weight_sums,
            np.float64,
        )


def _rows(
    result: DomainEstimates,
    dimension: str,
    item: str | None,
    measure: str,
    settings: IndexSettings,
    alphas: Mapping[int, float | None] | None,
) -> list[IndexRow]:
    rows: list[IndexRow] = []
    for index, label in enumerate(result.labels):
        estimate = float(result.estimate[index])
        se = float(result.se[index])
        n = int(result.n[index])
        flags = _flags(estimate, se, n, settings)
        hidden = settings.suppress and bool(flags)
        alpha = None if alphas is None else alphas.get(index)
        numbers = not hidden and np.isfinite(estimate)
        rows.append(
            IndexRow(
                domain=str(label),
                dimension=dimension,
                item=item,
                measure=measure,
                estimate=estimate if numbers else None,
                se=se if numbers else None,
                ci_low=_finite(result.ci_low[index]) if numbers else None,
                ci_high=_finite(result.ci_high[index]) if numbers else None,
                n=n,
                n_eff=_finite(result.n_eff[index]) if numbers else None,
                deff=_finite(result.deff[index]) if numbers else None,
                alpha=alpha if numbers else None,
                flags=flags,
                suppressed=hidden,
                df=result.df,
            )
        )
    return rows


def _flags(estimate: float, se: float, n: int, settings: IndexSettings) -> tuple[str, ...]:
    flags: list[str] = []
    if n == 0 or not np.isfinite(estimate):
        return ("no_data",)
    if n < settings.min_n:
        flags.append("small_n")
    if estimate > 0 and se / estimate > settings.max_cv:
        flags.append("high_cv")
    return tuple(flags)


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if np.isfinite(number) else None
