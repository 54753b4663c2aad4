"""Writers that stream an export's rows straight to the file: CSV, XLSX and JSON."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from survey_service.services.export_variables import Variable, _Table

XLSX_MAX_ROWS = 1_048_575  # a sheet's rows, less the header


def _write_csv(path: Path, table: _Table, rows: Iterable[list[Any]]) -> None:
    """UTF-8 with BOM (Excel then reads Vietnamese correctly); empty cells for missing values."""
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow([v.name for v in table.variables])
        for row in rows:
            writer.writerow(row)


def _write_xlsx(path: Path, table: _Table, rows: Iterable[list[Any]]) -> None:
    """Write-only workbook (rows go straight to disk); a new sheet every 1,048,575 rows."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    header = [v.name for v in table.variables]
    sheet, used, number = None, XLSX_MAX_ROWS, 0
    for row in rows:
        if used == XLSX_MAX_ROWS:
            number += 1
            sheet = book.create_sheet("data" if number == 1 else f"data_{number}")
            sheet.append(header)
            used = 0
        assert sheet is not None
        sheet.append(row)
        used += 1
    if sheet is None:
        book.create_sheet("data").append(header)
    book.save(path)


def _write_json(path: Path, table: _Table, rows: Iterable[list[Any]]) -> None:
    """``{"meta", "variables", "data": [...], ...extra}``, written one row at a time."""
    names = [v.name for v in table.variables]
    with path.open("w", encoding="utf-8") as handle:
        handle.write('{"meta": ' + _json(table.meta) + ', "variables": ')
        handle.write(_json([_variable_json(v) for v in table.variables]) + ', "data": [')
        for n, row in enumerate(rows):
            handle.write(("," if n else "") + "\n" + _json(dict(zip(names, row, strict=True))))
        handle.write("\n]")
        for key, value in table.extra.items():
            handle.write(f', "{key}": ' + _json(value))
        handle.write("}\n")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_plain)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _variable_json(v: Variable) -> dict[str, Any]:
    return {
        "name": v.name,
        "label_vi": v.label_vi,
        "label_en": v.label_en,
        "type": v.dtype,
        "values": [{"code": c, "vi": vi, "en": en} for c, vi, en in v.values],
    }
