"""Item scores: the number an answer contributes to its dimension's sub-index.

Scale points score their value (1–5) unless the scale gives scores; 0–10 ratings score their
value; single choices score their option's ``score`` (e.g. A/B/C/D → 100/60/20/0, the provincial
scoring tool quoted in DOMAIN.md). ``reverse`` mirrors the scale (a negatively worded statement:
5 → 1). "Not applicable" is never scored.
"""

from __future__ import annotations

from typing import Any

from questionnaires.schema import NOT_APPLICABLE, Item, ItemType, Questionnaire


def score_range(questionnaire: Questionnaire, item: Item) -> tuple[float, float] | None:
    """The lowest and highest score ``item`` can give, or None when it is not scored."""
    scores = [
        s
        for s in (_option_score(questionnaire, item, o.value) for o in _points(questionnaire, item))
        if s is not None
    ]
    return (min(scores), max(scores)) if scores else None


def _points(questionnaire: Questionnaire, item: Item) -> tuple[Any, ...]:
    if item.type in (ItemType.SCALE5, ItemType.RATING10, ItemType.SINGLE_CHOICE):
        return questionnaire.choices(item)
    return ()


def _option_score(questionnaire: Questionnaire, item: Item, value: Any) -> float | None:
    points = questionnaire.choices(item)
    index = next((n for n, o in enumerate(points) if o.value == value), None)
    if index is None:
        return None
    if item.reverse:
        index = len(points) - 1 - index
    option = points[index]
    if option.score is not None:
        return float(option.score)
    if item.type in (ItemType.SCALE5, ItemType.RATING10):
        return float(option.value)
    return None


def item_score(questionnaire: Questionnaire, item: Item, value: Any) -> float | None:
    """The score of answer ``value`` to ``item``; None when unanswered, N/A or not scored."""
    if (
        value is None
        or value == NOT_APPLICABLE
        or item.type not in (ItemType.SCALE5, ItemType.RATING10, ItemType.SINGLE_CHOICE)
    ):
        return None
    return _option_score(questionnaire, item, value)


def scores(questionnaire: Questionnaire, answers: dict[str, Any]) -> dict[str, float]:
    """Item id → score for every scored answer in ``answers``."""
    out: dict[str, float] = {}
    for item in questionnaire.items:
        score = item_score(questionnaire, item, answers.get(item.id))
        if score is not None:
            out[item.id] = score
    return out
