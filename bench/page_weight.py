"""Page weight of the public forms against the budget; exits with 1 when a page is over it.

For the first page of each questionnaire (and the unit picker of the form links) it prints the
HTML, app.css and form.js a phone downloads, raw and gzip -6, with the total; the budget is 30 KB
compressed per page and 10 KB compressed JavaScript (KB = 1,000 bytes). As a baseline it prints
the same page's text with every tag stripped: the rest is markup.

    .venv/bin/python bench/page_weight.py

The demo is seeded by `survey demo` into a temporary SQLite file; pages are fetched in-process
with FastAPI's TestClient (nothing listens on a port).
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import platform
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from fastapi.testclient import TestClient

from survey_service.app import create_app
from survey_service.settings import Settings

PAGE_BUDGET = 30_000  # bytes of HTML + CSS + JS after gzip, per page
JS_BUDGET = 10_000  # bytes of JavaScript after gzip, per page
BASE_URL = "http://testserver"


@dataclass(frozen=True)
class Page:
    """One page as a phone loads it: the HTML and the assets it links to."""

    name: str
    html: bytes
    assets: dict[str, bytes]  # "/static/app.css" → body
    served: int  # bytes on the wire as the server sent them (its own gzip)

    @property
    def total_gzip(self) -> int:
        return gzip_size(self.html) + sum(gzip_size(body) for body in self.assets.values())

    @property
    def js_gzip(self) -> int:
        return sum(gzip_size(body) for path, body in self.assets.items() if path.endswith(".js"))


def gzip_size(data: bytes) -> int:
    """Bytes of ``data`` after ``gzip -6`` (no file name, fixed time stamp)."""
    return len(gzip.compress(data, compresslevel=6, mtime=0))


class _TextOnly(HTMLParser):
    """The text a reader sees: character data outside <script>, <style> and <title>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skipping += tag in ("script", "style", "title")

    def handle_endtag(self, tag: str) -> None:
        self._skipping -= tag in ("script", "style", "title")

    def handle_data(self, data: str) -> None:
        if not self._skipping and data.strip():
            self.parts.append(" ".join(data.split()))


def bare_page(html: bytes) -> bytes:
    """A static page of the same text without markup: the baseline for the markup overhead."""
    parser = _TextOnly()
    parser.feed(html.decode("utf-8"))
    body = "\n".join(parser.parts)
    return f'<!doctype html><meta charset="utf-8">\n{body}\n'.encode()


def seed_demo(var_dir: Path) -> dict[str, str]:
    """Run `survey demo` into ``var_dir``; the form paths it prints, by questionnaire."""
    env = {
        **os.environ,
        "SURVEY_VAR_DIR": str(var_dir),
        "SURVEY_DATABASE_URL": "",
        "SURVEY_PUBLIC_BASE_URL": BASE_URL,
    }
    script = Path(sys.executable).parent / "survey"
    done = subprocess.run(
        [str(script), "demo"], env=env, capture_output=True, text=True, check=True, timeout=300
    )
    found = re.findall(r"(citizen|business|official)\b[^:\n]*: " + BASE_URL + r"(\S+)", done.stdout)
    return dict(found)


def _fetch(client: TestClient, name: str, method: str, path: str, **kwargs: object) -> Page:
    response = client.request(method, path, **kwargs)  # type: ignore[arg-type]
    response.raise_for_status()
    served = response.num_bytes_downloaded
    linked = re.findall(r'(?:href|src)="(/static/[^"]+)"', response.text)
    assets: dict[str, bytes] = {}
    for asset in linked:
        got = client.get(asset)
        got.raise_for_status()
        assets[asset] = got.content
        served += got.num_bytes_downloaded
    return Page(name, response.content, assets, served)


def _hidden(html: str, field: str) -> str:
    match = re.search(rf'name="{field}" value="([^"]*)"', html)
    return match.group(1) if match else ""


def first_pages(client: TestClient, paths: dict[str, str]) -> Iterator[Page]:
    """The citizen form, and for each form link its unit picker and its first page of questions."""
    yield _fetch(client, "citizen (one page)", "GET", paths["citizen"])
    for name in ("business", "official"):
        picker = _fetch(client, f"{name}: unit picker", "GET", paths[name])
        yield picker
        html = picker.html.decode()
        form = {
            "action": "unit",
            "unit_id": re.findall(r'<option value="(\d+)"', html)[0],
            "submission_id": _hidden(html, "submission_id"),
            "draft": "",
            "lang": "vi",
        }
        yield _fetch(client, f"{name}: page 1", "POST", paths[name], data=form)


def _kb(size: int) -> str:
    return f"{size / 1000:6.1f}"


def _row(page: Page) -> str:
    bare = bare_page(page.html)
    cells = [f"{page.name:<22}", _kb(len(page.html)), _kb(gzip_size(page.html))]
    cells += [_kb(len(bare)), _kb(gzip_size(bare))]
    for asset in ("/static/app.css", "/static/form.js"):
        body = page.assets.get(asset)
        cells += [_kb(len(body)), _kb(gzip_size(body))] if body is not None else ["     —"] * 2
    cells += [_kb(page.total_gzip), _kb(page.served)]
    return "  ".join(cells)


HEADER = (
    f"{'page':<22}  {'HTML':>6}  {'gzip':>6}  {'text':>6}  {'gzip':>6}  {'css':>6}  {'gzip':>6}"
    f"  {'js':>6}  {'gzip':>6}  {'total':>6}  {'served':>6}"
)


def environment() -> str:
    """Date, CPUs, memory and Python: what the numbers depend on."""
    memory = "?"
    if Path("/proc/meminfo").exists():
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024**2:.1f} GiB"
    return (
        f"{dt.date.today().isoformat()}, {os.cpu_count()} CPUs, {memory} RAM, "
        f"Python {platform.python_version()}"
    )


def over_budget(pages: list[Page]) -> list[str]:
    """One line per page over the page or JavaScript budget."""
    problems = []
    for page in pages:
        if page.total_gzip > PAGE_BUDGET:
            problems.append(f"{page.name}: {page.total_gzip} B > {PAGE_BUDGET} B compressed")
        if page.js_gzip > JS_BUDGET:
            problems.append(f"{page.name}: JavaScript {page.js_gzip} B > {JS_BUDGET} B")
    return problems


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="page-weight-") as tmp:
        var_dir = Path(tmp) / "var"
        paths = seed_demo(var_dir)
        settings = Settings(var_dir=var_dir, database_url="", public_base_url=BASE_URL)
        with TestClient(create_app(settings), base_url=BASE_URL) as client:
            pages = list(first_pages(client, paths))
    print(f"Page weight, KB (1,000 bytes); gzip = gzip -6; {environment()}")
    print("text = the same page with every tag stripped; served = what the server sent (gzip -9)")
    print(HEADER)
    for page in pages:
        print(_row(page))
    problems = over_budget(pages)
    budget = f"budget: {_kb(PAGE_BUDGET).strip()} KB per page, {_kb(JS_BUDGET).strip()} KB JS"
    print(f"{budget}: " + ("; ".join(problems) if problems else "all pages within it"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
