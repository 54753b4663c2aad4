"""Analysis settings: the exclusion policy, the numbers that decide a run, the rule names."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

OFFICIAL = "official"
RULE_DESIGN = "design_weights_nonresponse"
RULE_POSTSTRATIFIED = "poststratified_admin_totals"
RULE_EQUAL = "equal_weights_no_totals"


class ExclusionPolicy(StrEnum):
    """Which responses an analysis leaves out."""

    EXCLUDED = "excluded"
    EXCLUDED_AND_FLAGGED = "excluded_and_flagged"
    NONE = "none"


@dataclass(frozen=True)
class AnalysisSettings:
    """Everything that decides a run's numbers (stored with the run)."""

    exclusion: ExclusionPolicy = ExclusionPolicy.EXCLUDED
    min_n: int = 30
    max_cv: float = 0.3
    min_share: float = 0.5
    confidence: float = 0.95
    dimension_weights: dict[str, float] = field(default_factory=lambda: {"overall": 0.0})
    items: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "exclusion", ExclusionPolicy(self.exclusion))

    def as_json(self) -> dict[str, Any]:
        """The settings as stored (plain JSON)."""
        data = asdict(self)
        data["exclusion"] = self.exclusion.value
        return data
