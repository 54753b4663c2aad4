"""XLSForm (ODK / KoboToolbox) import and export of questionnaires.

pyxform parses the XLSForms we read and converts the ones we write (to check them); openpyxl
writes the workbooks. Texts are in the columns ``label::Vietnamese (vi)`` and
``label::English (en)`` (likewise ``hint::…``, ``constraint_message::…`` and, on the
par_dimensions sheet, ``title::…``).

Mapping (ours ⇄ XLSForm)::

    title.vi / id / audience / layout   settings: form_title / form_id / par_audience / par_layout
    title.en                            settings: par_title_en
    (version)                           settings: version, the first 12 hex digits of content_hash
    intro                               survey: a first ``note`` row named ``intro``
    ${unit_group}                       survey: ``hidden unit_group`` right after the intro
    dimensions                          sheet par_dimensions: id, title::… (pyxform ignores it)
    section                             begin_group … end_group: name, label, relevant;
                                        appearance field-list when layout is section_per_page
    scale5                              select_one LIST, appearance likert
    rating10                            range, parameters "start=0 end=10 step=1"
    rating10 with not_applicable        select_one LIST (choices 0 … 10 and na), appearance likert
    yes_no                              select_one LIST with the choices yes, no
    single_choice / multiple_choice     select_one LIST / select_multiple LIST
    integer min, max                    integer, constraint ". >= MIN and . <= MAX" (or one side)
    text max_length                     text, constraint "string-length(.) <= N"
    date                                date
    required / relevant / help          required "yes" / relevant verbatim / hint::…
    dimension / reverse                 custom columns par_dimension / par_reverse ("yes")
    option score                        choices: custom column par_score
    not_applicable                      a choice named ``na`` in the item's list

Choice lists are named so that import can restore the scales:

* ``SCALE``: the points of scale SCALE, exactly (every scale is written, used or not);
* ``SCALE__naN``: the points of SCALE and one ``na`` choice; items of one scale with the same
  not-applicable text share the list; N = 1, 2, … is the first number not taken;
* ``yes_no`` (``yes_no__naN`` with a not-applicable answer, or when a scale took ``yes_no``);
* ``rating10__naN``: 0–10 ratings with a not-applicable answer;
* ``ITEM`` (else ``ITEM_2``, ``ITEM_3``, …): the options of choice item ITEM.

On import a likert ``select_one`` whose choices are 1–5 is a scale5 item of the scale named like
its list (less ``__naN`` when the list has ``na``); a likert list 0–10 labelled with its numbers
is a rating10 item; a plain ``select_one`` of a list named ``yes_no`` / ``yes_no__naN`` that
holds exactly our yes/no choices is a yes_no item; other ``select_one`` / ``select_multiple``
questions are single / multiple choices. A list no question uses is a scale when its choices
are 1, 2, … n (an unused scale of ours) and is otherwise reported as ignored.

Forms written by people import too: questions outside any group go into sections ``main``
(``main_2``, …) titled like the form; the intro is the first note before any question (else
the title); the audience is par_audience (else citizen); the layout is par_layout (else
section_per_page when every group has appearance field-list); the English title is par_title_en
(else form_title). Every feature we cannot represent is a problem of :class:`XLSFormError` that
names its sheet row; metadata (start, end, today, …, pyxform's meta/instanceID), presentation
details (other appearances, constraint messages) and unknown columns are skipped and listed in
:attr:`Imported.ignored`.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import DefinitionData, get_xlsform, xlsx_value_to_str
from pyxform.xls2xform import convert

from questionnaires.loader import DefinitionError, content_hash, parse_definition
from questionnaires.schema import (
    NOT_APPLICABLE,
    RATING10_OPTIONS,
    YES_NO_OPTIONS,
    Item,
    ItemType,
    Layout,
    Option,
    Questionnaire,
    Text,
)

__all__ = [
    "Imported",
    "XLSFormError",
    "export_xlsform",
    "import_xlsform",
    "to_workbook",
    "xform_problems",
]

Json = dict[str, Any]
ListKey = tuple[str, str, Text | None]
"""A choice list to write: (kind, base name, not-applicable text)."""

VI = "Vietnamese (vi)"
EN = "English (en)"


class XLSFormError(ValueError):
    """An XLSForm that cannot be read (or a questionnaire that cannot be written), every problem
    listed in ``problems``, each naming its sheet row and the feature."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Imported:
    """An imported questionnaire and what of the XLSForm was skipped on the way."""

    questionnaire: Questionnaire
    ignored: tuple[str, ...]


def _both(prefix: str) -> tuple[str, str]:
    return f"{prefix}::{VI}", f"{prefix}::{EN}"


def _texts(prefix: str, text: Text | None) -> Json:
    return {} if text is None else dict(zip(_both(prefix), (text.vi, text.en), strict=True))


_SURVEY_COLUMNS = (
    "type", "name", *_both("label"), *_both("hint"), "required", "relevant", "appearance",
    "parameters", "constraint", *_both("constraint_message"), "par_dimension", "par_reverse",
)  # fmt: skip
_CHOICE_COLUMNS = ("list_name", "name", *_both("label"), "par_score")
_SETTINGS_COLUMNS = (
    "form_title", "form_id", "version", "default_language", "par_audience", "par_layout",
    "par_title_en",
)  # fmt: skip
_DIMENSION_COLUMNS = ("id", *_both("title"))
_RATING10_PARAMETERS = "start=0 end=10 step=1"
_YES_NO_LIST = re.compile(r"yes_no(__na\d+)?")
_NA_SUFFIX = re.compile(r"__na\d+$")
_NO_NOT_APPLICABLE = (ItemType.INTEGER, ItemType.TEXT, ItemType.DATE)


# --- export ---------------------------------------------------------------------------------


def to_workbook(questionnaire: Questionnaire) -> openpyxl.Workbook:
    """The questionnaire as an XLSForm workbook (survey, choices, settings, par_dimensions)."""
    problems = [
        f"item '{i.id}': a not-applicable answer on a {i.type.value} item has no XLSForm form"
        for i in questionnaire.items
        if i.not_applicable is not None and i.type in _NO_NOT_APPLICABLE
    ]
    lists = _list_names(questionnaire)
    book = openpyxl.Workbook()
    sheets = (
        ("survey", _SURVEY_COLUMNS, _survey_rows(questionnaire, lists)),
        ("choices", _CHOICE_COLUMNS, _choice_rows(questionnaire, lists)),
        ("settings", _SETTINGS_COLUMNS, [_settings_row(questionnaire)]),
        ("par_dimensions", _DIMENSION_COLUMNS, _dimension_rows(questionnaire)),
    )
    for n, (title, columns, rows) in enumerate(sheets):
        _fill(book.active if n == 0 else book.create_sheet(), title, columns, rows, problems)
    if problems:
        raise XLSFormError(problems)
    return book


def export_xlsform(questionnaire: Questionnaire, path: str | Path) -> None:
    """Write the questionnaire as an XLSForm ``.xlsx`` file at ``path``."""
    to_workbook(questionnaire).save(path)


def _fill(
    sheet: Any, title: str, columns: tuple[str, ...], rows: Iterable[Json], problems: list[str]
) -> None:
    sheet.title = title
    sheet.append(list(columns))
    for number, row in enumerate(rows, start=2):
        for column, name in enumerate(columns, start=1):
            value = row.get(name)
            if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
                problems.append(f"{title} row {number}: {name}: control characters do not fit")
            elif value is not None:
                cell = sheet.cell(row=number, column=column, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # a text that starts with "=" is not a formula


def _survey_rows(q: Questionnaire, lists: dict[ListKey, str]) -> Iterator[Json]:
    yield {"type": "note", "name": "intro", **_texts("label", q.intro)}
    yield {"type": "hidden", "name": "unit_group"}
    paged = q.layout is Layout.SECTION_PER_PAGE
    for section in q.sections:
        yield {
            "type": "begin_group",
            "name": section.id,
            **_texts("label", section.title),
            "relevant": section.relevant,
            "appearance": "field-list" if paged else None,
        }
        yield from (_item_row(item, lists) for item in section.items)
        yield {"type": "end_group"}


def _item_row(item: Item, lists: dict[ListKey, str]) -> Json:
    return {
        "name": item.id,
        **_texts("label", item.text),
        **_texts("hint", item.help),
        "required": "yes" if item.required else None,
        "relevant": item.relevant,
        "par_dimension": item.dimension,
        "par_reverse": "yes" if item.reverse else None,
        **_type_columns(item, lists),
    }


def _type_columns(item: Item, lists: dict[ListKey, str]) -> Json:
    key = _list_key(item)
    listed = lists[key] if key is not None else ""
    match item.type:
        case ItemType.SCALE5:
            return {"type": f"select_one {listed}", "appearance": "likert"}
        case ItemType.RATING10 if key is None:
            return {"type": "range", "parameters": _RATING10_PARAMETERS}
        case ItemType.RATING10:
            return {"type": f"select_one {listed}", "appearance": "likert"}
        case ItemType.MULTIPLE_CHOICE:
            return {"type": f"select_multiple {listed}"}
        case ItemType.INTEGER:
            return _integer_columns(item.min, item.max)
        case ItemType.TEXT:
            return _text_columns(item.max_length)
        case ItemType.DATE:
            return {"type": "date"}
    return {"type": f"select_one {listed}"}  # single_choice and yes_no


def _integer_columns(low: int | None, high: int | None) -> Json:
    sides = [f". {op} {n}" for op, n in ((">=", low), ("<=", high)) if n is not None]
    if not sides:
        return {"type": "integer"}
    message = _texts("constraint_message", _bounds_message(low, high))
    return {"type": "integer", "constraint": " and ".join(sides), **message}


def _text_columns(max_length: int | None) -> Json:
    if max_length is None:
        return {"type": "text"}
    message = _texts("constraint_message", _length_message(max_length))
    return {"type": "text", "constraint": f"string-length(.) <= {max_length}", **message}


def _bounds_message(low: int | None, high: int | None) -> Text:
    if low is not None and high is not None:
        return Text(vi=f"Vui lòng nhập một số từ {low} đến {high}.", en=f"Enter {low} to {high}.")
    if low is not None:
        return Text(vi=f"Số nhỏ nhất là {low}.", en=f"The smallest number is {low}.")
    return Text(vi=f"Số lớn nhất là {high}.", en=f"The largest number is {high}.")


def _length_message(max_length: int) -> Text:
    return Text(vi=f"Tối đa {max_length} ký tự.", en=f"At most {max_length} characters.")


def _list_key(item: Item) -> ListKey | None:
    na = item.not_applicable
    match item.type:
        case ItemType.SCALE5:
            return ("scale", str(item.scale), na)
        case ItemType.YES_NO:
            return ("yes_no", "yes_no", na)
        case ItemType.RATING10:
            return ("rating10", "rating10", na) if na is not None else None
        case ItemType.SINGLE_CHOICE | ItemType.MULTIPLE_CHOICE:
            return ("item", item.id, na)
    return None


def _list_names(q: Questionnaire) -> dict[ListKey, str]:
    """Each list to write and its name (see the module docstring)."""
    names: dict[ListKey, str] = {("scale", scale, None): scale for scale in q.scales}
    for item in q.items:
        key = _list_key(item)
        if key is not None and key not in names:
            names[key] = _free_name(key, set(names.values()))
    return names


def _candidates(kind: str, base: str, na: Text | None) -> Iterator[str]:
    if kind == "item":
        yield base
        yield from (f"{base}_{n}" for n in count(2))
        return
    if na is None:
        yield base
    yield from (f"{base}__na{n}" for n in count(1))


def _free_name(key: ListKey, taken: set[str]) -> str:
    # a choice item's list must not look like a yes/no list, which import recognises by name
    return next(
        name
        for name in _candidates(*key)
        if name not in taken and not (key[0] == "item" and _YES_NO_LIST.fullmatch(name))
    )


def _list_points(q: Questionnaire, key: ListKey) -> tuple[Option, ...]:
    kind, base, _ = key
    match kind:
        case "scale":
            return q.scales[base]
        case "yes_no":
            return YES_NO_OPTIONS
        case "rating10":
            return RATING10_OPTIONS
    return q.item(base).options


def _choice_rows(q: Questionnaire, lists: dict[ListKey, str]) -> Iterator[Json]:
    for key, name in lists.items():
        for option in _list_points(q, key):
            labels = _texts("label", Text(vi=option.vi, en=option.en))
            yield {"list_name": name, "name": str(option.value), **labels, "par_score": option.score}
        if key[2] is not None:
            yield {"list_name": name, "name": NOT_APPLICABLE, **_texts("label", key[2])}


def _settings_row(q: Questionnaire) -> Json:
    return {
        "form_title": q.title.vi,
        "form_id": q.id,
        "version": content_hash(q)[:12],
        "default_language": VI,
        "par_audience": q.audience.value,
        "par_layout": q.layout.value,
        "par_title_en": q.title.en,
    }


def _dimension_rows(q: Questionnaire) -> Iterator[Json]:
    for dimension in q.dimensions:
        yield {"id": dimension.id, **_texts("title", dimension.title)}


def xform_problems(path: str | Path) -> list[str]:
    """What pyxform reports converting the XLSForm at ``path`` to an XForm (empty: fine)."""
    warnings: list[str] = []
    try:
        convert(xlsform=str(path), warnings=warnings, validate=False)
    except Exception as exc:  # pyxform raises PyXFormError and, on odd input, anything
        return [f"error: {exc}"]
    return [f"warning: {warning}" for warning in warnings]
