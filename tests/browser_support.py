"""Shared pieces of the browser tests (a pytest plugin, see conftest.py): a demo server per
module, headless Chromium at a phone size, taps as a thumb would.

A missing Chromium skips the browser tests, unless ``SURVEY_REQUIRE_BROWSER=1`` (set by CI),
which turns it into a failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

import questionnaires as qn
from tests.servers import free_port

REQUIRE_BROWSER = os.environ.get("SURVEY_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

PHONE = {"width": 390, "height": 844}
# Full-page screenshots for a person to look at, written only when this names a folder.
SHOTS = (
    Path(os.environ.get("SURVEY_SCREENSHOTS", "")) if os.environ.get("SURVEY_SCREENSHOTS") else None
)


def unavailable(reason: str) -> NoReturn:
    """Skip the module, or fail it when CI requires the browser tests to run."""
    if REQUIRE_BROWSER:
        pytest.fail(f"SURVEY_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


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


def survey(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the `survey` console script of this interpreter's environment; fail with its output."""
    script = Path(sys.executable).parent / "survey"
    done = subprocess.run(
        [str(script), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"survey {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def wait_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
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


@contextlib.contextmanager
def serve_demo(
    root: Path, *, with_answers: bool = False, settings: dict[str, str] | None = None
) -> Iterator[Server]:
    """The demo seeded into ``root`` and served on a free port with ``settings`` (``SURVEY_*``
    environment variables) added; stopped at the end."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "SURVEY_VAR_DIR": str(root / "var"),
        "SURVEY_DATABASE_URL": "",  # the SQLite file under var/, which the tests read directly
        "SURVEY_PUBLIC_BASE_URL": base_url,
        **(settings or {}),
    }
    survey("demo", *(() if with_answers else ("--no-responses",)), env=env)
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
        wait_healthy(base_url, process, log)
        yield Server(base_url=base_url, var_dir=root / "var", env=env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The demo seeded into a fresh folder and served on a free port (with simulated answers,
    analysis and PAR results only for modules that set ``DEMO_RESPONSES = True``)."""
    with serve_demo(
        tmp_path_factory.mktemp("browser"),
        with_answers=getattr(request.module, "DEMO_RESPONSES", False),
    ) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium driven by Playwright (skipped, or failed in CI, without it)."""
    chromium = chromium_path()
    if chromium is None:
        unavailable("Chromium is not installed (/usr/bin/chromium or `chromium` on PATH)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGS, headless=True
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


def shot(page: Page, name: str) -> None:
    if SHOTS is None:
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def response_ids(server: Server) -> list[int]:
    with sqlite3.connect(server.db_path) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM responses ORDER BY id")]


def tap_option(page: Page, item: qn.Item, value: object) -> None:
    """Tap the label of ``item``'s option ``value`` and check its radio or box got checked."""
    box = f'input[name="q_{item.id}"][value="{value}"]'
    label = page.locator(f"#q-{item.id} label.opt").filter(has=page.locator(box))
    expect(label).to_have_count(1)
    label.tap()
    expect(label.locator(box)).to_be_checked()


def tap_and_load(page: Page, target: str) -> None:
    """Tap ``target`` and wait until the page it leads to has loaded."""
    with page.expect_navigation():
        page.locator(target).tap()
