"""Allocation to strata against hand-worked tables.

Sources: Cochran (1977), *Sampling Techniques*, 3rd ed.: §5.3 p. 91 (proportional),
§5.5 pp. 96–99 (Neyman and optimum allocation), §5.8 p. 104 (allocation requiring more than
100 per cent sampling). Lohr (2022), *Sampling: Design and Analysis*, 3rd ed., §3.4.
Bankier (1988), "Power allocations", *The American Statistician* 42(3), 174–177.
Valliant, Dever & Kreuter (2018), *Practical Tools for Designing and Weighting Survey
Samples*, 2nd ed., ch. 3, and its R package PracTools (``strAlloc`` example).
Balinski & Young (2001), *Fair Representation*, 2nd ed. (Hamilton's method, Alabama paradox).
"""

from __future__ import annotations

from typing import Any

import pytest

import sampling
from sampling import Allocation, Rounding


def test_proportional_allocation() -> None:
    """n_h = n·N_h/N: 100 × (500, 300, 200)/1,000 = (50, 30, 20) (Cochran 1977, p. 91)."""
    population = {"a": 500, "b": 300, "c": 200}
    assert sampling.allocate(population, 100, Allocation.PROPORTIONAL) == {
        "a": 50,
        "b": 30,
        "c": 20,
    }


def test_proportional_allocation_rounds_by_largest_remainder() -> None:
    """10 × (6, 6, 2)/14 = (4.286, 4.286, 1.429): floors (4, 4, 1), the spare unit to .429."""
    population = {"a": 6, "b": 6, "c": 2}
    quotas = sampling.allocation_quotas(population, 10, Allocation.PROPORTIONAL)
    assert list(quotas.values()) == pytest.approx([60 / 14, 60 / 14, 20 / 14])
    assert sampling.allocate(population, 10, Allocation.PROPORTIONAL) == {"a": 4, "b": 4, "c": 2}


def test_neyman_allocation() -> None:
    """n_h ∝ N_h·S_h = (2,000, 3,000, 6,000): 110 → (20, 30, 60) (Cochran 1977, §5.5, p. 99)."""
    population = {"a": 400, "b": 300, "c": 300}
    stddev = {"a": 5.0, "b": 10.0, "c": 20.0}
    expected = {"a": 20, "b": 30, "c": 60}
    assert sampling.allocate(population, 110, Allocation.NEYMAN, stddev=stddev) == expected


def test_neyman_allocation_of_the_practools_example() -> None:
    """PracTools ``strAlloc(n.tot = 100, Nh, Sh, alloc = "neyman")`` (Valliant et al. 2018, ch. 3).

    Σ N_h·S_h = 16.625 × 10⁹; 100·N_h·S_h/Σ = (34.642, 4.162, 10.473, 3.334, 8.799, 38.590);
    largest remainder gives the spare units to .799, .642 and .590.
    """
    sizes = [215, 65, 252, 50, 149, 144]
    deviations = [26787207, 10645109, 6909676, 11085034, 9817762, 44553355]
    population = {f"h{i}": n for i, n in enumerate(sizes, 1)}
    stddev = {f"h{i}": float(s) for i, s in enumerate(deviations, 1)}
    quotas = sampling.allocation_quotas(population, 100, Allocation.NEYMAN, stddev=stddev)
    assert list(quotas.values()) == pytest.approx(
        [34.6417, 4.1619, 10.4735, 3.3338, 8.7990, 38.5901], abs=1e-4
    )
    counts = sampling.allocate(population, 100, Allocation.NEYMAN, stddev=stddev)
    assert list(counts.values()) == [35, 4, 10, 3, 9, 39]


def test_neyman_allocation_of_three_strata() -> None:
    """N = (1,540, 770, 385), S = (2.6, 3, 3.3), n = 261: N_h·S_h = (4,004, 2,310, 1,270.5).

    Shares 261·N_h·S_h/7,584.5 = (137.787, 79.492, 43.721) → (138, 79, 44) (Cochran 1977, §5.5).
    """
    population = {"a": 1540, "b": 770, "c": 385}
    stddev = {"a": 2.6, "b": 3.0, "c": 3.3}
    quotas = sampling.allocation_quotas(population, 261, Allocation.NEYMAN, stddev=stddev)
    assert list(quotas.values()) == pytest.approx([137.78680, 79.49239, 43.72081], abs=1e-5)
    counts = sampling.allocate(population, 261, Allocation.NEYMAN, stddev=stddev)
    assert counts == {"a": 138, "b": 79, "c": 44}


def test_optimal_allocation_with_costs() -> None:
    """n_h ∝ N_h·S_h/√c_h = (10,000/2, 10,000/1, 20,000/4) → 200 as (50, 100, 50) (Cochran p. 98).

    Neyman (equal costs) would give (50, 50, 100): the cheap stratum b gets twice as much.
    """
    population = {"a": 1000, "b": 2000, "c": 1000}
    stddev = {"a": 10.0, "b": 5.0, "c": 20.0}
    cost = {"a": 4.0, "b": 1.0, "c": 16.0}
    optimal = sampling.allocate(population, 200, Allocation.OPTIMAL, stddev=stddev, cost=cost)
    neyman = sampling.allocate(population, 200, Allocation.NEYMAN, stddev=stddev)
    assert optimal == {"a": 50, "b": 100, "c": 50}
    assert neyman == {"a": 50, "b": 50, "c": 100}


def test_power_allocation_square_root() -> None:
    """Bankier (1988): n_h ∝ N_h^a; a = ½: √(100, 400, 900, 1,600) = (10, 20, 30, 40) → 50."""
    population = {"a": 100, "b": 400, "c": 900, "d": 1600}
    counts = sampling.allocate(population, 50, Allocation.POWER, power=0.5)
    assert counts == {"a": 5, "b": 10, "c": 15, "d": 20}


def test_power_allocation_ends_are_proportional_and_equal() -> None:
    """a = 1 is proportional (1.67, 6.67, 15, 26.67 → 2, 7, 15, 26); a = 0 is equal (12.5 each)."""
    population = {"a": 100, "b": 400, "c": 900, "d": 1600}
    one = sampling.allocate(population, 50, Allocation.POWER, power=1.0)
    zero = sampling.allocate(population, 50, Allocation.POWER, power=0.0)
    assert one == sampling.allocate(population, 50, Allocation.PROPORTIONAL)
    assert one == {"a": 2, "b": 7, "c": 15, "d": 26}
    assert zero == sampling.allocate(population, 50, Allocation.EQUAL)
    assert zero == {"a": 13, "b": 13, "c": 12, "d": 12}


def test_equal_allocation_caps_a_small_stratum() -> None:
    """Equal shares 10/3 each, but N_a = 2: take all of a, 8 split (4, 4) (Lohr 2022, §3.4)."""
    population = {"a": 2, "b": 50, "c": 50}
    assert sampling.allocate(population, 10, Allocation.EQUAL) == {"a": 2, "b": 4, "c": 4}


def test_ties_go_to_the_earlier_stratum() -> None:
    """Three shares of 2/3: the two spare units go to the first two strata in mapping order."""
    assert sampling.allocate({"a": 1, "b": 1, "c": 1}, 2, Allocation.PROPORTIONAL) == {
        "a": 1,
        "b": 1,
        "c": 0,
    }
    assert sampling.allocate({"c": 1, "b": 1, "a": 1}, 2, Allocation.PROPORTIONAL) == {
        "c": 1,
        "b": 1,
        "a": 0,
    }


def test_half_ties_survive_floating_point() -> None:
    """Shares 2.5 and 3.5 (5 × 10/20, 7 × 10/20) tie on .5; the earlier stratum wins."""
    counts = sampling.allocate({"x": 5, "y": 7, "z": 8}, 10, Allocation.PROPORTIONAL)
    assert counts == {"x": 3, "y": 3, "z": 4}


def test_take_all_strata_are_capped_iteratively() -> None:
    """Cochran 1977, §5.8, p. 104: cap a share above N_h at N_h, re-allocate the rest, repeat.

    N = (10, 16, 1,000, 1,000), S = (100, 40, 1, 1): N·S = (1,000, 640, 1,000, 1,000), n = 90.
    Round 1: 90·N·S/3,640 = (24.7, 15.8, 24.7, 24.7): a > 10 is capped, b ≤ 16 is not yet.
    Round 2: 80·(640, 1,000, 1,000)/2,640 = (19.4, 30.3, 30.3): now b > 16 is capped.
    Round 3: 64 over c and d = (32, 32). Result (10, 16, 32, 32).
    """
    population = {"a": 10, "b": 16, "c": 1000, "d": 1000}
    stddev = {"a": 100.0, "b": 40.0, "c": 1.0, "d": 1.0}
    quotas = sampling.allocation_quotas(population, 90, Allocation.NEYMAN, stddev=stddev)
    assert list(quotas.values()) == pytest.approx([10.0, 16.0, 32.0, 32.0])
    counts = sampling.allocate(population, 90, Allocation.NEYMAN, stddev=stddev)
    assert counts == {"a": 10, "b": 16, "c": 32, "d": 32}


def test_minimum_raises_a_small_stratum() -> None:
    """Proportional shares (49.5, 49.5, 0.99), minimum 10: c = 10, the other 90 → (45, 45)."""
    population = {"a": 1000, "b": 1000, "c": 20}
    counts = sampling.allocate(population, 100, Allocation.PROPORTIONAL, minimum=10)
    assert counts == {"a": 45, "b": 45, "c": 10}


def test_minimum_is_capped_by_the_stratum_size() -> None:
    """minimum 5 but N_b = 3: b takes all 3 (min(minimum, N_h)), a the other 47."""
    counts = sampling.allocate({"a": 1000, "b": 3}, 50, Allocation.PROPORTIONAL, minimum=5)
    assert counts == {"a": 47, "b": 3}


def test_a_census_takes_every_unit() -> None:
    """n = Σ N_h leaves no choice: n_h = N_h for every method."""
    population = {"a": 7, "b": 0, "c": 12}
    assert sampling.allocate(population, 19, Allocation.EQUAL) == population


def test_largest_remainder_shows_the_alabama_paradox() -> None:
    """Hamilton's method is not house-monotone (Balinski & Young 2001): n 10 → 11 costs c a unit.

    n = 10: (4.286, 4.286, 1.429) → (4, 4, 2); n = 11: (4.714, 4.714, 1.571) → (5, 5, 1).
    """
    population = {"a": 6, "b": 6, "c": 2}
    assert sampling.allocate(population, 10, Allocation.PROPORTIONAL)["c"] == 2
    assert sampling.allocate(population, 11, Allocation.PROPORTIONAL)["c"] == 1


def test_sainte_lague_rounding_is_house_monotone_on_the_same_case() -> None:
    """Webster/Sainte-Laguë, divisors n_h + ½: 9 → (4, 4, 1), 10 → (5, 4, 1), 11 → (5, 5, 1).

    At n = 10 a, b and c tie (6/4.5 = 2/1.5); the earlier stratum, a, gets the unit.
    """
    population = {"a": 6, "b": 6, "c": 2}
    by_n = [
        sampling.allocate(population, n, Allocation.PROPORTIONAL, rounding=Rounding.SAINTE_LAGUE)
        for n in (9, 10, 11)
    ]
    assert by_n == [{"a": 4, "b": 4, "c": 1}, {"a": 5, "b": 4, "c": 1}, {"a": 5, "b": 5, "c": 1}]


def test_sainte_lague_respects_caps_and_minimums() -> None:
    """Equal weights, N_a = 2, minimum 3 for c: a is full at 2, c starts at 3, b gets the rest."""
    counts = sampling.allocate(
        {"a": 2, "b": 50, "c": 50},
        10,
        Allocation.EQUAL,
        minimum=3,
        rounding=Rounding.SAINTE_LAGUE,
    )
    assert counts == {"a": 2, "b": 4, "c": 4}


NEYMAN_POPULATION = {"a": 10, "b": 20}


@pytest.mark.parametrize(
    ("population", "n", "method", "kwargs", "message"),
    [
        ({"a": 10, "b": 20}, 31, Allocation.PROPORTIONAL, {}, "larger than the population"),
        ({"a": 10, "b": 20, "c": 5}, 10, Allocation.EQUAL, {"minimum": 4}, "more than n"),
        ({"a": -1, "b": 20}, 5, Allocation.PROPORTIONAL, {}, "must be at least 0"),
        ({}, 0, Allocation.PROPORTIONAL, {}, "population has no strata"),
        ({"a": 10}, -1, Allocation.PROPORTIONAL, {}, "n must be at least 0"),
        ({"a": 10}, 2.5, Allocation.PROPORTIONAL, {}, "n must be a whole number"),
        ({"a": 10}, 5, Allocation.PROPORTIONAL, {"minimum": -1}, "minimum must be at least 0"),
        ({"a": 10}, 5, Allocation.POWER, {"power": 1.5}, "power must lie between 0 and 1"),
        (NEYMAN_POPULATION, 5, Allocation.NEYMAN, {}, "needs stddev for every stratum"),
        (NEYMAN_POPULATION, 5, Allocation.NEYMAN, {"stddev": {"a": 1.0}}, r"missing \['b'\]"),
        (
            NEYMAN_POPULATION,
            5,
            Allocation.NEYMAN,
            {"stddev": {"a": 1.0, "b": 2.0, "z": 3.0}},
            r"unknown \['z'\]",
        ),
        (
            NEYMAN_POPULATION,
            5,
            Allocation.NEYMAN,
            {"stddev": {"a": 1.0, "b": 0.0}},
            "stddev\\['b'\\] must be a positive",
        ),
        (
            NEYMAN_POPULATION,
            5,
            Allocation.OPTIMAL,
            {"stddev": {"a": 1.0, "b": 2.0}},
            "needs cost for every stratum",
        ),
        (
            NEYMAN_POPULATION,
            5,
            Allocation.OPTIMAL,
            {"stddev": {"a": 1.0, "b": 2.0}, "cost": {"a": 1.0, "b": -2.0}},
            "cost\\['b'\\] must be a positive",
        ),
    ],
)
def test_infeasible_or_incomplete_requests_are_refused(
    population: dict[str, int],
    n: Any,
    method: Allocation,
    kwargs: dict[str, Any],
    message: str,
) -> None:
    """Each refusal is a ValueError sentence that says why."""
    with pytest.raises(ValueError, match=message):
        sampling.allocate(population, n, method, **kwargs)
