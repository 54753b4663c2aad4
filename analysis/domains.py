"""Means for many domains at once, each with its linearised standard error and design effect.

The same estimator as ``analysis.mean(y, design, domain=labels == d)`` for every domain d, in one
pass over the rows: a domain keeps the whole design, rows outside contribute z_i = 0 (Lohr 2022,
*Sampling: Design and Analysis*, 3rd ed., §4.3 and §9.1; Lumley 2010, *Complex Surveys*, §2.2,
svyby). Because every row belongs to one domain, the PSU totals of every domain's linearised
variable come from one sparse sum over (PSU, domain) pairs, and the ultimate-cluster variance
Σ_h (1 − f_h)·n_h/(n_h − 1)·Σ_i (z_hi − z̄_h)² (Wolter 2007, *Introduction to Variance
Estimation*, 2nd ed., ch. 6) is Σ_h c_h·(Σ_i z_hi² − (Σ_i z_hi)²/n_h) per domain.

Calibrated designs are handled in the same pass when every calibration cell lies inside one
domain (the post-strata of the desk-QR weighting are unit × field cells, the domains units);
other calibrations take one residual pass per domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis.design import Design, LonelyPSU, is_missing
from analysis.estimators import Missing
from analysis.intervals import Interval, interval, quantile
from analysis.variance import total_variance

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class DomainEstimates:
    """Per-domain means with SE, confidence limits, n, design effect and effective n.

    ``deff`` is the design variance over the variance the same estimator would have if the
    domain's n respondents were a simple random sample drawn with replacement (Kish 1965,
    *Survey Sampling*, §8.2; R's svymean(deff = "replace")); ``n_eff`` is n/deff.
    """

    labels: NDArray[Any]
    estimate: Floats
    se: Floats
    ci_low: Floats
    ci_high: Floats
    n: NDArray[np.int64]
    deff: Floats
    n_eff: Floats
    df: int

    def row(self, label: Any) -> dict[str, Any]:
        """The numbers of one domain as a plain mapping."""
        index = int(np.flatnonzero(self.labels == label)[0])
        return {
            "domain": self.labels[index],
            "estimate": float(self.estimate[index]),
            "se": float(self.se[index]),
            "ci_low": float(self.ci_low[index]),
            "ci_high": float(self.ci_high[index]),
            "n": int(self.n[index]),
            "deff": float(self.deff[index]),
            "n_eff": float(self.n_eff[index]),
        }


@dataclass(frozen=True)
class Linearised:
    """Domain estimates with their linearised variable z (row i counts for its own domain).

    Linear combinations of several Linearised (same domains, same design) are linearised by the
    same combination of their z (Wolter 2007, §6.2; Lohr 2022, §9.1).
    """

    estimate: Floats
    z: Floats
    observed: NDArray[np.bool_]
    weight_sums: Floats
    counts: Floats
    srs: Floats | None = None  # with-replacement SRS variance, when computed on the way


class Domains:
    """A design split into domains by a label per row; rows with a missing label are in none.

    Build once, then call ``mean`` for many variables: the (PSU, domain) layout is reused.
    """

    def __init__(
        self,
        design: Design,
        labels: Any,
        *,
        lonely_psu: LonelyPSU | str = LonelyPSU.FAIL,
    ) -> None:
        values = np.asarray(labels)
        if values.ndim != 1 or values.size != design.n:
            raise ValueError(
                f"domains has {values.size} labels but the design has {design.n} rows."
            )
        absent = is_missing(values)
        present = np.flatnonzero(~absent)
        uniques, inverse = np.unique(values[present].astype(str), return_inverse=True)
        codes = np.full(design.n, -1, dtype=np.intp)
        codes[present] = inverse.reshape(-1)
        self.design = design
        self.labels: NDArray[Any] = uniques
        self.codes = codes
        self.lonely_psu = LonelyPSU(lonely_psu)
        self._nested = _calibration_nested(design, codes)
        layout = design.layout
        size = len(uniques)
        self._rows = present
        self._all_rows = present.size == design.n
        self._safe_codes = np.maximum(codes, 0)
        if layout.elements:
            # Every row its own PSU: the (PSU, domain) totals are the rows themselves.
            self._pair_of_row: NDArray[np.intp] | None = None
            self._pair_count = present.size
            self._pair_cell = layout.row_stratum[present] * size + codes[present]
        else:
            pairs = layout.row_psu[present].astype(np.int64) * size + codes[present]
            unique_pairs, pair_of_row = np.unique(pairs, return_inverse=True)
            self._pair_of_row = pair_of_row.reshape(-1).astype(np.intp)
            self._pair_count = unique_pairs.size
            pair_psu = (unique_pairs // size).astype(np.intp)
            pair_domain = (unique_pairs % size).astype(np.intp)
            self._pair_cell = layout.psu_stratum[pair_psu] * size + pair_domain
        counts = layout.psus_per_stratum
        if (counts == 1).any() and self.lonely_psu is LonelyPSU.FAIL:
            label = layout.stratum_labels[int(np.flatnonzero(counts == 1)[0])]
            raise ValueError(
                f"stratum {label} has a single PSU, so its variance cannot be estimated; pass "
                "lonely_psu=LonelyPSU.REMOVE, CERTAINTY or ADJUST to choose a convention."
            )
        self._scale = layout.finite_correction * np.where(
            counts > 1, counts / np.maximum(counts - 1, 1), 1.0
        )

    def mean(
        self,
        y: Any,
        *,
        missing: Missing | str = Missing.FAIL,
        confidence: float = 0.95,
        method: Interval | str = Interval.T,
    ) -> DomainEstimates:
        """Hájek mean of y in every domain (Lohr 2022, §9.1), as ``analysis.mean`` per domain."""
        part = self.linearise(y, missing=missing)
        return self.estimates(part, confidence=confidence, method=method)

    def linearise(self, y: Any, *, missing: Missing | str = Missing.FAIL) -> Linearised:
        """Every domain's mean of y and the linearised variable z (one domain per row)."""
        design = self.design
        values = np.asarray(y, dtype=np.float64)
        if values.shape != (design.n,):
            raise ValueError(f"y has {values.size} values but the design has {design.n} rows.")
        absent = np.isnan(values)
        if absent.any() and Missing(missing) is Missing.FAIL:
            raise ValueError(
                f"y has {int(absent.sum())} missing values; pass missing='exclude' to treat "
                "those rows as outside every domain."
            )
        size = len(self.labels)
        codes = self._safe_codes
        observed = ~absent if self._all_rows else (self.codes >= 0) & ~absent
        weights = design.weights * observed
        clean = np.where(absent, 0.0, values) if absent.any() else values
        weighted = weights * clean
        weight_sums = np.asarray(np.bincount(codes, weights=weights, minlength=size), np.float64)
        sums = np.bincount(codes, weights=weighted, minlength=size)
        counts = np.asarray(np.bincount(codes, weights=observed, minlength=size), np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            estimate = np.where(weight_sums > 0, sums / weight_sums, np.nan)
            inverse = np.where(weight_sums > 0, 1.0 / weight_sums, 0.0)
        # z_i = w_i(y_i − ȳ_d)/W_d; rows outside or missing have w_i = 0, so z_i = 0.
        centred = clean - np.nan_to_num(estimate)[codes]
        spread = weights * centred
        z = spread * inverse[codes]
        # Σ_d w(y − ȳ_d)²/W_d/(n_d − 1): the SRS variance of the domain mean (see DomainEstimates).
        squares = np.bincount(codes, weights=spread * centred, minlength=size)
        srs = np.asarray(squares * inverse / np.maximum(counts - 1, 1), np.float64)
        return Linearised(estimate, z, observed, weight_sums, counts, srs)

    def estimates(
        self,
        part: Linearised,
        *,
        confidence: float = 0.95,
        method: Interval | str = Interval.T,
    ) -> DomainEstimates:
        """Standard errors, intervals and design effects of linearised domain estimates."""
        design = self.design
        srs = part.srs
        if srs is None:
            srs = _srs_variance(
                part.z,
                design.weights,
                part.observed,
                self._safe_codes,
                part.weight_sums,
                part.counts,
            )
        if design.calibration is None:
            variance = self._variance(part.z)
        elif self._nested:
            variance = self._variance(design.calibration.residuals(part.z, design.weights))
        else:
            variance = self._crossing(part.z)
        return self._finish(part.estimate, variance, srs, part.counts, confidence, Interval(method))

    def _variance(self, z: Floats) -> Floats:
        layout = self.design.layout
        size = len(self.labels)
        strata = layout.psus_per_stratum.size
        if self._pair_of_row is None:
            totals = z if self._all_rows else z[self._rows]
        else:
            totals = np.asarray(
                np.bincount(self._pair_of_row, weights=z[self._rows], minlength=self._pair_count),
                np.float64,
            )
        first = np.bincount(self._pair_cell, weights=totals, minlength=strata * size)
        second = np.bincount(self._pair_cell, weights=totals**2, minlength=strata * size)
        first = first.reshape(strata, size)
        second = second.reshape(strata, size)
        counts = layout.psus_per_stratum.astype(np.float64)[:, None]
        squares = second - first**2 / counts
        lone = layout.psus_per_stratum == 1
        if lone.any() and self.lonely_psu is LonelyPSU.ADJUST:
            # R's "adjust": centre a lone PSU at the mean of all PSU totals (Lumley 2010, §3.2).
            grand = first.sum(axis=0) / layout.psu_stratum.size
            squares[lone] = (first[lone] - grand[None, :]) ** 2
        elif lone.any():
            squares[lone] = 0.0
        return np.asarray(np.maximum(self._scale @ squares, 0.0), np.float64)

    def _finish(
        self,
        estimate: Floats,
        variance: Floats,
        srs: Floats,
        counts: Floats,
        confidence: float,
        method: Interval,
    ) -> DomainEstimates:
        df = self.design.df
        se = np.sqrt(variance)
        if method is Interval.LOGIT:
            low = np.full(estimate.size, np.nan)
            high = np.full(estimate.size, np.nan)
            for index in np.flatnonzero(np.isfinite(estimate)):
                low[index], high[index] = interval(
                    float(estimate[index]), float(se[index]), df, confidence, method
                )
        else:
            # One quantile for every domain: they share the design's degrees of freedom.
            half = quantile(confidence, df if method is Interval.T else None) * se
            low, high = estimate - half, estimate + half
        with np.errstate(invalid="ignore", divide="ignore"):
            deff = np.where(srs > 0, variance / srs, np.nan)
            n_eff = np.where(deff > 0, counts / deff, np.nan)
        return DomainEstimates(
            self.labels, estimate, se, low, high, counts.astype(np.int64), deff, n_eff, df
        )

    def _crossing(self, z: Floats) -> Floats:
        """Calibration cells that cross domains spread each domain's residuals over other
        domains' rows, so each domain's residuals get their own pass (Lumley 2010, §7.4)."""
        design = self.design
        assert design.calibration is not None
        variance = np.zeros(len(self.labels))
        for code in range(len(self.labels)):
            own = np.where(self.codes == code, z, 0.0)
            variance[code] = total_variance(own, design, self.lonely_psu)
        return variance


def _srs_variance(
    z: Floats,
    weights: Floats,
    observed: NDArray[np.bool_],
    codes: NDArray[np.intp],
    weight_sums: Floats,
    counts: Floats,
) -> Floats:
    """W_d·Σ z_i²/w_i/(n_d − 1): s²_w/n for a mean, the with-replacement SRS variance."""
    size = weight_sums.size
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(observed, z**2 / weights, 0.0)
    share = np.bincount(codes, weights=terms, minlength=size)
    return np.asarray(weight_sums * share / np.maximum(counts - 1, 1), np.float64)


def _calibration_nested(design: Design, codes: NDArray[np.intp]) -> bool:
    """True when the design is post-stratified and every cell's rows share one domain."""
    calibration = design.calibration
    if calibration is None:
        return True
    if not calibration.single:
        return False
    (cells,) = calibration.margins.values()
    _, cell_codes = np.unique(cells, return_inverse=True)
    cell_codes = cell_codes.reshape(-1)
    first = np.full(int(cell_codes.max()) + 1, -2, dtype=np.intp)
    first[cell_codes] = codes
    return bool(np.array_equal(first[cell_codes], codes))
