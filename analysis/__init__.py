"""Design-based estimation: totals, means, ratios and proportions with linearised variances.

Pure: numpy and scipy only; no web framework, no database (STYLE.md rule 6).
"""

from analysis.design import Design, LonelyPSU
from analysis.estimators import Estimate, Missing, mean, proportion, ratio, total
from analysis.intervals import Interval
from analysis.raking import rake
from analysis.reliability import cronbach_alpha
from analysis.variance import total_variance
from analysis.weights import (
    adjust_nonresponse,
    design_weights,
    effective_n,
    kish_deff,
    poststratify,
    trim_weights,
)

__all__ = [
    "cronbach_alpha",
    "Design",
    "Estimate",
    "Interval",
    "LonelyPSU",
    "Missing",
    "adjust_nonresponse",
    "design_weights",
    "effective_n",
    "kish_deff",
    "mean",
    "poststratify",
    "proportion",
    "rake",
    "ratio",
    "total",
    "total_variance",
    "trim_weights",
]
