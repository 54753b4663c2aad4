"""Raking: iterative proportional fitting of weights to several one-way margins.

Deming & Stephan (1940); Valliant, Dever & Kreuter (2018), *Practical Tools for Designing and
Weighting Survey Samples*, 2nd ed., ch. 14; Lumley (2010), *Complex Surveys*, ch. 7 (rake()).
Each pass post-stratifies to one margin in turn; the passes repeat until every margin is met.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis.weights import Floats, as_labels, as_targets, as_weights, check_categories

Margin = tuple[NDArray[np.str_], dict[str, float]]


def rake(
    weights: Any,
    margins: Mapping[str, Any],
    targets: Mapping[str, Mapping[str, float]],
    *,
    tol: float = 1e-8,
    max_iter: int = 100,
) -> Floats:
    """Deming–Stephan raking until every margin is within tol·N (Valliant et al. 2018, ch. 14)."""
    values = as_weights(weights)
    fitted = _margins(values, margins, targets, tol)
    grand = sum(fitted[0][1].values())
    raked = values.copy()
    for _ in range(max_iter):
        for labels, totals in fitted:
            _fit(raked, labels, totals)
        if _worst_gap(raked, fitted) <= tol * grand:
            return raked
    raise ValueError(
        f"raking did not converge within max_iter={max_iter} passes (tol={tol:g}); "
        "the margins may be inconsistent with the sample's empty cells."
    )


def _margins(
    values: Floats,
    margins: Mapping[str, Any],
    targets: Mapping[str, Mapping[str, float]],
    tol: float,
) -> list[Margin]:
    if not margins:
        raise ValueError("rake needs at least one margin.")
    if set(margins) != set(targets):
        raise ValueError(
            f"margins ({', '.join(sorted(margins))}) and targets "
            f"({', '.join(sorted(targets))}) must name the same variables."
        )
    fitted: list[Margin] = []
    for name in margins:
        labels = as_labels(name, margins[name], values.size).astype(str)
        totals = as_targets(f"targets for {name}", targets[name])
        check_categories(f"{name} category", labels, values, totals)
        fitted.append((labels, totals))
    _check_grand_totals(list(margins), [sum(totals.values()) for _, totals in fitted], tol)
    return fitted


def _check_grand_totals(names: list[str], grands: list[float], tol: float) -> None:
    # Margins with different population sizes cannot all be met (Valliant et al. 2018, ch. 14).
    first = grands[0]
    for name, grand in zip(names, grands, strict=True):
        if abs(grand - first) > tol * abs(first):
            raise ValueError(
                f"targets for {name} total {grand:g} but targets for {names[0]} total {first:g}; "
                "every margin must describe the same population."
            )


def _fit(raked: Floats, labels: NDArray[np.str_], totals: Mapping[str, float]) -> None:
    for label, target in totals.items():
        inside = labels == label
        current = float(raked[inside].sum())
        if current > 0:
            raked[inside] *= target / current


def _worst_gap(raked: Floats, fitted: list[Margin]) -> float:
    return max(
        abs(float(raked[labels == label].sum()) - target)
        for labels, totals in fitted
        for label, target in totals.items()
    )
