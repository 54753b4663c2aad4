"""Calibrated designs: post-stratification and raking with calibration-aware linearisation.

After the weights are calibrated to population totals of some categorical margins, an estimator's
linearised variable z_i = w_i·u_i is replaced by w_i·(u_i − x_iᵀb), the residual of u on the
margins' indicator columns x_i by least squares weighted with the pre-calibration weights d_i
(Deville & Särndal 1992, "Calibration estimators in survey sampling", JASA 87, §3; Särndal,
Swensson & Wretman 1992, *Model Assisted Survey Sampling*, §6.6; Lumley 2010, *Complex Surveys*,
§7.2–7.4). This is what R's survey package does: postStratify() and calibrate() store the
model's QR decomposition and svyrecvar() takes ``qr.resid(qr, x/w)·w`` before the PSU totals.
For a single margin (post-stratification) the residual is u minus its weighted mean in the cell
(Lohr 2022, *Sampling: Design and Analysis*, 3rd ed., §4.4). Raking to several margins is
asymptotically the same calibration to the union of their indicators (Deville & Särndal 1992,
Result 1), so its variance uses the same projection, as R's calibrate(calfun = "raking") does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis.design import Design
from analysis.raking import rake
from analysis.weights import Floats, as_labels, as_targets, poststratify


@dataclass(frozen=True, eq=False)
class Calibration:
    """The margins and population totals the weights were calibrated to, and the base weights."""

    base_weights: Floats
    margins: dict[str, NDArray[np.str_]]
    targets: dict[str, dict[str, float]]
    tol: float = 1e-8
    max_iter: int = 100
    _codes: list[NDArray[np.intp]] = field(init=False, repr=False)
    _widths: list[int] = field(init=False, repr=False)
    _inverse: NDArray[np.float64] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        codes: list[NDArray[np.intp]] = []
        widths: list[int] = []
        for name, labels in self.margins.items():
            categories = sorted(self.targets[name])
            lookup = {label: index for index, label in enumerate(categories)}
            codes.append(np.array([lookup[label] for label in labels.tolist()], dtype=np.intp))
            widths.append(len(categories))
        object.__setattr__(self, "_codes", codes)
        object.__setattr__(self, "_widths", widths)
        # Gram matrix Σ d_i x_i x_iᵀ of the stacked indicators, one block per pair of margins.
        blocks = [
            [_cross(a, b, wa, wb, self.base_weights) for b, wb in zip(codes, widths, strict=True)]
            for a, wa in zip(codes, widths, strict=True)
        ]
        # Indicators of several margins are collinear (each margin's columns sum to one): the
        # pseudo-inverse gives the same fitted values as any generalised inverse.
        object.__setattr__(self, "_inverse", np.linalg.pinv(np.block(blocks), hermitian=True))

    @property
    def single(self) -> bool:
        """True for post-stratification (one margin), whose residuals are within-cell."""
        return len(self.margins) == 1

    def apply(self, base_weights: Any) -> Floats:
        """Calibrate other base weights (replicate weights) to the same margins and totals."""
        if self.single:
            ((name, labels),) = self.margins.items()
            return poststratify(base_weights, labels, self.targets[name])
        return rake(base_weights, self.margins, self.targets, tol=self.tol, max_iter=self.max_iter)

    def residuals(self, z: NDArray[np.float64], weights: Floats) -> NDArray[np.float64]:
        """w·(u − xᵀb) for u = z/w, b by d-weighted least squares; z may have several columns."""
        column = weights if z.ndim == 1 else weights[:, None]
        base = self.base_weights if z.ndim == 1 else self.base_weights[:, None]
        u = z / column
        cross = np.concatenate(
            [
                _sums(codes, width, u * base)
                for codes, width in zip(self._codes, self._widths, strict=True)
            ]
        )
        coefficients = self._inverse @ cross
        fitted = np.zeros_like(u)
        offset = 0
        for codes, width in zip(self._codes, self._widths, strict=True):
            fitted += coefficients[offset : offset + width][codes]
            offset += width
        return np.asarray((u - fitted) * column, dtype=np.float64)


def _sums(codes: NDArray[np.intp], width: int, values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per-category sums of one or several columns."""
    if values.ndim == 1:
        return np.asarray(np.bincount(codes, weights=values, minlength=width), np.float64)
    columns = [
        np.bincount(codes, weights=values[:, j], minlength=width) for j in range(values.shape[1])
    ]
    return np.asarray(np.stack(columns, axis=1), np.float64)


def _cross(
    codes_a: NDArray[np.intp],
    codes_b: NDArray[np.intp],
    width_a: int,
    width_b: int,
    weights: Floats,
) -> NDArray[np.float64]:
    """The block Σ d_i x_ai x_biᵀ of the Gram matrix for two margins."""
    flat = np.bincount(codes_a * width_b + codes_b, weights=weights, minlength=width_a * width_b)
    return np.asarray(flat.reshape(width_a, width_b), np.float64)


def calibration_for(
    base_weights: Floats,
    margins: Mapping[str, Any],
    targets: Mapping[str, Mapping[str, float]],
    *,
    tol: float = 1e-8,
    max_iter: int = 100,
) -> tuple[Floats, Calibration]:
    """Calibrated weights and how: post-stratification for one margin, else raking."""
    if not margins:
        raise ValueError("calibration needs at least one margin.")
    if set(margins) != set(targets):
        raise ValueError(
            f"margins ({', '.join(sorted(margins))}) and targets "
            f"({', '.join(sorted(targets))}) must name the same variables."
        )
    labels = {
        name: as_labels(name, values, base_weights.size).astype(str)
        for name, values in margins.items()
    }
    totals = {name: as_targets(f"targets for {name}", targets[name]) for name in margins}
    calibration = Calibration(base_weights, labels, totals, tol, max_iter)
    return calibration.apply(base_weights), calibration


def calibrate(
    design: Design,
    margins: Mapping[str, Any],
    targets: Mapping[str, Mapping[str, float]],
    *,
    tol: float = 1e-8,
    max_iter: int = 100,
) -> Design:
    """The design with weights post-stratified (one margin) or raked (several) to the targets.

    Estimates from the returned design use calibration-aware linearisation, as R's
    postStratify(), rake() and calibrate() designs do (Lumley 2010, §7.2–7.4).
    """
    if design.calibration is not None:
        raise ValueError("the design is already calibrated; calibrate the base design once.")
    weights, calibration = calibration_for(
        design.weights, margins, targets, tol=tol, max_iter=max_iter
    )
    return Design(weights, design.strata, design.psu, design.fpc, calibration)
