"""Design-based estimation: weights, calibration, estimates with linearised or replicate
variances, domain sub-indices, comparisons and key-driver regression.

Pure: numpy and scipy only; no web framework, no database (STYLE.md rule 6).
"""

from analysis.calibration import Calibration, calibrate
from analysis.comparisons import Difference, domain_difference, independent_difference
from analysis.design import Design, LonelyPSU
from analysis.domains import DomainEstimates, Domains, Linearised
from analysis.estimators import Estimate, Missing, mean, proportion, ratio, total
from analysis.indices import (
    IndexRow,
    IndexSettings,
    ItemScale,
    dimension_scores,
    rescale,
    satisfaction_indices,
)
from analysis.intervals import Interval
from analysis.raking import rake
from analysis.regression import Coefficient, Regression, key_drivers, regress
from analysis.reliability import cronbach_alpha
from analysis.replicates import (
    ReplicateDesign,
    ReplicateMethod,
    replicate_design,
    replicate_variance,
)
from analysis.variance import total_covariance, total_variance
from analysis.weights import (
    adjust_nonresponse,
    design_weights,
    effective_n,
    kish_deff,
    poststratify,
    trim_weights,
)

__all__ = [
    "Calibration",
    "Coefficient",
    "Design",
    "Difference",
    "DomainEstimates",
    "Domains",
    "Estimate",
    "IndexRow",
    "IndexSettings",
    "Interval",
    "ItemScale",
    "Linearised",
    "LonelyPSU",
    "Missing",
    "Regression",
    "ReplicateDesign",
    "ReplicateMethod",
    "adjust_nonresponse",
    "calibrate",
    "cronbach_alpha",
    "design_weights",
    "dimension_scores",
    "domain_difference",
    "effective_n",
    "independent_difference",
    "key_drivers",
    "kish_deff",
    "mean",
    "poststratify",
    "proportion",
    "rake",
    "ratio",
    "regress",
    "replicate_design",
    "replicate_variance",
    "rescale",
    "satisfaction_indices",
    "total",
    "total_covariance",
    "total_variance",
    "trim_weights",
]
