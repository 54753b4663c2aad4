"""Internal consistency of a dimension's items: Cronbach's α, optionally weighted."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def _weighted_variance(x: npt.NDArray[np.float64], w: npt.NDArray[np.float64]) -> float:
    mean = float(np.sum(w * x) / np.sum(w))
    return float(np.sum(w * (x - mean) ** 2) / np.sum(w))


def cronbach_alpha(items: npt.ArrayLike, weights: npt.ArrayLike | None = None) -> float:
    """Cronbach's α = k/(k − 1) · (1 − Σ_i σ²_i / σ²_total) over complete rows.

    ``items`` is respondents × items; rows with a missing answer (NaN) are left out (listwise).
    With ``weights`` the variances are weighted (Cronbach 1951, Psychometrika 16(3), p. 299;
    the weighted form as in Lumley 2010, Complex Surveys, §2.3's weighted moments). The ratio
    makes the variance divisor irrelevant, so n or n − 1 gives the same α.
    """
    data = np.asarray(items, dtype=np.float64)
    if data.ndim != 2 or data.shape[1] < 2:
        raise ValueError("items must be a table of respondents × at least two items")
    w = np.ones(len(data)) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (len(data),) or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be one finite, non-negative number per respondent")
    complete = ~np.isnan(data).any(axis=1) & (w > 0)
    data, w = data[complete], w[complete]
    if len(data) < 2:
        raise ValueError("Cronbach's alpha needs at least two complete, weighted respondents")
    total = _weighted_variance(data.sum(axis=1), w)
    if total == 0:
        raise ValueError("the item sums do not vary, so alpha is undefined")
    k = data.shape[1]
    items_variance = sum(_weighted_variance(data[:, j], w) for j in range(k))
    return float(k / (k - 1) * (1 - items_variance / total))
