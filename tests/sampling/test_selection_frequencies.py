"""Empirical inclusion frequencies over 4,000 seeded draws match the design's π_i.

Over R independent draws the count of draws holding row i is Binomial(R, π_i), so
|f_i − π_i| ≤ 4.5·√(π_i(1 − π_i)/R) for every row and method unless the design is wrong
(each comparison fails by chance with probability < 10⁻⁵; the seeds are fixed anyway).
Sources: Cochran (1977), *Sampling Techniques*, 3rd ed., §2.2 p. 20, §8.1 p. 205, §9A.10
p. 267; Lohr (2022), *Sampling: Design and Analysis*, 3rd ed., ch. 6 (certainty units).
"""

from __future__ import annotations

import numpy as np
import pytest

import sampling
from sampling import SelectionMethod

DRAWS = 4000
STRATA = np.array(["A"] * 8 + ["B"] * 12)
SIZES = {"A": 3, "B": 4}
# A's last unit is a certainty unit: 3·40/68 = 1.76 ≥ 1; then 2·7/28 = 0.5 < 1.
MEASURE = np.array([1, 2, 3, 4, 5, 6, 7, 40] + list(range(1, 13)), dtype=float)


# A fixed list order (PPS's default order is random, which would hide a biased start).
KEY = np.random.default_rng(3).permutation(STRATA.size).astype(float)


def frequencies(method: SelectionMethod, sort_by: np.ndarray | None) -> np.ndarray:
    """Share of DRAWS seeded draws (one Generator, seed 20240601) that hold each row."""
    rng = np.random.default_rng(20240601)
    hits = np.zeros(STRATA.size)
    for _ in range(DRAWS):
        selection = sampling.select(
            STRATA, SIZES, method=method, rng=rng, size_measure=MEASURE, sort_by=sort_by
        )
        hits[selection.indices] += 1
    return hits / DRAWS


@pytest.mark.parametrize("method", list(SelectionMethod))
@pytest.mark.parametrize("sort_by", [None, KEY], ids=["frame-order", "sorted"])
def test_inclusion_frequencies_match_pi(method: SelectionMethod, sort_by: np.ndarray) -> None:
    """Every row's frequency is within 4.5 binomial standard errors of π_i."""
    pi = sampling.inclusion_probabilities(STRATA, SIZES, method=method, size_measure=MEASURE)
    tolerance = 4.5 * np.sqrt(pi * (1 - pi) / DRAWS) + 1e-12
    assert np.all(np.abs(frequencies(method, sort_by) - pi) <= tolerance)


def test_the_pps_design_has_a_certainty_unit() -> None:
    """The frame exercises certainty: π = 1 for A's largest unit, x·2/28 for the rest of A."""
    pi = sampling.inclusion_probabilities(
        STRATA, SIZES, method=SelectionMethod.PPS_SYSTEMATIC, size_measure=MEASURE
    )
    assert pi[7] == 1.0
    assert pi[:7] == pytest.approx(np.arange(1, 8) * 2 / 28)
    assert pi[8:] == pytest.approx(np.arange(1, 13) * 4 / 78)
