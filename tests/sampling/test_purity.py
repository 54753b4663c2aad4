"""The sampling package stays a statistics library (ARCHITECTURE.md; STYLE.md rule 6)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sampling

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("fastapi", "sqlmodel", "sqlalchemy", "survey_service", "starlette", "pydantic")


def test_importing_sampling_loads_no_web_or_database_code() -> None:
    """A fresh interpreter that imports sampling has none of the service's stack loaded."""
    probe = (
        "import sys, sampling; "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({FORBIDDEN!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_public_api_is_listed_in_all() -> None:
    """Every public name is exported from __init__ and exists."""
    assert set(sampling.__all__) >= {
        "Allocation",
        "Selection",
        "SelectionMethod",
        "allocate",
        "domain_sample_sizes",
        "margin_of_error_proportion",
        "sample_size_mean",
        "sample_size_proportion",
        "sample_size_yamane",
        "select",
    }
    assert all(hasattr(sampling, name) for name in sampling.__all__)
