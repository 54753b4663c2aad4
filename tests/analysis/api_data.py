"""Reading R's api data from the shared folder for tests (skipped when the folder is absent)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "api"
"""R's api data, beside the project (``../shared/data/api``); never copied into it."""

Table = dict[str, NDArray[np.str_]]


def read(name: str) -> Table:
    """The named api table as one string array per column; skips the test when absent."""
    if not DATA.is_dir():
        pytest.skip("the shared api data folder is absent")
    with (DATA / f"{name}.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {key: np.array([row[key] for row in rows]) for key in rows[0]}


def numbers(table: Table, key: str) -> NDArray[np.float64]:
    """A numeric column."""
    return table[key].astype(np.float64)
