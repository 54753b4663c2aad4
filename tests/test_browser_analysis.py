"""The analysis page as a scorer or observer sees it, on a phone and on a desktop screen.

`survey demo` adds simulated answers and runs the analysis, so the page has a table per audience.
"""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from tests import browser_support as support
from tests.browser_support import PHONE, Server

pytestmark = pytest.mark.browser
DEMO_RESPONSES = True

AXE = Axe()
DESKTOP = {"width": 1280, "height": 900}


def _signed_in(browser: Browser, server: Server, viewport: dict[str, int]) -> Page:
    password = (server.var_dir / "demo_admin_password").read_text().strip()
    context = browser.new_context(viewport=viewport, is_mobile=viewport is PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{server.base_url}/admin/login")
    page.fill("input[name=email]", "admin@example.org")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def _violations(page: Page) -> list[dict[str, Any]]:
    found = AXE.run(page).response["violations"]
    return [v for v in found if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_analysis_page_shows_every_audience_with_intervals(
    browser: Browser, server: Server, viewport: dict[str, int]
) -> None:
    page = _signed_in(browser, server, viewport)
    page.goto(f"{server.base_url}/admin/campaigns/1/analysis?lang=en")
    headings = page.locator("h2").all_inner_texts()
    assert headings == ["Businesses", "Citizens and organisations", "Officials and delegates"]
    tables = page.locator("table.indices")
    assert tables.count() == 3
    drivers = page.locator("table.drivers")
    assert drivers.count() == 3
    assert drivers.nth(1).locator("tbody tr").count() == 5  # the five SIPAS dimensions
    citizen = tables.nth(1)
    assert citizen.locator("tbody tr").count() > 20
    first = citizen.locator("tbody tr").first.locator("td").first.inner_text()
    assert "±" in first and "n " in first
    officials = tables.nth(2).inner_text()
    # officials' flagged cells never show a number: they read "hidden", never "small n"
    assert "small n" not in officials and "±" in officials
    # the page itself never scrolls sideways; wide tables scroll inside their wrapper
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    header = citizen.locator("thead th").all_inner_texts()
    assert "Access to services" in header[1] and header[-2] == "Overall index"
    # per audience: every unit on one chart and last year → this year
    assert page.locator("figure.chart svg[role=img]").count() == 6
    changes = page.locator("table.changes")
    assert changes.count() == 3 and changes.nth(1).locator("tbody tr").count() > 20
    assert _violations(page) == []
    support.shot(page, f"analysis-{viewport['width']}.png")
    # the chart by another dimension, chosen without JavaScript
    page.locator("nav.dimension-picker").nth(1).locator("a", has_text="Access to services").click()
    assert page.locator("nav.dimension-picker").nth(1).locator("strong").inner_text() == (
        "Access to services"
    )
    titles = page.locator("figure.chart figcaption").all_inner_texts()
    assert "Citizens and organisations: Access to services" in titles
    assert "Citizens and organisations: Access to services, 2025 → 2026" in titles
    assert "Businesses: Overall index" in titles  # the other audiences keep the index
    page.locator("a", has_text="Heat map").nth(1).click()
    assert page.locator("figure.chart svg[role=img]").count() == 1
    assert page.locator("table.heat tbody tr").count() > 20
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert _violations(page) == []
    support.shot(page, f"heatmap-{viewport['width']}.png")
    page.context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_public_results_read_well_on_a_phone(
    browser: Browser, server: Server, viewport: dict[str, int]
) -> None:
    """The demo publishes last year's results: the ranking, a unit page and the methodology."""
    context = browser.new_context(viewport=viewport, is_mobile=viewport is PHONE)
    page = context.new_page()
    page.goto(f"{server.base_url}/results?lang=en")
    page.click("text=PAR Index 2025")
    rankings = page.locator("table.ranking")
    assert rankings.count() == 2  # departments and districts
    first = rankings.nth(0).locator("tbody tr").first
    assert first.locator("td").first.inner_text().startswith("1")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert _violations(page) == []
    support.shot(page, f"results-{viewport['width']}.png")
    first.locator("a").click()
    assert page.locator("h2", has_text="Points by area").count() == 1
    assert page.locator("figure.chart svg[role=img]").count() == 3  # one per audience
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert _violations(page) == []
    support.shot(page, f"results-unit-{viewport['width']}.png")
    page.goto(f"{server.base_url}/results/2025/methodology?lang=en")
    assert page.locator("ul.tree > li").count() >= 8
    assert _violations(page) == []
    context.close()


def test_par_page_shows_this_years_ranking_with_change(browser: Browser, server: Server) -> None:
    page = _signed_in(browser, server, PHONE)
    page.goto(f"{server.base_url}/admin/campaigns/1/par?lang=en")
    rankings = page.locator("table.ranking")
    assert rankings.count() == 2
    change = rankings.nth(1).locator("tbody tr").first.locator("td").last.inner_text()
    assert change.startswith(("+", "-"))  # against last year's published index
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert _violations(page) == []
    support.shot(page, "par-390.png")
    page.context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_fieldwork_dashboard_and_answer_distribution(
    browser: Browser, server: Server, viewport: dict[str, int]
) -> None:
    page = _signed_in(browser, server, viewport)
    page.goto(f"{server.base_url}/admin/campaigns/1/dashboard?lang=en")
    assert page.locator("figure.chart svg[role=img]").count() == 1
    assert page.locator("table.days tbody tr").count() >= 15  # four weeks of working days
    assert page.locator("table.desks tbody tr").count() >= 45
    assert page.locator("table.units tbody tr").count() == 45
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert _violations(page) == []
    support.shot(page, f"dashboard-{viewport['width']}.png")
    page.goto(f"{server.base_url}/admin/campaigns/1/answers?lang=en&item=access_information")
    bars = page.locator("figure.chart svg [id*='-bar-']")
    assert bars.count() == 6  # five satisfaction levels and "not applicable"
    assert page.locator("table.distribution tbody tr").count() == 6
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert _violations(page) == []
    support.shot(page, f"answers-{viewport['width']}.png")
    page.context.close()


def test_unit_report_and_comment_moderation(browser: Browser, server: Server) -> None:
    page = _signed_in(browser, server, PHONE)
    page.goto(f"{server.base_url}/admin/campaigns/1/comments?lang=en")
    waiting = page.locator("ul.desks").first.locator("li.desk-card")
    assert waiting.count() >= 20
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert _violations(page) == []
    support.shot(page, "comments-390.png")
    first = waiting.first.locator("blockquote").inner_text()
    waiting.first.locator("button", has_text="Show").click()
    page.wait_for_load_state()
    page.goto(f"{server.base_url}/admin/campaigns/1/par?lang=en")
    page.locator("table.ranking a", has_text="Unit report").first.click()
    page.wait_for_load_state()
    assert page.locator("ol.strongest li").count() == 3
    assert page.locator("ol.weakest li").count() == 3
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert _violations(page) == []
    support.shot(page, "report-390.png")
    # the shown comment appears in its own unit's report only; the page prints without the menu
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden()
    assert isinstance(first, str) and first
    page.context.close()
