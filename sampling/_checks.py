"""Argument checks shared by the sampling modules; each failure is a ValueError sentence."""

from __future__ import annotations

import math
from collections.abc import Mapping


def open_unit(name: str, value: float) -> None:
    """Refuse a value outside the open interval (0, 1)."""
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1; got {value!r}.")


def positive(name: str, value: float) -> None:
    """Refuse zero, negative or non-finite values."""
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number; got {value!r}.")


def response_rate(value: float) -> None:
    """A response rate is a share of the invited who answer: 0 < r ≤ 1."""
    if not 0.0 < value <= 1.0:
        raise ValueError(f"response_rate must be above 0 and at most 1; got {value!r}.")


def whole(name: str, value: float, *, least: int = 0) -> int:
    """Return ``value`` as an int, refusing fractions and values below ``least``."""
    if isinstance(value, bool) or int(value) != value:
        raise ValueError(f"{name} must be a whole number; got {value!r}.")
    if value < least:
        raise ValueError(f"{name} must be at least {least}; got {value!r}.")
    return int(value)


def stratum_sizes(population: Mapping[str, int]) -> dict[str, int]:
    """Validate stratum sizes N_h: at least one stratum, each a whole number ≥ 0."""
    if not population:
        raise ValueError("population has no strata; give the size N_h of at least one stratum.")
    return {name: whole(f"population[{name!r}]", size) for name, size in population.items()}
