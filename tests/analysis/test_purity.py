"""The analysis package stays a statistics library (STYLE.md rule 6)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import analysis

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = (
    "fastapi",
    "sqlmodel",
    "sqlalchemy",
    "survey_service",
    "starlette",
    "pydantic",
    "pandas",
)


def test_importing_analysis_loads_no_web_database_or_pandas_code() -> None:
    """A fresh interpreter that imports analysis has none of the service's stack loaded."""
    probe = (
        "import sys, analysis; "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({FORBIDDEN!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_public_api_is_listed_in_all() -> None:
    """Every public name is exported from __init__ and exists."""
    assert set(analysis.__all__) >= {"Design", "Estimate", "mean", "proportion", "ratio", "total"}
    assert all(hasattr(analysis, name) for name in analysis.__all__)
