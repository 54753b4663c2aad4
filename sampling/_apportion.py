"""Turning stratum weights into sample sizes: capped real quotas, then whole numbers.

Arrays are aligned with the strata in the caller's order; that order breaks every tie.
"""

from __future__ import annotations

import bisect
import heapq

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

# Quotas such as 2.4999999999999996 are 2.5: rounding to 9 decimals first makes exact ties
# (which go to the earlier stratum) survive floating-point arithmetic.
_NOISE_DIGITS = 9


def capped_quotas(weights: Floats, lower: Ints, upper: Ints, n: int) -> Floats:
    """x_h = clip(λ·w_h, L_h, U_h) with Σ x_h = n (Cochran 1977, §5.8, p. 104).

    Cochran caps a stratum whose share exceeds N_h at N_h and re-allocates the rest among the
    others, repeating until none exceeds; the fixed point is this λ, found exactly (Σ clip is
    piecewise linear and non-decreasing in λ). Minimums L_h enter the same way, from below.
    """
    low, high = lower.astype(np.float64), upper.astype(np.float64)
    if n >= high.sum():
        return high
    scale = _scale(weights, low, high, float(n))
    return np.clip(scale * weights, low, high)


def largest_remainder(quotas: Floats, n: int) -> Ints:
    """Hamilton's largest-remainder rounding: floors, then +1 for the largest fractions.

    Each n_h is ⌊x_h⌋ or ⌈x_h⌉ (the quota property); ties go to the earlier stratum. It can
    show the Alabama paradox (Balinski & Young 2001, *Fair Representation*, 2nd ed.):
    n + 1 may give a stratum one unit fewer than n.
    """
    counts = np.floor(np.round(quotas, _NOISE_DIGITS)).astype(np.int64)
    missing = n - int(counts.sum())
    fractions = np.round(quotas - counts, _NOISE_DIGITS)
    by_fraction = np.argsort(-fractions, kind="stable")
    counts[by_fraction[:missing]] += 1
    return counts


def sainte_lague(weights: Floats, lower: Ints, upper: Ints, n: int) -> Ints:
    """Webster/Sainte-Laguë divisor rounding within [L_h, U_h], one unit at a time.

    Starting from L_h, each next unit goes to the open stratum with the largest w_h/(n_h + ½)
    (Balinski & Young 2001). Built one unit at a time, it is house-monotone: n + 1
    never gives a stratum fewer units than n. Ties go to the earlier stratum.
    """
    counts = lower.copy()
    heap = [
        (-_priority(float(w), int(c)), i)
        for i, (w, c, u) in enumerate(zip(weights, counts, upper, strict=True))
        if c < u and w > 0
    ]
    heapq.heapify(heap)
    for _ in range(n - int(counts.sum())):
        _, i = heapq.heappop(heap)
        counts[i] += 1
        if counts[i] < upper[i]:
            heapq.heappush(heap, (-_priority(float(weights[i]), int(counts[i])), i))
    return counts


def _priority(weight: float, count: int) -> float:
    return round(weight / (count + 0.5), _NOISE_DIGITS)


def _scale(weights: Floats, low: Floats, high: Floats, n: float) -> float:
    """The λ with Σ clip(λ·w, low, high) = n: bisect the kinks, then interpolate linearly."""
    movable = (weights > 0) & (low < high)
    kinks = np.unique(
        np.concatenate(([0.0], low[movable] / weights[movable], high[movable] / weights[movable]))
    )

    def total(scale: float) -> float:
        return float(np.clip(scale * weights, low, high).sum())

    j = min(bisect.bisect_left(kinks, n, key=total), kinks.size - 1)
    right, right_total = float(kinks[j]), total(float(kinks[j]))
    if j == 0 or right_total <= n:
        return right
    left = float(kinks[j - 1])
    left_total = total(left)
    return left + (n - left_total) * (right - left) / (right_total - left_total)
