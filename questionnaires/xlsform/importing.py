"""Import: the entry point, the form-level fields, and the walk of pyxform's survey tree into
an intro and sections (groups, and questions outside any group)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from questionnaires.loader import DefinitionError, parse_definition
from questionnaires.schema import Layout
from questionnaires.xlsform.choices import ChoiceLists
from questionnaires.xlsform.common import Imported, Json, XLSFormError
from questionnaires.xlsform.items import ItemReader, appearance, check_bind, check_columns
from questionnaires.xlsform.reading import (
    At,
    Report,
    Rows,
    check_headers,
    check_languages,
    read_workbook,
    sheet_rows,
    split_problems,
    survey_tree,
)

_METADATA = frozenset(
    {"start", "end", "today", "deviceid", "phonenumber", "username", "email", "audit",
     "simserial", "subscriberid"}
)  # fmt: skip
_CONTAINERS = ("group", "repeat", "loop")
_GROUP_KEYS = frozenset({"type", "name", "label", "bind", "control", "children"})
_SETTINGS = frozenset(
    {"form_title", "form_id", "version", "default_language", "par_audience", "par_layout",
     "par_title_en"}
)  # fmt: skip
_SETTING_COLUMNS = (
    ("id", "form_id"), ("title", "form_title"), ("intro", "form_title"),
    ("audience", "par_audience"), ("layout", "par_layout"),
)  # fmt: skip


def import_xlsform(path: str | Path) -> Imported:
    """Read the XLSForm at ``path``; raise :class:`XLSFormError` listing every unsupported part."""
    path = Path(path)
    data = read_workbook(path)
    settings = dict(data.settings[0]) if data.settings else {}
    report = Report()
    check_headers(report, data, settings.get("default_language"))
    tree = survey_tree(data, report.problems)
    definition = _definition(report, Rows(data), tree, settings, path)
    if report.problems:
        raise XLSFormError(report.problems)
    try:
        questionnaire = parse_definition(definition, source=path.name)
    except DefinitionError as exc:
        raise XLSFormError([report.locate(p) for p in split_problems(exc.problems)]) from None
    return Imported(questionnaire, tuple(report.ignored))


# --- the form --------------------------------------------------------------------------------


def _definition(report: Report, rows: Rows, tree: Json, settings: Json, path: Path) -> Json:
    """The questionnaire definition (a mapping for ``parse_definition``)."""
    choices = ChoiceLists(report, rows)
    walker = SurveyWalker(report, rows, ItemReader(report, choices))
    vi = str(tree.get("title", ""))
    title = {"vi": vi, "en": str(settings.get("par_title_en", vi))}
    intro, sections = walker.body(tree.get("children", []), title)
    choices.read_unused(tree.get("choices", {}))
    _check_settings(report, settings)
    return {
        "id": tree.get("id_string"),
        "audience": settings.get("par_audience", "citizen"),
        "layout": _layout(settings, walker.field_lists),
        "title": title,
        "intro": intro or title,
        "dimensions": _dimensions(report, path),
        "scales": choices.scale_points(),
        "sections": sections,
    }


def _check_settings(report: Report, settings: Json) -> None:
    report.ignored += [f"settings row 2: column '{c}' ignored" for c in settings.keys() - _SETTINGS]
    for key, column in _SETTING_COLUMNS:
        report.locations.setdefault(key, f"settings row 2 ({column})")


def _layout(settings: Json, field_lists: list[bool]) -> str:
    """par_layout, else section_per_page when every group has appearance field-list."""
    if "par_layout" in settings:
        return str(settings["par_layout"])
    paged = bool(field_lists) and all(field_lists)
    return (Layout.SECTION_PER_PAGE if paged else Layout.ONE_PAGE).value


def _dimensions(report: Report, path: Path) -> list[Json]:
    """The rows of the par_dimensions sheet (pyxform does not read it)."""
    header, *rows = sheet_rows(path, "par_dimensions") or [[]]
    check_languages(report, "par_dimensions", header, None)
    dimensions: list[Json] = []
    for number, row in enumerate(rows, start=2):
        cells = {h: v for h, v in zip(header, row, strict=False) if h and v}
        if cells:
            where = f"par_dimensions row {number}"
            report.locations[f"dimensions.{len(dimensions)}"] = where
            titles = {h.split("::", 1)[1]: v for h, v in cells.items() if "::" in h}
            text = report.text({"title": titles}, "title", where)
            dimensions.append({"id": cells.get("id"), "title": text})
    return dimensions


# --- the survey tree -------------------------------------------------------------------------


@dataclass
class SurveyWalker:
    """Walks pyxform's survey tree: the intro, groups as sections, loose questions, metadata."""

    report: Report
    rows: Rows
    items: ItemReader
    field_lists: list[bool] = field(default_factory=list)  # per group: appearance field-list?

    def body(self, children: list[Json], title: Json) -> tuple[Json | None, list[Json]]:
        """The intro (the first note before any question) and the sections of the form."""
        intro: Json | None = None
        sections: list[Json] = []
        loose: Json | None = None
        for element in children:
            if self._skipped(element):
                continue
            at = self.rows.take(element["name"])
            if element["type"] == "note" and not sections and "intro" not in self.report.locations:
                self.report.locations["intro"] = at.where
                intro = self.report.text(element, "label", at.where)
            elif element["type"] in _CONTAINERS:
                sections.append(self._section(element, at))
                loose = None
            elif (item := self.items.read(element, at)) is not None:
                if loose is None:
                    loose = {"id": "", "title": title, "items": [], "_where": item["_where"]}
                    sections.append(loose)
                loose["items"].append(item)
        return intro, self._indexed(_named_loose(sections))

    def _skipped(self, element: Json) -> bool:
        """Metadata and pyxform's meta group: reported as ignored."""
        if element["type"] in _METADATA or _kobo_version(element):
            at = self.rows.take(element["name"])
            kind = at.type or element["type"]
            self.report.ignored.append(
                f"{at.where}: metadata field '{element['name']}' (type {kind}) ignored"
            )
            return True
        if element["type"] == "group" and element.get("control", {}).get("bodyless"):
            for child in element.get("children", []):
                if not self._skipped(child):
                    self.report.ignored.append(f"meta/{child['name']}: added by pyxform, ignored")
            return True
        return False

    def _section(self, element: Json, at: At) -> Json:
        if element["type"] != "group":
            self._container(element, at)
            return {"id": element["name"], "items": [], "_where": at.where}
        self.field_lists.append(appearance(self.report, element, at, "field-list"))
        check_columns(self.report, element, at, _GROUP_KEYS)
        check_bind(self.report, element, at)
        section = {
            "id": element["name"],
            "title": self.report.text(element, "label", at.where),
            "items": [item for item in self._children(element) if item is not None],
            "_where": at.where,
        }
        relevant = element.get("bind", {}).get("relevant")
        return section | ({"relevant": relevant} if relevant else {})

    def _children(self, element: Json) -> Iterator[Json | None]:
        for child in element.get("children", []):
            if self._skipped(child):
                continue
            at = self.rows.take(child["name"])
            if child["type"] in _CONTAINERS:
                self._container(child, at)
            else:
                yield self.items.read(child, at)

    def _container(self, element: Json, at: At) -> None:
        """A repeat or a nested group: one problem, and the problems of what it holds."""
        if element["type"] == "group":
            self.report.problems.append(
                f"{at.where}: nested groups ({at.type} '{element['name']}' inside a group)"
                " are not supported"
            )
        else:
            self.report.problems.append(f"{at.where}: repeat groups ({at.type}) are not supported")
        list(self._children(element))  # read what it holds only for the problems it reports

    def _indexed(self, sections: list[Json]) -> list[Json]:
        """The sections, their rows and their items' rows moved to the report's locations."""
        for s, section in enumerate(sections):
            self.report.locations[f"sections.{s}"] = section.pop("_where")
            for i, item in enumerate(section["items"]):
                self.report.locations[f"sections.{s}.items.{i}"] = item.pop("_where")
        return sections


def _kobo_version(element: Json) -> bool:
    """KoboToolbox's own ``calculate __version__`` row (the deployed version's id)."""
    return bool(element["type"] == "calculate" and element["name"] == "__version__")


def _named_loose(sections: list[Json]) -> list[Json]:
    """Sections of questions outside any group are named main, main_2, … (ids not taken)."""
    taken = {section["id"] for section in sections}
    names = (name for name in ("main", *(f"main_{n}" for n in range(2, len(sections) + 2)))
             if name not in taken)  # fmt: skip
    for section in sections:
        if section["id"] == "":
            section["id"] = next(names)
    return sections
