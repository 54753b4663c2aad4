"""PAR Index scoring: criteria schemes as data, appraisal + survey points, ranks and classes.

Pure: numpy, scipy, pydantic and PyYAML; no web framework, no database (STYLE.md rule 6). Not
imported by ``analysis`` itself, which stays free of pydantic.
"""

from analysis.par.points import (
    SurveyInput,
    UnitScore,
    competition_ranks,
    compute,
    survey_points,
)
from analysis.par.scheme import (
    ClassBand,
    Conversion,
    Leaf,
    Node,
    Problem,
    Scheme,
    SchemeError,
    SurveySource,
    builtin_scheme,
    canonical_json,
    check_scheme,
    check_scheme_file,
    content_hash,
    load_scheme,
    scheme_from_dict,
)

__all__ = [
    "ClassBand",
    "Conversion",
    "Leaf",
    "Node",
    "Problem",
    "Scheme",
    "SchemeError",
    "SurveyInput",
    "SurveySource",
    "UnitScore",
    "builtin_scheme",
    "canonical_json",
    "check_scheme",
    "check_scheme_file",
    "competition_ranks",
    "compute",
    "content_hash",
    "load_scheme",
    "scheme_from_dict",
    "survey_points",
]
