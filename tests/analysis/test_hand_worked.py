"""Small examples worked by hand from the textbook formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

import analysis


def _srs(size: int, population: float | None = None) -> analysis.Design:
    fpc = None if population is None else np.full(size, population)
    return analysis.Design(np.full(size, (population or size) / size), fpc=fpc)


def test_srs_mean_with_fpc_follows_cochran() -> None:
    """Cochran 1977, Theorem 2.2: v(ȳ) = (1 − n/N)·s²/n = 0.6 · (20/3) / 4 = 1."""
    result = analysis.mean(np.array([2.0, 4.0, 6.0, 8.0]), _srs(4, 10))
    assert result.estimate == pytest.approx(5.0)
    assert result.se == pytest.approx(1.0)
    assert (result.df, result.n) == (3, 4)


def test_srs_total_is_n_times_mean_with_n_squared_variance() -> None:
    """Cochran 1977, Theorem 2.2 corollary: Ŷ = Nȳ, v(Ŷ) = N²·v(ȳ)."""
    result = analysis.total(np.array([2.0, 4.0, 6.0, 8.0]), _srs(4, 10))
    assert result.estimate == pytest.approx(50.0)
    assert result.se == pytest.approx(10.0)


def test_ratio_matches_cochran_variance() -> None:
    """Cochran 1977, §6.3: v(R̂) = Σ(y − R̂x)² / ((n − 1)·n·x̄²) = (2/3) / (4 · 2.5²)."""
    x = np.array([1.0, 2.0, 3.0, 4.0])
    y = np.array([2.0, 3.0, 7.0, 8.0])
    result = analysis.ratio(y, x, _srs(4))
    assert result.estimate == pytest.approx(2.0)
    assert result.se == pytest.approx(math.sqrt(2 / 75))


def test_domain_mean_equals_the_subset_mean() -> None:
    """The point estimate of a domain is the weighted mean over its rows."""
    y = np.arange(1.0, 7.0)
    domain = np.array([True, True, False, True, False, False])
    result = analysis.mean(y, _srs(6), domain=domain)
    assert result.estimate == pytest.approx(7 / 3)
    assert result.n == 3


def test_domain_se_uses_the_full_design() -> None:
    """Lohr 2022, §4.3: v = n/(n−1)·Σ_d (y − ȳ_d)²/n_d² = (6/5)(42/9)/9, with df of all rows."""
    y = np.arange(1.0, 7.0)
    domain = np.array([True, True, False, True, False, False])
    result = analysis.mean(y, _srs(6), domain=domain)
    subset = analysis.mean(y[domain], _srs(3))
    assert result.se == pytest.approx(math.sqrt(6 / 5 * 42 / 81))
    assert result.df == 5
    assert result.se != pytest.approx(subset.se)


def test_missing_values_are_refused_by_default() -> None:
    """A NaN in y is an error unless the caller chooses to exclude it."""
    with pytest.raises(ValueError, match="missing='exclude'"):
        analysis.mean(np.array([1.0, np.nan, 3.0]), _srs(3))


def test_excluded_missing_values_act_as_outside_the_domain() -> None:
    """missing='exclude' gives the same answer as the domain of observed rows."""
    y = np.array([1.0, np.nan, 3.0, 8.0])
    excluded = analysis.mean(y, _srs(4), missing="exclude")
    domain = analysis.mean(np.nan_to_num(y), _srs(4), domain=~np.isnan(y))
    assert excluded == domain


def test_missing_labels_are_refused_in_a_proportion() -> None:
    """None in a categorical variable is missing, too."""
    labels = np.array(["a", None, "b"], dtype=object)
    with pytest.raises(ValueError, match="1 missing values"):
        analysis.proportion(labels, _srs(3), "a")


def test_logit_interval_is_symmetric_on_the_logit_scale() -> None:
    """logit(limits) = logit(p) ± t_{df}·se/(p(1 − p)) (R's svyciprop, method = "logit")."""
    labels = np.array(["a", "a", "b", "a", "b", "a", "a", "b"])
    result = analysis.proportion(labels, _srs(8), "a", interval=analysis.Interval.LOGIT)
    logit = [math.log(v / (1 - v)) for v in (result.ci_low, result.estimate, result.ci_high)]
    half = 2.364624252 * result.se / (result.estimate * (1 - result.estimate))
    assert logit[1] - logit[0] == pytest.approx(half)
    assert logit[2] - logit[1] == pytest.approx(half)


def test_logit_interval_is_refused_for_a_mean() -> None:
    """Only proportions have a logit interval."""
    with pytest.raises(ValueError, match="logit"):
        analysis.mean(np.array([1.0, 2.0]), _srs(2), interval="logit")
