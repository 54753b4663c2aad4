"""The one-pass stratum sums of squares fall back to two passes where they would lose digits."""

from __future__ import annotations

import numpy as np
import pytest

import analysis


def _two_pass(z: np.ndarray, strata: np.ndarray) -> float:
    total = 0.0
    for label in np.unique(strata):
        values = z[strata == label]
        n = values.size
        total += n / (n - 1) * float(np.sum((values - values.mean()) ** 2))
    return total


def test_tiny_spread_beside_a_large_stratum_mean_keeps_its_digits() -> None:
    """Stratum a: totals near 1e6 varying by 1e-3 (the one-pass form would keep no digit)."""
    rng = np.random.default_rng(11)
    z = np.concatenate([1e6 + rng.normal(0, 1e-3, 50), rng.normal(0, 1, 50)])
    strata = np.repeat(["a", "b"], 50)
    design = analysis.Design(np.ones(100), strata=strata)
    assert analysis.total_variance(z, design) == pytest.approx(_two_pass(z, strata), rel=1e-9)
    only_a = z[:50]
    design_a = analysis.Design(np.ones(50))
    assert analysis.total_variance(only_a, design_a) == pytest.approx(
        _two_pass(only_a, np.zeros(50)), rel=1e-9
    )


def test_ordinary_data_agrees_with_two_passes() -> None:
    rng = np.random.default_rng(12)
    z = rng.normal(3, 2, 1000)
    strata = rng.integers(0, 7, 1000)
    design = analysis.Design(np.ones(1000), strata=strata)
    assert analysis.total_variance(z, design) == pytest.approx(_two_pass(z, strata), rel=1e-12)
