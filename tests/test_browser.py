"""The desk QR form as a citizen uses it: a phone-sized headless Chromium against `survey serve`.

The server is the real console script (`survey demo`, `survey qr export`, `survey serve`) on a
free port with its own SQLite file. A missing Chromium, Playwright or zxing-cpp skips the module,
unless ``SURVEY_REQUIRE_BROWSER=1`` (set by CI), which turns it into a failure.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

import questionnaires as qn
from survey_service import i18n

pytestmark = pytest.mark.browser

REQUIRE_BROWSER = os.environ.get("SURVEY_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}
# Full-page screenshots for a person to look at, written only when this names a folder.
SHOTS = (
    Path(os.environ.get("SURVEY_SCREENSHOTS", "")) if os.environ.get("SURVEY_SCREENSHOTS") else None
)
MIN_TAP_PX = 44


def _unavailable(reason: str) -> NoReturn:
    """Skip the module, or fail it when CI requires the browser tests to run."""
    if REQUIRE_BROWSER:
        pytest.fail(f"SURVEY_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def _chromium_path() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


try:
    import zxingcpp
    from PIL import Image
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError as exc:
    _unavailable(f"the browser tests need playwright, zxing-cpp and Pillow ({exc})")

CHROMIUM = _chromium_path()
if CHROMIUM is None:
    _unavailable("Chromium is not installed (/usr/bin/chromium or `chromium` on PATH)")

CITIZEN = qn.builtin_definition("citizen")
THANKS_URL = re.compile(r"/s/[^/?]+/thanks(\?|$)")


@dataclass(frozen=True)
class Server:
    """A running `survey serve` and where its data lives."""

    base_url: str
    var_dir: Path
    env: dict[str, str]

    @property
    def db_path(self) -> Path:
        return self.var_dir / "survey.db"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _survey(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the `survey` console script of this interpreter's environment; fail with its output."""
    script = Path(sys.executable).parent / "survey"
    done = subprocess.run(
        [str(script), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"survey {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"survey serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as answer:
                if json.load(answer) == {"status": "ok"}:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.2)
    pytest.fail(f"survey serve was not healthy within 30 s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The demo seeded into a fresh folder and served on a free port."""
    root = tmp_path_factory.mktemp("browser")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "SURVEY_VAR_DIR": str(root / "var"),
        "SURVEY_DATABASE_URL": "",  # the SQLite file under var/, which the tests read directly
        "SURVEY_PUBLIC_BASE_URL": base_url,
    }
    _survey("demo", env=env)
    log = root / "serve.log"
    script = Path(sys.executable).parent / "survey"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(script), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(base_url, process, log)
        yield Server(base_url=base_url, var_dir=root / "var", env=env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def desk(server: Server, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The first row of `survey qr export`'s index.csv, with ``png`` made an absolute path."""
    out = tmp_path_factory.mktemp("qr")
    _survey("qr", "export", "--out", str(out), env=server.env)
    with (out / "index.csv").open(newline="", encoding="utf-8") as handle:
        first = next(csv.DictReader(handle))
    return {**first, "png": str(out / first["png"])}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium driven by Playwright."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh phone-sized touch page (390 × 844 CSS px)."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _shot(page: Page, name: str) -> None:
    if SHOTS is None:
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def _response_ids(server: Server) -> list[int]:
    with sqlite3.connect(server.db_path) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM responses ORDER BY id")]


def _responses_after(server: Server, last_id: int) -> list[dict[str, Any]]:
    query = "SELECT desk_id, channel, language, answers FROM responses WHERE id > ? ORDER BY id"
    with sqlite3.connect(server.db_path) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(query, (last_id,)).fetchall()
    return [{**dict(row), "answers": json.loads(row["answers"])} for row in rows]


def _tap_option(page: Page, item: qn.Item, value: object) -> None:
    """Tap the label of ``item``'s option ``value`` and check its radio or box got checked."""
    box = f'input[name="q_{item.id}"][value="{value}"]'
    label = page.locator(f"#q-{item.id} label.opt").filter(has=page.locator(box))
    expect(label).to_have_count(1)
    label.tap()
    expect(label.locator(box)).to_be_checked()


def _answer_required(page: Page, questionnaire: qn.Questionnaire) -> dict[str, Any]:
    """Answer every required item as a thumb would; return the answers that should be stored."""
    expected: dict[str, Any] = {}
    for item in questionnaire.items:
        if not item.required or not page.locator(f"#q-{item.id}").is_visible():
            continue  # skip logic hides some questions as earlier ones are answered
        choices = questionnaire.choices(item)
        if item.type is qn.ItemType.SCALE5:
            expected[item.id] = choices[3].value  # the 4th point: "Hài lòng" / "Satisfied"
            _tap_option(page, item, expected[item.id])
        elif item.type is qn.ItemType.YES_NO:
            expected[item.id] = "no"
            _tap_option(page, item, "no")
        elif item.type in (qn.ItemType.SINGLE_CHOICE, qn.ItemType.MULTIPLE_CHOICE):
            _tap_option(page, item, choices[0].value)
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


def _tap_and_load(page: Page, target: str) -> None:
    """Tap ``target`` and wait until the page it leads to has loaded."""
    with page.expect_navigation():
        page.locator(target).tap()


def _submit(page: Page) -> None:
    _tap_and_load(page, "button.submit[type=submit]")


def test_qr_code_decodes_to_the_desk_url(server: Server, desk: dict[str, str]) -> None:
    decoded = zxingcpp.read_barcodes(Image.open(desk["png"]))

    assert [code.text for code in decoded] == [desk["url"]]
    assert desk["url"] == f"{server.base_url}/s/{desk['desk_code']}"


def test_citizen_answers_on_a_phone_and_it_is_stored_once(
    server: Server, desk: dict[str, str], page: Page
) -> None:
    before = _response_ids(server)
    url = zxingcpp.read_barcodes(Image.open(desk["png"]))[0].text
    page.goto(url)
    expect(page.locator("header.top .unit")).to_have_text(desk["unit_name"])
    expect(page.locator("header.top .unit")).to_be_visible()
    expect(page.locator("h1")).to_have_text(CITIZEN.title.vi)
    _shot(page, "form_vi.png")

    expected = _answer_required(page, CITIZEN)
    _submit(page)

    expect(page).to_have_url(THANKS_URL)
    expect(page.locator("h1")).to_have_text(i18n.translate("thanks.title", "vi"))
    _shot(page, "thanks.png")
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
    before = _response_ids(server)
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
    assert _response_ids(server) == before
    _shot(page, "form_errors.png")

    expected = _answer_required(page, CITIZEN)
    _submit(page)

    expect(page).to_have_url(THANKS_URL)
    new = _responses_after(server, max(before, default=0))
    assert [row["answers"] for row in new] == [expected]


def test_english_switch_shows_the_english_questionnaire(desk: dict[str, str], page: Page) -> None:
    page.goto(desk["url"])
    expect(page.locator("html")).to_have_attribute("lang", "vi")

    _tap_and_load(page, "a.lang-switch")

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
