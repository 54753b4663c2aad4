"""Taylor-linearisation variance of a total of a linearised variable.

For a stratified multistage design with PSUs drawn with replacement within strata and the fpc
applied at the first stage (Wolter 2007, *Introduction to Variance Estimation*, 2nd ed., ch. 6,
the "ultimate cluster" estimator; Lohr 2022, *Sampling: Design and Analysis*, 3rd ed., §9.1;
Lumley 2010, *Complex Surveys*, §3.2):

    V = Σ_h (1 − f_h) · n_h/(n_h − 1) · Σ_i (z_hi − z̄_h)²,

with z_hi the PSU totals of the linearised variable and f_h = n_h/N_h. For a calibrated design
z is first replaced by its calibration residuals (``analysis.calibration``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis.design import Design, Layout, LonelyPSU

_Centres = Callable[[Layout, NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]


def total_variance(
    z: NDArray[np.float64], design: Design, lonely_psu: LonelyPSU = LonelyPSU.FAIL
) -> float:
    """Variance of Σ z_i by the ultimate-cluster formula (Wolter 2007, ch. 6; Lohr 2022, §9.1)."""
    layout = design.layout
    if design.calibration is not None:
        z = design.calibration.residuals(z, design.weights)
    size = layout.psu_stratum.size
    if layout.elements:
        totals = np.asarray(z, np.float64)
    else:
        totals = np.asarray(np.bincount(layout.row_psu, weights=z, minlength=size), np.float64)
    counts = layout.psus_per_stratum
    sums = _stratum_sums(layout, totals)
    means = sums / counts
    if (counts == 1).any():
        means = _LONELY[LonelyPSU(lonely_psu)](layout, totals, means)
    # Σ_i (t_i − m_h)² = Σ t² − 2 m_h Σ t + n_h m_h² in one pass; where that subtraction would
    # lose more than six digits (spread tiny beside the stratum mean), the two-pass form instead.
    second = _stratum_sums(layout, totals * totals)
    squares = second - 2 * means * sums + counts * means * means
    if (squares < 1e-6 * second).any():
        squares = _stratum_sums(layout, (totals - means[layout.psu_stratum]) ** 2)
    scale = np.where(counts > 1, counts / np.maximum(counts - 1, 1), 1.0)
    return float(np.sum(layout.finite_correction * scale * squares))


def _stratum_sums(layout: Layout, values: NDArray[np.float64]) -> NDArray[np.float64]:
    size = layout.psus_per_stratum.size
    return np.asarray(np.bincount(layout.psu_stratum, weights=values, minlength=size), np.float64)


def _fail(layout: Layout, totals: NDArray[np.float64], means: Any) -> NDArray[np.float64]:
    label = layout.stratum_labels[int(np.flatnonzero(layout.psus_per_stratum == 1)[0])]
    raise ValueError(
        f"stratum {label} has a single PSU, so its variance cannot be estimated; pass "
        "lonely_psu=LonelyPSU.REMOVE, CERTAINTY or ADJUST to choose a convention."
    )


def _own_mean(layout: Layout, totals: Any, means: NDArray[np.float64]) -> NDArray[np.float64]:
    """Centre a lone PSU at itself: the stratum contributes zero (R's "remove"/"certainty")."""
    return means


def _grand_mean(
    layout: Layout, totals: NDArray[np.float64], means: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Centre a lone PSU at the mean of all PSU totals (R's "adjust"; Lumley 2010, §3.2)."""
    return np.where(layout.psus_per_stratum == 1, totals.mean(), means)


_LONELY: dict[LonelyPSU, _Centres] = {
    LonelyPSU.FAIL: _fail,
    LonelyPSU.REMOVE: _own_mean,
    LonelyPSU.CERTAINTY: _own_mean,
    LonelyPSU.ADJUST: _grand_mean,
}


def total_covariance(
    z: NDArray[np.float64], design: Design, lonely_psu: LonelyPSU = LonelyPSU.FAIL
) -> NDArray[np.float64]:
    """Covariance matrix of the column totals of z (rows × columns), same estimator as above.

    Σ_h (1 − f_h)·n_h/(n_h − 1)·Σ_i (z_hi − z̄_h)(z_hi − z̄_h)ᵀ (Wolter 2007, ch. 6), used for
    regression coefficients (Binder 1983, *International Statistical Review* 51, §3).
    """
    layout = design.layout
    matrix = np.asarray(z, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != design.n:
        raise ValueError("z must have one row per design row and one column per statistic.")
    if design.calibration is not None:
        matrix = design.calibration.residuals(matrix, design.weights)
    size = layout.psu_stratum.size
    totals = np.column_stack(
        [
            np.bincount(layout.row_psu, weights=matrix[:, j], minlength=size)
            for j in range(matrix.shape[1])
        ]
    )
    counts = layout.psus_per_stratum
    strata = counts.size
    sums = np.column_stack(
        [
            np.bincount(layout.psu_stratum, weights=totals[:, j], minlength=strata)
            for j in range(matrix.shape[1])
        ]
    )
    means = sums / counts[:, None]
    lonely = counts == 1
    if lonely.any():
        chosen = LonelyPSU(lonely_psu)
        if chosen is LonelyPSU.FAIL:
            _fail(layout, np.asarray(totals[:, 0], np.float64), means[:, 0])
        if chosen is LonelyPSU.ADJUST:
            means[lonely] = totals.mean(axis=0)
    deviations = totals - means[layout.psu_stratum]
    scale = layout.finite_correction * np.where(counts > 1, counts / np.maximum(counts - 1, 1), 1.0)
    weighted = deviations * scale[layout.psu_stratum][:, None]
    return np.asarray(weighted.T @ deviations, np.float64)
