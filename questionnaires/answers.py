"""Validating answers against a questionnaire.

A pydantic model is built from the questionnaire (one field per item), cached by the version's
content hash, and every validation error is re-rooted to the item it concerns so a form can show it
in place (STYLE.md rule 9).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, create_model

from questionnaires.loader import content_hash
from questionnaires.schema import NOT_APPLICABLE, Item, ItemType, Questionnaire

Answers = dict[str, Any]
"""Clean answers: item id → int, str or list of str; unanswered optional items are absent."""

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


def _field_type(questionnaire: Questionnaire, item: Item) -> Any:
    values = tuple(o.value for o in questionnaire.choices(item))
    if item.type in (ItemType.SCALE5, ItemType.SINGLE_CHOICE, ItemType.YES_NO):
        allowed = values + ((NOT_APPLICABLE,) if item.not_applicable else ())
        return Literal[allowed]  # built at run time from the options
    if item.type is ItemType.MULTIPLE_CHOICE:
        options = Literal[values]  # type: ignore[valid-type]
        minimum = 1 if item.required else 0
        return Annotated[list[options], Field(min_length=minimum)]
    if item.type is ItemType.INTEGER:
        return Annotated[int, Field(strict=True, ge=item.min, le=item.max)]
    return Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=item.max_length)
    ]


def _build_model(questionnaire: Questionnaire) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for item in questionnaire.items:
        annotation = _field_type(questionnaire, item)
        fields[item.id] = (annotation, ...) if item.required else (annotation | None, None)
    config = ConfigDict(extra="forbid", strict=False)
    model: type[BaseModel] = create_model(
        f"Answers_{questionnaire.id}", __config__=config, **fields
    )
    return model


_models: dict[str, type[BaseModel]] = {}
_models_lock = threading.Lock()


def answer_model(questionnaire: Questionnaire) -> type[BaseModel]:
    """The answer model of ``questionnaire``, built once per version (content hash)."""
    key = content_hash(questionnaire)
    model = _models.get(key)
    if model is None:
        with _models_lock:
            model = _models.setdefault(key, _build_model(questionnaire))
    return model


def _error_code(err: Mapping[str, Any], item: Item | None) -> tuple[str, dict[str, Any]]:
    kind = err["type"]
    if item is None:
        return "unknown", {}
    if kind == "missing" or (kind == "too_short" and item.type is not ItemType.TEXT):
        return "missing", {}
    if kind == "string_too_short":
        return "missing", {}
    if kind == "literal_error":
        multiple = item.type is ItemType.MULTIPLE_CHOICE
        return ("choices" if multiple else "choice"), {}
    if kind.startswith("int_"):
        return "integer", {}
    if kind == "greater_than_equal":
        return "too_small", {"min": item.min}
    if kind == "less_than_equal":
        return "too_large", {"max": item.max}
    if kind == "string_too_long":
        return "too_long", {"max_length": item.max_length}
    return "invalid", {}


def validate_answers(questionnaire: Questionnaire, raw: Mapping[str, Any]) -> Answers:
    """Check ``raw`` (item id → value); return clean answers or raise :class:`AnswersInvalid`."""
    model = answer_model(questionnaire)
    try:
        parsed = model.model_validate(dict(raw))
    except ValidationError as exc:
        known = {item.id: item for item in questionnaire.items}
        errors = []
        for err in exc.errors():
            item_id = str(err["loc"][0]) if err["loc"] else "(answers)"
            code, params = _error_code(err, known.get(item_id))
            errors.append(AnswerError(item_id, code, params))
        raise AnswersInvalid(errors) from None
    return {k: v for k, v in parsed.model_dump().items() if v is not None and v != []}


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
    if item.type is ItemType.SCALE5 and value != NOT_APPLICABLE:
        return _coerce_int(value)
    if item.type is ItemType.INTEGER:
        return _coerce_int(value)
    return value


def form_field(item_id: str) -> str:
    """The HTML form field name of an item."""
    return f"q_{item_id}"


def from_form(questionnaire: Questionnaire, getlist: Callable[[str], list[str]]) -> dict[str, Any]:
    """Turn submitted form fields (``q_<item id>``) into raw answers for :func:`validate_answers`.

    Empty fields count as unanswered; fields of items not in the questionnaire are ignored.
    """
    raw: dict[str, Any] = {}
    for item in questionnaire.items:
        value = _from_form_item(item, getlist(form_field(item.id)))
        if value is not None:
            raw[item.id] = value
    return raw
