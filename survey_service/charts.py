"""Charts for the dashboards, drawn on the server as small, accessible SVG by matplotlib.

Each chart function returns a :class:`Chart`: the SVG to inline in the page (it scales with its
container and carries ``role="img"``, ``<title>`` and ``<desc>``), its title, and ``rows``, the
plotted numbers, so the template can put the same figures in a table beside the chart.
Captions and axis labels come from the caller, already translated; numbers are written with a
decimal comma in Vietnamese and a point in English. Matplotlib's settings and the SVG made fit
to inline are in ``survey_service/chart_svg.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import matplotlib
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator

from survey_service import i18n
from survey_service.chart_svg import (
    ACCENT,
    BRAND,
    COLORMAP,
    INK,
    LABEL_CHARS,
    LINE,
    MUTED,
    ROW_IN,
    Chart,
    make_chart,
    render,
)

_MONTHS_EN = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def format_number(value: float | None, lang: str, digits: int = 1) -> str:
    """``value`` with ``digits`` decimals: "1.234,5" in Vietnamese, "1,234.5" in English."""
    if value is None or math.isnan(value):
        return "—"
    text = f"{value:,.{digits}f}"
    return text if lang == "en" else text.translate(str.maketrans(",.", ".,"))


def format_day(day: date, lang: str) -> str:
    """A short date: "5/3" in Vietnamese, "5 Mar" in English."""
    return f"{day.day} {_MONTHS_EN[day.month - 1]}" if lang == "en" else f"{day.day}/{day.month}"


def shorten(label: str, limit: int = LABEL_CHARS) -> str:
    """``label`` cut to ``limit`` characters with "…"; the table beside shows it whole."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _text(key: str, lang: str, **params: object) -> str:
    """A chart description sentence (texts live with the others in ``i18n``)."""
    text = i18n.translate(f"chart.{key}", lang)
    return text.format(**params)


def _tick_formatter(lang: str) -> FuncFormatter:
    """Axis ticks with as few decimals as they need, in the reader's notation."""

    def fmt(x: float, _pos: object) -> str:
        digits = next((d for d in range(3) if abs(x * 10**d - round(x * 10**d)) < 1e-6), 3)
        return format_number(x, lang, digits)

    return FuncFormatter(fmt)


def _unit_axis(ax: Axes, labels: Sequence[str], highlight: str | None = None) -> None:
    """One row per label, top to bottom, long names shortened, ``highlight`` in bold."""
    ax.set_yticks(range(len(labels)), [shorten(label) for label in labels])
    ax.set_ylim(max(len(labels), 1) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    for tick, label in zip(ax.get_yticklabels(), labels, strict=True):
        if label == highlight:
            tick.set_color(ACCENT)
            tick.set_fontweight("bold")


def _value_axis(ax: Axes, label: str, lang: str, *, long: bool = False) -> None:
    """The horizontal value axis; a long chart repeats its ticks on top."""
    ax.set_xlabel(label)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    ax.xaxis.set_major_formatter(_tick_formatter(lang))
    ax.tick_params(axis="x", labeltop=long)
    ax.grid(axis="x")
    ax.set_axisbelow(True)


def _legend(ax: Axes, handles: Sequence[Line2D] | None = None) -> None:
    """A one-line legend above everything else, where it never covers data or ticks."""
    if handles is None:
        handles = ax.get_legend_handles_labels()[0]  # type: ignore[assignment]
    ax.figure.legend(handles=handles, loc="outside upper left", ncols=2)


def _height(rows: int, extra: float) -> float:
    return extra + ROW_IN * max(rows, 1)


def interval_chart(
    rows: Sequence[tuple[str, float | None, float | None, float | None]],
    *,
    title: str,
    axis_label: str,
    lang: str,
    sort: bool = True,
    reference: float | None = None,
    reference_label: str | None = None,
    highlight: str | None = None,
    key: str | None = None,
    desc: str | None = None,
) -> Chart:
    """Estimates with confidence-interval bars, one line per unit, highest first.

    ``rows`` are (unit, estimate, ci_low, ci_high). ``Chart.rows`` are (unit, estimate, ci_low,
    ci_high, "shown" | "hidden") in plotted order; units without an estimate come last, "hidden".
    Artists: ``ci-<i>``, ``dot-<i>``, ``reference``.
    """
    shown = [(u, e, lo, hi) for u, e, lo, hi in rows if e is not None]
    if sort:
        shown.sort(key=lambda r: -r[1])  # stable: ties keep the caller's order
    hidden = [(r[0], None, None, None, "hidden") for r in rows if r[1] is None]
    ref_text = f"{reference_label or ''} {format_number(reference, lang)}".strip()

    def draw(ax: Axes) -> None:
        for i, (unit, estimate, low, high) in enumerate(shown):
            colour = ACCENT if unit == highlight else BRAND
            if low is not None and high is not None:
                ax.plot([low, high], [i, i], color=colour, lw=2.2, alpha=0.45, gid=f"ci-{i}")
            ax.plot([estimate], [i], "o", color=colour, ms=4.5, gid=f"dot-{i}")
        _unit_axis(ax, [r[0] for r in shown], highlight)
        _value_axis(ax, axis_label, lang, long=len(shown) > 25)
        if reference is not None:
            ax.axvline(
                reference, color=MUTED, lw=1, ls=(0, (4, 3)), label=ref_text, gid="reference"
            )
            _legend(ax)

    svg = render(_height(len(shown), 0.9 + 0.25 * (len(shown) > 25)), draw)
    table = [(*r, "shown") for r in shown] + hidden
    if desc is None:
        desc = _text("interval", lang, n=len(shown)) + (_text("sorted", lang) if sort else "")
        if shown:
            top, low = max(shown, key=lambda r: r[1]), min(shown, key=lambda r: r[1])
            desc += _text(
                "range",
                lang,
                top=top[0],
                top_v=format_number(top[1], lang),
                low=low[0],
                low_v=format_number(low[1], lang),
            )
        if reference is not None:
            desc += _text(
                "reference", lang, label=reference_label or "", value=format_number(reference, lang)
            )
        if hidden:
            desc += _text("hidden", lang, n=len(hidden))
        desc += _text("table", lang)
    return make_chart("interval", title=title, desc=desc, rows=table, svg=svg, key=key)


def _cell(ax: Axes, r: int, c: int, value: float | None, *, lang: str, digits: int) -> None:
    """One heat-map cell: coloured with its value printed, or hatched with "—" when empty."""
    if value is None:
        ax.add_patch(
            Rectangle(
                (c - 0.5, r - 0.5),
                1,
                1,
                facecolor="white",
                edgecolor=LINE,
                hatch="////",
                lw=0.8,
                gid=f"cell-{r}-{c}",
                clip_on=False,
            )
        )
        ax.text(c, r, "—", ha="center", va="center", color=MUTED, fontsize=7.5)
        return
    red, green, blue, _ = matplotlib.colormaps[COLORMAP](value / 100)
    ax.add_patch(
        Rectangle(
            (c - 0.5, r - 0.5),
            1,
            1,
            facecolor=(red, green, blue),
            edgecolor="white",
            lw=1,
            gid=f"cell-{r}-{c}",
            clip_on=False,
        )
    )
    dark = 0.2126 * red + 0.7152 * green + 0.0722 * blue < 0.45  # relative luminance, roughly
    ax.text(
        c,
        r,
        format_number(value, lang, digits),
        ha="center",
        va="center",
        color="white" if dark else INK,
        fontsize=7.5,
    )


def heatmap(
    units: Sequence[str],
    dimensions: Sequence[str],
    values: Sequence[Sequence[float | None]],
    *,
    title: str,
    lang: str,
    digits: int = 0,
    key: str | None = None,
    desc: str | None = None,
) -> Chart:
    """Units × dimensions on a 0–100 colour scale (cividis), each cell's value printed in it.

    ``Chart.rows`` are (unit, value for each dimension…), None where there is no value.
    Artists: ``cell-<row>-<column>`` for every cell, empty ones hatched.
    """

    def draw(ax: Axes) -> None:
        for r, row in enumerate(values):
            for c, value in enumerate(row):
                _cell(ax, r, c, value, lang=lang, digits=digits)
        _unit_axis(ax, units)
        ax.set_xlim(-0.5, len(dimensions) - 0.5)
        ax.xaxis.tick_top()
        ax.set_xticks(
            range(len(dimensions)),
            [shorten(d, 22) for d in dimensions],
            rotation=45,
            ha="left",
            rotation_mode="anchor",
        )
        ax.tick_params(axis="x", length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        scale = ScalarMappable(norm=Normalize(0, 100), cmap=COLORMAP)
        bar = ax.figure.colorbar(
            scale, ax=ax, location="bottom", aspect=30, fraction=0.3 / height, pad=0.01
        )
        bar.ax.xaxis.set_major_formatter(_tick_formatter(lang))
        bar.outline.set_visible(False)

    height = _height(len(units), 1.6)
    table = [(unit, *row) for unit, row in zip(units, values, strict=True)]
    if desc is None:
        desc = _text("heatmap", lang, units=len(units), dims=len(dimensions)) + _text("table", lang)
    return make_chart(
        "heatmap", title=title, desc=desc, rows=table, svg=render(height, draw), key=key
    )


def distribution(
    labels: Sequence[str],
    counts: Sequence[int],
    *,
    title: str,
    lang: str,
    key: str | None = None,
    desc: str | None = None,
) -> Chart:
    """One item's answers as horizontal bars, in the options' order, each labelled "45,2% (123)".

    ``Chart.rows`` are (label, count, percent); percent is None when nobody answered.
    Artists: ``bar-<i>``.
    """
    total = sum(counts)
    shares = [100 * count / total if total else None for count in counts]

    def draw(ax: Axes) -> None:
        for i, (count, share) in enumerate(zip(counts, shares, strict=True)):
            ax.barh(i, share or 0, height=0.7, color=BRAND, gid=f"bar-{i}")
            percent = "—" if share is None else f"{format_number(share, lang)}%"
            text = f"{percent} ({format_number(count, lang, 0)})"
            ax.annotate(
                text,
                (share or 0, i),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
        _unit_axis(ax, labels)
        ax.set_xlim(0, max((s or 0 for s in shares), default=0) * 1.6 or 100)
        ax.xaxis.set_visible(False)
        ax.spines["bottom"].set_visible(False)

    table = list(zip(labels, counts, shares, strict=True))
    if desc is None:
        desc = _text("distribution", lang, total=format_number(total, lang, 0), k=len(labels))
        desc += _text("table", lang)
    svg = render(_height(len(labels), 0.25) + 0.1, draw)
    return make_chart("distribution", title=title, desc=desc, rows=table, svg=svg, key=key)


def daily_counts(
    days: Sequence[date],
    counts: Sequence[int],
    *,
    title: str,
    lang: str,
    target_per_day: float | None = None,
    target_label: str | None = None,
    axis_label: str | None = None,
    key: str | None = None,
    desc: str | None = None,
) -> Chart:
    """Responses per day as bars, days without a response left as gaps, with an optional target.

    ``Chart.rows`` are (day, count) by day. Artists: ``bar-<i>``, ``target``.
    """
    table = sorted(zip(days, counts, strict=True))
    first = table[0][0] if table else date.min
    span = (table[-1][0] - first).days + 1 if table else 1
    target_text = f"{target_label or ''} {_tick_formatter(lang)(target_per_day or 0)}".strip()

    def draw(ax: Axes) -> None:
        for i, (day, count) in enumerate(table):
            ax.bar((day - first).days, count, width=0.8, color=BRAND, gid=f"bar-{i}")
        ticks = list(range(0, span, max(1, math.ceil(span / 6)))) if table else []
        ax.set_xticks(
            ticks, [format_day(date.fromordinal(first.toordinal() + t), lang) for t in ticks]
        )
        ax.set_xlim(-0.6, span - 0.4)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.yaxis.set_major_formatter(_tick_formatter(lang))
        ax.grid(axis="y")
        ax.set_axisbelow(True)
        if axis_label:
            ax.set_ylabel(axis_label)
        if target_per_day is not None:
            ax.axhline(
                target_per_day,
                color=ACCENT,
                lw=1.2,
                ls=(0, (4, 3)),
                label=target_text,
                gid="target",
            )
            _legend(ax)

    if desc is None:
        desc = (
            _text("empty", lang)
            if not table
            else _text(
                "daily",
                lang,
                first=format_day(first, lang),
                last=format_day(table[-1][0], lang),
                total=format_number(sum(counts), lang, 0),
            )
        )
        if target_per_day is not None:
            desc += _text("target", lang, value=_tick_formatter(lang)(target_per_day))
        desc += _text("table", lang)
    return make_chart("daily", title=title, desc=desc, rows=table, svg=render(2.4, draw), key=key)


def change_chart(
    rows: Sequence[tuple[str, float | None, float | None]],
    *,
    title: str,
    axis_label: str,
    lang: str,
    periods: tuple[str, str],
    sort: bool = True,
    highlight: str | None = None,
    key: str | None = None,
    desc: str | None = None,
) -> Chart:
    """Year-over-year change per unit as a dumbbell: open circle then, filled dot now.

    ``rows`` are (unit, before, after) and ``periods`` their labels, e.g. ("2024", "2025").
    ``Chart.rows`` are (unit, before, after, change, "shown" | "hidden"), highest ``after`` first;
    units without an ``after`` value come last, "hidden". A fall is drawn in ACCENT.
    Artists: ``change-<i>``, ``before-<i>``, ``after-<i>``.
    """
    shown = [(u, b, a) for u, b, a in rows if a is not None]
    if sort:
        shown.sort(key=lambda r: -r[2])
    hidden = [(r[0], r[1], None, None, "hidden") for r in rows if r[2] is None]

    def draw(ax: Axes) -> None:
        for i, (_unit, before, after) in enumerate(shown):
            if before is not None:
                colour = BRAND if after >= before else ACCENT
                ax.plot([before, after], [i, i], color=colour, lw=2, alpha=0.6, gid=f"change-{i}")
                ax.plot([before], [i], "o", mfc="white", mec=MUTED, ms=4.5, gid=f"before-{i}")
            ax.plot([after], [i], "o", color=BRAND, ms=4.5, gid=f"after-{i}")
        _unit_axis(ax, [r[0] for r in shown], highlight)
        _value_axis(ax, axis_label, lang, long=len(shown) > 25)
        _legend(
            ax,
            [
                Line2D([], [], marker="o", ls="", mfc="white", mec=MUTED, label=periods[0]),
                Line2D([], [], marker="o", ls="", color=BRAND, label=periods[1]),
            ],
        )

    table = [(u, b, a, None if b is None else a - b, "shown") for u, b, a in shown] + hidden
    if desc is None:
        desc = _text("change", lang, n=len(shown), before=periods[0], after=periods[1])
        desc += (_text("hidden", lang, n=len(hidden)) if hidden else "") + _text("table", lang)
    svg = render(_height(len(shown), 1.15 + 0.25 * (len(shown) > 25)), draw)
    return make_chart("change", title=title, desc=desc, rows=table, svg=svg, key=key)
