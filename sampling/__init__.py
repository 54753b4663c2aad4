"""Sample sizes, allocation to strata and reproducible stratified selection.

Pure: numpy and the standard library only; no web framework, no database (ARCHITECTURE.md).
"""

from sampling.allocation import Allocation, Rounding, allocate, allocation_quotas
from sampling.selection import Selection, SelectionMethod, inclusion_probabilities, select
from sampling.sizes import (
    domain_sample_sizes,
    margin_of_error_proportion,
    sample_size_mean,
    sample_size_proportion,
    sample_size_yamane,
    z_score,
)

__all__ = [
    "Allocation",
    "Rounding",
    "Selection",
    "SelectionMethod",
    "allocate",
    "allocation_quotas",
    "domain_sample_sizes",
    "inclusion_probabilities",
    "margin_of_error_proportion",
    "sample_size_mean",
    "sample_size_proportion",
    "sample_size_yamane",
    "select",
    "z_score",
]
