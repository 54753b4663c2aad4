"""Validating answers against a questionnaire, with skip logic.

A pydantic model is built from the questionnaire (one optional field per item), cached by the
version's content hash; which items are asked (``relevant``) and so which are required is decided
item by item from the earlier answers. Answers to items hidden by skip logic are dropped. Every
error is re-rooted to the item it concerns so a form can show it in place (STYLE.md rule 9).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import weakref
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    create_model,
)

from questionnaires import expressions
from questionnaires.loader import content_hash
from questionnaires.schema import NOT_APPLICABLE, Item, ItemType, Questionnaire, Section

Answers = dict[str, Any]
"""Clean answers: item id → int, str (dates ISO) or list of str; unasked items are absent."""

Context = Mapping[str, Any]
"""Values of the context variables (``unit_group``) that skip logic may read."""

_MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("Vui lòng trả lời câu hỏi này.", "Please answer this question."),
    "choice": ("Vui lòng chọn một trong các phương án đã cho.", "Please pick one of the options."),
    "choices": (
        "Vui lòng chỉ chọn trong các phương án đã cho.",
        "Please pick only listed options.",
    ),
    "integer": ("Vui lòng nhập một số nguyên.", "Please enter a whole number."),
    "too_small": ("Số quá nhỏ: tối thiểu là {min}.", "Too small: the minimum is {min}."),
    "too_large": ("Số quá lớn: tối đa là {max}.", "Too large: the maximum is {max}."),
    "too_long": (
        "Quá dài: tối đa {max_length} ký tự.",
        "Too long: at most {max_length} characters.",
    ),
    "date": ("Vui lòng nhập ngày theo dạng năm-tháng-ngày.", "Please enter a date (YYYY-MM-DD)."),
    "unknown": ("Câu hỏi này không có trong phiếu.", "This question is not in the questionnaire."),
    "invalid": ("Câu trả lời không hợp lệ.", "This answer is not valid."),
}


@dataclass(frozen=True)
class AnswerError:
    """One problem with one item's answer."""

    item_id: str
    code: str
    params: Mapping[str, Any]

    def message(self, lang: str = "vi") -> str:
        """The message in ``lang`` ("vi" or "en")."""
        vi, en = _MESSAGES[self.code]
        return (en if lang == "en" else vi).format(**self.params)


class AnswersInvalid(ValueError):
    """Raised by :func:`validate_answers` with one error per offending item."""

    def __init__(self, errors: list[AnswerError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.item_id}: {e.message('en')}" for e in errors))

    def by_item(self, lang: str = "vi") -> dict[str, str]:
        """Item id → message, the first error per item."""
        out: dict[str, str] = {}
        for err in self.errors:
            out.setdefault(err.item_id, err.message(lang))
        return out


def _choice_type(values: tuple[Any, ...]) -> Any:
    return Literal[values]  # built at run time from the options


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _without_control_characters(text: str) -> str:
    """Text answers keep tabs and line breaks but no other control characters (they break
    spreadsheets and PostgreSQL text)."""
    return _CONTROL.sub("", text)


def _field_type(questionnaire: Questionnaire, item: Item) -> Any:
    values = tuple(o.value for o in questionnaire.choices(item))
    single = (ItemType.SCALE5, ItemType.SINGLE_CHOICE, ItemType.YES_NO, ItemType.RATING10)
    if item.type in single:
        return _choice_type(values + ((NOT_APPLICABLE,) if item.not_applicable else ()))
    if item.type is ItemType.MULTIPLE_CHOICE:
        return list[_choice_type(values)]  # type: ignore[misc]
    if item.type is ItemType.INTEGER:
        return Annotated[int, Field(strict=True, ge=item.min, le=item.max)]
    if item.type is ItemType.DATE:
        return dt.date
    return Annotated[
        str,
        AfterValidator(_without_control_characters),
        StringConstraints(strip_whitespace=True, max_length=item.max_length),
    ]


def _build_model(questionnaire: Questionnaire) -> type[BaseModel]:
    fields: dict[str, Any] = {
        item.id: (_field_type(questionnaire, item) | None, None) for item in questionnaire.items
    }
    config = ConfigDict(extra="forbid", strict=False)
    model: type[BaseModel] = create_model(
        f"Answers_{questionnaire.id}", __config__=config, **fields
    )
    return model


_models: dict[str, type[BaseModel]] = {}
_models_lock = threading.Lock()


def _hash_of(questionnaire: Questionnaire) -> str:
    """``content_hash``, remembered per questionnaire object (hashing the canonical JSON on
    every submission was a sixth of its cost); forgotten when the object goes."""
    key = id(questionnaire)
    known = _hashes.get(key)
    if known is not None and known[0]() is questionnaire:
        return known[1]
    digest = content_hash(questionnaire)
    _hashes[key] = (weakref.ref(questionnaire, lambda _ref: _hashes.pop(key, None)), digest)
    return digest


_hashes: dict[int, tuple[weakref.ref[Questionnaire], str]] = {}


def answer_model(questionnaire: Questionnaire) -> type[BaseModel]:
    """The answer model of ``questionnaire``, built once per version (content hash)."""
    key = _hash_of(questionnaire)
    model = _models.get(key)
    if model is None:
        with _models_lock:
            model = _models.setdefault(key, _build_model(questionnaire))
    return model


@lru_cache(maxsize=4096)
def parsed_expression(text: str) -> expressions.Expression:
    """A ``relevant`` expression, parsed once per process."""
    return expressions.parse(text)


@dataclass(frozen=True)
class Shown:
    """Which sections and items skip logic shows, given the answers so far."""

    sections: tuple[Section, ...]
    items: tuple[Item, ...]


def shown(
    questionnaire: Questionnaire, raw: Mapping[str, Any], context: Context | None = None
) -> Shown:
    """The sections and items asked, in order (an item that is not asked counts as unanswered)."""
    values: dict[str, Any] = dict(context or {})
    sections: list[Section] = []
    items: list[Item] = []
    for section in questionnaire.sections:
        if section.relevant is not None and not expressions.evaluate(
            parsed_expression(section.relevant), values
        ):
            continue
        sections.append(section)
        for item in section.items:
            if item.relevant is None or expressions.evaluate(
                parsed_expression(item.relevant), values
            ):
                items.append(item)
                values[item.id] = raw.get(item.id)
    return Shown(tuple(sections), tuple(items))


def asked_items(
    questionnaire: Questionnaire, raw: Mapping[str, Any], context: Context | None = None
) -> list[Item]:
    """The items skip logic asks, given the answers so far."""
    return list(shown(questionnaire, raw, context).items)


def _error_code(err: Mapping[str, Any], item: Item | None) -> tuple[str, dict[str, Any]]:
    kind = err["type"]
    if item is None:
        return "unknown", {}
    if kind == "literal_error":
        return ("choices" if item.type is ItemType.MULTIPLE_CHOICE else "choice"), {}
    if kind.startswith("int_"):
        return "integer", {}
    if kind.startswith("date_"):
        return "date", {}
    if kind == "greater_than_equal":
        return "too_small", {"min": item.min}
    if kind == "less_than_equal":
        return "too_large", {"max": item.max}
    if kind in ("string_too_long", "too_long"):
        return "too_long", {"max_length": item.max_length}
    return "invalid", {}


def _is_empty(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def check_answers(
    questionnaire: Questionnaire,
    raw: Mapping[str, Any],
    context: Context | None = None,
) -> tuple[Answers, list[AnswerError]]:
    """Clean answers of the asked items and the errors, item by item, in questionnaire order."""
    known = {item.id: item for item in questionnaire.items}
    errors = [AnswerError(key, "unknown", {}) for key in raw if key not in known]
    asked = asked_items(questionnaire, raw, context)
    kept = {i.id: raw[i.id] for i in asked if i.id in raw and not _is_empty(raw[i.id])}
    errors += [AnswerError(i.id, "missing", {}) for i in asked if i.required and i.id not in kept]
    clean: Answers = {}
    try:
        parsed = answer_model(questionnaire).model_validate(kept)
        clean = {k: v for k, v in parsed.model_dump().items() if not _is_empty(v)}
    except ValidationError as exc:
        for err in exc.errors():
            item_id = str(err["loc"][0])
            errors.append(AnswerError(item_id, *_error_code(err, known.get(item_id))))
    order = {item_id: n for n, item_id in enumerate(known)}
    errors.sort(key=lambda e: order.get(e.item_id, -1))
    clean = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in clean.items()}
    return clean, errors


def validate_answers(
    questionnaire: Questionnaire, raw: Mapping[str, Any], context: Context | None = None
) -> Answers:
    """Check ``raw`` (item id → value); return clean answers or raise :class:`AnswersInvalid`."""
    clean, errors = check_answers(questionnaire, raw, context)
    if errors:
        raise AnswersInvalid(errors)
    return clean


def errors_within(errors: list[AnswerError], item_ids: Collection[str]) -> list[AnswerError]:
    """The errors that concern the items ``item_ids`` (one page of a paged form)."""
    return [e for e in errors if e.item_id in item_ids]


def _coerce_int(text: str) -> int | str:
    try:
        return int(text.strip())
    except ValueError:
        return text


def _from_form_item(item: Item, values: list[str]) -> Any:
    values = [v for v in values if v.strip() != ""]
    if item.type is ItemType.MULTIPLE_CHOICE:
        return values or None
    if not values:
        return None
    value = values[0]
    numeric = (ItemType.SCALE5, ItemType.RATING10, ItemType.INTEGER)
    if item.type in numeric and value != NOT_APPLICABLE:
        return _coerce_int(value)
    return value


def form_field(item_id: str) -> str:
    """The HTML form field name of an item."""
    return f"q_{item_id}"


def from_form(
    questionnaire: Questionnaire,
    getlist: Callable[[str], list[str]],
    items: Collection[Item] | None = None,
) -> dict[str, Any]:
    """Turn submitted form fields (``q_<item id>``) into raw answers for :func:`check_answers`.

    Empty fields count as unanswered; fields of other items are ignored. ``items`` limits the
    reading to one page's items.
    """
    raw: dict[str, Any] = {}
    for item in items if items is not None else questionnaire.items:
        value = _from_form_item(item, getlist(form_field(item.id)))
        if value is not None:
            raw[item.id] = value
    return raw
