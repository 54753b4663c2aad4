"""Allocating a total sample n to strata: equal, proportional, Neyman, optimal, power.

Every method gives stratum h a weight w_h; the real share λ·w_h is capped at N_h (take-all
strata, Cochran 1977, §5.8, p. 104) and raised to min(minimum, N_h); then rounded to whole
units that add up to n exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum

import numpy as np

from sampling import _apportion, _checks
from sampling._apportion import Floats, Ints


class Allocation(Enum):
    """How n is shared among strata, as a weight w_h per stratum."""

    EQUAL = "equal"  # w_h = 1 (Lohr 2022, §3.4)
    PROPORTIONAL = "proportional"  # w_h = N_h (Cochran 1977, §5.3, p. 91)
    NEYMAN = "neyman"  # w_h = N_h·S_h (Cochran 1977, §5.5, pp. 96–99)
    OPTIMAL = "optimal"  # w_h = N_h·S_h/√c_h (Cochran 1977, §5.5, pp. 96–99)
    POWER = "power"  # w_h = N_h^a (Bankier 1988, Am. Statistician 42(3), pp. 174–177)


class Rounding(Enum):
    """How real shares become whole units (see ``sampling._apportion``)."""

    LARGEST_REMAINDER = "largest_remainder"  # each n_h within 1 of its share
    SAINTE_LAGUE = "sainte_lague"  # house-monotone: a bigger n never takes a unit away


@dataclass(frozen=True, eq=False)
class _Problem:
    names: tuple[str, ...]
    weights: Floats
    lower: Ints
    upper: Ints
    n: int


@dataclass(frozen=True)
class _Inputs:
    names: tuple[str, ...]
    sizes: Floats
    stddev: Mapping[str, float] | None
    cost: Mapping[str, float] | None
    power: float


def allocate(
    population: Mapping[str, int],
    n: int,
    method: Allocation,
    *,
    stddev: Mapping[str, float] | None = None,
    cost: Mapping[str, float] | None = None,
    power: float = 0.5,
    minimum: int = 0,
    rounding: Rounding = Rounding.LARGEST_REMAINDER,
) -> dict[str, int]:
    """Whole n_h summing to n, min(minimum, N_h) ≤ n_h ≤ N_h (Cochran 1977, §5.5 and §5.8).

    ``stddev`` (S_h) is needed for NEYMAN and OPTIMAL, ``cost`` (c_h per unit) for OPTIMAL,
    ``power`` (Bankier's a, 0 ≤ a ≤ 1) for POWER; a method ignores what it does not use.
    POWER is Bankier's n_h ∝ CV_h·X_h^a with equal CVs and X_h = N_h: a = 0 is equal,
    a = 1 proportional, a = ½ a compromise that keeps small units reportable.
    Ties in rounding go to the earlier stratum in ``population``'s order.
    """
    problem = _problem(population, n, method, stddev, cost, power, minimum)
    match rounding:
        case Rounding.LARGEST_REMAINDER:
            quotas = _apportion.capped_quotas(problem.weights, problem.lower, problem.upper, n)
            counts = _apportion.largest_remainder(quotas, n)
        case Rounding.SAINTE_LAGUE:
            counts = _apportion.sainte_lague(problem.weights, problem.lower, problem.upper, n)
    return {name: int(count) for name, count in zip(problem.names, counts, strict=True)}


def allocation_quotas(
    population: Mapping[str, int],
    n: int,
    method: Allocation,
    *,
    stddev: Mapping[str, float] | None = None,
    cost: Mapping[str, float] | None = None,
    power: float = 0.5,
    minimum: int = 0,
) -> dict[str, float]:
    """The real (unrounded) shares x_h = clip(λ·w_h, min(minimum, N_h), N_h), Σ x_h = n.

    What ``allocate`` rounds (Cochran 1977, §5.5, pp. 96–99; take-all strata §5.8, p. 104).
    """
    problem = _problem(population, n, method, stddev, cost, power, minimum)
    quotas = _apportion.capped_quotas(problem.weights, problem.lower, problem.upper, n)
    return {name: float(q) for name, q in zip(problem.names, quotas, strict=True)}


def _problem(
    population: Mapping[str, int],
    n: int,
    method: Allocation,
    stddev: Mapping[str, float] | None,
    cost: Mapping[str, float] | None,
    power: float,
    minimum: int,
) -> _Problem:
    """Validate the request and turn it into weights and bounds per stratum."""
    sizes = _checks.stratum_sizes(population)
    upper = np.array(list(sizes.values()), dtype=np.int64)
    total = _checks.whole("n", n)
    floor = _checks.whole("minimum", minimum)
    if not 0.0 <= power <= 1.0:
        raise ValueError(f"power must lie between 0 and 1 (Bankier's a); got {power!r}.")
    lower = np.minimum(upper, floor)
    _check_feasible(total, lower, upper, floor)
    inputs = _Inputs(tuple(sizes), upper.astype(np.float64), stddev, cost, power)
    return _Problem(inputs.names, _WEIGHTS[method](inputs), lower, upper, total)


def _check_feasible(n: int, lower: Ints, upper: Ints, minimum: int) -> None:
    if n > upper.sum():
        raise ValueError(
            f"n ({n}) is larger than the population ({int(upper.sum())}): "
            "a sample without replacement cannot exceed the frame."
        )
    if lower.sum() > n:
        raise ValueError(
            f"minimum {minimum} per stratum needs {int(lower.sum())} units "
            f"(min(minimum, N_h) summed over {lower.size} strata), more than n ({n})."
        )


def _per_stratum(what: str, values: Mapping[str, float] | None, inputs: _Inputs) -> Floats:
    """Values for every stratum, in order; missing, extra, zero or negative ones are refused."""
    if values is None:
        raise ValueError(f"this allocation needs {what} for every stratum; none was given.")
    missing = [name for name in inputs.names if name not in values]
    extra = [name for name in values if name not in inputs.names]
    if missing or extra:
        raise ValueError(
            f"{what} must name exactly the strata: missing {missing}, unknown {extra}."
        )
    for name in inputs.names:
        _checks.positive(f"{what}[{name!r}]", values[name])
    return np.array([values[name] for name in inputs.names], dtype=np.float64)


def _equal(inputs: _Inputs) -> Floats:
    return np.ones_like(inputs.sizes)


def _proportional(inputs: _Inputs) -> Floats:
    return inputs.sizes.copy()


def _neyman(inputs: _Inputs) -> Floats:
    return inputs.sizes * _per_stratum("stddev", inputs.stddev, inputs)


def _optimal(inputs: _Inputs) -> Floats:
    return _neyman(inputs) / np.sqrt(_per_stratum("cost", inputs.cost, inputs))


def _power(inputs: _Inputs) -> Floats:
    return np.power(inputs.sizes, inputs.power)


_WEIGHTS: dict[Allocation, Callable[[_Inputs], Floats]] = {
    Allocation.EQUAL: _equal,
    Allocation.PROPORTIONAL: _proportional,
    Allocation.NEYMAN: _neyman,
    Allocation.OPTIMAL: _optimal,
    Allocation.POWER: _power,
}
