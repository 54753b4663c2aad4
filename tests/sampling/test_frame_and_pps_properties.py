"""Properties of the frame coding and of PPS inclusion probabilities, against references.

The frame's linear-time coding must agree with sorting (``np.unique``), whatever the labels.
PPS probabilities must agree with the textbook rule applied literally: take every unit with
n′·x_i ≥ Σ′x with certainty, recompute on what is left, repeat; the others get
π_i = n′·x_i/Σ′x (Lohr 2022, *Sampling: Design and Analysis*, 3rd ed., ch. 6; Valliant,
Dever & Kreuter 2018, *Practical Tools for Designing and Weighting Survey Samples*, ch. 3).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sampling
from sampling import SelectionMethod, _frame

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LETTERS = st.sampled_from(list("aAbQ0159-_ ") + list("ăâđêôơưạảấầẩẫậờởỡợừửữựỳỵỷỹ") + ["\U0001f600"])


def reference_pps(measure: np.ndarray, size: int) -> np.ndarray:
    """The textbook rule, one round at a time, all arithmetic from scratch each round."""
    certain = np.zeros(measure.size, dtype=bool)
    while True:
        left, total = size - certain.sum(), measure[~certain].sum()
        new = ~certain & (measure * left >= total) & (left > 0)
        if not new.any():
            break
        certain |= new
    rest = measure * left / total if total > 0 else np.zeros(measure.size)
    return np.where(certain, 1.0, rest)


@SETTINGS
@given(st.lists(st.text(LETTERS, max_size=6), min_size=1, max_size=60))
def test_text_labels_are_coded_as_sorting_would(labels: list[str]) -> None:
    """Codes and label order equal np.unique's, for unicode text of varying width."""
    values = np.array(labels)
    frame = _frame.frame_of(values)
    uniques = np.unique(values)
    assert frame.labels == tuple(uniques.tolist())
    assert np.array_equal(frame.codes, np.searchsorted(uniques, values))
    assert frame.counts.sum() == len(labels)


@SETTINGS
@given(st.lists(st.binary(max_size=5).filter(lambda b: not b.endswith(b"\0")), min_size=1))
def test_byte_labels_are_coded_as_sorting_would(labels: list[bytes]) -> None:
    """Byte strings (dtype S), UTF-8 or not, are coded in the same order as np.unique."""
    values = np.array(labels, dtype="S")
    frame = _frame.frame_of(values)
    assert np.array_equal(frame.codes, np.searchsorted(np.unique(values), values))


@SETTINGS
@given(
    st.lists(st.integers(-(10**15), 10**15), min_size=1, max_size=40)
    | st.lists(st.integers(-50, 50), min_size=1, max_size=40)
)
def test_integer_labels_are_coded_as_sorting_would(labels: list[int]) -> None:
    """Narrow ranges use a table, wide ones sort; both give np.unique's codes and labels."""
    values = np.array(labels, dtype=np.int64)
    frame = _frame.frame_of(values)
    uniques = np.unique(values)
    assert frame.labels == tuple(str(v) for v in uniques.tolist())
    assert np.array_equal(frame.codes, np.searchsorted(uniques, values))


@SETTINGS
@given(
    st.lists(st.integers(1, 40), min_size=1, max_size=15)
    | st.lists(st.floats(0.01, 10_000.0), min_size=1, max_size=15),
    st.data(),
)
def test_pps_probabilities_follow_the_textbook_rule(
    measure: list[float], data: st.DataObject
) -> None:
    """π equal the literal rule's, lie in (0, 1] and add up to n (ties and skew included)."""
    x = np.array(measure, dtype=float)
    size = data.draw(st.integers(1, x.size))
    pi = sampling.inclusion_probabilities(
        ["h"] * x.size, {"h": size}, method=SelectionMethod.PPS_SYSTEMATIC, size_measure=x
    )
    assert pi == pytest.approx(reference_pps(x, size), rel=1e-9, abs=1e-12)
    assert np.all((pi > 0) & (pi <= 1.0))
    assert pi.sum() == pytest.approx(size)


@SETTINGS
@given(st.lists(st.floats(0.01, 1000.0), min_size=2, max_size=12), st.data())
def test_pps_draws_take_every_certainty_unit_and_exactly_n(
    measure: list[float], data: st.DataObject
) -> None:
    """Any seed: exactly n distinct rows, and every π = 1 row among them."""
    x = np.array(measure)
    size = data.draw(st.integers(1, x.size))
    seed = data.draw(st.integers(0, 2**32 - 1))
    selection = sampling.select(
        ["h"] * x.size,
        {"h": size},
        method=SelectionMethod.PPS_SYSTEMATIC,
        rng=np.random.default_rng(seed),
        size_measure=x,
    )
    certain = np.flatnonzero(reference_pps(x, size) >= 1.0)
    assert np.unique(selection.indices).size == size == selection.indices.size
    assert set(certain.tolist()) <= set(selection.indices.tolist())
