"""Replicate-weight variance estimation: delete-one-PSU jackknives and the rescaled bootstrap.

A replicate design carries, next to the full-sample weights, R columns of replicate weights; a
statistic θ̂ is recomputed with each column to give θ_r, and

    V(θ̂) = scale · Σ_r rscales_r · (θ_r − c)²,

with c the mean of the θ_r (over replicates with rscales_r > 0) or, when ``mse`` is true, θ̂
itself (Wolter 2007, *Introduction to Variance Estimation*, 2nd ed., ch. 4 for the jackknife and
ch. 5 for the bootstrap; Lumley 2010, *Complex Surveys*, §2.3). The replicate weights follow the
conventions of R's survey package, as.svrepdesign():

- ``jk1`` (unstratified designs): delete one PSU, the other G − 1 get w·G/(G − 1);
  scale = (1 − f)(G − 1)/G, rscales = 1 (Wolter 2007, ch. 4).
- ``jkn`` (stratified designs): delete PSU j of stratum h, the other PSUs of h get
  w·n_h/(n_h − 1), the other strata keep w; scale = 1, rscales = (1 − f_h)(n_h − 1)/n_h
  (Wolter 2007, ch. 4). A design with one stratum gives the same variances as ``jk1``.
- ``bootstrap``: the Rao–Wu rescaled bootstrap with n_h − 1 PSUs drawn with replacement in each
  stratum, w·n_h/(n_h − 1)·(times drawn) (Rao & Wu 1988, JASA 83; Rao, Wu & Yue 1992, Survey
  Methodology 18), R's type "subbootstrap": scale = 1/(R − 1), rscales = 1. As in R it ignores
  the fpc, so it overstates the variance by about 1/(1 − f_h) when sampling fractions are large.

For a linear statistic (a total) both jackknives reproduce the ultimate-cluster linearisation
variance exactly, fpc included (Wolter 2007, ch. 4). The degrees of freedom are the design's,
#PSUs − #strata, for every method (R uses the rank of the replicate weights less one, which is
the same for the jackknives and usually #PSUs − 1 for the bootstrap; the smaller value is kept).

A calibrated design is recalibrated replicate by replicate: the calibration is applied to each
column of replicate base weights (the pre-calibration weights times the replicate factors), as
R's postStratify(), rake() and calibrate() do for replicate designs (Lumley 2010, §7.2–7.4).

Memory: the replicate weights are an n × R array; a jackknife has one replicate per PSU, so an
element-level design (each row its own PSU) needs n² numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis.design import Design, Layout

Floats = NDArray[np.float64]


class ReplicateMethod(StrEnum):
    """How replicate weights are formed (R's as.svrepdesign types JK1, JKn, subbootstrap)."""

    JK1 = "jk1"
    JKN = "jkn"
    BOOTSTRAP = "bootstrap"


@dataclass(frozen=True, eq=False)
class ReplicateDesign:
    """Full-sample weights, an n × R array of replicate weights and the variance multipliers."""

    weights: Floats
    replicates: Floats
    scale: float
    rscales: Floats
    df: int
    mse: bool = False
    method: ReplicateMethod = ReplicateMethod.JKN

    def __post_init__(self) -> None:
        weights = np.asarray(self.weights, dtype=np.float64)
        replicates = np.asarray(self.replicates, dtype=np.float64)
        rscales = np.asarray(self.rscales, dtype=np.float64)
        _check_shapes(weights, replicates, rscales)
        if not (np.isfinite(replicates).all() and (replicates >= 0).all()):
            raise ValueError("replicate weights must be non-negative and finite.")
        if not (np.isfinite(self.scale) and self.scale > 0 and (rscales >= 0).all()):
            raise ValueError("scale must be positive and rscales non-negative.")
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "replicates", replicates)
        object.__setattr__(self, "rscales", rscales)
        object.__setattr__(self, "scale", float(self.scale))
        object.__setattr__(self, "method", ReplicateMethod(self.method))

    @property
    def n(self) -> int:
        """Number of rows (sampled elements) in the design."""
        return int(self.weights.size)

    @property
    def count(self) -> int:
        """Number of replicates R."""
        return int(self.rscales.size)


def _check_shapes(weights: Floats, replicates: Floats, rscales: Floats) -> None:
    if weights.ndim != 1 or weights.size == 0:
        raise ValueError("weights must be a non-empty one-dimensional array, one weight per row.")
    if replicates.ndim != 2 or replicates.shape[0] != weights.size:
        raise ValueError(f"replicates must be an array of {weights.size} rows × R replicates.")
    if rscales.shape != (replicates.shape[1],):
        raise ValueError(f"rscales needs one value per replicate ({replicates.shape[1]}).")


@dataclass(frozen=True)
class _Plan:
    """Replicate factors per PSU (#PSUs × R) and the variance multipliers."""

    factors: Floats
    scale: float
    rscales: Floats


def replicate_design(
    design: Design,
    method: ReplicateMethod | str = ReplicateMethod.JKN,
    *,
    replicates: int = 200,
    seed: int | None = None,
    mse: bool = False,
) -> ReplicateDesign:
    """Replicate weights for a design, as R's as.svrepdesign() (Lumley 2010, §2.3).

    ``replicates`` and ``seed`` apply to the bootstrap only; a jackknife has one replicate per
    PSU. A calibrated design's replicates are each recalibrated to the same margins.
    """
    chosen = ReplicateMethod(method)
    plan = _PLANS[chosen](design.layout, replicates, seed)
    factors = plan.factors[design.layout.row_psu]
    weights = _replicate_weights(design, factors)
    return ReplicateDesign(
        design.weights, weights, plan.scale, plan.rscales, design.df, mse, chosen
    )


def replicate_variance(thetas: Any, estimate: float, design: ReplicateDesign) -> float:
    """scale · Σ_r rscales_r (θ_r − c)², c = mean θ_r or θ̂ (Wolter 2007, ch. 4; R's svrVar)."""
    values = np.asarray(thetas, dtype=np.float64)
    if values.shape != design.rscales.shape:
        raise ValueError(f"thetas needs one value per replicate ({design.count}).")
    used = design.rscales > 0
    if not used.any():
        return 0.0
    centre = estimate if design.mse else float(values[used].mean())
    return float(design.scale * np.sum(design.rscales * (values - centre) ** 2))


def _replicate_weights(design: Design, factors: Floats) -> Floats:
    """w·factor, or each column of base·factor recalibrated (R's postStratify.svyrep.design)."""
    calibration = design.calibration
    if calibration is None:
        return np.asarray(design.weights[:, None] * factors, dtype=np.float64)
    base = calibration.base_weights[:, None] * factors
    columns = []
    for r in range(base.shape[1]):
        try:
            columns.append(calibration.apply(base[:, r]))
        except ValueError as error:
            raise ValueError(f"replicate {r + 1} cannot be calibrated: {error}") from error
    return np.asarray(np.stack(columns, axis=1), dtype=np.float64)


def _jk1(layout: Layout, replicates: int, seed: int | None) -> _Plan:
    """Delete-one-PSU jackknife of an unstratified design (Wolter 2007, ch. 4; R's jk1weights)."""
    if layout.psus_per_stratum.size > 1:
        raise ValueError(
            f"jk1 is for unstratified designs, but this design has {layout.psus_per_stratum.size} "
            "strata; use method='jkn'."
        )
    size = int(layout.psu_stratum.size)
    if size < 2:
        raise ValueError("the jackknife needs at least two PSUs.")
    factors = np.full((size, size), size / (size - 1))
    np.fill_diagonal(factors, 0.0)
    scale = (size - 1) / size * float(layout.finite_correction[0])
    return _Plan(factors, scale, np.ones(size))


def _jkn(layout: Layout, replicates: int, seed: int | None) -> _Plan:
    """Stratified delete-one-PSU jackknife (Wolter 2007, ch. 4; R's jknweights)."""
    _refuse_lonely(layout, "jkn")
    counts = layout.psus_per_stratum.astype(np.float64)
    own = layout.psu_stratum
    same = own[:, None] == own[None, :]
    factors = np.where(same, (counts / (counts - 1))[own][None, :], 1.0)
    np.fill_diagonal(factors, 0.0)
    rscales = ((counts - 1) / counts * layout.finite_correction)[own]
    return _Plan(factors, 1.0, np.asarray(rscales, dtype=np.float64))


def _bootstrap(layout: Layout, replicates: int, seed: int | None) -> _Plan:
    """Rescaled bootstrap, n_h − 1 draws a stratum (Rao, Wu & Yue 1992; R's subbootweights)."""
    _check_count(replicates)
    _refuse_lonely(layout, "bootstrap")
    times = _draw_counts(layout, replicates, np.random.default_rng(seed))
    counts = layout.psus_per_stratum.astype(np.float64)
    factors = times * (counts / (counts - 1))[layout.psu_stratum][:, None]
    return _Plan(factors, 1.0 / (replicates - 1), np.ones(replicates))


def _draw_counts(layout: Layout, replicates: int, rng: np.random.Generator) -> Floats:
    """Times each PSU is drawn (#PSUs × R) when n_h − 1 PSUs are drawn with replacement in h."""
    counts = layout.psus_per_stratum
    order = np.argsort(layout.psu_stratum, kind="stable")  # PSUs grouped by stratum
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    slots = np.repeat(np.arange(counts.size), counts - 1)  # the stratum of each draw
    offsets = rng.integers(0, counts[slots][:, None], size=(slots.size, replicates))
    drawn = order[starts[slots][:, None] + offsets]
    columns = np.broadcast_to(np.arange(replicates), drawn.shape)
    size = int(layout.psu_stratum.size)
    flat = np.bincount((drawn * replicates + columns).ravel(), minlength=size * replicates)
    return np.asarray(flat.reshape(size, replicates), dtype=np.float64)


def _check_count(replicates: int) -> None:
    if isinstance(replicates, bool) or not isinstance(replicates, int | np.integer):
        raise ValueError(f"replicates must be a whole number, not {replicates!r}.")
    if replicates < 2:
        raise ValueError(f"the bootstrap needs at least 2 replicates, not {replicates}.")


def _refuse_lonely(layout: Layout, method: str) -> None:
    lonely = np.flatnonzero(layout.psus_per_stratum < 2)
    if lonely.size:
        label = layout.stratum_labels[int(lonely[0])]
        raise ValueError(
            f"stratum {label} has a single PSU, so {method} cannot delete or resample it; "
            "collapse it with a neighbouring stratum before building replicates."
        )


_PLANS: dict[ReplicateMethod, Callable[[Layout, int, int | None], _Plan]] = {
    ReplicateMethod.JK1: _jk1,
    ReplicateMethod.JKN: _jkn,
    ReplicateMethod.BOOTSTRAP: _bootstrap,
}
