"""Reading and checking frame files (CSV or XLSX, streamed): field specs per audience,
column layout, one check per field type; errors name the row, the column and the problem."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re
import zipfile
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException
from sqlmodel import Session, col, select

import questionnaires as qn
from survey_service.models import FrameRow

BATCH = 5000  # rows per INSERT batch, and external ids per look-up in earlier frames
MISSING = "The value is missing; it is required."


class Kind(StrEnum):
    """How a field's text is checked and normalised."""

    TEXT = "text"
    UNIT = "unit"
    DATE = "date"
    TAX_CODE = "tax_code"
    CHOICE = "choice"


@dataclass(frozen=True)
class FieldSpec:
    """One field of a frame: checked by its kind; contact fields go to ``frame_contacts`` only."""

    name: str
    kind: Kind = Kind.TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    contact: bool = False
    max_length: int = 500


_PHONE = FieldSpec("phone", contact=True)
_EMAIL = FieldSpec("email", contact=True)
_ADDRESS = FieldSpec("address", contact=True)

FIELDS: dict[qn.Audience, tuple[FieldSpec, ...]] = {
    qn.Audience.CITIZEN: (
        FieldSpec("external_id", required=True, max_length=100),
        FieldSpec("unit", Kind.UNIT, required=True),
        FieldSpec("field", required=True),
        FieldSpec("channel"),
        FieldSpec("completed_on", Kind.DATE),
        _PHONE,
        _EMAIL,
        _ADDRESS,
    ),
    qn.Audience.BUSINESS: (
        FieldSpec("external_id", Kind.TAX_CODE, required=True),
        FieldSpec("unit", Kind.UNIT, required=True),
        FieldSpec("sector", required=True),
        FieldSpec(
            "size_class", Kind.CHOICE, required=True, choices=("micro", "small", "medium", "large")
        ),
        _PHONE,
        _EMAIL,
        _ADDRESS,
    ),
    qn.Audience.OFFICIAL: (
        FieldSpec("external_id", required=True, max_length=100),
        FieldSpec("unit", Kind.UNIT, required=True),
        FieldSpec(
            "position_level",
            Kind.CHOICE,
            required=True,
            choices=("leader", "manager", "staff", "delegate"),
        ),
        _PHONE,
        _EMAIL,
    ),
}
_KEYS = ("external_id", "unit")  # stored in their own columns, not in the attributes


@dataclass(frozen=True)
class RowError:
    """A problem of one cell: ``row`` as numbered in the file (the header is row 1)."""

    row: int
    column: str
    problem: str


@dataclass(frozen=True)
class ImportReport:
    """What an import did: the new frame and its rows, or the errors (then nothing is stored)."""

    frame_id: int | None
    rows: int
    errors: tuple[RowError, ...]
    error_count: int


# --- reading files ----------------------------------------------------------------------------


class _Unreadable(Exception):
    """The file cannot be read from ``row`` on."""

    def __init__(self, row: int, problem: str) -> None:
        super().__init__(problem)
        self.row, self.problem = row, problem


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as text: whole numbers without ".0", dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise _Unreadable(1, "The file is not a readable XLSX workbook.") from exc
    try:
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            yield [_cell_text(value) for value in values]
    finally:
        workbook.close()


def _delimiter(header: str) -> str:
    """The delimiter among , ; and tab that the header line uses most (a comma when none)."""
    return max(",;\t", key=header.count) if header.strip() else ","


def _csv_rows(path: Path) -> Iterator[list[str]]:
    # Decoding line by line (not in 8 KB chunks) puts a decoding error on its own row.
    with path.open("rb") as handle:
        lines = (line.decode("utf-8") for line in handle)
        header = next(lines, "").removeprefix("\ufeff")
        if header:
            yield from csv.reader(itertools.chain([header], lines), delimiter=_delimiter(header))


def _numbered(path: Path) -> Generator[tuple[int, list[str]], None, None]:
    """The file's rows numbered from 1, CSV or XLSX (told apart by the ZIP signature)."""
    with path.open("rb") as handle:
        is_xlsx = handle.read(4) == b"PK\x03\x04"
    number = 0
    try:
        for number, cells in enumerate(_xlsx_rows(path) if is_xlsx else _csv_rows(path), 1):
            yield number, cells
    except UnicodeDecodeError as exc:
        raise _Unreadable(number + 1, "The text is not UTF-8; save the file as CSV UTF-8.") from exc
    except csv.Error as exc:
        raise _Unreadable(number + 1, f"The CSV cannot be read: {exc}.") from exc


# --- checking rows ----------------------------------------------------------------------------


class _Bad(Exception):
    """A cell's value is wrong; the message is the problem shown to the user."""


_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_TAX_CODE = re.compile(r"(\d{10})(?:-?(\d{3}))?")


def _text(spec: FieldSpec, text: str, units: Mapping[str, int]) -> str:
    return text


def _unit(spec: FieldSpec, text: str, units: Mapping[str, int]) -> int:
    unit_id = units.get(text.casefold())
    if unit_id is None:
        raise _Bad(f"Unit code {text!r} is not in the list of units.")
    return unit_id


def _date(spec: FieldSpec, text: str, units: Mapping[str, int]) -> str:
    try:
        if match := _ISO_DATE.fullmatch(text):
            return dt.date(int(match[1]), int(match[2]), int(match[3])).isoformat()
        if match := _DMY_DATE.fullmatch(text):
            return dt.date(int(match[3]), int(match[2]), int(match[1])).isoformat()
    except ValueError:
        pass
    raise _Bad(f"{text!r} is not a date; write YYYY-MM-DD or DD/MM/YYYY.")


def _tax_code(spec: FieldSpec, text: str, units: Mapping[str, int]) -> str:
    """Ten digits, or thirteen for a branch, normalised to ``0123456789-001``."""
    compact = "".join(text.split())
    match = _TAX_CODE.fullmatch(compact)
    if match is None:
        problem = f"{text!r} is not a tax code: 10 digits, or 13 written as 0123456789-001."
        if compact.isdigit() and len(compact) in (9, 12) and not compact.startswith("0"):
            # Ho Chi Minh City's codes all begin with 03; Excel keeps a code typed into a
            # number cell as a number, without its leading 0.
            problem += (
                " A leading 0 seems lost (Excel drops it from number cells):"
                " format the column as Text and type the codes again."
            )
        raise _Bad(problem)
    return f"{match[1]}-{match[2]}" if match[2] else match[1]


def _choice(spec: FieldSpec, text: str, units: Mapping[str, int]) -> str:
    if text.casefold() not in spec.choices:
        raise _Bad(f"{text!r} is not one of {', '.join(spec.choices)}.")
    return text.casefold()


_PARSERS: dict[Kind, Callable[[FieldSpec, str, Mapping[str, int]], Any]] = {
    Kind.TEXT: _text,
    Kind.UNIT: _unit,
    Kind.DATE: _date,
    Kind.TAX_CODE: _tax_code,
    Kind.CHOICE: _choice,
}


@dataclass(frozen=True)
class _Layout:
    """Where each field of the audience is in the file: (field, cell index, file column name)."""

    columns: tuple[tuple[FieldSpec, int, str], ...]

    @property
    def id_column(self) -> str:
        return next(column for spec, _, column in self.columns if spec.name == "external_id")

    def parse(
        self, cells: list[str], units: Mapping[str, int]
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """The row's values by field, and its problems as (file column, problem)."""
        values: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        for spec, index, column in self.columns:
            text = cells[index].strip() if index < len(cells) else ""
            try:
                values[spec.name] = _value(spec, text, units)
            except _Bad as exc:
                problems.append((column, str(exc)))
        return values, problems


def _value(spec: FieldSpec, text: str, units: Mapping[str, int]) -> Any:
    if not text:
        if spec.required:
            raise _Bad(MISSING)
        return None
    if len(text) > spec.max_length:
        raise _Bad(f"The value is longer than {spec.max_length} characters.")
    return _PARSERS[spec.kind](spec, text, units)


def _layout(
    header: list[str], audience: qn.Audience, mapping: Mapping[str, str]
) -> tuple[_Layout, list[RowError]]:
    """Each field's column found in the header (by the mapping, else by its own name)."""
    specs = FIELDS[audience]
    problems = [
        RowError(1, column, f"{name!r} is not a field of {audience.value} frames.")
        for name, column in mapping.items()
        if name not in {spec.name for spec in specs}
    ]
    positions: dict[str, int] = {}
    for position, cell in enumerate(header):
        positions.setdefault(cell.strip().casefold(), position)
    columns = []
    for spec in specs:
        column = mapping.get(spec.name, spec.name)
        index = positions.get(column.strip().casefold())
        if index is not None:
            columns.append((spec, index, header[index].strip()))
        elif spec.name in mapping:
            problems.append(RowError(1, column, "The mapped column is not in the file."))
        elif spec.required:
            problems.append(RowError(1, column, f"The required column for {spec.name} is missing."))
    return _Layout(tuple(columns)), problems


def _blank(cells: list[str]) -> bool:
    return not "".join(cells).strip()


def held_ids(frame_ids: list[int], external_ids: list[str]) -> Any:
    """The query of those of ``external_ids`` that the frames ``frame_ids`` hold, each once."""
    return (
        select(FrameRow.external_id)
        .distinct()
        .where(col(FrameRow.frame_id).in_(frame_ids), col(FrameRow.external_id).in_(external_ids))
    )


@dataclass
class _Check:
    """The first pass: every row checked, errors kept up to a limit and all of them counted."""

    session: Session
    layout: _Layout
    units: Mapping[str, int]
    earlier: list[int]  # frames of the same campaign and audience
    limit: int
    found: list[RowError] = field(default_factory=list)
    count: int = 0
    rows: int = 0
    seen: set[str] = field(default_factory=set)
    pending: dict[str, int] = field(default_factory=dict)  # external id → row, to look up

    def add(self, row: int, column: str, problem: str) -> None:
        self.count += 1
        if len(self.found) < self.limit:
            self.found.append(RowError(row, column, problem))

    def row(self, number: int, cells: list[str]) -> None:
        self.rows += 1
        values, problems = self.layout.parse(cells, self.units)
        for column, problem in problems:
            self.add(number, column, problem)
        external_id = values.get("external_id")
        if external_id is None:
            return
        if external_id in self.seen:
            problem = f"External id {external_id!r} is in an earlier row too."
            self.add(number, self.layout.id_column, problem)
            return
        self.seen.add(external_id)
        if self.earlier:
            self.pending[external_id] = number
            if len(self.pending) >= BATCH:
                self.look_up_earlier()

    def look_up_earlier(self) -> None:
        """Refuse ids that an earlier frame of the same campaign and audience holds."""
        if self.pending:
            query = held_ids(self.earlier, list(self.pending))
            for external_id in self.session.exec(query):
                problem = f"External id {external_id!r} is in an earlier frame of the campaign."
                self.add(self.pending[external_id], self.layout.id_column, problem)
        self.pending.clear()
