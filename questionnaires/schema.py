"""Typed schema of a questionnaire definition (the YAML files under ``definitions/``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


NOT_APPLICABLE: Literal["na"] = "na"
"""The stored value of a "not applicable / don't know" answer (never scored)."""


class Audience(StrEnum):
    """Who answers a questionnaire (DOMAIN.md, "The three audiences")."""

    CITIZEN = "citizen"
    BUSINESS = "business"
    OFFICIAL = "official"


class ItemType(StrEnum):
    """The kinds of question a form can ask."""

    SCALE5 = "scale5"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    YES_NO = "yes_no"
    INTEGER = "integer"
    TEXT = "text"
    RATING10 = "rating10"
    DATE = "date"


class Layout(StrEnum):
    """How a form is paged: everything on one page, or one section per page with progress."""

    ONE_PAGE = "one_page"
    SECTION_PER_PAGE = "section_per_page"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A text in Vietnamese (the default language) and English."""

    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        """The text in ``lang`` ("vi" or "en"), Vietnamese for anything else."""
        return self.en if lang == "en" else self.vi


class Option(_Strict):
    """One answer option of a choice question or one point of a scale."""

    value: Identifier | int
    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)
    score: float | None = None

    def label(self, lang: str) -> str:
        """The option's label in ``lang``."""
        return self.en if lang == "en" else self.vi


class Dimension(_Strict):
    """A sub-index dimension that items feed (e.g. SIPAS's "access")."""

    id: Identifier
    title: Text


class Item(_Strict):
    """One question."""

    id: Identifier
    type: ItemType
    text: Text
    help: Text | None = None
    required: bool = False
    dimension: Identifier | None = None
    scale: Identifier | None = None
    options: tuple[Option, ...] = ()
    not_applicable: Text | None = None
    min: int | None = None
    max: int | None = None
    max_length: int | None = Field(default=None, ge=1, le=10_000)
    reverse: bool = False
    relevant: str | None = None

    @model_validator(mode="after")
    def _fields_fit_type(self) -> Item:
        t = self.type
        if (t is ItemType.SCALE5) != (self.scale is not None):
            raise ValueError("'scale' is required for scale5 items and allowed only there")
        choice = t in (ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE)
        if choice and len(self.options) < 2:
            raise ValueError("a choice item needs at least two options")
        if not choice and self.options:
            raise ValueError("'options' is allowed only on single_choice and multiple_choice")
        if t is not ItemType.INTEGER and (self.min is not None or self.max is not None):
            raise ValueError("'min' and 'max' are allowed only on integer items")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("'min' is greater than 'max'")
        if t is not ItemType.TEXT and self.max_length is not None:
            raise ValueError("'max_length' is allowed only on text items")
        values = [o.value for o in self.options]
        if len(set(values)) != len(values):
            raise ValueError("option values must be unique")
        if NOT_APPLICABLE in values:
            raise ValueError(f"'{NOT_APPLICABLE}' is reserved for the not-applicable answer")
        single = (ItemType.SCALE5, ItemType.RATING10, ItemType.SINGLE_CHOICE, ItemType.YES_NO)
        if self.not_applicable is not None and t not in single:
            raise ValueError(
                "'not_applicable' is allowed only on scale5, rating10, single_choice and yes_no"
            )
        if self.reverse and t not in (ItemType.SCALE5, ItemType.RATING10):
            raise ValueError("'reverse' is allowed only on scale5 and rating10 items")
        return self


class Section(_Strict):
    """A titled group of items shown together (a page in the section-per-page layout)."""

    id: Identifier
    title: Text
    relevant: str | None = None
    items: tuple[Item, ...] = Field(min_length=1)


class Questionnaire(_Strict):
    """A whole questionnaire: the unit that is versioned by its content hash."""

    id: Identifier
    audience: Audience
    layout: Layout = Layout.ONE_PAGE
    title: Text
    intro: Text
    dimensions: tuple[Dimension, ...] = ()
    scales: dict[Identifier, tuple[Option, ...]] = Field(default_factory=dict)
    sections: tuple[Section, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _references_resolve(self, info: ValidationInfo) -> Questionnaire:
        if info.context and info.context.get("structure_only"):
            return self  # `survey questionnaire check` runs these checks itself, with paths
        from questionnaires.checks import semantic_problems

        problems = semantic_problems(self)
        if problems:
            raise ValueError("; ".join(f"{p.where}: {p.message}" for p in problems))
        return self

    @property
    def items(self) -> tuple[Item, ...]:
        """Every item, in the order the form shows them."""
        return tuple(item for section in self.sections for item in section.items)

    def item(self, item_id: str) -> Item:
        """The item with id ``item_id`` (``KeyError`` when there is none)."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def section_of(self, item_id: str) -> Section:
        """The section that holds item ``item_id``."""
        for section in self.sections:
            if any(item.id == item_id for item in section.items):
                return section
        raise KeyError(item_id)

    def choices(self, item: Item) -> tuple[Option, ...]:
        """The options a respondent picks from for ``item`` (scale points for scale5)."""
        if item.type is ItemType.SCALE5:
            assert item.scale is not None
            return self.scales[item.scale]
        if item.type is ItemType.YES_NO:
            return YES_NO_OPTIONS
        if item.type is ItemType.RATING10:
            return RATING10_OPTIONS
        return item.options


YES_NO_OPTIONS: tuple[Option, ...] = (
    Option(value="yes", vi="Có", en="Yes"),
    Option(value="no", vi="Không", en="No"),
)

RATING10_OPTIONS: tuple[Option, ...] = tuple(
    Option(value=v, vi=str(v), en=str(v)) for v in range(11)
)

CONTEXT_VARIABLES = frozenset({"unit_group"})
"""Names that skip logic may use besides items: ``${unit_group}`` is the rated unit's group."""
