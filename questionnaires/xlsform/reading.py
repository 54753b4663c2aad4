"""Import, reading: the workbook through pyxform, sheet rows for messages, language columns,
and the report that collects problems, ignored parts and where definition paths come from."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import DefinitionData, get_xlsform, xlsx_value_to_str

from questionnaires.xlsform.common import EN, VI, Json, XLSFormError

_TRANSLATABLE = frozenset(
    {"label", "hint", "constraint_message", "required_message", "guidance_hint", "image",
     "big-image", "audio", "video", "media", "title"}
)  # fmt: skip
_TRUE = frozenset({"yes", "true", "true()", "1"})
_FALSE = frozenset({"no", "false", "false()", "0", ""})
_WHOLE = re.compile(r"-?(0|[1-9][0-9]*)")
_LANGUAGE_NAMES = {"vietnamese": "vi", "tiếng việt": "vi", "english": "en"}


# --- the workbook ----------------------------------------------------------------------------


def read_workbook(path: Path) -> DefinitionData:
    """The sheets of the XLSForm at ``path`` as pyxform reads them."""
    if not path.is_file():
        raise XLSFormError([f"{path}: no such file"])
    if not zipfile.is_zipfile(path):
        raise XLSFormError([f"{path.name}: not an .xlsx workbook"])
    try:
        data = get_xlsform(xlsform=path, file_type=".xlsx")
    except Exception as exc:  # pyxform raises PyXFormError and, on odd input, anything
        raise XLSFormError([f"{path.name}: not a readable .xlsx workbook ({exc})"]) from None
    if "survey" not in [name.lower() for name in data.sheet_names or ()]:
        raise XLSFormError([f"{path.name}: the workbook has no 'survey' sheet"])
    return data


def survey_tree(data: DefinitionData, problems: list[str]) -> Json:
    """pyxform's tree of the form; what pyxform refuses ends the import with ``problems``."""
    try:
        tree: Json = workbook_to_json(
            workbook_dict=data, fallback_form_name=data.fallback_form_name, warnings=[]
        )
    except Exception as exc:  # pyxform raises PyXFormError and, on odd input, anything
        raise XLSFormError([*problems, f"pyxform: {exc}"]) from None
    return tree


def sheet_rows(path: Path, name: str) -> list[list[str]]:
    """The cells of sheet ``name`` (any case) as pyxform reads them; empty without the sheet."""
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types on a broken file
        raise XLSFormError([f"{path.name}: cannot read the {name} sheet ({exc})"]) from None
    try:
        title = next((t for t in book.sheetnames if t.lower() == name), None)
        rows = book[title].iter_rows(values_only=True) if title is not None else ()
        return [[_cell(value) for value in row] for row in rows]
    finally:
        book.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return str(xlsx_value_to_str(value.strip() if isinstance(value, str) else value))


@dataclass(frozen=True)
class At:
    """Where a survey element is (``survey row 7``) and its type as written there."""

    where: str
    type: str


class Rows:
    """Sheet rows of the survey and choices elements, for messages."""

    def __init__(self, data: DefinitionData) -> None:
        self._survey: dict[str, list[At]] = {}
        for number, row in enumerate(data.survey or (), start=2):
            if "name" in row:
                at = At(f"survey row {number}", str(row.get("type", "")))
                self._survey.setdefault(str(row["name"]), []).append(at)
        self._choices: dict[tuple[str, str], str] = {}
        for number, row in enumerate(data.choices or (), start=2):
            list_name, name = str(row.get("list_name", "")), str(row.get("name", ""))
            self._choices.setdefault((list_name, name), f"choices row {number}")
            self._choices.setdefault((list_name, ""), f"choices row {number}")

    def take(self, name: str) -> At:
        """The next row of element ``name`` (elements come in sheet order)."""
        queue = self._survey.get(name)
        return queue.pop(0) if queue else At(f"survey ('{name}', added by pyxform)", "")

    def choice(self, list_name: str, name: str = "") -> str:
        """The row of a choice (of a list's first choice when ``name`` is empty)."""
        return self._choices.get((list_name, name), f"choices list '{list_name}'")


# --- the report ------------------------------------------------------------------------------


@dataclass
class Report:
    """What an import found: problems, ignored parts, and the sheet row of definition paths."""

    problems: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    locations: dict[str, str] = field(default_factory=dict)  # definition path → sheet row
    quiet: set[tuple[str, str]] = field(default_factory=set)  # (sheet, column) told at row 1
    ignored_columns: set[tuple[str, str]] = field(default_factory=set)

    def ignore_column(self, sheet: str, column: str) -> None:
        """Report an unknown column as ignored, once per sheet."""
        if (sheet, column) not in self.ignored_columns:
            self.ignored_columns.add((sheet, column))
            self.ignored.append(f"{sheet} sheet: column '{column}' ignored")

    def text(self, element: Json, key: str, where: str) -> Json | None:
        """``{"vi": …, "en": …}`` from a column in both languages, or None with a problem."""
        value = element.get(key)
        if (where.split()[0], key) in self.quiet:
            return None
        if isinstance(value, str):
            self.problems.append(
                f"{where}: {key} has no language: both Vietnamese and English are needed"
            )
            return None
        found = {code(lang): str(text) for lang, text in (value or {}).items() if text}
        missing = [lang for short, lang in (("vi", VI), ("en", EN)) if short not in found]
        if missing:
            self.problems.append(f"{where}: {key} in {' and '.join(missing)} is missing")
            return None
        return {"vi": found["vi"], "en": found["en"]}

    def yes(self, value: Any, at: At, column: str) -> bool:
        """A yes/no column; anything else (an expression) is a problem."""
        answer = flag(value)
        if answer is None:
            self.problems.append(
                f"{at.where}: {column} '{value}' is not supported (only yes or no; "
                "an expression would make it depend on answers)"
            )
        return bool(answer)

    def locate(self, problem: str) -> str:
        """A DefinitionError problem, its path replaced by the sheet row it comes from."""
        path, _, message = problem.partition(": ")
        parts = re.sub(r"\[(\d+)\]", r".\1", path).split(".")
        for n in range(len(parts), 0, -1):
            where = self.locations.get(".".join(parts[:n]))
            if where is not None:
                rest = ".".join(parts[n:])
                return (
                    f"{where}: {rest + ': ' if rest else ''}{message.removeprefix('Value error, ')}"
                )
        return problem


def split_problems(problems: list[str]) -> Iterator[str]:
    """DefinitionError problems one by one (the cross-reference ones come joined at the top)."""
    head = "(top): Value error, "
    paths = [problem.partition(": ")[0] for problem in problems]
    for problem, path in zip(problems, paths, strict=True):
        if problem.startswith(head):
            yield from problem.removeprefix(head).split("; ")
        elif not (
            "should have at least" in problem and any(p.startswith(f"{path}.") for p in paths)
        ):
            yield problem  # else pydantic's echo of an element that failed ("too short")


def flag(value: Any) -> bool | None:
    """A yes/no cell as pyxform reads them (yes, TRUE, 1, …); None for anything else."""
    text = str(value).strip().lower()
    return True if text in _TRUE else False if text in _FALSE else None


def whole(value: Any) -> int | None:
    """A cell that holds a whole number (``7``, ``-3``, not ``07`` or ``7.0``) as that number."""
    text = str(value)
    return int(text) if _WHOLE.fullmatch(text) else None


# --- language columns ------------------------------------------------------------------------


def code(language: str) -> str:
    """The language code of a column suffix ("Vietnamese (vi)" → "vi")."""
    match = re.search(r"\(([A-Za-z-]+)\)\s*$", language)
    short = (match.group(1) if match else language).strip().lower()
    return _LANGUAGE_NAMES.get(short, short)


def _column_language(column: str) -> str | None:
    parts = column.split("::")
    plain = 2 if parts[0] == "media" else 1
    return code(parts[-1]) if parts[0] in _TRANSLATABLE and len(parts) > plain else None


def check_headers(report: Report, data: DefinitionData, default_language: str | None) -> None:
    """Language columns: only Vietnamese and English, and labels in both."""
    for sheet, header in (("survey", data.survey_header), ("choices", data.choices_header)):
        columns = list(header[0]) if header else []
        check_languages(report, sheet, columns, default_language)
        if sheet == "survey" or data.choices:
            _check_labels(report, sheet, columns, default_language)


def check_languages(report: Report, sheet: str, columns: list[str], default: str | None) -> None:
    """Columns in other languages, and plain columns beside language columns, are problems."""
    coded = any(_column_language(column) for column in columns)
    plain_ok = code(default or "default") in ("vi", "en")
    for column in columns:
        language = _column_language(column)
        if language not in (None, "vi", "en"):
            report.problems.append(
                f"{sheet} row 1: column '{column}': languages other than {VI} and {EN}"
                " are not supported"
            )
        elif coded and column in ("label", "hint", "title") and not plain_ok:
            report.quiet.add((sheet, column))
            report.problems.append(
                f"{sheet} row 1: column '{column}' has no language: use the columns"
                f" {column}::{VI} and {column}::{EN}"
            )


def _check_labels(report: Report, sheet: str, columns: list[str], default: str | None) -> None:
    codes = {code(c.split("::", 1)[1]) for c in columns if c.startswith("label::")}
    if "label" in columns:
        codes.add(code(default or "default"))
    if not {"vi", "en"} <= codes and (sheet, "label") not in report.quiet:
        report.quiet.add((sheet, "label"))
        report.problems.append(
            f"{sheet} row 1: labels need both Vietnamese and English: use the columns"
            f" label::{VI} and label::{EN}"
        )
