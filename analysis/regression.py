"""Design-based linear regression: which dimensions move overall satisfaction (key drivers).

β̂ = (XᵀWX)⁻¹XᵀWy, the weighted least-squares estimate of the census regression; its
linearisation (sandwich) variance is V = A⁻¹·Cov(Σ_i w_i x_i e_i)·A⁻¹ with A = XᵀWX and the
covariance by the ultimate-cluster formula (Binder 1983, "On the variances of asymptotically
normal estimators from complex surveys", *International Statistical Review* 51, §3; Lumley 2010,
*Complex Surveys*, §5.2, svyglm). Tests use Student t on the design's degrees of freedom minus
the number of coefficients plus one, as R's summary.svyglm does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats  # type: ignore[import-untyped]

from analysis.design import Design, LonelyPSU
from analysis.estimators import Missing
from analysis.intervals import Interval, interval
from analysis.variance import total_covariance

INTERCEPT = "(intercept)"


@dataclass(frozen=True)
class Coefficient:
    """One regression coefficient with SE, confidence limits and two-sided p-value."""

    name: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float


@dataclass(frozen=True)
class Regression:
    """The fitted coefficients, the residual degrees of freedom and the rows used."""

    coefficients: tuple[Coefficient, ...]
    df: int
    n: int

    def coefficient(self, name: str) -> Coefficient:
        """The coefficient called ``name``."""
        return next(c for c in self.coefficients if c.name == name)


def regress(
    y: Any,
    predictors: Any,
    names: Sequence[str],
    design: Design,
    *,
    domain: Any = None,
    missing: Missing | str = Missing.FAIL,
    confidence: float = 0.95,
    lonely_psu: LonelyPSU | str = LonelyPSU.FAIL,
) -> Regression:
    """Regress y on the predictor columns (rows × len(names)) plus an intercept."""
    outcome = np.asarray(y, dtype=np.float64)
    columns = np.asarray(predictors, dtype=np.float64)
    if columns.ndim == 1:
        columns = columns[:, None]
    if outcome.shape != (design.n,) or columns.shape != (design.n, len(names)):
        raise ValueError(
            f"y and the predictors need {design.n} rows and the predictors {len(names)} columns."
        )
    absent = np.isnan(outcome) | np.isnan(columns).any(axis=1)
    if absent.any() and Missing(missing) is Missing.FAIL:
        raise ValueError(
            f"{int(absent.sum())} rows have a missing value; pass missing='exclude' to drop them."
        )
    inside = ~absent if domain is None else np.asarray(domain, dtype=bool) & ~absent
    matrix = np.column_stack([np.ones(design.n), np.where(absent[:, None], 0.0, columns)])
    response = np.where(absent, 0.0, outcome)
    weights = design.weights * inside
    gram = matrix.T @ (matrix * weights[:, None])
    if np.linalg.matrix_rank(gram) < gram.shape[0]:
        raise ValueError("the predictors are collinear (or constant) in these rows.")
    inverse = np.linalg.inv(gram)
    beta = inverse @ (matrix.T @ (weights * response))
    residual = response - matrix @ beta
    scores = matrix * (weights * residual)[:, None]
    covariance = inverse @ total_covariance(scores, design, LonelyPSU(lonely_psu)) @ inverse
    df = design.df - len(beta) + 1
    if df < 1:
        raise ValueError(f"the design has too few degrees of freedom ({design.df}) for this model.")
    coefficients = []
    for index, name in enumerate([INTERCEPT, *names]):
        estimate = float(beta[index])
        se = math.sqrt(max(float(covariance[index, index]), 0.0))
        low, high = interval(estimate, se, df, confidence, Interval.T)
        p_value = float(2 * stats.t.sf(abs(estimate) / se, df)) if se > 0 else float("nan")
        coefficients.append(Coefficient(name, estimate, se, low, high, p_value))
    return Regression(tuple(coefficients), df, int(np.count_nonzero(inside)))


def key_drivers(
    overall: NDArray[np.float64],
    dimensions: dict[str, NDArray[np.float64]],
    design: Design,
    *,
    domain: Any = None,
    confidence: float = 0.95,
    lonely_psu: LonelyPSU | str = LonelyPSU.FAIL,
) -> Regression:
    """Regression of respondents' overall score on their dimension scores (complete rows)."""
    names = sorted(dimensions)
    table = np.column_stack([dimensions[name] for name in names])
    return regress(
        overall,
        table,
        names,
        design,
        domain=domain,
        missing=Missing.EXCLUDE,
        confidence=confidence,
    )
