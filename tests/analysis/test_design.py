"""Design validation and the lonely-PSU conventions."""

from __future__ import annotations

import math

import numpy as np
import pytest

import analysis

STRATA = np.array(["a", "a", "b"])
Y = np.array([1.0, 3.0, 10.0])


def _lonely() -> analysis.Design:
    return analysis.Design(np.ones(3), strata=STRATA)


def test_single_psu_stratum_fails_by_default() -> None:
    """R's survey.lonely.psu = "fail": stratum b has one PSU."""
    with pytest.raises(ValueError, match="stratum b has a single PSU"):
        analysis.total(Y, _lonely())


@pytest.mark.parametrize("choice", [analysis.LonelyPSU.REMOVE, analysis.LonelyPSU.CERTAINTY])
def test_removed_or_certainty_stratum_contributes_nothing(choice: analysis.LonelyPSU) -> None:
    """Stratum a alone: 2/(2 − 1) · ((1 − 2)² + (3 − 2)²) = 4."""
    result = analysis.total(Y, _lonely(), lonely_psu=choice)
    assert result.se == pytest.approx(2.0)


def test_adjust_centres_the_lone_psu_at_the_grand_mean() -> None:
    """R's "adjust": 4 + (10 − 14/3)² = 292/9 (Lumley 2010, §3.2)."""
    result = analysis.total(Y, _lonely(), lonely_psu="adjust")
    assert result.se == pytest.approx(math.sqrt(292 / 9))
    assert result.df == 1


def test_psu_labels_are_nested_within_strata() -> None:
    """The same PSU label in two strata names two PSUs: 4 PSUs − 2 strata = 2 df."""
    design = analysis.Design(
        np.ones(4), strata=np.array(["a", "a", "b", "b"]), psu=np.array([1, 2, 1, 2])
    )
    assert design.df == 2


def test_population_psus_equal_to_sample_give_zero_variance() -> None:
    """f_h = 1 (a census stratum) contributes nothing (Cochran 1977, §5.3)."""
    design = analysis.Design(np.ones(3), fpc=np.full(3, 3.0))
    assert analysis.mean(Y, design).se == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"weights": [1.0, 2.0], "strata": ["a"]}, "strata has 1 values but weights has 2"),
        ({"weights": [1.0, 0.0]}, "positive and finite; 1 are not"),
        ({"weights": [1.0, np.nan]}, "weights contain NaN"),
        ({"weights": [], "fpc": None}, "non-empty"),
        ({"weights": [1.0, 1.0], "psu": [1.0, np.nan]}, "psu contains missing values"),
        ({"weights": [1.0, 1.0], "fpc": [5.0, np.nan]}, "fpc contains NaN"),
        ({"weights": [1.0, 1.0], "fpc": [5.0, 6.0]}, "same for every row"),
        ({"weights": [1.0, 1.0], "fpc": [1.0, 1.0]}, "fewer than the 2 sampled PSUs"),
    ],
)
def test_invalid_designs_are_refused(arguments: dict[str, object], message: str) -> None:
    """Each malformed input names what is wrong."""
    with pytest.raises(ValueError, match=message):
        analysis.Design(**arguments)  # type: ignore[arg-type]


def test_y_of_the_wrong_length_is_refused() -> None:
    """y must give one value per design row."""
    with pytest.raises(ValueError, match="y has 2 values but the design has 3 rows"):
        analysis.mean(np.array([1.0, 2.0]), _lonely())


def test_domain_must_be_boolean() -> None:
    """A domain is a mask over all rows, not a list of indices."""
    with pytest.raises(ValueError, match="boolean array"):
        analysis.mean(Y, analysis.Design(np.ones(3)), domain=np.array([0, 1, 2]))
