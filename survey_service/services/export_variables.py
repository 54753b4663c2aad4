"""Variables of an export and the table that carries them: the ``Variable`` a codebook row
describes, the ``_Table`` a builder hands a writer (read ``PAGE`` rows at a time), the codebook
writer, and names fitted to SPSS and Stata."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

PAGE = 1000
NOT_APPLICABLE_CODE = -1
NAME_LIMIT = {"sav": 64, "dta": 32}


@dataclass(frozen=True)
class Variable:
    """One column of an export, as its codebook row describes it."""

    name: str
    label_vi: str
    label_en: str
    dtype: str  # int8, int16, int32, int64, float64, str, date
    values: tuple[tuple[int | str, str, str], ...] = ()
    dimension: str = ""
    item: str = ""
    questionnaire_id: str = ""
    version_hash: str = ""


@dataclass
class _Table:
    """Variables, rows to stream, and what JSON carries besides the rows."""

    variables: list[Variable]
    rows: Iterable[list[Any]]
    meta: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    count: int | None = None  # how many rows ``rows`` yields, when known beforehand


CODEBOOK_COLUMNS = (
    "name",
    "label_vi",
    "label_en",
    "type",
    "values",
    "dimension",
    "item",
    "questionnaire_id",
    "questionnaire_version",
)


def write_codebook(path: Path, variables: list[Variable]) -> None:
    """One row per variable (UTF-8 with BOM); value codes as ``code = vi / en; …``."""
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(CODEBOOK_COLUMNS)
        for v in variables:
            values = "; ".join(f"{code} = {vi} / {en}" for code, vi, en in v.values)
            writer.writerow(
                [
                    v.name,
                    v.label_vi,
                    v.label_en,
                    v.dtype,
                    values,
                    v.dimension,
                    v.item,
                    v.questionnaire_id,
                    v.version_hash,
                ]
            )


def _fit(variables: list[Variable], fmt: str) -> list[Variable]:
    """Names shortened (and kept unique) to SPSS's 64 bytes or Stata's 32 characters."""
    limit = NAME_LIMIT.get(fmt)
    if limit is None:
        return variables
    taken: set[str] = set()
    out = []
    for v in variables:
        name, n = v.name[:limit], 1
        while name in taken:
            suffix = f"_{n}"
            name, n = v.name[: limit - len(suffix)] + suffix, n + 1
        taken.add(name)
        out.append(replace(v, name=name))
    return out


def _safe_name(text: str) -> str:
    name = re.sub(r"[^a-z0-9_]", "_", text.lower())
    return name if name[:1].isalpha() else f"v_{name}"
