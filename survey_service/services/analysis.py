"""Analysis runs: every sub-index of a campaign, computed, stored with its settings and checksum.

Per audience (the questionnaire pinned for it defines items and dimensions):

- **Which responses.** The exclusion policy says which are left out: those coordinators
  excluded (default), also every quality-flagged one, or none. If the audience has responses from
  sampled invitations, the analysis uses those (a probability sample) and leaves the audience's
  desk-QR and open-link responses out, with a note; otherwise it uses the desk-QR, link and paper
  responses.
- **Weights.** Invitation responses: design weight 1/π of their stratum times the non-response
  adjustment Σ_invited d / Σ_responded d within the stratum (Valliant, Dever & Kreuter 2018,
  ch. 13); strata and fpc (Σ d of the stratum's invitations, its population size) from the sample.
  Desk-QR responses: post-stratified per unit to the dossiers each desk handled in the period
  (administrative totals entered per campaign), with calibration-aware variances; a unit whose
  desks lack totals keeps equal weights (treated as a simple random sample of its users). The rule
  used is stored with every result.
- **Results.** ``analysis.satisfaction_indices`` per unit × dimension (and item) × measure; for
  officials every flagged cell (n below the minimum, CV above the maximum) is suppressed.

The pieces live in their own modules and are re-exported here, the service's public entry:
``analysis_settings`` (policy, settings, rule names), ``analysis_inputs`` (responses weighted and
scored), ``analysis_runs`` (computing, storing and reading runs), ``analysis_compare``
(differences of stored sub-indices), ``analysis_totals`` (administrative totals per desk) and
``analysis_response_weights`` (per-response weights for exports).
"""

from survey_service.services.analysis_compare import compare
from survey_service.services.analysis_inputs import _prepare as _prepare
from survey_service.services.analysis_response_weights import (
    WEIGHT_BATCH,
    ResponseWeights,
    response_weights,
)
from survey_service.services.analysis_runs import (
    checksum,
    get_run,
    latest_run,
    run_analysis,
    run_results,
    tidy,
    unit_names,
)
from survey_service.services.analysis_settings import (
    OFFICIAL,
    RULE_DESIGN,
    RULE_EQUAL,
    RULE_POSTSTRATIFIED,
    AnalysisSettings,
    ExclusionPolicy,
)
from survey_service.services.analysis_totals import desks_of_campaign, set_total

# ``_prepare`` stays importable here too: the tests compare ``response_weights`` with it.
__all__ = [
    "OFFICIAL",
    "RULE_DESIGN",
    "RULE_EQUAL",
    "RULE_POSTSTRATIFIED",
    "WEIGHT_BATCH",
    "AnalysisSettings",
    "ExclusionPolicy",
    "ResponseWeights",
    "checksum",
    "compare",
    "desks_of_campaign",
    "get_run",
    "latest_run",
    "response_weights",
    "run_analysis",
    "run_results",
    "set_total",
    "tidy",
    "unit_names",
]
