"""Sample sizes for a proportion or a mean, and the margin of error a sample size gives.

Notation follows Cochran (1977), *Sampling Techniques*, 3rd ed., Wiley: N population size,
e margin of error (half-width of the confidence interval), z the two-sided normal quantile.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist

from sampling import _checks

# 384.00000000000006 must stay 384: rounding to 9 decimals before the ceiling drops
# floating-point noise, never a real fraction of a respondent.
_NOISE_DIGITS = 9


def z_score(confidence: float) -> float:
    """Two-sided normal quantile z = Φ⁻¹(1 − α/2), α = 1 − confidence (Cochran 1977, p. 12)."""
    _checks.open_unit("confidence", confidence)
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def sample_size_proportion(
    p: float = 0.5,
    moe: float = 0.05,
    confidence: float = 0.95,
    population: int | None = None,
    deff: float = 1.0,
    response_rate: float = 1.0,
) -> int:
    """Invitations needed to estimate a proportion within ±moe (Cochran 1977, §4.4, p. 75).

    n0 = z²p(1−p)/e²; with N known n = N·z²p(1−p) / ((N−1)e² + z²p(1−p)), which is
    Cochran's n0 / (1 + (n0−1)/N); then × deff (Cochran 1977, §4.11, p. 86) and ÷ response rate,
    rounded up. The result is not capped at N: above N even a census misses the target.
    """
    _checks.open_unit("p", p)
    _checks.open_unit("moe", moe)
    variance = z_score(confidence) ** 2 * p * (1 - p)
    return _inflate(_cochran(variance, moe, population), deff, response_rate)


def sample_size_mean(
    sigma: float,
    moe: float,
    confidence: float = 0.95,
    population: int | None = None,
    deff: float = 1.0,
    response_rate: float = 1.0,
) -> int:
    """Invitations needed to estimate a mean within ±moe, σ known (Cochran 1977, §4.6, p. 77).

    n0 = z²σ²/e²; with N known n = N·z²σ² / ((N−1)e² + z²σ²); then × deff ÷ response rate,
    rounded up. ``moe`` is in the units of the variable (e.g. 0.1 points on a 1–5 scale).
    """
    _checks.positive("sigma", sigma)
    _checks.positive("moe", moe)
    variance = z_score(confidence) ** 2 * sigma**2
    return _inflate(_cochran(variance, moe, population), deff, response_rate)


def sample_size_yamane(population: int, moe: float) -> int:
    """Yamane's n = N / (1 + N·e²), rounded up (Yamane 1967, *Statistics*, 2nd ed., p. 886).

    The rule quoted by SIPAS (DOMAIN.md). It is close to Cochran's formula with z²p(1−p) = 1
    (p = 0.5, z = 2, about 95.4 %), which is why it takes no confidence level.
    """
    size = _population(population)
    _checks.open_unit("moe", moe)
    return _ceil(size / (1 + size * moe**2))


def margin_of_error_proportion(
    n: int,
    p: float = 0.5,
    confidence: float = 0.95,
    population: int | None = None,
    deff: float = 1.0,
) -> float:
    """Margin of error of a proportion from n completed responses (Cochran 1977, §3.2, p. 52).

    e = z·√(p(1−p)/n′ · (N−n′)/(N−1)) with n′ = n/deff, the exact inverse of
    ``sample_size_proportion`` (without the response rate: n counts answers, not invitations).
    """
    _checks.open_unit("p", p)
    _checks.positive("deff", deff)
    responses = _checks.whole("n", n, least=1)
    effective = responses / deff
    fpc = 1.0 if population is None else _fpc(_population(population), responses, effective)
    return z_score(confidence) * math.sqrt(p * (1 - p) / effective * fpc)


def domain_sample_sizes(
    population: Mapping[str, int],
    moe: float,
    *,
    p: float = 0.5,
    confidence: float = 0.95,
    deff: float = 1.0,
    response_rate: float = 1.0,
) -> dict[str, int]:
    """Invitations each domain needs for its own ±moe, capped at N_h (Cochran 1977, §4.9, p. 82).

    Every unit gets ``sample_size_proportion`` with its own N_h, so each one is reportable, not
    only the city as a whole; a domain capped at N_h is a census that cannot reach ``moe``.
    """
    sizes = _checks.stratum_sizes(population)
    return {
        name: min(sample_size_proportion(p, moe, confidence, size, deff, response_rate), size)
        if size
        else 0
        for name, size in sizes.items()
    }


def _cochran(variance: float, moe: float, population: int | None) -> float:
    """n = N·v / ((N−1)e² + v), or v/e² when N is unknown; v = z²p(1−p) or z²σ²."""
    if population is None:
        return variance / moe**2
    size = _population(population)
    return size * variance / ((size - 1) * moe**2 + variance)


def _inflate(n: float, deff: float, response_rate: float) -> int:
    """Multiply by the design effect, divide by the response rate, round up."""
    _checks.positive("deff", deff)
    _checks.response_rate(response_rate)
    return _ceil(n * deff / response_rate)


def _fpc(population: int, responses: int, effective: float) -> float:
    """(N − n′)/(N − 1), never negative; 0 for a census."""
    if responses > population:
        raise ValueError(f"n ({responses}) cannot exceed the population ({population}).")
    if population == 1:
        return 0.0
    return max(population - effective, 0.0) / (population - 1)


def _population(population: int) -> int:
    return _checks.whole("population", population, least=1)


def _ceil(value: float) -> int:
    return math.ceil(round(value, _NOISE_DIGITS))
