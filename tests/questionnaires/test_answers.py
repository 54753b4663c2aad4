"""Answer validation against a questionnaire: clean values, errors re-rooted to their item."""

from __future__ import annotations

from typing import Any

import pytest

import questionnaires as qn

DEFINITION: dict[str, Any] = {
    "id": "mini",
    "audience": "citizen",
    "title": {"vi": "Phiếu", "en": "Form"},
    "intro": {"vi": "Giới thiệu", "en": "Intro"},
    "dimensions": [{"id": "staff", "title": {"vi": "Công chức", "en": "Staff"}}],
    "scales": {"sat": [{"value": v, "vi": f"m{v}", "en": f"l{v}"} for v in range(1, 6)]},
    "sections": [
        {
            "id": "main",
            "title": {"vi": "Chính", "en": "Main"},
            "items": [
                {
                    "id": "courtesy",
                    "type": "scale5",
                    "scale": "sat",
                    "required": True,
                    "dimension": "staff",
                    "text": {"vi": "Lịch sự?", "en": "Courteous?"},
                    "not_applicable": {"vi": "Không biết", "en": "Don't know"},
                },
                {
                    "id": "overall",
                    "type": "scale5",
                    "scale": "sat",
                    "required": True,
                    "text": {"vi": "Chung?", "en": "Overall?"},
                },
                {
                    "id": "paid",
                    "type": "yes_no",
                    "required": True,
                    "text": {"vi": "Có?", "en": "Paid?"},
                },
                {
                    "id": "trips",
                    "type": "integer",
                    "min": 1,
                    "max": 20,
                    "text": {"vi": "Số lần?", "en": "Trips?"},
                },
                {
                    "id": "channel",
                    "type": "single_choice",
                    "text": {"vi": "Kênh?", "en": "Channel?"},
                    "options": [
                        {"value": "desk", "vi": "Quầy", "en": "Desk"},
                        {"value": "online", "vi": "Trực tuyến", "en": "Online"},
                    ],
                },
                {
                    "id": "wants",
                    "type": "multiple_choice",
                    "text": {"vi": "Cần?", "en": "Wants?"},
                    "options": [
                        {"value": "faster", "vi": "Nhanh", "en": "Faster"},
                        {"value": "simpler", "vi": "Gọn", "en": "Simpler"},
                    ],
                },
                {
                    "id": "comment",
                    "type": "text",
                    "max_length": 10,
                    "text": {"vi": "Ý kiến?", "en": "Comment?"},
                },
            ],
        }
    ],
}
Q = qn.parse_definition(DEFINITION)
VALID = {"courtesy": 5, "overall": 3, "paid": "no"}


def _errors(raw: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(qn.AnswersInvalid) as caught:
        qn.validate_answers(Q, raw)
    return caught.value.by_item("en")


def test_valid_answers_come_back_clean() -> None:
    raw = VALID | {
        "trips": 2,
        "channel": "online",
        "wants": ["faster", "simpler"],
        "comment": "  good  ",
    }
    assert qn.validate_answers(Q, raw) == {
        "courtesy": 5,
        "overall": 3,
        "paid": "no",
        "trips": 2,
        "channel": "online",
        "wants": ["faster", "simpler"],
        "comment": "good",
    }


def test_unanswered_optional_items_are_left_out() -> None:
    assert qn.validate_answers(Q, VALID | {"wants": []}) == VALID


def test_each_missing_required_item_gets_its_own_error() -> None:
    assert _errors({"overall": 3}) == {
        "courtesy": "Please answer this question.",
        "paid": "Please answer this question.",
    }


def test_values_outside_the_options_are_refused_at_their_item() -> None:
    errors = _errors(VALID | {"overall": 6, "channel": "fax", "wants": ["faster", "cheaper"]})
    assert errors == {
        "overall": "Please pick one of the options.",
        "channel": "Please pick one of the options.",
        "wants": "Please pick only listed options.",
    }


def test_not_applicable_only_where_the_item_offers_it() -> None:
    assert qn.validate_answers(Q, VALID | {"courtesy": "na"})["courtesy"] == "na"
    assert _errors(VALID | {"overall": "na"}) == {"overall": "Please pick one of the options."}


def test_integer_bounds_and_type() -> None:
    assert _errors(VALID | {"trips": 0}) == {"trips": "Too small: the minimum is 1."}
    assert _errors(VALID | {"trips": 21}) == {"trips": "Too large: the maximum is 20."}
    assert _errors(VALID | {"trips": "many"}) == {"trips": "Please enter a whole number."}
    assert _errors(VALID | {"trips": 2.5}) == {"trips": "Please enter a whole number."}


def test_text_length_limit() -> None:
    assert _errors(VALID | {"comment": "x" * 11}) == {"comment": "Too long: at most 10 characters."}


def test_unknown_items_are_refused() -> None:
    assert _errors(VALID | {"salary": 10}) == {
        "salary": "This question is not in the questionnaire."
    }


def test_messages_in_vietnamese_by_default() -> None:
    with pytest.raises(qn.AnswersInvalid) as caught:
        qn.validate_answers(Q, {})
    assert caught.value.by_item()["courtesy"] == "Vui lòng trả lời câu hỏi này."


def test_form_fields_are_coerced_before_validation() -> None:
    form = {
        "q_courtesy": ["4"],
        "q_overall": ["na"],
        "q_paid": ["yes"],
        "q_trips": [" 3 "],
        "q_wants": ["faster", ""],
        "q_comment": [""],
        "q_other": ["ignored"],
    }
    raw = qn.from_form(Q, lambda name: form.get(name, []))
    assert raw == {"courtesy": 4, "overall": "na", "paid": "yes", "trips": 3, "wants": ["faster"]}


def test_answer_model_is_built_once_per_version() -> None:
    again = qn.parse_definition(DEFINITION)
    assert qn.answer_model(Q) is qn.answer_model(again)
    changed = qn.parse_definition(DEFINITION | {"id": "mini2"})
    assert qn.answer_model(changed) is not qn.answer_model(Q)


def test_control_characters_are_removed_from_text_but_line_breaks_kept() -> None:
    clean = qn.validate_answers(Q, VALID | {"comment": "a\x01b\tc\nd\x7f"})
    assert clean["comment"] == "ab\tc\nd"
