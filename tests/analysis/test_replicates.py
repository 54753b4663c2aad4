"""Replicate-weight variances: jackknives, the rescaled bootstrap and recalibrated replicates.

R reference output is from the survey package's worked example
(r-survey.r-forge.r-project.org/survey/example-summary.html), rclus1 <- as.svrepdesign(dclus1).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.typing import NDArray

import analysis
from analysis.calibration import calibrate
from tests.analysis.api_data import DATA, Table
from tests.analysis.api_data import numbers as _numbers
from tests.analysis.api_data import read as _read

needs_api = pytest.mark.skipif(not DATA.is_dir(), reason="the shared api data folder is absent")

TYPES = {"E": 4421.0, "H": 755.0, "M": 1018.0}


@pytest.fixture(scope="module")
def apiclus1() -> tuple[Table, analysis.Design]:
    table = _read("apiclus1")
    design = analysis.Design(_numbers(table, "pw"), psu=table["dnum"], fpc=_numbers(table, "fpc"))
    return table, design


@pytest.fixture(scope="module")
def apistrat() -> tuple[Table, analysis.Design]:
    table = _read("apistrat")
    design = analysis.Design(
        _numbers(table, "pw"), strata=table["stype"], fpc=_numbers(table, "fpc")
    )
    return table, design


# Four PSUs whose weighted totals Σ w·y are 4, 8, 12 and 16; 8 PSUs in the population.
HAND_Y = np.array([1.0, 1.0, 2.0, 3.0, 3.0, 4.0, 4.0, 4.0])
HAND_W = np.array([2.0, 2.0, 4.0, 2.0, 2.0, 1.0, 2.0, 1.0])
HAND_PSU = np.array(["a", "a", "b", "c", "c", "d", "d", "d"])
HAND_X = np.array([2.0, 1.0, 3.0, 5.0, 4.0, 6.0, 5.0, 4.0])


def _hand(fpc: float | None = 8.0) -> analysis.Design:
    population = None if fpc is None else np.full(HAND_Y.size, fpc)
    return analysis.Design(HAND_W, psu=HAND_PSU, fpc=population)


def _brute_force_jackknife_mean(
    y: NDArray[np.float64], design: analysis.Design
) -> tuple[list[float], list[float]]:
    """Delete each PSU in turn, reweight its stratum by n_h/(n_h − 1), recompute the mean."""
    layout = design.layout
    thetas: list[float] = []
    multipliers: list[float] = []
    for psu in range(layout.psu_stratum.size):
        stratum = layout.psu_stratum[psu]
        size = layout.psus_per_stratum[stratum]
        weights = design.weights.copy()
        weights[layout.row_stratum == stratum] *= size / (size - 1)
        weights[layout.row_psu == psu] = 0.0
        thetas.append(float(np.sum(weights * y) / np.sum(weights)))
        multipliers.append((size - 1) / size * float(layout.finite_correction[stratum]))
    return thetas, multipliers


# Jackknife: exact for totals


def test_jk1_total_variance_is_worked_by_hand() -> None:
    """Wolter 2007, ch. 4: (1 − 4/8)·(4/3)·Σ(z − 10)² = 0.5·(4/3)·80 for PSU totals 4, 8, 12, 16."""
    replicated = analysis.replicate_design(_hand(), "jk1")
    result = analysis.total(HAND_Y, replicated)
    assert result.estimate == pytest.approx(40.0)
    assert result.se == pytest.approx(math.sqrt(160 / 3), rel=1e-12)
    assert result.se == pytest.approx(analysis.total(HAND_Y, _hand()).se, rel=1e-12)
    assert (result.df, result.n) == (3, 8)


def test_jk1_weights_delete_one_psu_and_inflate_the_rest() -> None:
    """R's jk1weights: PSU j gets 0, the others G/(G − 1); scale (G − 1)/G·(1 − f), rscales 1."""
    replicated = analysis.replicate_design(_hand(), "jk1")
    assert replicated.replicates.shape == (8, 4)
    assert replicated.replicates[:, 1] == pytest.approx(
        HAND_W * [4 / 3, 4 / 3, 0, 4 / 3, 4 / 3, 4 / 3, 4 / 3, 4 / 3]
    )
    assert replicated.scale == pytest.approx(3 / 4 * 0.5)
    assert replicated.rscales == pytest.approx(np.ones(4))
    assert replicated.method is analysis.ReplicateMethod.JK1


@needs_api
def test_jk1_total_on_apiclus1_equals_taylor_and_r(
    apiclus1: tuple[Table, analysis.Design],
) -> None:
    """R: svytotal(~enroll, rclus1) prints 3,404,940.13, SE 932,235.03, as for dclus1."""
    table, design = apiclus1
    enroll = _numbers(table, "enroll")
    result = analysis.total(enroll, analysis.replicate_design(design, "jk1"))
    assert result.se == pytest.approx(analysis.total(enroll, design).se, rel=1e-12)
    assert result.estimate == pytest.approx(3_404_940.13, abs=0.005)
    assert result.se == pytest.approx(932_235.03, abs=0.005)


@needs_api
def test_jkn_total_on_apistrat_equals_taylor_with_fpc(
    apistrat: tuple[Table, analysis.Design],
) -> None:
    """JKn's rscales (1 − f_h)(n_h − 1)/n_h reproduce the stratified ultimate-cluster variance."""
    table, design = apistrat
    replicated = analysis.replicate_design(design, "jkn")
    for name in ("enroll", "api00"):
        values = _numbers(table, name)
        expected = analysis.total(values, design)
        result = analysis.total(values, replicated)
        assert result.estimate == pytest.approx(expected.estimate, rel=1e-12)
        assert result.se == pytest.approx(expected.se, rel=1e-12)
    assert replicated.count == 200
    assert replicated.df == 197


# Jackknife: nonlinear statistics


@needs_api
def test_jk1_means_and_proportions_on_apiclus1_match_r(
    apiclus1: tuple[Table, analysis.Design],
) -> None:
    """R: svymean(~api00+api99+stype, rclus1): SEs 26.3294, 26.9985; stype E 0.0514, H 0.0278."""
    table, design = apiclus1
    replicated = analysis.replicate_design(design, "jk1")
    api00 = analysis.mean(_numbers(table, "api00"), replicated)
    assert api00.estimate == pytest.approx(analysis.mean(_numbers(table, "api00"), design).estimate)
    assert api00.estimate == pytest.approx(644.169399, abs=5e-7)
    assert api00.se == pytest.approx(26.3294, abs=5e-5)
    assert analysis.mean(_numbers(table, "api99"), replicated).se == pytest.approx(
        26.9985, abs=5e-5
    )
    assert analysis.proportion(table["stype"], replicated, "E").se == pytest.approx(
        0.0514, abs=5e-5
    )
    assert analysis.proportion(table["stype"], replicated, "H").se == pytest.approx(
        0.0278, abs=5e-5
    )


@needs_api
def test_jk1_mean_se_is_near_taylor_on_apiclus1(apiclus1: tuple[Table, analysis.Design]) -> None:
    """With 15 clusters the jackknife of a ratio runs above linearisation (26.33 vs 23.54)."""
    table, design = apiclus1
    api00 = _numbers(table, "api00")
    taylor = analysis.mean(api00, design).se
    jackknife = analysis.mean(api00, analysis.replicate_design(design, "jk1")).se
    assert taylor < jackknife < 1.15 * taylor


@needs_api
def test_jkn_mean_se_is_within_a_few_percent_of_taylor(
    apistrat: tuple[Table, analysis.Design],
) -> None:
    """200 PSUs in 3 strata: the jackknife and linearisation agree closely (Wolter 2007, ch. 4)."""
    table, design = apistrat
    replicated = analysis.replicate_design(design)
    for name in ("api00", "api99", "meals"):
        values = _numbers(table, name)
        expected = analysis.mean(values, design)
        result = analysis.mean(values, replicated)
        assert result.estimate == pytest.approx(expected.estimate, rel=1e-12)
        assert result.se == pytest.approx(expected.se, rel=0.03)


@needs_api
def test_jkn_domain_mean_counts_the_domain_rows_and_uses_design_df(
    apistrat: tuple[Table, analysis.Design],
) -> None:
    """A domain keeps all replicates; n is the domain's rows, df the design's."""
    table, design = apistrat
    inside = table["awards"] == "Yes"
    api00 = _numbers(table, "api00")
    expected = analysis.mean(api00, design, domain=inside)
    result = analysis.mean(api00, analysis.replicate_design(design), domain=inside)
    assert result.estimate == pytest.approx(expected.estimate, rel=1e-12)
    assert result.se == pytest.approx(expected.se, rel=0.03)
    assert (result.n, result.df) == (int(inside.sum()), 197)


@needs_api
def test_vectorised_jkn_matches_a_brute_force_loop(
    apistrat: tuple[Table, analysis.Design],
) -> None:
    """Deleting PSUs one at a time in a loop gives the same replicate variance."""
    table, design = apistrat
    api00 = _numbers(table, "api00")
    thetas, multipliers = _brute_force_jackknife_mean(api00, design)
    centre = float(np.mean(thetas))
    expected = sum(m * (t - centre) ** 2 for t, m in zip(thetas, multipliers, strict=True))
    result = analysis.mean(api00, analysis.replicate_design(design, "jkn"))
    assert result.se == pytest.approx(math.sqrt(expected), rel=1e-10)


def test_vectorised_jk1_matches_a_brute_force_loop_on_a_ratio() -> None:
    """The same loop on the hand data, for a ratio, checks θ_r = Σw_r y / Σw_r x column-wise."""
    design = _hand()
    x = HAND_X
    thetas = []
    for psu in "abcd":
        weights = np.where(HAND_PSU == psu, 0.0, HAND_W * 4 / 3)
        thetas.append(float(np.sum(weights * HAND_Y) / np.sum(weights * x)))
    expected = 3 / 4 * 0.5 * float(np.sum((np.array(thetas) - np.mean(thetas)) ** 2))
    result = analysis.ratio(HAND_Y, x, analysis.replicate_design(design, "jk1"))
    assert result.se == pytest.approx(math.sqrt(expected), rel=1e-12)


def test_jkn_on_one_stratum_gives_jk1_variances() -> None:
    """An unstratified design is one stratum: JKn's rscales carry what JK1's scale does."""
    design = _hand()
    jk1 = analysis.mean(HAND_Y, analysis.replicate_design(design, "jk1"))
    jkn = analysis.mean(HAND_Y, analysis.replicate_design(design, "jkn"))
    assert jkn.se == pytest.approx(jk1.se, rel=1e-12)


# The variance formula


def _fixed(
    thetas: int, *, mse: bool, rscales: list[float] | None = None
) -> analysis.ReplicateDesign:
    weights = np.ones(2)
    scales = np.ones(thetas) if rscales is None else np.array(rscales)
    return analysis.ReplicateDesign(weights, np.ones((2, thetas)), 0.5, scales, 1, mse)


def test_replicate_variance_centres_at_the_replicate_mean_by_default() -> None:
    """R's svrVar: 0.5·((1 − 2)² + 0 + (3 − 2)²) = 1 for θ_r = 1, 2, 3."""
    design = _fixed(3, mse=False)
    assert analysis.replicate_variance([1.0, 2.0, 3.0], 2.5, design) == pytest.approx(1.0)


def test_replicate_variance_centres_at_the_estimate_with_mse() -> None:
    """mse=True: 0.5·(1.5² + 0.5² + 0.5²) = 1.375 around θ̂ = 2.5."""
    design = _fixed(3, mse=True)
    assert analysis.replicate_variance([1.0, 2.0, 3.0], 2.5, design) == pytest.approx(1.375)


def test_replicates_with_zero_rscale_do_not_move_the_centre() -> None:
    """R's svrVar averages only replicates with rscales > 0 (fully sampled strata)."""
    design = _fixed(3, mse=False, rscales=[2.0, 2.0, 0.0])
    assert analysis.replicate_variance([1.0, 3.0, 100.0], 0.0, design) == pytest.approx(2.0)


def test_mse_option_adds_the_bias_term_for_a_ratio() -> None:
    """V_mse = V + scale·Σ rscales·(θ̄ − θ̂)², so it is never smaller."""
    plain = analysis.replicate_design(_hand(), "jk1")  # equal PSU sizes: a mean would be linear
    centred = analysis.replicate_design(_hand(), "jk1", mse=True)
    small, large = (
        analysis.ratio(HAND_Y, HAND_X, plain).se,
        analysis.ratio(HAND_Y, HAND_X, centred).se,
    )
    thetas = (plain.replicates.T @ HAND_Y) / (plain.replicates.T @ HAND_X)
    estimate = float(np.sum(HAND_W * HAND_Y) / np.sum(HAND_W * HAND_X))
    bias = plain.scale * 4 * (float(np.mean(thetas)) - estimate) ** 2
    assert large**2 == pytest.approx(small**2 + bias, rel=1e-12)
    assert bias > 0


# Bootstrap


def test_bootstrap_is_deterministic_for_a_seed() -> None:
    """numpy's default_rng(seed) fixes the draws; another seed changes them."""
    design = analysis.Design(HAND_W, strata=HAND_PSU < "c", psu=HAND_PSU)
    first = analysis.replicate_design(design, "bootstrap", replicates=50, seed=7)
    again = analysis.replicate_design(design, "bootstrap", replicates=50, seed=7)
    other = analysis.replicate_design(design, "bootstrap", replicates=50, seed=8)
    assert np.array_equal(first.replicates, again.replicates)
    assert not np.array_equal(first.replicates, other.replicates)
    assert first.scale == pytest.approx(1 / 49)
    assert first.method is analysis.ReplicateMethod.BOOTSTRAP


@needs_api
def test_bootstrap_draws_n_minus_one_psus_per_stratum(
    apistrat: tuple[Table, analysis.Design],
) -> None:
    """Rao, Wu & Yue 1992: factors are k·n_h/(n_h − 1) and sum to n_h over a stratum's PSUs."""
    table, design = apistrat
    replicated = analysis.replicate_design(design, "bootstrap", replicates=30, seed=1)
    factors = replicated.replicates / design.weights[:, None]
    for label, size in (("E", 100), ("H", 50), ("M", 50)):
        rows = table["stype"] == label  # each school is its own PSU here
        times = factors[rows] * (size - 1) / size
        assert times == pytest.approx(np.round(times))
        assert factors[rows].sum(axis=0) == pytest.approx(np.full(30, size))


@needs_api
def test_bootstrap_total_se_is_near_taylor(apistrat: tuple[Table, analysis.Design]) -> None:
    """Rao & Wu 1988: the rescaled bootstrap's variance of a total is unbiased for the
    with-replacement linearisation variance; 2000 replicates put the SE within 10%."""
    table, stratified = apistrat
    design = analysis.Design(stratified.weights, strata=table["stype"])  # no fpc, as R's
    replicated = analysis.replicate_design(design, "bootstrap", replicates=2000, seed=2024)
    for name in ("enroll", "api00"):
        values = _numbers(table, name)
        expected = analysis.total(values, design)
        result = analysis.total(values, replicated)
        assert result.estimate == pytest.approx(expected.estimate, rel=1e-12)
        assert result.se == pytest.approx(expected.se, rel=0.10)


# Calibrated designs


@needs_api
def test_every_jk1_replicate_is_poststratified_to_the_targets(
    apiclus1: tuple[Table, analysis.Design],
) -> None:
    """R's postStratify on replicate designs recalibrates each replicate (Lumley 2010, §7.2)."""
    table, design = apiclus1
    calibrated = calibrate(design, {"stype": table["stype"]}, {"stype": TYPES})
    replicated = analysis.replicate_design(calibrated, "jk1")
    assert np.array_equal(replicated.weights, calibrated.weights)
    for label, target in TYPES.items():
        sums = replicated.replicates[table["stype"] == label].sum(axis=0)
        assert sums == pytest.approx(np.full(15, target), rel=1e-12)
    # Each replicate deletes one whole district, and each district once.
    for cluster in np.unique(table["dnum"]):
        rows = table["dnum"] == cluster
        zero = np.flatnonzero((replicated.replicates[rows] == 0).all(axis=0))
        assert zero.size == 1
        assert np.count_nonzero(replicated.replicates[:, zero[0]] == 0) == rows.sum()


@needs_api
def test_every_jk1_replicate_is_raked_to_both_margins(
    apiclus1: tuple[Table, analysis.Design],
) -> None:
    """R's rake() on a replicate design rakes every replicate (Lumley 2010, §7.3)."""
    table, design = apiclus1
    margins = {"stype": table["stype"], "sch.wide": table["sch.wide"]}
    targets = {"stype": TYPES, "sch.wide": {"No": 1072.0, "Yes": 5122.0}}
    replicated = analysis.replicate_design(calibrate(design, margins, targets), "jk1")
    for name, totals in targets.items():
        for label, target in totals.items():
            sums = replicated.replicates[margins[name] == label].sum(axis=0)
            assert sums == pytest.approx(np.full(15, target), rel=1e-7)


@needs_api
def test_calibrated_jk1_mean_se_is_near_calibrated_taylor(
    apiclus1: tuple[Table, analysis.Design],
) -> None:
    """Recalibrated replicates and calibration residuals give similar SEs (Lumley 2010, §7.2)."""
    table, design = apiclus1
    calibrated = calibrate(design, {"stype": table["stype"]}, {"stype": TYPES})
    api00 = _numbers(table, "api00")
    taylor = analysis.mean(api00, calibrated)
    result = analysis.mean(api00, analysis.replicate_design(calibrated, "jk1"))
    assert result.estimate == pytest.approx(taylor.estimate, rel=1e-12)
    assert result.se == pytest.approx(taylor.se, rel=0.15)
    # Without recalibration the replicates would miss the SE reduction of the totals.
    enroll = _numbers(table, "enroll")
    recalibrated = analysis.total(enroll, analysis.replicate_design(calibrated, "jk1")).se
    assert recalibrated < 0.6 * analysis.total(enroll, design).se


@needs_api
def test_a_calibrated_share_has_no_replicate_variance(
    apiclus1: tuple[Table, analysis.Design],
) -> None:
    """Every replicate meets the stype margin, so the share of E schools is fixed."""
    table, design = apiclus1
    calibrated = calibrate(design, {"stype": table["stype"]}, {"stype": TYPES})
    result = analysis.proportion(table["stype"], analysis.replicate_design(calibrated, "jk1"), "E")
    assert result.estimate == pytest.approx(4421 / 6194, rel=1e-12)
    assert result.se == pytest.approx(0.0, abs=1e-12)


# Errors


@needs_api
def test_jk1_refuses_a_stratified_design(apistrat: tuple[Table, analysis.Design]) -> None:
    with pytest.raises(ValueError, match="method='jkn'"):
        analysis.replicate_design(apistrat[1], "jk1")


@pytest.mark.parametrize("method", ["jkn", "bootstrap"])
def test_a_single_psu_stratum_is_refused(method: str) -> None:
    """Like the linearisation default (lonely_psu='fail'), a lone PSU is an error."""
    paired = analysis.Design(HAND_W, strata=HAND_PSU < "c", psu=HAND_PSU)
    alone = analysis.Design(HAND_W, strata=HAND_PSU == "b", psu=HAND_PSU)
    analysis.replicate_design(paired, method, replicates=10)
    with pytest.raises(ValueError, match="stratum True has a single PSU"):
        analysis.replicate_design(alone, method, replicates=10)


@pytest.mark.parametrize("count", [0, 1, -5, 2.5, True, "200"])
def test_a_bad_bootstrap_replicate_count_is_refused(count: object) -> None:
    with pytest.raises(ValueError, match="replicates"):
        analysis.replicate_design(_hand(), "bootstrap", replicates=count)  # type: ignore[arg-type]


def test_an_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="brr"):
        analysis.replicate_design(_hand(), "brr")


def test_a_domain_deleted_by_a_replicate_is_refused() -> None:
    """A domain inside one PSU has no rows in that PSU's replicate: no ratio can be formed."""
    replicated = analysis.replicate_design(_hand(), "jk1")
    with pytest.raises(ValueError, match="replicate 2 has a zero denominator"):
        analysis.mean(HAND_Y, replicated, domain=HAND_PSU == "b")


def test_replicate_design_checks_its_shapes() -> None:
    with pytest.raises(ValueError, match="rscales needs one value per replicate"):
        analysis.ReplicateDesign(np.ones(3), np.ones((3, 4)), 1.0, np.ones(3), 2)
    with pytest.raises(ValueError, match="3 rows"):
        analysis.ReplicateDesign(np.ones(3), np.ones((2, 4)), 1.0, np.ones(4), 2)
