"""Differences between domains and between independent surveys; design-based regression."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import analysis
from analysis.comparisons import domain_difference, independent_difference
from analysis.regression import INTERCEPT, key_drivers, regress
from tests.analysis.api_data import numbers, read


def test_difference_of_domains_in_separate_strata_adds_variances() -> None:
    """Domains that are whole strata are independent: V(a − b) = V(a) + V(b)."""
    table = read("apistrat")
    design = analysis.Design(numbers(table, "pw"), strata=table["stype"], fpc=numbers(table, "fpc"))
    y = numbers(table, "api00")
    result = domain_difference(y, design, table["stype"], "E", "H")
    a = analysis.mean(y, design, domain=table["stype"] == "E")
    b = analysis.mean(y, design, domain=table["stype"] == "H")
    assert result.estimate == pytest.approx(a.estimate - b.estimate)
    assert result.se == pytest.approx(math.hypot(a.se, b.se), rel=1e-9)
    assert result.df == 197
    assert result.p_value == pytest.approx(2 * stats.t.sf(abs(result.estimate) / result.se, 197))


def test_difference_within_clusters_keeps_the_covariance() -> None:
    """Domains sharing PSUs: SE from z_a − z_b differs from the independent formula."""
    table = read("apiclus1")
    design = analysis.Design(numbers(table, "pw"), psu=table["dnum"], fpc=numbers(table, "fpc"))
    y = numbers(table, "api00")
    result = domain_difference(y, design, table["stype"], "E", "M")
    a = analysis.mean(y, design, domain=table["stype"] == "E")
    b = analysis.mean(y, design, domain=table["stype"] == "M")
    z_a = (
        design.weights
        * (table["stype"] == "E")
        * (y - a.estimate)
        / (design.weights * (table["stype"] == "E")).sum()
    )
    z_b = (
        design.weights
        * (table["stype"] == "M")
        * (y - b.estimate)
        / (design.weights * (table["stype"] == "M")).sum()
    )
    assert result.se == pytest.approx(math.sqrt(analysis.total_variance(z_a - z_b, design)))
    assert result.se != pytest.approx(math.hypot(a.se, b.se), rel=1e-3)


def test_independent_years_and_errors() -> None:
    this_year = analysis.Estimate(72.0, 1.5, 0, 0, 40, 300)
    last_year = analysis.Estimate(68.0, 2.0, 0, 0, 30, 250)
    result = independent_difference(this_year, last_year)
    assert result.estimate == pytest.approx(4.0)
    assert result.se == pytest.approx(2.5)
    assert result.df == 30
    assert result.p_value == pytest.approx(2 * stats.t.sf(1.6, 30))
    assert result.ci_low == pytest.approx(4 - stats.t.ppf(0.975, 30) * 2.5)
    with pytest.raises(ValueError, match="no rows"):
        domain_difference(np.ones(3), analysis.Design(np.ones(3)), np.array(list("aab")), "a", "c")


def _sandwich(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hand-written SRS-with-replacement sandwich: n/(n−1)·(XᵀX)⁻¹ Σ x x ᵀe² (XᵀX)⁻¹."""
    matrix = np.column_stack([np.ones(len(y)), x])
    beta = np.linalg.solve(matrix.T @ matrix, matrix.T @ y)
    residual = y - matrix @ beta
    bread = np.linalg.inv(matrix.T @ matrix)
    meat = sum(np.outer(row, row) * e**2 for row, e in zip(matrix, residual, strict=True))
    size = len(y)
    return beta, size / (size - 1) * bread @ meat @ bread


def test_regression_equal_weights_is_the_textbook_sandwich() -> None:
    rng = np.random.default_rng(12)
    x = rng.normal(size=(60, 2))
    y = 1.0 + 2.0 * x[:, 0] - 0.5 * x[:, 1] + rng.normal(size=60)
    fit = regress(y, x, ["a", "b"], analysis.Design(np.full(60, 3.0)))
    beta, covariance = _sandwich(y, x)
    for index, name in enumerate([INTERCEPT, "a", "b"]):
        assert fit.coefficient(name).estimate == pytest.approx(beta[index])
        assert fit.coefficient(name).se == pytest.approx(math.sqrt(covariance[index, index]))
    assert fit.df == 59 - 3 + 1
    assert fit.coefficient("a").p_value < 1e-6


def test_intercept_only_regression_is_the_mean() -> None:
    table = read("apiclus1")
    design = analysis.Design(numbers(table, "pw"), psu=table["dnum"], fpc=numbers(table, "fpc"))
    y = numbers(table, "api00")
    zero = np.zeros((design.n, 0))
    fit = regress(y, zero, [], design)
    mean = analysis.mean(y, design)
    assert fit.coefficient(INTERCEPT).estimate == pytest.approx(mean.estimate)
    assert fit.coefficient(INTERCEPT).se == pytest.approx(mean.se)


def test_key_drivers_rank_the_dimension_that_moves_overall_first() -> None:
    rng = np.random.default_rng(2)
    size = 400
    staff = rng.uniform(0, 100, size)
    access = rng.uniform(0, 100, size)
    overall = 0.7 * staff + 0.1 * access + rng.normal(0, 5, size)
    overall[::13] = np.nan
    design = analysis.Design(rng.uniform(1, 3, size), strata=np.repeat(["a", "b"], size // 2))
    fit = key_drivers(overall, {"staff": staff, "access": access}, design)
    assert fit.coefficient("staff").estimate == pytest.approx(0.7, abs=0.05)
    assert fit.coefficient("staff").ci_low > fit.coefficient("access").ci_high
    assert fit.n == size - len(range(0, size, 13))
    with pytest.raises(ValueError, match="collinear"):
        regress(staff, np.column_stack([staff, staff]), ["x", "y"], design)
