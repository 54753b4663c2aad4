"""A sampling frame as stratum codes: rows grouped by stratum without a Python loop over rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Index = npt.NDArray[np.intp]
Floats = npt.NDArray[np.float64]

# numpy sorts integers of 16 bits or less with a radix sort (linear time) when asked for a
# stable sort: the grouping of 5 million rows by stratum costs ~0.1 s instead of ~0.5 s.
_RADIX_LIMIT = 1 << 16
# Largest lookup table for renumbering codes without a sort: 4 Mi entries (~36 MB with ranks).
_TABLE_LIMIT = 1 << 22
_INTP_MAX = int(np.iinfo(np.intp).max)
# Rows compared at a time when looking for the varying character positions of text labels.
_CHUNK_ROWS = 1 << 18


@dataclass(frozen=True, eq=False)
class Frame:
    """Stratum labels, each row's stratum code (0..K−1) and N_h per code."""

    labels: tuple[str, ...]
    codes: Index
    counts: Index

    @property
    def rows(self) -> int:
        return int(self.codes.size)

    @property
    def strata(self) -> int:
        return len(self.labels)


def frame_of(strata: Sequence[str] | npt.NDArray[Any]) -> Frame:
    """Codes for the stratum of each row; labels compare as text (``str(value)``)."""
    values = np.asarray(strata)
    if values.ndim != 1:
        raise ValueError(f"strata must be one label per frame row; got shape {values.shape}.")
    uniques, codes = _factorize(values)
    labels = tuple(_text(v) for v in uniques.tolist())
    if len(set(labels)) != len(labels):
        raise ValueError("two different stratum values read the same as text; use one type.")
    return Frame(labels, codes, np.bincount(codes, minlength=len(labels)).astype(np.intp))


def plan_sizes(frame: Frame, sizes: Mapping[str, int]) -> Index:
    """n_h per stratum code from ``sizes``; strata it does not name get 0."""
    position = {label: code for code, label in enumerate(frame.labels)}
    wanted = np.zeros(frame.strata, dtype=np.intp)
    for label, size in sizes.items():
        if isinstance(size, bool) or int(size) != size or size < 0:
            raise ValueError(f"the sample size of stratum {label!r} must be a whole number ≥ 0.")
        if label not in position:
            if size:
                raise ValueError(f"stratum {label!r} has a sample size but no row in the frame.")
            continue
        available = int(frame.counts[position[label]])
        if size > available:
            raise ValueError(
                f"stratum {label!r} asks for {size} units but the frame has only {available}."
            )
        wanted[position[label]] = int(size)
    return wanted


def strata_rows(frame: Frame, sizes: Index) -> list[tuple[int, Index]]:
    """(code, its rows in frame order) for each stratum with n_h > 0, in code order.

    One stable sort groups the rows by stratum (radix sort when codes fit 16 bits); the
    callers loop over strata, never over rows.
    """
    codes = frame.codes.astype(np.uint16) if frame.strata <= _RADIX_LIMIT else frame.codes
    order = np.argsort(codes, kind="stable")
    ends = np.cumsum(frame.counts)
    return [
        (code, order[ends[code] - frame.counts[code] : ends[code]])
        for code in np.flatnonzero(sizes > 0).tolist()
    ]


def column(name: str, values: npt.ArrayLike | None, frame: Frame) -> npt.NDArray[Any] | None:
    """A per-row column (or None), refused when its length is not the frame's."""
    if values is None:
        return None
    array = np.asarray(values)
    if array.shape != (frame.rows,):
        raise ValueError(
            f"{name} must have one value per frame row ({frame.rows}); got {array.shape}."
        )
    return array


def _factorize(values: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], Index]:
    """Sorted distinct values and each row's index into them.

    Integer codes in a narrow range and fixed-width text with few varying character positions
    take linear-time paths; anything else is sorted (np.unique), ~1.3 s for 5 million labels.
    """
    found: tuple[npt.NDArray[Any], Index] | None = None
    if values.size and values.dtype.kind in "iu":
        found = _small_integers(values)
    elif values.size and values.dtype.kind in "US":
        found = _fixed_width_text(values)
    if found is not None:
        return found
    uniques = np.unique(values)
    return uniques, np.searchsorted(uniques, values).astype(np.intp)


def _small_integers(values: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], Index] | None:
    """Integer codes in a narrow range: a lookup table, linear time, no sort."""
    low, high = int(values.min()), int(values.max())
    if high - low >= min(_TABLE_LIMIT, 4 * values.size + 1024) or high > _INTP_MAX:
        return None
    codes, used = _dense(values.astype(np.intp) - low, high - low + 1)
    return used + low, codes


def _fixed_width_text(values: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], Index] | None:
    """Text as a mixed-radix number over the character positions that vary: exact, linear.

    Positions where every row has the same character (the "unit-" of "unit-0001") are
    skipped; each varying one is folded in by its rank among that position's characters and
    the codes made dense again, which keeps lexicographic order (padding is character 0, as
    numpy compares). Returns None when that would need too large a table: the caller sorts.
    """
    unit = np.uint32 if values.dtype.kind == "U" else np.uint8
    chars = values.view(unit).reshape(values.size, -1)
    codes, distinct = np.zeros(values.size, dtype=np.intp), 1
    for position in _varying_positions(chars):
        column = chars[:, position]
        low, high = int(column.min()), int(column.max())
        ranks, used = _dense(column.astype(np.intp) - low, high - low + 1)
        if distinct * used.size >= _TABLE_LIMIT:
            return None
        codes, kept = _dense(codes * used.size + ranks, distinct * used.size)
        distinct = kept.size
    example = np.zeros(distinct, dtype=np.intp)
    example[codes] = np.arange(values.size)  # any row of a code will do: they read the same
    return values[example], codes


def _varying_positions(chars: npt.NDArray[Any]) -> list[int]:
    """Character positions where some row differs from the first: one pass, in chunks."""
    varying = np.zeros(chars.shape[1], dtype=bool)
    for begin in range(0, chars.shape[0], _CHUNK_ROWS):
        varying |= (chars[begin : begin + _CHUNK_ROWS] != chars[0]).any(axis=0)
    return [int(position) for position in np.flatnonzero(varying)]


def _dense(codes: Index, bound: int) -> tuple[Index, Index]:
    """Codes in [0, bound) renumbered 0 … K−1 in the same order, and the K codes used."""
    present = np.zeros(bound, dtype=bool)
    present[codes] = True
    rank = np.cumsum(present, dtype=np.intp) - 1
    return rank[codes], np.flatnonzero(present)


def _text(value: object) -> str:
    """A label as text; bytes as UTF-8, undecodable bytes kept apart (surrogateescape)."""
    return value.decode(errors="surrogateescape") if isinstance(value, bytes) else str(value)
