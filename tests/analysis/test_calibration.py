"""Calibration-aware linearisation after post-stratification and raking."""

from __future__ import annotations

import math

import numpy as np
import pytest

import analysis
from analysis.calibration import calibrate
from tests.analysis.api_data import numbers, read

TYPES = {"E": 4421.0, "H": 755.0, "M": 1018.0}
SCHOOLWIDE = {"No": 1072.0, "Yes": 5122.0}


@pytest.fixture(scope="module")
def clus1() -> tuple[dict[str, np.ndarray], analysis.Design]:
    table = read("apiclus1")
    design = analysis.Design(numbers(table, "pw"), psu=table["dnum"], fpc=numbers(table, "fpc"))
    return table, design


def test_poststratified_mean_and_total_match_r(clus1: tuple) -> None:
    """R: dclus1p <- postStratify(dclus1, ~stype, pop.types) (example(postStratify)) prints
    svymean(~api00) 642.31 (SE 23.92) and svytotal(~enroll) 3,680,893 (SE 406,293)."""
    table, design = clus1
    calibrated = calibrate(design, {"stype": table["stype"]}, {"stype": TYPES})
    result = analysis.mean(numbers(table, "api00"), calibrated)
    assert result.estimate == pytest.approx(642.31, abs=0.005)
    assert result.se == pytest.approx(23.92, abs=0.005)
    enrolled = analysis.total(numbers(table, "enroll"), calibrated)
    assert enrolled.estimate == pytest.approx(3_680_893, abs=0.5)
    assert enrolled.se == pytest.approx(406_293, abs=0.5)
    # The naive formula on the same weights overstates the total's error by more than half.
    naive = analysis.total(
        numbers(table, "enroll"),
        analysis.Design(calibrated.weights, psu=table["dnum"], fpc=numbers(table, "fpc")),
    )
    assert naive.se > 1.5 * enrolled.se


def test_raked_mean_and_total_match_r(clus1: tuple) -> None:
    """R: rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide)) (example(rake))
    prints svymean(~api00) 641.23 (SE 23.70) and svytotal(~enroll) 3,647,280 (SE 400,603)."""
    table, design = clus1
    raked = calibrate(
        design,
        {"stype": table["stype"], "sch.wide": table["sch.wide"]},
        {"stype": TYPES, "sch.wide": SCHOOLWIDE},
    )
    result = analysis.mean(numbers(table, "api00"), raked)
    assert result.estimate == pytest.approx(641.23, abs=0.005)
    assert result.se == pytest.approx(23.70, abs=0.005)
    enrolled = analysis.total(numbers(table, "enroll"), raked)
    assert enrolled.estimate == pytest.approx(3_647_280, abs=0.5)
    assert enrolled.se == pytest.approx(400_603, abs=0.5)


def test_calibrated_margins_are_estimated_without_error(clus1: tuple) -> None:
    """A share fixed by calibration is known exactly, so its SE is zero (Lumley 2010, §7.2)."""
    table, design = clus1
    raked = calibrate(
        design,
        {"stype": table["stype"], "sch.wide": table["sch.wide"]},
        {"stype": TYPES, "sch.wide": SCHOOLWIDE},
    )
    elementary = analysis.proportion(table["stype"], raked, "E")
    assert elementary.estimate == pytest.approx(4421 / 6194, rel=1e-7)
    assert elementary.se == pytest.approx(0.0, abs=1e-7)
    schoolwide = analysis.proportion(table["sch.wide"], raked, "Yes")
    assert schoolwide.se == pytest.approx(0.0, abs=1e-7)


def test_poststratified_srs_by_hand() -> None:
    """Lohr 2022, §4.4: z_i = w_i(y_i − ȳ_h)/N, v = n/(n−1)·Σ_h (N_h/N)²·(n_h − 1)s_h²/n_h².

    Cells A (y = 1, 3; N = 60) and B (y = 4, 6, 8; N = 40): ȳ = 0.6·2 + 0.4·6 = 3.6 and
    v = 5/4 · (0.36·1·2/4 + 0.16·2·4/9) = 0.402777…
    """
    y = np.array([1.0, 3.0, 4.0, 6.0, 8.0])
    cells = np.array(["A", "A", "B", "B", "B"])
    design = calibrate(analysis.Design(np.ones(5)), {"cell": cells}, {"cell": {"A": 60, "B": 40}})
    result = analysis.mean(y, design)
    assert result.estimate == pytest.approx(3.6)
    assert result.se == pytest.approx(math.sqrt(1.25 * (0.36 * 0.5 + 0.16 * 8 / 9)))


def test_scaling_calibrated_weights_is_invariant() -> None:
    """The same targets from base weights ×10 give the same weights and SEs."""
    rng = np.random.default_rng(5)
    y = rng.normal(size=40)
    cells = np.repeat(["a", "b", "c", "d"], 10)
    base = rng.uniform(1, 3, 40)
    targets = {"cell": {"a": 100.0, "b": 50.0, "c": 80.0, "d": 20.0}}
    first = calibrate(analysis.Design(base), {"cell": cells}, targets)
    second = calibrate(analysis.Design(base * 10), {"cell": cells}, targets)
    np.testing.assert_allclose(first.weights, second.weights)
    assert analysis.mean(y, first).se == pytest.approx(analysis.mean(y, second).se)


def test_apply_recalibrates_other_base_weights() -> None:
    rng = np.random.default_rng(9)
    cells = np.repeat(["a", "b"], 5)
    design = calibrate(analysis.Design(np.ones(10)), {"c": cells}, {"c": {"a": 30, "b": 70}})
    assert design.calibration is not None
    other = design.calibration.apply(rng.uniform(0.5, 2, 10))
    assert other[:5].sum() == pytest.approx(30)
    assert other[5:].sum() == pytest.approx(70)


def test_calibrating_twice_or_mismatched_targets_is_refused() -> None:
    cells = np.array(["a", "b"])
    design = calibrate(analysis.Design(np.ones(2)), {"c": cells}, {"c": {"a": 1, "b": 1}})
    with pytest.raises(ValueError, match="already calibrated"):
        calibrate(design, {"c": cells}, {"c": {"a": 1, "b": 1}})
    with pytest.raises(ValueError, match="same variables"):
        calibrate(analysis.Design(np.ones(2)), {"c": cells}, {"d": {"a": 1, "b": 1}})
    with pytest.raises(ValueError, match="no weighted rows"):
        calibrate(analysis.Design(np.ones(2)), {"c": cells}, {"c": {"a": 1, "b": 1, "x": 2}})
