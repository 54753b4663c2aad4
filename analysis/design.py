"""Survey designs: weights, strata, primary sampling units (PSUs) and finite population corrections.

A design describes a stratified multistage sample in the "ultimate cluster" form of Lumley (2010),
*Complex Surveys*, §3.2: only the first stage (strata and PSUs) enters the variance, with PSUs
treated as drawn with replacement within strata and the fpc applied at that first stage.
PSU labels are nested within strata (a label reused in two strata names two PSUs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from analysis.calibration import Calibration


class LonelyPSU(StrEnum):
    """What a stratum with a single PSU contributes to the variance (R's survey.lonely.psu)."""

    FAIL = "fail"
    REMOVE = "remove"
    CERTAINTY = "certainty"
    ADJUST = "adjust"


@dataclass(frozen=True)
class Layout:
    """Integer codes of the design: stratum and PSU per row, stratum per PSU, sizes per stratum."""

    row_stratum: NDArray[np.intp]
    row_psu: NDArray[np.intp]
    psu_stratum: NDArray[np.intp]
    psus_per_stratum: NDArray[np.int64]
    finite_correction: NDArray[np.float64]
    stratum_labels: NDArray[Any]
    elements: bool = False  # every row its own PSU (no psu given): PSU totals are the rows


@dataclass(frozen=True, eq=False)
class Design:
    """Weights, optional strata, PSUs and fpc (population PSUs per stratum, given per row).

    ``calibration`` records the margins the weights were calibrated to (see
    ``analysis.calibrate``); variances then use calibration residuals.
    """

    weights: NDArray[Any]
    strata: NDArray[Any] | None = None
    psu: NDArray[Any] | None = None
    fpc: NDArray[Any] | None = None
    calibration: Calibration | None = None
    layout: Layout = field(init=False, repr=False)

    def __post_init__(self) -> None:
        weights = _as_weights(self.weights)
        size = weights.size
        strata = _as_labels("strata", self.strata, size)
        psu = _as_labels("psu", self.psu, size)
        fpc = _as_fpc(self.fpc, size)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "strata", strata)
        object.__setattr__(self, "psu", psu)
        object.__setattr__(self, "fpc", fpc)
        object.__setattr__(self, "layout", _layout(strata, psu, fpc, size))
        if self.calibration is not None and self.calibration.base_weights.size != size:
            raise ValueError("the calibration's base weights do not match the design's rows.")

    @property
    def n(self) -> int:
        """Number of rows (sampled elements) in the design."""
        return int(self.weights.size)

    @property
    def df(self) -> int:
        """Design degrees of freedom: #PSUs − #strata (Lumley 2010, §3.2; Wolter 2007, §1.6)."""
        layout = self.layout
        return int(layout.psu_stratum.size - layout.psus_per_stratum.size)


def _as_weights(weights: Any) -> NDArray[np.float64]:
    values = np.asarray(weights, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError("weights must be a non-empty one-dimensional array, one weight per row.")
    # All positive (NaN compares false) and a finite sum (no inf): two cheap passes.
    if not ((values > 0).all() and np.isfinite(values.sum())):
        if np.isnan(values).any():
            raise ValueError("weights contain NaN; every row needs a weight.")
        bad = int(np.count_nonzero(~(values > 0) | ~np.isfinite(values)))
        raise ValueError(f"weights must be positive and finite; {bad} are not.")
    return values


def _as_labels(name: str, labels: Any, size: int) -> NDArray[Any] | None:
    if labels is None:
        return None
    values = np.asarray(labels)
    if values.ndim != 1 or values.size != size:
        raise ValueError(f"{name} has {values.size} values but weights has {size}; give one a row.")
    if values.dtype.kind in "fcO" and is_missing(values).any():
        raise ValueError(f"{name} contains missing values; every row needs a {name} label.")
    return values


def _as_fpc(fpc: Any, size: int) -> NDArray[np.float64] | None:
    if fpc is None:
        return None
    values = np.asarray(fpc, dtype=np.float64)
    if values.ndim != 1 or values.size != size:
        raise ValueError(f"fpc has {values.size} values but weights has {size}; give one a row.")
    if not (values > 0).all():
        if np.isnan(values).any():
            raise ValueError("fpc contains NaN; give the population size of every row's stratum.")
        raise ValueError("fpc must be positive population sizes (R's convention, N_h per row).")
    return values


def is_missing(values: NDArray[Any]) -> NDArray[np.bool_]:
    """Rows holding NaN (float arrays) or None/NaN (object arrays)."""
    if values.dtype.kind in "fc":
        return np.asarray(np.isnan(values))
    if values.dtype.kind == "O":
        return np.array([v is None or (isinstance(v, float) and v != v) for v in values], bool)
    return np.zeros(values.shape, dtype=bool)


def _codes(labels: NDArray[Any] | None, size: int) -> tuple[NDArray[np.intp], NDArray[Any]]:
    if labels is None:
        return np.zeros(size, dtype=np.intp), np.array([None], dtype=object)
    if labels.dtype.kind in "iu" and labels.size:
        low, high = int(labels.min()), int(labels.max())
        if high - low <= 4 * labels.size:
            # Small-range integers: codes by counting instead of sorting (same order as unique).
            shifted = labels if low == 0 else labels - low
            present = np.bincount(shifted, minlength=high - low + 1) > 0
            uniques = np.flatnonzero(present) + low
            if present.all():
                return shifted.astype(np.intp), uniques.astype(labels.dtype)
            lookup = np.cumsum(present) - 1
            return lookup[shifted].astype(np.intp, copy=False), uniques.astype(labels.dtype)
    uniques, inverse = np.unique(labels, return_inverse=True)
    return inverse.reshape(-1).astype(np.intp), uniques


def _layout(
    strata: NDArray[Any] | None, psu: NDArray[Any] | None, fpc: NDArray[Any] | None, size: int
) -> Layout:
    row_stratum, stratum_labels = _codes(strata, size)
    if psu is None:
        row_psu = np.arange(size, dtype=np.intp)
    else:
        psu_code, psu_labels = _codes(psu, size)
        _, inverse = np.unique(row_stratum * psu_labels.size + psu_code, return_inverse=True)
        row_psu = inverse.reshape(-1).astype(np.intp)
    if psu is None:
        psu_stratum = row_stratum
    else:
        psu_stratum = np.zeros(int(row_psu.max()) + 1, dtype=np.intp)
        psu_stratum[row_psu] = row_stratum
    counts = np.bincount(psu_stratum, minlength=stratum_labels.size).astype(np.int64)
    correction = _finite_correction(fpc, row_stratum, counts, stratum_labels)
    return Layout(
        row_stratum, row_psu, psu_stratum, counts, correction, stratum_labels, psu is None
    )


def _finite_correction(
    fpc: NDArray[np.float64] | None,
    row_stratum: NDArray[np.intp],
    counts: NDArray[np.int64],
    labels: NDArray[Any],
) -> NDArray[np.float64]:
    """1 − f_h with f_h = n_h/N_h, n_h sampled and N_h population PSUs (Cochran 1977, §5.3)."""
    if fpc is None:
        return np.ones(counts.size)
    population = np.zeros(counts.size)
    population[row_stratum] = fpc
    if not np.array_equal(population[row_stratum], fpc):
        raise ValueError("fpc must be the same for every row of a stratum.")
    short = np.flatnonzero(population < counts)
    if short.size:
        h = int(short[0])
        raise ValueError(
            f"fpc of stratum {labels[h]} is {population[h]:g}, fewer than the {counts[h]} "
            "sampled PSUs; give the population number of PSUs (or elements) per stratum."
        )
    return np.asarray(1.0 - counts / population, dtype=np.float64)
