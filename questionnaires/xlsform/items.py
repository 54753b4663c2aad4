"""Import, items: a survey question as an item definition, by its XLSForm type, and the checks of
columns, binds and appearances that questions and groups share."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from questionnaires.schema import NOT_APPLICABLE, YES_NO_OPTIONS, Text
from questionnaires.xlsform.choices import ChoiceLists
from questionnaires.xlsform.common import (
    EN,
    RATING10_PARAMETERS,
    VI,
    YES_NO_LIST,
    Json,
    bounds_message,
    length_message,
)
from questionnaires.xlsform.reading import At, Report, flag, whole

_FAMILIES = {
    "repeat": "repeat groups",
    "loop": "repeat groups",
    "calculate": "calculated fields",
    "decimal": "decimal numbers",
    "time": "times of day",
    "datetime": "dates with a time",
    "geopoint": "locations",
    "start-geopoint": "locations",
    "geotrace": "lines on a map",
    "geoshape": "areas on a map",
    "photo": "images",
    "audio": "audio recordings",
    "background-audio": "audio recordings",
    "video": "videos",
    "file": "file uploads",
    "barcode": "barcodes",
    "rank": "rankings",
    "acknowledge": "acknowledgements",
    "trigger": "acknowledgements",
    "note": "notes other than the introduction (the first note)",
    "hidden": "hidden fields other than unit_group",
    "select one external": "external choices",
    "xml-external": "external data",
    "csv-external": "external data",
    "select one": "choices from a file",
    "select all that apply": "choices from a file",
}
_COLUMN_FEATURES = {
    "choice_filter": "choice filters (choice_filter)",
    "default": "default values (default)",
    "trigger": "triggers (trigger)",
    "guidance_hint": "guidance hints (guidance_hint)",
    "instance": "instance columns (instance::…)",
    "intent": "external apps (intent)",
    "repeat_count": "repeat counts (repeat_count)",
}
_BIND_FEATURES = {
    "readonly": "read-only questions (read_only)",
    "calculate": "calculations (calculation)",
}
_ITEM_KEYS = frozenset(
    {"type", "name", "label", "hint", "bind", "control", "parameters", "itemset", "list_name",
     "choices", "par_dimension", "par_reverse"}
)  # fmt: skip
_GROUP_BINDS = frozenset({"required", "relevant", "constraint"})  # constraint: told apart
_ITEM_BINDS = _GROUP_BINDS | {"jr:constraintMsg"}  # read with the constraint
_CONTROL_KEYS = frozenset({"appearance", "start", "end", "step"})
_BOUND = re.compile(r"\.\s*(<=|>=|<|>)\s*(-?[0-9]+)")
_LENGTH = re.compile(r"string-length\(\s*\.\s*\)\s*(<=|<)\s*([0-9]+)")
_RATING10 = [{"value": v, "vi": str(v), "en": str(v)} for v in range(11)]
_YES_NO = [o.model_dump(exclude_none=True) for o in YES_NO_OPTIONS]


# --- checks shared with groups ---------------------------------------------------------------


def check_columns(report: Report, element: Json, at: At, known: frozenset[str]) -> None:
    """Columns beyond ``known``: a problem when they change the form, else ignored."""
    for key in sorted(element.keys() - known):
        if key == "media":
            names = ", ".join(sorted(element["media"]))
            report.problems.append(f"{at.where}: media columns ({names}) are not supported")
        elif key in _COLUMN_FEATURES:
            report.problems.append(f"{at.where}: {_COLUMN_FEATURES[key]} are not supported")
        else:
            report.ignore_column("survey", key)
    for key in sorted(element.get("control", {}).keys() - _CONTROL_KEYS):
        report.ignore_column("survey", key)


def check_bind(report: Report, element: Json, at: At) -> None:
    """Binds beyond required, relevant and our constraints: problems (messages: ignored)."""
    bind = element.get("bind", {})
    if element["type"] not in ("integer", "text", "group") and "constraint" in bind:
        report.problems.append(
            f"{at.where}: constraints on {at.type} questions ('{bind['constraint']}')"
            " are not supported"
        )
    known = _GROUP_BINDS if element["type"] == "group" else _ITEM_BINDS
    for key in sorted(bind.keys() - known):
        if key == "readonly" and flag(bind[key]) is False:
            continue
        if key in ("jr:requiredMsg", "jr:constraintMsg"):
            report.ignored.append(f"{at.where}: {key} ignored (the service writes its own)")
        else:
            feature = _BIND_FEATURES.get(key, f"the column bind::{key}")
            report.problems.append(f"{at.where}: {feature} are not supported")


def appearance(report: Report, element: Json, at: At, expected: str | None) -> bool:
    """Whether the element has the ``expected`` appearance; any other one is ignored."""
    value = element.get("control", {}).get("appearance")
    if value is None or value == expected:
        return value is not None
    report.ignored.append(f"{at.where}: appearance '{value}' ignored")
    return False


# --- items -----------------------------------------------------------------------------------


@dataclass
class ItemReader:
    """Reads survey questions into item definitions (with ``_where``, their sheet row)."""

    report: Report
    choices: ChoiceLists

    def read(self, element: Json, at: At) -> Json | None:
        """The item of a question; None (with a problem or a note) for anything else."""
        kind = element["type"]
        if kind == "hidden" and element["name"] == "unit_group":
            return None
        if not at.type:
            self.report.ignored.append(f"{at.where}: ignored")
            return None
        handler = _HANDLERS.get(kind)
        if handler is None or "itemset" in element and "list_name" not in element:
            family = _FAMILIES.get(kind, "questions of this type")
            self.report.problems.append(f"{at.where}: {family} ({at.type}) are not supported")
            return None
        common = self._common(element, at)
        return {**common, **handler(self, element, at), "_where": at.where}

    def _common(self, element: Json, at: At) -> Json:
        bind = element.get("bind", {})
        item: Json = {
            "id": element["name"],
            "text": self.report.text(element, "label", at.where),
            "required": self.report.yes(bind.get("required", ""), at, "required"),
        }
        if "hint" in element:
            item["help"] = self.report.text(element, "hint", at.where)
        if bind.get("relevant"):
            item["relevant"] = bind["relevant"]
        if "par_dimension" in element:
            item["dimension"] = element["par_dimension"]
        if "par_reverse" in element:
            item["reverse"] = self.report.yes(element["par_reverse"], at, "par_reverse")
        check_columns(self.report, element, at, _ITEM_KEYS)
        check_bind(self.report, element, at)
        return item

    # question types

    def _select_one(self, element: Json, at: At) -> Json:
        listed = self.choices.of(element, at)
        options, na = listed.options, listed.na_fields()
        likert = appearance(self.report, element, at, "likert")
        if likert and [o["value"] for o in options] == [1, 2, 3, 4, 5]:
            return {"type": "scale5", "scale": self.choices.scale(listed), **na}
        if likert and options == _RATING10:
            return {"type": "rating10", **na}
        if likert:
            self.report.ignored.append(
                f"{at.where}: appearance 'likert' ignored: list '{listed.name}' is neither"
                " a scale 1–5 nor a rating 0–10"
            )
        if YES_NO_LIST.fullmatch(listed.name) and options == _YES_NO:
            return {"type": "yes_no", **na}
        return {"type": "single_choice", "options": options, **na}

    def _select_multiple(self, element: Json, at: At) -> Json:
        listed = self.choices.of(element, at)
        appearance(self.report, element, at, None)
        if listed.na_where is not None:  # our multiple choices have no not-applicable answer
            self.report.problems.append(
                f"{at.where}: not-applicable answers on multiple choices ({listed.na_where}:"
                f" choice '{NOT_APPLICABLE}' of list '{listed.name}') are not supported"
            )
        return {"type": "multiple_choice", "options": listed.options}

    def _range(self, element: Json, at: At) -> Json:
        parameters = element.get("parameters", {})
        steps = [whole(parameters[k]) for k in ("start", "end", "step") if k in parameters]
        if parameters.keys() != {"start", "end", "step"} or steps != [0, 10, 1]:
            text = " ".join(f"{k}={v}" for k, v in parameters.items())
            self.report.problems.append(
                f"{at.where}: ranges other than {RATING10_PARAMETERS} ('{text}') are not supported"
            )
        appearance(self.report, element, at, None)
        return {"type": "rating10"}

    def _integer(self, element: Json, at: At) -> Json:
        appearance(self.report, element, at, None)
        constraint = element.get("bind", {}).get("constraint")
        if constraint is None:
            return {"type": "integer"}
        bounds = _integer_bounds(str(constraint))
        if bounds is None:
            self.report.problems.append(
                f"{at.where}: constraint '{constraint}' is not supported (an integer takes"
                " '. >= MIN and . <= MAX' or one of the two)"
            )
            return {"type": "integer"}
        self._constraint_message(element, at, bounds_message(*bounds))
        limits = dict(zip(("min", "max"), bounds, strict=True))
        return {"type": "integer", **{k: v for k, v in limits.items() if v is not None}}

    def _text(self, element: Json, at: At) -> Json:
        appearance(self.report, element, at, None)
        constraint = element.get("bind", {}).get("constraint")
        if constraint is None:
            return {"type": "text"}
        match = _LENGTH.fullmatch(str(constraint).strip())
        if match is None:
            self.report.problems.append(
                f"{at.where}: constraint '{constraint}' is not supported (a text takes"
                " 'string-length(.) <= N')"
            )
            return {"type": "text"}
        max_length = int(match.group(2)) - (match.group(1) == "<")
        self._constraint_message(element, at, length_message(max_length))
        return {"type": "text", "max_length": max_length}

    def _date(self, element: Json, at: At) -> Json:
        appearance(self.report, element, at, None)
        return {"type": "date"}

    def _constraint_message(self, element: Json, at: At, ours: Text) -> None:
        message = element.get("bind", {}).get("jr:constraintMsg")
        if message is not None and message != {VI: ours.vi, EN: ours.en}:
            self.report.ignored.append(
                f"{at.where}: constraint_message ignored (the service writes its own)"
            )


_HANDLERS: dict[str, Callable[[ItemReader, Json, At], Json]] = {
    "select one": ItemReader._select_one,
    "select all that apply": ItemReader._select_multiple,
    "range": ItemReader._range,
    "integer": ItemReader._integer,
    "text": ItemReader._text,
    "date": ItemReader._date,
}


def _integer_bounds(constraint: str) -> tuple[int | None, int | None] | None:
    """(min, max) of ``. >= MIN and . <= MAX`` (either side, or ``>``/``<``); None otherwise."""
    bounds: dict[str, int] = {}
    for part in re.split(r"\s+and\s+", constraint.strip()):
        match = _BOUND.fullmatch(part)
        if match is None:
            return None
        op, number = match.group(1), int(match.group(2))
        side = "min" if op[0] == ">" else "max"
        if side in bounds:
            return None
        bounds[side] = number + (op == ">") - (op == "<")
    return bounds.get("min"), bounds.get("max")
