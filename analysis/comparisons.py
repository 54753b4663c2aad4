"""Differences between two domains of one survey, or between two independent surveys (years).

Two domains of one design: the difference's linearised variable is z_a − z_b, so the covariance
the shared strata and PSUs induce is kept (Lohr 2022, *Sampling: Design and Analysis*, 3rd ed.,
§9.1; Lumley 2010, *Complex Surveys*, §2.2, svycontrast). Two independent samples (two years'
campaigns): V = V_a + V_b with the smaller of the two designs' degrees of freedom (a
conservative choice; Korn & Graubard 1999, *Analysis of Health Surveys*, §5.2). The p-value is
two-sided, from Student t on those degrees of freedom.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats  # type: ignore[import-untyped]

from analysis.design import Design, LonelyPSU
from analysis.domains import Domains
from analysis.estimators import Estimate, Missing
from analysis.intervals import Interval, interval
from analysis.variance import total_variance


@dataclass(frozen=True)
class Difference:
    """a − b with its standard error, confidence limits, degrees of freedom and p-value."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    df: int
    p_value: float


def domain_difference(
    y: Any,
    design: Design,
    labels: Any,
    first: str,
    second: str,
    *,
    missing: Missing | str = Missing.FAIL,
    confidence: float = 0.95,
    lonely_psu: LonelyPSU | str = LonelyPSU.FAIL,
) -> Difference:
    """Mean of y in domain ``first`` minus its mean in domain ``second`` (labels per row)."""
    domains = Domains(design, labels, lonely_psu=lonely_psu)
    known = domains.labels.tolist()
    for label in (first, second):
        if label not in known:
            raise ValueError(f"domain {label} has no rows; known domains: {', '.join(known)}.")
    if first == second:
        raise ValueError("compare two different domains.")
    part = domains.linearise(y, missing=missing)
    a, b = known.index(first), known.index(second)
    sign = np.where(domains.codes == a, 1.0, np.where(domains.codes == b, -1.0, 0.0))
    estimate = float(part.estimate[a] - part.estimate[b])
    se = math.sqrt(total_variance(part.z * sign, design, LonelyPSU(lonely_psu)))
    return _difference(estimate, se, design.df, confidence)


def independent_difference(
    first: Estimate, second: Estimate, confidence: float = 0.95
) -> Difference:
    """first − second for estimates from independent samples, e.g. two years' campaigns."""
    se = math.hypot(first.se, second.se)
    return _difference(first.estimate - second.estimate, se, min(first.df, second.df), confidence)


def _difference(estimate: float, se: float, df: int, confidence: float) -> Difference:
    low, high = interval(estimate, se, df, confidence, Interval.T)
    if se > 0:
        p_value = float(2 * stats.t.sf(abs(estimate) / se, df))
    else:
        p_value = 0.0 if estimate != 0 else 1.0
    return Difference(estimate, se, low, high, df, p_value)
