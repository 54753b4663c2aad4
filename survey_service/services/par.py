"""The PAR Index: schemes pinned per campaign, appraisal points, computations and publication.

A campaign scores each unit group (departments, districts) with a scheme version (the criteria
tree of ``analysis.par``), stored by content hash like questionnaires. Appraisal sub-criteria get
points entered per unit (self-assessed, then appraised by reviewers); survey sub-criteria take
their sub-index from the campaign's latest analysis run. A computation stores the scheme
versions, the analysis run and a checksum of the appraisal state it used, every unit's total,
index, rank, rank range and class, and the survey components; publishing freezes it.

The pieces live in their own modules and are re-exported here, the service's public entry:
``par_schemes`` (scheme versions, pins per unit group, the published check), ``par_appraisals``
(appraisal entries and their updates) and ``par_computations`` (computing, reading, ranking and
publishing computations).
"""

from survey_service.services.par_appraisals import (
    FIELDS,
    AppraisalUpdate,
    appraisal_leaves,
    appraisals,
    leaf_for,
    set_appraisal,
    snapshot,
)
from survey_service.services.par_computations import compute, latest, publish, ranking
from survey_service.services.par_schemes import (
    GROUPS,
    is_published,
    parsed,
    pin_scheme,
    scheme_row,
    scheme_version,
    schemes,
)

__all__ = [
    "FIELDS",
    "GROUPS",
    "AppraisalUpdate",
    "appraisal_leaves",
    "appraisals",
    "compute",
    "is_published",
    "latest",
    "leaf_for",
    "parsed",
    "pin_scheme",
    "publish",
    "ranking",
    "scheme_row",
    "scheme_version",
    "schemes",
    "set_appraisal",
    "snapshot",
]
