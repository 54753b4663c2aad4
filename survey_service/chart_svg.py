"""Charts as inline SVG: matplotlib's drawing settings, one figure at a time, and its SVG made
fit to inline in a page (scalable, ids prefixed, titled for screen readers, no inline styles).
The chart kinds are in ``survey_service/charts.py``."""

from __future__ import annotations

import hashlib
import io
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure

WIDTH_PX = 360  # designed for a phone; the SVG scales with its container
MAX_WIDTH_PX = 540  # beyond this the text would grow past body size on a desktop
ROW_IN = 0.22  # height of one unit's row, in inches at 96 dpi (~21 px)
LABEL_CHARS = 28
COLORMAP = "cividis"  # sequential and readable with every common colour-vision deficiency

# Colours of static/app.css; the SVG refers to the CSS variables with these as fallbacks.
BRAND, INK, MUTED, LINE = "#0b5394", "#1a1a1a", "#555555", "#c8ccd2"
ACCENT = "#d55e00"  # Okabe-Ito vermilion: the highlighted unit and falls, distinct from BRAND
_CSS_VARS = {BRAND: "--brand", INK: "--ink", MUTED: "--muted", LINE: "--line"}

_RC: dict[Any, Any] = {
    "svg.fonttype": "none",  # text stays text: searchable, selectable, small
    "svg.hashsalt": "par-survey",  # stable clip-path ids, so output is byte-identical
    "font.family": ["sans-serif"],
    "font.sans-serif": ["DejaVu Sans"],  # covers Vietnamese; browsers fall back to sans-serif
    "font.size": 8.5,
    "text.parse_math": False,  # a "$" in a unit name is not TeX
    "text.color": INK,
    "axes.labelcolor": INK,
    "axes.edgecolor": LINE,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.facecolor": "none",
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelcolor": INK,
    "ytick.labelcolor": INK,
    "grid.color": LINE,
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "legend.fontsize": 8,
}
# rcParams are process-global and matplotlib is not thread-safe: one chart at a time.
_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class Chart:
    """An SVG chart with the numbers it plots, for the table beside it."""

    svg: str
    title: str
    rows: list[tuple[Any, ...]]  # each chart function documents its row shape
    desc: str = ""
    key: str = ""  # the SVG root's id; every id inside it starts with this


def chart_key(kind: str, title: str, data: object) -> str:
    """A stable id for a chart, so two charts on one page never share ids."""
    digest = hashlib.sha256(repr((kind, title, data)).encode()).hexdigest()
    return f"chart-{kind}-{digest[:8]}"


def render(height_in: float, draw: Callable[[Axes], None]) -> str:
    """Run ``draw`` on a fresh figure ``WIDTH_PX`` wide and return matplotlib's SVG."""
    buffer = io.StringIO()
    with _LOCK, matplotlib.rc_context(_RC):
        fig = Figure(figsize=(WIDTH_PX / 96, height_in), layout="constrained")
        draw(fig.add_subplot())
        fig.savefig(buffer, format="svg", transparent=True, metadata={"Date": None})
    return buffer.getvalue()


def _tag_ids(key: str) -> Callable[[re.Match[str]], str]:
    def fix(tag: re.Match[str]) -> str:
        text = re.sub(r'(\s)id="', rf'\1id="{key}-', tag.group(0))
        text = re.sub(r"(\d\.\d\d)\d+", r"\1", text)  # 0.01 pt is plenty; a third smaller
        text = re.sub(r' transform="rotate\(-0 [^"]*\)"', "", text)  # a no-op on every label
        text = re.sub(r" *\n\s*", " ", text)  # path data one line per path
        text = re.sub(r"url\(#", f"url(#{key}-", text)
        text = re.sub(r'href="#', f'href="#{key}-', text)
        for colour, var in _CSS_VARS.items():
            text = text.replace(f": {colour}", f": var({var}, {colour})")
        return text

    return fix


def accessible_svg(svg: str, *, key: str, title: str, desc: str) -> str:
    """Matplotlib's SVG made fit to inline: scalable, ids prefixed, titled for screen readers."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.S)
    svg = re.sub(r' id="[\w.]+_\d+"', "", svg)  # matplotlib's own ids ("text_12"): unused
    # Tags only, so unit names that happen to contain 'id="' are left alone.
    svg = re.sub(r"<[^<>]+>", _tag_ids(key), svg)
    svg = re.sub(r">\s+<", ">\n<", re.sub(r"<g>\s*(<g/>)?\s*</g>", "", svg))
    # The app's Content-Security-Policy allows no inline styles (style-src 'self'): every
    # style attribute becomes presentation attributes, which CSP does not govern, and
    # matplotlib's one style rule becomes attributes inherited from the root.
    svg = re.sub(r'\s*<style type="text/css">.*?</style>', "", svg, count=1, flags=re.S)
    svg = re.sub(r' style="([^"]*)"', _presentation, svg)
    view_box = re.search(r'viewBox="([^"]+)"', svg)
    assert view_box is not None  # matplotlib always writes one
    root = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        f' version="1.1" id="{key}" class="chart-svg" viewBox="{view_box.group(1)}"'
        f' width="100%" stroke-linejoin="round" stroke-linecap="butt" role="img"'
        f' aria-labelledby="{key}-title {key}-desc">\n'
        f' <title id="{key}-title">{escape(title)}</title>\n'
        f' <desc id="{key}-desc">{escape(desc)}</desc>'
    )
    return root + svg[svg.index(">") + 1 :]


def _presentation(match: re.Match[str]) -> str:
    """``style="fill: var(--brand, #0b5394); stroke-width: 1"`` as ``fill="#0b5394"
    stroke-width="1"``: CSS custom properties do not work in attributes, so their fallback."""
    attributes = []
    for part in match.group(1).split(";"):
        name, sep, value = part.partition(":")
        if not sep:
            continue
        value = re.sub(r"var\(--[\w-]+,\s*([^)]+)\)", r"\1", value.strip())
        attributes.append(f' {name.strip()}="{value}"')
    return "".join(attributes)


def make_chart(
    kind: str, *, title: str, desc: str, rows: list[tuple[Any, ...]], svg: str, key: str | None
) -> Chart:
    key = key or chart_key(kind, title, rows)
    return Chart(accessible_svg(svg, key=key, title=title, desc=desc), title, rows, desc, key)
