"""Cross-reference checks of a questionnaire: every problem with the path where it is."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from questionnaires import expressions

if TYPE_CHECKING:
    from questionnaires.schema import Item, Questionnaire

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition, and where (a path of keys and indices)."""

    path: Path
    message: str

    @property
    def where(self) -> str:
        """The path as ``sections[0].items[2].relevant``."""
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out or "(top)"


def semantic_problems(q: Questionnaire) -> list[Problem]:
    """Everything wrong across the parts of ``q`` that the field types alone cannot catch."""
    return [
        *_duplicates(q),
        *_dimensions_and_scales(q),
        *_skip_logic(q),
    ]


def _duplicates(q: Questionnaire) -> Iterator[Problem]:
    from questionnaires.schema import CONTEXT_VARIABLES

    seen_items: set[str] = set()
    seen_sections: set[str] = set()
    for s, section in enumerate(q.sections):
        if section.id in seen_sections:
            yield Problem(("sections", s, "id"), f"duplicate section id '{section.id}'")
        seen_sections.add(section.id)
        for i, item in enumerate(section.items):
            path: Path = ("sections", s, "items", i, "id")
            if item.id in seen_items:
                yield Problem(path, f"duplicate item id '{item.id}'")
            if item.id in CONTEXT_VARIABLES:
                yield Problem(path, f"'{item.id}' is reserved for the context variable")
            seen_items.add(item.id)
    dimension_ids = [d.id for d in q.dimensions]
    for d, dimension_id in enumerate(dimension_ids):
        if dimension_id in dimension_ids[:d]:
            yield Problem(("dimensions", d, "id"), f"duplicate dimension id '{dimension_id}'")


def _scored(q: Questionnaire, item: Item) -> bool:
    from questionnaires.schema import ItemType

    if item.type in (ItemType.SCALE5, ItemType.RATING10):
        return True
    return item.type is ItemType.SINGLE_CHOICE and all(o.score is not None for o in item.options)


def _dimensions_and_scales(q: Questionnaire) -> Iterator[Problem]:
    dimension_ids = {d.id for d in q.dimensions}
    for name, points in q.scales.items():
        if [p.value for p in points] != list(range(1, len(points) + 1)):
            yield Problem(("scales", name), f"scale '{name}' must list the values 1, 2, … in order")
    for s, section in enumerate(q.sections):
        for i, item in enumerate(section.items):
            path: Path = ("sections", s, "items", i)
            if item.dimension is not None and item.dimension not in dimension_ids:
                yield Problem((*path, "dimension"), f"unknown dimension '{item.dimension}'")
            elif item.dimension is not None and not _scored(q, item):
                yield Problem(
                    (*path, "dimension"),
                    f"a {item.type.value} item without scores cannot feed a dimension",
                )
            if item.scale is not None:
                if item.scale not in q.scales:
                    yield Problem((*path, "scale"), f"unknown scale '{item.scale}'")
                elif len(q.scales[item.scale]) != 5:
                    yield Problem((*path, "scale"), f"scale '{item.scale}' does not have 5 points")
            scores = [o.score is None for o in item.options]
            if any(scores) and not all(scores):
                yield Problem((*path, "options"), "give a score to every option or to none")


def _check_expression(
    text: str, path: Path, earlier: list[str], own: str | None
) -> Iterator[Problem]:
    from questionnaires.schema import CONTEXT_VARIABLES

    try:
        parsed = expressions.parse(text)
    except expressions.ExpressionError as exc:
        yield Problem(path, f"cannot read the expression: {exc}")
        return
    for name in expressions.references(parsed):
        if name in CONTEXT_VARIABLES or name in earlier:
            continue
        if name == own:
            yield Problem(path, f"'{name}' refers to the item itself")
        else:
            yield Problem(path, f"'{name}' is not an earlier item")


def _skip_logic(q: Questionnaire) -> Iterator[Problem]:
    earlier: list[str] = []
    for s, section in enumerate(q.sections):
        if section.relevant is not None:
            yield from _check_expression(
                section.relevant, ("sections", s, "relevant"), earlier, None
            )
        for i, item in enumerate(section.items):
            if item.relevant is not None:
                path: Path = ("sections", s, "items", i, "relevant")
                yield from _check_expression(item.relevant, path, earlier, item.id)
            earlier.append(item.id)
