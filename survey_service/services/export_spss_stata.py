"""The SPSS and Stata writer: rows counted first, written into preallocated compact columns
that one polars frame wraps, then labelled and saved by pyreadstat."""

from __future__ import annotations

import datetime as dt
import mmap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from survey_service.services.export_variables import (
    NOT_APPLICABLE_CODE,
    PAGE,
    Variable,
    _Table,
)

LABEL_LIMIT = {"sav": 255, "dta": 80}
NOTE_LINES = (  # SPSS notes and Stata file labels hold 80 bytes a line
    "Không xuất phiếu của cán bộ (chỉ có số liệu tổng hợp).",
    "Officials' answers are never exported; only aggregates leave the database.",
)
INT_TYPES = {"int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64}
EPOCH = dt.date(1970, 1, 1)
# Dates go to pyreadstat as the file format's own numbers with a date format, so it keeps them
# as they are (handed polars dates, it converts them through several temporary columns): Stata
# counts days from 1960-01-01 (%td), SPSS seconds from 1582-10-14 (DATE11).
STATA_DAYS = (EPOCH - dt.date(1960, 1, 1)).days
SPSS_DAYS = (EPOCH - dt.date(1582, 10, 14)).days
DATE_FORMAT = {"sav": "DATE11", "dta": "%td"}
TEXT_CODES = 255  # distinct texts a column codes in one byte (code 255: missing)


def _buffer(size: int, dtype: Any) -> np.ndarray:
    """A numpy array in its own anonymous memory map: freed, it goes straight back to the
    system (glibc would keep a freed malloc block that polars' allocator cannot reuse)."""
    kind = np.dtype(dtype)
    if size == 0:
        return np.empty(0, dtype=kind)
    return np.frombuffer(mmap.mmap(-1, size * kind.itemsize), dtype=kind)


class _Column:
    """One preallocated column of a frame, filled a batch at a time, then handed to polars.

    Numbers and dates go to a numpy array of the variable's own type (int8 for answer codes), a
    missing value held as the type's smallest number (float: NaN) until polars makes it null.
    Text is coded in one byte a row (a polars enum) while a column has at most 255 distinct
    texts; beyond that (free comments) it goes to categorical chunks (four bytes a row).
    """

    def __init__(self, variable: Variable, size: int, fmt: str) -> None:
        self.name, self.dtype, self.fmt = variable.name, variable.dtype, fmt
        self.chunks: list[Any] = []
        self.texts: dict[str, int] | None = None
        self.missing = 0
        if self.dtype in INT_TYPES or self.dtype == "date":
            kind = np.int32 if self.dtype == "date" else INT_TYPES[self.dtype]
            self.values: np.ndarray | None = _buffer(size, kind)
            self.missing = int(np.iinfo(kind).min)
        elif self.dtype == "float64":
            self.values = _buffer(size, np.float64)
        else:
            self.values, self.texts, self.missing = _buffer(size, np.uint8), {}, TEXT_CODES

    def put(self, start: int, values: tuple[Any, ...]) -> None:
        n = len(values)
        if self.values is None:
            self.chunks.append(_categorical(self.name, values))
            return
        target = self.values[start : start + n]
        missing = self.missing
        if self.texts is not None:
            texts = self.texts
            codes = [
                missing
                if v is None
                else texts.setdefault(v if isinstance(v, str) else str(v), len(texts))
                for v in values
            ]
            if len(texts) <= TEXT_CODES:
                target[:] = codes
                return
            self._overflow(start)
            self.chunks.append(_categorical(self.name, values))
        elif self.dtype == "float64":
            target[:] = np.fromiter((np.nan if v is None else v for v in values), np.float64, n)
        elif self.dtype == "date":
            target[:] = np.fromiter(
                (missing if v is None else (v - EPOCH).days for v in values), np.int32, n
            )
        else:
            target[:] = np.fromiter((missing if v is None else v for v in values), target.dtype, n)

    def _overflow(self, start: int) -> None:
        """Too many distinct texts for one byte: the rows so far become a categorical chunk."""
        assert self.values is not None and self.texts is not None
        names = list(self.texts)
        done = self.values[:start].tolist()
        self.values, self.texts = None, None
        if done:
            self.chunks.append(
                _categorical(self.name, [None if c == TEXT_CODES else names[c] for c in done])
            )

    def series(self, size: int) -> Any:
        """The column as a polars series (numbers wrap the numpy array when nothing is missing)."""
        import polars as pl

        if self.values is None:
            column = (
                pl.concat(self.chunks, rechunk=True) if self.chunks else _categorical(self.name, [])
            )
            self.chunks.clear()
            return column
        values, self.values = self.values[:size], None
        if self.dtype == "float64":
            if np.isnan(values).all():  # nothing to hold (the weight when weights are off)
                return pl.repeat(None, size, dtype=pl.Int8, eager=True).alias(self.name)
            return pl.Series(self.name, values, nan_to_null=True)
        absent = values == self.missing
        if self.dtype == "date":
            values = self._date_numbers(values)
        column = pl.Series(self.name, values)
        if absent.any():
            column = pl.select(pl.when(~pl.Series(absent)).then(column)).to_series()
        del values, absent
        if self.texts is not None:
            names = list(self.texts)
            if not names:  # nothing but missing values: pyreadstat needs a text to type an enum
                return pl.repeat(None, size, dtype=pl.Categorical, eager=True).alias(self.name)
            return pl.Series(self.name, names, dtype=pl.Enum(names)).gather(column)
        return column.alias(self.name)

    def _date_numbers(self, days: np.ndarray) -> np.ndarray:
        """Days since 1970 as the format's date numbers (see ``DATE_FORMAT``), in place for
        Stata; polars dates elsewhere (JSON, CSV and XLSX never come here)."""
        if self.fmt == "dta":
            days += np.int32(STATA_DAYS)
            return days
        seconds = _buffer(len(days), np.float64)
        np.add(days, SPSS_DAYS, out=seconds)
        seconds *= 86_400.0
        return seconds


def _categorical(name: str, values: Iterable[Any]) -> Any:
    import polars as pl

    return pl.Series(name, list(values), dtype=pl.String, strict=False).cast(pl.Categorical)


def _frame(table: _Table, rows: Iterable[list[Any]]) -> Any:
    """One polars frame over preallocated columns, filled ``PAGE`` rows at a time.

    The row count comes first (``table.count``, or the rows themselves for small tables), so
    every column is allocated once at its final size: no chunks, no concatenated copy.
    """
    import polars as pl

    count = table.count
    if count is None:
        rows = list(rows)
        count = len(rows)
    fmt = str(table.meta["format"])
    columns: list[_Column | None] = [_Column(v, count, fmt) for v in table.variables]
    batch: list[list[Any]] = []
    filled = 0

    def flush() -> None:
        nonlocal filled
        if filled + len(batch) > count:
            raise RuntimeError(f"the export has more rows than the {count} it counted.")
        for column, values in zip(columns, zip(*batch, strict=True), strict=True):
            assert column is not None
            column.put(filled, values)
        filled += len(batch)
        batch.clear()

    for row in rows:
        batch.append(row)
        if len(batch) == PAGE:
            flush()
    if batch:
        flush()
    series = []
    for n, column in enumerate(columns):
        assert column is not None
        series.append(column.series(filled))
        columns[n] = None
    return pl.DataFrame(series)


def _write_readstat(path: Path, table: _Table, rows: Iterable[list[Any]]) -> None:
    """SPSS or Stata with variable labels and value labels (pyreadstat, from a polars frame)."""
    import pyreadstat

    fmt = str(table.meta["format"])
    frame = _frame(table, rows)
    limit = LABEL_LIMIT[fmt]
    labels: dict[str, str | None] = {v.name: v.label_vi[:limit] for v in table.variables}
    value_labels: dict[str, dict[int | float, str]] = {
        v.name: {int(c): vi[:limit] for c, vi, _ in v.values}
        for v in table.variables
        if v.values and v.dtype.startswith("int")
    }
    formats = {v.name: DATE_FORMAT[fmt] for v in table.variables if v.dtype == "date"}
    if fmt == "sav":
        missing: dict[str, list[Any]] = {
            v.name: [NOT_APPLICABLE_CODE]
            for v in table.variables
            if any(c == NOT_APPLICABLE_CODE for c, _, _ in v.values)
        }
        pyreadstat.write_sav(
            frame,
            str(path),
            column_labels=labels,
            variable_value_labels=value_labels,
            missing_ranges=missing,
            note=list(NOTE_LINES) if table.note else None,
            variable_format=formats,
        )
    else:
        pyreadstat.write_dta(
            frame,
            str(path),
            file_label=NOTE_LINES[1] if table.note else "",
            column_labels=labels,
            variable_value_labels=value_labels,
            variable_format=formats,
        )
