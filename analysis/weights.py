"""Survey weights: base weights, nonresponse adjustment, post-stratification, trimming, Kish's deff.

Sources, cited by chapter (page and section numbers not verified here): Valliant, Dever & Kreuter
(2018), *Practical Tools for Designing and Weighting Survey Samples*, 2nd ed., ch. 13 (basic
weighting steps) and ch. 14 (calibration and trimming); Lumley (2010), *Complex Surveys*, ch. 7
(post-stratification, raking, calibration); Kish (1965), *Survey Sampling*, §11.7.
Pure numpy (STYLE.md rule 6). Raking lives in ``analysis.raking``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis.design import is_missing

Floats = NDArray[np.float64]


def design_weights(inclusion_prob: Any) -> Floats:
    """Base weights d_i = 1/π_i (Horvitz & Thompson 1952; Valliant et al. 2018, ch. 13)."""
    prob = np.asarray(inclusion_prob, dtype=np.float64)
    if prob.ndim != 1 or prob.size == 0:
        raise ValueError("inclusion_prob must be a non-empty one-dimensional array.")
    bad = int(np.count_nonzero(~((prob > 0) & (prob <= 1))))
    if bad:
        raise ValueError(f"inclusion probabilities must lie in (0, 1]; {bad} do not.")
    return 1.0 / prob


def adjust_nonresponse(weights: Any, classes: Any, responded: Any) -> Floats:
    """Weighting classes: respondents get w·Σ_c w/Σ_c,resp w (Valliant et al. 2018, ch. 13)."""
    values = as_weights(weights)
    labels = as_labels("classes", classes, values.size)
    answered = _as_flags(responded, values.size)
    adjusted = np.zeros_like(values)
    for label in np.unique(labels):
        inside = labels == label
        kept = inside & answered
        respondent_weight = float(values[kept].sum())
        if respondent_weight <= 0:
            raise ValueError(f"class {label} has no respondents with positive weight to carry it.")
        adjusted[kept] = values[kept] * float(values[inside].sum()) / respondent_weight
    return adjusted


def poststratify(weights: Any, cells: Any, targets: Mapping[str, float]) -> Floats:
    """Scale each cell to its population total N_c: w_i · N_c / Σ_c w (Lumley 2010, ch. 7)."""
    values = as_weights(weights)
    labels = as_labels("cells", cells, values.size).astype(str)
    totals = as_targets("targets", targets)
    check_categories("cells", labels, values, totals)
    adjusted = values.copy()
    for label, target in totals.items():
        inside = labels == label
        if inside.any():
            adjusted[inside] *= target / float(values[inside].sum())
    return adjusted


def trim_weights(weights: Any, upper: float | None = None, lower: float | None = None) -> Floats:
    """Trim to [lower, upper] and spread the excess over the other rows in proportion to weight.

    Valliant et al. 2018, ch. 14; Lumley 2010, ch. 7. The result is the fixed point of R's
    survey::trimWeights(strict = TRUE) passes with proportional spreading (as calibrate(trim = )
    spreads; trimWeights itself adds an equal share per row): clip(c·w, lower, upper) with the
    one factor c that keeps Σw. Solved exactly rather than by passes, because passes that fix
    rows at both bounds at once can strand the total. Zero weights (non-respondents) stay zero.
    """
    values = as_weights(weights)
    high = np.inf if upper is None else float(upper)
    low = -np.inf if lower is None else float(lower)
    kept = values > 0
    _check_bounds(values[kept], high, low)
    trimmed = values.copy()
    if ((values[kept] > high) | (values[kept] < low)).any():
        factor = _factor(values[kept], low, high)
        trimmed[kept] = np.clip(factor * values[kept], low, high)
    return trimmed


def kish_deff(weights: Any) -> float:
    """Kish's design effect from unequal weighting, n·Σw²/(Σw)² (Kish 1965, §11.7)."""
    values = as_weights(weights)
    return float(values.size * np.square(values).sum() / values.sum() ** 2)


def effective_n(weights: Any) -> float:
    """Kish's effective sample size (Σw)²/Σw² = n/deff (Kish 1965, §11.7)."""
    values = as_weights(weights)
    return float(values.sum() ** 2 / np.square(values).sum())


def as_weights(weights: Any) -> Floats:
    """Validate non-negative finite weights, one-dimensional, with a positive sum."""
    values = np.asarray(weights, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError("weights must be a non-empty one-dimensional array, one weight per row.")
    bad = int(np.count_nonzero(~(values >= 0) | ~np.isfinite(values)))
    if bad:
        raise ValueError(f"weights must be non-negative and finite; {bad} are not.")
    if not values.sum() > 0:
        raise ValueError("weights sum to zero; at least one row needs a positive weight.")
    return values


def as_labels(name: str, labels: Any, size: int) -> NDArray[Any]:
    """Validate one label per row with none missing."""
    values = np.asarray(labels)
    if values.ndim != 1 or values.size != size:
        raise ValueError(f"{name} has {values.size} values but weights has {size}; give one a row.")
    if is_missing(values).any():
        raise ValueError(f"{name} contains missing values; every row needs a {name} label.")
    return values


def as_targets(name: str, targets: Mapping[str, float]) -> dict[str, float]:
    """Validate population totals: finite, non-negative, at least one positive."""
    totals = {str(key): float(value) for key, value in targets.items()}
    bad = sorted(key for key, value in totals.items() if not (np.isfinite(value) and value >= 0))
    if bad:
        raise ValueError(f"{name} must be finite and non-negative; {', '.join(bad)} are not.")
    if not sum(totals.values()) > 0:
        raise ValueError(f"{name} must include a positive total.")
    return totals


def check_categories(
    name: str, labels: NDArray[Any], weights: Floats, totals: Mapping[str, float]
) -> None:
    """Every row's category needs a target; every positive target needs rows of positive weight."""
    stray = sorted(set(np.unique(labels).tolist()) - set(totals))
    if stray:
        raise ValueError(f"{name} {', '.join(stray)} have rows but no target total.")
    for label, target in totals.items():
        if target > 0 and not weights[labels == label].sum() > 0:
            raise ValueError(f"{name} {label} has a target of {target:g} but no weighted rows.")


def _as_flags(responded: Any, size: int) -> NDArray[np.bool_]:
    flags = np.asarray(responded)
    if flags.ndim != 1 or flags.size != size:
        raise ValueError(f"responded has {flags.size} values but weights has {size}; one a row.")
    if flags.dtype.kind != "b" and not (flags.dtype.kind in "iu" and np.isin(flags, (0, 1)).all()):
        raise ValueError("responded must be booleans (or 0/1), True for respondents.")
    return flags.astype(bool)


def _check_bounds(values: Floats, high: float, low: float) -> None:
    if np.isnan(high) or np.isnan(low) or low > high:
        raise ValueError(f"trimming bounds must satisfy lower <= upper; got {low:g} and {high:g}.")
    total = float(values.sum())
    slack = 1e-12 * total  # n·mean can differ from Σw by rounding
    if not values.size * low - slack <= total <= values.size * high + slack:
        raise ValueError(
            f"the weights total {total:g} cannot be kept with every one of the {values.size} "
            f"weights within [{low:g}, {high:g}]."
        )


def _factor(values: Floats, low: float, high: float) -> float:
    # Σ clip(c·w) is continuous, non-decreasing and linear between the knots bound/w_i: find the
    # first knot reaching the total by bisection, then solve the linear piece before it exactly.
    total = float(values.sum())
    positive = values[values > 0]
    knots = np.unique(np.concatenate([low / positive, high / positive]))
    knots = knots[np.isfinite(knots) & (knots > 0)]
    first, last = 0, len(knots)
    while first < last:
        middle = (first + last) // 2
        # The relative slack absorbs rounding when a bound makes the total just reachable.
        if float(np.clip(knots[middle] * values, low, high).sum()) < total * (1 - 1e-12):
            first = middle + 1
        else:
            last = middle
    start = float(knots[first - 1]) if first > 0 else 0.0
    probe = (start + float(knots[first])) / 2 if first < len(knots) else 2 * start + 1
    scaled = probe * values
    free = (scaled > low) & (scaled < high)
    room = float(values[free].sum())
    if room <= 0:
        return float(knots[first]) if first < len(knots) else _stranded(total)
    return (total - float(np.clip(scaled[~free], low, high).sum())) / room


def _stranded(total: float) -> float:
    raise ValueError(f"the weights total {total:g} cannot be kept within the trimming bounds.")
