"""Exports for analysts: responses, indices and PAR results as CSV, XLSX, SPSS, Stata or JSON.

Every export streams: responses are read in id-keyset pages of ``PAGE`` rows and written row by
row (CSV, XLSX in write-only mode, JSON piece by piece). SPSS and Stata files cannot be appended
to (pyreadstat writes the row count first), so the rows are counted first and written into
preallocated compact columns (int8 answer codes, one-byte enums for text) that one polars frame
wraps; 1,000,000 responses of the citizen form take about 76 MB that way (bench/export_memory.py).

A codebook (``OUT.codebook.csv``, UTF-8 with BOM) is written beside every export: one row per
variable with its labels, type, value codes, dimension and questionnaire version.

Officials' answers never leave the database one by one (the rule of the responses API): the
responses export leaves them out, and says so in its codebook and file notes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session

from survey_service import errors
from survey_service.services import campaigns as campaign_service
from survey_service.services.export_csv_xlsx_json import _write_csv, _write_json, _write_xlsx
from survey_service.services.export_responses import OFFICIALS_NOTE, _responses_table
from survey_service.services.export_results import _indices_table, _par_table
from survey_service.services.export_spss_stata import DATE_FORMAT, LABEL_LIMIT, _write_readstat
from survey_service.services.export_variables import (
    NAME_LIMIT,
    Variable,
    _fit,
    _Table,
    write_codebook,
)

__all__ = [
    "DATE_FORMAT",
    "FORMATS",
    "KINDS",
    "LABEL_LIMIT",
    "MEDIA_TYPES",
    "NAME_LIMIT",
    "OFFICIALS_NOTE",
    "ExportReport",
    "Variable",
    "check",
    "codebook",
    "codebook_path",
    "export",
    "write_codebook",
]

KINDS = ("responses", "indices", "par")
FORMATS = ("csv", "xlsx", "sav", "dta", "json")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
    "json": "application/json",
}


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote."""

    kind: str
    fmt: str
    path: Path
    codebook: Path
    rows: int
    variables: int


def check(kind: str, fmt: str) -> None:
    """Refuse an unknown kind or format with a message that lists the known ones."""
    if kind not in KINDS:
        raise errors.InvalidInput(
            "Loại dữ liệu xuất không hợp lệ.",
            message_en=f"Unknown export kind {kind!r}; use one of {', '.join(KINDS)}.",
        )
    if fmt not in FORMATS:
        raise errors.InvalidInput(
            "Định dạng tệp xuất không hợp lệ.",
            message_en=f"Unknown export format {fmt!r}; use one of {', '.join(FORMATS)}.",
        )


def codebook_path(out: Path) -> Path:
    """Where the codebook of ``out`` goes: ``OUT.codebook.csv``."""
    return out.with_name(out.name + ".codebook.csv")


def export(
    *, session: Session, kind: str, campaign_id: int, fmt: str, out: Path, weights: bool = True
) -> ExportReport:
    """Write the campaign's ``kind`` as ``fmt`` to ``out`` and its codebook beside it."""
    check(kind, fmt)
    campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    table = _BUILDERS[kind](session, campaign_id, fmt, weights)
    table.variables = _fit(table.variables, fmt)
    counted = _Counted(table.rows)
    writers: dict[str, Callable[[Path, _Table, Iterable[list[Any]]], None]] = {
        "csv": _write_csv,
        "xlsx": _write_xlsx,
        "json": _write_json,
        "sav": _write_readstat,
        "dta": _write_readstat,
    }
    table.meta = {"kind": kind, "campaign_id": campaign_id, "format": fmt, **table.meta}
    writers[fmt](out, table, counted)
    book = codebook_path(out)
    write_codebook(book, table.variables)
    return ExportReport(kind, fmt, out, book, counted.count, len(table.variables))


def codebook(*, session: Session, kind: str, campaign_id: int, fmt: str, out: Path) -> Path:
    """Write only the codebook that an export of ``kind`` as ``fmt`` to ``out`` would have."""
    check(kind, fmt)
    campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    table = _BUILDERS[kind](session, campaign_id, fmt, False)
    book = codebook_path(out)
    write_codebook(book, _fit(table.variables, fmt))
    return book


class _Counted:
    """Rows passed through, counted."""

    def __init__(self, rows: Iterable[list[Any]]) -> None:
        self.rows, self.count = rows, 0

    def __iter__(self) -> Iterator[list[Any]]:
        for row in self.rows:
            self.count += 1
            yield row


_BUILDERS: dict[str, Callable[[Session, int, str, bool], _Table]] = {
    "responses": _responses_table,
    "indices": _indices_table,
    "par": _par_table,
}
