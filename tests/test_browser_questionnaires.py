"""The three questionnaires as people answer them: a phone-sized headless Chromium, both languages.

Uses the demo server, the browser and the 390 × 844 touch page of ``tests/browser_support.py``
(this module gets a server of its own). Each run taps option labels as a thumb would, answers what
is visible, goes through every page and checks the one stored row; on the way axe-core checks every
page (unit picker, form pages, a page with errors, the thank-you page) for serious or critical
violations.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

import questionnaires as qn
from survey_service import i18n
from tests import browser_support as support
from tests.browser_support import PHONE, Server

pytestmark = pytest.mark.browser

QUESTIONNAIRES = {name: qn.builtin_definition(name) for name in ("citizen", "business", "official")}
CITIZEN, BUSINESS = QUESTIONNAIRES["citizen"], QUESTIONNAIRES["business"]
DISTRICT_ONLY = "${unit_group} = 'district'"
BLOCKING_IMPACTS = {"serious", "critical"}
AXE = Axe()
TEXT_ANSWER = {"vi": "Cán bộ tận tình, thủ tục nhanh gọn.", "en": "Helpful staff, quick service."}


@dataclass(frozen=True)
class PickedUnit:
    """A unit a respondent can pick in the unit picker."""

    id: int
    group: str
    name_vi: str
    name_en: str

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_vi


@pytest.fixture(scope="module")
def links(server: Server) -> dict[str, str]:
    """The demo's form URLs by questionnaire, as `survey demo` prints them."""
    printed = support.survey("demo", "--if-empty", env=server.env).stdout
    found = dict(re.findall(r"(citizen|business|official)\b[^:\n]*: (http\S+)", printed))
    assert found.keys() == QUESTIONNAIRES.keys(), printed
    return found


@pytest.fixture(scope="module")
def units(server: Server) -> dict[str, PickedUnit]:
    """One district and one department, the first of each by code."""
    query = (
        'SELECT id, "group", name_vi, name_en FROM units '
        'WHERE "group" = ? AND valid_to IS NULL ORDER BY code LIMIT 1'
    )
    with sqlite3.connect(server.db_path) as conn:
        return {
            group: PickedUnit(*conn.execute(query, (group,)).fetchone())
            for group in ("district", "department")
        }


# --- reading the database --------------------------------------------------------------------


def _last_response_id(server: Server) -> int:
    return max(support.response_ids(server), default=0)


def _stored_after(server: Server, last_id: int) -> list[dict[str, Any]]:
    query = (
        "SELECT unit_id, desk_id, channel, language, answers FROM responses "
        "WHERE id > ? ORDER BY id"
    )
    rows = _rows(server, query, last_id)
    return [row | {"answers": json.loads(row["answers"])} for row in rows]


def _rows(server: Server, query: str, *params: object) -> list[dict[str, Any]]:
    with sqlite3.connect(server.db_path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(query, params)]


def _desk_of(server: Server, url: str) -> dict[str, Any]:
    query = (
        "SELECT d.id, d.unit_id FROM desk_codes c JOIN desks d ON d.id = c.desk_id WHERE c.code = ?"
    )
    return _rows(server, query, url.rstrip("/").rsplit("/", 1)[1])[0]


# --- axe-core --------------------------------------------------------------------------------


def _describe(violation: dict[str, Any]) -> str:
    targets = "; ".join(" >> ".join(node["target"]) for node in violation["nodes"])
    return f"{violation['id']} ({violation['impact']}, {violation['help']}): {targets}"


def _assert_accessible(page: Page, where: str) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    violations = AXE.run(page).response["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe-core on {where} ({page.url}):\n" + "\n".join(
        _describe(v) for v in blocking
    )


# --- answering -------------------------------------------------------------------------------


def _pages(q: qn.Questionnaire, group: str) -> list[list[qn.Section]]:
    """The sections of each page a respondent of a unit in ``group`` goes through."""
    assert {s.relevant for s in q.sections} <= {None, DISTRICT_ONLY}, "a new section rule"
    shown = [s for s in q.sections if s.relevant is None or group == "district"]
    return [shown] if q.layout is qn.Layout.ONE_PAGE else [[s] for s in shown]


def _answer_for(q: qn.Questionnaire, item: qn.Item, lang: str, everything: bool) -> Any:
    """What this run answers to ``item`` (None: leave it blank); the two languages differ."""
    position = q.items.index(item) + (lang == "en")
    if not item.required and not everything and position % 2:
        return None
    choices = [option.value for option in q.choices(item)]
    match item.type:
        case qn.ItemType.YES_NO:
            return "yes" if lang == "vi" else "no"  # vi shows the conditional questions
        case qn.ItemType.SCALE5 | qn.ItemType.SINGLE_CHOICE if (
            item.not_applicable and position % 7 == 3
        ):
            return qn.NOT_APPLICABLE
        case qn.ItemType.MULTIPLE_CHOICE:
            return [choices[position % len(choices)], choices[-1]]
        case qn.ItemType.INTEGER:
            low = item.min if item.min is not None else 0
            return min(low + 2, item.max if item.max is not None else low + 2)
        case qn.ItemType.TEXT:
            return TEXT_ANSWER[lang]
        case qn.ItemType.DATE:
            return (dt.date.today() - dt.timedelta(days=40)).isoformat()
        case _:
            return choices[(position * 3) % len(choices)]


def _fill_in(page: Page, item: qn.Item, value: Any) -> None:
    """Give ``value`` to ``item`` as a thumb would: tap labels, or tap a field and type."""
    if item.type in (qn.ItemType.INTEGER, qn.ItemType.TEXT, qn.ItemType.DATE):
        field = page.locator(f'#q-{item.id} [name="q_{item.id}"]')
        field.tap()
        field.fill(str(value))
        return
    for one in value if isinstance(value, list) else [value]:
        support.tap_option(page, item, one)


def _answer_visible(
    page: Page, q: qn.Questionnaire, sections: Iterable[qn.Section], lang: str, everything: bool
) -> dict[str, Any]:
    """Answer the questions shown on the page, in order (answers may show or hide later ones)."""
    answered: dict[str, Any] = {}
    for item in (item for section in sections for item in section.items):
        value = _answer_for(q, item, lang, everything)
        if value is None or (item.relevant is not None and not _is_shown(page, item)):
            continue
        _fill_in(page, item, value)
        answered[item.id] = value
    return answered


def _is_shown(page: Page, item: qn.Item) -> bool:
    fieldset = page.locator(f"#q-{item.id}")
    return fieldset.count() > 0 and fieldset.is_visible()


def _expect_answer_shown(page: Page, item: qn.Item, value: Any) -> None:
    field = f'#q-{item.id} [name="q_{item.id}"]'
    if item.type in (qn.ItemType.INTEGER, qn.ItemType.TEXT, qn.ItemType.DATE):
        expect(page.locator(field)).to_have_value(str(value))
        return
    for one in value if isinstance(value, list) else [value]:
        expect(page.locator(f'{field}[value="{one}"]')).to_be_checked()


def _expect_page(page: Page, lang: str, n: int, total: int) -> None:
    if total > 1:
        label = i18n.translate("form.page_of", lang, n=n, total=total)
        expect(page.locator("#progress-label")).to_have_text(label)
        expect(page.locator("progress")).to_have_attribute("value", str(n))


def _pick_unit(page: Page, unit: PickedUnit, lang: str) -> None:
    page.locator("#unit_id").select_option(str(unit.id))
    support.tap_and_load(page, "button[value=unit]")
    expect(page.locator("header.top .unit")).to_have_text(unit.name(lang))


def _open_link_at_first_page(page: Page, url: str, unit: PickedUnit) -> None:
    page.goto(url)
    _pick_unit(page, unit, "vi")


def _go_to_section(page: Page, q: qn.Questionnaire, section_id: str) -> None:
    """Answer page after page (in Vietnamese) until the page of ``section_id`` shows."""
    for section in q.sections:
        if section.id == section_id:
            break
        _answer_visible(page, q, [section], "vi", everything=False)
        support.tap_and_load(page, "button[value=next]")
    expect(page.locator(f"#s-{section_id}")).to_be_visible()


def _scroll_width(page: Page) -> int:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width


# --- end to end ------------------------------------------------------------------------------

RUNS = [
    ("citizen", "vi", ""),
    ("citizen", "en", ""),
    ("business", "vi", "district"),
    ("business", "en", "department"),
    ("official", "vi", "department"),
    ("official", "en", "district"),
]


def _through_unit_picker(page: Page, name: str, lang: str, unit: PickedUnit) -> None:
    """Check the picker (blank first, then with an error), then pick ``unit``."""
    _assert_accessible(page, f"{name} unit picker, {lang}")
    support.tap_and_load(page, "button[value=unit]")
    expect(page.locator("#error-summary")).to_be_visible()
    _assert_accessible(page, f"{name} unit picker with an error, {lang}")
    _pick_unit(page, unit, lang)


def _blank_tap_shows_errors(page: Page, button: str) -> None:
    support.tap_and_load(page, button)
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator(".q-error").first).to_be_visible()


def _answer_every_page(page: Page, q: qn.Questionnaire, lang: str, group: str) -> dict[str, Any]:
    """Go through the pages, checking each; return the answers given to visible questions."""
    answered: dict[str, Any] = {}
    pages = _pages(q, group)
    errors_seen = False
    for n, sections in enumerate(pages, start=1):
        where = f"{q.id} page {n}/{len(pages)}, {lang}"
        _expect_page(page, lang, n, len(pages))
        for section in sections:
            expect(page.locator(f"#s-{section.id}")).to_be_attached()
        button = "button[value=submit]" if n == len(pages) else "button[value=next]"
        if not errors_seen and any(item.required for s in sections for item in s.items):
            _blank_tap_shows_errors(page, button)
            support.shot(page, f"q_{q.id}_{lang}_errors.png")
            errors_seen = True
            where += " with errors"  # the same page and its error summary: one axe run covers both
        _assert_accessible(page, where)
        assert _scroll_width(page) <= PHONE["width"], where
        answered |= _answer_visible(page, q, sections, lang, everything=False)
        if n == 2 or len(pages) == 1:
            support.shot(page, f"q_{q.id}_{lang}_page{n}.png")
        support.tap_and_load(page, button)
    return answered


@pytest.mark.parametrize(
    ("name", "lang", "group"), RUNS, ids=[f"{q}-{lang}" for q, lang, _ in RUNS]
)
def test_questionnaire_answered_on_a_phone_is_stored_once_with_the_answers_given(
    server: Server,
    links: dict[str, str],
    units: dict[str, PickedUnit],
    page: Page,
    name: str,
    lang: str,
    group: str,
) -> None:
    q = QUESTIONNAIRES[name]
    unit = units.get(group)
    before = _last_response_id(server)
    page.goto(f"{links[name]}?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("h1").first).to_have_text(q.title.get(lang))
    if unit is not None:
        _through_unit_picker(page, name, lang, unit)

    expected = _answer_every_page(page, q, lang, group)

    expect(page).to_have_url(re.compile(rf"/(s|f)/[^/?]+/thanks\?lang={lang}$"))
    expect(page.locator("h1")).to_have_text(i18n.translate("thanks.title", lang))
    _assert_accessible(page, f"{name} thank-you page, {lang}")
    support.shot(page, f"q_{name}_{lang}_thanks.png")
    stored = _stored_after(server, before)
    assert len(stored) == 1
    row = stored[0]
    assert (row["language"], row["answers"]) == (lang, expected)
    if unit is None:
        desk = _desk_of(server, links[name])
        desk_row = ("desk_qr", desk["id"], desk["unit_id"])
        assert (row["channel"], row["desk_id"], row["unit_id"]) == desk_row
    else:
        assert (row["channel"], row["desk_id"], row["unit_id"]) == ("open_link", None, unit.id)
    if name == "business":
        land = {item.id for s in q.sections if s.id == "land_access" for item in s.items}
        assert land & row["answers"].keys() == (land if group == "district" else set())


# --- skip logic, live ------------------------------------------------------------------------


def _conditional_on(q: qn.Questionnaire, item_id: str) -> list[str]:
    return [f"#q-{item.id}" for item in q.items if item.relevant == f"${{{item_id}}} = 'yes'"]


def _expect_shown(page: Page, selectors: list[str], shown: bool) -> None:
    for selector in selectors:
        if shown:
            expect(page.locator(selector)).to_be_visible()
            expect(page.locator(f"{selector} input").first).to_be_enabled()
        else:
            expect(page.locator(selector)).to_have_attribute("hidden", "")
            expect(page.locator(f"{selector} input").first).to_be_disabled()


def test_citizen_feedback_questions_follow_the_answer_live_and_hidden_answers_are_dropped(
    server: Server, links: dict[str, str], page: Page
) -> None:
    feedback = _conditional_on(CITIZEN, "feedback_given")
    given = CITIZEN.item("feedback_given")
    assert len(feedback) == 3
    before = _last_response_id(server)
    page.goto(links["citizen"])
    _expect_shown(page, feedback, shown=False)

    support.tap_option(page, given, "yes")
    _expect_shown(page, feedback, shown=True)
    support.tap_option(page, CITIZEN.item("feedback_easy"), 5)
    support.tap_option(page, given, "no")
    _expect_shown(page, feedback, shown=False)

    expected = _answer_visible(page, CITIZEN, CITIZEN.sections, "en", everything=False)
    support.tap_and_load(page, "button[value=submit]")
    expect(page).to_have_url(support.THANKS_URL)
    assert expected["feedback_given"] == "no"
    assert [row["answers"] for row in _stored_after(server, before)] == [expected]


def test_business_digital_questions_hide_live_when_online_services_were_not_used(
    links: dict[str, str], units: dict[str, PickedUnit], page: Page
) -> None:
    digital = _conditional_on(BUSINESS, "used_online")
    used_online = BUSINESS.item("used_online")
    assert len(digital) == 4
    _open_link_at_first_page(page, links["business"], units["department"])
    _go_to_section(page, BUSINESS, "digital")

    support.tap_option(page, used_online, "yes")
    _expect_shown(page, digital, shown=True)
    support.tap_option(page, used_online, "no")
    _expect_shown(page, digital, shown=False)
    support.tap_and_load(page, "button[value=next]")

    expect(page.locator("#error-summary")).to_have_count(0)
    expect(page.locator("#s-time_costs")).to_be_visible()


# --- save and resume -------------------------------------------------------------------------


def test_business_form_resumes_on_the_saved_page_with_earlier_answers_kept(
    links: dict[str, str], units: dict[str, PickedUnit], page: Page
) -> None:
    total = len(_pages(BUSINESS, "department"))
    first = BUSINESS.sections[0]
    context = page.context
    _open_link_at_first_page(page, links["business"], units["department"])
    answered = _answer_visible(page, BUSINESS, [first], "vi", everything=True)
    support.tap_and_load(page, "button[value=next]")
    _expect_page(page, "vi", 2, total)
    page.close()

    again = context.new_page()
    again.goto(links["business"])

    _expect_page(again, "vi", 2, total)
    expect(again.locator(f"#s-{BUSINESS.sections[1].id}")).to_be_visible()
    support.tap_and_load(again, "button[value=back]")
    _expect_page(again, "vi", 1, total)
    assert answered.keys() == {item.id for item in first.items}
    for item_id, value in answered.items():
        _expect_answer_shown(again, BUSINESS.item(item_id), value)


# --- autosave and the rating grid ------------------------------------------------------------


def test_answers_left_on_a_page_without_tapping_next_survive_closing_the_tab(
    links: dict[str, str], units: dict[str, PickedUnit], page: Page
) -> None:
    context = page.context
    firm_type = BUSINESS.item("firm_type")
    _open_link_at_first_page(page, links["business"], units["department"])

    with page.expect_response(lambda r: r.request.method == "POST") as autosave:
        support.tap_option(page, firm_type, "joint_stock")
    assert autosave.value.status == 204, autosave.value.url
    page.close()
    again = context.new_page()
    again.goto(links["business"])

    _expect_answer_shown(again, firm_type, "joint_stock")


def test_rating_options_fit_the_phone_width(
    links: dict[str, str], units: dict[str, PickedUnit], page: Page
) -> None:
    _open_link_at_first_page(page, links["business"], units["department"])
    _go_to_section(page, BUSINESS, "time_costs")
    support.shot(page, "q_rating_overflow.png")

    rights = page.eval_on_selector_all(
        "#q-time_overall_rating label.opt",
        "labels => labels.map(l => l.getBoundingClientRect().right)",
    )

    assert len(rights) == 11
    assert max(rights) <= PHONE["width"]
    assert _scroll_width(page) <= PHONE["width"]
