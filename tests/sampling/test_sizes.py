"""Sample sizes against hand-worked textbook values.

Sources: Cochran (1977), *Sampling Techniques*, 3rd ed.: §4.4 p. 75 (proportions),
§4.6 p. 77 (means), §4.9 p. 82 (subdivisions), §4.11 p. 86 (design effect), §3.2 p. 52
(variance of p). Yamane (1967), *Statistics: An Introductory Analysis*, 2nd ed., p. 886.
Israel (1992), *Determining Sample Size*, Univ. of Florida IFAS fact sheet PEOD-6, Table 1.
"""

from __future__ import annotations

import pytest

import sampling

Z95 = 1.959963984540054  # Φ⁻¹(0.975), the "1.96" of every normal table


def test_z_score_at_95_percent_is_the_table_value() -> None:
    """Normal table: z for 95 % two-sided is 1.95996 (Cochran 1977, p. 12, rounds it to 1.96)."""
    assert sampling.z_score(0.95) == pytest.approx(Z95, abs=1e-12)
    assert sampling.z_score(0.99) == pytest.approx(2.5758293035489, abs=1e-12)


def test_proportion_without_population_is_385() -> None:
    """n0 = z²·p(1−p)/e² = 1.959964² · 0.25 / 0.05² = 384.146 → 385 (Cochran 1977, p. 75)."""
    assert Z95**2 * 0.25 / 0.05**2 == pytest.approx(384.146, abs=1e-3)
    assert sampling.sample_size_proportion() == 385


def test_proportion_with_population_1000_is_278() -> None:
    """n = n0/(1 + (n0−1)/N) = 384.146/1.383146 = 277.74 → 278 (Cochran 1977, p. 75)."""
    assert sampling.sample_size_proportion(population=1000) == 278


def test_proportion_with_population_50000_is_382() -> None:
    """N = 50,000: 384.146 / (1 + 383.146/50,000) = 381.22 → 382 (Cochran 1977, p. 75)."""
    assert sampling.sample_size_proportion(population=50_000) == 382


def test_proportion_with_p_0_2_and_99_percent() -> None:
    """p = 0.2, e = 0.03, 99 %: 2.575829² · 0.16 / 0.0009 = 1179.5 → 1180 (Cochran 1977, p. 75)."""
    assert sampling.sample_size_proportion(p=0.2, moe=0.03, confidence=0.99) == 1180


def test_design_effect_multiplies_the_size() -> None:
    """deff = 2: 2 × 384.146 = 768.29 → 769 (Cochran 1977, §4.11, p. 86)."""
    assert sampling.sample_size_proportion(deff=2.0) == 769


def test_response_rate_divides_the_size() -> None:
    """60 % response: 384.146 / 0.6 = 640.24 → 641 invitations."""
    assert sampling.sample_size_proportion(response_rate=0.6) == 641


def test_population_deff_and_response_rate_combine() -> None:
    """N = 1,000, deff 1.5, 50 % response: 277.74 × 1.5 / 0.5 = 833.2 → 834."""
    assert sampling.sample_size_proportion(population=1000, deff=1.5, response_rate=0.5) == 834


def test_mean_without_population() -> None:
    """σ = 10, e = 2: n0 = z²σ²/e² = 3.841459 · 100 / 4 = 96.04 → 97 (Cochran 1977, p. 77)."""
    assert sampling.sample_size_mean(10.0, 2.0) == 97


def test_mean_with_population_500() -> None:
    """N = 500: 96.04 / (1 + 95.04/500) = 80.70 → 81 (Cochran 1977, §4.6, p. 77)."""
    assert sampling.sample_size_mean(10.0, 2.0, population=500) == 81


def test_floating_noise_does_not_add_a_respondent() -> None:
    """σ = 5/z, e = 0.5 gives z²σ²/e² = 100 exactly; in floats 100.00000000000001 → still 100."""
    sigma = 10 * 0.5 / sampling.z_score(0.95)
    assert sampling.z_score(0.95) ** 2 * sigma**2 / 0.25 > 100
    assert sampling.sample_size_mean(sigma, 0.5) == 100


def test_yamane_1000_is_286() -> None:
    """n = N/(1 + N·e²) = 1000/3.5 = 285.71 → 286 (Yamane 1967, p. 886; Israel 1992, Table 1)."""
    assert sampling.sample_size_yamane(1000, 0.05) == 286


def test_yamane_rounds_up() -> None:
    """N = 2,000: 2000/6 = 333.33 → 334; N = 500: 500/2.25 = 222.2 → 223 (rounded up)."""
    assert sampling.sample_size_yamane(2000, 0.05) == 334
    assert sampling.sample_size_yamane(500, 0.05) == 223


def test_margin_of_error_of_400_answers() -> None:
    """e = z·√(pq/n) = 1.959964 · √(0.25/400) = 0.0489991 (Cochran 1977, §3.2, p. 52)."""
    assert sampling.margin_of_error_proportion(400) == pytest.approx(0.0489991, abs=1e-7)


def test_margin_of_error_with_finite_population() -> None:
    """N = 1,000, n = 400: 0.0489991 · √(600/999) = 0.0379736 (Cochran 1977, §3.2, p. 52)."""
    moe = sampling.margin_of_error_proportion(400, population=1000)
    assert moe == pytest.approx(0.0379736, abs=1e-7)


def test_margin_of_error_with_design_effect() -> None:
    """deff = 2 halves the effective n: 1.959964 · √(0.25/200) = 0.0692952."""
    assert sampling.margin_of_error_proportion(400, deff=2.0) == pytest.approx(0.0692952, abs=1e-7)


@pytest.mark.parametrize(("population", "n"), [(None, 385), (1000, 278), (50_000, 382)])
def test_margin_of_error_inverts_the_sample_size(population: int | None, n: int) -> None:
    """n from sample_size_proportion reaches ±5 %; one answer fewer does not."""
    assert sampling.margin_of_error_proportion(n, population=population) <= 0.05
    assert sampling.margin_of_error_proportion(n - 1, population=population) > 0.05


def test_margin_of_error_of_a_census_is_zero() -> None:
    """n = N: the finite population correction (N − n)/(N − 1) is 0."""
    assert sampling.margin_of_error_proportion(250, population=250) == 0.0


def test_domain_sizes_make_each_unit_reportable() -> None:
    """Each domain gets Cochran's n for its own N_h, capped at N_h (Cochran 1977, §4.9, p. 82).

    N = 1,000 → 278; 50,000 → 382; 30 → 30·0.96036/(29·0.0025 + 0.96036) = 27.89 → 28; 0 → 0.
    """
    population = {"Q1": 1000, "Q2": 50_000, "tiny": 30, "empty": 0}
    assert sampling.domain_sample_sizes(population, 0.05) == {
        "Q1": 278,
        "Q2": 382,
        "tiny": 28,
        "empty": 0,
    }


def test_domain_sizes_are_capped_at_the_domain() -> None:
    """deff 2 and 50 % response quadruple: 1,111 > 1,000 → census; 381.22 × 4 → 1,525."""
    sizes = sampling.domain_sample_sizes(
        {"Q1": 1000, "Q2": 50_000, "tiny": 30}, 0.05, deff=2.0, response_rate=0.5
    )
    assert sizes == {"Q1": 1000, "Q2": 1525, "tiny": 30}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"p": 0.0}, "p must lie strictly between 0 and 1"),
        ({"p": 1.0}, "p must lie strictly between 0 and 1"),
        ({"moe": 0.0}, "moe must lie strictly between 0 and 1"),
        ({"moe": 1.2}, "moe must lie strictly between 0 and 1"),
        ({"confidence": 1.0}, "confidence must lie strictly between 0 and 1"),
        ({"population": 0}, "population must be at least 1"),
        ({"population": 10.5}, "population must be a whole number"),
        ({"deff": 0.0}, "deff must be a positive finite number"),
        ({"response_rate": 0.0}, "response_rate must be above 0 and at most 1"),
        ({"response_rate": 1.5}, "response_rate must be above 0 and at most 1"),
    ],
)
def test_proportion_refuses_bad_inputs(kwargs: dict[str, float], message: str) -> None:
    """Each invalid argument is refused with a sentence naming it."""
    with pytest.raises(ValueError, match=message):
        sampling.sample_size_proportion(**kwargs)  # type: ignore[arg-type]


def test_mean_refuses_non_positive_sigma_and_moe() -> None:
    """σ and e must be positive (e is in the variable's units, so it may exceed 1)."""
    with pytest.raises(ValueError, match="sigma must be a positive finite number"):
        sampling.sample_size_mean(0.0, 1.0)
    with pytest.raises(ValueError, match="moe must be a positive finite number"):
        sampling.sample_size_mean(1.0, -1.0)
    assert sampling.sample_size_mean(20.0, 5.0) == 62  # 3.841459 · 400 / 25 = 61.46


def test_yamane_refuses_bad_inputs() -> None:
    """N ≥ 1 and 0 < e < 1."""
    with pytest.raises(ValueError, match="population must be at least 1"):
        sampling.sample_size_yamane(0, 0.05)
    with pytest.raises(ValueError, match="moe must lie strictly between 0 and 1"):
        sampling.sample_size_yamane(100, 1.0)


def test_margin_of_error_refuses_bad_inputs() -> None:
    """n ≥ 1 and n ≤ N."""
    with pytest.raises(ValueError, match="n must be at least 1"):
        sampling.margin_of_error_proportion(0)
    with pytest.raises(ValueError, match="cannot exceed the population"):
        sampling.margin_of_error_proportion(11, population=10)


def test_domain_sizes_refuse_negative_populations() -> None:
    """A negative N_h is a data error, not an empty domain."""
    with pytest.raises(ValueError, match="must be at least 0"):
        sampling.domain_sample_sizes({"a": -1}, 0.05)
