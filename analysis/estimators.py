"""Design-based totals, means, ratios and proportions with linearised standard errors.

Each estimator is a ratio (or total) of weighted sums; its linearised variable z_i (Lohr 2022,
*Sampling: Design and Analysis*, 3rd ed., §9.1; Lumley 2010, *Complex Surveys*, §2.2 and §3.2)
goes through the ultimate-cluster variance of ``analysis.variance``. A domain keeps the whole
design: rows outside it contribute z_i = 0, as R's svyby and subset.survey.design do
(Lohr 2022, §4.3 and §9.1; Lumley 2010, §2.2).

A ``ReplicateDesign`` (``analysis.replicates``) is accepted in place of a ``Design``: the statistic
is recomputed with every column of replicate weights at once and its variance is the replicate
variance (Wolter 2007, *Introduction to Variance Estimation*, 2nd ed., ch. 4–5; Lumley 2010, §2.3);
``lonely_psu`` does not apply to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis.design import Design, LonelyPSU, is_missing
from analysis.intervals import Interval, interval
from analysis.replicates import ReplicateDesign, replicate_variance
from analysis.variance import total_variance

AnyDesign = Design | ReplicateDesign


class Missing(StrEnum):
    """What missing values (NaN) in the analysed variable do: refuse, or leave the domain."""

    FAIL = "fail"
    EXCLUDE = "exclude"


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its standard error, confidence limits, degrees of freedom and n."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    df: int
    n: int


@dataclass(frozen=True)
class _Options:
    domain: Any
    missing: Missing
    confidence: float
    interval: Interval
    lonely_psu: LonelyPSU


def total(
    y: Any,
    design: AnyDesign,
    *,
    domain: Any = None,
    missing: Missing | str = Missing.FAIL,
    confidence: float = 0.95,
    interval: Interval | str = Interval.T,
    lonely_psu: LonelyPSU | str = LonelyPSU.FAIL,
) -> Estimate:
    """Horvitz–Thompson total Σ w_i y_i, z_i = w_i y_i (Lohr 2022, §9.1; Lumley 2010, §2.2)."""
    options = _options(domain, missing, confidence, interval, lonely_psu, symmetric=True)
    values, inside = _observed("y", y, design, options)
    z = design.weights * inside * values
    if isinstance(design, ReplicateDesign):
        thetas = design.replicates.T @ (inside * values)
        return _finish_replicates(float(z.sum()), thetas, inside, design, options)
    return _finish(float(z.sum()), z, int(np.count_nonzero(inside)), design, options)


def mean(
    y: Any,
    design: AnyDesign,
    *,
    domain: Any = None,
    missing: Missing | str = Missing.FAIL,
    confidence: float = 0.95,
    interval: Interval | str = Interval.T,
    lonely_psu: LonelyPSU | str = LonelyPSU.FAIL,
) -> Estimate:
    """Weighted (Hájek) mean Σwy/Σw as a ratio to the estimated size (Lohr 2022, §9.1)."""
    options = _options(domain, missing, confidence, interval, lonely_psu, symmetric=True)
    if domain is None and isinstance(design, Design):
        values = _labels("y", y, design).astype(np.float64, copy=False)
        weighted_sum = float(design.weights @ values)
        if not math.isnan(weighted_sum):  # NaN here means missing values: the general path
            return _whole_mean(values, weighted_sum, design, options)
    values, inside = _observed("y", y, design, options)
    return _ratio(values, np.ones(design.n), inside, design, options)


def _whole_mean(
    values: NDArray[np.float64], weighted_sum: float, design: Design, options: _Options
) -> Estimate:
    """The mean over every row with nothing missing: the same z, in fewer passes over the data."""
    weights = design.weights
    total_weight = float(weights.sum())
    estimate = weighted_sum / total_weight
    z = values - estimate
    z *= weights
    z /= total_weight
    return _finish(estimate, z, design.n, design, options)


def ratio(
    y: Any,
    x: Any,
    design: AnyDesign,
    *,
    domain: Any = None,
    missing: Missing | str = Missing.FAIL,
    confidence: float = 0.95,
    interval: Interval | str = Interval.T,
    lonely_psu: LonelyPSU | str = LonelyPSU.FAIL,
) -> Estimate:
    """Ratio R = Σwy/Σwx, z_i = w_i(y_i − R x_i)/Σwx (Cochran 1977, §6.3; Lohr 2022, §9.1)."""
    options = _options(domain, missing, confidence, interval, lonely_psu, symmetric=True)
    numerator, inside_y = _observed("y", y, design, options)
    denominator, inside_x = _observed("x", x, design, options)
    return _ratio(numerator, denominator, inside_y & inside_x, design, options)


def proportion(
    y: Any,
    design: AnyDesign,
    level: Any,
    *,
    domain: Any = None,
    missing: Missing | str = Missing.FAIL,
    confidence: float = 0.95,
    interval: Interval | str = Interval.T,
    lonely_psu: LonelyPSU | str = LonelyPSU.FAIL,
) -> Estimate:
    """Proportion of rows with y == level: the mean of an indicator (Lohr 2022, §9.1).

    ``interval="logit"`` back-transforms logit(p) ± t·se/(p(1−p)), as R's svyciprop
    (method="logit") does (Lumley 2010, ch. 2).
    """
    options = _options(domain, missing, confidence, interval, lonely_psu, symmetric=False)
    labels = _labels("y", y, design)
    absent = is_missing(labels)
    _refuse_missing("y", absent, options)
    inside = _domain(options.domain, design) & ~absent
    indicator = np.where(absent, False, labels == level).astype(np.float64)
    return _ratio(indicator, np.ones(design.n), inside, design, options)


def _ratio(
    y: NDArray[np.float64],
    x: NDArray[np.float64],
    inside: NDArray[np.bool_],
    design: AnyDesign,
    options: _Options,
) -> Estimate:
    weights = design.weights * inside
    denominator = float(np.sum(weights * x))
    if denominator == 0:
        raise ValueError("the denominator total is zero in this domain; no ratio can be formed.")
    estimate = float(np.sum(weights * y)) / denominator
    if isinstance(design, ReplicateDesign):
        thetas = _replicate_ratios(y * inside, x * inside, design)
        return _finish_replicates(estimate, thetas, inside, design, options)
    z = weights * (y - estimate * x) / denominator
    return _finish(estimate, z, int(np.count_nonzero(inside)), design, options)


def _finish(
    estimate: float, z: NDArray[np.float64], n: int, design: Design, options: _Options
) -> Estimate:
    se = math.sqrt(total_variance(z, design, options.lonely_psu))
    low, high = interval(estimate, se, design.df, options.confidence, options.interval)
    return Estimate(estimate, se, low, high, design.df, n)


def _replicate_ratios(
    y: NDArray[np.float64], x: NDArray[np.float64], design: ReplicateDesign
) -> NDArray[np.float64]:
    """θ_r = Σ w_ri y_i / Σ w_ri x_i for every replicate r at once."""
    denominators = design.replicates.T @ x
    empty = np.flatnonzero(denominators == 0)
    if empty.size:
        raise ValueError(
            f"replicate {int(empty[0]) + 1} has a zero denominator total in this domain (its "
            "rows were all deleted); the domain is too small for this replicate design."
        )
    return np.asarray((design.replicates.T @ y) / denominators, dtype=np.float64)


def _finish_replicates(
    estimate: float,
    thetas: NDArray[np.float64],
    inside: NDArray[np.bool_],
    design: ReplicateDesign,
    options: _Options,
) -> Estimate:
    se = math.sqrt(replicate_variance(thetas, estimate, design))
    low, high = interval(estimate, se, design.df, options.confidence, options.interval)
    return Estimate(estimate, se, low, high, design.df, int(np.count_nonzero(inside)))


def _options(
    domain: Any,
    missing: Missing | str,
    confidence: float,
    method: Interval | str,
    lonely_psu: LonelyPSU | str,
    *,
    symmetric: bool,
) -> _Options:
    chosen = Interval(method)
    if symmetric and chosen is Interval.LOGIT:
        raise ValueError("the logit interval is for proportions; use interval='t' or 'normal'.")
    return _Options(domain, Missing(missing), confidence, chosen, LonelyPSU(lonely_psu))


def _labels(name: str, values: Any, design: AnyDesign) -> NDArray[Any]:
    array = np.asarray(values)
    if array.ndim != 1 or array.size != design.n:
        raise ValueError(f"{name} has {array.size} values but the design has {design.n} rows.")
    return array


def _observed(
    name: str, values: Any, design: AnyDesign, options: _Options
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Values with missing ones set to 0, and the rows inside the domain and observed."""
    array = _labels(name, values, design).astype(np.float64)
    absent = np.isnan(array)
    _refuse_missing(name, absent, options)
    return np.where(absent, 0.0, array), _domain(options.domain, design) & ~absent


def _refuse_missing(name: str, absent: NDArray[np.bool_], options: _Options) -> None:
    count = int(np.count_nonzero(absent))
    if count and options.missing is Missing.FAIL:
        raise ValueError(
            f"{name} has {count} missing values; pass missing='exclude' to treat those rows "
            "as outside the domain."
        )


def _domain(domain: Any, design: AnyDesign) -> NDArray[np.bool_]:
    if domain is None:
        return np.ones(design.n, dtype=bool)
    inside = np.asarray(domain)
    if inside.dtype != np.bool_ or inside.shape != (design.n,):
        raise ValueError(f"domain must be a boolean array with one value per row ({design.n}).")
    return inside
