"""Stratified selection: reproducibility, sizes, inclusion probabilities, order, refusals.

Sources: Cochran (1977), *Sampling Techniques*, 3rd ed.: §2.2 p. 20 (SRSWOR), §8.1 p. 205
(systematic sampling), §9A.10 p. 267 (systematic PPS, Madow's method). Lohr (2022),
*Sampling: Design and Analysis*, 3rd ed., ch. 6 (certainty units). The PPS worked example is
``TeachingSampling::PikPPS`` Example 1 (x = 30, 41, 50, 170, 43, 200; n = 3), after Särndal,
Swensson & Wretman (1992), *Model Assisted Survey Sampling*.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import sampling
from sampling import SelectionMethod

METHODS = list(SelectionMethod)
PIK_PPS_X = np.array([30.0, 41.0, 50.0, 170.0, 43.0, 200.0])


def frame(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three strata of 40, 25 and 60 rows, shuffled; a size measure and a sort key per row."""
    rng = np.random.default_rng(seed)
    strata = rng.permutation(np.repeat(np.array(["Q1", "Q3", "Binh Chanh"]), [40, 25, 60]))
    return strata, rng.integers(1, 50, strata.size).astype(float), rng.random(strata.size)


SIZES = {"Q1": 8, "Q3": 5, "Binh Chanh": 12}


def draw(method: SelectionMethod, seed: int, **kwargs: Any) -> sampling.Selection:
    strata, measure, key = frame()
    return sampling.select(
        strata,
        SIZES,
        method=method,
        rng=np.random.default_rng(seed),
        size_measure=measure,
        sort_by=kwargs.get("sort_by", key),
    )


@pytest.mark.parametrize("method", METHODS)
def test_same_seed_same_sample(method: SelectionMethod) -> None:
    """Frame, plan and seed fix the sample: nothing but the Generator supplies randomness."""
    first, second = draw(method, 2024), draw(method, 2024)
    assert np.array_equal(first.indices, second.indices)
    assert np.array_equal(first.inclusion_probabilities, second.inclusion_probabilities)


@pytest.mark.parametrize("method", METHODS)
def test_different_seeds_give_different_samples(method: SelectionMethod) -> None:
    """Ten seeds give more than one distinct sample."""
    samples = {tuple(draw(method, seed).indices) for seed in range(10)}
    assert len(samples) > 1


@pytest.mark.parametrize("method", METHODS)
def test_each_stratum_gets_exactly_its_size(method: SelectionMethod) -> None:
    """Exactly n_h rows per stratum, no row twice, indices ascending."""
    strata = frame()[0]
    selection = draw(method, 7)
    labels, counts = np.unique(strata[selection.indices], return_counts=True)
    assert dict(zip(labels.tolist(), counts.tolist(), strict=True)) == SIZES
    assert np.all(np.diff(selection.indices) > 0)


@pytest.mark.parametrize("method", METHODS)
def test_inclusion_probabilities_add_up_to_the_stratum_size(method: SelectionMethod) -> None:
    """Σ_{i∈h} π_i = n_h for a fixed-size design (Horvitz & Thompson 1952)."""
    strata, measure, _ = frame()
    pi = sampling.inclusion_probabilities(strata, SIZES, method=method, size_measure=measure)
    for label, size in SIZES.items():
        assert pi[strata == label].sum() == pytest.approx(size)


@pytest.mark.parametrize("method", METHODS)
def test_selection_carries_the_design_probabilities(method: SelectionMethod) -> None:
    """The π of each selected row is the design's π for that row; weights are 1/π."""
    strata, measure, _ = frame()
    pi = sampling.inclusion_probabilities(strata, SIZES, method=method, size_measure=measure)
    selection = draw(method, 11)
    assert selection.inclusion_probabilities == pytest.approx(pi[selection.indices])
    assert selection.weights == pytest.approx(1 / pi[selection.indices])


def test_srswor_probabilities_are_sampling_fractions() -> None:
    """SRSWOR: π = n_h/N_h, so the weights of a stratum add up to N_h (Cochran 1977, p. 20)."""
    strata = frame()[0]
    selection = draw(SelectionMethod.SRSWOR, 3)
    chosen = strata[selection.indices]
    for label, size, total in (("Q1", 8, 40), ("Q3", 5, 25), ("Binh Chanh", 12, 60)):
        assert selection.inclusion_probabilities[chosen == label] == pytest.approx(size / total)
        assert selection.weights[chosen == label].sum() == pytest.approx(total)


def test_pps_certainty_units_of_the_pikpps_example() -> None:
    """x = (30, 41, 50, 170, 43, 200), n = 3 (TeachingSampling::PikPPS, Example 1).

    3·200/534 = 1.12 ≥ 1: 200 is certain. Then 2·170/334 = 1.02 ≥ 1: 170 is certain too.
    The last draw spreads over 164: π = (30, 41, 50, –, 43, –)/164 = (.1829, .25, .3049, .2622).
    """
    pi = sampling.inclusion_probabilities(
        ["h"] * 6, {"h": 3}, method=SelectionMethod.PPS_SYSTEMATIC, size_measure=PIK_PPS_X
    )
    assert pi == pytest.approx([30 / 164, 41 / 164, 50 / 164, 1.0, 43 / 164, 1.0])
    for seed in range(20):
        selection = sampling.select(
            ["h"] * 6,
            {"h": 3},
            method=SelectionMethod.PPS_SYSTEMATIC,
            rng=np.random.default_rng(seed),
            size_measure=PIK_PPS_X,
        )
        assert {3, 5} <= set(selection.indices.tolist())
        assert selection.indices.size == 3


def test_systematic_takes_every_tenth_row_in_sort_order() -> None:
    """N = 100, n = 10, interval k = 10: sorted by the key, ranks r, r + 10, …, r + 90."""
    rng = np.random.default_rng(5)
    key = rng.permutation(100).astype(float)
    for seed in range(25):
        selection = sampling.select(
            ["all"] * 100,
            {"all": 10},
            method=SelectionMethod.SYSTEMATIC,
            rng=np.random.default_rng(seed),
            sort_by=key,
        )
        ranks = np.sort(key[selection.indices])
        assert np.all(np.diff(ranks) == 10)


def test_systematic_with_a_fractional_interval() -> None:
    """N = 25, n = 10, k = 2.5: gaps of 2 or 3 in sort order, exactly 10 rows (Cochran §8.1)."""
    key = np.arange(25)[::-1].astype(float)
    for seed in range(25):
        selection = sampling.select(
            ["all"] * 25,
            {"all": 10},
            method=SelectionMethod.SYSTEMATIC,
            rng=np.random.default_rng(seed),
            sort_by=key,
        )
        ranks = np.sort(key[selection.indices])
        assert ranks.size == 10
        assert set(np.diff(ranks).tolist()) <= {2.0, 3.0}


def test_systematic_without_a_key_follows_frame_order() -> None:
    """No sort_by: the frame's own order is the list (interval 4 within each stratum)."""
    strata = np.array(["a", "b"] * 20)
    selection = sampling.select(
        strata, {"a": 5, "b": 5}, method=SelectionMethod.SYSTEMATIC, rng=np.random.default_rng(1)
    )
    for label in ("a", "b"):
        rows = selection.indices[strata[selection.indices] == label]
        assert np.all(np.diff(rows) == 8)  # every 4th row of the stratum, rows alternate


def test_unplanned_strata_are_not_sampled() -> None:
    """A stratum missing from sizes gets no sample; 0 for a stratum not in the frame is fine."""
    strata, measure, _ = frame()
    for method in METHODS:
        selection = sampling.select(
            strata,
            {"Q3": 4, "Thu Duc": 0},
            method=method,
            rng=np.random.default_rng(0),
            size_measure=measure,
        )
        assert set(strata[selection.indices].tolist()) == {"Q3"}
        assert selection.indices.size == 4


def test_integer_stratum_codes_are_matched_as_text() -> None:
    """Integer codes (small range, or wide like 10¹²) are labels "7", "1000000000000"."""
    for codes in (np.array([7, 3, 7, 3, 7, 9]), np.array([10**12, 5, 10**12, 5, 5, 5])):
        sizes = {str(codes[0]): 2, str(codes[1]): 1}
        selection = sampling.select(
            codes, sizes, method=SelectionMethod.SRSWOR, rng=np.random.default_rng(0)
        )
        picked = codes[selection.indices].tolist()
        assert sorted(picked) == sorted([codes[0], codes[0], codes[1]])


def test_selection_arrays_are_read_only() -> None:
    """A Selection is a frozen record: its arrays cannot be edited in place."""
    selection = draw(SelectionMethod.SRSWOR, 0)
    with pytest.raises(ValueError, match="read-only"):
        selection.indices[0] = 99


def test_a_census_stratum_takes_every_row() -> None:
    """n_h = N_h: every row, π = 1, for each method."""
    for method in METHODS:
        selection = sampling.select(
            ["a"] * 5,
            {"a": 5},
            method=method,
            rng=np.random.default_rng(0),
            size_measure=np.arange(1.0, 6.0),
        )
        assert selection.indices.tolist() == [0, 1, 2, 3, 4]
        assert selection.inclusion_probabilities == pytest.approx(np.ones(5))


@pytest.mark.parametrize(
    ("sizes", "kwargs", "message"),
    [
        ({"Q9": 2}, {}, "'Q9' has a sample size but no row in the frame"),
        ({"Q1": 41}, {}, "asks for 41 units but the frame has only 40"),
        ({"Q1": -1}, {}, "must be a whole number ≥ 0"),
        ({"Q1": 2}, {"size_measure": None}, "PPS selection needs size_measure"),
        ({"Q1": 2}, {"size_measure": np.zeros(125)}, "positive and finite for every frame row"),
        ({"Q1": 2}, {"size_measure": np.full(125, np.nan)}, "positive and finite"),
        ({"Q1": 2}, {"size_measure": np.ones(124)}, "one value per frame row \\(125\\)"),
        ({"Q1": 2}, {"sort_by": np.ones(3)}, "sort_by must have one value per frame row"),
    ],
)
def test_bad_plans_are_refused(sizes: dict[str, int], kwargs: dict[str, Any], message: str) -> None:
    """Each refusal is a ValueError sentence that says why."""
    strata, measure, _ = frame()
    arguments: dict[str, Any] = {"size_measure": measure, **kwargs}
    with pytest.raises(ValueError, match=message):
        sampling.select(
            strata,
            sizes,
            method=SelectionMethod.PPS_SYSTEMATIC,
            rng=np.random.default_rng(0),
            **arguments,
        )


def test_strata_must_be_one_label_per_row() -> None:
    """A 2-D array is not a frame column."""
    with pytest.raises(ValueError, match="one label per frame row"):
        sampling.select(
            np.array([["a", "b"]]),
            {"a": 1},
            method=SelectionMethod.SRSWOR,
            rng=np.random.default_rng(0),
        )


def test_rng_must_be_a_generator() -> None:
    """A bare seed is refused: the caller owns the Generator and so the reproducibility."""
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        sampling.select(["a"], {"a": 1}, method=SelectionMethod.SRSWOR, rng=7)  # type: ignore[arg-type]
