"""Reproducible stratified selection from a frame: SRSWOR, systematic, systematic PPS.

Rows are grouped by stratum with one stable sort (radix for ≤ 65,536 strata); the draw then
loops over strata, never over rows, with array operations inside each: 5 million rows in
1,000 strata draw in about a second (bench/README.md, "Sampling draw").
Randomness comes only from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np
import numpy.typing as npt

from sampling._frame import Floats, Frame, Index, column, frame_of, plan_sizes, strata_rows

Bools = npt.NDArray[np.bool_]
_Blocks = list[tuple[int, Index]]  # (stratum code, its rows) for strata with n_h > 0


class SelectionMethod(Enum):
    """How units are drawn inside each stratum."""

    SRSWOR = "srswor"  # simple random sampling without replacement (Cochran 1977, §2.2, p. 20)
    SYSTEMATIC = "systematic"  # random start, fixed interval (Cochran 1977, §8.1, p. 205)
    PPS_SYSTEMATIC = "pps_systematic"  # Madow's systematic πps (Cochran 1977, §9A.10, p. 267)


@dataclass(frozen=True, eq=False)
class Selection:
    """Selected frame rows (ascending) and their inclusion probabilities π_i, aligned."""

    indices: Index
    inclusion_probabilities: Floats

    @property
    def weights(self) -> Floats:
        """Design weights d_i = 1/π_i (Horvitz–Thompson; Cochran 1977, §9A.7, p. 263)."""
        return 1.0 / self.inclusion_probabilities


@dataclass(frozen=True, eq=False)
class _Draw:
    frame: Frame
    sizes: Index
    blocks: _Blocks
    rng: np.random.Generator
    size_measure: Floats | None
    sort_by: npt.NDArray[Any] | None


@dataclass(frozen=True, eq=False)
class _Pps:
    probabilities: Floats
    certain: Bools
    remaining: Index


def select(
    strata: Sequence[str] | npt.NDArray[Any],
    sizes: Mapping[str, int],
    *,
    method: SelectionMethod,
    rng: np.random.Generator,
    size_measure: npt.NDArray[Any] | None = None,
    sort_by: npt.NDArray[Any] | None = None,
) -> Selection:
    """Draw n_h = ``sizes[h]`` rows from each stratum h of the frame (one label per row).

    SRSWOR: π = n_h/N_h. SYSTEMATIC: rows sorted by ``sort_by`` within stratum (implicit
    stratification; frame order without it), random start, interval N_h/n_h, π = n_h/N_h.
    PPS_SYSTEMATIC: certainty units (π = 1), then systematic PPS on the rest in random order
    (or ``sort_by`` order), π_i = n′_h·x_i/Σ′x. Strata missing from ``sizes`` get none.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator, e.g. numpy.random.default_rng(7).")
    frame = frame_of(strata)
    planned = plan_sizes(frame, sizes)
    draw = _Draw(
        frame,
        planned,
        strata_rows(frame, planned),
        rng,
        _measure(size_measure, frame),
        column("sort_by", sort_by, frame),
    )
    if method is SelectionMethod.PPS_SYSTEMATIC:
        _needed(draw.size_measure)
    rows, probabilities = _DRAWS[method](draw)
    ascending = np.argsort(rows, kind="stable")
    return Selection(_frozen(rows[ascending]), _frozen(probabilities[ascending]))


def inclusion_probabilities(
    strata: Sequence[str] | npt.NDArray[Any],
    sizes: Mapping[str, int],
    *,
    method: SelectionMethod,
    size_measure: npt.NDArray[Any] | None = None,
) -> Floats:
    """π_i of every frame row under ``select``'s design (0 where a stratum gets no sample).

    Per stratum they add up to n_h, as for any fixed-size design (Horvitz & Thompson 1952).
    """
    frame = frame_of(strata)
    sizes_h = plan_sizes(frame, sizes)
    if method is SelectionMethod.PPS_SYSTEMATIC:
        measure = _needed(_measure(size_measure, frame))
        return _pps(frame, sizes_h, measure, strata_rows(frame, sizes_h)).probabilities
    return (sizes_h / frame.counts)[frame.codes]


def _draw_srswor(draw: _Draw) -> tuple[Index, Floats]:
    """n_h of the N_h rows, every subset equally likely (Cochran 1977, §2.2, p. 20)."""
    picked = [
        rows[draw.rng.choice(rows.size, int(draw.sizes[code]), replace=False)]
        for code, rows in draw.blocks
    ]
    return _with_fractions(draw, picked)


def _draw_systematic(draw: _Draw) -> tuple[Index, Floats]:
    """Rows sorted by ``sort_by`` within stratum, interval k = N_h/n_h (Cochran 1977, p. 205).

    With u ~ U(0, 1] the ranks taken are ⌈(j + u)·k⌉ − 1, j = 0 … n_h − 1: rank r is taken
    when u falls in one of the intervals (r/k − j, (r+1)/k − j], of total length 1/k, so
    π = n_h/N_h exactly, and a fractional k needs no rounding of the interval.
    """
    starts = 1.0 - draw.rng.random(draw.frame.strata)
    picked = []
    for code, rows in draw.blocks:
        ranks = _systematic_ranks(rows.size, int(draw.sizes[code]), float(starts[code]))
        picked.append(_in_key_order(rows, draw.sort_by)[ranks])
    return _with_fractions(draw, picked)


def _draw_pps(draw: _Draw) -> tuple[Index, Floats]:
    """Certainty units, then Madow's systematic PPS on the rest (Cochran 1977, §9A.10, p. 267).

    The rest of stratum h is listed in random order (or ``sort_by`` order); unit i covers
    [C_{i−1}, C_i) with C the running sum of π_i (ending at n′_h); points u + j, u ~ U[0, 1),
    j = 0 … n′_h − 1, pick the units they fall in: π_i = n′_h·x_i/Σ′x since every π_i < 1.
    """
    pps = _pps(draw.frame, draw.sizes, _needed(draw.size_measure), draw.blocks)
    starts = draw.rng.random(draw.frame.strata)
    picked = [np.flatnonzero(pps.certain)]
    for code, rows in draw.blocks:
        rest = rows[~pps.certain[rows]]
        if draw.sort_by is None:
            rest = rest[draw.rng.permutation(rest.size)]
        else:
            rest = _in_key_order(rest, draw.sort_by)
        remaining = int(pps.remaining[code])
        picked.append(rest[_pps_positions(pps.probabilities[rest], remaining, starts[code])])
    rows = np.concatenate(picked)
    return rows, pps.probabilities[rows]


def _pps(frame: Frame, sizes: Index, measure: Floats, blocks: _Blocks) -> _Pps:
    """π_i = 1 for certainty units, n′_h·x_i/Σ′x for the rest (Valliant et al. 2018, ch. 3).

    Valliant, Dever & Kreuter (2018), *Practical Tools for Designing and Weighting Survey
    Samples*, 2nd ed., Springer.
    """
    certain = _certainty_units(frame, sizes, measure, blocks)
    remaining = sizes - np.bincount(frame.codes[certain], minlength=frame.strata)
    rest = np.where(certain, 0.0, measure)
    total = np.bincount(frame.codes, weights=rest, minlength=frame.strata)
    scale = np.divide(remaining, total, out=np.zeros(frame.strata), where=total > 0)
    return _Pps(np.where(certain, 1.0, rest * scale[frame.codes]), certain, remaining)


def _certainty_units(frame: Frame, sizes: Index, measure: Floats, blocks: _Blocks) -> Bools:
    """Rows with n′_h·x_i ≥ Σ′x, repeated on what is left until none (Lohr 2022, ch. 6)."""
    certain = np.zeros(frame.rows, dtype=bool)
    totals = np.bincount(frame.codes, weights=measure, minlength=frame.strata)
    for code, rows in blocks:
        largest = _certain_largest(measure[rows], int(sizes[code]), float(totals[code]))
        certain[rows[largest]] = True
    return certain


def _certain_largest(measure: Floats, size: int, total: float) -> Index:
    """Positions of one stratum's certainty units: its k largest, k found in one pass.

    Removing a certainty unit only lowers the bar Σ′x/n′ for the rest, so the units taken
    by repeated rounds are the largest ones, y_1 ≥ y_2 ≥ …, up to the first i with
    y_i·(n − i + 1) < Σx − (y_1 + … + y_{i−1}); at most n of them.
    """
    count = min(size, measure.size)
    if count < measure.size:
        candidates = np.argpartition(-measure, count - 1)[:count]
    else:
        candidates = np.arange(measure.size)
    candidates = candidates[np.argsort(-measure[candidates], kind="stable")]
    largest = measure[candidates]
    before = np.concatenate(([0.0], np.cumsum(largest)[:-1]))
    taken = largest * (size - np.arange(count)) >= total - before
    return candidates[: count if taken.all() else int(np.argmin(taken))]


def _pps_positions(probabilities: Floats, remaining: int, start: np.float64) -> Index:
    """Positions i with C_{i−1} ≤ start + j < C_i, C the running sum of π forced to end at n′."""
    if remaining == 0:
        return np.zeros(0, dtype=np.intp)
    running = np.cumsum(probabilities)
    running[-1] = remaining  # the sum is n′ exactly; stop rounding drift from losing a point
    return np.searchsorted(running, start + np.arange(remaining), side="right")


def _systematic_ranks(total: int, size: int, start: float) -> Index:
    """⌈(j + u)·N/n⌉ − 1 for j = 0 … n − 1 and u ∈ (0, 1]."""
    ranks = np.ceil((np.arange(size) + start) * total / size).astype(np.intp) - 1
    return np.clip(ranks, 0, total - 1)


def _in_key_order(rows: Index, key: npt.NDArray[Any] | None) -> Index:
    """Rows sorted by key, ties kept in frame order (a stable sort is the same on any machine)."""
    return rows if key is None else rows[np.argsort(key[rows], kind="stable")]


def _with_fractions(draw: _Draw, picked: list[Index]) -> tuple[Index, Floats]:
    """Concatenated rows and their π = n_h/N_h."""
    rows = np.concatenate(picked) if picked else np.zeros(0, dtype=np.intp)
    return rows, (draw.sizes / draw.frame.counts)[draw.frame.codes[rows]]


def _measure(values: npt.NDArray[Any] | None, frame: Frame) -> Floats | None:
    """The size measure x_i as floats, if given: one per row, finite and positive."""
    array = column("size_measure", values, frame)
    if array is None:
        return None
    measure = array.astype(np.float64)
    if not np.all(np.isfinite(measure) & (measure > 0)):
        raise ValueError("size_measure must be positive and finite for every frame row.")
    return measure


def _needed(measure: Floats | None) -> Floats:
    """PPS cannot go without a size measure."""
    if measure is None:
        raise ValueError("PPS selection needs size_measure, one positive value per row.")
    return measure


def _frozen(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    array.setflags(write=False)
    return array


_DRAWS: dict[SelectionMethod, Callable[[_Draw], tuple[Index, Floats]]] = {
    SelectionMethod.SRSWOR: _draw_srswor,
    SelectionMethod.SYSTEMATIC: _draw_systematic,
    SelectionMethod.PPS_SYSTEMATIC: _draw_pps,
}
