"""The desk QR form as a citizen uses it: a phone-sized headless Chromium against `survey serve`.

The server is the real console script (`survey demo`, `survey qr export`, `survey serve`) on a
free port with its own SQLite file (see ``tests/browser_support.py``).
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

import questionnaires as qn
from survey_service import i18n
from tests import browser_support as support
from tests.browser_support import PHONE, Server

pytestmark = pytest.mark.browser

MIN_TAP_PX = 44
CITIZEN = qn.builtin_definition("citizen")


@pytest.fixture(scope="module")
def desk(server: Server, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The first row of `survey qr export`'s index.csv, with ``png`` made an absolute path."""
    out = tmp_path_factory.mktemp("qr")
    support.survey("qr", "export", "--out", str(out), env=server.env)
    with (out / "index.csv").open(newline="", encoding="utf-8") as handle:
        first = next(csv.DictReader(handle))
    return {**first, "png": str(out / first["png"])}


def _responses_after(server: Server, last_id: int) -> list[dict[str, Any]]:
    query = "SELECT desk_id, channel, language, answers FROM responses WHERE id > ? ORDER BY id"
    with sqlite3.connect(server.db_path) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(query, (last_id,)).fetchall()
    return [{**dict(row), "answers": json.loads(row["answers"])} for row in rows]


def _answer_required(page: Page, questionnaire: qn.Questionnaire) -> dict[str, Any]:
    """Answer every required item as a thumb would; return the answers that should be stored."""
    expected: dict[str, Any] = {}
    for item in questionnaire.items:
        if not item.required or not page.locator(f"#q-{item.id}").is_visible():
            continue  # skip logic hides some questions as earlier ones are answered
        choices = questionnaire.choices(item)
        if item.type is qn.ItemType.SCALE5:
            expected[item.id] = choices[3].value  # the 4th point: "Hài lòng" / "Satisfied"
            support.tap_option(page, item, expected[item.id])
        elif item.type is qn.ItemType.YES_NO:
            expected[item.id] = "no"
            support.tap_option(page, item, "no")
        elif item.type in (qn.ItemType.SINGLE_CHOICE, qn.ItemType.MULTIPLE_CHOICE):
            support.tap_option(page, item, choices[0].value)
            multiple = item.type is qn.ItemType.MULTIPLE_CHOICE
            expected[item.id] = [choices[0].value] if multiple else choices[0].value
        elif item.type is qn.ItemType.INTEGER:
            expected[item.id] = item.min if item.min is not None else 1
            field = page.locator(f'#q-{item.id} input[name="q_{item.id}"]')
            field.tap()
            field.fill(str(expected[item.id]))
        else:
            expected[item.id] = "Nhanh, gọn."
            page.locator(f'#q-{item.id} textarea[name="q_{item.id}"]').fill(expected[item.id])
    return expected


def _submit(page: Page) -> None:
    support.tap_and_load(page, "button.submit[type=submit]")


def test_qr_code_decodes_to_the_desk_url(server: Server, desk: dict[str, str]) -> None:
    decoded = zxingcpp.read_barcodes(Image.open(desk["png"]))

    assert [code.text for code in decoded] == [desk["url"]]
    assert desk["url"] == f"{server.base_url}/s/{desk['desk_code']}"


def test_citizen_answers_on_a_phone_and_it_is_stored_once(
    server: Server, desk: dict[str, str], page: Page
) -> None:
    before = support.response_ids(server)
    url = zxingcpp.read_barcodes(Image.open(desk["png"]))[0].text
    page.goto(url)
    expect(page.locator("header.top .unit")).to_have_text(desk["unit_name"])
    expect(page.locator("header.top .unit")).to_be_visible()
    expect(page.locator("h1")).to_have_text(CITIZEN.title.vi)
    support.shot(page, "form_vi.png")

    expected = _answer_required(page, CITIZEN)
    _submit(page)

    expect(page).to_have_url(support.THANKS_URL)
    expect(page.locator("h1")).to_have_text(i18n.translate("thanks.title", "vi"))
    support.shot(page, "thanks.png")
    new = _responses_after(server, max(before, default=0))
    assert len(new) == 1
    assert new[0]["channel"] == "desk_qr"
    assert new[0]["desk_id"] == int(desk["desk_id"])
    assert new[0]["language"] == "vi"
    assert new[0]["answers"]["overall_satisfaction"] == 4
    assert new[0]["answers"]["informal_payment"] == "no"
    assert new[0]["answers"] == expected


def test_submitting_blank_shows_errors_in_place_and_stores_nothing(
    server: Server, desk: dict[str, str], page: Page
) -> None:
    # with nothing answered, questions that skip logic asks only on some answer are not asked
    required = [item.id for item in CITIZEN.items if item.required and not item.relevant]
    before = support.response_ids(server)
    page.goto(desk["url"])

    _submit(page)

    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator(f"#q-{required[0]} .q-error")).to_be_visible()
    expect(page.locator(f"#q-{required[0]} .q-error")).to_have_id(f"err-{required[0]}")
    with_errors = page.eval_on_selector_all(
        "fieldset.q:has(.q-error)", "fieldsets => fieldsets.map(f => f.id)"
    )
    assert with_errors == [f"q-{item_id}" for item_id in required]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert support.response_ids(server) == before
    support.shot(page, "form_errors.png")

    expected = _answer_required(page, CITIZEN)
    _submit(page)

    expect(page).to_have_url(support.THANKS_URL)
    new = _responses_after(server, max(before, default=0))
    assert [row["answers"] for row in new] == [expected]


def test_english_switch_shows_the_english_questionnaire(desk: dict[str, str], page: Page) -> None:
    page.goto(desk["url"])
    expect(page.locator("html")).to_have_attribute("lang", "vi")

    support.tap_and_load(page, "a.lang-switch")

    expect(page).to_have_url(re.compile(r"[?&]lang=en(&|$)"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text(CITIZEN.title.en)
    expect(page.locator("button.submit")).to_have_text(i18n.translate("form.submit", "en"))


def test_scale_options_are_thumb_sized_and_nothing_scrolls_sideways(
    desk: dict[str, str], page: Page
) -> None:
    scale_items = [  # conditional questions start hidden
        item for item in CITIZEN.items if item.type is qn.ItemType.SCALE5 and not item.relevant
    ]
    n_options = sum(len(CITIZEN.choices(i)) + bool(i.not_applicable) for i in scale_items)
    page.goto(desk["url"])

    heights = page.eval_on_selector_all(
        "fieldset.q-scale label.opt", "labels => labels.map(l => l.getBoundingClientRect().height)"
    )
    heights = [h for h in heights if h > 0]  # questions hidden by skip logic have no box

    assert len(heights) == n_options
    assert min(heights) >= MIN_TAP_PX
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_form_reflows_at_320_css_pixels_like_200_percent_zoom(
    desk: dict[str, str], page: Page
) -> None:
    """WCAG 1.4.10: at 320 CSS px (a 640 px window at 200 % zoom) nothing scrolls sideways."""
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(desk["url"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    submit_box = page.locator("button.submit").bounding_box()
    assert submit_box is not None and submit_box["width"] <= 320
