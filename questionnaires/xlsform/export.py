"""Export: a questionnaire as an XLSForm workbook, and pyxform's verdict on a written form."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import count
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from pyxform.xls2xform import convert

from questionnaires import expressions
from questionnaires.loader import content_hash
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
from questionnaires.xlsform.common import (
    RATING10_PARAMETERS,
    VI,
    YES_NO_LIST,
    Json,
    XLSFormError,
    both,
    bounds_message,
    length_message,
    texts,
)

ListKey = tuple[str, str, Text | None]
"""A choice list to write: (kind, base name, not-applicable text)."""

_SURVEY_COLUMNS = (
    "type", "name", *both("label"), *both("hint"), "required", "relevant", "appearance",
    "parameters", "constraint", *both("constraint_message"), "par_dimension", "par_reverse",
)  # fmt: skip
_CHOICE_COLUMNS = ("list_name", "name", *both("label"), "par_score")
_SETTINGS_COLUMNS = (
    "form_title", "form_id", "version", "default_language", "par_audience", "par_layout",
    "par_title_en",
)  # fmt: skip
_DIMENSION_COLUMNS = ("id", *both("title"))
_TAKEN_NAMES = ("intro", "unit_group", "meta")


def to_workbook(questionnaire: Questionnaire) -> openpyxl.Workbook:
    """The questionnaire as an XLSForm workbook (survey, choices, settings, par_dimensions)."""
    problems = _unexportable(questionnaire)
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


def xform_problems(path: str | Path) -> list[str]:
    """What pyxform reports converting the XLSForm at ``path`` to an XForm (empty: fine)."""
    warnings: list[str] = []
    try:
        convert(xlsform=str(path), warnings=warnings, validate=False)
    except Exception as exc:  # pyxform raises PyXFormError and, on odd input, anything
        return [f"error: {exc}"]
    return [f"warning: {warning}" for warning in warnings]


def _unexportable(q: Questionnaire) -> list[str]:
    """The names pyxform refuses: XLSForm can hold everything else our schema allows."""
    problems = [
        f"section '{s.id}': the name is taken in XLSForm (intro note, unit_group, pyxform's meta)"
        for s in q.sections
        if s.id in _TAKEN_NAMES
    ]
    return problems + [
        f"item '{name}': skip logic refers to it and a section has the same name (pyxform"
        " needs referenced names to be unique)"
        for name in sorted(_referenced(q) & {s.id for s in q.sections})
    ]


def _referenced(q: Questionnaire) -> set[str]:
    """The names that the skip logic of sections and items refers to."""
    logic = [s.relevant for s in q.sections] + [i.relevant for i in q.items]
    return {
        name for text in logic if text for name in expressions.references(expressions.parse(text))
    }


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


# --- survey sheet ----------------------------------------------------------------------------


def _survey_rows(q: Questionnaire, lists: dict[ListKey, str]) -> Iterator[Json]:
    yield {"type": "note", "name": "intro", **texts("label", q.intro)}
    yield {"type": "hidden", "name": "unit_group"}
    paged = q.layout is Layout.SECTION_PER_PAGE
    for section in q.sections:
        yield {
            "type": "begin_group",
            "name": section.id,
            **texts("label", section.title),
            "relevant": section.relevant,
            "appearance": "field-list" if paged else None,
        }
        yield from (_item_row(item, lists) for item in section.items)
        yield {"type": "end_group"}


def _item_row(item: Item, lists: dict[ListKey, str]) -> Json:
    return {
        "name": item.id,
        **texts("label", item.text),
        **texts("hint", item.help),
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
            return {"type": "range", "parameters": RATING10_PARAMETERS}
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
    message = texts("constraint_message", bounds_message(low, high))
    return {"type": "integer", "constraint": " and ".join(sides), **message}


def _text_columns(max_length: int | None) -> Json:
    if max_length is None:
        return {"type": "text"}
    message = texts("constraint_message", length_message(max_length))
    return {"type": "text", "constraint": f"string-length(.) <= {max_length}", **message}


# --- choices sheet ---------------------------------------------------------------------------


def _list_key(item: Item) -> ListKey | None:
    """The list an item's choices are written in; the schema allows N/A on selects only."""
    na = item.not_applicable
    match item.type:
        case ItemType.SCALE5:
            return ("scale", str(item.scale), na)
        case ItemType.YES_NO:
            return ("yes_no", "yes_no", na)
        case ItemType.RATING10:
            return ("rating10", "rating10", na) if na is not None else None
        case ItemType.SINGLE_CHOICE:
            return ("item", item.id, na)
        case ItemType.MULTIPLE_CHOICE:
            return ("item", item.id, None)
    return None


def _list_names(q: Questionnaire) -> dict[ListKey, str]:
    """Each list to write and its name (see the package docstring)."""
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
        if name not in taken and not (key[0] == "item" and YES_NO_LIST.fullmatch(name))
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
            labels = texts("label", Text(vi=option.vi, en=option.en))
            yield {
                "list_name": name,
                "name": str(option.value),
                **labels,
                "par_score": option.score,
            }
        if key[2] is not None:
            yield {"list_name": name, "name": NOT_APPLICABLE, **texts("label", key[2])}


# --- settings and par_dimensions sheets ------------------------------------------------------


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
        yield {"id": dimension.id, **texts("title", dimension.title)}
