"""An overloaded service on a phone: the submit is refused with 503, the answers stay in the
browser, come back into the form, and are sent once the service has room again.

The server is `survey serve` limited to one request at a time; a raw socket that sends a POST's
headers but not its body holds that one slot (a slow client), so the phone's submit really
queues and is refused by the middleware (``survey_service/overload.py``).
"""

from __future__ import annotations

import csv
import json
import socket
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

import questionnaires as qn
from survey_service import i18n
from tests import browser_support as support
from tests.browser_support import PHONE, Server

pytestmark = pytest.mark.browser

CITIZEN = qn.builtin_definition("citizen")
PREFIX = "par-survey:answers:"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The demo served with room for one request at a time (a short queue, for speed)."""
    with support.serve_demo(
        tmp_path_factory.mktemp("browser-overload"),
        settings={
            "SURVEY_MAX_CONCURRENT_REQUESTS": "1",
            "SURVEY_QUEUE_TIMEOUT": "0.5",
            "SURVEY_OVERLOAD_RETRY_AFTER": "5",
        },
    ) as running:
        yield running


@pytest.fixture(scope="module")
def desk_url(server: Server, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("qr")
    support.survey("qr", "export", "--out", str(out), env=server.env)
    with (out / "index.csv").open(newline="", encoding="utf-8") as handle:
        return str(next(csv.DictReader(handle))["url"])


@contextmanager
def only_slot_taken(server: Server, path: str) -> Iterator[None]:
    """Hold the server's only slot: a POST whose body never comes, until the block ends."""
    address = urlsplit(server.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=5) as slow:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n"
        )
        slow.sendall(head.encode())
        # the slot is taken once the server reads the headers: wait until a GET is refused
        _wait_for_status(server.base_url + "/", 503)
        yield
    _wait_for_status(server.base_url + "/", 200)  # the socket is closed: the slot is free


def _wait_for_status(url: str, status: int) -> None:
    deadline = time.monotonic() + 15
    seen = 0
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                seen = int(answer.status)
        except urllib.error.HTTPError as refused:
            seen = int(refused.code)
        if seen == status:
            return
        time.sleep(0.05)
    pytest.fail(f"{url} answered {seen}, not {status}")


def _answer_required(page: Page) -> dict[str, Any]:
    """Answer every visible required question; return the field values expected back."""
    fields: dict[str, Any] = {}
    for item in CITIZEN.items:
        if not item.required or not page.locator(f"#q-{item.id}").is_visible():
            continue
        choices = CITIZEN.choices(item)
        if item.type is qn.ItemType.SCALE5:
            value = str(choices[3].value)
        elif item.type is qn.ItemType.YES_NO:
            value = "no"
        elif item.type in (qn.ItemType.SINGLE_CHOICE, qn.ItemType.MULTIPLE_CHOICE):
            value = str(choices[0].value)
        elif item.type is qn.ItemType.INTEGER:
            value = str(item.min if item.min is not None else 1)
            page.locator(f'#q-{item.id} input[name="q_{item.id}"]').fill(value)
            fields[item.id] = value
            continue
        else:
            value = "Nhanh, gọn."
            page.locator(f'#q-{item.id} textarea[name="q_{item.id}"]').fill(value)
            fields[item.id] = value
            continue
        support.tap_option(page, item, value)
        fields[item.id] = value
    return fields


def _expect_fields(page: Page, fields: dict[str, Any]) -> None:
    for item_id, value in fields.items():
        box = page.locator(f'#q-{item_id} input[name="q_{item_id}"][value="{value}"]')
        if box.count():
            expect(box).to_be_checked()
        else:
            expect(page.locator(f'#q-{item_id} [name="q_{item_id}"]')).to_have_value(value)


def _stored(page: Page) -> dict[str, Any]:
    found = page.evaluate(
        "p => Object.keys(sessionStorage).filter(k => k.startsWith(p))"
        ".reduce((o, k) => (o[k] = JSON.parse(sessionStorage.getItem(k)), o), {})",
        PREFIX,
    )
    return dict(found)


def _responses(server: Server) -> list[dict[str, Any]]:
    with sqlite3.connect(server.db_path) as conn:
        rows = conn.execute("SELECT answers FROM responses ORDER BY id").fetchall()
    return [json.loads(row[0]) for row in rows]


def test_refused_submit_keeps_the_answers_for_a_retry(
    server: Server, desk_url: str, page: Page
) -> None:
    form_path = urlsplit(desk_url).path
    page.goto(desk_url)
    fields = _answer_required(page)
    assert len(fields) >= 3

    with only_slot_taken(server, form_path):
        support.tap_and_load(page, "button.submit[type=submit]")
        expect(page.locator("h1")).to_have_text(i18n.translate("busy.title", "vi"))
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        back = page.locator("form[data-history-back] button.submit")
        expect(back).to_have_text(i18n.translate("busy.back", "vi"))
        expect(page.locator(".notice")).to_contain_text(i18n.translate("busy.kept", "vi"))
        support.shot(page, "busy_vi.png")
        kept = _stored(page)
        assert [key.split("#")[0] for key in kept] == [PREFIX + form_path]
        entry = next(iter(kept.values()))
        assert entry["sent"] is False  # marked refused by the busy page
        assert {k[2:]: v[0] for k, v in entry["answers"].items() if v} == fields
    assert _responses(server) == []

    # "Back to my answers": history.back() returns to the filled-in form (maybe from bfcache)
    page.locator("form[data-history-back] button.submit").tap()
    expect(page.locator("form.survey-form")).to_be_visible()
    _expect_fields(page, fields)

    # A fresh load with no server draft (cookies gone): the answers come from this tab's storage
    page.context.clear_cookies()
    page.goto(desk_url)
    _expect_fields(page, fields)

    support.tap_and_load(page, "button.submit[type=submit]")
    expect(page).to_have_url(support.THANKS_URL)
    stored = _responses(server)
    assert len(stored) == 1
    assert {k: str(v) for k, v in stored[0].items() if k in fields} == fields
    assert all(entry["sent"] for entry in _stored(page).values())  # nothing left to restore

    page.goto(desk_url)  # the next respondent in this tab starts from an empty form
    assert page.locator("fieldset.q input:checked").count() == 0
    assert _stored(page) == {}


def test_busy_page_without_javascript_still_leads_back_to_the_form(
    server: Server, desk_url: str, page: Page
) -> None:
    form_path = urlsplit(desk_url).path
    page.goto(desk_url + "?lang=en")
    with only_slot_taken(server, form_path):
        page.goto(desk_url + "?lang=en")  # a GET refused: "try again", nothing is kept
        expect(page.locator("h1")).to_have_text(i18n.translate("busy.title", "en"))
        expect(page.locator("button.submit")).to_have_text(i18n.translate("busy.again", "en"))
        support.shot(page, "busy_get_en.png")
    support.tap_and_load(page, "form.busy-back button.submit")
    expect(page.locator("h1")).to_have_text(CITIZEN.title.en)
