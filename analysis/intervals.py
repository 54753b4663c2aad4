"""Confidence intervals: Student t with the design's degrees of freedom, normal, or logit."""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import StrEnum
from statistics import NormalDist

from scipy import stats  # type: ignore[import-untyped]


class Interval(StrEnum):
    """How a confidence interval is formed from an estimate and its standard error."""

    T = "t"
    NORMAL = "normal"
    LOGIT = "logit"


def quantile(confidence: float, df: int | None) -> float:
    """Two-sided quantile: Student t on df degrees of freedom, or normal when df is None."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, not {confidence}.")
    upper = 0.5 + confidence / 2
    if df is None:
        return NormalDist().inv_cdf(upper)
    if df < 1:
        raise ValueError(f"the design has {df} degrees of freedom; use interval='normal'.")
    return float(stats.t.ppf(upper, df))


def _t(estimate: float, se: float, df: int, confidence: float) -> tuple[float, float]:
    """estimate ± t_{df} · se, df = #PSUs − #strata (Lumley 2010, §3.2)."""
    half = quantile(confidence, df) * se
    return estimate - half, estimate + half


def _normal(estimate: float, se: float, df: int, confidence: float) -> tuple[float, float]:
    """estimate ± z · se, as R's confint does by default (Lumley 2010, §2.2)."""
    half = quantile(confidence, None) * se
    return estimate - half, estimate + half


def _logit(estimate: float, se: float, df: int, confidence: float) -> tuple[float, float]:
    """expit(logit p ± t · se/(p(1−p))), R's svyciprop(method="logit") (Lumley 2010, ch. 2)."""
    if not 0 < estimate < 1:
        return estimate, estimate
    centre = math.log(estimate / (1 - estimate))
    half = quantile(confidence, df) * se / (estimate * (1 - estimate))
    return _expit(centre - half), _expit(centre + half)


def _expit(value: float) -> float:
    return 1 / (1 + math.exp(-value))


_INTERVALS: dict[Interval, Callable[[float, float, int, float], tuple[float, float]]] = {
    Interval.T: _t,
    Interval.NORMAL: _normal,
    Interval.LOGIT: _logit,
}


def interval(
    estimate: float, se: float, df: int, confidence: float, method: Interval
) -> tuple[float, float]:
    """Lower and upper confidence limits by the chosen method."""
    return _INTERVALS[method](estimate, se, df, confidence)
