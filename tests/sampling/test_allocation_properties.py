"""Property tests of ``allocate`` over random populations and requests.

What must hold for any feasible request (Cochran 1977, §5.5 and §5.8, pp. 96–104): the sizes
add up to n, 0 ≤ n_h ≤ N_h, n_h ≥ min(minimum, N_h), the same request gives the same answer;
largest remainder keeps each n_h within one unit of its real share (the quota property);
Sainte-Laguë rounding is house-monotone (Balinski & Young 2001, *Fair Representation*).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sampling
from sampling import Allocation, Rounding

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Request:
    population: dict[str, int]
    n: int
    method: Allocation
    stddev: dict[str, float]
    cost: dict[str, float]
    power: float
    minimum: int

    def allocate(self, rounding: Rounding, n: int | None = None) -> dict[str, int]:
        return sampling.allocate(
            self.population,
            self.n if n is None else n,
            self.method,
            stddev=self.stddev,
            cost=self.cost,
            power=self.power,
            minimum=self.minimum,
            rounding=rounding,
        )

    def lower(self, name: str) -> int:
        return min(self.minimum, self.population[name])


@st.composite
def requests(draw: st.DrawFn) -> Request:
    """A random feasible request: 1–9 strata of 0–400 units, any method, n in range."""
    sizes = draw(st.lists(st.integers(0, 400), min_size=1, max_size=9))
    names = [f"unit-{i}" for i in range(len(sizes))]
    population = dict(zip(names, sizes, strict=True))
    positive = st.floats(0.05, 500.0, allow_nan=False)
    minimum = draw(st.integers(0, 6))
    floor = sum(min(minimum, size) for size in sizes)
    return Request(
        population=population,
        n=draw(st.integers(floor, sum(sizes))),
        method=draw(st.sampled_from(list(Allocation))),
        stddev={name: draw(positive) for name in names},
        cost={name: draw(positive) for name in names},
        power=draw(st.floats(0.0, 1.0)),
        minimum=minimum,
    )


@SETTINGS
@given(requests(), st.sampled_from(list(Rounding)))
def test_sizes_add_up_to_n_within_bounds(request: Request, rounding: Rounding) -> None:
    """Σ n_h = n and min(minimum, N_h) ≤ n_h ≤ N_h for both roundings."""
    counts = request.allocate(rounding)
    assert list(counts) == list(request.population)
    assert sum(counts.values()) == request.n
    for name, count in counts.items():
        assert request.lower(name) <= count <= request.population[name]


@SETTINGS
@given(requests(), st.sampled_from(list(Rounding)))
def test_same_request_same_answer(request: Request, rounding: Rounding) -> None:
    """No hidden state or randomness: a request is answered the same way twice."""
    assert request.allocate(rounding) == request.allocate(rounding)


@SETTINGS
@given(requests())
def test_largest_remainder_stays_within_one_unit_of_the_share(request: Request) -> None:
    """Quota property: each n_h is the floor or the ceiling of its capped real share."""
    quotas = sampling.allocation_quotas(
        request.population,
        request.n,
        request.method,
        stddev=request.stddev,
        cost=request.cost,
        power=request.power,
        minimum=request.minimum,
    )
    assert sum(quotas.values()) == pytest.approx(request.n)
    for name, count in request.allocate(Rounding.LARGEST_REMAINDER).items():
        assert abs(count - quotas[name]) < 1 + 1e-9


@SETTINGS
@given(requests())
def test_sainte_lague_never_takes_a_unit_away_when_n_grows(request: Request) -> None:
    """House monotonicity: n + 1 gives no stratum fewer units than n (any method)."""
    if request.n == sum(request.population.values()):
        return
    before = request.allocate(Rounding.SAINTE_LAGUE)
    after = request.allocate(Rounding.SAINTE_LAGUE, request.n + 1)
    assert all(after[name] >= before[name] for name in before)
    assert sum(after.values()) == sum(before.values()) + 1


@SETTINGS
@given(requests())
def test_proportional_sainte_lague_is_monotone_over_every_n(request: Request) -> None:
    """Proportional allocation, n = floor … Σ N_h: each stratum's n_h never decreases."""
    population = request.population
    floor = sum(request.lower(name) for name in population)
    previous = dict.fromkeys(population, 0)
    for n in range(floor, min(sum(population.values()), floor + 60) + 1):
        counts = sampling.allocate(
            population,
            n,
            Allocation.PROPORTIONAL,
            minimum=request.minimum,
            rounding=Rounding.SAINTE_LAGUE,
        )
        assert all(counts[name] >= previous[name] for name in population)
        previous = counts
