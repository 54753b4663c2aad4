"""Estimates on R's api data match the R survey package (shared/data/api/README.md).

Tolerances are half a unit in the last printed digit of the published numbers.
"""

from __future__ import annotations

import pytest

import analysis
from tests.analysis.api_data import DATA, Table
from tests.analysis.api_data import numbers as _numbers
from tests.analysis.api_data import read as _read

if not DATA.is_dir():
    pytest.skip("the shared api data folder is absent", allow_module_level=True)


@pytest.fixture(scope="module")
def apistrat() -> tuple[Table, analysis.Design]:
    table = _read("apistrat")
    design = analysis.Design(
        _numbers(table, "pw"), strata=table["stype"], fpc=_numbers(table, "fpc")
    )
    return table, design


@pytest.fixture(scope="module")
def apiclus1() -> tuple[Table, analysis.Design]:
    table = _read("apiclus1")
    design = analysis.Design(_numbers(table, "pw"), psu=table["dnum"], fpc=_numbers(table, "fpc"))
    return table, design


def test_apistrat_mean_api00_matches_r(apistrat: tuple[Table, analysis.Design]) -> None:
    """svymean(~api00, dstrat): 662.29, SE 9.4089."""
    table, design = apistrat
    result = analysis.mean(_numbers(table, "api00"), design)
    assert result.estimate == pytest.approx(662.29, abs=0.005)
    assert result.se == pytest.approx(9.4089, abs=0.00005)


def test_apistrat_degrees_of_freedom_are_psus_minus_strata(
    apistrat: tuple[Table, analysis.Design],
) -> None:
    """degf(dstrat) = 200 − 3 = 197."""
    assert apistrat[1].df == 197


def test_apiclus1_mean_api00_matches_r(apiclus1: tuple[Table, analysis.Design]) -> None:
    """svymean(~api00, dclus1): 644.17, SE 23.542."""
    table, design = apiclus1
    result = analysis.mean(_numbers(table, "api00"), design)
    assert result.estimate == pytest.approx(644.17, abs=0.005)
    assert result.se == pytest.approx(23.542, abs=0.0005)


def test_apiclus1_mean_api99_matches_r(apiclus1: tuple[Table, analysis.Design]) -> None:
    """svymean(~api99, dclus1): 606.98, SE 24.225."""
    table, design = apiclus1
    result = analysis.mean(_numbers(table, "api99"), design)
    assert result.estimate == pytest.approx(606.98, abs=0.005)
    assert result.se == pytest.approx(24.225, abs=0.0005)


def test_apiclus1_total_enroll_matches_r(apiclus1: tuple[Table, analysis.Design]) -> None:
    """svytotal(~enroll, dclus1): 3,404,940, SE 932,235."""
    table, design = apiclus1
    result = analysis.total(_numbers(table, "enroll"), design)
    assert result.estimate == pytest.approx(3_404_940, abs=0.5)
    assert result.se == pytest.approx(932_235, abs=0.5)


def test_apiclus1_proportion_elementary_matches_r(
    apiclus1: tuple[Table, analysis.Design],
) -> None:
    """svymean(~stype, dclus1), level E: 0.78689, SE 0.0463."""
    table, design = apiclus1
    result = analysis.proportion(table["stype"], design, "E")
    assert result.estimate == pytest.approx(0.78689, abs=0.000005)
    assert result.se == pytest.approx(0.0463, abs=0.00005)


def test_apiclus1_degrees_of_freedom_are_psus_minus_strata(
    apiclus1: tuple[Table, analysis.Design],
) -> None:
    """degf(dclus1) = 15 clusters − 1 stratum = 14."""
    assert apiclus1[1].df == 14
    assert apiclus1[1].n == 183


def test_t_interval_uses_the_design_degrees_of_freedom(
    apiclus1: tuple[Table, analysis.Design],
) -> None:
    """confint(svymean(~api00, dclus1), df = degf(dclus1)): ± t_{0.975, 14} · SE."""
    table, design = apiclus1
    result = analysis.mean(_numbers(table, "api00"), design)
    assert result.ci_high - result.estimate == pytest.approx(2.144786688 * result.se, rel=1e-9)


def test_normal_interval_is_r_confint_default(apiclus1: tuple[Table, analysis.Design]) -> None:
    """R's confint uses the normal quantile 1.959964 unless given df."""
    table, design = apiclus1
    result = analysis.mean(_numbers(table, "api00"), design, interval="normal")
    assert result.estimate - result.ci_low == pytest.approx(1.959963985 * result.se, rel=1e-9)


def test_logit_interval_lies_inside_zero_one_and_is_asymmetric(
    apiclus1: tuple[Table, analysis.Design],
) -> None:
    """svyciprop(~I(stype == "E"), dclus1, method = "logit") back-transforms a logit interval."""
    table, design = apiclus1
    result = analysis.proportion(table["stype"], design, "E", interval="logit")
    assert 0 < result.ci_low < result.estimate < result.ci_high < 1
    assert result.ci_high - result.estimate < result.estimate - result.ci_low
