"""Import, choices: the choice lists (each read once), their options and not-applicable choice,
and the scales that likert lists and unused numbered lists stand for."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from questionnaires.schema import NOT_APPLICABLE
from questionnaires.xlsform.common import Json
from questionnaires.xlsform.reading import At, Report, Rows, whole

_NA_SUFFIX = re.compile(r"__na\d+$")
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]{0,63}")
_CHOICE_KEYS = frozenset({"name", "label", "par_score"})


@dataclass(frozen=True)
class ChoiceList:
    """A list's options and, when it has an ``na`` choice, that choice's row and text."""

    name: str
    options: list[Json]
    na_where: str | None = None
    not_applicable: Json | None = None  # None also when the na choice's label is faulty

    def na_fields(self) -> Json:
        """The ``not_applicable`` field of an item that uses this list (none without ``na``)."""
        return {} if self.na_where is None else {"not_applicable": self.not_applicable}


@dataclass
class ChoiceLists:
    """The choice lists of a form and the scales found in them, for the items that use them."""

    report: Report
    rows: Rows
    lists: dict[str, ChoiceList] = field(default_factory=dict)
    scales: dict[str, tuple[list[Json], str]] = field(default_factory=dict)  # points, 1st list

    def of(self, element: Json, at: At) -> ChoiceList:
        """The list of a select question (read on its first use)."""
        if at.type.split()[-1:] == ["or_other"]:
            self.report.problems.append(
                f"{at.where}: 'or specify other' (or_other) is not supported"
            )
        if element.get("parameters"):
            self.report.ignored.append(f"{at.where}: parameters {element['parameters']} ignored")
        name = str(element["list_name"])
        if name not in self.lists:
            self.lists[name] = self._read(name, element.get("choices", []))
        return self.lists[name]

    def scale(self, listed: ChoiceList) -> str:
        """The scale a likert list stands for, its points checked against the scale's."""
        name = _NA_SUFFIX.sub("", listed.name) if listed.na_where else listed.name
        known, first = self.scales.setdefault(name, (listed.options, listed.name))
        self.report.locations.setdefault(f"scales.{name}", self.rows.choice(first))
        if known != listed.options:
            self.report.problems.append(
                f"{self.rows.choice(listed.name)}: list '{listed.name}' gives scale '{name}'"
                f" other points than list '{first}'"
            )
        return name

    def read_unused(self, lists: dict[str, list[Json]]) -> None:
        """Lists no question uses: scales when numbered 1, 2, … n, else reported as ignored."""
        for name, choices in lists.items():
            if name in self.lists:
                continue
            numbers = [str(n) for n in range(1, len(choices) + 1)]
            if choices and [str(c.get("name")) for c in choices] == numbers:
                self.scale(self._read(name, choices))
            else:
                where = self.rows.choice(name)
                self.report.ignored.append(
                    f"{where}: list '{name}' is not used by any question; ignored"
                )

    def scale_points(self) -> dict[str, list[Json]]:
        """The points of every scale found, by name."""
        return {name: points for name, (points, _) in self.scales.items()}

    def _read(self, list_name: str, choices: list[Json]) -> ChoiceList:
        options: list[Json] = []
        na_where: str | None = None
        na_text: Json | None = None
        for choice in choices:
            where = self.rows.choice(list_name, str(choice.get("name", "")))
            if choice.get("name") == NOT_APPLICABLE:
                na_where, na_text = where, self.report.text(choice, "label", where)
            else:
                options.append(self._option(choice, where))
        return ChoiceList(list_name, options, na_where, na_text)

    def _option(self, choice: Json, where: str) -> Json:
        value = _choice_value(str(choice.get("name", "")))
        if isinstance(value, str) and not _IDENTIFIER.fullmatch(value):
            self.report.problems.append(
                f"{where}: choice name '{value}' is not supported (a whole number, or lowercase"
                " letters, digits and _ starting with a letter)"
            )
        option: Json = {"value": value, **(self.report.text(choice, "label", where) or {})}
        if "par_score" in choice:
            option["score"] = self._score(str(choice["par_score"]), where)
        self._check_columns(choice, where)
        return option

    def _score(self, text: str, where: str) -> float | None:
        try:
            return float(text)
        except ValueError:
            self.report.problems.append(f"{where}: par_score '{text}' is not a number")
            return None

    def _check_columns(self, choice: Json, where: str) -> None:
        for key in sorted(choice.keys() - _CHOICE_KEYS):
            if key == "media":
                names = ", ".join(sorted(choice["media"]))
                self.report.problems.append(f"{where}: media columns ({names}) are not supported")
            else:
                self.report.ignore_column("choices", key)


def _choice_value(name: str) -> int | str:
    number = whole(name)
    return name if number is None else number
