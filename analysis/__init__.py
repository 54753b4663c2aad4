"""Design-based estimation: totals, means, ratios and proportions with linearised variances.

Pure: numpy and scipy only; no web framework, no database (STYLE.md rule 6).
"""

from analysis.design import Design, LonelyPSU
from analysis.estimators import Estimate, Missing, mean, proportion, ratio, total
from analysis.intervals import Interval
from analysis.variance import total_variance

__all__ = [
    "Design",
    "Estimate",
    "Interval",
    "LonelyPSU",
    "Missing",
    "mean",
    "proportion",
    "ratio",
    "total",
    "total_variance",
]
